// Child process of `npm run bench`: a tiny upstream, bare reverse proxies in front of it (no auth:
// the baselines, one per proxying library measured) and the auth-proxy (startProxy) in front of
// it too. Run apart from the load generator so the proxies get a core of their own. Argument:
// JSON { port, issuer, redisUrl, trusted }; prints one line
// `ready {"upstream","bare":{"node:http","http-proxy-3","undici"},"proxy"}`.
import { once } from 'node:events';
import { Agent, createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxyServer } from 'http-proxy-3';
import { Pool } from 'undici';
import { proxyConfig } from '../../examples/auth-proxy/config.ts';
import { startProxy } from '../../examples/auth-proxy/server.ts';
import { createLogger } from '../../src/log.ts';
import { COOKIE_SECRET, PROXY_SECRET, RULES } from '../proxy/helpers.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  port: number;
  issuer: string;
  redisUrl?: string;
  trusted: string[];
};

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const BODY = Buffer.from('hello from upstream\n');
const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
});
const upstreamUrl = await listen(upstream);
const target = new URL(upstreamUrl);

// The baselines: each library proxying with keep-alive to the upstream, headers passed as they
// come (minus what the library refuses), no auth. Each is what the auth-proxy on that library
// does minus the auth.
const agent = new Agent({ keepAlive: true });
const bareNode = createServer((req, res) => {
  const out = request(
    {
      agent,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    },
  );
  out.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
  req.pipe(out);
});

const hp3 = createProxyServer({ target, agent: new Agent({ keepAlive: true }), changeOrigin: true });
hp3.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) res.writeHead(502).end();
  else res.destroy();
});
const bareHp3 = createServer((req, res) => hp3.web(req, res));

const pool = new Pool(target.origin);
const bareUndici = createServer((req, res) => {
  // undici refuses these request headers (it runs its own connection).
  const { connection: _c, 'keep-alive': _k, host: _h, ...headers } = req.headers as IncomingHttpHeaders;
  const bodyless = req.method === 'GET' || req.method === 'HEAD';
  pool
    .stream(
      { path: req.url ?? '/', method: req.method as 'GET', headers, body: bodyless ? null : req },
      ({ statusCode, headers: upHeaders }) => {
        res.writeHead(statusCode, upHeaders as IncomingHttpHeaders);
        return res;
      },
    )
    .catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
});

const bare = {
  'node:http': await listen(bareNode),
  'http-proxy-3': await listen(bareHp3),
  undici: await listen(bareUndici),
};

const proxy = await startProxy(
  proxyConfig({
    listen: { host: '127.0.0.1', port: args.port },
    public_url: `http://127.0.0.1:${args.port}`,
    provider: { issuer: args.issuer, client_id: 'proxy', client_secret: PROXY_SECRET },
    cookie: { secret: COOKIE_SECRET },
    session: { store: args.redisUrl, key_prefix: 'proxy:' },
    trusted_proxies: args.trusted,
    redirect_hosts: ['.example.org'],
    upstreams: [{ host: '127.0.0.1', url: upstreamUrl }],
    rules: RULES,
  }),
  { logger: createLogger('silent') },
);

process.stdout.write(`ready ${JSON.stringify({ upstream: upstreamUrl, bare, proxy: proxy.url })}\n`);
process.on('SIGTERM', () => {
  void proxy.close().finally(() => process.exit(0));
  for (const server of [upstream, bareNode, bareHp3, bareUndici]) server.close();
});
