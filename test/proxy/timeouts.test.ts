// upstream_timeouts against real misbehaving upstreams on loopback: a port that never completes
// a connection (connect_ms), a server that accepts and never answers (response_ms), one whose
// body stalls after the first chunk (idle_ms), and a closed port. HTTP requests get the 504/502
// page (JSON for API clients), WebSocket upgrades the bare status; a stalled body is cut off.
// No timing is asserted: only which answer each failure gets.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ProxyConfig, proxyConfig } from '../../examples/auth-proxy/config.ts';
import { type RunningProxy, startProxy } from '../../examples/auth-proxy/server.ts';
import { createLogger } from '../../src/log.ts';
import { freePort } from '../helpers/redis-server.ts';
import { blackHole, type SlowUpstream, silentUpstream, stallingUpstream } from '../helpers/slow-upstreams.ts';
import { COOKIE_SECRET, PROXY_SECRET, RULES, rawGet } from './helpers.ts';

let hole: SlowUpstream;
let silent: SlowUpstream;
let stalling: SlowUpstream;
let proxy: RunningProxy;
let config: ProxyConfig;

beforeAll(async () => {
  [hole, silent, stalling] = await Promise.all([blackHole(), silentUpstream(), stallingUpstream()]);
  const closedPort = await freePort(); // nothing listens there
  const port = await freePort();
  const route = (prefix: string, url: string) => ({ host: '127.0.0.1', path_prefix: prefix, url });
  config = proxyConfig({
    listen: { host: '127.0.0.1', port },
    public_url: `http://127.0.0.1:${port}`,
    // Only bypass routes are asked for here: tollgate is never contacted.
    provider: { issuer: 'http://127.0.0.1:9', client_id: 'proxy', client_secret: PROXY_SECRET },
    cookie: { secret: COOKIE_SECRET },
    upstream_timeouts: { connect_ms: 300, response_ms: 300, idle_ms: 300 },
    upstreams: [
      route('/public/hole', hole.url),
      route('/public/silent', silent.url),
      route('/public/stall', stalling.url),
      route('/public/closed', `http://127.0.0.1:${closedPort}`),
    ],
    rules: RULES,
  });
  proxy = await startProxy(config, { logger: createLogger('silent') });
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all([hole?.close(), silent?.close(), stalling?.close()]);
});

/** The status a WebSocket upgrade through the proxy is answered with. */
function upgradeStatus(path: string): Promise<number> {
  const ws = new WebSocket(`${proxy.url.replace('http:', 'ws:')}${path}`);
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => reject(new Error('the upgrade went through')));
    ws.once('error', reject);
  });
}

async function expectGatewayPages(path: string, status: 502 | 504) {
  const [title, error] =
    status === 504 ? ['Gateway timeout', 'gateway_timeout'] : ['Bad gateway', 'bad_gateway'];
  const page = await rawGet(`${proxy.url}${path}`, { accept: 'text/html' });
  expect(page.status).toBe(status);
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['cache-control']).toBe('no-store');
  expect(page.body).toContain(`<h1>${title}</h1>`);
  const api = await rawGet(`${proxy.url}${path}`, { accept: 'application/json' });
  expect(api.status).toBe(status);
  expect(JSON.parse(api.body)).toEqual({ error });
  // Nothing about the upstream: no address, port, errno or which limit.
  for (const body of [page.body, api.body]) expect(body).not.toMatch(/127\.0\.0\.1|:\d{2,5}|E[A-Z]{4,}|ms\b/);
}

describe('upstream_timeouts', () => {
  it('connect_ms: an upstream that never completes the connection is a 504', async () => {
    await expectGatewayPages('/public/hole/x', 504);
  });

  it('response_ms: an upstream that accepts and never answers is a 504', async () => {
    await expectGatewayPages('/public/silent/x', 504);
  });

  it('a client that goes away ends its upstream request too (no connection held until response_ms)', async () => {
    // Default timeouts (a minute): only the client's going away can end the upstream request.
    const port = await freePort();
    const patient = await startProxy(
      {
        ...config,
        listen: { host: '127.0.0.1', port },
        public_url: `http://127.0.0.1:${port}`,
        upstream_timeouts: { connect_ms: 5000, response_ms: 60_000, idle_ms: 60_000 },
      },
      { logger: createLogger('silent') },
    );
    try {
      const before = silent.abandoned;
      const seen = silent.requests;
      const req = request(`${patient.url}/public/silent/long-poll`);
      req.on('error', () => {});
      req.end();
      await expect.poll(() => silent.requests).toBe(seen + 1);
      req.destroy();
      await expect.poll(() => silent.abandoned, { timeout: 10_000 }).toBe(before + 1);
    } finally {
      await patient.close();
    }
  });

  it('a refused connection is a 502', async () => {
    await expectGatewayPages('/public/closed/x', 502);
  });

  it('idle_ms: a body that stalls after the status line is cut off, not left hanging', async () => {
    const outcome = await new Promise<{ status: number; body: string; complete: boolean }>(
      (resolve, reject) => {
        const req = request(`${proxy.url}/public/stall/x`, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          // The proxy destroys the connection: the message ends incomplete.
          res.on('close', () => resolve({ status: res.statusCode ?? 0, body, complete: res.complete }));
        });
        req.on('error', reject);
        req.end();
      },
    );
    expect(outcome).toEqual({ status: 200, body: 'first chunk\n', complete: false });
  });

  it('WebSocket upgrades: 504 for connect_ms and response_ms, 502 when refused', async () => {
    expect(await upgradeStatus('/public/hole/ws')).toBe(504);
    expect(await upgradeStatus('/public/silent/ws')).toBe(504);
    expect(await upgradeStatus('/public/closed/ws')).toBe(502);
  });
});
