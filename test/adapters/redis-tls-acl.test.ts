// TLS (`rediss://`, `tls`) and ACL users in the modes of store.redis, against real servers that
// accept nothing else: a TLS-only server and a TLS-only Redis Cluster whose default user is off.
// The client comes from the configuration block as an operator writes it.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAdapter } from '../../adapters/redis.ts';
import { checkRedis, createRedisClient, type RedisClient } from '../../adapters/redis-client.ts';
import { ensureLayout } from '../../adapters/redis-layout-version.ts';
import { redisSchema } from '../../src/config/schema-redis.ts';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts';
import { type RedisSentinelGroup, startRedisSentinel } from '../helpers/redis-sentinel.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls.ts';

const USER = { username: 'tollgate', password: 's3cret-acl-password' };

let certs: TestCertificates;
const clients: RedisClient[] = [];
/** Connection errors each client reported (the command itself only says it gave up). */
const errors = new Map<RedisClient, string[]>();

function client(block: unknown): RedisClient {
  const redis = createRedisClient(redisSchema.parse(block), { lazyConnect: true });
  errors.set(redis, []);
  redis.on('error', (err: Error) => errors.get(redis)?.push(err.message));
  clients.push(redis);
  return redis;
}

/** `redis` cannot serve, and reported a connection error matching `why`. */
async function expectRefused(redis: RedisClient, why: RegExp): Promise<void> {
  await expect(checkRedis(redis)).rejects.toThrow();
  expect(errors.get(redis)?.join('\n')).toMatch(why);
}

/** A record written and read back through the adapter, and the layout check, over `redis`. */
async function expectWorks(redis: RedisClient, prefix: string): Promise<void> {
  await checkRedis(redis);
  await ensureLayout(redis, prefix);
  const sessions = new (createRedisAdapter(redis, { keyPrefix: prefix }))('Session');
  await sessions.upsert('s1', { uid: 'u1', accountId: 'alice' }, 60);
  expect(await sessions.findByUid('u1')).toEqual({ uid: 'u1', accountId: 'alice' });
  const tokens = new (createRedisAdapter(redis, { keyPrefix: prefix }))('AccessToken');
  await tokens.upsert('a1', { grantId: 'g1' }, 60);
  await tokens.revokeByGrantId('g1');
  expect(await tokens.find('a1')).toBeUndefined();
}

beforeAll(() => {
  certs = makeTestCertificates();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
});

describe('one server: TLS only, an ACL user only', () => {
  let server: RedisServer;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const probe = async (p: number) => {
      const c = new Redis({
        port: p,
        ...USER,
        tls: { ca: readFileSync(certs.ca) },
        lazyConnect: true,
        retryStrategy: () => null,
      });
      c.on('error', () => {});
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        c.disconnect();
      }
    };
    server = await startRedis({
      port,
      args: [
        ...['--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no'],
        ...['--tls-cert-file', certs.cert, '--tls-key-file', certs.key, '--tls-ca-cert-file', certs.ca],
        ...[
          '--user',
          'default',
          'off',
          '--user',
          USER.username,
          'on',
          `>${USER.password}`,
          '~*',
          '&*',
          '+@all',
        ],
      ],
      ready: probe,
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('works over rediss:// with the ACL user in the URL and the CA in tls', async () => {
    const url = `rediss://${USER.username}:${USER.password}@localhost:${port}/0`;
    await expectWorks(client({ url, tls: { ca_file: certs.ca }, key_prefix: 'tls:' }), 'tls:');
  });

  it('is refused without the CA, with a wrong password, and without TLS', async () => {
    const good = `${USER.username}:${USER.password}@localhost:${port}`;
    await expectRefused(client({ url: `rediss://${good}` }), /certificate/);
    await expectRefused(
      client({ url: `rediss://${USER.username}:wrong@localhost:${port}`, tls: { ca_file: certs.ca } }),
      /WRONGPASS/,
    );
    await expect(checkRedis(client({ url: `redis://${good}` }))).rejects.toThrow();
    expect(() => redisSchema.parse({ url: `redis://${good}`, tls: true })).toThrow(
      /tls needs a rediss:\/\/ url/,
    );
  });
});

describe('a Redis Cluster: TLS only (clients, replication, bus), an ACL user only', () => {
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ auth: USER, tls: certs });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('works with cluster nodes, the ACL user and tls options', async () => {
    const redis = client({
      cluster: { nodes: cluster.nodes, ...USER },
      tls: { ca_file: certs.ca },
      key_prefix: 'tlsc:',
    });
    await redis.connect();
    await expectWorks(redis, 'tlsc:');
  });

  it('does not become ready with a wrong password', async () => {
    const redis = client({
      cluster: { nodes: cluster.nodes, username: USER.username, password: 'wrong' },
      tls: true,
      key_prefix: 'tlsc:',
    });
    redis.connect().catch(() => {});
    await expect(checkRedis(redis)).rejects.toThrow();
  });
});

describe('Sentinel: TLS only, an ACL user only, on the data nodes and the sentinels', () => {
  let group: RedisSentinelGroup;

  beforeAll(async () => {
    group = await startRedisSentinel({ auth: USER, tls: certs });
  });
  afterAll(async () => {
    await group?.stop();
  });

  it('works with sentinel nodes, both ACL users and tls options', async () => {
    const redis = client({
      sentinel: {
        name: group.name,
        nodes: group.nodes,
        ...USER,
        sentinel_username: USER.username,
        sentinel_password: USER.password,
      },
      tls: { ca_file: certs.ca },
      key_prefix: 'tlss:',
    });
    await redis.connect();
    await expectWorks(redis, 'tlss:');
  });
});
