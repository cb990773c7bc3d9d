/**
 * One-command demo: tollgate (examples/tollgate.yaml, embedded in-memory store), the auth-proxy
 * (examples/auth-proxy/proxy.yaml) and the whoami sample app behind it, in one process on
 * loopback. It prints the one URL to open: the proxy's, which sends you to tollgate to sign in
 * and then shows whoami with your identity and the verified assertion.
 *
 *   npm start    (node --import ./bin/source-imports.js examples/demo.ts: the proxy's `tollgate`
 *                imports resolve to the sources, so no build is needed)
 *
 * The demo user (`accounts.demo_user` of examples/tollgate.yaml) is created here: `tollgate serve`
 * leaves the shipped example's to the demo. It is in the `admins` group, so `/admin` behind the
 * proxy (a `policy: mfa` rule) shows the step-up: a password gets you in, `/admin` asks for a
 * second factor, setting one up the first time.
 *
 * Env: TOLLGATE_PORT (3000), PROXY_PORT (4180), WHOAMI_PORT (8081), LOG_LEVEL (warn; readable
 * lines on stderr, see demo-log.ts), and every variable the two YAML files read
 * (TOLLGATE_ISSUER, PROXY_CLIENT_SECRET...). Each email code's outbox file is printed on stdout.
 * SIGINT/SIGTERM stop everything and exit 0.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { ensureDemoUser } from '../src/accounts/demo-user.ts';
import { loadConfig } from '../src/config/load.ts';
import type { TollgateConfig } from '../src/config/schema.ts';
import { ConfigError } from '../src/errors.ts';
import { createTollgate, type Tollgate } from '../src/server/app.ts';
import { loadProxyConfig, type ProxyConfig, proxyConfig } from './auth-proxy/config.ts';
import { type RunningProxy, startProxy } from './auth-proxy/server.ts';
import { createDemoLogger } from './demo-log.ts';
import { type RunningWhoami, startWhoami } from './whoami/server.ts';

const TOLLGATE_CONFIG = 'examples/tollgate.yaml';
const PROXY_CONFIG = 'examples/auth-proxy/proxy.yaml';
/** whoami's address in proxy.yaml; the upstream with this origin is pointed at WHOAMI_PORT. */
const WHOAMI_DEFAULT = 'http://127.0.0.1:8081';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new ConfigError(name, [`${name} must be a TCP port (1-65535), got ${JSON.stringify(raw)}`]);
  }
  return value;
}

function withPort(url: string, p: number): string {
  const u = new URL(url);
  u.port = String(p);
  return u.origin;
}

/** The proxy's file, moved to the demo's ports and pointed at this tollgate. */
function demoProxyConfig(issuer: string, proxyPort: number, whoamiUrl: string): ProxyConfig {
  const file = loadProxyConfig(PROXY_CONFIG);
  return proxyConfig(
    {
      ...file,
      listen: { ...file.listen, port: proxyPort },
      public_url: withPort(file.public_url, proxyPort),
      provider: { ...file.provider, issuer },
      upstreams: file.upstreams.map((u) =>
        u.url && new URL(u.url).origin === WHOAMI_DEFAULT ? { ...u, url: whoamiUrl } : u,
      ),
    },
    PROXY_CONFIG,
  );
}

/**
 * Registers the proxy's actual callback, post-logout and back-channel URLs on its client in
 * tollgate's config: the demo's ports are chosen at start, the YAML only knows the defaults.
 */
function registerProxyClient(config: TollgateConfig, proxy: ProxyConfig): TollgateConfig {
  const id = proxy.provider.client_id;
  if (!config.clients.some((c) => c.client_id === id)) {
    throw new ConfigError(TOLLGATE_CONFIG, [
      `clients: no client "${id}" for the auth-proxy (${PROXY_CONFIG})`,
    ]);
  }
  const base = proxy.public_url;
  return {
    ...config,
    clients: config.clients.map((c) =>
      c.client_id !== id
        ? c
        : {
            ...c,
            redirect_uris: [`${base}/oauth2/callback`],
            post_logout_redirect_uris: [`${base}/`],
            ...(c.backchannel_logout_uri
              ? { backchannel_logout_uri: `${base}/oauth2/backchannel-logout` }
              : {}),
          },
    ),
  };
}

async function listen(server: Server, p: number, host: string): Promise<void> {
  server.listen(p, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw err;
    }),
  ]);
}

/** Starts the three parts; returns the URL to open and a function stopping them all. */
export async function startDemo(): Promise<{ url: string; demoUser?: string; stop(): Promise<void> }> {
  // Logs go to stderr so stdout carries only the instructions (the one URL, outbox files).
  const logger = createDemoLogger(process.env.LOG_LEVEL || 'warn', process.stdout, process.stderr);
  const tollgatePort = port('TOLLGATE_PORT', 3000);
  const proxyPort = port('PROXY_PORT', 4180);
  const whoamiPort = port('WHOAMI_PORT', 8081);

  const env = {
    ...process.env,
    TOLLGATE_ISSUER: process.env.TOLLGATE_ISSUER ?? `http://localhost:${tollgatePort}`,
  };
  const loaded = loadConfig(TOLLGATE_CONFIG, env);
  const proxyConf = demoProxyConfig(loaded.issuer, proxyPort, `http://127.0.0.1:${whoamiPort}`);
  const config = registerProxyClient(loaded, proxyConf);

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    const tollgate: Tollgate = createTollgate(config, logger);
    stops.push(() => tollgate.close());
    const demoUser = await ensureDemoUser(config, tollgate.store.accounts, tollgate.hasher, logger);
    const server = createServer(tollgate.provider.callback());
    await listen(server, tollgatePort, config.host);
    stops.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const proxy: RunningProxy = await startProxy(proxyConf, { logger });
    stops.push(() => proxy.close());

    // The proxy signs each assertion for the upstream's origin: that is whoami's audience.
    const whoami: RunningWhoami = await startWhoami({
      port: whoamiPort,
      jwksUrl: `${proxyConf.public_url}/.well-known/jwks.json`,
      issuer: proxyConf.public_url,
      audience: `http://127.0.0.1:${whoamiPort}`,
    });
    stops.push(() => whoami.close());
    return { url: `${proxyConf.public_url}/`, demoUser, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

if (import.meta.main) {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  try {
    demo = await startDemo();
  } catch (err) {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  const password = process.env.TOLLGATE_DEMO_PASSWORD
    ? '(your TOLLGATE_DEMO_PASSWORD)'
    : '"tollgate-demo" (accounts.demo_user in examples/tollgate.yaml)';
  process.stdout.write(
    `\ntollgate demo is running (provider, auth-proxy and the whoami app; nothing is saved).\n\n` +
      `  Open ${demo.url}\n\n` +
      (demo.demoUser
        ? `  Sign in as "${demo.demoUser}" with password ${password}.\n` +
          '  A password is enough for the app; /admin on the same address asks for a second factor\n' +
          '  (step-up), walking you through an authenticator app the first time.\n'
        : '') +
      '  Email codes are written to files, not sent: each one is named here when it is written.\n' +
      `  Ctrl-C stops it.\n\n`,
  );
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    // In-flight requests get a moment; a stuck connection must not keep the demo alive.
    setTimeout(() => process.exit(1), 5_000).unref();
    demo.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
