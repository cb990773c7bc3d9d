import { once } from 'node:events';
import type { Redis } from 'ioredis';
import type { AdapterConstructor, AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CONSUMABLE_MODELS,
  createMemoryAdapter,
  type MemoryAdapterConstructor,
} from '../../adapters/memory.ts';
import { createRedisAdapter } from '../../adapters/redis.ts';
import { createRedisClient, dataNodes, type RedisClient } from '../../adapters/redis-client.ts';
import { oidcKeys, POINTER } from '../../adapters/redis-layout.ts';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts';
import { type RedisSentinelGroup, startRedisSentinel } from '../helpers/redis-sentinel.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { token } from './helpers.ts';

/*
 * One storage contract, held against both oidc-provider adapters. Keys passed to the harness are
 * written without the Redis prefix; both adapters share that layout. What only the Redis adapter
 * promises (stored bytes, command counts, reconnects) is in redis.test.ts.
 */

/** What the suite needs to look behind an adapter's back. */
interface Harness {
  Adapter: AdapterConstructor;
  /** Seconds left before `key` expires, like Redis TTL: -1 never, -2 missing. */
  ttl(key: string): Promise<number>;
  exists(key: string): Promise<boolean>;
  /** Record keys in the grant index of `grantId`. */
  grantMembers(grantId: string): Promise<string[]>;
  /** Pretends `member` was indexed under `grantId` by a token that has expired since. */
  addExpiredGrantMember(grantId: string, member: string): Promise<void>;
  /** Overwrites the stored `consumed` stamp of a consumable record. */
  setConsumed(key: string, value: number): Promise<void>;
  /** The adapter's current time, epoch seconds. */
  nowSeconds(): number;
}

interface Backend {
  start(): Promise<void>;
  /** A harness over empty storage. */
  fresh(): Promise<Harness>;
  stop(): Promise<void>;
}

const TOLERANCE = 15;
const T0 = Date.UTC(2030, 0, 1);

function memoryBackend(): Backend & { clock: { now: number } } {
  const clock = { now: T0 };
  return {
    clock,
    async start() {},
    async stop() {},
    async fresh() {
      clock.now = T0;
      const Adapter: MemoryAdapterConstructor = createMemoryAdapter({ now: () => clock.now });
      const entry = (key: string) => {
        const e = Adapter.storage.get(key);
        return e && (e.expiresAt === undefined || e.expiresAt > clock.now) ? e : undefined;
      };
      return {
        Adapter,
        async ttl(key) {
          const e = entry(key);
          if (!e) return -2;
          return e.expiresAt === undefined ? -1 : Math.ceil((e.expiresAt - clock.now) / 1000);
        },
        exists: async (key) => entry(key) !== undefined,
        async grantMembers(grantId) {
          const e = entry(`grant:${grantId}`);
          return e?.kind === 'grant' ? [...e.members.keys()] : [];
        },
        async addExpiredGrantMember(grantId, member) {
          const e = entry(`grant:${grantId}`);
          if (e?.kind !== 'grant') throw new Error('seed the grant first');
          e.members.set(member, clock.now - 1);
        },
        async setConsumed(key, value) {
          const e = entry(key);
          if (e?.kind !== 'record') throw new Error(`no record ${key}`);
          e.consumed = value;
        },
        nowSeconds: () => Math.floor(clock.now / 1000),
      };
    },
  };
}

/**
 * Where a logical key of the harness (the memory adapter's names) is in Redis: the layout of
 * adapters/redis-layout.ts, a record found through its home.
 */
async function redisKeyOf(redis: RedisClient, prefix: string, key: string): Promise<string> {
  const keys = oidcKeys(prefix);
  const [head = '', second = '', ...rest] = key.split(':');
  if (head === 'grant') return keys.grant([second, ...rest].join(':'));
  if (head === 'uid') return keys.uid(second, rest.join(':'));
  if (head === 'userCode') return keys.userCode(second, rest.join(':'));
  const id = [second, ...rest].join(':');
  const home = await redis.get(keys.home(head, id));
  return home?.startsWith(POINTER) ? keys.member(head, home.slice(POINTER.length), id) : keys.home(head, id);
}

/** The contract's harness over a Redis client (one server or a Cluster), prefix `test:`. */
function redisHarness(redis: RedisClient): Harness {
  const p = 'test:';
  const at = (key: string) => redisKeyOf(redis, p, key);
  const keys = oidcKeys(p);
  return {
    Adapter: createRedisAdapter(redis, { keyPrefix: p }),
    ttl: async (key) => redis.ttl(await at(key)),
    exists: async (key) => (await redis.exists(await at(key))) === 1,
    // Members are record keys without the prefix.
    grantMembers: (grantId) => redis.zrange(keys.grant(grantId), '0', '-1'),
    async addExpiredGrantMember(grantId, member) {
      await redis.zadd(keys.grant(grantId), '1', member);
    },
    async setConsumed(key, value) {
      // The stamp is the first key of the stored JSON, replacing any stamp already there.
      const where = await at(key);
      const raw = await redis.get(where);
      if (raw === null) throw new Error(`no record ${key}`);
      const rest = raw.replace(/^\{("consumed":\d+,?)?/, '');
      await redis.set(where, `{"consumed":${value}${rest.startsWith('}') ? '' : ','}${rest}`, 'KEEPTTL');
    },
    // Redis stamps with its own clock; on this host that is the same one.
    nowSeconds: () => Math.floor(Date.now() / 1000),
  };
}

function redisBackend(): Backend & { server?: RedisServer; redis?: Redis } {
  const backend: Backend & { server?: RedisServer; redis?: Redis } = {
    async start() {
      backend.server = await startRedis();
      backend.redis = createRedisClient({ url: backend.server.url, key_prefix: 'test:' });
    },
    async stop() {
      await backend.redis?.quit();
      await backend.server?.stop();
    },
    async fresh() {
      const redis = backend.redis;
      if (!redis) throw new Error('start() first');
      await redis.flushall();
      return redisHarness(redis);
    },
  };
  return backend;
}

/** The same contract on a 3-master, 3-replica Redis Cluster: every script on one slot. */
function clusterBackend(): Backend {
  let cluster: RedisCluster | undefined;
  let redis: RedisClient | undefined;
  return {
    async start() {
      cluster = await startRedisCluster();
      redis = createRedisClient({ cluster: { nodes: cluster.nodes }, key_prefix: 'test:' });
      // dataNodes() lists the masters once the client has read the slot map.
      await once(redis, 'ready');
    },
    async stop() {
      await redis?.quit();
      await cluster?.stop();
    },
    async fresh() {
      if (!redis) throw new Error('start() first');
      await Promise.all(dataNodes(redis).map((node) => node.flushall()));
      return redisHarness(redis);
    },
  };
}

/**
 * The same contract through Sentinel (a master, its replica, three sentinels): the client asks the
 * sentinels for the master, as `store.redis.sentinel` configures it.
 */
function sentinelBackend(): Backend {
  let group: RedisSentinelGroup | undefined;
  let redis: RedisClient | undefined;
  return {
    async start() {
      group = await startRedisSentinel();
      redis = createRedisClient({ sentinel: { name: group.name, nodes: group.nodes }, key_prefix: 'test:' });
      await once(redis, 'ready');
    },
    async stop() {
      await redis?.quit();
      await group?.stop();
    },
    async fresh() {
      if (!redis) throw new Error('start() first');
      // The client is on the master the sentinels name, not on its replica.
      const [role] = (await redis.call('ROLE')) as [string];
      if (role !== 'master') throw new Error(`the sentinel client is on a ${role}`);
      await redis.flushall();
      return redisHarness(redis);
    },
  };
}

/** The key expires in `seconds` + clock tolerance, give or take the second that may have passed. */
async function expectTtl(h: Harness, key: string, seconds: number): Promise<void> {
  const ttl = await h.ttl(key);
  expect(ttl).toBeGreaterThanOrEqual(seconds + TOLERANCE - 1);
  expect(ttl).toBeLessThanOrEqual(seconds + TOLERANCE);
}

function contract(name: string, backend: Backend): void {
  describe(`${name} adapter contract`, () => {
    let h: Harness;
    beforeAll(() => backend.start());
    afterAll(() => backend.stop());
    beforeEach(async () => {
      h = await backend.fresh();
    });

    it('round-trips payloads of many models, including unknown ones', async () => {
      for (const model of ['Session', 'AccessToken', 'AuthorizationCode', 'Client', 'Grant', 'Custom']) {
        const payload = token({ kind: model, scope: `openid ${model}`, extra: { nested: [1, 'two'] } });
        await new h.Adapter(model).upsert(`id-${model}`, payload, 60);
        expect(await new h.Adapter(model).find(`id-${model}`)).toEqual(payload);
      }
      // Same id under another model is another record.
      expect(await new h.Adapter('RefreshToken').find('id-AccessToken')).toBeUndefined();
    });

    it('answers undefined for unknown ids, uids and user codes', async () => {
      expect(await new h.Adapter('AccessToken').find('nope')).toBeUndefined();
      expect(await new h.Adapter('RefreshToken').find('nope')).toBeUndefined();
      expect(await new h.Adapter('Session').findByUid('nope')).toBeUndefined();
      expect(await new h.Adapter('DeviceCode').findByUserCode('nope')).toBeUndefined();
    });

    it('keeps records for expiresIn + clock tolerance, indexes alike, and forever without expiresIn', async () => {
      await new h.Adapter('Session').upsert('s1', { uid: 'u1', accountId: 'alice' }, 300);
      await expectTtl(h, 'Session:s1', 300);
      await expectTtl(h, 'uid:Session:u1', 300);
      await new h.Adapter('RefreshToken').upsert('r1', token(), 60);
      await expectTtl(h, 'RefreshToken:r1', 60);
      // A later upsert without expiresIn removes the expiry rather than keeping the old one.
      await new h.Adapter('RefreshToken').upsert('r1', token());
      await new h.Adapter('Client').upsert('c1', { client_id: 'c1' });
      expect(await h.ttl('RefreshToken:r1')).toBe(-1);
      expect(await h.ttl('Client:c1')).toBe(-1);
    });

    for (const model of CONSUMABLE_MODELS) {
      it(`consume() stamps ${model} with epoch seconds`, async () => {
        const adapter = new h.Adapter(model);
        await adapter.upsert('x1', token({ kind: model }), 60);
        expect((await adapter.find('x1'))?.consumed).toBeUndefined();
        const before = h.nowSeconds();
        await adapter.consume('x1');
        const found = await adapter.find('x1');
        expect(found).toMatchObject({ ...token({ kind: model }), consumed: expect.any(Number) });
        expect(found?.consumed).toBeGreaterThanOrEqual(before);
        expect(found?.consumed).toBeLessThanOrEqual(h.nowSeconds());
      });
    }

    it('consumes once: 20 concurrent consumes and later ones keep the first stamp', async () => {
      const adapter = new h.Adapter('AuthorizationCode');
      await adapter.upsert('c1', token({ kind: 'AuthorizationCode', grantId: 'g1' }), 60);
      await Promise.all(Array.from({ length: 20 }, () => adapter.consume('c1')));
      const first = (await adapter.find('c1'))?.consumed;
      expect(typeof first).toBe('number');
      await h.setConsumed('AuthorizationCode:c1', 1234);
      await adapter.consume('c1');
      expect((await adapter.find('c1'))?.consumed).toBe(1234);
      // A re-save of a consumed code (a request that loaded it earlier) must not make it reusable.
      await adapter.upsert('c1', token({ kind: 'AuthorizationCode', grantId: 'g1' }), 60);
      expect((await adapter.find('c1'))?.consumed).toBe(1234);
    });

    it('consume() of a missing id creates nothing; non-consumable models refuse', async () => {
      await new h.Adapter('RefreshToken').consume('ghost');
      expect(await h.exists('RefreshToken:ghost')).toBe(false);
      expect(await new h.Adapter('RefreshToken').find('ghost')).toBeUndefined();
      await expect(new h.Adapter('AccessToken').consume('a1')).rejects.toThrow(TypeError);
    });

    it('a save racing a consume never un-consumes, and re-saves keep the first stamp', async () => {
      const codes = new h.Adapter('AuthorizationCode');
      const code = token({ kind: 'AuthorizationCode', jti: 'c1', grantId: 'g1' });
      await codes.upsert('c1', code, 60);
      // Run in issue order: consume first, a save last.
      await Promise.all(
        Array.from({ length: 40 }, (_v, i) => (i % 2 ? codes.upsert('c1', code, 60) : codes.consume('c1'))),
      );
      const first = (await codes.find('c1'))?.consumed;
      expect(first).toEqual(expect.any(Number));
      await h.setConsumed('AuthorizationCode:c1', 1234);
      // A stale copy carrying a `consumed` of its own does not replace the stamp.
      await codes.upsert('c1', { ...code, consumed: 1 }, 60);
      expect(await codes.find('c1')).toEqual({ ...code, consumed: 1234 });
    });

    it('consume() and later saves of the smallest payloads: {} and kind + jti only', async () => {
      const tokens = new h.Adapter('RefreshToken');
      await tokens.upsert('empty', {}, 60);
      await tokens.consume('empty');
      const stamp = (await tokens.find('empty'))?.consumed;
      expect(await tokens.find('empty')).toEqual({ consumed: expect.any(Number) });
      await tokens.upsert('empty', {}, 60);
      expect(await tokens.find('empty')).toEqual({ consumed: stamp });

      const bare = { kind: 'RefreshToken', jti: 'bare' };
      await tokens.upsert('bare', bare, 60);
      await tokens.consume('bare');
      expect(await tokens.find('bare')).toEqual({ ...bare, consumed: expect.any(Number) });
      await tokens.upsert('bare', bare, 60);
      await h.setConsumed('RefreshToken:bare', 1234);
      expect(await tokens.find('bare')).toEqual({ ...bare, consumed: 1234 });
    });

    it("consume() keeps the record's expiry; a record without one stays without", async () => {
      const codes = new h.Adapter('AuthorizationCode');
      await codes.upsert('c1', token(), 60);
      await codes.consume('c1');
      await expectTtl(h, 'AuthorizationCode:c1', 60);
      await codes.upsert('c2', token());
      await codes.consume('c2');
      expect(await h.ttl('AuthorizationCode:c2')).toBe(-1);
      // A later save sets the expiry it asks for, and stays consumed.
      await codes.upsert('c1', token(), 300);
      await expectTtl(h, 'AuthorizationCode:c1', 300);
      expect((await codes.find('c1'))?.consumed).toEqual(expect.any(Number));
    });

    it('gives back kind and jti as saved on every read path, and adds neither where absent', async () => {
      const session = { iat: 1, exp: 2, kind: 'Session', jti: 's1', uid: 'u1', accountId: 'alice' };
      await new h.Adapter('Session').upsert('s1', session, 60);
      expect(await new h.Adapter('Session').find('s1')).toEqual(session);
      expect(await new h.Adapter('Session').findByUid('u1')).toEqual(session);

      const devices = new h.Adapter('DeviceCode');
      const device = token({ kind: 'DeviceCode', jti: 'd1', userCode: 'UC1' });
      await devices.upsert('d1', device, 60);
      expect(await devices.findByUserCode('UC1')).toEqual(device);
      await devices.consume('d1');
      expect(await devices.findByUserCode('UC1')).toEqual({ ...device, consumed: expect.any(Number) });
      expect(await devices.find('d1')).toEqual({ ...device, consumed: expect.any(Number) });

      // Another model's kind, another id's jti, one of the two, or neither: kept exactly as given.
      const tokens = new h.Adapter('AccessToken');
      const given: [string, AdapterPayload][] = [
        ['a1', token({ kind: 'RefreshToken', jti: 'a1' })],
        ['a2', token({ kind: 'AccessToken', jti: 'elsewhere' })],
        ['a3', token({ jti: 'a3' })],
        ['a4', token({ kind: 'AccessToken' })],
        ['a5', token()],
      ];
      for (const [id, payload] of given) {
        await tokens.upsert(id, payload, 60);
        expect(await tokens.find(id)).toStrictEqual(payload);
      }
      await new h.Adapter('Client').upsert('c1', { client_id: 'c1' });
      expect(await new h.Adapter('Client').find('c1')).toStrictEqual({ client_id: 'c1' });
    });

    it('finds sessions by uid and device codes by user code', async () => {
      const session = { uid: 'u1', accountId: 'alice', loginTs: 5 };
      await new h.Adapter('Session').upsert('s1', session, 300);
      expect(await new h.Adapter('Session').findByUid('u1')).toEqual(session);

      const device = new h.Adapter('DeviceCode');
      await device.upsert('d1', token({ kind: 'DeviceCode', userCode: 'ABCD-EFGH', grantId: 'g1' }), 600);
      expect(await device.findByUserCode('ABCD-EFGH')).toMatchObject({ userCode: 'ABCD-EFGH' });
      await device.consume('d1');
      expect(await device.findByUserCode('ABCD-EFGH')).toMatchObject({ consumed: expect.any(Number) });
    });

    it('a stale uid index does not resolve to a record that changed its uid', async () => {
      const sessions = new h.Adapter('Session');
      await sessions.upsert('s1', { uid: 'u1' }, 300);
      await sessions.upsert('s1', { uid: 'u2' }, 300);
      expect(await sessions.findByUid('u1')).toBeUndefined();
      expect(await sessions.findByUid('u2')).toEqual({ uid: 'u2' });
    });

    it('destroy() removes the record, its uid index and its grant membership', async () => {
      const sessions = new h.Adapter('Session');
      await sessions.upsert('s1', { uid: 'u1' }, 300);
      await sessions.destroy('s1');
      expect(await sessions.find('s1')).toBeUndefined();
      expect(await sessions.findByUid('u1')).toBeUndefined();
      expect(await h.exists('uid:Session:u1')).toBe(false);

      const tokens = new h.Adapter('AccessToken');
      await tokens.upsert('a1', token({ grantId: 'g1' }), 60);
      await tokens.upsert('a2', token({ grantId: 'g1' }), 60);
      await tokens.destroy('a1');
      expect(await h.grantMembers('g1')).toEqual(['AccessToken:a2']);
      await tokens.destroy('a2');
      expect(await h.exists('grant:g1')).toBe(false);

      const devices = new h.Adapter('DeviceCode');
      await devices.upsert('d1', token({ userCode: 'WXYZ' }), 60);
      await devices.destroy('d1');
      expect(await devices.findByUserCode('WXYZ')).toBeUndefined();
      expect(await h.exists('userCode:DeviceCode:WXYZ')).toBe(false);
    });

    it('destroying a regenerated session keeps the uid index of its successor', async () => {
      const sessions = new h.Adapter('Session');
      await sessions.upsert('old', { uid: 'u1', accountId: 'a' }, 300);
      await sessions.upsert('new', { uid: 'u1', accountId: 'b' }, 300);
      await sessions.destroy('old');
      expect(await sessions.findByUid('u1')).toEqual({ uid: 'u1', accountId: 'b' });
    });

    it('revokeByGrantId() deletes every token of that grant and nothing of another', async () => {
      await new h.Adapter('AccessToken').upsert('a1', token({ grantId: 'g1' }), 60);
      await new h.Adapter('RefreshToken').upsert('r1', token({ grantId: 'g1' }), 600);
      await new h.Adapter('AuthorizationCode').upsert('c1', token({ grantId: 'g1' }), 60);
      await new h.Adapter('DeviceCode').upsert('d1', token({ grantId: 'g1', userCode: 'UC1' }), 60);
      await new h.Adapter('AccessToken').upsert('a2', token({ grantId: 'g2' }), 60);
      await new h.Adapter('RefreshToken').upsert('r2', token({ grantId: 'g2' }), 600);

      await new h.Adapter('AccessToken').revokeByGrantId('g1');

      expect(await new h.Adapter('AccessToken').find('a1')).toBeUndefined();
      expect(await new h.Adapter('RefreshToken').find('r1')).toBeUndefined();
      expect(await new h.Adapter('AuthorizationCode').find('c1')).toBeUndefined();
      expect(await new h.Adapter('DeviceCode').findByUserCode('UC1')).toBeUndefined();
      expect(await h.exists('grant:g1')).toBe(false);
      expect(await new h.Adapter('AccessToken').find('a2')).toMatchObject({ grantId: 'g2' });
      expect(await new h.Adapter('RefreshToken').find('r2')).toMatchObject({ grantId: 'g2' });
      expect((await h.grantMembers('g2')).sort()).toEqual(['AccessToken:a2', 'RefreshToken:r2']);
    });

    it('revokeByGrantId() deletes every member of a grant larger than one delete batch (1000)', async () => {
      const tokens = new h.Adapter('AccessToken');
      const ids = Array.from({ length: 2001 }, (_v, i) => `a${i}`);
      await Promise.all(ids.map((id) => tokens.upsert(id, token({ grantId: 'g1' }), 60)));
      expect(await h.grantMembers('g1')).toHaveLength(2001);
      await tokens.revokeByGrantId('g1');
      const left = await Promise.all(ids.map((id) => h.exists(`AccessToken:${id}`)));
      expect(left.filter(Boolean)).toHaveLength(0);
      expect(await h.exists('grant:g1')).toBe(false);
    });

    it('keeps the grant index bounded: one entry per token, expired members trimmed', async () => {
      const tokens = new h.Adapter('AccessToken');
      for (let i = 0; i < 50; i += 1) await tokens.upsert('a1', token({ grantId: 'g1' }), 60);
      expect(await h.grantMembers('g1')).toEqual(['AccessToken:a1']);

      await h.addExpiredGrantMember('g1', 'AccessToken:long-gone');
      await tokens.upsert('a2', token({ grantId: 'g1' }), 60);
      expect((await h.grantMembers('g1')).sort()).toEqual(['AccessToken:a1', 'AccessToken:a2']);
    });

    it('expires the grant index with its longest-lived token', async () => {
      await new h.Adapter('AccessToken').upsert('a1', token({ grantId: 'g1' }), 100);
      await new h.Adapter('RefreshToken').upsert('r1', token({ grantId: 'g1' }), 1000);
      await expectTtl(h, 'grant:g1', 1000);
      // Re-saved with a shorter life: the index follows the new maximum.
      await new h.Adapter('RefreshToken').upsert('r1', token({ grantId: 'g1' }), 50);
      await expectTtl(h, 'grant:g1', 100);
      // A member without expiry keeps the index forever.
      await new h.Adapter('Custom').upsert('forever', { grantId: 'g1' });
      expect(await h.ttl('grant:g1')).toBe(-1);
    });

    it('a record saved with a grant, then without (or the other way), is found as last saved', async () => {
      const interactions = new h.Adapter('Interaction');
      await interactions.upsert('i1', { grantId: 'g1', step: 1 }, 60);
      expect(await interactions.find('i1')).toEqual({ grantId: 'g1', step: 1 });
      await interactions.upsert('i1', { step: 2 }, 60);
      expect(await interactions.find('i1')).toEqual({ step: 2 });
      const devices = new h.Adapter('DeviceCode');
      await devices.upsert('d1', token({ userCode: 'UC9' }), 60);
      await devices.upsert('d1', token({ userCode: 'UC9', grantId: 'g1' }), 60);
      expect(await devices.findByUserCode('UC9')).toMatchObject({ grantId: 'g1' });
      await devices.revokeByGrantId('g1');
      expect(await devices.find('d1')).toBeUndefined();
    });

    it('hands out copies: mutating a payload changes nothing stored', async () => {
      const adapter = new h.Adapter('Session');
      const payload = { uid: 'u1', accountId: 'alice', amr: ['pwd'] };
      await adapter.upsert('s1', payload, 60);
      payload.amr.push('otp');
      const found = await adapter.find('s1');
      expect(found?.amr).toEqual(['pwd']);
      found?.amr?.push('hwk');
      const byUid = await adapter.findByUid('u1');
      expect(byUid?.amr).toEqual(['pwd']);
      byUid?.amr?.push('sms');
      expect((await adapter.find('s1'))?.amr).toEqual(['pwd']);
    });
  });
}

const memory = memoryBackend();
contract('memory', memory);
contract('redis', redisBackend());
contract('redis cluster', clusterBackend());
contract('redis sentinel', sentinelBackend());

describe('memory adapter clock', () => {
  it('hides records once expiresIn + tolerance has passed, and sweeps them from the map', async () => {
    const h = await memory.fresh();
    await new h.Adapter('Session').upsert('s1', { uid: 'u1' }, 60);
    await new h.Adapter('AccessToken').upsert('a1', token({ grantId: 'g1' }), 60);
    memory.clock.now += (60 + TOLERANCE - 1) * 1000;
    expect(await new h.Adapter('Session').findByUid('u1')).toEqual({ uid: 'u1' });
    memory.clock.now += 1000;
    expect(await new h.Adapter('Session').find('s1')).toBeUndefined();
    expect(await new h.Adapter('Session').findByUid('u1')).toBeUndefined();
    expect(await new h.Adapter('AccessToken').find('a1')).toBeUndefined();
    // The next write after the sweep interval drops every expired entry.
    memory.clock.now += 120_000;
    await new h.Adapter('Client').upsert('c1', { client_id: 'c1' });
    expect([...(h.Adapter as MemoryAdapterConstructor).storage.keys()]).toEqual(['Client:c1']);
  });
});
