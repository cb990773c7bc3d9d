// `npm run bench`: throughput of tollgate's hot paths, each beside a baseline measured in the
// same run on the same machine, printed as a markdown table and written to
// test-artifacts/bench.md. Not part of `npm test`: numbers are measured, never asserted.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash, verify } from '@node-rs/argon2';
import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { createRedisAccountStore } from '../../adapters/redis-accounts.ts';
import { createRedisClient, type RedisClient } from '../../adapters/redis-client.ts';
import { createRedisCredentialStore } from '../../adapters/redis-credentials.ts';
import { totp } from '../../src/factors/totp/otp.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';
import { Browser } from '../helpers/browser.ts';
import { startRedisCluster } from '../helpers/redis-cluster.ts';
import { freePort, startRedis } from '../helpers/redis-server.ts';
import { mfaLoginRoundTrips, startRoundTripTollgate, tripsPerStep } from '../helpers/round-trips.ts';
import { COOKIE, proxyClient } from '../proxy/helpers.ts';
import { type LoadResult, load } from './http-load.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ARGON = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
const PASSWORD = 'bench password 123';
const SECRET = 'bench-client-secret-0123456789';
const CALLBACK = 'http://127.0.0.1:9/cb';
const MFA_KEY = randomBytes(32);
const DEMO_USER = 'demo';
/** BENCH_CPU_PROF=dir: the server and proxy children write V8 CPU profiles there (`--cpu-prof`). */
const PROFILE_DIR = process.env.BENCH_CPU_PROF;
const nodeFlags = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
/** BENCH_ONLY=login,trips,processes,memory,grants,proxy,cluster: run only these groups (all by default), e.g. to profile one. */
const ONLY = new Set(
  (process.env.BENCH_ONLY ?? 'login,trips,processes,memory,grants,proxy,cluster').split(','),
);
/** Issue #11's ceiling on Redis round trips per full MFA login. */
const ROUND_TRIP_GOAL = 20;
/** Workers of the grant runs (one refresh-token chain each). */
const GRANT_WORKERS = 16;

interface Row {
  scenario: string;
  value: string;
  baseline: string;
  ratio: string;
  note?: string;
}
const rows: Row[] = [];

/** Upper bound on completions of one run, whatever its time. */
const MAX_TASKS = 1_000_000;

/** Runs `task` with `concurrency` workers for SECONDS (at most MAX_TASKS); returns completions per second. */
async function rate(
  concurrency: number,
  task: (worker: number) => Promise<void>,
  seconds = SECONDS,
): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_v, w) => {
      while (Date.now() < end && done < MAX_TASKS) {
        await task(w);
        done++;
      }
    }),
  );
  return done / seconds;
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

async function startServer(
  redis: string | Record<string, unknown> | undefined,
  port: number,
  extraClients: unknown[] = [],
  reusePort = false,
): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  const config = join(dir, 'tollgate.yaml');
  const issuer = `http://127.0.0.1:${port}`;
  writeFileSync(
    config,
    JSON.stringify({
      issuer,
      port,
      reuse_port: reusePort,
      store: redis
        ? { redis: { ...(typeof redis === 'string' ? { url: redis } : redis), key_prefix: 'b:' } }
        : {},
      cookies: { keys: ['bench-cookie-key-0123456789abcdef0123'] },
      log_level: 'error',
      // Created at start on an empty store: the password-only user of the refresh and proxy runs.
      accounts: { demo_user: { username: DEMO_USER, password: PASSWORD } },
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
        // Password-only logins whose refresh tokens feed the refresh_token run.
        { client_id: 'rt', client_secret: SECRET, redirect_uris: [CALLBACK], first_party: true, mfa: 'off' },
        ...extraClients,
      ],
    }),
  );
  const child = spawn(process.execPath, [...nodeFlags, 'src/server/main.ts', '--config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('tollgate is running') && resolve());
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return child;
}

/** Users with the same password (one hash) and a TOTP credential each, straight into Redis. */
async function seedUsers(store: string | RedisClient, n: number) {
  const redis = typeof store === 'string' ? new Redis(store) : store;
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
  if (typeof store === 'string') await redis.quit();
  return users;
}

const insecureRequests = { execute: [oidc.allowInsecureRequests] };

/** Starts a code + PKCE login in a fresh browser and submits the password; returns where it landed. */
async function passwordStep(config: oidc.Configuration, username: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const browser = new Browser();
  const auth = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 's',
  });
  const page = await browser.get(auth.href, CALLBACK);
  const next = await browser.submit(page, { username, password: PASSWORD }, CALLBACK);
  return { verifier, browser, next };
}

/** Password-only login of the demo user with the `rt` client; returns its refresh token. */
async function refreshTokenOf(rt: oidc.Configuration): Promise<string> {
  const { verifier, next: callback } = await passwordStep(rt, DEMO_USER);
  const tokens = await oidc.authorizationCodeGrant(rt, new URL(callback.url), {
    pkceCodeVerifier: verifier,
    expectedState: 's',
  });
  if (!tokens.refresh_token) throw new Error('the rt client got no refresh token');
  return tokens.refresh_token;
}

/** refresh_token grants/s at `base`: GRANT_WORKERS chains, each grant using the previous answer's token. */
async function refreshRate(base: string): Promise<number> {
  const rt = await oidc.discovery(
    new URL(base),
    'rt',
    undefined,
    oidc.ClientSecretBasic(SECRET),
    insecureRequests,
  );
  const chains: string[] = [];
  for (let w = 0; w < GRANT_WORKERS; w++) chains.push(await refreshTokenOf(rt));
  return rate(GRANT_WORKERS, async (w) => {
    const tokens = await oidc.refreshTokenGrant(rt, chains[w] as string);
    // Rotation: the next grant must use the token just issued (the old one is consumed).
    if (tokens.refresh_token) chains[w] = tokens.refresh_token;
  });
}

/** Proxying libraries with a bare proxy in the stack (proxy-stack.ts), the auth-proxy's first. */
const BARE = ['undici', 'http-proxy-3', 'node:http'] as const;
type Bare = (typeof BARE)[number];
/** The library the auth-proxy proxies with (examples/auth-proxy/reverse-proxy.ts): its bare proxy is the baseline. */
const PROXY_LIBRARY: Bare = 'undici';

/** The upstream, the bare proxies and the auth-proxy in a child process (see proxy-stack.ts). */
async function startProxyStack(args: { port: number; issuer: string; redisUrl: string; trusted: string[] }) {
  const child = spawn(process.execPath, [...nodeFlags, 'test/bench/proxy-stack.ts', JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const urls = await new Promise<{ upstream: string; bare: Record<Bare, string>; proxy: string }>(
    (resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const line = /^ready (.*)$/m.exec(out);
        if (line?.[1]) resolve(JSON.parse(line[1]));
      });
      child.once('exit', (code) => reject(new Error(`proxy stack exited ${code}`)));
    },
  );
  return { child, ...urls };
}

const ms = (n: number) => n.toFixed(2);

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;
const lat = (r: LoadResult) => `p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms`;
const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)}%`;

/**
 * Proxied GET (reverse-proxy mode, valid session) and forward-auth checks (`/auth/nginx` from a
 * trusted front proxy), against bare proxies (one per library) and the upstream directly.
 * Throughput at PROXY_CONCURRENCY; latency at concurrency 1 (no queueing in the numbers).
 */
async function proxyRows(issuer: string, port: number, redisUrl: string): Promise<Row[]> {
  const FRONT = '127.0.0.2';
  const CONCURRENCY = 16;
  const stack = await startProxyStack({ port, issuer, redisUrl, trusted: [FRONT] });
  try {
    // Sign in through the proxy as a browser does: proxy -> tollgate form -> callback.
    const browser = new Browser();
    const form = await browser.get(`${stack.proxy}/`);
    if (!form.body.includes('name="password"')) throw new Error(`no login form: ${form.status} ${form.url}`);
    await browser.submit(form, { username: DEMO_USER, password: PASSWORD });
    const ticket = browser.cookies.find((c) => c.name === COOKIE)?.value;
    if (!ticket) throw new Error('no proxy session cookie after signing in');
    const cookie = `${COOKIE}=${ticket}`;

    type Target = { url: string; headers?: Record<string, string>; localAddress?: string };
    const targets: Record<string, Target> = {
      upstream: { url: `${stack.upstream}/page` },
      ...Object.fromEntries(BARE.map((name) => [name, { url: `${stack.bare[name]}/page` }])),
      proxied: { url: `${stack.proxy}/page`, headers: { cookie } },
      forward: {
        url: `${stack.proxy}/auth/nginx`,
        headers: { cookie, 'x-original-url': 'http://app.example.org/page' },
        localAddress: FRONT,
      },
    };
    type Result = { tput: LoadResult; lat: LoadResult; cpuUs: number };
    const results: Record<string, Result> = {};
    const measure = async (name: string, t: Target) => {
      await load(t.url, { ...t, concurrency: 4, seconds: 0.3 }); // warm-up: connections, JIT
      const cpuBefore = cpuSeconds(stack.child.pid);
      const tput = await load(t.url, { ...t, concurrency: CONCURRENCY, seconds: SECONDS });
      // CPU of the stack process per request (upstream included): the generator's share of the
      // two cores is not in it, so this compares the proxies alone.
      const cpuUs = ((cpuSeconds(stack.child.pid) - cpuBefore) / tput.count) * 1e6;
      results[name] = { tput, cpuUs, lat: await load(t.url, { ...t, concurrency: 1, seconds: SECONDS }) };
    };
    for (const [name, t] of Object.entries(targets)) await measure(name, t);
    const get = (name: string) => results[name] as Result;
    const upstream = get('upstream');
    const bare = get(PROXY_LIBRARY);
    const added = (r: Result) =>
      `added vs bare ${PROXY_LIBRARY}: p50 +${ms(r.lat.p50 - bare.lat.p50)} ms, p99 +${ms(r.lat.p99 - bare.lat.p99)} ms`;
    const c = `concurrency ${CONCURRENCY}`;
    return [
      {
        scenario: `upstream directly, ${c}`,
        value: `${fmt(upstream.tput.rps)} req/s; ${lat(upstream.lat)}`,
        baseline: '-',
        ratio: '-',
        note: `latency at concurrency 1; stack process CPU ${fmt(upstream.cpuUs)} µs/request (the upstream alone)`,
      },
      ...BARE.map((name) => {
        const r = get(name);
        return {
          scenario: `bare ${name} reverse proxy (no auth), ${c}`,
          value: `${fmt(r.tput.rps)} req/s; ${lat(r.lat)}`,
          baseline: `${fmt(upstream.tput.rps)} req/s upstream directly`,
          ratio: pct(r.tput.rps, upstream.tput.rps),
          note: `latency at concurrency 1; stack process CPU ${fmt(r.cpuUs)} µs/request (proxy + upstream)`,
        };
      }),
      {
        scenario: `auth-proxy (${PROXY_LIBRARY}): proxied GET with a valid session, ${c}`,
        value: `${fmt(get('proxied').tput.rps)} req/s; ${lat(get('proxied').lat)}`,
        baseline: `${fmt(bare.tput.rps)} req/s bare ${PROXY_LIBRARY}`,
        ratio: pct(get('proxied').tput.rps, bare.tput.rps),
        note: `${added(get('proxied'))}; sessions in Redis, cached per process; ${pct(get('proxied').tput.rps, upstream.tput.rps)} of upstream directly; stack process CPU ${fmt(get('proxied').cpuUs)} µs/request (proxy + upstream)`,
      },
      {
        scenario: `auth-proxy: forward-auth checks (/auth/nginx), ${c}`,
        value: `${fmt(get('forward').tput.rps)} checks/s; ${lat(get('forward').lat)}`,
        baseline: `${fmt(bare.tput.rps)} req/s bare ${PROXY_LIBRARY}`,
        ratio: pct(get('forward').tput.rps, bare.tput.rps),
        note: `${added(get('forward'))}; ${pct(get('forward').tput.rps, upstream.tput.rps)} of upstream directly; stack process CPU ${fmt(get('forward').cpuUs)} µs/request`,
      },
    ];
  } finally {
    stack.child.kill('SIGTERM');
  }
}

/** A full MFA login at `base` (authorize -> password -> TOTP -> code -> token with PKCE), user after user. */
async function mfaLogin(
  base: string,
  users: Awaited<ReturnType<typeof seedUsers>>,
): Promise<() => Promise<void>> {
  const web = await oidc.discovery(
    new URL(base),
    'web',
    undefined,
    oidc.ClientSecretBasic(SECRET),
    insecureRequests,
  );
  let cursor = 0;
  const login = async () => {
    const user = users[cursor++ % users.length] as (typeof users)[number];
    const step = Math.floor(Date.now() / 30_000);
    // Each code is accepted once per credential and step: use step+1 when now was used.
    const use = user.nextStep >= step ? user.nextStep + 1 : step;
    if (use > step + 1) throw new Error('not enough users for this rate: raise the seeded count');
    user.nextStep = use;
    const { verifier, browser, next: challenge } = await passwordStep(web, user.username);
    const code = totp(user.seed, use * 30_000, { algorithm: 'SHA1', digits: 6, period: 30 });
    const callback = await browser.submit(challenge, { code }, CALLBACK);
    await oidc.authorizationCodeGrant(web, new URL(callback.url), {
      pkceCodeVerifier: verifier,
      expectedState: 's',
    });
  };
  return login;
}

/**
 * Redis round trips of one full MFA login, counted as test/e2e/round-trips.test.ts counts them
 * (test/helpers/round-trips.ts): an in-process tollgate on the same redis-server, after a warm-up
 * login, commands sent together sharing a round trip.
 */
async function roundTripRow(redisUrl: string): Promise<Row> {
  const tg = await startRoundTripTollgate(redisUrl);
  try {
    const trips = await mfaLoginRoundTrips(tg);
    const steps = [...tripsPerStep(trips)].map(([step, n]) => `${step} ${n}`).join(', ');
    return {
      scenario: 'Redis round trips per full MFA login (one redis-server)',
      value: `${trips.length}`,
      baseline: `goal ${ROUND_TRIP_GOAL}`,
      ratio: `${((trips.length / ROUND_TRIP_GOAL) * 100).toFixed(0)}%`,
      note: `per step: ${steps} (totp includes the resume); counted in-process after a warm-up login, commands in flight together share one`,
    };
  } finally {
    await tg.stop();
  }
}

/** Full MFA logins on a Redis Cluster (its own tollgate process), against `standalone` rates. */
async function clusterRows(standalone: Map<number, number>): Promise<Row[]> {
  const cluster = await startRedisCluster();
  const client = createRedisClient({ cluster: { nodes: cluster.nodes }, key_prefix: 'b:' });
  const port = await freePort();
  let server: ChildProcess | undefined;
  try {
    const users = await seedUsers(client, 3000);
    server = await startServer({ cluster: { nodes: cluster.nodes } }, port);
    const login = await mfaLogin(`http://127.0.0.1:${port}`, users);
    await login();
    const out: Row[] = [];
    for (const c of [1, 4, 16]) {
      const cpuBefore = cpuSeconds(server.pid);
      const r = await rate(c, login);
      const cpuMs = ((cpuSeconds(server.pid) - cpuBefore) / (r * SECONDS)) * 1000;
      const base = standalone.get(c) ?? 0;
      out.push({
        scenario: `full MFA login, concurrency ${c} (Redis Cluster, 3 masters + 3 replicas)`,
        value: `${fmt(r)} logins/s`,
        baseline: `${fmt(base)} logins/s on one redis-server`,
        ratio: base > 0 ? `${((r / base) * 100).toFixed(0)}%` : '-',
        note: `server process CPU ${cpuMs.toFixed(1)} ms per login; the six redis-servers share the same 2 cores`,
      });
    }
    return out;
  } finally {
    server?.kill('SIGTERM');
    await client.quit();
    await cluster.stop();
  }
}

/**
 * Full MFA logins on two tollgate processes sharing one port (`reuse_port`: the kernel spreads
 * the load generator's connections) and one Redis, against `single` (one process, same run).
 */
async function processRows(
  redisUrl: string,
  single: Map<number, number>,
  users: Awaited<ReturnType<typeof seedUsers>>,
): Promise<Row[]> {
  const port = await freePort();
  const servers = [await startServer(redisUrl, port, [], true), await startServer(redisUrl, port, [], true)];
  try {
    const login = await mfaLogin(`http://127.0.0.1:${port}`, users);
    await login();
    const out: Row[] = [];
    for (const c of [4, 16]) {
      const cpu = () => servers.reduce((sum, s) => sum + cpuSeconds(s.pid), 0);
      const before = cpu();
      const r = await rate(c, login);
      const cores = (cpu() - before) / SECONDS;
      const base = single.get(c) ?? 0;
      out.push({
        scenario: `full MFA login, concurrency ${c}, two tollgate processes on one Redis`,
        value: `${fmt(r)} logins/s`,
        baseline: `${fmt(base)} logins/s, one process`,
        ratio: base > 0 ? `${((r / base) * 100).toFixed(0)}%` : '-',
        note: `the two processes used ${cores.toFixed(2)} of ${availableParallelism()} cores, beside the load generator and redis-server`,
      });
    }
    return out;
  } finally {
    for (const s of servers) s.kill('SIGTERM');
  }
}

async function main() {
  mkdirSync('test-artifacts', { recursive: true });
  const redis = await startRedis();
  const port = await freePort();
  const proxyPort = await freePort();
  const server = await startServer(redis.url, port, [proxyClient(`http://127.0.0.1:${proxyPort}`)]);
  const url = `http://127.0.0.1:${port}`;
  const insecure = { execute: [oidc.allowInsecureRequests] };
  try {
    // Baseline: argon2id verifies per second on every core, the ceiling for password logins.
    const argonHash = await hash(PASSWORD, ARGON);
    const ceiling = ONLY.has('login')
      ? await rate(availableParallelism() * 2, async () => {
          await verify(argonHash, PASSWORD);
        })
      : 0;

    // Full MFA login: authorize -> password -> TOTP -> code -> token with PKCE.
    const users = await seedUsers(redis.url, 3000);
    const login = await mfaLogin(url, users);
    await login();
    const standalone = new Map<number, number>();
    const needsSingle = ONLY.has('login') || ONLY.has('cluster') || ONLY.has('processes');
    for (const c of needsSingle ? [1, 4, 16] : []) {
      const cpuBefore = cpuSeconds(server.pid);
      const r = await rate(c, login);
      standalone.set(c, r);
      if (!ONLY.has('login')) continue;
      const cpuMs = ((cpuSeconds(server.pid) - cpuBefore) / (r * SECONDS)) * 1000;
      rows.push({
        scenario: `full MFA login, concurrency ${c} (Redis)`,
        value: `${fmt(r)} logins/s`,
        baseline: `${fmt(ceiling)} argon2id verifies/s`,
        ratio: `${((r / ceiling) * 100).toFixed(0)}%`,
        note: `server process CPU ${cpuMs.toFixed(1)} ms per login, argon2id included`,
      });
    }

    // How many times one of those logins waits for Redis.
    if (ONLY.has('trips')) rows.push(await roundTripRow(redis.url));

    // The same logins on two processes sharing the port and the Redis.
    if (ONLY.has('processes')) rows.push(...(await processRows(redis.url, standalone, users)));

    // The same logins on a 3-master, 3-replica Redis Cluster, beside the single server above.
    if (ONLY.has('cluster')) rows.push(...(await clusterRows(standalone)));

    // Redis memory per active login: sessions, grants, tokens of the logins above.
    if (ONLY.has('memory')) {
      const r = new Redis(redis.url);
      await r.config('RESETSTAT');
      const before = Number(/used_memory:(\d+)/.exec(await r.info('memory'))?.[1]);
      const extra = Number(process.env.BENCH_MEMORY_LOGINS ?? 200);
      const keysBefore = new Set(await r.keys('*'));
      for (let i = 0; i < extra; i++) await login();
      const after = Number(/used_memory:(\d+)/.exec(await r.info('memory'))?.[1]);
      // Where the bytes go: MEMORY USAGE of the keys these logins created, by kind.
      const byKind = new Map<string, number>();
      for (const key of await r.keys('*')) {
        if (keysBefore.has(key)) continue;
        const kind =
          key.split(':')[1] === 'kv' ? key.split(':').slice(1, 3).join(':') : (key.split(':')[1] ?? key);
        byKind.set(kind, (byKind.get(kind) ?? 0) + ((await r.memory('USAGE', key)) ?? 0));
      }
      const stats = await r.info('commandstats');
      const perCommand = [...stats.matchAll(/cmdstat_(\w+):calls=(\d+)/g)]
        .map(([, name, calls]) => [name, Number(calls)] as const)
        .filter(([name]) => name !== 'info' && name !== 'config');
      const commands = perCommand.reduce((sum, [, calls]) => sum + calls, 0);
      if (process.env.BENCH_VERBOSE)
        console.error(perCommand.map(([n, c]) => `${n} ${(c / extra).toFixed(1)}`).join(', '));
      // The issue's measure: what an active login holds (session + grant + tokens). Keys kept per
      // account (last factor used) or for a moment (used TOTP steps) are listed apart.
      const LOGIN_KINDS = new Set([
        'Session',
        'uid',
        'Grant',
        'grant',
        'AuthorizationCode',
        'AccessToken',
        'RefreshToken',
      ]);
      const sorted = [...byKind].sort((a, b) => b[1] - a[1]);
      const loginBytes =
        sorted.filter(([k]) => LOGIN_KINDS.has(k)).reduce((sum, [, b]) => sum + b, 0) / extra;
      const list = (entries: [string, number][]) =>
        entries.map(([kind, bytes]) => `${kind} ${fmt(bytes / extra)} B`).join(', ');
      rows.push({
        scenario: `Redis memory per active login: session + grant + tokens (${extra} logins)`,
        value: `${fmt(loginBytes / 1024)} KB`,
        baseline: 'target 3 KB',
        ratio: `${((loginBytes / 3072) * 100).toFixed(0)}%`,
        note: `MEMORY USAGE of the keys a login creates: ${list(sorted.filter(([k]) => LOGIN_KINDS.has(k)))}; besides: ${list(sorted.filter(([k]) => !LOGIN_KINDS.has(k)))}. INFO used_memory grew ${fmt((after - before) / extra / 1024)} KB per login (with the keyspace's own tables). ${fmt(commands / extra)} Redis commands per login (those inside Lua scripts included)`,
      });
      await r.quit();
    }

    // client_credentials grants/s: Redis against the memory adapter. openid-client (the judge)
    // checks one grant; the load itself comes from the lean generator, since openid-client's own
    // work per grant would otherwise take a core from the server it measures.
    const grants = async (base: string) => {
      const svc = await oidc.discovery(
        new URL(base),
        'svc',
        undefined,
        oidc.ClientSecretBasic(SECRET),
        insecure,
      );
      const checked = await oidc.clientCredentialsGrant(svc, {});
      if (!checked.access_token) throw new Error('no access token from client_credentials');
      const tokenEndpoint = svc.serverMetadata().token_endpoint as string;
      const grant = {
        method: 'POST',
        body: 'grant_type=client_credentials',
        headers: {
          authorization: `Basic ${Buffer.from(`svc:${SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
      };
      await load(tokenEndpoint, { ...grant, concurrency: 4, seconds: 0.3 }); // warm-up
      return (await load(tokenEndpoint, { ...grant, concurrency: GRANT_WORKERS, seconds: SECONDS })).rps;
    };
    if (ONLY.has('grants')) {
      const onRedis = await grants(url);
      const memPort = await freePort();
      const memServer = await startServer(undefined, memPort);
      try {
        const memUrl = `http://127.0.0.1:${memPort}`;
        const onMemory = await grants(memUrl);
        rows.push({
          scenario: `client_credentials grants, concurrency ${GRANT_WORKERS} (Redis)`,
          value: `${fmt(onRedis)} /s`,
          baseline: `${fmt(onMemory)} /s on memory`,
          ratio: `${((onRedis / onMemory) * 100).toFixed(0)}%`,
        });

        // refresh_token grants/s: one rotating chain per worker, started by a password login.
        const refreshOnRedis = await refreshRate(url);
        const refreshOnMemory = await refreshRate(memUrl);
        rows.push({
          scenario: `refresh_token grants, concurrency ${GRANT_WORKERS} (Redis)`,
          value: `${fmt(refreshOnRedis)} /s`,
          baseline: `${fmt(refreshOnMemory)} /s on memory`,
          ratio: `${((refreshOnRedis / refreshOnMemory) * 100).toFixed(0)}%`,
          note: 'each grant rotates the token: one chain per worker',
        });
      } finally {
        memServer.kill('SIGTERM');
      }
    }

    // The auth-proxy: proxied GET and forward-auth against a bare proxy and the upstream.
    if (ONLY.has('proxy')) rows.push(...(await proxyRows(url, proxyPort, redis.url)));
  } finally {
    server.kill('SIGTERM');
    await redis.stop();
  }

  const table = [
    `Machine: ${cpus()[0]?.model ?? 'unknown'} x ${availableParallelism()}, Node ${process.version}, ${SECONDS} s per scenario.`,
    '',
    '| scenario | result | baseline (same run) | ratio | notes |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.note ?? ''} |`),
  ].join('\n');
  writeFileSync('test-artifacts/bench.md', `${table}\n`);
  process.stdout.write(`${table}\n`);
}

await main();
