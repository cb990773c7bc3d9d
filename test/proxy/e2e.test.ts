// The auth-proxy end to end: a real sign-in through tollgate's pages, proxied requests with
// identity headers and a verifiable assertion, step-up with a TOTP code from oathtool, and
// the ways a request must NOT get through (spoofed headers, hostile paths, API clients).
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALWAYS_STRIPPED_HEADERS } from '../../examples/auth-proxy/identity-headers.ts';
import { type RunningProxy, startProxy } from '../../examples/auth-proxy/server.ts';
import { createLogger } from '../../src/log.ts';
import { Browser, parseForm } from '../helpers/browser.ts';
import { freePort, startRedis } from '../helpers/redis-server.ts';
import { addUser } from '../helpers/tollgate.ts';
import { keyFromPage, oathtool } from '../mfa/helpers.ts';
import {
  cookieHeader,
  type Echo,
  PASSWORD,
  proxyClient,
  rawGet,
  type Stack,
  signIn,
  stackConfig,
  startStack,
} from './helpers.ts';
import { frontSpellings } from './spellings.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let stack: Stack;
/** A second proxy, registered at tollgate as a client whose MFA policy is off. */
let oneFactorProxy: RunningProxy;
let alice: Browser;

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  const oneFactorClient = { ...proxyClient(`http://127.0.0.1:${port}`), client_id: 'proxy-1fa', mfa: 'off' };
  stack = await startStack(redis, { sessionRedis: redis.url, extraClients: [oneFactorClient] });
  const config = stackConfig({ port, tg: stack.tg, upstream: stack.upstream, clientId: 'proxy-1fa' });
  oneFactorProxy = await startProxy(config, { logger: createLogger('silent') });
  await addUser(stack.tg, 'alice', PASSWORD, { email: 'alice@example.org', groups: ['admins', 'staff'] });
  await addUser(stack.tg, 'bob', PASSWORD, { email: 'bob@example.org', groups: ['staff'] });
  alice = new Browser();
  await signIn(alice, stack, 'alice');
});

afterAll(async () => {
  await oneFactorProxy?.close();
  await stack?.stop();
  await redis?.stop();
});

const echoOf = (body: string) => JSON.parse(body) as Echo;

describe('auth-proxy: sign-in and identity', () => {
  it('signs in through tollgate and passes identity headers and a valid assertion upstream', async () => {
    const browser = new Browser();
    const page = await signIn(browser, stack, 'bob', '/hello?x=1');
    expect(page.status).toBe(200);
    const echo = echoOf(page.body);
    expect(echo.url).toBe('/hello?x=1');
    expect(echo.headers['x-forwarded-user']).toBe('bob');
    expect(echo.headers['x-forwarded-email']).toBe('bob@example.org');
    expect(echo.headers['x-forwarded-groups']).toBe('staff');
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers['x-forwarded-host']).toBe(`127.0.0.1:${stack.port}`);
    // The proxy's session cookie is a credential for the proxy only: never sent upstream.
    expect(echo.headers.cookie).toBeUndefined();

    const cookie = browser.cookies.find((c) => c.name === 'tollgate_proxy');
    expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const jwks = createRemoteJWKSet(new URL(`${stack.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(
      echo.headers['x-tollgate-assertion'] as string,
      jwks,
      {
        issuer: stack.url,
        audience: stack.upstream.url,
      },
    );
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({
      email: 'bob@example.org',
      groups: ['staff'],
      acr: 'urn:tollgate:acr:1fa',
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60);
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, Path=/ with an 8 h lifetime', async () => {
    const browser = new Browser();
    const form = await browser.get(`${stack.url}/`);
    const { action, fields } = parseForm(form.body);
    let page = await browser.request(new URL(action, form.url).href, {
      form: { ...fields, username: 'bob', password: PASSWORD },
    });
    let setCookie: string | undefined;
    for (let i = 0; i < 10 && page.status >= 300 && page.status < 400; i++) {
      if (page.url.startsWith(`${stack.url}/oauth2/callback`)) {
        setCookie = page.headers.getSetCookie().find((c) => c.startsWith('tollgate_proxy='));
        expect(page.headers.get('cache-control')).toBe('no-store');
      }
      page = await browser.request(new URL(page.headers.get('location') ?? '', page.url).href);
    }
    expect(setCookie).toMatch(
      /^tollgate_proxy=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    expect(page.status).toBe(200);
  });

  it('sends API clients 401 JSON and browsers to sign-in; never serves them', async () => {
    const hits = stack.upstream.hits;
    const api = await rawGet(`${stack.url}/`, { accept: 'application/json' });
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body)).toMatchObject({ error: 'unauthenticated' });
    const apiRoute = await rawGet(`${stack.url}/api/things`, { accept: 'text/html' });
    expect(apiRoute.status).toBe(401);
    const browser = await rawGet(`${stack.url}/some/page?q=1`, { accept: 'text/html' });
    expect(browser.status).toBe(302);
    const location = new URL(browser.headers.location as string);
    expect(location.pathname).toBe('/oauth2/start');
    expect(location.searchParams.get('rd')).toBe(`${stack.url}/some/page?q=1`);
    expect(browser.headers['cache-control']).toBe('no-store');
    expect(stack.upstream.hits).toBe(hits);
  });

  it('answers 403 to a signed-in user outside the rule groups, without asking for a second factor', async () => {
    const bob = new Browser();
    await signIn(bob, stack, 'bob');
    const page = await bob.request(`${stack.url}/admin/panel`);
    expect(page.status).toBe(403);
  });
});

describe('auth-proxy: streaming', () => {
  it('streams request and response bodies instead of buffering them', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024, 'x');
    const upload = await fetch(`${stack.url}/upload`, {
      method: 'POST',
      headers: { cookie: cookieHeader(alice), 'content-type': 'application/octet-stream' },
      body,
    });
    expect(upload.status).toBe(200);
    expect(((await upload.json()) as Echo).bodyBytes).toBe(body.length);

    const res = await fetch(`${stack.url}/public/stream`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value ?? []).toString()).toBe('first\n');
    // The first chunk arrived while the upstream still held the last one back.
    expect(stack.upstream.releaseStreams()).toBe(1);
    while (!(await reader.read()).done) {}
  });
});

describe('auth-proxy: step-up', () => {
  it('sends a one-factor session to tollgate with acr_values, and lets it through after TOTP', async () => {
    const browser = new Browser();
    await addUser(stack.tg, 'carol', PASSWORD, { groups: ['admins'] });
    await signIn(browser, stack, 'carol');

    const first = await browser.request(`${stack.url}/admin/panel`);
    expect(first.status).toBe(302);
    const start = new URL(first.headers.get('location') ?? '');
    expect(start.searchParams.get('acr')).toBe('2fa');
    const toTollgate = await browser.request(start.href);
    const authorize = new URL(toTollgate.headers.get('location') ?? '');
    expect(authorize.searchParams.get('acr_values')).toBe('urn:tollgate:acr:2fa');

    // tollgate asks only for the missing factor (carol has none yet: enrolment), never the password.
    const enrol = await browser.follow(toTollgate);
    expect(enrol.body).not.toContain('name="password"');
    const key = keyFromPage(enrol);
    const codes = await browser.submit(enrol, { code: oathtool(key) });
    const done = await browser.submit(codes, { confirm: '1' });
    expect(done.status).toBe(200);
    const echo = echoOf(done.body);
    expect(echo.url).toBe('/admin/panel');
    expect(echo.headers['x-forwarded-user']).toBe('carol');

    const jwks = createRemoteJWKSet(new URL(`${stack.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(echo.headers['x-tollgate-assertion'] as string, jwks, {
      audience: stack.upstream.url,
    });
    expect(payload.acr).toBe('urn:tollgate:acr:2fa');
    expect(payload.amr).toContain('otp');
  });
});

describe('auth-proxy: step-up refused', () => {
  it('answers 403 when the step-up sign-in comes back with one factor', async () => {
    // tollgate treats acr_values as voluntary for a client whose MFA policy is off: the ID token
    // says 1fa, and the proxy must not take that sign-in as the second factor it asked for.
    const browser = new Browser();
    const page = await signIn(browser, oneFactorProxy, 'alice', '/admin/x');
    expect(page.url.startsWith(`${oneFactorProxy.url}/oauth2/callback?`)).toBe(true);
    expect(page.status).toBe(403);
    expect(page.body).toContain('second factor');
  });
});

describe('auth-proxy: spoofed identity headers', () => {
  const spoofs: [string, string][] = [
    ['X-Forwarded-User', 'mallory'],
    ['x_forwarded_user', 'mallory'],
    ['X_FORWARDED_USER', 'mallory'],
    ['X-FORWARDED-EMAIL', 'mallory@evil.test'],
    ['x-forwarded_groups', 'mallory-admins'],
    ['X-Tollgate-Assertion', 'mallory.jwt.sig'],
    ['x_tollgate_assertion', 'mallory.jwt.sig'],
    ['Remote-User', 'mallory'],
    ['remote_user', 'mallory'],
    ['X-Remote-User', 'mallory'],
    ['X-Auth-Request-User', 'mallory'],
    ['X-Forwarded-Preferred-Username', 'mallory'],
    // Forwarded by the reverse proxy before issue 15.1.
    ['X-User', 'mallory'],
    ['x_email', 'mallory@evil.test'],
  ];
  const leaked = (echo: Echo) => JSON.stringify(echo.rawHeaders).includes('mallory');

  it('never reach the upstream from a signed-in user, who gets exactly one copy of each real one', async () => {
    const res = await rawGet(`${stack.url}/x`, [['Cookie', cookieHeader(alice)], ...spoofs]);
    expect(res.status).toBe(200);
    const echo = echoOf(res.body);
    expect(leaked(echo)).toBe(false);
    const userHeaders = echo.rawHeaders.filter(
      (_, i) => i % 2 === 0 && /^x.forwarded.user$/i.test(echo.rawHeaders[i] ?? ''),
    );
    expect(userHeaders).toEqual(['X-Forwarded-User']);
    expect(echo.headers['x-forwarded-user']).toBe('alice');
  });

  it('never reach the upstream on a bypass route, where no identity is set at all', async () => {
    const res = await rawGet(`${stack.url}/public/page`, spoofs);
    expect(res.status).toBe(200);
    const echo = echoOf(res.body);
    expect(leaked(echo)).toBe(false);
    expect(echo.headers['x-forwarded-user']).toBeUndefined();
    expect(echo.headers['x-tollgate-assertion']).toBeUndefined();
  });

  it('every name of the one list, in every spelling, is stripped on signed-in and bypass routes (15.1)', async () => {
    for (const name of ALWAYS_STRIPPED_HEADERS) {
      const spoofed: [string, string][] = frontSpellings(name).map((v) => [v, `mallory:${v}`]);
      for (const [path, cookie] of [
        ['/x', cookieHeader(alice)],
        ['/public/page', undefined],
      ] as const) {
        const res = await rawGet(`${stack.url}${path}`, cookie ? [['Cookie', cookie], ...spoofed] : spoofed);
        expect(res.status).toBe(200);
        expect(leaked(echoOf(res.body)), `${name} on ${path}`).toBe(false);
      }
    }
  });

  it('do not sign anyone in, and forwarded headers from an untrusted peer are ignored', async () => {
    const hits = stack.upstream.hits;
    const res = await rawGet(`${stack.url}/x`, [
      ...spoofs,
      ['X-Original-URL', `${stack.url}/public/x`],
      ['X-Forwarded-Uri', '/public/x'],
      ['User-Agent', 'tollgate-internal-healthcheck'],
      ['Accept', 'application/json'],
    ]);
    expect(res.status).toBe(401);
    expect(stack.upstream.hits).toBe(hits);
    const xff = await rawGet(`${stack.url}/public/y`, {
      'x-forwarded-for': '6.6.6.6',
      forwarded: 'for=6.6.6.6',
    });
    const echo = echoOf(xff.body);
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echo.headers.forwarded).toBeUndefined();
  });
});

describe('auth-proxy: hostile paths and redirect targets', () => {
  let bob: string | undefined;
  /** bob's session cookie (one-factor, staff only), signed in on first use. */
  const bobCookie = async () => {
    if (!bob) {
      const browser = new Browser();
      await signIn(browser, stack, 'bob');
      bob = cookieHeader(browser);
    }
    return bob;
  };

  const hostile = [
    '/public/..%2fadmin',
    '/public%2f..%2fadmin',
    '/public/%252e%252e/admin',
    '/public/%2e%2e/admin',
    '/public/../admin',
    '/public\\..\\admin',
    '/public/%5c../admin',
    '/public/%00/../admin',
    '/public/%zz',
    '//public/../admin',
    'http://evil.test/public',
    '*',
  ];

  it.each(hostile)('%s is refused or needs sign-in, never passed', async (path) => {
    const hits = stack.upstream.hits;
    const res = await rawGet(`${stack.url}/`, { accept: 'application/json' }, { path });
    expect([400, 401, 403]).toContain(res.status);
    expect(stack.upstream.hits).toBe(hits);
  });

  // 12.2 / 15.2: bob is signed in but not in `admins`, so only the /admin rule refuses him.
  it.each([
    '/admin;x',
    '/admin;/',
    '/ADMIN',
    '/Admin/users',
    '/admin%3Bx',
    '/public/..;/admin',
    '/public;/../admin',
    '//admin',
    '/admin/.',
    'http://127.0.0.1/admin',
    'http://127.0.0.1/public/../admin',
  ])('%s cannot reach anything but the /admin rule', async (path) => {
    const bob = await bobCookie();
    const hits = stack.upstream.hits;
    const res = await rawGet(`${stack.url}/`, { cookie: bob, accept: 'application/json' }, { path });
    expect([400, 403]).toContain(res.status);
    expect(stack.upstream.hits).toBe(hits);
  });

  it('sends the upstream the normalised path it authorised, not the raw one', async () => {
    const bob = await bobCookie();
    for (const [raw, sent] of [
      ['//x/./y/../z?a=1&b=%2F', '/x/z?a=1&b=%2F'],
      ['/Public/../x/', '/x/'],
      ['/x/%7e%61', '/x/~a'],
    ]) {
      const res = await rawGet(`${stack.url}/`, { cookie: bob }, { path: raw });
      expect(res.status, raw).toBe(200);
      expect(echoOf(res.body).url).toBe(sent);
    }
  });

  it('matches rules on the path only, never the query', async () => {
    const res = await rawGet(`${stack.url}/admin?/public`, { accept: 'application/json' });
    expect(res.status).toBe(401);
    const open = await rawGet(`${stack.url}/public/a?next=/admin`);
    expect(open.status).toBe(200);
  });

  it.each([
    'https://evil.test/',
    '//evil.test/',
    '/\\evil.test',
    'https://example.org.evil.test/',
    'https://badexample.org/',
    'https://user@app.example.org/',
    'javascript:alert(1)',
    '/%0d%0aSet-Cookie:x=1',
  ])('a hostile sign-out rd %s falls back to the proxy root', async (rd) => {
    const page = await rawGet(`${stack.url}/oauth2/sign_out?rd=${encodeURIComponent(rd)}`);
    expect(page.status).toBe(200);
    expect(parseForm(page.body).fields.rd).toBe(`${stack.url}/`);
    const res = await fetch(`${stack.url}/oauth2/sign_out`, {
      method: 'POST',
      body: new URLSearchParams({ rd }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.origin).toBe(stack.tg.url);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${stack.url}/`);
  });

  it('keeps an allowed rd, and a hostile rd on sign-in lands on the proxy root', async () => {
    const ok = await fetch(`${stack.url}/oauth2/sign_out`, {
      method: 'POST',
      body: new URLSearchParams({ rd: 'https://app.example.org/x' }),
      redirect: 'manual',
    });
    expect(new URL(ok.headers.get('location') ?? '').searchParams.get('post_logout_redirect_uri')).toBe(
      'https://app.example.org/x',
    );
    const browser = new Browser();
    const form = await browser.get(`${stack.url}/oauth2/start?rd=${encodeURIComponent('//evil.test/x')}`);
    const last = await browser.submit(form, { username: 'bob', password: PASSWORD });
    expect(last.status).toBe(200);
    expect(echoOf(last.body).url).toBe('/');
  });

  it('refuses a callback without the state it issued, or from another browser', async () => {
    const unknown = await rawGet(`${stack.url}/oauth2/callback?code=x&state=forged`);
    expect(unknown.status).toBe(400);
    const start = await rawGet(`${stack.url}/oauth2/start?rd=/`);
    const state = new URL(start.headers.location as string).searchParams.get('state');
    const other = await rawGet(`${stack.url}/oauth2/callback?code=x&state=${state}`);
    expect(other.status).toBe(400);
    expect(other.body).toContain('another browser');
  });
});
