// Session fixation (issue 12.9, provider half): the provider session id (the `_session` cookie)
// changes at every sign-in and every step-up, and a session cookie planted before sign-in is
// never the one that ends up signed in. oidc-provider 9 does this itself: resume calls
// `session.resetIdentifier()` on every existing session, an unknown cookie value starts a fresh
// session with a new id, and saving under the new id destroys the old one. These tests pin that
// through a cookie jar, as a browser would see it, with a real redis-server.
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { addUser, RP_CALLBACK, type RunningTollgate } from '../helpers/tollgate.ts';
import {
  ACR_1FA,
  ACR_2FA,
  authorize,
  exchange,
  keyFromPage,
  oathtool,
  rp,
  startMfaTollgate,
  submit,
} from '../mfa/helpers.ts';

const PASSWORD = 'fixation test password 1';
let redis: Awaited<ReturnType<typeof startRedis>>;
let tg: RunningTollgate;
let oneFactor: oidc.Configuration;
let optionalApp: oidc.Configuration;

beforeAll(async () => {
  redis = await startRedis();
  tg = await startMfaTollgate(redis.url);
  [oneFactor, optionalApp] = await Promise.all([rp(tg, 'one-factor'), rp(tg, 'optional-app')]);
  await addUser(tg, 'victim', PASSWORD);
  await addUser(tg, 'mallory', PASSWORD);
  await addUser(tg, 'stepper', PASSWORD);
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

/** The provider's session cookies in a jar (the value and its signature). */
const sessionCookies = (browser: Browser) => browser.cookies.filter((c) => c.name.startsWith('_session'));
const sessionId = (browser: Browser) => browser.cookies.find((c) => c.name === '_session')?.value;

/** Signs `username` in with the password at `config`; returns the callback's ID token claims. */
async function signIn(browser: Browser, config: oidc.Configuration, username: string, extra = {}) {
  const { page, verifier } = await authorize(browser, config, extra);
  expect(page.body, page.body.slice(0, 300)).toContain('name="password"');
  const done = await submit(browser, page, { username, password: PASSWORD });
  return (await exchange(config, done, verifier)).claims;
}

/** What a jar holding only these cookies gets from a silent authorization request. */
async function silently(cookies: Browser['cookies'], config: oidc.Configuration): Promise<Page> {
  const jar = new Browser();
  jar.cookies.push(...cookies.map((c) => ({ ...c })));
  return (await authorize(jar, config, { prompt: 'none' })).page;
}

describe('at sign-in', () => {
  it('a forged session cookie is replaced', async () => {
    const browser = new Browser();
    const origin = new URL(tg.url).origin;
    browser.cookies.push({ name: '_session', value: 'fixated-by-attacker', path: '/', origin });
    const claims = await signIn(browser, oneFactor, 'victim');
    expect(claims.sub).toBeTruthy();
    expect(sessionId(browser)).toBeTruthy();
    expect(sessionId(browser)).not.toBe('fixated-by-attacker');
  });

  it("an attacker's real session cookie, planted before sign-in, never carries the victim", async () => {
    const attacker = new Browser();
    const mallory = await signIn(attacker, oneFactor, 'mallory');
    const planted = sessionCookies(attacker).map((c) => ({ ...c }));
    expect(planted.length).toBeGreaterThan(0);

    const victim = new Browser();
    victim.cookies.push(...planted.map((c) => ({ ...c })));
    const first = await authorize(victim, oneFactor, { prompt: 'login' });
    let current = await submit(victim, first.page, { username: 'victim', password: PASSWORD });
    // Another account on the session: oidc-provider posts to end that session first (the page
    // submits itself in a browser). It revokes the old account's grants, and with them this
    // interaction, so the browser lands on "start again" (a 4xx): the planted session is gone.
    expect(current.body).toContain('/session/end/confirm');
    current = await victim.submit(current, {}, RP_CALLBACK);
    expect(current.status).toBeLessThan(500);
    const again = await authorize(victim, oneFactor);
    const done = await submit(victim, again.page, { username: 'victim', password: PASSWORD });
    const claims = (await exchange(oneFactor, done, again.verifier)).claims;
    expect(claims.sub).not.toBe(mallory.sub);
    expect(sessionId(victim)).not.toBe(planted.find((c) => c.name === '_session')?.value);

    // The attacker's copy of the planted cookie is not the victim's session.
    const after = await silently(planted, oneFactor);
    expect(new URL(after.url).searchParams.get('error')).toBe('login_required');
  });
});

describe('at step-up', () => {
  it('the session id changes, and the one-factor cookie does not carry the second factor', async () => {
    const browser = new Browser();
    expect((await signIn(browser, oneFactor, 'stepper')).acr).toBe(ACR_1FA);
    const before = sessionCookies(browser).map((c) => ({ ...c }));
    const oneFactorId = sessionId(browser);

    // Step up at an optional client: the user with no factor enrols TOTP on the way.
    const { page: enrol, verifier } = await authorize(browser, optionalApp, { acr_values: ACR_2FA });
    const codes = await submit(browser, enrol, { code: oathtool(keyFromPage(enrol)) });
    const done = await submit(browser, codes, { confirm: '1' });
    expect((await exchange(optionalApp, done, verifier)).claims.acr).toBe(ACR_2FA);
    expect(sessionId(browser)).toBeTruthy();
    expect(sessionId(browser)).not.toBe(oneFactorId);

    // A copy of the cookie from before the step-up is signed out, not stepped up.
    const stale = await silently(before, optionalApp);
    expect(new URL(stale.url).searchParams.get('error')).toBe('login_required');
  });

  it('and again at a later sign-in of the same user', async () => {
    const browser = new Browser();
    await signIn(browser, oneFactor, 'victim');
    const first = sessionId(browser);
    await signIn(browser, oneFactor, 'victim', { prompt: 'login' });
    expect(sessionId(browser)).not.toBe(first);
  });
});
