// The auth-proxy's sessions, refresh locks and cache invalidation on a Redis Cluster: the proxy
// builds its client with tollgate's factory from the same `store` block (url, sentinel or
// cluster), and two processes on the cluster keep each other's caches in step through pub/sub.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../../adapters/redis-client.ts';
import { createRedisKeyValueStore } from '../../adapters/redis-kv.ts';
import { parseProxyConfig } from '../../examples/auth-proxy/config.ts';
import { createSessionCache } from '../../examples/auth-proxy/session-cache.ts';
import {
  createRedisLocks,
  createSessionStore,
  type SessionData,
} from '../../examples/auth-proxy/sessions.ts';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts';

const PREFIX = 'proxy:';
const SECRET = 'cookie-secret-0123456789abcdef0123456789';
const nowS = () => Math.floor(Date.now() / 1000);

let cluster: RedisCluster;
const clients: RedisClient[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
});

afterAll(async () => {
  for (const close of closers) await close();
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  await cluster?.stop();
});

async function proxyProcess() {
  const redis = createRedisClient({ cluster: { nodes: cluster.nodes }, key_prefix: PREFIX });
  redis.on('error', () => {});
  clients.push(redis);
  await once(redis, 'ready');
  const cache = createSessionCache<SessionData>({ redis, keyPrefix: PREFIX, ttlMs: 60_000 });
  closers.push(() => cache.close());
  const sessions = createSessionStore({
    kv: createRedisKeyValueStore(redis, { keyPrefix: PREFIX }),
    locks: createRedisLocks(redis, PREFIX),
    secret: SECRET,
    ttlSeconds: 3600,
    refresh: async (data) => ({ ...data, access_token: 'refreshed', expires_at: nowS() + 3600 }),
    cache,
  });
  return { cache, sessions };
}

/** Polls `check` every 10 ms (pub/sub delivery has no event here); throws after `ms`. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('auth-proxy on a Redis Cluster', () => {
  it('takes the cluster block as session.store, and only one of url, sentinel or cluster', () => {
    const minimal = (store: string) =>
      [
        'public_url: https://proxy.example.org',
        'provider: { issuer: https://id.example.org, client_id: proxy, client_secret: a-secret-of-enough-length }',
        'cookie: { secret: 0123456789abcdef0123456789abcdef }',
        `session: { store: ${store} }`,
      ].join('\n');
    const nodes = `[${cluster.nodes.map((n) => `{ host: ${n.host}, port: ${n.port} }`).join(', ')}]`;
    expect(parseProxyConfig(minimal(`{ cluster: { nodes: ${nodes} }, tls: false }`)).session.store).toEqual({
      cluster: { nodes: cluster.nodes },
      tls: false,
    });
    expect(parseProxyConfig(minimal('redis://127.0.0.1:6379')).session.store).toBe('redis://127.0.0.1:6379');
    expect(() => parseProxyConfig(minimal(`{ url: "redis://a", cluster: { nodes: ${nodes} } }`))).toThrow(
      /set one of url, sentinel or cluster/,
    );
  });

  it('keeps sessions, and a sign-out in one process reaches the other at once', async () => {
    const [a, b] = await Promise.all([proxyProcess(), proxyProcess()]);
    await until(() => a.cache.ready && b.cache.ready, 'both processes subscribed');
    const tickets = await Promise.all(
      Array.from({ length: 20 }, (_v, i) =>
        a.sessions.create({
          identity: { sub: `u${i}`, username: `user${i}`, groups: [], amr: ['pwd'] },
          sid: `sid-${i}`,
          access_token: 'access',
          refresh_token: 'refresh',
          expires_at: nowS() + 3600,
        }),
      ),
    );
    for (const { ticket } of tickets) expect((await b.sessions.load(ticket))?.sid).toMatch(/^sid-/);
    const first = tickets[0]?.ticket as string;
    await a.sessions.destroy(first);
    await until(async () => (await b.sessions.load(first)) === undefined, 'b sees the sign-out');
    expect((await b.sessions.load(tickets[1]?.ticket as string))?.sid).toBe('sid-1');
  });
});
