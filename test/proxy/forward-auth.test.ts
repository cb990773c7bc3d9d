// Forward-auth endpoints as nginx auth_request, Traefik forwardAuth and Caddy forward_auth call
// them. The "front proxy" is this test connecting from 127.0.0.2, the only trusted address;
// anyone else gets 403.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { addUser } from '../helpers/tollgate.ts';
import { cookieHeader, PASSWORD, rawGet, type Stack, signIn, startStack } from './helpers.ts';

const FRONT = '127.0.0.2';
const APP = 'http://app.example.org';

let redis: Awaited<ReturnType<typeof startRedis>>;
let stack: Stack;
let alice: Browser;
let bob: Browser;

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack(redis, {
    trustedProxies: [FRONT],
    // The app behind the front: the assertion's audience is this entry, never a request header.
    extraUpstreams: [{ host: 'app.example.org', audience: APP }],
  });
  await addUser(stack.tg, 'alice', PASSWORD, { email: 'alice@example.org', groups: ['admins'] });
  await addUser(stack.tg, 'bob', PASSWORD, { groups: ['staff'] });
  alice = new Browser();
  bob = new Browser();
  await signIn(alice, stack, 'alice');
  await signIn(bob, stack, 'bob');
});

afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

const nginx = (original: string, headers: Record<string, string> = {}, localAddress = FRONT) =>
  rawGet(`${stack.url}/auth/nginx`, { 'x-original-url': original, ...headers }, { localAddress });

const traefik = (path: string, uri: string, headers: Record<string, string> = {}) =>
  rawGet(
    `${stack.url}${path}`,
    {
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.example.org',
      'x-forwarded-uri': uri,
      'x-forwarded-method': 'GET',
      ...headers,
    },
    { localAddress: FRONT },
  );

describe('forward-auth: nginx auth_request', () => {
  it('answers 401 with where to sign in when there is no session', async () => {
    const res = await nginx(`${APP}/page?q=1`);
    expect(res.status).toBe(401);
    expect(res.headers['cache-control']).toBe('no-store');
    const signInUrl = new URL(res.headers['x-auth-request-redirect'] as string);
    expect(signInUrl.href.startsWith(`${stack.url}/oauth2/start?`)).toBe(true);
    expect(signInUrl.searchParams.get('rd')).toBe(`${APP}/page?q=1`);
  });

  it('answers 200 with the identity headers and an assertion for the original origin', async () => {
    const res = await nginx(`${APP}/page`, { cookie: cookieHeader(alice) });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-auth-request-user']).toBe('alice');
    expect(res.headers['x-auth-request-email']).toBe('alice@example.org');
    expect(res.headers['x-auth-request-groups']).toBe('admins');
    const jwks = createRemoteJWKSet(new URL(`${stack.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(res.headers['x-tollgate-assertion'] as string, jwks, {
      issuer: stack.url,
      audience: APP,
    });
    expect(payload.email).toBe('alice@example.org');
  });

  it('answers 200 without identity on a bypass route, 403 when forbidden, 401 + acr for step-up', async () => {
    const open = await nginx(`${APP}/public/x`, { cookie: cookieHeader(alice) });
    expect(open.status).toBe(200);
    expect(open.headers['x-auth-request-user']).toBeUndefined();
    expect((await nginx(`${APP}/admin`, { cookie: cookieHeader(bob) })).status).toBe(403);
    const stepUp = await nginx(`${APP}/admin`, { cookie: cookieHeader(alice) });
    expect(stepUp.status).toBe(401);
    expect(new URL(stepUp.headers['x-auth-request-redirect'] as string).searchParams.get('acr')).toBe('2fa');
  });

  it('refuses unreadable and hostile original URLs (403 for nginx), never 200', async () => {
    for (const original of [
      `${APP}/public/..%2fadmin`,
      `${APP}/public/%252e%252e/admin`,
      `${APP}/public\\..\\admin`,
      'not a url',
      `javascript://${'app.example.org'}/public`,
      'http://user:pw@app.example.org/public',
    ]) {
      const res = await nginx(original, { cookie: cookieHeader(alice) });
      expect(res.status, original).toBe(403);
    }
  });

  it('answers only trusted proxies: 403 for anyone else, signed in or not (15.5)', async () => {
    for (const path of ['/auth/nginx', '/auth/traefik', '/auth/caddy']) {
      for (const headers of [{} as Record<string, string>, { cookie: cookieHeader(alice) }]) {
        const res = await rawGet(
          `${stack.url}${path}`,
          { 'x-original-url': `${APP}/public/x`, accept: 'application/json', ...headers },
          { localAddress: '127.0.0.1' },
        );
        expect(res.status, path).toBe(403);
        expect(JSON.parse(res.body)).toEqual({ error: 'forbidden' });
        expect(res.headers['x-tollgate-assertion']).toBeUndefined();
        expect(res.headers['x-auth-request-user']).toBeUndefined();
      }
    }
  });

  it('takes the assertion audience from the upstream configuration, never from the Host (15.5)', async () => {
    const jwks = createRemoteJWKSet(new URL(`${stack.url}/.well-known/jwks.json`));
    // The front proxy builds X-Original-URL / X-Forwarded-Host from the client's Host header.
    const evil = await nginx('http://evil.example/page', { cookie: cookieHeader(alice) });
    expect(evil.status).toBe(200);
    expect(evil.headers['x-auth-request-user']).toBe('alice');
    expect(evil.headers['x-tollgate-assertion']).toBeUndefined();
    const spoofed = await traefik('/auth/caddy', '/docs', {
      cookie: cookieHeader(alice),
      'x-forwarded-host': 'evil.example',
    });
    expect(spoofed.headers['x-tollgate-assertion']).toBeUndefined();
    // A port on the configured host changes nothing either: the audience is the configured value.
    const ported = await nginx('http://app.example.org:8443/page', { cookie: cookieHeader(alice) });
    const { payload } = await jwtVerify(ported.headers['x-tollgate-assertion'] as string, jwks, {
      issuer: stack.url,
    });
    expect(payload.aud).toBe(APP);
  });
});

describe('forward-auth: Traefik and Caddy', () => {
  it.each(['/auth/traefik', '/auth/caddy'])(
    '%s: 302 for browsers, 401 JSON for APIs, 200 with identity',
    async (path) => {
      const browser = await traefik(path, '/docs?page=2', { accept: 'text/html' });
      expect(browser.status).toBe(302);
      const location = new URL(browser.headers.location as string);
      expect(location.searchParams.get('rd')).toBe(`${APP}/docs?page=2`);
      expect(browser.headers['cache-control']).toBe('no-store');

      const api = await traefik(path, '/docs', { accept: 'application/json' });
      expect(api.status).toBe(401);
      expect(JSON.parse(api.body)).toMatchObject({ error: 'unauthenticated' });
      const apiRoute = await traefik(path, '/api/x', { accept: 'text/html' });
      expect(apiRoute.status).toBe(401);

      const ok = await traefik(path, '/docs', { cookie: cookieHeader(alice) });
      expect(ok.status).toBe(200);
      expect(ok.headers['x-forwarded-user']).toBe('alice');
      expect(ok.headers['x-forwarded-groups']).toBe('admins');
      expect(ok.headers['x-tollgate-assertion']).toBeTypeOf('string');
      expect(ok.headers['cache-control']).toBe('no-store');

      const forbidden = await traefik(path, '/admin', {
        cookie: cookieHeader(bob),
        accept: 'application/json',
      });
      expect(forbidden.status).toBe(403);
      const stepUp = await traefik(path, '/admin', { cookie: cookieHeader(alice) });
      expect(stepUp.status).toBe(302);
      expect(new URL(stepUp.headers.location as string).searchParams.get('acr')).toBe('2fa');
      const hostile = await traefik(path, '/public/%2e%2e%2fadmin', { cookie: cookieHeader(alice) });
      expect(hostile.status).toBe(400);
    },
  );
});

describe('reverse proxy behind a trusted proxy', () => {
  it('appends to the trusted X-Forwarded-For chain and takes its proto and host', async () => {
    const res = await rawGet(
      `${stack.url}/public/x`,
      {
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': `127.0.0.1:${stack.port}`,
        'x-forwarded-uri': '/admin', // ignored in reverse-proxy mode: the forwarded path is ours
      },
      { localAddress: FRONT },
    );
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    expect(echo.url).toBe('/public/x');
    expect(echo.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.2');
    expect(echo.headers['x-forwarded-proto']).toBe('https');
    expect(echo.headers['x-forwarded-uri']).toBeUndefined();
  });
});
