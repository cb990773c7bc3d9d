import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAccountStore } from '../../adapters/redis-accounts.ts';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { createRedisCredentialStore } from '../../adapters/redis-credentials.ts';
import type { AccountStore } from '../../src/accounts/types.ts';
import type { CredentialStore } from '../../src/factors/types.ts';
import { cleanEnv, type Run, runTollgate } from '../helpers/cli.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';

/*
 * `tollgate users factors` and `tollgate users reset-mfa`: the real `bin/tollgate.js` as a child
 * process against a real redis-server, with credentials written straight into the store.
 */

const COOKIE_KEY = 'cli-mfa-test-cookie-key-0123456789abcdef';
const KEY_PREFIX = 'cli-mfa-test:';
const PASSWORD = 'correct horse battery staple';
/** Stand-in for an encrypted TOTP seed: must never appear in any output. */
const TOTP_SECRET = 'v1.k1.xxx';

describe('tollgate users factors / reset-mfa', () => {
  let redis: RedisServer;
  let client: Redis;
  let accounts: AccountStore;
  let credentials: CredentialStore;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let aliceId: string;
  const runs: Run[] = [];

  /** Runs `node bin/tollgate.js ...args` with TOLLGATE_CONFIG pointing at the test config. */
  async function tollgate(args: string[], stdin = ''): Promise<Run> {
    const run = await runTollgate(args, { stdin, env });
    runs.push(run);
    return run;
  }

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-mfa-'));
    const configPath = join(dir, 'tollgate.yaml');
    writeFileSync(
      configPath,
      `issuer: http://127.0.0.1:3999\ncookies:\n  keys: ["${COOKIE_KEY}"]\n` +
        `store:\n  redis:\n    url: ${redis.url}\n    key_prefix: "${KEY_PREFIX}"\n` +
        'clients:\n  - client_id: app\n    client_secret: app-secret-0123456789\n' +
        '    redirect_uris: [http://127.0.0.1:9/cb]\n',
    );
    env = { ...cleanEnv(), TOLLGATE_CONFIG: configPath };
    client = createRedisClient({ url: redis.url, key_prefix: KEY_PREFIX });
    accounts = createRedisAccountStore(client, { keyPrefix: KEY_PREFIX });
    credentials = createRedisCredentialStore(client, { keyPrefix: KEY_PREFIX });

    const added = await tollgate(['users', 'add', 'alice'], `${PASSWORD}\n`);
    expect(added.code).toBe(0);
    const alice = await accounts.findByUsername('alice');
    if (!alice) throw new Error('users add did not create alice');
    aliceId = alice.id;
    await credentials.create({
      account_id: aliceId,
      factor: 'totp',
      label: 'Authenticator app',
      data: { secret: TOTP_SECRET, algorithm: 'SHA1', digits: 6, period: 30 },
    });
    const recovery = await credentials.create({
      account_id: aliceId,
      factor: 'recovery',
      data: {
        codes: [
          { salt: 'c2FsdC1vbmU', hash: 'aGFzaC1vbmU' },
          { salt: 'c2FsdC10d28', hash: 'aGFzaC10d28', used_at: 1 },
        ],
      },
    });
    await credentials.update(aliceId, recovery.id, { last_used_at: 1_700_000_000 });
  });

  afterAll(async () => {
    await client?.quit();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('factors lists both credentials with dates and unused recovery codes, no secrets', async () => {
    const r = await tollgate(['users', 'factors', 'alice']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('FACTOR\tLABEL\tCREATED\tLAST USED\tCODES');
    expect(lines).toHaveLength(3);
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    // Both were created in the same second, so the store's oldest-first order may put either first.
    const rows = lines.slice(1).map((l) => l.split('\t'));
    const totp = rows.find((cells) => cells[0] === 'totp');
    const recovery = rows.find((cells) => cells[0] === 'recovery');
    expect(totp).toEqual(['totp', 'Authenticator app', expect.stringMatching(iso), '-', '-']);
    expect(recovery).toEqual([
      'recovery',
      '-',
      expect.stringMatching(iso),
      '2023-11-14T22:13:20.000Z',
      '1 unused of 2',
    ]);
    expect(r.stdout).not.toContain(TOTP_SECRET);
    expect(r.stdout).not.toContain('aGFzaC1vbmU');
  });

  it('factors --json parses, carries metadata and no data', async () => {
    const r = await tollgate(['users', 'factors', 'alice', '--json']);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(parsed).toHaveLength(2);
    const byFactor = (id: string) => parsed.find((f) => f.factor === id);
    expect(byFactor('totp')).toMatchObject({
      factor: 'totp',
      label: 'Authenticator app',
      last_used_at: null,
    });
    expect(byFactor('recovery')).toMatchObject({
      factor: 'recovery',
      label: null,
      last_used_at: '2023-11-14T22:13:20.000Z',
      codes: { unused: 1, total: 2 },
    });
    for (const f of parsed) {
      expect(f).not.toHaveProperty('data');
      expect(typeof f.id).toBe('string');
      expect(Number.isNaN(Date.parse(String(f.created_at)))).toBe(false);
    }
    expect(r.stdout).not.toContain(TOTP_SECRET);
    expect(r.stdout).not.toContain('salt');
  });

  it('reset-mfa removes every credential and writes its audit lines to stderr', async () => {
    const before = Date.now();
    const r = await tollgate(['users', 'reset-mfa', 'alice']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^removed 2 second factor\(s\) of alice/);
    const lines = r.stderr.trimEnd().split('\n');
    // The factor reset, then the sessions it ended (test/security/operator-resets.test.ts).
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({ event: 'account.sessions_ended', account: aliceId });
    const audit = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(audit).toEqual({
      event: 'factor.reset',
      account: aliceId,
      username: 'alice',
      removed: 2,
      at: expect.any(String),
    });
    const at = Date.parse(String(audit.at));
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
    expect(await credentials.list(aliceId)).toEqual([]);
    expect(await client.exists(`${KEY_PREFIX}cred:${aliceId}`)).toBe(0);
    // The account itself is untouched.
    expect(await accounts.findByUsername('alice')).toMatchObject({ id: aliceId, disabled: false });
  });

  it('factors then shows none; reset-mfa again removes 0', async () => {
    const table = await tollgate(['users', 'factors', 'alice']);
    expect(table.code).toBe(0);
    expect(table.stdout).toBe('user alice has no second factors\n');

    const json = await tollgate(['users', 'factors', 'alice', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);

    const again = await tollgate(['users', 'reset-mfa', 'alice']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^removed 0 second factor\(s\) of alice/);
    expect(JSON.parse(again.stderr.split('\n')[0] ?? '')).toMatchObject({
      event: 'factor.reset',
      removed: 0,
    });
  });

  it('an unknown user: exit 1 for both, nothing written', async () => {
    for (const sub of ['factors', 'reset-mfa']) {
      const r = await tollgate(['users', sub, 'nobody']);
      expect(r.code, sub).toBe(1);
      expect(r.stdout, sub).toBe('');
      expect(r.stderr, sub).toBe('tollgate: no such user: nobody\n');
    }
  });

  it('a missing username: usage, exit 2', async () => {
    for (const sub of ['factors', 'reset-mfa']) {
      const r = await tollgate(['users', sub]);
      expect(r.code, sub).toBe(2);
      expect(r.stderr, sub).toContain(`tollgate users ${sub} USERNAME`);
    }
  });

  it('no run printed the password or the TOTP secret', () => {
    expect(runs.length).toBeGreaterThan(0);
    for (const r of runs) {
      for (const secret of [PASSWORD, TOTP_SECRET]) {
        expect(r.stdout).not.toContain(secret);
        expect(r.stderr).not.toContain(secret);
      }
    }
  });
});
