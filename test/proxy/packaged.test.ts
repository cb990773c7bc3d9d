// The auth-proxy as a user gets it from the registry: `npm pack`, the tarball installed in an
// empty folder, and `npx tollgate-proxy --config proxy.yaml` run there, gating an upstream for a
// real tollgate on real Redis. Nothing from the repository is on the proxy's module path, so a
// deep import, a file left out of `files` or a runtime dependency kept in devDependencies fails.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Browser } from '../helpers/browser.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { addUser, type RunningTollgate } from '../helpers/tollgate.ts';
import {
  COOKIE_SECRET,
  type Echo,
  PASSWORD,
  PROXY_SECRET,
  RULES,
  rawGet,
  signIn,
  startTollgateFor,
  startUpstream,
  type Upstream,
} from './helpers.ts';

const run = promisify(execFile);
// npm, npx and the bin's `#!/usr/bin/env node` must find this Node (the repository's), not the system one.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };

/** Newest modification time under `dir` (files only). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/** `npm pack` into `dir`; builds dist/ first only when a source is newer than the build. */
async function pack(dir: string): Promise<string> {
  const built = (() => {
    try {
      return statSync('dist/examples/auth-proxy/main.js').mtimeMs;
    } catch {
      return 0;
    }
  })();
  const sources = Math.max(...['src', 'adapters', 'interactions', 'examples/auth-proxy'].map(newest));
  if (sources > built) await run('npm', ['run', 'build', '--silent'], { env });
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
    env,
  });
  return join(dir, stdout.trim().split('\n').at(-1) ?? '');
}

/** Installs the tarball from the npm cache (what `npm ci` left there), else the registry. */
async function install(dir: string, tarball: string): Promise<void> {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  const args = ['install', tarball, '--ignore-scripts', '--no-audit', '--no-fund', '--silent'];
  try {
    await run('npm', [...args, '--offline'], { cwd: dir, env });
  } catch {
    await run('npm', [...args, '--prefer-offline'], { cwd: dir, env });
  }
}

let dir: string;
let redis: RedisServer;
let tg: RunningTollgate;
let upstream: Upstream;
let proxy: ChildProcess | undefined;
let proxyUrl: string;
let output = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-packaged-'));
  const [tarball, redisServer] = await Promise.all([pack(dir), startRedis()]);
  redis = redisServer;
  const app = join(dir, 'app');
  mkdirSync(app);
  await install(app, tarball);

  const port = await freePort();
  proxyUrl = `http://127.0.0.1:${port}`;
  tg = await startTollgateFor(redis, proxyUrl);
  await addUser(tg, 'alice', PASSWORD, { email: 'alice@example.com', groups: ['users'] });
  upstream = await startUpstream();
  writeFileSync(
    join(app, 'proxy.yaml'),
    stringify({
      listen: { host: '127.0.0.1', port },
      public_url: proxyUrl,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: proxy.yaml's own ${VAR} substitution
      provider: { issuer: tg.url, client_id: 'proxy', client_secret: '${PROXY_CLIENT_SECRET}' },
      cookie: { secret: COOKIE_SECRET },
      session: { store: redis.url, key_prefix: 'packaged:' },
      upstreams: [{ host: '127.0.0.1', url: upstream.url }],
      rules: RULES,
    }),
  );

  const check = await run(
    'npx',
    ['--no-install', 'tollgate-proxy', 'config', 'check', '--config', 'proxy.yaml'],
    {
      cwd: app,
      env: { ...env, PROXY_CLIENT_SECRET: PROXY_SECRET },
    },
  );
  expect(check.stdout).toContain('proxy.yaml: OK');

  proxy = spawn('npx', ['--no-install', 'tollgate-proxy', '--config', 'proxy.yaml'], {
    cwd: app,
    env: { ...env, PROXY_CLIENT_SECRET: PROXY_SECRET, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const child = proxy;
  await new Promise<void>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('auth-proxy: listening')) resolve();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code) => reject(new Error(`tollgate-proxy exited with ${code}:\n${output}`)));
  });
}, 120_000);

afterAll(async () => {
  if (proxy?.pid && proxy.exitCode === null) {
    const gone = new Promise((resolve) => proxy?.once('exit', resolve));
    // npx runs the bin in a child of its own: signal the whole group it leads.
    process.kill(-proxy.pid, 'SIGTERM');
    await gone;
  }
  await upstream?.close();
  await tg?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed tarball, installed in an empty folder: npx tollgate-proxy', () => {
  it('installs the command, the tollgate/proxy export and no repository sources', async () => {
    const app = join(dir, 'app');
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const p = await import('tollgate/proxy'); console.log(Object.keys(p).sort().join(','))",
      ],
      { cwd: app, env },
    );
    expect(stdout).toContain('startProxy');
    expect(stdout).toContain('loadProxyConfig');
    const shipped = readdirSync(join(app, 'node_modules/tollgate'));
    expect(shipped).not.toContain('src');
    expect(shipped).not.toContain('test');
  });

  it('sends an anonymous browser to sign in and an API client gets 401 JSON', async () => {
    const before = upstream.hits;
    const page = await rawGet(`${proxyUrl}/somewhere`, { accept: 'text/html' });
    expect(page.status).toBe(302);
    expect(new URL(page.headers.location as string).pathname).toBe('/oauth2/start');
    const api = await rawGet(`${proxyUrl}/api/x`, { accept: 'application/json' });
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body)).toMatchObject({ error: 'unauthenticated' });
    expect(upstream.hits).toBe(before);
  });

  it('signs in through tollgate and passes the identity to the upstream', async () => {
    const browser = new Browser();
    const page = await signIn(browser, { url: proxyUrl }, 'alice', '/hello');
    expect(page.status).toBe(200);
    const echo = JSON.parse(page.body) as Echo;
    expect(echo.url).toBe('/hello');
    expect(echo.headers['x-forwarded-user']).toBe('alice');
    expect(echo.headers['x-forwarded-email']).toBe('alice@example.com');
    expect(echo.headers['x-forwarded-groups']).toBe('users');
    expect(echo.headers['x-tollgate-assertion']).toMatch(/^ey/);
  });

  it('keeps the client secret out of its log', () => {
    expect(output).toContain('auth-proxy: listening');
    expect(output).not.toContain(PROXY_SECRET);
  });
});
