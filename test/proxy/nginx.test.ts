// The documented integration snippets, run for real: Debian's nginx (auth_request) and Caddy
// (forward_auth) in front of the whoami upstream, using the forward-auth endpoints of the
// auth-proxy spawned as its `tollgate-proxy` command (not imported),
// with a real sign-in through tollgate. Traefik is not packaged by Debian, so /auth/traefik gets
// exactly the headers Traefik's forwardAuth sends, from a trusted and an untrusted address.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ALWAYS_STRIPPED_HEADERS } from '../../examples/auth-proxy/identity-headers.ts';
import { type RunningWhoami, startWhoami, type WhoamiReport } from '../../examples/whoami/server.ts';
import { Browser, type Page, parseForm } from '../helpers/browser.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { addUser, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { frontSpellings } from './spellings.ts';

const NGINX = '/usr/sbin/nginx';
/** The `tollgate-proxy` command (run from the sources inside the repository). */
const PROXY_BIN = 'bin/tollgate-proxy.js';
const PROXY_SECRET = 'proxy-secret-0123456789abcdef';
const PASSWORD = 'correct horse battery';
/** Not a trusted proxy: loopback accepts any 127/8 source address. */
const UNTRUSTED = '127.0.0.2';
/** The `audience` configured for the app behind nginx and Caddy. */
const APP_AUDIENCE = 'http://whoami.fronts.test';

// ---------------------------------------------------------------------------------------------
// Processes: nginx and caddy run in the foreground as children and are killed with this process.

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function findCaddy(): string {
  for (const candidate of ['/usr/bin/caddy', '/usr/local/bin/caddy']) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'caddy not found: install it with `apt-get install -y caddy` (Debian bookworm packages it)',
  );
}

/** Resolves once something accepts TCP connections on the port; throws with the log if the child died. */
async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited with ${child.exitCode ?? child.signalCode}:\n${log()}`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    // Bounded poll (15 s): a foreign process's listening socket gives no event to wait on.
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port} after 15 s:\n${log()}`);
}

interface Running {
  url: string;
  stop(): Promise<void>;
}

function launch(bin: string, args: string[], env: NodeJS.ProcessEnv, port: number, logFile?: string) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const log = () => {
    let file = '';
    try {
      file = logFile ? readFileSync(logFile, 'utf8').slice(-8000) : '';
    } catch {
      // not written yet
    }
    return `${output}\n${file}`;
  };
  return {
    ready: waitForPort(port, child, log),
    running: {
      url: `http://127.0.0.1:${port}`,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await gone;
      },
    } satisfies Running,
  };
}

/** Replaces every placeholder of a snippet; fails when one is missing (the snippet changed). */
function fill(snippet: string, replacements: [string, string][]): string {
  let out = snippet;
  for (const [from, to] of replacements) {
    if (!out.includes(from)) throw new Error(`the snippet no longer contains ${JSON.stringify(from)}`);
    out = out.replaceAll(from, to);
  }
  return out;
}

/** nginx with examples/nginx/tollgate.conf; everything it writes stays in `dir`. */
async function startNginx(
  dir: string,
  port: number,
  proxyUrl: string,
  upstreamUrl: string,
): Promise<Running> {
  try {
    accessSync(NGINX, constants.X_OK);
  } catch {
    throw new Error(`nginx not found at ${NGINX}: install it with \`apt-get install -y nginx\``);
  }
  const snippet = fill(readFileSync('examples/nginx/tollgate.conf', 'utf8'), [
    ['listen 127.0.0.1:8000;', `listen 127.0.0.1:${port};`],
    ['http://127.0.0.1:4180', proxyUrl],
    ['http://127.0.0.1:8081', upstreamUrl],
  ]);
  writeFileSync(join(dir, 'tollgate.conf'), snippet);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
${temp.map((t) => `  ${t}_temp_path ${dir}/${t}_temp;`).join('\n')}
  include ${dir}/tollgate.conf;
}
`,
  );
  const args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')];
  const check = spawnSync(NGINX, ['-t', ...args], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration:\n${check.stderr}`);
  const { ready, running } = launch(NGINX, args, process.env, port, join(dir, 'error.log'));
  await ready;
  return running;
}

/** Caddy with examples/caddy/Caddyfile, bound to loopback; its state stays in `dir`. */
async function startCaddy(
  dir: string,
  port: number,
  proxyPort: number,
  upstreamUrl: string,
): Promise<Running> {
  const bin = findCaddy();
  const upstream = new URL(upstreamUrl).host;
  const caddyfile = fill(readFileSync('examples/caddy/Caddyfile', 'utf8'), [
    [':8000 {', `:${port} {\n\tbind 127.0.0.1`],
    ['127.0.0.1:4180', `127.0.0.1:${proxyPort}`],
    ['127.0.0.1:8081', upstream],
  ]);
  const path = join(dir, 'Caddyfile');
  writeFileSync(path, caddyfile);
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir };
  const { ready, running } = launch(bin, ['run', '--config', path, '--adapter', 'caddyfile'], env, port);
  await ready;
  return running;
}

// ---------------------------------------------------------------------------------------------
// Requests.

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One GET with headers sent exactly as given (names keep their case and `_`, duplicates stay),
 * optionally from another loopback source address.
 */
async function rawGet(
  url: string,
  headers: [string, string][],
  localAddress?: string,
  /** The request target exactly as sent (URL parsing would resolve dot segments). */
  rawPath?: string,
): Promise<RawResponse> {
  const target = new URL(url);
  return await new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: rawPath ?? `${target.pathname}${target.search}`,
        method: 'GET',
        // The array form sends names verbatim; Host is then not added for us (unless given).
        headers: (headers.some(([name]) => name.toLowerCase() === 'host')
          ? headers
          : [['Host', target.host], ...headers]
        ).flat(),
        localAddress,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Browsers scope cookies by host name, not port (RFC 6265 section 8.5): the proxy's cookie on
 * 127.0.0.1:PROXY goes to 127.0.0.1:FRONT too. The test Browser scopes by origin, so copy it.
 */
function shareCookies(browser: Browser, from: string, to: string): void {
  const fromOrigin = new URL(from).origin;
  const toOrigin = new URL(to).origin;
  for (const cookie of browser.cookies.filter((c) => c.origin === fromOrigin)) {
    const i = browser.cookies.findIndex(
      (c) => c.origin === toOrigin && c.name === cookie.name && c.path === cookie.path,
    );
    if (i >= 0) browser.cookies.splice(i, 1);
    browser.cookies.push({ ...cookie, origin: toOrigin });
  }
}

function cookieHeader(browser: Browser, url: string): string {
  const origin = new URL(url).origin;
  return browser.cookies
    .filter((c) => c.origin === origin)
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

/** Client-sent look-alikes of every identity header: any case, `_` for `-`. */
const SPOOFED: [string, string][] = [
  ['X-Forwarded-User', 'admin'],
  ['x-forwarded-user', 'admin'],
  ['X-FORWARDED-USER', 'admin'],
  ['X_Forwarded_User', 'admin'],
  ['x_forwarded_user', 'admin'],
  ['X-Forwarded-Email', 'admin@evil.example'],
  ['X_Forwarded_Email', 'admin@evil.example'],
  ['X-Forwarded-Groups', 'admins'],
  ['x_forwarded_groups', 'admins'],
  ['X-Tollgate-Assertion', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.'],
  ['X_Tollgate_Assertion', 'forged'],
];

const fold = (name: string) => name.toLowerCase().replaceAll('_', '-');
const IDENTITY_NAMES = [
  'x-forwarded-user',
  'x-forwarded-email',
  'x-forwarded-groups',
  'x-tollgate-assertion',
];

/** Asserts no spoofed value reached whoami under any spelling of an identity header. */
function expectNoSpoofedValue(report: WhoamiReport): void {
  for (const [name, value] of Object.entries(report.headers)) {
    const values = Array.isArray(value) ? value : [value ?? ''];
    for (const v of values) {
      expect(v, `header ${name}`).not.toMatch(/admin|forged|eyJhbGciOiJub25lIn0/);
    }
    if (IDENTITY_NAMES.includes(fold(name))) expect(name, 'only the dashed lower-case name').toBe(fold(name));
  }
}

/**
 * Sends every spelling of one identity header name (dash/underscore mixes in four letter-case
 * styles), each with a marked value, and asserts the upstream received none of those values
 * under any name. `expectUser`: the identity the proxy itself sets (undefined on bypass routes).
 */
async function expectEverySpellingStripped(url: string, cookie: string | undefined, expectUser?: string) {
  for (const name of ALWAYS_STRIPPED_HEADERS) {
    const spoofed: [string, string][] = frontSpellings(name).map((v) => [v, `spoofed:${v}`]);
    const report = await whoamiJson(url, cookie ? [['Cookie', cookie], ...spoofed] : spoofed);
    expect(report.user, name).toBe(expectUser);
    for (const [header, value] of Object.entries(report.headers)) {
      const values = Array.isArray(value) ? value : [value ?? ''];
      for (const v of values) expect(v, `${name}: the upstream got ${header}`).not.toContain('spoofed:');
    }
  }
}

/** Spellings of /admin that upstreams may route to the /admin handler (12.2, 15.2). */
const PATH_TRICKS = [
  '/ADMIN',
  '/Admin/users',
  '/admin;x',
  '/admin;/',
  '/admin%3Bx',
  '/public/..;/admin',
  '/public;/../admin',
  '//admin',
  '/admin/.',
  '/public/%2e%2e/admin',
];

async function whoamiJson(url: string, headers: [string, string][] = []): Promise<WhoamiReport> {
  const res = await rawGet(url, [['Accept', 'application/json'], ...headers]);
  expect(res.status, res.body.slice(0, 300)).toBe(200);
  return JSON.parse(res.body) as WhoamiReport;
}

// ---------------------------------------------------------------------------------------------
// The stack: Redis, tollgate, the auth-proxy, one whoami per front (the assertion's audience is
// the origin the front serves), nginx and Caddy.

let dir: string;
let redis: RedisServer;
let tg: RunningTollgate;
let proxy: Running;
let proxyUrl: string;
let whoamiNginx: RunningWhoami;
let whoamiCaddy: RunningWhoami;
let nginx: Running;
let caddy: Running;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-fronts-'));
  redis = await startRedis();
  const [proxyPort, nginxPort, caddyPort] = [await freePort(), await freePort(), await freePort()];
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  tg = await startTollgate({
    redisUrl: redis.url,
    overrides: {
      clients: [
        {
          client_id: 'proxy',
          client_secret: PROXY_SECRET,
          redirect_uris: [`${proxyUrl}/oauth2/callback`],
          post_logout_redirect_uris: [`${proxyUrl}/`],
          first_party: true,
          mfa: 'optional',
        },
      ],
    },
  });
  await addUser(tg, 'alice', PASSWORD, { email: 'alice@example.com', name: 'Alice', groups: ['users'] });

  // The proxy runs as its command, `tollgate-proxy --config FILE`, the way it is deployed.
  const proxyYaml = join(dir, 'proxy.yaml');
  writeFileSync(
    proxyYaml,
    stringifyYaml({
      listen: { host: '127.0.0.1', port: proxyPort },
      public_url: proxyUrl,
      provider: { issuer: tg.url, client_id: 'proxy', client_secret: PROXY_SECRET },
      cookie: { secret: 'nginx-test-cookie-secret-0123456789abcdef' },
      session: { store: redis.url, key_prefix: 'fronts:' },
      // nginx and Caddy connect from 127.0.0.1; UNTRUSTED stands for anyone else.
      trusted_proxies: ['127.0.0.1'],
      // The apps behind the fronts, for the assertion's audience (never the request's Host).
      upstreams: [
        { host: '127.0.0.1', audience: APP_AUDIENCE },
        { host: 'app.example.test', audience: 'https://app.example.test' },
      ],
      rules: [
        { path_prefix: '/public', policy: 'bypass' },
        { path_prefix: '/admin', policy: 'authenticated', groups: ['admins'] },
        { path_prefix: '/', policy: 'authenticated' },
      ],
    }),
  );
  const check = spawnSync(process.execPath, [PROXY_BIN, 'config', 'check', '--config', proxyYaml], {
    encoding: 'utf8',
  });
  expect(check.status, check.stderr).toBe(0);
  const started = launch(
    process.execPath,
    [PROXY_BIN, '--config', proxyYaml],
    { ...process.env, LOG_LEVEL: 'warn' },
    proxyPort,
  );
  await started.ready;
  proxy = started.running;

  const jwksUrl = `${proxyUrl}/.well-known/jwks.json`;
  whoamiNginx = await startWhoami({ jwksUrl, issuer: proxyUrl, audience: APP_AUDIENCE });
  whoamiCaddy = await startWhoami({ jwksUrl, issuer: proxyUrl, audience: APP_AUDIENCE });
  nginx = await startNginx(mkdtempSync(join(dir, 'nginx-')), nginxPort, proxyUrl, whoamiNginx.url);
  caddy = await startCaddy(mkdtempSync(join(dir, 'caddy-')), caddyPort, proxyPort, whoamiCaddy.url);
});

afterAll(async () => {
  await nginx?.stop();
  await caddy?.stop();
  await whoamiNginx?.close();
  await whoamiCaddy?.close();
  await proxy?.stop();
  await tg?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Real sign-in: the front's redirect -> proxy /oauth2/start -> tollgate's form -> back to the front. */
async function signIn(browser: Browser, front: string, path = '/'): Promise<Page> {
  const first = await browser.request(`${front}${path}`);
  expect(first.status).toBe(302);
  const login = await browser.get(new URL(first.headers.get('location') ?? '', first.url).href);
  expect(login.body).toContain('name="password"');
  // Stop at the front: the Browser's jar is per origin, so cookies are shared by hand below.
  const back = await browser.submit(login, { username: 'alice', password: PASSWORD }, front);
  shareCookies(browser, proxyUrl, front);
  return back;
}

describe('nginx auth_request with examples/nginx/tollgate.conf', () => {
  const signedIn = new Browser();

  it('sends an anonymous visitor to the proxy sign-in, with the whole page as rd', async () => {
    const res = await rawGet(`${nginx.url}/reports/q3?year=2025&format=pdf`, [['Accept', 'text/html']]);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location ?? '');
    expect(location.origin + location.pathname).toBe(`${proxyUrl}/oauth2/start`);
    // The proxy's URL-encoded target survives the "&" that a hand-built rd= would cut.
    expect(location.searchParams.get('rd')).toBe(`${nginx.url}/reports/q3?year=2025&format=pdf`);
  });

  it('signs in through tollgate and lands on the page first asked for', async () => {
    const back = await signIn(signedIn, nginx.url, '/reports/q3?year=2025&format=pdf');
    expect(back.url).toBe(`${nginx.url}/reports/q3?year=2025&format=pdf`);
  });

  it('passes the signed-in user to whoami with an assertion that verifies', async () => {
    const report = await whoamiJson(`${nginx.url}/hello`, [['Cookie', cookieHeader(signedIn, nginx.url)]]);
    expect(report).toMatchObject({
      path: '/hello',
      user: 'alice',
      email: 'alice@example.com',
      groups: 'users',
      assertion: { present: true, verified: true },
    });
    if (!report.assertion.verified) throw new Error('unreachable');
    expect(report.assertion.claims).toMatchObject({
      iss: proxyUrl,
      aud: APP_AUDIENCE,
      email: 'alice@example.com',
      groups: ['users'],
      preferred_username: 'alice',
    });

    const page = await signedIn.request(`${nginx.url}/hello`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Assertion verified');
    expect(page.body).toContain('alice');
  });

  it('never lets client-sent identity headers through, in any spelling', async () => {
    const report = await whoamiJson(`${nginx.url}/`, [
      ['Cookie', cookieHeader(signedIn, nginx.url)],
      ...SPOOFED,
    ]);
    expect(report.user).toBe('alice');
    expect(report.email).toBe('alice@example.com');
    expect(report.groups).toBe('users');
    expect(report.assertion.verified).toBe(true);
    expectNoSpoofedValue(report);
  });

  it('removes spoofed headers on a bypass route too, where there is no identity to set', async () => {
    const report = await whoamiJson(`${nginx.url}/public/info`, SPOOFED);
    expect(report.user).toBeUndefined();
    expect(report.email).toBeUndefined();
    expect(report.groups).toBeUndefined();
    expect(report.assertion).toEqual({ present: false, verified: false });
    expectNoSpoofedValue(report);
  });

  it('strips every identity header name of the one list, in every spelling (15.1)', async () => {
    await expectEverySpellingStripped(`${nginx.url}/hello`, cookieHeader(signedIn, nginx.url), 'alice');
  });

  it('strips every identity header name in every spelling on a bypass route too (15.1)', async () => {
    await expectEverySpellingStripped(`${nginx.url}/public/info`, undefined);
  });

  it('answers 403 when a rule needs a group the user lacks', async () => {
    const res = await rawGet(`${nginx.url}/admin/users`, [['Cookie', cookieHeader(signedIn, nginx.url)]]);
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('whoami');
  });

  // 12.2 / 15.2: alice is not in `admins`; every spelling of /admin must meet the /admin rule.
  it.each(PATH_TRICKS)('nginx: %s cannot reach past the /admin rule', async (path) => {
    const res = await rawGet(nginx.url, [['Cookie', cookieHeader(signedIn, nginx.url)]], undefined, path);
    expect([400, 403]).toContain(res.status);
    expect(res.body).not.toContain('whoami');
  });

  it('nginx: an absolute-form request target cannot reach past the /admin rule', async () => {
    for (const path of [`${nginx.url}/admin`, `${nginx.url}/public/..;/admin`, 'http://evil.test/ADMIN']) {
      const res = await rawGet(nginx.url, [['Cookie', cookieHeader(signedIn, nginx.url)]], undefined, path);
      expect([400, 403], `${path} ${JSON.stringify(res.headers)}`).toContain(res.status);
    }
  });

  it('answers /auth/nginx to a trusted proxy only (15.5)', async () => {
    const bypass: [string, string][] = [['X-Original-URL', `${nginx.url}/public/info`]];
    expect((await rawGet(`${proxyUrl}/auth/nginx`, bypass)).status).toBe(200);
    const untrusted = await rawGet(`${proxyUrl}/auth/nginx`, bypass, UNTRUSTED);
    expect(untrusted.status).toBe(403);
  });

  it("never takes the assertion's audience from the client's Host (15.5)", async () => {
    const cookie: [string, string] = ['Cookie', cookieHeader(signedIn, nginx.url)];
    // nginx passes the client's Host on in X-Original-URL; it selects no audience of its own.
    const evil = await whoamiJson(`${nginx.url}/hello`, [cookie, ['Host', 'evil.example']]);
    expect(evil.user).toBe('alice');
    expect(evil.assertion.present).toBe(false);
  });

  it('signs out through the /oauth2/ location; the next request has to sign in again', async () => {
    const ask = await signedIn.request(`${nginx.url}/oauth2/sign_out`);
    expect(ask.status).toBe(200);
    const form = parseForm(ask.body);
    const out = await signedIn.request(new URL(form.action, ask.url).href, { form: form.fields });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')?.startsWith(`${tg.url}/session/end`)).toBe(true);
    const stale = await rawGet(`${nginx.url}/hello`, [['Cookie', cookieHeader(signedIn, proxyUrl)]]);
    expect(stale.status).toBe(302);
  });
});

describe('Caddy forward_auth with examples/caddy/Caddyfile', () => {
  const signedIn = new Browser();

  it('redirects a browser to sign in and gives an API client 401 JSON', async () => {
    const browser = await rawGet(`${caddy.url}/page?x=1`, [['Accept', 'text/html']]);
    expect(browser.status).toBe(302);
    const location = new URL(browser.headers.location ?? '');
    expect(location.origin + location.pathname).toBe(`${proxyUrl}/oauth2/start`);
    expect(location.searchParams.get('rd')).toBe(`${caddy.url}/page?x=1`);

    const api = await rawGet(`${caddy.url}/page`, [['Accept', 'application/json']]);
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body)).toMatchObject({ error: 'unauthenticated' });
  });

  it('signs in and passes the user to whoami, dropping every spoofed spelling', async () => {
    const back = await signIn(signedIn, caddy.url, '/page?x=1');
    expect(back.url).toBe(`${caddy.url}/page?x=1`);
    const report = await whoamiJson(`${caddy.url}/page`, [
      ['Cookie', cookieHeader(signedIn, caddy.url)],
      ...SPOOFED,
    ]);
    expect(report).toMatchObject({
      user: 'alice',
      email: 'alice@example.com',
      groups: 'users',
      assertion: { present: true, verified: true },
    });
    if (report.assertion.verified) expect(report.assertion.claims.aud).toBe(APP_AUDIENCE);
    expectNoSpoofedValue(report);
  });

  it('strips every identity header name of the one list, in every spelling (15.1)', async () => {
    await expectEverySpellingStripped(`${caddy.url}/page`, cookieHeader(signedIn, caddy.url), 'alice');
  });

  it('strips every identity header name in every spelling on a bypass route too (15.1)', async () => {
    await expectEverySpellingStripped(`${caddy.url}/public/info`, undefined);
  });

  it('removes spoofed headers on a bypass route too', async () => {
    const report = await whoamiJson(`${caddy.url}/public/info`, SPOOFED);
    // Absent, not empty and not Caddy 2.6's "{http.reverse_proxy.header...}" leftovers.
    expect(report.user).toBeUndefined();
    expect(report.email).toBeUndefined();
    expect(report.groups).toBeUndefined();
    expect(report.assertion).toEqual({ present: false, verified: false });
    expectNoSpoofedValue(report);
  });

  it.each(PATH_TRICKS)('Caddy: %s cannot reach past the /admin rule', async (path) => {
    const res = await rawGet(
      caddy.url,
      [
        ['Cookie', cookieHeader(signedIn, caddy.url)],
        ['Accept', 'application/json'],
      ],
      undefined,
      path,
    );
    expect([400, 403]).toContain(res.status);
    expect(res.body).not.toContain('whoami');
  });

  it('answers 403 when a rule needs a group the user lacks', async () => {
    const res = await rawGet(`${caddy.url}/admin`, [
      ['Cookie', cookieHeader(signedIn, caddy.url)],
      ['Accept', 'application/json'],
    ]);
    expect(res.status).toBe(403);
  });
});

describe('Traefik forwardAuth (/auth/traefik) and examples/traefik/dynamic.yml', () => {
  const signedIn = new Browser();

  /** What Traefik's forwardAuth adds to the client's headers when it asks the auth server. */
  const traefik = (uri: string, method = 'GET'): [string, string][] => [
    ['X-Forwarded-Method', method],
    ['X-Forwarded-Proto', 'https'],
    ['X-Forwarded-Host', 'app.example.test'],
    ['X-Forwarded-Uri', uri],
    ['X-Forwarded-For', '203.0.113.7'],
  ];

  beforeAll(async () => {
    // Any front works to get a session; the cookie is what Traefik would pass along.
    await signIn(signedIn, nginx.url);
  });

  it('documents the endpoint and exactly the header names the proxy answers with', () => {
    const doc = parseYaml(readFileSync('examples/traefik/dynamic.yml', 'utf8')) as {
      http: {
        middlewares: Record<
          string,
          {
            forwardAuth: { address: string; authResponseHeaders: string[]; authResponseHeadersRegex: string };
          }
        >;
      };
    };
    const forwardAuth = doc.http.middlewares.tollgate?.forwardAuth;
    expect(new URL(forwardAuth?.address ?? '').pathname).toBe('/auth/traefik');
    expect(forwardAuth?.authResponseHeaders).toEqual([
      'X-Forwarded-User',
      'X-Forwarded-Email',
      'X-Forwarded-Groups',
      'X-Tollgate-Assertion',
    ]);
    // Go's inline (?i) is JavaScript's i flag; Traefik deletes every request header matching it.
    const regex = new RegExp((forwardAuth?.authResponseHeadersRegex ?? '').replaceAll('(?i)', ''), 'i');
    for (const [name] of SPOOFED) expect(regex.test(name), name).toBe(true);
    for (const name of ALWAYS_STRIPPED_HEADERS) {
      for (const v of frontSpellings(name)) expect(regex.test(v), v).toBe(true);
    }
    expect(regex.test('X-Forwarded-Usernames')).toBe(false);
    expect(regex.test('X-Forwarded-For')).toBe(false);
  });

  it('authorizes the URL Traefik describes when the sender is trusted', async () => {
    const cookie: [string, string] = ['Cookie', cookieHeader(signedIn, proxyUrl)];
    const ok = await rawGet(`${proxyUrl}/auth/traefik`, [cookie, ...traefik('/dashboard')]);
    expect(ok.status).toBe(200);
    expect(ok.headers['x-forwarded-user']).toBe('alice');
    expect(ok.headers['x-forwarded-email']).toBe('alice@example.com');
    expect(ok.headers['x-forwarded-groups']).toBe('users');
    const assertion = decodeJwt(String(ok.headers['x-tollgate-assertion']));
    expect(assertion).toMatchObject({
      iss: proxyUrl,
      aud: 'https://app.example.test',
      sub: expect.any(String),
    });

    expect((await rawGet(`${proxyUrl}/auth/traefik`, [cookie, ...traefik('/admin/x')])).status).toBe(403);
    expect((await rawGet(`${proxyUrl}/auth/traefik`, traefik('/public/x'))).status).toBe(200);

    const anonymous = await rawGet(`${proxyUrl}/auth/traefik`, [
      ['Accept', 'text/html'],
      ...traefik('/a?b=1'),
    ]);
    expect(anonymous.status).toBe(302);
    expect(new URL(anonymous.headers.location ?? '').searchParams.get('rd')).toBe(
      'https://app.example.test/a?b=1',
    );
    const api = await rawGet(`${proxyUrl}/auth/traefik`, [['Accept', 'application/json'], ...traefik('/a')]);
    expect(api.status).toBe(401);
  });

  it('answers nobody but a trusted proxy, whatever headers it sends (15.5)', async () => {
    const cookie: [string, string] = ['Cookie', cookieHeader(signedIn, proxyUrl)];
    for (const headers of [traefik('/public/x'), [cookie, ...traefik('/dashboard')]]) {
      const res = await rawGet(`${proxyUrl}/auth/traefik`, [['Accept', 'text/html'], ...headers], UNTRUSTED);
      expect(res.status).toBe(403);
      expect(res.headers['x-tollgate-assertion']).toBeUndefined();
      expect(res.headers['x-forwarded-user']).toBeUndefined();
    }
  });
});
