// One contract for both account stores: the Redis one on a real redis-server, on a Redis Cluster
// and through Sentinel, and memory.
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryAccountStore } from '../../adapters/memory-accounts.ts';
import { createRedisAccountStore } from '../../adapters/redis-accounts.ts';
import { createRedisClient, type RedisClient } from '../../adapters/redis-client.ts';
import { accountKeys } from '../../adapters/redis-layout.ts';
import type { AccountStore } from '../../src/accounts/types.ts';
import { AccountError } from '../../src/errors.ts';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts';
import { type RedisSentinelGroup, startRedisSentinel } from '../helpers/redis-sentinel.ts';
import { startRedis } from '../helpers/redis-server.ts';

let redisServer: Awaited<ReturnType<typeof startRedis>>;
let redis: Redis;
let cluster: RedisCluster;
let clusterClient: RedisClient;
let sentinel: RedisSentinelGroup;
let sentinelClient: RedisClient;
let prefixes = 0;

beforeAll(async () => {
  [redisServer, cluster, sentinel] = await Promise.all([
    startRedis(),
    startRedisCluster(),
    startRedisSentinel(),
  ]);
  redis = new Redis(redisServer.url);
  clusterClient = createRedisClient({ cluster: { nodes: cluster.nodes }, key_prefix: '' });
  sentinelClient = createRedisClient({
    sentinel: { name: sentinel.name, nodes: sentinel.nodes },
    key_prefix: '',
  });
  await Promise.all([once(clusterClient, 'ready'), once(sentinelClient, 'ready')]);
});

afterAll(async () => {
  await redis?.quit();
  await clusterClient?.quit();
  await sentinelClient?.quit();
  await redisServer?.stop();
  await cluster?.stop();
  await sentinel?.stop();
});

const stores: [string, () => AccountStore][] = [
  ['memory', () => createMemoryAccountStore()],
  ['redis', () => createRedisAccountStore(redis, { keyPrefix: `acct${prefixes++}:` })],
  ['redis cluster', () => createRedisAccountStore(clusterClient, { keyPrefix: `acct${prefixes++}:` })],
  ['redis sentinel', () => createRedisAccountStore(sentinelClient, { keyPrefix: `acct${prefixes++}:` })],
];

describe.each(stores)('%s account store', (_name, make) => {
  it('creates, finds by id and by username (case- and width-insensitive)', async () => {
    const store = make();
    const created = await store.create({
      username: 'Alice',
      password_hash: 'h1',
      email: 'a@example.com',
      groups: ['x'],
    });
    expect(created).toMatchObject({
      username: 'alice',
      email: 'a@example.com',
      groups: ['x'],
      disabled: false,
    });
    expect(created).not.toHaveProperty('password_hash');
    expect(await store.findById(created.id)).toMatchObject({ id: created.id, password_hash: 'h1' });
    expect((await store.findByUsername('ALICE'))?.id).toBe(created.id);
    // Full-width "ａｌｉｃｅ" folds to "alice" under NFKC.
    expect((await store.findByUsername('\uff41\uff4c\uff49\uff43\uff45'))?.id).toBe(created.id);
    expect(await store.findByUsername('bob')).toBeUndefined();
    expect(await store.findById('nope')).toBeUndefined();
  });

  it('refuses a second account with the same username', async () => {
    const store = make();
    await store.create({ username: 'carol', password_hash: 'h' });
    const err = await store.create({ username: 'CAROL', password_hash: 'h' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountError);
    expect((err as AccountError).code).toBe('account_exists');
    expect(await store.count()).toBe(1);
  });

  it('keeps exactly one account when the same username is created concurrently', async () => {
    const store = make();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => store.create({ username: 'race', password_hash: 'h' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await store.count()).toBe(1);
  });

  it('updates only the given fields, removes undefined ones, and bumps updated_at', async () => {
    const store = make();
    const a = await store.create({ username: 'dan', password_hash: 'h', phone: '+15551234567', name: 'Dan' });
    const updated = await store.update(a.id, { disabled: true, phone: undefined, groups: ['ops'] });
    expect(updated).toMatchObject({ disabled: true, name: 'Dan', groups: ['ops'] });
    expect(updated.phone).toBeUndefined();
    const record = await store.findById(a.id);
    expect(record?.password_hash).toBe('h');
    expect(record?.phone).toBeUndefined();
    expect(record?.disabled).toBe(true);
    await expect(store.update('missing', { disabled: true })).rejects.toMatchObject({
      code: 'account_not_found',
    });
  });

  it('lists accounts sorted by username without hashes', async () => {
    const store = make();
    for (const u of ['zed', 'amy', 'kim']) await store.create({ username: u, password_hash: 'h' });
    const list = await store.list();
    expect(list.map((a) => a.username)).toEqual(['amy', 'kim', 'zed']);
    expect(list.every((a) => !('password_hash' in a))).toBe(true);
    expect(await store.count()).toBe(3);
  });

  it('delete removes the account and frees its username, once', async () => {
    const store = make();
    const gone = await store.create({ username: 'Fay', password_hash: 'h', email: 'f@example.com' });
    const kept = await store.create({ username: 'gus', password_hash: 'h' });
    expect(await store.delete(gone.id)).toBe(true);
    expect(await store.findById(gone.id)).toBeUndefined();
    expect(await store.findByUsername('fay')).toBeUndefined();
    expect((await store.list()).map((a) => a.username)).toEqual(['gus']);
    expect(await store.count()).toBe(1);
    expect(await store.delete(gone.id)).toBe(false);
    expect(await store.delete('missing')).toBe(false);
    await expect(store.update(gone.id, { disabled: true })).rejects.toMatchObject({
      code: 'account_not_found',
    });
    // The name is free again, for a new account with a new id; the other account is untouched.
    const again = await store.create({ username: 'FAY', password_hash: 'h2' });
    expect(again.id).not.toBe(gone.id);
    expect(again.email).toBeUndefined();
    expect((await store.findByUsername('fay'))?.id).toBe(again.id);
    expect((await store.findById(kept.id))?.username).toBe('gus');
  });

  it('returns copies, not live references', async () => {
    const store = make();
    const a = await store.create({ username: 'eve', password_hash: 'h', groups: ['g'] });
    const found = await store.findById(a.id);
    found?.groups.push('mutated');
    expect((await store.findById(a.id))?.groups).toEqual(['g']);
  });
});

describe('redis account store across slots', () => {
  it('a username whose account is gone (a crash between the two steps) is free again, once', async () => {
    const prefix = `acct${prefixes++}:`;
    const store = createRedisAccountStore(clusterClient, { keyPrefix: prefix });
    const old = await store.create({ username: 'dora', password_hash: 'h' });
    // What a delete cut short after removing the account leaves: the username entry alone.
    await clusterClient.del(accountKeys(prefix).account(old.id));
    expect(await store.findByUsername('dora')).toBeUndefined();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => store.create({ username: 'dora', password_hash: 'h2' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await store.findByUsername('dora'))?.id).not.toBe(old.id);
    expect(await store.list()).toHaveLength(1);
  });
});
