// The real process, as `npm run serve` runs it: start-up banner and loud warnings, discovery,
// health, a sign-in with the demo user of a copy of the example config, no demo user from the
// shipped example itself, readiness with and without Redis, graceful SIGTERM, and refusal of an
// invalid configuration.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisAccountStore } from '../../adapters/redis-accounts.ts';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { Browser } from '../helpers/browser.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_USER = 'demo';
const DEMO_PASSWORD = 'tollgate-demo';
const DEMO_CLIENT = 'demo-app';
const DEMO_SECRET = 'demo-app-secret-change-me';
const DEMO_CALLBACK = 'http://localhost:8080/callback';

/** A spawned `node src/server/main.ts` with everything it printed so far. */
interface Proc {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string>;
}

const started: Proc[] = [];
const redises: RedisServer[] = [];

afterEach(async () => {
  for (const proc of started.splice(0)) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await proc.exited;
  }
  for (const redis of redises.splice(0)) await redis.kill();
});

/** The environment of a fresh shell: no tollgate settings inherited from whoever runs the tests. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('TOLLGATE_') || k.startsWith('DEMO_') || k === 'PORT' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function launch(args: string[], env: Record<string, string>, port = 0): Proc {
  const child = spawn(process.execPath, ['src/server/main.ts', ...args], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const proc = { child, url: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, exited };
  started.push(proc);
  return proc;
}

/**
 * A copy of examples/tollgate.yaml: a file of the operator's own with `accounts.demo_user` set,
 * so the server creates the demo user (the shipped example's is left to `npm start`).
 */
function exampleCopy(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tollgate-lifecycle-')), 'tollgate.yaml');
  copyFileSync(join(ROOT, 'examples/tollgate.yaml'), file);
  return file;
}

/** Starts the server on a free port and waits for its "tollgate is running" banner. */
async function startServer(
  env: Record<string, string> = {},
  args: string[] = [],
  port?: number,
): Promise<Proc> {
  port ??= await freePort();
  const proc = launch(
    args,
    { PORT: String(port), TOLLGATE_ISSUER: `http://127.0.0.1:${port}`, ...env },
    port,
  );
  const deadline = Date.now() + 40_000;
  // Ready means both the banner and the server.started log line are out: pino writes its lines
  // asynchronously, so the banner can arrive first.
  const ready = () =>
    proc.stdout().includes('tollgate is running') &&
    `${proc.stdout()}${proc.stderr()}`.includes('"event":"server.started"');
  while (!ready()) {
    const code = proc.child.exitCode ?? proc.child.signalCode;
    if (code !== null)
      throw new Error(`server exited (${code}) before it was ready:\n${proc.stdout()}\n${proc.stderr()}`);
    if (Date.now() > deadline)
      throw new Error(`server not ready after 40 s:\n${proc.stdout()}\n${proc.stderr()}`);
    // Bounded poll of the child's output (40 s), checked between chunks as they arrive.
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}

/** Sends SIGTERM and returns the exit code, failing when the process takes over 30 s (a hang). */
async function terminate(proc: Proc): Promise<number | string> {
  proc.child.kill('SIGTERM');
  // The bound on waiting for the exit event: a hang, with room for a CPU-starved machine.
  const timeout = new Promise<string>((resolve) =>
    setTimeout(() => resolve('still running after 30 s'), 30_000).unref(),
  );
  return await Promise.race([proc.exited, timeout]);
}

/** The JSON lines a process logged (stdout and stderr), skipping the human banner. */
function jsonLogs(proc: Proc): Array<Record<string, unknown>> {
  return `${proc.stdout()}\n${proc.stderr()}`
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function getJson(
  url: string,
): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** Discovery, then an authorization request for the demo client up to its login page. */
async function openLoginPage(proc: Proc) {
  const config = await oidc.discovery(
    new URL(proc.url),
    DEMO_CLIENT,
    undefined,
    oidc.ClientSecretBasic(DEMO_SECRET),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: DEMO_CALLBACK,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const browser = new Browser();
  const page = await browser.get(url.href, DEMO_CALLBACK);
  expect(page.status).toBe(200);
  expect(page.body).toContain('Sign in to Demo App');
  return { config, verifier, state, browser, page };
}

/** authorize -> login form -> callback -> token exchange -> userinfo for the demo user. */
async function signInAsDemo(proc: Proc, opened?: Awaited<ReturnType<typeof openLoginPage>>) {
  const { config, verifier, state, browser, page: login } = opened ?? (await openLoginPage(proc));
  // demo-app requires MFA: the demo user enrols TOTP (code from oathtool), saves recovery codes.
  const enrol = await browser.submit(login, { username: DEMO_USER, password: DEMO_PASSWORD }, DEMO_CALLBACK);
  const key = (/<code id="totp-key"[^>]*>([^<]+)<\/code>/.exec(enrol.body)?.[1] ?? '').replace(/\s+/g, '');
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  const code = execFileSync('oathtool', ['--totp', '-b', key], { encoding: 'utf8' }).trim();
  const codes = await browser.submit(enrol, { code }, DEMO_CALLBACK);
  expect(codes.body).toContain('Save your recovery codes');
  const callback = await browser.submit(codes, { confirm: '1' }, DEMO_CALLBACK);
  expect(callback.url.startsWith(`${DEMO_CALLBACK}?code=`)).toBe(true);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.url), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    idTokenExpected: true,
  });
  expect(tokens.claims()).toMatchObject({
    iss: proc.url,
    aud: DEMO_CLIENT,
    acr: 'urn:tollgate:acr:2fa',
    amr: ['pwd', 'otp', 'mfa'],
  });
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()?.sub as string);
  expect(userinfo).toMatchObject({
    preferred_username: DEMO_USER,
    email: 'demo@example.com',
    name: 'Demo User',
  });
}

describe('npm run serve (node src/server/main.ts)', () => {
  it('serves the embedded demo, warns loudly, and exits 0 on SIGTERM', async () => {
    const proc = await startServer({}, ['--config', exampleCopy()]);
    expect(proc.stdout()).toContain(`tollgate is running: ${proc.url}/.well-known/openid-configuration`);
    expect(proc.stdout()).toContain(`Sign in as "${DEMO_USER}"`);

    const discovery = await getJson(`${proc.url}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(discovery.type).toMatch(/^application\/json/);
    expect(discovery.body.issuer).toBe(proc.url);
    expect(await getJson(`${proc.url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await getJson(`${proc.url}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } });

    await signInAsDemo(proc);

    expect(await terminate(proc)).toBe(0);
    const logs = jsonLogs(proc);
    const warnings = logs.filter((l) => l.level === 40).map((l) => l.event);
    expect(warnings).toEqual(
      expect.arrayContaining([
        'store.embedded',
        'keys.ephemeral',
        'cookies.dev_key',
        'mfa.dev_key',
        'otp.dev_key',
        'accounts.demo_user_created',
      ]),
    );
    expect(logs.map((l) => l.event)).toEqual(expect.arrayContaining(['server.started', 'server.stopping']));
    expect(`${proc.stdout()}${proc.stderr()}`).not.toContain(DEMO_PASSWORD);
    expect(proc.stderr()).toBe('');
  });

  // Regression (issue #16): the README's Redis recipe ran the shipped example, which created
  // demo / tollgate-demo in the real Redis.
  it('creates no demo user from the shipped example, even on Redis, and says so', async () => {
    const redis = await startRedis();
    redises.push(redis);
    const proc = await startServer({ TOLLGATE_REDIS_URL: redis.url });
    expect(proc.stdout()).toContain(
      'No demo account: accounts.demo_user of examples/tollgate.yaml is created by the demo (npm start) only.',
    );
    expect(proc.stdout()).not.toContain('Sign in as');
    const events = jsonLogs(proc).map((l) => l.event);
    expect(events).toContain('accounts.demo_user_skipped');
    expect(events).not.toContain('accounts.demo_user_created');
    const client = createRedisClient({ url: redis.url, key_prefix: 'tollgate:' });
    try {
      expect(await createRedisAccountStore(client, { keyPrefix: 'tollgate:' }).count()).toBe(0);
    } finally {
      await client.quit();
    }
    expect(await terminate(proc)).toBe(0);
  });

  it('reports Redis readiness: 200 while it answers, 503 service_unavailable once it is gone', async () => {
    const redis = await startRedis();
    redises.push(redis);
    const proc = await startServer({ TOLLGATE_REDIS_URL: redis.url }, ['--config', exampleCopy()]);
    const events = jsonLogs(proc).map((l) => l.event);
    expect(events).not.toContain('store.embedded');
    expect(jsonLogs(proc).find((l) => l.event === 'server.started')?.store).toBe('redis');
    expect(await getJson(`${proc.url}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } });
    await signInAsDemo(proc);
    // A login page opened while Redis was up, submitted after it went away.
    const { browser, page: loginPage } = await openLoginPage(proc);

    await redis.stop();
    const down = await getJson(`${proc.url}/readyz`);
    expect(down.status).toBe(503);
    expect(down.type).toMatch(/^application\/json/);
    expect(down.body.error).toBe('service_unavailable');
    // The process itself is alive: liveness stays green, so an orchestrator does not kill it.
    expect(await getJson(`${proc.url}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    // Interaction steps that need the store fail closed with 503 service_unavailable.
    const submitted = await browser.submit(
      loginPage,
      { username: DEMO_USER, password: DEMO_PASSWORD },
      DEMO_CALLBACK,
    );
    expect(submitted.status).toBe(503);
    expect(submitted.headers.get('content-type')).toMatch(/^text\/html/);
    expect(submitted.body).toContain('Error code: service_unavailable');
    expect(submitted.headers.get('retry-after')).toBe('5');

    expect(await terminate(proc)).toBe(0);
    expect(`${proc.stdout()}${proc.stderr()}`).not.toContain(DEMO_PASSWORD);
  });

  it('with reuse_port, two processes share one port and one Redis: a login begun on one ends on the other', async () => {
    const redis = await startRedis();
    redises.push(redis);
    const file = exampleCopy();
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nreuse_port: true\n`);
    const port = await freePort();
    const env = { TOLLGATE_REDIS_URL: redis.url };
    const first = await startServer(env, ['--config', file], port);
    // Only the first listens yet: it serves the authorize request and the login page.
    const opened = await openLoginPage(first);
    // Without SO_REUSEPORT the second would exit 1 with "port in use" (the test below).
    const second = await startServer(env, ['--config', file], port);
    expect(await terminate(first)).toBe(0);
    // The rest of the login, the token exchange and userinfo can only reach the second.
    await signInAsDemo(second, opened);
    expect(await terminate(second)).toBe(0);
    await expect(fetch(`${second.url}/healthz`)).rejects.toThrow();
  });

  it('refuses reuse_port on the embedded store: processes would not share sessions', async () => {
    const file = exampleCopy();
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nreuse_port: true\n`);
    const proc = launch(['--config', file], { TOLLGATE_ISSUER: 'http://127.0.0.1:1' });
    expect(await proc.exited).toBe(2);
    expect(proc.stderr()).toContain('reuse_port: processes sharing a port must share a store');
  });

  it('serves metrics on their own listener only, and closes it on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-lifecycle-'));
    const file = join(dir, 'metrics.yaml');
    const metricsPort = await freePort();
    writeFileSync(
      file,
      [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the YAML's own ${ENV} syntax
        'issuer: ${TOLLGATE_ISSUER}',
        'cookies:',
        '  keys: [0123456789abcdef0123456789abcdef]',
        'metrics:',
        '  enabled: true',
        `  listen: 127.0.0.1:${metricsPort}`,
        '',
      ].join('\n'),
    );
    const proc = await startServer({}, ['--config', file]);
    expect((await fetch(`${proc.url}/metrics`)).status).toBe(404);
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('tollgate_http_request_duration_seconds');
    expect(await terminate(proc)).toBe(0);
  });

  it('a bad JWKS file, Redis URL, PORT or option, or a port in use: one clear error, never a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-lifecycle-'));
    const file = (name: string, extra: string) => {
      const path = join(dir, name);
      writeFileSync(
        path,
        `issuer: http://127.0.0.1:3999\ncookies:\n  keys: [0123456789abcdef0123456789abcdef]\n${extra}`,
      );
      return path;
    };
    const good = file('good.yaml', '');
    const busy = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    const busyPort = String((busy.address() as { port: number }).port);
    const cases: Array<{ args: string[]; env?: Record<string, string>; code: number; says: string }> = [
      {
        args: ['--config', file('jwks.yaml', `jwks:\n  file: ${join(dir, 'missing.json')}\n`)],
        code: 2,
        says: 'jwks.file',
      },
      {
        args: ['--config', file('redis.yaml', 'store:\n  redis:\n    url: not a url\n')],
        code: 2,
        says: 'store.redis.url: use redis://',
      },
      { args: ['--config', good], env: { PORT: 'eighty' }, code: 2, says: 'PORT: must be a TCP port' },
      { args: ['--confg', good], code: 2, says: "Unknown option '--confg'" },
      { args: ['--config', good], env: { PORT: busyPort }, code: 1, says: 'the address is already in use' },
    ];
    try {
      for (const c of cases) {
        const proc = launch(c.args, { PORT: String(await freePort()), ...c.env });
        const code = await Promise.race([
          proc.exited,
          // The bound on waiting for the exit event: a hang, with room for a CPU-starved machine.
          new Promise((r) => setTimeout(() => r('timeout'), 30_000).unref()),
        ]);
        expect({ code, stderr: proc.stderr() }).toMatchObject({
          code: c.code,
          stderr: expect.stringContaining(c.says),
        });
        expect(proc.stderr()).toMatch(/^tollgate: /);
        expect(proc.stderr()).not.toMatch(/^\s+at /m);
      }
    } finally {
      busy.close();
    }
  });

  it('refuses an invalid configuration with exit code 2 and names the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-lifecycle-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'issuer: not a url\ncookies:\n  keys: [0123456789abcdef0123456789abcdef]\n');
    const proc = launch(['--config', file], { PORT: String(await freePort()) });
    const code = await Promise.race([
      proc.exited,
      // The bound on waiting for the exit event: a hang, with room for a CPU-starved machine.
      new Promise((r) => setTimeout(() => r('timeout'), 30_000).unref()),
    ]);
    expect(code).toBe(2);
    expect(proc.stderr()).toContain(`invalid configuration in ${file}`);
    expect(proc.stderr()).toMatch(/^\s+- issuer: /m);
    expect(proc.stdout()).not.toContain('tollgate is running');
  });
});
