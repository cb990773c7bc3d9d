// The per-process session cache, as two proxy processes on one real redis-server use it: hits
// cost no Redis command, every change (sign-out, back-channel logout, save, refresh) evicts the
// copies in every process at once through pub/sub, a read racing a change never caches the old
// session, and without a live subscription the cache is not used at all (fail closed).
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { createRedisKeyValueStore } from '../../adapters/redis-kv.ts';
import { createSessionCache, type SessionCache } from '../../examples/auth-proxy/session-cache.ts';
import {
  createRedisLocks,
  createSessionStore,
  hashTicket,
  type Refresher,
  type SessionData,
  type SessionStore,
} from '../../examples/auth-proxy/sessions.ts';
import type { KeyValueStore } from '../../src/factors/types.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { until as untilHolds } from '../helpers/until.ts';

const SECRET = 'cookie-secret-0123456789abcdef0123456789';
const PREFIX = 'proxy:';
/** Long enough that only an invalidation, never expiry, can explain a fresh read. */
const CACHE_MS = 60_000;

const nowS = () => Math.floor(Date.now() / 1000);

const fields = (sid = 'sid-1', expiresIn = 3600): Omit<SessionData, 'ends_at'> => ({
  identity: { sub: 'u1', username: 'erin', groups: ['staff'], amr: ['pwd'] },
  sid,
  access_token: 'access-1',
  refresh_token: 'refresh-1',
  expires_at: nowS() + expiresIn,
});

/** One proxy process: its own Redis client, subscriber connection, cache and session store. */
interface Process {
  redis: Redis;
  cache: SessionCache<SessionData>;
  sessions: SessionStore;
  refreshes: number;
  close(): Promise<void>;
}

function startProcess(
  server: RedisServer,
  opts: {
    cacheMs?: number;
    /** The cache's clock (epoch ms). */
    now?: () => number;
    name?: string;
    kv?: (inner: KeyValueStore) => KeyValueStore;
    /** Told of each invalidation message this process receives, right after its cache saw it. */
    onInvalidation?: (hash: string) => void;
  } = {},
): Process {
  const redis = createRedisClient({ url: server.url, key_prefix: PREFIX });
  redis.on('error', () => {});
  const { onInvalidation } = opts;
  if (onInvalidation) {
    // The cache subscribes on a duplicate of this client: listen on that connection too. This
    // listener runs before the cache's, but a waiter's await resumes only after both have run.
    const duplicate = redis.duplicate.bind(redis);
    redis.duplicate = ((...args: Parameters<Redis['duplicate']>) => {
      const subscriber = duplicate(...args);
      subscriber.on('message', (_channel: string, hash: string) => onInvalidation(hash));
      return subscriber;
    }) as Redis['duplicate'];
  }
  const cache = createSessionCache<SessionData>({
    redis,
    keyPrefix: PREFIX,
    ttlMs: opts.cacheMs ?? CACHE_MS,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const inner = createRedisKeyValueStore(redis, { keyPrefix: PREFIX });
  const proc: Process = {
    redis,
    cache,
    refreshes: 0,
    sessions: createSessionStore({
      kv: opts.kv ? opts.kv(inner) : inner,
      locks: createRedisLocks(redis, PREFIX),
      secret: SECRET,
      ttlSeconds: 3600,
      refresh: (async (data) => {
        proc.refreshes++;
        return { ...data, access_token: `refreshed-by-${opts.name}`, expires_at: nowS() + 3600 };
      }) satisfies Refresher,
      cache,
    }),
    async close() {
      await cache.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
  return proc;
}

/**
 * Pub/sub delivery on another connection, polled every 5 ms; the bound (5 s by default) stays far
 * below CACHE_MS, the expiry it must be told from.
 */
const until = (check: () => boolean | Promise<boolean>, what: string, ms = 5000) =>
  untilHolds(check, what, { ms, everyMs: 5 });

/** GET commands the server has run, all connections together. */
async function gets(admin: Redis): Promise<number> {
  const stats = await admin.info('commandstats');
  return Number(/^cmdstat_get:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

let server: RedisServer;
let admin: Redis;
let a: Process;
let b: Process;

beforeAll(async () => {
  server = await startRedis();
  admin = createRedisClient({ url: server.url, key_prefix: PREFIX });
  a = startProcess(server, { name: 'a' });
  b = startProcess(server, { name: 'b' });
  await until(() => a.cache.ready && b.cache.ready, 'both processes subscribed', 5000);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), admin?.quit()]);
  await server?.stop();
});

describe('auth-proxy session cache', () => {
  it('serves repeated loads without a Redis GET, and reads Redis again after cache_ms', async () => {
    const { ticket } = await a.sessions.create(fields());
    const before = await gets(admin);
    for (let i = 0; i < 10; i++) expect((await b.sessions.load(ticket))?.identity.username).toBe('erin');
    expect((await b.sessions.loadFresh(ticket))?.access_token).toBe('access-1');
    expect((await gets(admin)) - before).toBe(1);

    // The cache's own clock: an entry's age is what the test says, however slow the machine.
    let clock = Date.now();
    const short = startProcess(server, { cacheMs: 150, now: () => clock });
    try {
      await until(() => short.cache.ready, 'subscribed', 5000);
      const start = await gets(admin);
      await short.sessions.load(ticket);
      await short.sessions.load(ticket);
      expect((await gets(admin)) - start).toBe(1);
      clock += 151;
      await short.sessions.load(ticket);
      expect((await gets(admin)) - start).toBe(2);
    } finally {
      await short.close();
    }
  });

  it('a session signed out in one process is gone in the other at once', async () => {
    const { ticket } = await a.sessions.create(fields());
    await b.sessions.load(ticket);
    const before = await gets(admin);
    expect(await b.sessions.load(ticket)).toBeDefined();
    expect(await gets(admin)).toBe(before); // cached in b: only the invalidation can end it there
    const start = Date.now();
    await a.sessions.destroy(ticket);
    await until(async () => (await b.sessions.load(ticket)) === undefined, 'b sees the sign-out');
    expect(Date.now() - start).toBeLessThan(CACHE_MS / 10);

    // A process's own change needs no message: the next load already misses.
    const own = await b.sessions.create(fields());
    await b.sessions.load(own.ticket);
    await b.sessions.destroy(own.ticket);
    expect(await b.sessions.load(own.ticket)).toBeUndefined();
  });

  it('back-channel logout (destroyBySid) and a save with new data reach the other process at once', async () => {
    const one = await a.sessions.create(fields('sid-bc'));
    const two = await a.sessions.create(fields('sid-bc'));
    expect(await b.sessions.load(one.ticket)).toBeDefined();
    expect(await b.sessions.load(two.ticket)).toBeDefined();
    expect(await a.sessions.destroyBySid('sid-bc')).toBe(true);
    await until(
      async () =>
        (await b.sessions.load(one.ticket)) === undefined &&
        (await b.sessions.load(two.ticket)) === undefined,
      'b sees the back-channel logout',
    );

    const { ticket, data } = await a.sessions.create(fields('sid-save'));
    expect((await b.sessions.load(ticket))?.identity.groups).toEqual(['staff']);
    await a.sessions.save(ticket, { ...data, identity: { ...data.identity, groups: ['admins'] } });
    await until(
      async () => (await b.sessions.load(ticket))?.identity.groups.includes('admins') === true,
      'b sees the new groups',
    );
  });

  it('refreshes re-read Redis under the lock, and a refresh result reaches the other process', async () => {
    // A writer without cache or publish (an older proxy version): b's cached copy goes stale.
    const plain = createSessionStore({
      kv: createRedisKeyValueStore(a.redis, { keyPrefix: PREFIX }),
      locks: createRedisLocks(a.redis, PREFIX),
      secret: SECRET,
      ttlSeconds: 3600,
      refresh: async () => {
        throw new Error('no refresh expected');
      },
    });
    const { ticket, data } = await a.sessions.create(fields('sid-r', 30)); // due for a refresh
    expect((await b.sessions.load(ticket))?.access_token).toBe('access-1');
    await plain.save(ticket, { ...data, access_token: 'rotated', expires_at: nowS() + 3600 });
    b.refreshes = 0;
    // b's cache says "refresh now"; under the lock b must see that the refresh already happened,
    // or it would spend the old refresh token again (and tollgate would revoke the grant).
    expect((await b.sessions.loadFresh(ticket))?.access_token).toBe('rotated');
    expect(b.refreshes).toBe(0);

    // A real refresh in b is saved and published: a's cached copy is replaced at once.
    await plain.save(ticket, { ...data, expires_at: nowS() + 30 });
    expect((await a.sessions.load(ticket))?.access_token).toBe('access-1');
    expect((await b.sessions.loadFresh(ticket))?.access_token).toBe('refreshed-by-b');
    expect(b.refreshes).toBe(1);
    await until(
      async () => (await a.sessions.load(ticket))?.access_token === 'refreshed-by-b',
      'a sees the refreshed tokens',
    );
  });

  it('a read that raced a change never puts the old session in the cache', async () => {
    // c's session reads can be held after Redis answered, to let a change land in between.
    let gate: { reached: () => void; release: Promise<void> } | undefined;
    const invalidations = new Map<string, () => void>();
    const c = startProcess(server, {
      kv: (inner) => ({
        ...inner,
        async get(key) {
          const value = await inner.get(key);
          const held = gate;
          if (held && key.startsWith('proxy-session:')) {
            gate = undefined;
            held.reached();
            await held.release;
          }
          return value;
        },
      }),
      onInvalidation: (hash) => invalidations.get(hash)?.(),
    });
    try {
      await until(() => c.cache.ready, 'subscribed', 5000);
      for (const writer of [a, c]) {
        const { ticket, data } = await a.sessions.create(fields('sid-race'));
        let release = () => {};
        let reached = () => {};
        const atGate = new Promise<void>((r) => {
          reached = r;
        });
        gate = { reached, release: new Promise((r) => (release = r)) };
        const racing = c.sessions.load(ticket); // reads the old groups, then waits
        await atGate;
        const invalidated = new Promise<void>((r) => invalidations.set(hashTicket(ticket), r));
        await writer.sessions.save(ticket, { ...data, identity: { ...data.identity, groups: ['new'] } });
        await invalidated; // c's cache has seen the invalidation message
        release();
        expect((await racing)?.identity.groups).toEqual(['staff']);
        // Without the epoch check, the old read would now sit in the cache for CACHE_MS.
        expect((await c.sessions.load(ticket))?.identity.groups).toEqual(['new']);
      }
    } finally {
      await c.close();
    }
  });

  it('fails closed: without a live subscription every load reads Redis; caching resumes after', async () => {
    // The subscribers are cut off while Redis keeps answering everything else.
    await admin.call('ACL', 'SETUSER', 'default', '-subscribe');
    try {
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await until(() => !b.cache.ready, 'b unsubscribed');
      const { ticket } = await a.sessions.create(fields());
      const before = await gets(admin);
      await b.sessions.load(ticket);
      await b.sessions.load(ticket);
      expect((await gets(admin)) - before).toBe(2);
      // Deleted straight in Redis, no message: b sees it on its next load.
      await admin.del(`${PREFIX}kv:proxy-session:${hashTicket(ticket)}`);
      expect(await b.sessions.load(ticket)).toBeUndefined();
    } finally {
      await admin.call('ACL', 'SETUSER', 'default', '+subscribe');
    }
    // Let the invalidation connections reconnect (they are not in pub/sub mode, so kill by name).
    const clients = String(await admin.call('CLIENT', 'LIST'));
    for (const [, id] of clients.matchAll(/^id=(\d+) .*name=tollgate-proxy-invalidate /gm)) {
      await admin.call('CLIENT', 'KILL', 'ID', id as string);
    }
    await until(() => b.cache.ready, 'b subscribed again', 5000);
    const next = await a.sessions.create(fields());
    const before = await gets(admin);
    await b.sessions.load(next.ticket);
    await b.sessions.load(next.ticket);
    expect((await gets(admin)) - before).toBe(1);

    // Redis itself gone: loads fail (the proxy answers 503), never a cached session.
    const own = await startRedis();
    const p = startProcess(own);
    try {
      await until(() => p.cache.ready, 'subscribed', 5000);
      const first = await p.sessions.create(fields());
      expect(await p.sessions.load(first.ticket)).toBeDefined();
      await own.kill();
      await until(() => !p.cache.ready, 'subscriber lost');
      await expect(p.sessions.load(first.ticket)).rejects.toThrow();

      await own.restart();
      await until(() => p.cache.ready && p.redis.status === 'ready', 'reconnected', 10_000);
      // The restarted Redis is empty: nothing cached before the outage may answer for it.
      expect(await p.sessions.load(first.ticket)).toBeUndefined();
      const second = await p.sessions.create(fields());
      const probe = createRedisClient({ url: own.url, key_prefix: PREFIX });
      try {
        const before = await gets(probe);
        await p.sessions.load(second.ticket);
        await p.sessions.load(second.ticket);
        expect((await gets(probe)) - before).toBe(1);
      } finally {
        await probe.quit();
      }
    } finally {
      await p.close();
      await own.stop();
    }
  });
});
