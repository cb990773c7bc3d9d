// 12.9 (proxy half): session fixation. The proxy's ticket changes at every sign-in and every
// step-up, and a cookie planted before sign-in (by a sibling subdomain, a proxy on the path, an
// XSS elsewhere) is never the one that ends up authenticated.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { addUser } from '../helpers/tollgate.ts';
import { keyFromPage, oathtool } from '../mfa/helpers.ts';
import { COOKIE, type Echo, PASSWORD, rawGet, type Stack, signIn, startStack, ticketOf } from './helpers.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let stack: Stack;

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack(redis, { sessionRedis: redis.url });
  await addUser(stack.tg, 'vera', PASSWORD, { groups: ['admins'] });
  await addUser(stack.tg, 'mallory', PASSWORD, { groups: ['staff'] });
});

afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

/** Plants a session cookie in the browser, as an attacker who can set cookies for the host would. */
function plant(browser: Browser, value: string) {
  browser.cookies.push({ name: COOKIE, value, path: '/', origin: stack.url });
}

const whoIs = async (ticket: string) => {
  const res = await rawGet(`${stack.url}/x`, { cookie: `${COOKIE}=${ticket}`, accept: 'application/json' });
  return res.status === 200 ? (JSON.parse(res.body) as Echo).headers['x-forwarded-user'] : res.status;
};

describe('auth-proxy: session fixation', () => {
  it('a planted ticket the attacker chose is never the one that gets signed in', async () => {
    const victim = new Browser();
    const planted = randomBytes(32).toString('base64url');
    plant(victim, planted);
    await signIn(victim, stack, 'vera');
    const ticket = ticketOf(victim);
    expect(ticket).not.toBe(planted);
    expect(await whoIs(ticket)).toBe('vera');
    expect(await whoIs(planted)).toBe(401);
    expect(await stack.proxy.sessions.load(planted)).toBeUndefined();
  });

  it("a planted live session of the attacker is replaced and ended by the victim's sign-in", async () => {
    const attacker = new Browser();
    await signIn(attacker, stack, 'mallory');
    const attackers = ticketOf(attacker);
    const victim = new Browser();
    plant(victim, attackers);
    // The victim signs in (the planted session would otherwise pass as theirs: a login-CSRF
    // concern of the planting, not fixation; __Host- cookies on https stop the planting).
    await signIn(victim, stack, 'vera', `/oauth2/start?rd=${encodeURIComponent(`${stack.url}/x`)}`);
    const ticket = ticketOf(victim);
    expect(ticket).not.toBe(attackers);
    expect(await whoIs(ticket)).toBe('vera');
    // The planted ticket is ended, so it can neither ride on nor watch the victim's session.
    expect(await whoIs(attackers)).toBe(401);
  });

  it('a step-up to two factors issues a new ticket and ends the one-factor ticket', async () => {
    const browser = new Browser();
    await signIn(browser, stack, 'vera');
    const oneFactor = ticketOf(browser);
    const first = await browser.request(`${stack.url}/admin/panel`);
    const toTollgate = await browser.request(new URL(first.headers.get('location') ?? '').href);
    const enrol = await browser.follow(toTollgate);
    const codes = await browser.submit(enrol, { code: oathtool(keyFromPage(enrol)) });
    const done = await browser.submit(codes, { confirm: '1' });
    expect((JSON.parse(done.body) as Echo).url).toBe('/admin/panel');
    const twoFactor = ticketOf(browser);
    expect(twoFactor).not.toBe(oneFactor);
    expect(await whoIs(oneFactor)).toBe(401);
    const session = await stack.proxy.sessions.load(twoFactor);
    expect(session?.identity.acr).toBe('urn:tollgate:acr:2fa');
  });
});
