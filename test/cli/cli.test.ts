import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAccountStore } from '../../adapters/redis-accounts.ts';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { createPasswordHasher } from '../../src/accounts/password.ts';
import type { AccountStore } from '../../src/accounts/types.ts';
import { cleanEnv, type Run, runCommand, runLinkedBin } from '../helpers/cli.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';

/*
 * Runs the real `bin/tollgate.js` as a child process against a real redis-server, and checks
 * exit codes, output and what lands in Redis.
 */

const COOKIE_KEY = 'cli-test-cookie-key-0123456789abcdef0123';
const KEY_PREFIX = 'cli-test:';
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'tr0ub4dor&3-but-longer';
const ARGON2_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';

describe('tollgate CLI', () => {
  let redis: RedisServer;
  let client: Redis;
  let accounts: AccountStore;
  let dir: string;
  let configPath: string;
  let env: NodeJS.ProcessEnv;
  const hasher = createPasswordHasher();
  /** Every run, so the password check can look at all output at the end. */
  const runs: Run[] = [];

  /** Runs `node bin/tollgate.js ...args` with TOLLGATE_CONFIG pointing at the test config. */
  async function tollgate(
    args: string[],
    opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<Run> {
    const r = await runCommand(process.execPath, ['bin/tollgate.js', ...args], {
      stdin: opts.stdin,
      env: opts.env ?? env,
    });
    runs.push(r);
    return r;
  }

  function writeConfig(name: string, store: string): string {
    const path = join(dir, name);
    writeFileSync(
      path,
      `issuer: http://127.0.0.1:3999\ncookies:\n  keys: ["${COOKIE_KEY}"]\n${store}` +
        'clients:\n  - client_id: app\n    client_secret: app-secret-0123456789\n' +
        '    redirect_uris: [http://127.0.0.1:9/cb]\n',
    );
    return path;
  }

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
    configPath = writeConfig(
      'tollgate.yaml',
      `store:\n  redis:\n    url: ${redis.url}\n    key_prefix: "${KEY_PREFIX}"\n`,
    );
    env = { ...cleanEnv(), TOLLGATE_CONFIG: configPath };
    client = createRedisClient({ url: redis.url, key_prefix: KEY_PREFIX });
    accounts = createRedisAccountStore(client, { keyPrefix: KEY_PREFIX });
  });

  afterAll(async () => {
    await client?.quit();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('users', () => {
    it('add creates the account with an argon2id hash of the stdin password', async () => {
      const r = await tollgate(
        [
          'users',
          'add',
          'alice',
          '--email',
          'alice@example.com',
          '--name',
          'Alice',
          '--group',
          'admins',
          '--group',
          'users',
        ],
        { stdin: `${PASSWORD}\n` },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const alice = await accounts.findByUsername('alice');
      expect(alice).toBeDefined();
      if (!alice) return;
      expect(r.stdout).toBe(`created user alice (sub ${alice.id})\n`);
      expect(alice).toMatchObject({
        username: 'alice',
        email: 'alice@example.com',
        name: 'Alice',
        groups: ['admins', 'users'],
        disabled: false,
      });
      expect(alice.password_hash.startsWith(ARGON2_PREFIX)).toBe(true);
      expect(await hasher.verify(alice.password_hash, PASSWORD)).toBe(true);
      expect(await hasher.verify(alice.password_hash, `${PASSWORD}x`)).toBe(false);
      // Written under the configured prefix, nowhere else.
      expect(await client.hget(`${KEY_PREFIX}account:usernames`, 'alice')).toBe(alice.id);
      expect(await client.exists('tollgate:account:usernames')).toBe(0);
    });

    it('add refuses an existing username, also in another case, and keeps the account', async () => {
      const before = await accounts.findByUsername('alice');
      for (const name of ['alice', 'ALICE']) {
        const r = await tollgate(['users', 'add', name], { stdin: `${NEW_PASSWORD}\n` });
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(`tollgate: user ${name} already exists\n`);
        expect(r.stdout).toBe('');
      }
      expect(await accounts.findByUsername('alice')).toEqual(before);
      expect(await accounts.count()).toBe(1);
    });

    it('list shows alice as a table and as JSON without the hash', async () => {
      const table = await tollgate(['users', 'list']);
      expect(table.code).toBe(0);
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe('USERNAME\tEMAIL\tNAME\tGROUPS\tSTATUS');
      expect(lines.slice(1)).toEqual(['alice\talice@example.com\tAlice\tadmins,users\tactive']);

      const json = await tollgate(['users', 'list', '--json']);
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
      expect(parsed).toHaveLength(1);
      expect(parsed[0]).toMatchObject({ username: 'alice', email: 'alice@example.com', disabled: false });
      expect(parsed[0]).not.toHaveProperty('password_hash');
      expect(json.stdout).not.toContain('$argon2');
    });

    it('disable and enable toggle the disabled flag', async () => {
      const off = await tollgate(['users', 'disable', 'alice']);
      expect(off.code).toBe(0);
      expect(off.stdout).toBe(
        'user alice disabled\nended 0 session(s) and revoked 0 grant(s) with their tokens\n',
      );
      expect((await accounts.findByUsername('alice'))?.disabled).toBe(true);
      const listed = await tollgate(['users', 'list']);
      expect(listed.stdout).toContain('alice\talice@example.com\tAlice\tadmins,users\tdisabled');

      const on = await tollgate(['users', 'enable', 'alice']);
      expect(on.code).toBe(0);
      expect(on.stdout).toBe('user alice enabled\n');
      expect((await accounts.findByUsername('alice'))?.disabled).toBe(false);
    });

    it('passwd replaces the hash: the new password verifies, the old one no longer does', async () => {
      const before = await accounts.findByUsername('alice');
      const r = await tollgate(['users', 'passwd', 'alice'], {
        stdin: `${NEW_PASSWORD}\nignored second line\n`,
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        'password of alice changed\nended 0 session(s) and revoked 0 grant(s) with their tokens\n',
      );
      const after = await accounts.findByUsername('alice');
      expect(after?.password_hash).not.toBe(before?.password_hash);
      expect(after?.password_hash.startsWith(ARGON2_PREFIX)).toBe(true);
      expect(await hasher.verify(after?.password_hash ?? '', NEW_PASSWORD)).toBe(true);
      expect(await hasher.verify(after?.password_hash ?? '', PASSWORD)).toBe(false);
      expect(after?.id).toBe(before?.id);
    });

    it('refuses a too-short password (exit 1) and creates nothing', async () => {
      const short = await tollgate(['users', 'add', 'bob'], { stdin: 'seven77\n' });
      expect(short.code).toBe(1);
      expect(short.stderr).toBe('tollgate: password too short: use at least 8 characters\n');
      const empty = await tollgate(['users', 'add', 'bob'], { stdin: '' });
      expect(empty.code).toBe(1);
      expect(await accounts.findByUsername('bob')).toBeUndefined();
      expect(await accounts.count()).toBe(1);
    });

    it('passwd with a too-short password keeps the old hash', async () => {
      const before = await accounts.findByUsername('alice');
      const r = await tollgate(['users', 'passwd', 'alice'], { stdin: 'short\n' });
      expect(r.code).toBe(1);
      expect((await accounts.findByUsername('alice'))?.password_hash).toBe(before?.password_hash);
    });

    it('refuses an invalid email or username with exit 2', async () => {
      const email = await tollgate(['users', 'add', 'carol', '--email', 'not-an-email'], {
        stdin: `${PASSWORD}\n`,
      });
      expect(email.code).toBe(2);
      expect(email.stderr).toMatch(/^tollgate: invalid email: /);
      const username = await tollgate(['users', 'add', 'ca:rol'], { stdin: `${PASSWORD}\n` });
      expect(username.code).toBe(2);
      expect(username.stderr).toMatch(/^tollgate: invalid username: /);
      expect(await accounts.findByUsername('carol')).toBeUndefined();
    });

    it('refuses to disable, enable or passwd an unknown user with exit 1', async () => {
      for (const sub of ['disable', 'enable', 'passwd']) {
        const r = await tollgate(['users', sub, 'nobody'], { stdin: `${PASSWORD}\n` });
        expect(r.code).toBe(1);
        expect(r.stderr).toBe('tollgate: no such user: nobody\n');
      }
      expect(await accounts.count()).toBe(1);
    });

    it('never prints a password', () => {
      expect(runs.length).toBeGreaterThan(10);
      for (const r of runs) {
        for (const secret of [PASSWORD, NEW_PASSWORD]) {
          expect(r.stdout).not.toContain(secret);
          expect(r.stderr).not.toContain(secret);
        }
      }
    });
  });

  describe('usage errors', () => {
    it('no arguments: usage text, exit 2', async () => {
      const r = await tollgate([]);
      expect(r.code).toBe(2);
      expect(r.stdout).toContain('usage:');
      expect(r.stdout).toContain(
        'tollgate users add|list|set|disable|enable|passwd|unlock|factors|reset-mfa|delete',
      );
    });

    it('an unknown command or subcommand: usage text, exit 2', async () => {
      const command = await tollgate(['frobnicate']);
      expect(command.code).toBe(2);
      expect(command.stderr).toContain('unknown command "frobnicate"');
      expect(command.stderr).toContain('usage:');

      for (const args of [
        ['users', 'frobnicate'],
        ['users'],
        ['users', 'add'],
        ['keys', 'rotate'],
        ['config'],
      ]) {
        const r = await tollgate(args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr, args.join(' ')).toMatch(/usage:\s+tollgate /);
      }
    });

    it('an unknown option: exit 2', async () => {
      const r = await tollgate(['users', 'list', '--frobnicate']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--frobnicate');
    });

    it('--help: usage text, exit 0', async () => {
      const r = await tollgate(['--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('tollgate keys generate --out FILE [--force]');
    });
  });

  describe('keys generate', () => {
    it('writes a private ES256 + RS256 JWKS with mode 0600', async () => {
      const out = join(dir, 'keys', 'jwks.json');
      const r = await tollgate(['keys', 'generate', '--out', out]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const jwks = JSON.parse(readFileSync(out, 'utf8')) as { keys: Array<Record<string, unknown>> };
      expect(jwks.keys).toHaveLength(2);
      const ec = jwks.keys.find((k) => k.alg === 'ES256');
      const rsa = jwks.keys.find((k) => k.alg === 'RS256');
      expect(ec).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig' });
      expect(rsa).toMatchObject({ kty: 'RSA', use: 'sig' });
      for (const key of [ec, rsa]) {
        expect(key?.kid).toMatch(/^\S+$/);
        expect(typeof key?.d).toBe('string');
        expect(r.stdout).toContain(`${key?.alg} ${key?.kid}`);
      }
      expect(ec?.kid).not.toBe(rsa?.kid);
    });

    it('refuses to overwrite without --force (exit 1), replaces with it', async () => {
      const out = join(dir, 'keys', 'jwks.json');
      const original = readFileSync(out, 'utf8');
      const refused = await tollgate(['keys', 'generate', '--out', out]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('--force');
      expect(readFileSync(out, 'utf8')).toBe(original);

      const forced = await tollgate(['keys', 'generate', '--out', out, '--force']);
      expect(forced.code).toBe(0);
      const replaced = readFileSync(out, 'utf8');
      expect(replaced).not.toBe(original);
      expect((JSON.parse(replaced) as { keys: unknown[] }).keys).toHaveLength(2);
      expect(statSync(out).mode & 0o777).toBe(0o600);
    });

    // Regression: writeFileSync's `mode` only applies on creation, so --force kept a 0644 file's mode.
    it('--force on a world-readable file leaves the private keys at mode 0600', async () => {
      const out = join(dir, 'loose-jwks.json');
      writeFileSync(out, '{}\n');
      chmodSync(out, 0o644);
      const r = await tollgate(['keys', 'generate', '--out', out, '--force']);
      expect(r.code).toBe(0);
      expect(statSync(out).mode & 0o777).toBe(0o600);
    });

    it('without --out: exit 2', async () => {
      const r = await tollgate(['keys', 'generate']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--out FILE is required');
    });
  });

  describe('config check', () => {
    it('accepts the example configuration', async () => {
      const r = await tollgate(['config', 'check', '--config', 'examples/tollgate.yaml']);
      // Valid, with its development defaults listed as warnings (config-check.test.ts).
      expect(r.stderr).toContain('development default(s)');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        'examples/tollgate.yaml: OK (issuer http://localhost:3000, 5 client(s), embedded memory store)\n',
      );
    });

    it('uses TOLLGATE_CONFIG when --config is absent', async () => {
      const r = await tollgate(['config', 'check']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${configPath}: OK (issuer http://127.0.0.1:3999, 1 client(s), redis)\n`);
    });

    it('lists every bad field of a broken file, exit 2', async () => {
      const path = join(dir, 'broken.yaml');
      writeFileSync(
        path,
        'issuer: http://127.0.0.1:3999/\ncookies:\n  keys: [short]\nclients:\n  - client_id: x\n',
      );
      const r = await tollgate(['config', 'check', '--config', path]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`invalid configuration in ${path}`);
      expect(r.stderr).toContain('  - issuer: no trailing slash');
      expect(r.stderr).toContain('  - cookies.keys.0: use at least 32 characters');
      expect(r.stderr).toContain(
        '  - clients.0.redirect_uris: authorization_code needs at least one redirect URI',
      );
    });

    it('a missing file: exit 2 naming the path', async () => {
      const path = join(dir, 'nope.yaml');
      const r = await tollgate(['config', 'check', '--config', path]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(path);
    });

    it('checks the JWKS file the configuration names', async () => {
      const badJwks = join(dir, 'bad-jwks.json');
      writeFileSync(badJwks, '{"keys": []}');
      const path = writeConfig('with-bad-jwks.yaml', `jwks:\n  file: ${badJwks}\n`);
      const bad = await tollgate(['config', 'check', '--config', path]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('no "keys" array');

      const good = writeConfig('with-good-jwks.yaml', `jwks:\n  file: ${join(dir, 'keys', 'jwks.json')}\n`);
      const ok = await tollgate(['config', 'check', '--config', good]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(': OK (');
    });
  });

  describe('store problems', () => {
    it('users commands without store.redis: exit 2 naming store.redis', async () => {
      const path = writeConfig('no-redis.yaml', '');
      const r = await tollgate(['users', 'list', '--config', path]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('store.redis');
    });

    it('users commands with Redis on a closed port: exit 3 within 10 s', async () => {
      const port = await freePort();
      const path = writeConfig('closed.yaml', `store:\n  redis:\n    url: redis://127.0.0.1:${port}\n`);
      const r = await tollgate(['users', 'add', 'dave', '--config', path], { stdin: `${PASSWORD}\n` });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('cannot reach Redis');
      expect(r.stderr).not.toContain(PASSWORD);
      expect(r.ms).toBeLessThan(10_000);
    });
  });

  it('runs through the package bin as npm links it: node_modules/.bin/tollgate --help', async () => {
    const r = await runLinkedBin(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tollgate: OpenID Connect provider with multi-factor login');
    expect(r.stdout).toContain('usage:');
  });
});
