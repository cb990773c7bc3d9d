import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAccountStore } from '../../adapters/redis-accounts.ts';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { createRedisCredentialStore } from '../../adapters/redis-credentials.ts';
import type { AccountRecord, AccountStore } from '../../src/accounts/types.ts';
import { channelSendLimits } from '../../src/factors/address/definition.ts';
import type { CredentialStore } from '../../src/factors/types.ts';
import { createLimiters, type Limiters } from '../../src/mfa/parts.ts';
import { cleanEnv, type Run, runTollgate } from '../helpers/cli.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';

/*
 * `tollgate users add --email-verified`, `users set`, `users unlock` and `users delete`: the real
 * `bin/tollgate.js` as a child process against a real redis-server, checked through the stores
 * and the limiters the server itself builds.
 */

const KEY_PREFIX = 'cli-edit-test:';
const PASSWORD = 'correct horse battery staple';
const IP = '192.0.2.44';

let redis: RedisServer;
let client: Redis;
let accounts: AccountStore;
let credentials: CredentialStore;
let limiters: Limiters;
let dir: string;
let env: NodeJS.ProcessEnv;
const runs: Run[] = [];

async function tollgate(args: string[], stdin = ''): Promise<Run> {
  const run = await runTollgate(args, { stdin, env });
  runs.push(run);
  return run;
}

async function user(name: string): Promise<AccountRecord> {
  const found = await accounts.findByUsername(name);
  if (!found) throw new Error(`no account ${name}`);
  return found;
}

async function add(name: string, ...options: string[]): Promise<AccountRecord> {
  const r = await tollgate(['users', 'add', name, ...options], `${PASSWORD}\n`);
  expect(r.code, r.stderr).toBe(0);
  return user(name);
}

/** A refused command: its exit code and one clear line, never a stack trace. */
function expectRefused(r: Run, code: number, message: string | RegExp) {
  expect(r.code).toBe(code);
  if (typeof message === 'string') expect(r.stderr.startsWith(`tollgate: ${message}`), r.stderr).toBe(true);
  else expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

/** The JSON audit lines a run wrote to stderr. */
const auditLines = (r: Run) =>
  r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-edit-'));
  const configPath = join(dir, 'tollgate.yaml');
  writeFileSync(
    configPath,
    'issuer: http://127.0.0.1:3999\ncookies:\n  keys: ["cli-edit-test-cookie-key-0123456789abcdef"]\n' +
      `store:\n  redis:\n    url: ${redis.url}\n    key_prefix: "${KEY_PREFIX}"\n` +
      'mfa:\n  factors: [totp, recovery]\n  encryption_keys: [{ id: k1, key: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" }]\n' +
      '  regulation: { max_failures: 3 }\n' +
      'clients:\n  - client_id: app\n    client_secret: app-secret-0123456789\n' +
      '    redirect_uris: [http://127.0.0.1:9/cb]\n',
  );
  env = { ...cleanEnv(), TOLLGATE_CONFIG: configPath };
  client = createRedisClient({ url: redis.url, key_prefix: KEY_PREFIX });
  accounts = createRedisAccountStore(client, { keyPrefix: KEY_PREFIX });
  credentials = createRedisCredentialStore(client, { keyPrefix: KEY_PREFIX });
  // The limiters as the server builds them from this configuration.
  limiters = createLimiters({ redis: client, keyPrefix: KEY_PREFIX, regulation: { max_failures: 3 } });
});

afterAll(async () => {
  await client?.quit();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('users add: email_verified', () => {
  it('is false for an address the operator typed, true with --email-verified, absent without an email', async () => {
    expect((await add('ann', '--email', 'ann@example.com')).email_verified).toBe(false);
    expect((await add('ben', '--email', 'ben@example.com', '--email-verified')).email_verified).toBe(true);
    expect((await add('cat')).email_verified).toBeUndefined();
  });

  it('--email-verified without --email is a usage error, and creates nothing', async () => {
    expectRefused(
      await tollgate(['users', 'add', 'dan', '--email-verified'], `${PASSWORD}\n`),
      2,
      '--email-verified needs --email',
    );
    expect(await accounts.findByUsername('dan')).toBeUndefined();
  });
});

describe('users set', () => {
  it('changes the name, and removes it with an empty value', async () => {
    await add('eli', '--name', 'Eli');
    const r = await tollgate(['users', 'set', 'ELI', '--name', 'Eli Cohen']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('updated user eli: name=Eli Cohen\n');
    expect(auditLines(r)).toEqual([
      expect.objectContaining({ event: 'account.updated', username: 'eli', fields: ['name'] }),
    ]);
    expect((await user('eli')).name).toBe('Eli Cohen');
    expect((await tollgate(['users', 'set', 'eli', '--name', ''])).stdout).toBe(
      'updated user eli: name removed\n',
    );
    expect((await user('eli')).name).toBeUndefined();
  });

  it('a new email is unverified: it resets email_verified unless --email-verified comes with it', async () => {
    await add('fay', '--email', 'fay@example.com', '--email-verified');
    const changed = await tollgate(['users', 'set', 'fay', '--email', 'fay@example.org']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toBe('updated user fay: email=fay@example.org, email_verified=false\n');
    expect(await user('fay')).toMatchObject({ email: 'fay@example.org', email_verified: false });

    await tollgate(['users', 'set', 'fay', '--email', 'fay@example.net', '--email-verified']);
    expect(await user('fay')).toMatchObject({ email: 'fay@example.net', email_verified: true });

    // The same address again is no change: it stays verified.
    const same = await tollgate(['users', 'set', 'fay', '--email', 'fay@example.net']);
    expect(same.stdout).toBe('user fay unchanged\n');
    expect((await user('fay')).email_verified).toBe(true);
  });

  it('--email-verified and --no-email-verified mark the current address', async () => {
    await add('gil', '--email', 'gil@example.com');
    await tollgate(['users', 'set', 'gil', '--email-verified']);
    expect((await user('gil')).email_verified).toBe(true);
    await tollgate(['users', 'set', 'gil', '--no-email-verified']);
    expect((await user('gil')).email_verified).toBe(false);
    // No address to mark: refused, nothing written.
    await add('hal');
    expectRefused(
      await tollgate(['users', 'set', 'hal', '--email-verified']),
      1,
      'user hal has no email address',
    );
    expect((await user('hal')).email_verified).toBeUndefined();
  });

  it("--email '' removes the address and its verification", async () => {
    await add('ida', '--email', 'ida@example.com', '--email-verified');
    const r = await tollgate(['users', 'set', 'ida', '--email', '']);
    expect(r.code, r.stderr).toBe(0);
    const ida = await user('ida');
    expect(ida.email).toBeUndefined();
    expect(ida.email_verified).toBeUndefined();
  });

  it('a new phone number resets phone_verified', async () => {
    await add('jon', '--phone', '+15551230000');
    await accounts.update((await user('jon')).id, { phone_verified: true });
    await tollgate(['users', 'set', 'jon', '--phone', '+15551239999']);
    expect(await user('jon')).toMatchObject({ phone: '+15551239999', phone_verified: false });
  });

  it('--group replaces the list; --add-group and --remove-group join and leave single groups', async () => {
    await add('kim', '--group', 'staff', '--group', 'vpn');
    await tollgate([
      'users',
      'set',
      'kim',
      '--group',
      'admins',
      '--group',
      'Domain Users',
      '--group',
      'admins',
    ]);
    expect((await user('kim')).groups).toEqual(['admins', 'Domain Users']);

    const r = await tollgate([
      'users',
      'set',
      'kim',
      '--add-group',
      'ops',
      '--add-group',
      'admins',
      '--remove-group',
      'Domain Users',
    ]);
    expect(r.stdout).toBe('updated user kim: groups=admins,ops\n');
    expect((await user('kim')).groups).toEqual(['admins', 'ops']);

    await tollgate(['users', 'set', 'kim', '--remove-group', 'admins', '--remove-group', 'ops']);
    expect((await user('kim')).groups).toEqual([]);
  });

  it('refuses contradictions and bad values with exit 2, changing nothing', async () => {
    await add('lea', '--email', 'lea@example.com', '--group', 'staff');
    const before = await user('lea');
    expectRefused(await tollgate(['users', 'set', 'lea']), 2, /^tollgate: users set needs at least one of /);
    expectRefused(
      await tollgate(['users', 'set', 'lea', '--group', 'a', '--add-group', 'b']),
      2,
      /^tollgate: --group replaces the whole list/,
    );
    expectRefused(
      await tollgate(['users', 'set', 'lea', '--email', 'not-an-email']),
      2,
      /^tollgate: invalid email: /,
    );
    expectRefused(
      await tollgate(['users', 'set', 'lea', '--add-group', 'a,b']),
      2,
      /^tollgate: invalid group: /,
    );
    expectRefused(
      await tollgate(['users', 'set', 'lea', '--email', '', '--email-verified']),
      2,
      /needs an email/,
    );
    expect(await user('lea')).toEqual(before);
  });
});

describe('users unlock', () => {
  /** Wrong answers until `key` is locked in `regulation`. */
  async function lockOut(regulation: Limiters['regulation'], key: string) {
    for (let i = 0; i < 3; i++) await regulation.fail(key, IP);
    expect((await regulation.status(key, IP)).locked).toBe(true);
  }

  it("lifts the account's password and second-factor lockouts, and no one else's", async () => {
    const mia = await add('mia');
    const ned = await add('ned');
    await lockOut(limiters.passwordRegulation, 'mia');
    await lockOut(limiters.regulation, mia.id);
    await lockOut(limiters.passwordRegulation, 'ned');
    await lockOut(limiters.regulation, ned.id);

    const r = await tollgate(['users', 'unlock', 'Mia']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^unlocked user mia: password \(locked until \S+, 3 recent failure\(s\), 1 lockout\(s\) today\), second factor \(locked until \S+, 3 recent failure\(s\), 1 lockout\(s\) today\)\n$/,
    );
    expect(auditLines(r)).toEqual([
      expect.objectContaining({
        event: 'account.unlocked',
        account: mia.id,
        password_locked: true,
        mfa_locked: true,
      }),
    ]);
    expect(await limiters.passwordRegulation.status('mia', IP)).toEqual({ locked: false });
    expect(await limiters.regulation.status(mia.id, IP)).toEqual({ locked: false });
    expect((await limiters.passwordRegulation.status('ned', IP)).locked).toBe(true);
    expect((await limiters.regulation.status(ned.id, IP)).locked).toBe(true);

    const again = await tollgate(['users', 'unlock', 'mia']);
    expect(again.stdout).toBe(
      'unlocked user mia: password (nothing recorded), second factor (nothing recorded)\n',
    );
  });
});

describe('users delete', () => {
  it('removes the account, its username, second factors and counters; the name can be used again', async () => {
    const ola = await add('ola', '--email', 'ola@example.com');
    await credentials.create({ account_id: ola.id, factor: 'totp', data: { secret: 'v1.k1.xxx' } });
    await lockOut3(ola);
    // An email code was sent lately: the account's send count is there too.
    expect(
      await channelSendLimits('email', { redis: client, keyPrefix: KEY_PREFIX }).perAccount.consume(ola.id),
    ).toBe(true);
    expect((await client.keys(`*${ola.id}*`)).length).toBeGreaterThanOrEqual(4);
    const other = await add('pia');

    const r = await tollgate(['users', 'delete', 'ola']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      'ended 0 session(s) and revoked 0 grant(s) with their tokens\n' +
        `deleted user ola (sub ${ola.id}) and 1 second factor(s)\n`,
    );
    expect(auditLines(r).map((l) => l.event)).toEqual(['account.sessions_ended', 'account.deleted']);
    expect(await accounts.findById(ola.id)).toBeUndefined();
    expect(await accounts.findByUsername('ola')).toBeUndefined();
    expect(await credentials.list(ola.id)).toEqual([]);
    // Nothing in Redis names the account or its username any more.
    const keys = await client.keys('*');
    expect(keys.filter((k) => k.includes(ola.id) || k.endsWith(':ola'))).toEqual([]);
    expect(await client.hget(`${KEY_PREFIX}account:usernames`, 'ola')).toBeNull();
    expect((await user('pia')).id).toBe(other.id);

    const reborn = await add('ola');
    expect(reborn.id).not.toBe(ola.id);
    expect(await limiters.passwordRegulation.status('ola', IP)).toEqual({ locked: false });
  });

  it('an unknown user: "no such user", exit 1, no stack trace, for every command that names one', async () => {
    const count = await accounts.count();
    for (const sub of ['delete', 'set', 'unlock']) {
      const args = sub === 'set' ? ['users', sub, 'nobody', '--name', 'X'] : ['users', sub, 'nobody'];
      expectRefused(await tollgate(args), 1, 'no such user: nobody');
    }
    expect(await accounts.count()).toBe(count);
  });

  /** Locks ola's password and second factor, so delete has counters to drop. */
  async function lockOut3(account: AccountRecord) {
    for (let i = 0; i < 3; i++) {
      await limiters.passwordRegulation.fail(account.username, IP);
      await limiters.regulation.fail(account.id, IP);
    }
    expect((await limiters.passwordRegulation.status(account.username, IP)).locked).toBe(true);
  }
});

it('never prints a password or a TOTP secret', () => {
  expect(runs.length).toBeGreaterThan(20);
  for (const r of runs) {
    expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);
    expect(`${r.stdout}${r.stderr}`).not.toContain('v1.k1.xxx');
  }
});
