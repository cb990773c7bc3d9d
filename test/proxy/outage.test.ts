// Fail closed: with the proxy's session Redis gone, requests that need a session get 503 from
// the reverse proxy and every forward-auth flavour; nothing is passed through. tollgate keeps its
// own Redis, so only the proxy's store is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { addUser } from '../helpers/tollgate.ts';
import { cookieHeader, PASSWORD, rawGet, type Stack, signIn, startStack } from './helpers.ts';

let tollgateRedis: Awaited<ReturnType<typeof startRedis>>;
let proxyRedis: Awaited<ReturnType<typeof startRedis>>;
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  [tollgateRedis, proxyRedis] = await Promise.all([startRedis(), startRedis()]);
  stack = await startStack(tollgateRedis, { sessionRedis: proxyRedis.url, trustedProxies: ['127.0.0.2'] });
  await addUser(stack.tg, 'fay', PASSWORD);
  browser = new Browser();
  await signIn(browser, stack, 'fay');
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all([tollgateRedis?.stop(), proxyRedis?.stop()]);
});

describe('auth-proxy: session store down', () => {
  it('answers 503, never a pass, from the proxy and forward-auth', async () => {
    const cookie = cookieHeader(browser);
    expect((await rawGet(`${stack.url}/x`, { cookie })).status).toBe(200);
    await proxyRedis.kill();
    const hits = stack.upstream.hits;

    const forwarded = {
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.example.org',
      'x-forwarded-uri': '/x',
    };
    const front = { localAddress: '127.0.0.2' };
    const [proxied, nginx, traefik, caddy, start] = await Promise.all([
      rawGet(`${stack.url}/x`, { cookie }),
      rawGet(`${stack.url}/auth/nginx`, { 'x-original-url': 'http://app.example.org/x', cookie }, front),
      rawGet(`${stack.url}/auth/traefik`, { ...forwarded, cookie }, front),
      rawGet(`${stack.url}/auth/caddy`, { ...forwarded, cookie }, front),
      // Signing in needs the store too: 503, not a half-made sign-in.
      rawGet(`${stack.url}/oauth2/start?rd=/`),
    ]);
    expect(proxied.status).toBe(503);
    expect(proxied.headers['cache-control']).toBe('no-store');
    expect(nginx.status).toBe(503);
    expect(traefik.status).toBe(503);
    expect(caddy.status).toBe(503);
    expect(start.status).toBe(503);
    expect(stack.upstream.hits).toBe(hits);

    // Back up: the store returns empty (killed, no persistence), so the old cookie now means
    // "sign in" (302), no longer 503.
    await proxyRedis.restart();
    // Bounded poll until the proxy's client has reconnected (it answers 503 until then).
    const deadline = Date.now() + 15_000;
    let after = await rawGet(`${stack.url}/x`, { cookie });
    while (after.status === 503 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      after = await rawGet(`${stack.url}/x`, { cookie });
    }
    expect(after.status).toBe(302);
  });
});
