// Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection: the reverse proxy drops them,
// and every name a Connection header lists, in both directions, through the one function.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { type Echo, rawGet, type Stack, startStack } from './helpers.ts';

let redis: RedisServer;
let stack: Stack;
let hoppy: Server;

beforeAll(async () => {
  redis = await startRedis();
  // An upstream that answers with hop-by-hop headers of its own.
  hoppy = createServer((_req, res) => {
    res.setHeader('Connection', 'keep-alive, X-Upstream-Hop');
    res.setHeader('X-Upstream-Hop', 'only for the proxy');
    res.setHeader('Keep-Alive', 'timeout=5');
    res.setHeader('Proxy-Authenticate', 'Basic');
    res.setHeader('X-Kept', 'end to end');
    res.end('ok');
  });
  hoppy.listen(0, '127.0.0.1');
  await once(hoppy, 'listening');
  const upstreamUrl = `http://127.0.0.1:${(hoppy.address() as AddressInfo).port}`;
  stack = await startStack(redis, { extraUpstreams: [{ host: 'hop.test', url: upstreamUrl }] });
});

afterAll(async () => {
  await stack?.stop();
  hoppy?.closeAllConnections();
  await new Promise((r) => hoppy?.close(r));
  await redis?.stop();
});

describe('reverse proxy: hop-by-hop headers', () => {
  it('does not pass the client’s hop-by-hop headers, or those its Connection lists, upstream', async () => {
    const res = await rawGet(`${stack.url}/public/x`, [
      ['Connection', 'keep-alive, X-Client-Hop'],
      ['X-Client-Hop', 'only for the proxy'],
      ['Keep-Alive', 'timeout=5'],
      ['Proxy-Connection', 'keep-alive'],
      ['Proxy-Authorization', 'Basic YTpi'],
      ['TE', 'trailers'],
      ['X-Kept', 'end to end'],
    ]);
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.body) as Echo;
    for (const name of ['x-client-hop', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te']) {
      expect(echo.headers[name], name).toBeUndefined();
    }
    expect(echo.headers['x-kept']).toBe('end to end');
  });

  it('does not pass the upstream’s hop-by-hop headers, or those its Connection lists, to the client', async () => {
    const res = await rawGet(`${stack.url}/public/x`, { host: 'hop.test' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('ok');
    expect(res.headers['x-upstream-hop']).toBeUndefined();
    expect(res.headers['proxy-authenticate']).toBeUndefined();
    expect(res.headers['x-kept']).toBe('end to end');
  });
});
