import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyValueStore } from 'tollgate';
import { createLogger, type Logger } from 'tollgate';
import { createMemoryKeyValueStore } from 'tollgate/adapters/memory-kv';
import { createRedisClient, type RedisClient } from 'tollgate/adapters/redis-client';
import { durableKeyValueStore, replicaWaitOf } from 'tollgate/adapters/redis-durable';
import { createRedisKeyValueStore } from 'tollgate/adapters/redis-kv';
import { createAssertionSigner } from './assertion.ts';
import type { ProxyConfig } from './config.ts';
import { failureStatus, guardLocks, guardStore } from './failures.ts';
import { createForwardAuth } from './forward-auth.ts';
import { createOidcRoutes, createProviderClient } from './oidc.ts';
import { createRedirectValidator } from './redirect.ts';
import { createReverseProxy } from './reverse-proxy.ts';
import { compileRules } from './rules.ts';
import { createSessionCache, type SessionCache } from './session-cache.ts';
import {
  createMemoryLocks,
  createRedisLocks,
  createSessionStore,
  type Locks,
  type SessionData,
  type SessionStore,
} from './sessions.ts';

/**
 * The auth-proxy on one plain node:http server. Routes, in order: `/oauth2/*` (sign-in, sign-out,
 * back-channel logout), `/auth/*` (forward-auth), `/.well-known/jwks.json` (the assertion key),
 * `/healthz`; everything else goes through the reverse proxy.
 */

/** Options of {@link startProxy}. */
export interface StartProxyOptions {
  /** @default a pino logger at `info` */
  logger?: Logger;
  /** How often open WebSockets re-check their session. @default 5000 */
  websocketCheckMs?: number;
}

/** A running proxy. */
export interface RunningProxy {
  /** Where it listens, e.g. `http://127.0.0.1:4180`. */
  url: string;
  server: Server;
  /** The session store (admin tools and tests). */
  sessions: SessionStore;
  /** Stops listening, closes WebSockets and the store connections. */
  close(): Promise<void>;
}

function storeFor(
  config: ProxyConfig,
  logger: Logger,
): {
  kv: KeyValueStore;
  locks: Locks;
  /** Every Redis connection, to close. */
  clients: RedisClient[];
  cache?: SessionCache<SessionData>;
} {
  const { store, key_prefix, cache_ms } = config.session;
  if (!store) {
    logger.warn(
      'auth-proxy: sessions are kept in memory: one process only, lost on restart (set session.store)',
    );
    return {
      kv: guardStore(createMemoryKeyValueStore()),
      locks: guardLocks(createMemoryLocks()),
      clients: [],
    };
  }
  const block = typeof store === 'string' ? { url: store, key_prefix } : { ...store, key_prefix };
  const redis = createRedisClient(block, { connectionName: 'tollgate-proxy' });
  // Without a listener ioredis prints every reconnect error; requests report failures as 503.
  const onError = (err: Error) => logger.warn({ err: err.message }, 'auth-proxy: redis error');
  redis.on('error', onError);
  const kv = createRedisKeyValueStore(redis, { keyPrefix: key_prefix });
  // A sign-out waits for replicas (a failover must not bring the session back), on its own
  // connection: adapters/redis-durable.ts.
  const wait = replicaWaitOf(block);
  const durable = wait ? createRedisClient(block, { connectionName: 'tollgate-proxy-durable' }) : undefined;
  durable?.on('error', onError);
  return {
    // Store failures are outages (503), told apart from bugs (500) by type: failures.ts.
    kv: guardStore(durable && wait ? durableKeyValueStore(kv, { durable, keyPrefix: key_prefix, wait }) : kv),
    locks: guardLocks(createRedisLocks(redis, key_prefix)),
    clients: durable ? [redis, durable] : [redis],
    // The memory store is in-process already: only Redis reads are worth caching.
    cache:
      cache_ms > 0
        ? createSessionCache({ redis, keyPrefix: key_prefix, ttlMs: cache_ms, logger })
        : undefined,
  };
}

/** Starts the proxy on `config.listen`. */
export async function startProxy(
  config: ProxyConfig,
  options: StartProxyOptions = {},
): Promise<RunningProxy> {
  const logger = options.logger ?? createLogger('info');
  const { kv, locks, clients, cache } = storeFor(config, logger);
  const provider = createProviderClient(config);
  const sessions = createSessionStore({
    kv,
    locks,
    secret: config.cookie.secret,
    ttlSeconds: config.session.ttl,
    refresh: provider.refresh,
    refreshIdentitySeconds: config.session.refresh_identity,
    cache,
    logger,
  });
  const rules = compileRules(config.rules);
  const publicUrl = new URL(config.public_url);
  const validateRedirect = createRedirectValidator({
    // Our own host and the hosts we proxy are always fine to come back to.
    allowedHosts: [
      ...new Set([
        publicUrl.hostname,
        ...config.redirect_hosts,
        ...config.upstreams.filter((u) => !u.host.startsWith('*.')).map((u) => u.host),
      ]),
    ],
    allowHttp: publicUrl.protocol === 'http:',
  });
  const signer = await createAssertionSigner({ issuer: config.public_url, ttlSeconds: config.assertion.ttl });
  // A session ended in this process (sign-out, back-channel logout) never reuses its assertions.
  sessions.onDestroy((ticketHash) => signer.forget(ticketHash));
  const core = { rules, sessions, cookieName: config.cookie.name, acr: config.acr };
  const oidcRoutes = createOidcRoutes({ config, provider, sessions, kv, validateRedirect, logger });
  const forwardAuth = createForwardAuth({ ...core, config, signer, logger });
  const proxy = createReverseProxy({
    ...core,
    config,
    signer,
    logger,
    websocketCheckMs: options.websocketCheckMs,
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const raw = req.url ?? '/';
    const path = raw.startsWith('/') ? raw.split('?')[0] : '';
    if (path?.startsWith('/oauth2/') && (await oidcRoutes(req, res, path))) return;
    if (path?.startsWith('/auth/') && (await forwardAuth(req, res, path))) return;
    if (path === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end(JSON.stringify(signer.jwks()));
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('ok');
      return;
    }
    await proxy.handleRequest(req, res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Fail closed, never pass the request on: 503 when the store or provider cannot be
      // reached, 500 (logged with its stack) for anything else, which is a bug.
      const status = failureStatus(err, logger, { path: req.url?.split('?')[0] });
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
        res.end(status === 503 ? 'Service temporarily unavailable' : 'Internal error');
      } else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    proxy.handleUpgrade(req, socket, head).catch(() => socket.destroy());
  });
  server.listen(config.listen.port, config.listen.host);
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  logger.info({ url: `http://${host}:${port}`, public_url: config.public_url }, 'auth-proxy: listening');

  return {
    url: `http://${host}:${port}`,
    server,
    sessions,
    async close() {
      await proxy.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cache?.close();
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
