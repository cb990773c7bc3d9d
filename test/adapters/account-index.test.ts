import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_INDEX_MAX, type AccountIndexedAdapter } from '../../adapters/account-index.ts';
import { createMemoryAdapter } from '../../adapters/memory.ts';
import { createRedisAdapter } from '../../adapters/redis.ts';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { oidcKeys } from '../../adapters/redis-layout.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';

/*
 * The account index (adapters/account-index.ts), held against both adapters: what an operator
 * reset (src/sessions/end-account-sessions.ts) and a later "sessions list USERNAME" read.
 */

interface Harness {
  Adapter: AccountIndexedAdapter;
  /** Lets `seconds` pass for the adapter (memory: its clock; Redis: rewrites the scores). */
  advance(seconds: number): Promise<void>;
  /** Whether the index key of `accountId` is still stored. */
  indexStored(accountId: string): Promise<boolean>;
}

const T0 = Date.UTC(2030, 0, 1);

function suite(name: string, fresh: () => Promise<Harness>, start = async () => {}, stop = async () => {}) {
  describe(`${name} account index`, () => {
    beforeAll(start);
    afterAll(stop);

    it('lists the Session and Grant records of an account, never its tokens or other accounts', async () => {
      const { Adapter } = await fresh();
      await new Adapter('Session').upsert('s1', { accountId: 'alice', uid: 'u1' }, 600);
      await new Adapter('Session').upsert('s-anon', { uid: 'u2' }, 600);
      await new Adapter('Grant').upsert('g1', { accountId: 'alice', clientId: 'c1' }, 600);
      await new Adapter('AccessToken').upsert('at1', { accountId: 'alice', grantId: 'g1' }, 60);
      await new Adapter('Session').upsert('s2', { accountId: 'bob', uid: 'u3' }, 600);
      const entries = await Adapter.listByAccount('alice');
      expect(entries.map((e) => `${e.model}:${e.id}`).sort()).toEqual(['Grant:g1', 'Session:s1']);
      expect(entries.every((e) => typeof e.expiresAt === 'number')).toBe(true);
      expect(await Adapter.listByAccount('nobody')).toEqual([]);
    });

    it('destroy() takes the record out of its account index, and the empty index goes', async () => {
      const h = await fresh();
      await new h.Adapter('Session').upsert('s1', { accountId: 'alice', uid: 'u1' }, 600);
      await new h.Adapter('Grant').upsert('g1', { accountId: 'alice' }, 600);
      await new h.Adapter('Session').destroy('s1');
      expect((await h.Adapter.listByAccount('alice')).map((e) => e.id)).toEqual(['g1']);
      await new h.Adapter('Grant').destroy('g1');
      expect(await h.Adapter.listByAccount('alice')).toEqual([]);
      expect(await h.indexStored('alice')).toBe(false);
    });

    it('expires with its last member', async () => {
      const h = await fresh();
      await new h.Adapter('Session').upsert('short', { accountId: 'alice' }, 1);
      await new h.Adapter('Session').upsert('long', { accountId: 'alice' }, 100);
      await h.advance(60);
      // Writing sweeps what expired.
      await new h.Adapter('Grant').upsert('g', { accountId: 'alice' }, 1);
      expect((await h.Adapter.listByAccount('alice')).map((e) => e.id).sort()).toEqual(['g', 'long']);
      await h.advance(200);
      expect(await h.indexStored('alice')).toBe(false);
    });

    it(`is bounded: past ${ACCOUNT_INDEX_MAX} entries the soonest-expiring leave`, async () => {
      const h = await fresh();
      const session = new h.Adapter('Session');
      for (let i = 0; i < ACCOUNT_INDEX_MAX + 3; i++) {
        await session.upsert(`s${i}`, { accountId: 'alice' }, 1000 + i);
      }
      const ids = (await h.Adapter.listByAccount('alice')).map((e) => e.id);
      expect(ids).toHaveLength(ACCOUNT_INDEX_MAX);
      expect(ids).not.toContain('s0');
      expect(ids).not.toContain('s2');
      expect(ids).toContain('s3');
      expect(ids).toContain(`s${ACCOUNT_INDEX_MAX + 2}`);
    });
  });
}

const clock = { now: T0 };
suite('memory', async () => {
  clock.now = T0;
  const Adapter = createMemoryAdapter({ now: () => clock.now });
  return {
    Adapter,
    async advance(seconds) {
      clock.now += seconds * 1000;
    },
    async indexStored(accountId) {
      const e = Adapter.storage.get(`byAccount:${accountId}`);
      return e !== undefined && (e.expiresAt === undefined || e.expiresAt > clock.now);
    },
  };
});

let server: RedisServer | undefined;
let redis: Redis | undefined;
const prefix = 'idx:';
suite(
  'redis',
  async () => {
    const client = redis as Redis;
    await client.flushall();
    return {
      Adapter: createRedisAdapter(client, { keyPrefix: prefix }),
      // Redis keeps its own clock: move every stored expiry back instead of waiting.
      async advance(seconds) {
        for (const key of await client.keys(`${prefix}*`)) {
          const type = await client.type(key);
          if (type === 'zset') {
            const flat = await client.zrange(key, '0', '-1', 'WITHSCORES');
            for (let i = 0; i < flat.length; i += 2) {
              await client.zadd(key, String(Number(flat[i + 1]) - seconds * 1000), flat[i] as string);
            }
          }
          const pttl = await client.pttl(key);
          if (pttl > 0) {
            const left = pttl - seconds * 1000;
            if (left <= 0) await client.del(key);
            else await client.pexpire(key, left);
          }
        }
      },
      indexStored: async (accountId) => (await client.exists(oidcKeys(prefix).byAccount(accountId))) === 1,
    };
  },
  async () => {
    server = await startRedis();
    redis = createRedisClient({ url: server.url, key_prefix: prefix });
  },
  async () => {
    await redis?.quit();
    await server?.stop();
  },
);
