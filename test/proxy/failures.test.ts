// 12.7: how the proxy fails. A bug is a 500 with a log line, not a 503 "provider unreachable";
// upstreams that hang or refuse get 504/502 pages that tell the client nothing about them; and
// the client address in audit lines comes from X-Forwarded-For only through trusted_proxies.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnavailable, UnavailableError } from '../../examples/auth-proxy/failures.ts';
import { type RunningProxy, startProxy } from '../../examples/auth-proxy/server.ts';
import { clientAddress, trustedProxyTest } from '../../examples/auth-proxy/trusted-proxies.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { freePort, startRedis } from '../helpers/redis-server.ts';
import { rawGet, type Stack, stackConfig, startStack } from './helpers.ts';

/** A silent logger that records lines, and whose `info` can be made to throw (an injected bug). */
function recordingLogger(bug?: (fields: Record<string, unknown>) => boolean) {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const base = createLogger('silent');
  const record =
    (level: string) =>
    (fields: Record<string, unknown> | string, msg?: string): void => {
      const f = typeof fields === 'string' ? {} : fields;
      if (level === 'info' && bug?.(f)) {
        throw new TypeError("Cannot read properties of undefined (reading 'sub')");
      }
      lines.push({ level, fields: f, msg: typeof fields === 'string' ? fields : (msg ?? '') });
    };
  const logger = Object.assign(Object.create(base) as Logger, {
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  });
  return { logger, lines };
}

describe('isUnavailable: only outages, never bugs', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  it.each<[string, unknown, boolean]>([
    ['fetch failed (connection refused)', new TypeError('fetch failed', { cause: refused }), true],
    ['a socket error', refused, true],
    ['DNS failure', Object.assign(new Error('getaddrinfo'), { code: 'EAI_AGAIN' }), true],
    ['a timeout', new DOMException('timed out', 'TimeoutError'), true],
    ['the store failing', new UnavailableError('session store', { cause: new Error('x') }), true],
    ['a 503 answer', Object.assign(new Error('bad status'), { status: 503 }), true],
    ['a TypeError from our code', new TypeError("Cannot read properties of undefined (reading 'x')"), false],
    ['a ReferenceError', new ReferenceError('x is not defined'), false],
    ['a 400 answer', Object.assign(new Error('invalid_grant'), { status: 400 }), false],
    ['a thrown string', 'oops', false],
  ])('%s -> %s', (_name, err, expected) => {
    expect(isUnavailable(err)).toBe(expected);
  });
});

describe('trusted_proxies: CIDR ranges and the right-most untrusted hop', () => {
  const trusted = trustedProxyTest(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
  it('matches IPs, ranges, IPv4-mapped IPv6 and nothing else', () => {
    expect(trusted('10.1.2.3')).toBe(true);
    expect(trusted('::ffff:10.1.2.3')).toBe(true);
    expect(trusted('192.168.1.7')).toBe(true);
    expect(trusted('192.168.1.8')).toBe(false);
    expect(trusted('fd12::1')).toBe(true);
    expect(trusted('fe80::1')).toBe(false);
    expect(trusted('11.0.0.1')).toBe(false);
    expect(trusted(undefined)).toBe(false);
    expect(trustedProxyTest([])('127.0.0.1')).toBe(false);
  });

  it.each<[string, string | undefined, string | undefined]>([
    ['203.0.113.5', '6.6.6.6', '203.0.113.5'],
    ['10.0.0.1', '6.6.6.6, 203.0.113.9', '203.0.113.9'],
    ['10.0.0.1', '6.6.6.6, 203.0.113.9, 10.9.9.9', '203.0.113.9'],
    ['10.0.0.1', '10.0.0.2, 10.0.0.3', '10.0.0.2'],
    ['10.0.0.1', undefined, '10.0.0.1'],
    ['10.0.0.1', '6.6.6.6, not-an-ip', '10.0.0.1'],
    ['::ffff:10.0.0.1', '2001:db8::1', '2001:db8::1'],
  ])('peer %s with X-Forwarded-For %j -> %s', (peer, xff, expected) => {
    expect(clientAddress(peer, xff, trusted)).toBe(expected);
  });
});

let redis: Awaited<ReturnType<typeof startRedis>>;
let stack: Stack;
let hanging: Server;
let buggy: RunningProxy;
let gateway: RunningProxy;
const bug = recordingLogger((fields) => fields.event === 'proxy.denied');
const audit = recordingLogger();

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack(redis);
  // Accepts requests and never answers them.
  hanging = createServer(() => {});
  hanging.listen(0, '127.0.0.1');
  await once(hanging, 'listening');
  const hangingPort = (hanging.address() as { port: number }).port;
  const closedPort = await freePort(); // nothing listens here
  const base = stackConfig({ port: stack.port, tg: stack.tg, upstream: stack.upstream });

  buggy = await startProxy(
    { ...base, listen: { ...base.listen, port: await freePort() }, trusted_proxies: ['127.0.0.1'] },
    { logger: bug.logger },
  );
  gateway = await startProxy(
    {
      ...base,
      listen: { ...base.listen, port: await freePort() },
      trusted_proxies: ['127.0.0.0/29'],
      upstream_timeouts: { connect_ms: 5000, response_ms: 200, idle_ms: 60_000 },
      upstreams: [
        { host: '127.0.0.1', path_prefix: '/public/slow', url: `http://127.0.0.1:${hangingPort}` },
        { host: '127.0.0.1', path_prefix: '/public/down', url: `http://127.0.0.1:${closedPort}` },
        ...base.upstreams,
      ],
    },
    { logger: audit.logger },
  );
});

afterAll(async () => {
  await buggy?.close();
  await gateway?.close();
  hanging?.closeAllConnections();
  await new Promise<void>((r) => (hanging ? hanging.close(() => r()) : r()));
  await stack?.stop();
  await redis?.stop();
});

describe('a bug while handling a request', () => {
  it('is a 500 with an error log line, not a 503, on the reverse proxy and forward-auth', async () => {
    const proxied = await rawGet(`${buggy.url}/x`, { accept: 'application/json' });
    const forward = await rawGet(`${buggy.url}/auth/caddy`, {
      accept: 'application/json',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.example.org',
      'x-forwarded-uri': '/x',
    });
    for (const res of [proxied, forward]) {
      expect(res.status).toBe(500);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).not.toContain('Cannot read');
    }
    const errors = bug.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(2);
    expect(errors[0]?.msg).toContain('internal error');
    expect(String((errors[0]?.fields.err as Error | undefined)?.stack)).toContain('TypeError');
  });
});

describe('upstream failures', () => {
  it('answers 504 when the upstream does not answer within response_ms, leaking nothing', async () => {
    const page = await rawGet(`${gateway.url}/public/slow/x`, { accept: 'text/html' });
    expect(page.status).toBe(504);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<h1>Gateway timeout</h1>');
    const api = await rawGet(`${gateway.url}/public/slow/x`, { accept: 'application/json' });
    expect(api.status).toBe(504);
    expect(JSON.parse(api.body)).toEqual({ error: 'gateway_timeout' });
    for (const body of [page.body, api.body]) expect(body).not.toMatch(/127\.0\.0\.1|timeout \(|ms/);
  });

  it('answers 502 when the upstream refuses the connection, without its address or errno', async () => {
    const page = await rawGet(`${gateway.url}/public/down/x`, { accept: 'text/html' });
    expect(page.status).toBe(502);
    expect(page.body).toContain('<h1>Bad gateway</h1>');
    expect(page.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:\d{2,5}/);
    const api = await rawGet(`${gateway.url}/public/down/x`, { accept: 'application/json' });
    expect(JSON.parse(api.body)).toEqual({ error: 'bad_gateway' });
    // A browser asking for German gets the page in German (issue 13.1).
    const german = await rawGet(`${gateway.url}/public/down/x`, {
      accept: 'text/html',
      'accept-language': 'de',
    });
    expect(german.status).toBe(502);
    expect(german.headers['content-language']).toBe('de');
    expect(german.body).toContain('<html lang="de">');
    expect(german.body).toContain('<h1>Fehlerhaftes Gateway</h1>');
    expect(german.body).toContain('Die Anwendung hinter dieser Adresse hat nicht geantwortet.');
    expect(german.body).not.toMatch(/Bad gateway|did not answer/);
    // The log has what the client does not.
    expect(
      audit.lines.some(
        (l) => l.msg.includes('upstream request failed') && /ECONNREFUSED/.test(String(l.fields.err)),
      ),
    ).toBe(true);
  });
});

describe('client address in audit lines', () => {
  const deniedIp = () =>
    audit.lines.filter((l) => l.fields.event === 'proxy.denied').at(-1)?.fields.client_ip;

  it('is the right-most untrusted X-Forwarded-For hop when the peer is in a trusted range', async () => {
    const xff = '6.6.6.6, 203.0.113.9, 127.0.0.3';
    expect(
      (await rawGet(`${gateway.url}/x`, { accept: 'application/json', 'x-forwarded-for': xff })).status,
    ).toBe(401);
    expect(deniedIp()).toBe('203.0.113.9');
  });

  it('is the peer itself when the peer is outside the trusted ranges', async () => {
    const res = await rawGet(
      `${gateway.url}/x`,
      { accept: 'application/json', 'x-forwarded-for': '203.0.113.9' },
      { localAddress: '127.0.0.9' },
    );
    expect(res.status).toBe(401);
    expect(deniedIp()).toBe('127.0.0.9');
  });
});
