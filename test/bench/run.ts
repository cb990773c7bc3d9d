// `npm run bench`: throughput of tollgate's hot paths, each beside a baseline measured in the
// same run on the same machine, printed as a markdown table and written to
// test-artifacts/bench.md. Not part of `npm test`: numbers are measured, never asserted.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash, verify } from '@node-rs/argon2';
import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { createRedisAccountStore } from '../../adapters/redis-accounts.ts';
import { createRedisCredentialStore } from '../../adapters/redis-credentials.ts';
import { totp } from '../../src/factors/totp/otp.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { Browser } from '../helpers/browser.ts';
import { freePort, startRedis } from '../helpers/redis-server.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ARGON = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
const PASSWORD = 'bench password 123';
const SECRET = 'bench-client-secret-0123456789';
const CALLBACK = 'http://127.0.0.1:9/cb';
const MFA_KEY = randomBytes(32);

interface Row {
  scenario: string;
  value: string;
  baseline: string;
  ratio: string;
  note?: string;
}
const rows: Row[] = [];

/** Runs `task` with `concurrency` workers for SECONDS; returns completions per second. */
async function rate(
  concurrency: number,
  task: (worker: number) => Promise<void>,
  seconds = SECONDS,
): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_v, w) => {
      while (Date.now() < end) {
        await task(w);
        done++;
      }
    }),
  );
  return done / seconds;
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

async function startServer(redisUrl: string | undefined, port: number): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  const config = join(dir, 'tollgate.yaml');
  const issuer = `http://127.0.0.1:${port}`;
  writeFileSync(
    config,
    JSON.stringify({
      issuer,
      port,
      store: redisUrl ? { redis: { url: redisUrl, key_prefix: 'b:' } } : {},
      cookies: { keys: ['bench-cookie-key-0123456789abcdef0123'] },
      log_level: 'error',
      mfa: { factors: ['totp'], encryption_keys: [{ id: 'k1', key: MFA_KEY.toString('base64') }] },
      clients: [
        {
          client_id: 'web',
          client_secret: SECRET,
          redirect_uris: [CALLBACK],
          first_party: true,
          mfa: 'required',
        },
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'] },
      ],
    }),
  );
  const child = spawn(process.execPath, ['src/server/main.ts', '--config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('tollgate is running') && resolve());
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return child;
}

/** Users with the same password (one hash) and a TOTP credential each, straight into Redis. */
async function seedUsers(redisUrl: string, n: number) {
  const redis = new Redis(redisUrl);
  const accounts = createRedisAccountStore(redis, { keyPrefix: 'b:' });
  const credentials = createRedisCredentialStore(redis, { keyPrefix: 'b:' });
  const box = createSecretBox([{ id: 'k1', key: MFA_KEY }]);
  const passwordHash = await hash(PASSWORD, ARGON);
  const users: { username: string; seed: Buffer; nextStep: number }[] = [];
  for (let i = 0; i < n; i++) {
    const account = await accounts.create({ username: `user${i}`, password_hash: passwordHash });
    const seed = randomBytes(20);
    await credentials.create({
      account_id: account.id,
      factor: 'totp',
      label: 'bench',
      data: { secret: box.seal(seed, `totp:${account.id}`), algorithm: 'SHA1', digits: 6, period: 30 },
    });
    users.push({ username: `user${i}`, seed, nextStep: -1 });
  }
  await redis.quit();
  return users;
}

async function main() {
  mkdirSync('test-artifacts', { recursive: true });
  const redis = await startRedis();
  const port = await freePort();
  const server = await startServer(redis.url, port);
  const url = `http://127.0.0.1:${port}`;
  const insecure = { execute: [oidc.allowInsecureRequests] };
  try {
    // Baseline: argon2id verifies per second on every core, the ceiling for password logins.
    const argonHash = await hash(PASSWORD, ARGON);
    const ceiling = await rate(availableParallelism() * 2, async () => {
      await verify(argonHash, PASSWORD);
    });

    // Full MFA login: authorize -> password -> TOTP -> code -> token with PKCE.
    const users = await seedUsers(redis.url, 3000);
    const web = await oidc.discovery(
      new URL(url),
      'web',
      undefined,
      oidc.ClientSecretBasic(SECRET),
      insecure,
    );
    let cursor = 0;
    const login = async () => {
      const user = users[cursor++ % users.length] as (typeof users)[number];
      const step = Math.floor(Date.now() / 30_000);
      // Each code is accepted once per credential and step: use step+1 when now was used.
      const use = user.nextStep >= step ? user.nextStep + 1 : step;
      if (use > step + 1) throw new Error('not enough users for this rate: raise the seeded count');
      user.nextStep = use;
      const verifier = oidc.randomPKCECodeVerifier();
      const browser = new Browser();
      const auth = oidc.buildAuthorizationUrl(web, {
        redirect_uri: CALLBACK,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 's',
      });
      const page = await browser.get(auth.href, CALLBACK);
      const challenge = await browser.submit(page, { username: user.username, password: PASSWORD }, CALLBACK);
      const code = totp(user.seed, use * 30_000, { algorithm: 'SHA1', digits: 6, period: 30 });
      const callback = await browser.submit(challenge, { code }, CALLBACK);
      await oidc.authorizationCodeGrant(web, new URL(callback.url), {
        pkceCodeVerifier: verifier,
        expectedState: 's',
      });
    };
    await login();
    for (const c of [1, 4, 16]) {
      const r = await rate(c, login);
      rows.push({
        scenario: `full MFA login, concurrency ${c} (Redis)`,
        value: `${fmt(r)} logins/s`,
        baseline: `${fmt(ceiling)} argon2id verifies/s`,
        ratio: `${((r / ceiling) * 100).toFixed(0)}%`,
      });
    }

    // Redis memory per active login: sessions, grants, tokens of the logins above.
    const r = new Redis(redis.url);
    const before = Number(/used_memory:(\d+)/.exec(await r.info('memory'))?.[1]);
    const extra = 200;
    for (let i = 0; i < extra; i++) await login();
    const after = Number(/used_memory:(\d+)/.exec(await r.info('memory'))?.[1]);
    rows.push({
      scenario: `Redis memory per active login (${extra} logins)`,
      value: `${fmt((after - before) / extra / 1024)} KB`,
      baseline: 'target 3 KB',
      ratio: `${(((after - before) / extra / 3072) * 100).toFixed(0)}%`,
      note: 'INFO used_memory delta / logins',
    });
    await r.quit();

    // client_credentials grants/s: Redis against the memory adapter.
    const grants = async (base: string) => {
      const svc = await oidc.discovery(
        new URL(base),
        'svc',
        undefined,
        oidc.ClientSecretBasic(SECRET),
        insecure,
      );
      return rate(16, async () => {
        await oidc.clientCredentialsGrant(svc, {});
      });
    };
    const onRedis = await grants(url);
    const memPort = await freePort();
    const memServer = await startServer(undefined, memPort);
    const onMemory = await grants(`http://127.0.0.1:${memPort}`);
    memServer.kill('SIGTERM');
    rows.push({
      scenario: 'client_credentials grants (Redis)',
      value: `${fmt(onRedis)} /s`,
      baseline: `${fmt(onMemory)} /s on memory`,
      ratio: `${((onRedis / onMemory) * 100).toFixed(0)}%`,
    });
  } finally {
    server.kill('SIGTERM');
    await redis.stop();
  }

  const table = [
    `Machine: ${cpus()[0]?.model ?? 'unknown'} x ${availableParallelism()}, Node ${process.version}, ${SECONDS} s per scenario.`,
    '',
    '| scenario | result | baseline (same run) | ratio |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.value} | ${r.baseline} | ${r.ratio} |`),
  ].join('\n');
  writeFileSync('test-artifacts/bench.md', `${table}\n`);
  process.stdout.write(`${table}\n`);
}

await main();
