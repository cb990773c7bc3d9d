import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAdapter } from '../../adapters/redis.ts';
import { createRedisAccountStore } from '../../adapters/redis-accounts.ts';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { createRedisCredentialStore } from '../../adapters/redis-credentials.ts';
import { layoutKey } from '../../adapters/redis-layout.ts';
import { ensureLayout, isLayout1Key } from '../../adapters/redis-layout-version.ts';
import { StoreLayoutError } from '../../src/errors.ts';
import { createRedisAdapter as createLayout1Adapter } from '../fixtures/layout-1/redis.ts';
import { createRedisAccountStore as createLayout1Accounts } from '../fixtures/layout-1/redis-accounts.ts';
import { createRedisCredentialStore as createLayout1Credentials } from '../fixtures/layout-1/redis-credentials.ts';
import { cleanEnv, type Run, runTollgate } from '../helpers/cli.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';

/*
 * `tollgate store migrate`: a store written by the layout 1 code (a frozen copy of it in
 * test/fixtures/layout-1/) is refused at start, listed by a dry run that writes nothing, moved
 * by --apply, and then read back whole by today's stores; a store of a newer layout is refused
 * by the server, the users commands and the migration alike.
 */

const PREFIX = 'tollgate:';

let redis: RedisServer;
let client: Redis;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  redis = await startRedis();
  client = createRedisClient({ url: redis.url, key_prefix: PREFIX });
  dir = mkdtempSync(join(tmpdir(), 'tollgate-migrate-'));
  const config = join(dir, 'tollgate.yaml');
  writeFileSync(
    config,
    [
      'issuer: http://127.0.0.1:3999',
      'cookies:',
      '  keys: ["migrate-test-cookie-key-0123456789abcdef"]',
      'store:',
      '  redis:',
      `    url: ${redis.url}`,
      '',
    ].join('\n'),
  );
  env = { ...cleanEnv(), TOLLGATE_CONFIG: config, PORT: '0' };
});

afterAll(async () => {
  await client?.quit();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every key and its value, to show a dry run wrote nothing. */
async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of (await client.keys('*')).sort())
    out[key] = (await client.dumpBuffer(key))?.toString('hex') ?? '';
  return out;
}

function expectRefused(r: Run, code: number, says: string) {
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code, stderr: expect.stringContaining(says) });
  expect(r.stderr).toMatch(/^tollgate: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** What layout 1 wrote for one signed-in user: account, factor, session, grant, code and tokens. */
async function writeLayout1() {
  const Old = createLayout1Adapter(client, { keyPrefix: PREFIX });
  const account = await createLayout1Accounts(client, { keyPrefix: PREFIX }).create({
    username: 'alice',
    password_hash: '$argon2id$fake',
    email: 'alice@example.com',
    groups: ['admins'],
  });
  const credential = await createLayout1Credentials(client, { keyPrefix: PREFIX }).create({
    account_id: account.id,
    factor: 'totp',
    label: 'phone',
    data: { secret: 'encrypted' },
  });
  const common = { accountId: account.id, clientId: 'app', iat: 1, exp: 2 };
  await new Old('Session').upsert('s1', { ...common, kind: 'Session', jti: 's1', uid: 'u1' }, 600);
  await new Old('Grant').upsert('g1', { ...common, kind: 'Grant', jti: 'g1' }, 600);
  await new Old('AuthorizationCode').upsert(
    'c1',
    { ...common, kind: 'AuthorizationCode', jti: 'c1', grantId: 'g1' },
    60,
  );
  await new Old('AuthorizationCode').consume('c1');
  await new Old('AccessToken').upsert(
    'a1',
    { ...common, kind: 'AccessToken', jti: 'a1', grantId: 'g1' },
    300,
  );
  await new Old('RefreshToken').upsert(
    'r1',
    { ...common, kind: 'RefreshToken', jti: 'r1', grantId: 'g1' },
    900,
  );
  await new Old('DeviceCode').upsert('d1', { clientId: 'app', userCode: 'ABCD-EFGH' }, 600);
  await new Old('Client').upsert('dyn', { client_id: 'dyn' });
  // State whose names did not change, and keys that are not tollgate's at all.
  await client.set(`${PREFIX}kv:pending:x`, '{}', 'EX', 600);
  await client.set(`${PREFIX}rl:mfa-account:${account.id}`, '3', 'EX', 600);
  await client.hset(`${PREFIX}AccessToken:pre-release`, 'payload', '{}');
  await client.set('other-app:thing', 'left alone');
  return { account, credential };
}

describe('a store in layout 1', () => {
  let written: Awaited<ReturnType<typeof writeLayout1>>;
  beforeAll(async () => {
    written = await writeLayout1();
  });

  it('is refused at start and by the users commands, which name the migration', async () => {
    await expect(ensureLayout(client, PREFIX)).rejects.toMatchObject({ code: 'layout_older', found: 1 });
    await expect(ensureLayout(client, PREFIX)).rejects.toBeInstanceOf(StoreLayoutError);
    expectRefused(await runTollgate(['serve'], { env }), 1, 'tollgate store migrate');
    expectRefused(await runTollgate(['users', 'list'], { env }), 1, 'has key layout 1');
    expect(await client.exists(layoutKey(PREFIX))).toBe(0);
  });

  it('a dry run lists what would move and writes nothing', async () => {
    const before = await snapshot();
    const r = await runTollgate(['store', 'migrate'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('key prefix "tollgate:": no layout version (layout 1)');
    expect(r.stdout).toMatch(/grant record: 3\n/);
    expect(r.stdout).toMatch(/ record: 3\n/);
    expect(r.stdout).toMatch(/account: 1\n/);
    expect(r.stdout).toMatch(/credentials: 1\n/);
    expect(r.stdout).toContain(
      '1 key(s) in no known layout, left as they are:\n  tollgate:AccessToken:pre-release',
    );
    expect(r.stdout).toContain('dry run: nothing written');
    expect(await snapshot()).toEqual(before);
  });

  it('--apply moves every key, keeps lifetimes and consumed stamps, and tollgate reads it all', async () => {
    const ttlBefore = await client.pttl(`${PREFIX}RefreshToken:r1`);
    const r = await runTollgate(['store', 'migrate', '--apply'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('layout 2 recorded');
    await ensureLayout(client, PREFIX);
    expect((await client.keys(`${PREFIX}*`)).filter((k) => isLayout1Key(PREFIX, k))).toEqual([
      `${PREFIX}AccessToken:pre-release`,
    ]);

    const Adapter = createRedisAdapter(client, { keyPrefix: PREFIX });
    const accounts = createRedisAccountStore(client, { keyPrefix: PREFIX });
    const credentials = createRedisCredentialStore(client, { keyPrefix: PREFIX });
    expect(await accounts.findByUsername('alice')).toMatchObject({
      id: written.account.id,
      groups: ['admins'],
    });
    expect(await credentials.list(written.account.id)).toEqual([written.credential]);
    expect(await new Adapter('Session').findByUid('u1')).toMatchObject({
      jti: 's1',
      accountId: written.account.id,
    });
    expect(await new Adapter('AuthorizationCode').find('c1')).toMatchObject({
      grantId: 'g1',
      consumed: expect.any(Number),
    });
    expect(await new Adapter('DeviceCode').findByUserCode('ABCD-EFGH')).toMatchObject({ clientId: 'app' });
    expect(await new Adapter('Client').find('dyn')).toEqual({ client_id: 'dyn' });
    expect((await Adapter.listByAccount(written.account.id)).map((e) => e.id).sort()).toEqual(['g1', 's1']);
    const refresh = await client.pttl(`${PREFIX}RefreshToken:{g1}:r1`);
    expect(refresh).toBeGreaterThan(ttlBefore - 30_000);
    expect(refresh).toBeLessThanOrEqual(ttlBefore);
    expect(await client.ttl(`${PREFIX}Client:{dyn}`)).toBe(-1);
    expect(await client.get(`${PREFIX}kv:pending:x`)).toBe('{}');
    expect(await client.get('other-app:thing')).toBe('left alone');

    // The moved grant index still finds every token of the grant.
    await new Adapter('AccessToken').revokeByGrantId('g1');
    for (const [model, id] of [
      ['AccessToken', 'a1'],
      ['RefreshToken', 'r1'],
      ['AuthorizationCode', 'c1'],
    ] as const) {
      expect(await new Adapter(model).find(id), model).toBeUndefined();
    }

    const again = await runTollgate(['store', 'migrate', '--apply'], { env });
    expect(again.stdout).toContain('key prefix "tollgate:": layout 2');
    expect(again.stdout).toContain('no key in the previous layout');
  });
});

describe('a store in a newer layout', () => {
  it('is refused by the server, the users commands and the migration, with a clear line', async () => {
    await client.set(layoutKey(PREFIX), '3');
    try {
      const says = 'has key layout 3, newer than this tollgate knows (2)';
      await expect(ensureLayout(client, PREFIX)).rejects.toMatchObject({ code: 'layout_newer', found: 3 });
      expectRefused(await runTollgate(['serve'], { env }), 1, says);
      expectRefused(await runTollgate(['users', 'list'], { env }), 1, says);
      expectRefused(await runTollgate(['store', 'migrate', '--apply'], { env }), 1, says);
      expect(await client.get(layoutKey(PREFIX))).toBe('3');
    } finally {
      await client.set(layoutKey(PREFIX), '2');
    }
  });
});

describe('a new store', () => {
  it('is marked with this layout by the first command that opens it', async () => {
    await client.flushall();
    await ensureLayout(client, 'fresh:');
    expect(await client.get(layoutKey('fresh:'))).toBe('2');
  });
});
