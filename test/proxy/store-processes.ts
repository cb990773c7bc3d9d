// "Processes" of the auth-proxy over one shared store, as the Cluster and Sentinel store tests
// open them: each its own client from tollgate's factory, session cache (pub/sub) and session
// store, all under one key prefix and cookie secret.
import { once } from 'node:events';
import { createRedisClient, type RedisClient } from '../../adapters/redis-client.ts';
import { createRedisKeyValueStore } from '../../adapters/redis-kv.ts';
import { createSessionCache } from '../../examples/auth-proxy/session-cache.ts';
import {
  createRedisLocks,
  createSessionStore,
  type SessionData,
} from '../../examples/auth-proxy/sessions.ts';
import type { RedisConfig } from '../../src/config/schema.ts';

const nowS = () => Math.floor(Date.now() / 1000);

/** Opens proxy processes on `store` blocks (`{ cluster }`, `{ sentinel }`); `close` ends them all. */
export function proxyProcesses(options: { prefix: string; secret: string }) {
  const { prefix, secret } = options;
  const clients: RedisClient[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  return {
    async open(store: Omit<RedisConfig, 'key_prefix'>) {
      const redis = createRedisClient({ ...store, key_prefix: prefix });
      redis.on('error', () => {});
      clients.push(redis);
      await once(redis, 'ready');
      const cache = createSessionCache<SessionData>({ redis, keyPrefix: prefix, ttlMs: 60_000 });
      closers.push(() => cache.close());
      const sessions = createSessionStore({
        kv: createRedisKeyValueStore(redis, { keyPrefix: prefix }),
        locks: createRedisLocks(redis, prefix),
        secret,
        ttlSeconds: 3600,
        refresh: async (data) => ({ ...data, access_token: 'refreshed', expires_at: nowS() + 3600 }),
        cache,
      });
      return { redis, cache, sessions };
    },
    async close() {
      for (const close of closers) await close();
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/** A proxy.yaml with only what is required, its `session.store` as given (YAML flow text). */
export function minimalProxyYaml(store: string): string {
  return [
    'public_url: https://proxy.example.org',
    'provider: { issuer: https://id.example.org, client_id: proxy, client_secret: a-secret-of-enough-length }',
    'cookie: { secret: 0123456789abcdef0123456789abcdef }',
    `session: { store: ${store} }`,
  ].join('\n');
}
