// A signed-in user changes their password on /account (issue 16.10): the current password is
// asked again (a wrong one changes nothing and counts like a wrong login), the new one twice and
// by the length rule; the change signs out the user's other sessions and keeps this one. Its
// fields are read with the shared field() (interactions/form.ts), and "changed" is a success
// notice, unlike what only informs.
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { addUser, RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { authorize, rp } from '../mfa/helpers.ts';
import { expectFreshSignIn } from '../security/fresh-sign-in.ts';

const OLD = 'a long enough password';
const NEW = 'another long enough password';

let redis: RedisServer;
let tg: RunningTollgate;
let app: oidc.Configuration;

beforeAll(async () => {
  redis = await startRedis();
  tg = await startTollgate({ redisUrl: redis.url });
  app = await rp(tg, 'app');
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

async function signedIn(username: string, password: string): Promise<Browser> {
  const browser = new Browser();
  const login = await authorize(browser, app);
  const done = await browser.submit(login.page, { username, password }, RP_CALLBACK);
  expect(done.url.startsWith(RP_CALLBACK)).toBe(true);
  return browser;
}

/** Posts the account page's password form. */
async function change(browser: Browser, fields: Record<string, string>): Promise<Page> {
  const page = await browser.get(`${tg.url}/account`);
  const actions = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1]);
  const index = actions.indexOf('/account/password');
  expect(index).toBeGreaterThanOrEqual(0);
  return browser.submit(page, fields, undefined, index);
}

describe('changing the password on /account', () => {
  it('asks the current password, checks the new one, and signs out the other sessions', async () => {
    await addUser(tg, 'pia', OLD);
    const here = await signedIn('pia', OLD);
    const elsewhere = await signedIn('pia', OLD);

    const wrong = await change(here, {
      current_password: 'not it at all',
      new_password: NEW,
      new_password_confirm: NEW,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('Your current password is not correct. Nothing was changed.');
    const mismatch = await change(here, {
      current_password: OLD,
      new_password: NEW,
      new_password_confirm: `${NEW}!`,
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('The two new passwords are not the same.');
    const short = await change(here, {
      current_password: OLD,
      new_password: 'short',
      new_password_confirm: 'short',
    });
    expect(short.status).toBe(400);
    expect(short.body).toContain('Use at least');
    // Nothing changed so far: the other browser is still signed in.
    expect((await elsewhere.get(`${tg.url}/account`)).body).toContain('Sign-in methods');

    const done = await change(here, { current_password: OLD, new_password: NEW, new_password_confirm: NEW });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Your password was changed, and 1 other session was signed out.');
    const account = await here.get(`${tg.url}/account`);
    expect(account.body).toContain('Sign-in methods');
    expect(account.body).toContain('<a href="/session/end">Sign out</a>');
    await expectFreshSignIn(elsewhere, tg.url, app);

    const fresh = new Browser();
    const login = await authorize(fresh, app);
    const refused = await fresh.submit(login.page, { username: 'pia', password: OLD });
    expect(refused.status).toBe(401);
    await signedIn('pia', NEW);
  });
});

describe('notices on /account', () => {
  it('a change is a success notice; what only informs is a neutral one', async () => {
    await addUser(tg, 'ivy', OLD);
    const browser = await signedIn('ivy', OLD);
    const changed = await change(browser, {
      current_password: OLD,
      new_password: NEW,
      new_password_confirm: NEW,
    });
    expect(changed.body).toContain(
      '<div class="notice success" role="status">Your password was changed.</div>',
    );
    // Ending a session that is already gone only informs.
    const gone = await browser.request(`${tg.url}/account/sessions/no-such-session/end`, {
      form: { csrf: /name="csrf" value="([^"]+)"/.exec(changed.body)?.[1] ?? '' },
    });
    expect(gone.body).toContain('<div class="notice" role="status">That session had already ended.</div>');
  });
});

describe('the password form reads its fields with the shared field()', () => {
  it('a repeated field is refused; a new password past the limit is answered on the page', async () => {
    await addUser(tg, 'jay', OLD);
    const browser = await signedIn('jay', OLD);
    const page = await browser.get(`${tg.url}/account`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const twice = await browser.request(`${tg.url}/account/password`, {
      body: new URLSearchParams([
        ['csrf', csrf],
        ['current_password', OLD],
        ['new_password', 'one long new password'],
        ['new_password', 'another long new password'],
        ['new_password_confirm', 'one long new password'],
      ]).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(twice.status).toBe(400);
    expect(twice.body).toContain('was sent more than once');
    const long = 'x'.repeat(1025);
    const tooLong = await change(browser, {
      current_password: OLD,
      new_password: long,
      new_password_confirm: long,
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toContain('Sign-in methods');
    expect(tooLong.body).toMatch(/<div class="alert" role="alert">[^<]*1024[^<]*<\/div>/);
  });
});
