// WebSockets through the reverse proxy (http-proxy-3), ended by the proxy with a close code the
// client can act on, never 1006: 4401 when the session ends (here or in another process), 1001
// when the proxy shuts down. The upstream gets a close frame too, and a frame under way when
// the session ends is delivered whole before the close frame. `ws` is the client.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { type RunningProxy, startProxy } from '../../examples/auth-proxy/server.ts';
import { hashTicket } from '../../examples/auth-proxy/sessions.ts';
import { createLogger } from '../../src/log.ts';
import { Browser } from '../helpers/browser.ts';
import { freePort, startRedis } from '../helpers/redis-server.ts';
import { addUser } from '../helpers/tollgate.ts';
import { cookieHeader, PASSWORD, type Stack, signIn, stackConfig, startStack, ticketOf } from './helpers.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let stack: Stack;
let raw: { url: string; server: Server; sockets: Socket[] };

/** An upstream that completes the handshake by hand and hands the raw socket to the test. */
async function rawWebSocketUpstream() {
  const sockets: Socket[] = [];
  const server = createServer();
  server.on('upgrade', (req, socket: Socket) => {
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    sockets.push(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, sockets };
}

beforeAll(async () => {
  redis = await startRedis();
  raw = await rawWebSocketUpstream();
  stack = await startStack(redis, {
    sessionRedis: redis.url,
    extraUpstreams: [{ host: '127.0.0.1', path_prefix: '/raw', url: raw.url }],
  });
  await addUser(stack.tg, 'wes', PASSWORD, { groups: ['staff'] });
});

afterAll(async () => {
  for (const s of raw?.sockets ?? []) s.destroy();
  raw?.server.close();
  await stack?.stop();
  await redis?.stop();
});

async function openSocket(base: string, cookie: string, path = '/ws'): Promise<WebSocket> {
  const ws = new WebSocket(`${base.replace('http:', 'ws:')}${path}`, { headers: { cookie } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return ws;
}

/** The close code and reason the client saw. */
const closeOf = (ws: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );

async function signedIn() {
  const browser = new Browser();
  await signIn(browser, stack, 'wes');
  return { browser, cookie: cookieHeader(browser) };
}

describe('auth-proxy WebSockets: close codes', () => {
  it('sign-out here closes with 4401 "session ended", to the client and to the upstream', async () => {
    const { browser, cookie } = await signedIn();
    const ws = await openSocket(stack.url, cookie);
    ws.send('hi');
    await once(ws, 'message');
    const closing = closeOf(ws);
    const seen = stack.upstream.wsCloses.length;
    await stack.proxy.sessions.destroy(ticketOf(browser));
    expect(await closing).toEqual({ code: 4401, reason: 'session ended' });
    await expect
      .poll(() => stack.upstream.wsCloses.slice(seen))
      .toEqual([{ code: 4401, reason: 'session ended' }]);
  });

  it('a session ended in another process closes with 4401 at the next check', async () => {
    const { browser, cookie } = await signedIn();
    const ws = await openSocket(stack.url, cookie);
    const closing = closeOf(ws);
    const other = createRedisClient({ url: redis.url, key_prefix: 'proxy:' });
    const hash = hashTicket(ticketOf(browser));
    await other.del(`proxy:kv:proxy-session:${hash}`);
    await other.publish('proxy:proxy-session-invalidate', hash);
    await other.quit();
    expect((await closing).code).toBe(4401);
  });

  it('a frame under way is delivered whole, then the close frame', async () => {
    const { browser, cookie } = await signedIn();
    const before = raw.sockets.length;
    const ws = await openSocket(stack.url, cookie, '/raw/ws');
    await expect.poll(() => raw.sockets.length).toBe(before + 1);
    const upstream = raw.sockets.at(-1) as Socket;
    const messages: string[] = [];
    ws.on('message', (data) => messages.push(String(data)));
    const closing = closeOf(ws);
    // Half a text frame "helloworld", then the session ends, then the other half.
    upstream.write(Buffer.concat([Buffer.from([0x81, 10]), Buffer.from('hello')]));
    await new Promise((r) => setTimeout(r, 50));
    await stack.proxy.sessions.destroy(ticketOf(browser));
    await new Promise((r) => setTimeout(r, 50));
    upstream.write('world');
    expect(await closing).toEqual({ code: 4401, reason: 'session ended' });
    expect(messages).toEqual(['helloworld']);
  });

  it('refuses an upgrade to anything but a WebSocket with 400', async () => {
    const { cookie } = await signedIn();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${stack.url}/ws`, { headers: { cookie, connection: 'Upgrade', upgrade: 'h2c' } });
      req.once('response', (res) => resolve(res.statusCode ?? 0));
      req.once('upgrade', () => reject(new Error('upgraded')));
      req.once('error', reject);
      req.end();
    });
    expect(status).toBe(400);
  });

  it('a proxy that shuts down closes its WebSockets with 1001', async () => {
    const { cookie } = await signedIn();
    // A second process on the same Redis serves the same session.
    const config = stackConfig({
      port: stack.port,
      tg: stack.tg,
      upstream: stack.upstream,
      sessionRedis: redis.url,
    });
    const second: RunningProxy = await startProxy(
      { ...config, listen: { ...config.listen, port: await freePort() } },
      { logger: createLogger('silent') },
    );
    const ws = await openSocket(second.url, cookie);
    const closing = closeOf(ws);
    await second.close();
    expect(await closing).toEqual({ code: 1001, reason: 'proxy shutting down' });
  });
});
