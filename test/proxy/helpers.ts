// The auth-proxy between real parts: redis-server, tollgate (MFA on), a tiny upstream that
// echoes what it received (HTTP and WebSocket), and the proxy itself on a loopback port.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { type ProxyConfig, proxyConfig } from '../../examples/auth-proxy/config.ts';
import { type RunningProxy, startProxy } from '../../examples/auth-proxy/server.ts';
import type { Rule } from '../../examples/auth-proxy/types.ts';
import { createLogger } from '../../src/log.ts';
import { type Browser, type Page, parseForm } from '../helpers/browser.ts';
import { freePort, type RedisServer } from '../helpers/redis-server.ts';
import { type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';

export const PROXY_SECRET = 'proxy-client-secret-0123456789';
export const COOKIE_SECRET = 'cookie-secret-0123456789abcdef0123456789';
export const PASSWORD = 'a long enough password';
export const COOKIE = 'tollgate_proxy';

type ProxyConfigInput = { upstreams: Partial<ProxyConfig['upstreams'][number]>[] };

/** The demo's rules: `/public` open, `/admin` two factors + admins, `/api` JSON, the rest signed in. */
export const RULES: Rule[] = [
  { path_prefix: '/public', policy: 'bypass' },
  { path_prefix: '/admin', policy: 'mfa', groups: ['admins'] },
  { path_prefix: '/api', policy: 'authenticated', api: true },
  { path_prefix: '/', policy: 'authenticated' },
];

/** What the upstream saw of one request. */
export interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  bodyBytes: number;
}

export interface Upstream {
  url: string;
  server: Server;
  /** Requests it answered (hostile requests must not add to this). */
  hits: number;
  /** Close codes and reasons the `/ws` echo received, in order. */
  wsCloses: { code: number; reason: string }[];
  /** Lets every held `/public/stream` response send its last chunk; returns how many were held. */
  releaseStreams(): number;
  close(): Promise<void>;
}

/** node:http upstream echoing method, URL and headers as JSON; `/ws` echoes WebSocket messages. */
export async function startUpstream(): Promise<Upstream> {
  const state = { hits: 0 };
  const held = new Set<() => void>();
  const server = createServer((req, res) => {
    state.hits++;
    if (req.url === '/public/stream') {
      // A slow response: the proxy must pass the first chunk on before the last one exists. The
      // last one waits for releaseStreams(); the timer only ends it when no test ever does.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first\n');
      const finish = () => {
        clearTimeout(timer);
        held.delete(finish);
        res.end('second\n');
      };
      const timer = setTimeout(finish, 10_000);
      held.add(finish);
      return;
    }
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => {
      bodyBytes += c.length;
    });
    req.on('end', () => {
      const echo: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        bodyBytes,
      };
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
      res.end(JSON.stringify(echo));
    });
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  const wsCloses: { code: number; reason: string }[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data, binary) => ws.send(data, { binary }));
    ws.on('close', (code, reason) => wsCloses.push({ code, reason: reason.toString() }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    get hits() {
      return state.hits;
    },
    wsCloses,
    releaseStreams() {
      const waiting = [...held];
      for (const finish of waiting) finish();
      return waiting.length;
    },
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The `proxy` client at tollgate, registered for a proxy at `proxyUrl`. */
export function proxyClient(proxyUrl: string) {
  return {
    client_id: 'proxy',
    client_name: 'Auth proxy',
    client_secret: PROXY_SECRET,
    redirect_uris: [`${proxyUrl}/oauth2/callback`],
    post_logout_redirect_uris: [`${proxyUrl}/`],
    backchannel_logout_uri: `${proxyUrl}/oauth2/backchannel-logout`,
    first_party: true,
    mfa: { policy: 'optional' },
  };
}

/** tollgate with TOTP, and the `proxy` client. */
export async function startTollgateFor(
  redis: RedisServer,
  proxyUrl: string,
  overrides: Record<string, unknown> = {},
) {
  return startTollgate({
    redisUrl: redis.url,
    overrides: {
      mfa: {
        factors: ['totp', 'recovery'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
      clients: [proxyClient(proxyUrl)],
      ...overrides,
    },
  });
}

/** The proxy's configuration for this stack (same shape as proxy.yaml). */
export function stackConfig(opts: {
  port: number;
  tg: RunningTollgate;
  /** The app behind the proxy (only its URL is read: the echo upstream, or whoami). */
  upstream: Pick<Upstream, 'url'>;
  /** `session.store`: a URL or a block (`{ sentinel: ... }`). @default memory */
  sessionRedis?: string | Record<string, unknown>;
  /** More `session` fields (`cache_ms`, ...). */
  session?: Record<string, unknown>;
  trustedProxies?: string[];
  /** @default "proxy" */
  clientId?: string;
  /** Upstream entries before the default one (forward-auth audiences, say). */
  extraUpstreams?: ProxyConfigInput['upstreams'];
}) {
  const publicUrl = `http://127.0.0.1:${opts.port}`;
  return proxyConfig({
    listen: { host: '127.0.0.1', port: opts.port },
    public_url: publicUrl,
    provider: { issuer: opts.tg.url, client_id: opts.clientId ?? 'proxy', client_secret: PROXY_SECRET },
    cookie: { secret: COOKIE_SECRET },
    session: { store: opts.sessionRedis, key_prefix: 'proxy:', ...opts.session },
    trusted_proxies: opts.trustedProxies ?? [],
    redirect_hosts: ['.example.org'],
    upstreams: [...(opts.extraUpstreams ?? []), { host: '127.0.0.1', url: opts.upstream.url }],
    rules: RULES,
  });
}

export interface Stack {
  tg: RunningTollgate;
  upstream: Upstream;
  proxy: RunningProxy;
  /** The proxy's public URL. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** tollgate + upstream + proxy; sessions in `sessionRedis` (default: memory). */
export async function startStack(
  redis: RedisServer,
  opts: {
    sessionRedis?: string | Record<string, unknown>;
    session?: Record<string, unknown>;
    trustedProxies?: string[];
    /** More tollgate clients (e.g. for a second proxy). */
    extraClients?: unknown[];
    extraUpstreams?: ProxyConfigInput['upstreams'];
  } = {},
): Promise<Stack> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const tg = await startTollgateFor(redis, url, {
    clients: [proxyClient(url), ...(opts.extraClients ?? [])],
  });
  const upstream = await startUpstream();
  const config = stackConfig({
    port,
    tg,
    upstream,
    sessionRedis: opts.sessionRedis,
    session: opts.session,
    trustedProxies: opts.trustedProxies,
    extraUpstreams: opts.extraUpstreams,
  });
  const proxy = await startProxy(config, { logger: createLogger('silent'), websocketCheckMs: 200 });
  return {
    tg,
    upstream,
    proxy,
    url,
    port,
    async stop() {
      await proxy.close();
      await upstream.close();
      await tg.stop();
    },
  };
}

/** Signs in through the proxy as a browser does: proxy -> tollgate login form -> callback -> `path`. */
export async function signIn(
  browser: Browser,
  stack: { url: string },
  username: string,
  path = '/',
): Promise<Page> {
  const form = await browser.get(`${stack.url}${path}`);
  if (!form.body.includes('name="password"')) {
    throw new Error(
      `expected tollgate's login form, got ${form.status} ${form.url}\n${form.body.slice(0, 400)}`,
    );
  }
  parseForm(form.body);
  return browser.submit(form, { username, password: PASSWORD });
}

/** The proxy session ticket in the browser's jar. */
export function ticketOf(browser: Browser): string {
  const cookie = browser.cookies.find((c) => c.name === COOKIE);
  if (!cookie) throw new Error('no proxy session cookie');
  return cookie.value;
}

/** One request over node:http with headers exactly as given (fetch would fold or refuse some). */
export async function rawGet(
  url: string,
  headers: Record<string, string | string[]> | [string, string][] = {},
  options: { localAddress?: string; path?: string; method?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const target = new URL(url);
  return await new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        path: options.path ?? target.pathname + target.search,
        // Node adds Host only for object headers; raw pairs are sent exactly as given.
        headers: Array.isArray(headers) ? [['Host', target.host], ...headers].flat() : headers,
        localAddress: options.localAddress,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The cookie header a signed-in browser sends to the proxy. */
export function cookieHeader(browser: Browser): string {
  return `${COOKIE}=${ticketOf(browser)}`;
}
