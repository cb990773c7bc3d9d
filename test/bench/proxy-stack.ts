// Child process of `npm run bench`: a tiny upstream, a bare node:http piping reverse proxy in
// front of it (no auth: the baseline), and the auth-proxy (startProxy) in front of it too. Run
// apart from the load generator so both proxies get a core of their own. Argument: JSON
// { port, issuer, redisUrl, trusted }; prints one line `ready {"upstream","bare","proxy"}`.
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
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

const BODY = Buffer.from('hello from upstream\n');
const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
});
upstream.listen(0, '127.0.0.1');
await once(upstream, 'listening');
const upstreamPort = (upstream.address() as AddressInfo).port;

// The baseline: the same node:http stack (global agent, pipe both ways), no auth.
const bare = createServer((req, res) => {
  const out = request(
    {
      hostname: '127.0.0.1',
      port: upstreamPort,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: `127.0.0.1:${upstreamPort}` },
    },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    },
  );
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  req.pipe(out);
});
bare.listen(0, '127.0.0.1');
await once(bare, 'listening');
const barePort = (bare.address() as AddressInfo).port;

const proxy = await startProxy(
  proxyConfig({
    listen: { host: '127.0.0.1', port: args.port },
    public_url: `http://127.0.0.1:${args.port}`,
    provider: { issuer: args.issuer, client_id: 'proxy', client_secret: PROXY_SECRET },
    cookie: { secret: COOKIE_SECRET },
    session: { store: args.redisUrl, key_prefix: 'proxy:' },
    trusted_proxies: args.trusted,
    redirect_hosts: ['.example.org'],
    upstreams: [{ host: '127.0.0.1', url: `http://127.0.0.1:${upstreamPort}` }],
    rules: RULES,
  }),
  { logger: createLogger('silent') },
);

process.stdout.write(
  `ready ${JSON.stringify({
    upstream: `http://127.0.0.1:${upstreamPort}`,
    bare: `http://127.0.0.1:${barePort}`,
    proxy: proxy.url,
  })}\n`,
);
process.on('SIGTERM', () => {
  void proxy.close().finally(() => process.exit(0));
  upstream.close();
  bare.close();
});
