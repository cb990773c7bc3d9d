import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configSchema, createConfigSchema, type TollgateConfig } from '../../src/config/schema.ts';
import { BUILTIN_FACTORS } from '../../src/factors/builtin.ts';
import type { FactorDefinition } from '../../src/factors/types.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { createTollgate, type Tollgate } from '../../src/server/app.ts';

export const TEST_COOKIE_KEY = 'test-cookie-key-0123456789abcdef0123456789';
export const APP_SECRET = 'app-secret-0123456789abcdef';
export const API_SECRET = 'api-secret-0123456789abcdef';
export const RP_CALLBACK = 'http://127.0.0.1:9/callback';
export const RP_LOGGED_OUT = 'http://127.0.0.1:9/logged-out';

/** Clients most tests use: a first-party web app, a third-party app, a public app, an API. */
export function testClients(): unknown[] {
  return [
    {
      client_id: 'app',
      client_name: 'Test App',
      client_secret: APP_SECRET,
      redirect_uris: [RP_CALLBACK],
      post_logout_redirect_uris: [RP_LOGGED_OUT],
      first_party: true,
    },
    {
      client_id: 'third-party',
      client_name: 'Third Party',
      client_secret: APP_SECRET,
      redirect_uris: [RP_CALLBACK],
    },
    { client_id: 'public-app', redirect_uris: [RP_CALLBACK] },
    {
      client_id: 'api',
      client_secret: API_SECRET,
      grant_types: ['client_credentials'],
      resource_server: true,
    },
  ];
}

export interface RunningTollgate {
  url: string;
  port: number;
  config: TollgateConfig;
  tollgate: Tollgate;
  server: Server;
  logger: Logger;
  /** Stops the HTTP server and closes the store. */
  stop(): Promise<void>;
}

export interface StartOptions {
  redisUrl?: string;
  /** A whole `store.redis` block (`cluster`, `sentinel`, `tls`...) instead of `redisUrl`; key_prefix `tg:`. */
  redis?: Record<string, unknown>;
  jwksFile?: string;
  port?: number;
  /** Merged over the generated configuration (before validation). */
  overrides?: Record<string, unknown>;
  logger?: Logger;
  /** Host name in the issuer URL (passkeys need a domain, e.g. `localhost`). @default "127.0.0.1" */
  hostname?: string;
  /** Plug-in factors, registered beside the shipped ones (config schema and server). */
  factors?: FactorDefinition[];
}

/** Starts tollgate on a loopback port with a validated test configuration. */
export async function startTollgate(options: StartOptions = {}): Promise<RunningTollgate> {
  const server = createServer();
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  const schema = options.factors
    ? createConfigSchema([...BUILTIN_FACTORS, ...options.factors])
    : configSchema;
  const config = schema.parse({
    issuer: url,
    port,
    cookies: { keys: [TEST_COOKIE_KEY] },
    store: options.redis
      ? { redis: { key_prefix: 'tg:', ...options.redis } }
      : options.redisUrl
        ? { redis: { url: options.redisUrl, key_prefix: 'tg:' } }
        : {},
    jwks: { file: options.jwksFile },
    clients: testClients(),
    log_level: 'silent',
    ...options.overrides,
  });
  const logger = options.logger ?? createLogger('silent');
  const tollgate = createTollgate(config, logger, { factors: options.factors });
  server.on('request', tollgate.provider.callback());
  return {
    url,
    port,
    config,
    tollgate,
    server,
    logger,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tollgate.close();
    },
  };
}

/** Creates an account straight in the store (what `tollgate users add` does). */
export async function addUser(
  running: RunningTollgate,
  username: string,
  password: string,
  extra: { email?: string; name?: string; groups?: string[]; phone?: string } = {},
) {
  return running.tollgate.store.accounts.create({
    username,
    password_hash: await running.tollgate.hasher.hash(password),
    ...extra,
  });
}
