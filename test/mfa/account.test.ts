// The account page: a signed-in user adds a TOTP authenticator (with recovery codes) and
// removes it again only with a fresh code; a password alone never changes second factors.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser, type Page, parseForm } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { addUser, type RunningTollgate } from '../helpers/tollgate.ts';
import { Authenticator } from '../helpers/totp.ts';
import {
  authorize,
  exchange,
  keyFromPage,
  oathtool,
  recoveryCodesFromPage,
  rp,
  startMfaTollgate,
} from './helpers.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let tg: RunningTollgate;
const PASSWORD = 'a long enough password';

beforeAll(async () => {
  redis = await startRedis();
  tg = await startMfaTollgate(redis.url);
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

/** Submits the form whose action ends with `actionSuffix`. */
async function post(browser: Browser, page: Page, actionSuffix: string, fields: Record<string, string>) {
  const forms = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1] as string);
  const index = forms.findIndex((a) => a.endsWith(actionSuffix));
  if (index < 0) throw new Error(`no form posting to ${actionSuffix} in:\n${page.body.slice(0, 600)}`);
  return browser.submit(page, fields, undefined, index);
}

async function signInToAccount(browser: Browser, username: string) {
  const login = await browser.get(`${tg.url}/account`);
  expect(login.body).toContain('name="password"');
  return browser.submit(login, { username, password: PASSWORD });
}

it('adds an authenticator from the account page and removes it only with a fresh code', async () => {
  await addUser(tg, 'lena', PASSWORD, { email: 'lena@example.com' });
  const browser = new Browser();
  const home = await signInToAccount(browser, 'lena');
  expect(home.url).toBe(`${tg.url}/account`);
  expect(home.body).toContain('password only');
  expect(home.headers.get('cache-control')).toBe('no-store');

  // Starting an enrolment needs the page's CSRF token.
  const forged = await browser.request(`${tg.url}/account/enrol/totp/start`, {
    form: { csrf: 'x'.repeat(43) },
  });
  expect(forged.status).toBe(403);

  const enrol = await post(browser, home, '/account/enrol/totp/start', {});
  const key = keyFromPage(enrol);
  const authenticator = new Authenticator(key);
  const fresh = () => authenticator.code();
  const codesPage = await browser.submit(enrol, { code: await fresh() });
  expect(recoveryCodesFromPage(codesPage)).toHaveLength(10);
  const done = await browser.submit(codesPage, { confirm: '1' });
  expect(done.body).toContain('is set up');
  expect(done.body).toContain('Authenticator app');
  expect(done.body).toContain('10 codes left');

  // Removing with a wrong code removes nothing.
  const totpItem =
    done.body.split('<li>').find((li) => li.includes('<strong>Authenticator app</strong>')) ?? '';
  const totpId = /action="\/account\/factors\/([^/]+)\/remove"/.exec(totpItem)?.[1] as string;
  expect(totpId).toBeTruthy();
  const wrong = await post(browser, done, `/account/factors/${totpId}/remove`, {
    verify_with: 'totp',
    code: '000000' === (await fresh()) ? '111111' : '000000',
  });
  expect(wrong.status).toBe(401);
  expect(wrong.body).toContain('nothing was removed');
  const stillThere = await tg.tollgate.mfa.credentials.list(
    (await tg.tollgate.store.accounts.findByUsername('lena'))?.id as string,
  );
  expect(stillThere.map((c) => c.factor).sort()).toEqual(['recovery', 'totp']);

  // A fresh code removes it; with no real factor left, the recovery codes go too.
  const removed = await post(browser, wrong, `/account/factors/${totpId}/remove`, {
    verify_with: 'totp',
    code: await fresh(),
  });
  expect(removed.status).toBe(200);
  expect(removed.body).toContain('was removed');
  const after = await tg.tollgate.mfa.credentials.list(
    (await tg.tollgate.store.accounts.findByUsername('lena'))?.id as string,
  );
  expect(after.map((c) => c.factor)).toEqual([]);
});

it('adds a second authenticator app, and a code from either signs in', async () => {
  await addUser(tg, 'tom', PASSWORD);
  const browser = new Browser();
  const home = await signInToAccount(browser, 'tom');
  const first = await post(browser, home, '/account/enrol/totp/start', {});
  const phone = new Authenticator(keyFromPage(first));
  const codes = await browser.submit(first, { code: await phone.code() });
  const done = await browser.submit(codes, { confirm: '1' });
  // Still offered: an account may hold several apps.
  const second = await post(browser, done, '/account/enrol/totp/start', {});
  const tablet = new Authenticator(keyFromPage(second));
  expect(tablet.key).not.toBe(phone.key);
  const both = await browser.submit(second, { code: await tablet.code() });
  expect(both.status).toBe(200);
  const id = (await tg.tollgate.store.accounts.findByUsername('tom'))?.id as string;
  const apps = (await tg.tollgate.mfa.credentials.list(id)).filter((c) => c.factor === 'totp');
  expect(apps.map((c) => c.label).sort()).toEqual(['Authenticator app', 'Authenticator app 2']);
  // Each app's code is a second factor on its own (verify tries every key).
  const totp = tg.tollgate.mfa.factors.get('totp');
  const record = await tg.tollgate.store.accounts.findById(id);
  const req = { account: record as never, clientId: 'x', flowId: 'f', ip: '127.0.0.1', state: {} };
  expect(await totp?.verify(req, { code: await tablet.code() })).toMatchObject({ ok: true });
  expect(await totp?.verify(req, { code: await phone.code() })).toMatchObject({ ok: true });
});

it('asks a user who has a factor for it before showing the account page', async () => {
  await addUser(tg, 'mona', PASSWORD);
  // Enrol through an MFA client first.
  const mfaApp = await rp(tg, 'mfa-app');
  const b1 = new Browser();
  const { page, verifier } = await authorize(b1, mfaApp);
  const enrol = await b1.submit(page, { username: 'mona', password: PASSWORD });
  const codes = await b1.submit(enrol, { code: oathtool(keyFromPage(enrol)) });
  await exchange(mfaApp, await b1.submit(codes, { confirm: '1' }, 'http://127.0.0.1:9/callback'), verifier);

  // A password-only session (from a one-factor client) is stepped up, not let in.
  const oneFactor = await rp(tg, 'one-factor');
  const b2 = new Browser();
  const first = await authorize(b2, oneFactor);
  const signedIn = await b2.submit(
    first.page,
    { username: 'mona', password: PASSWORD },
    'http://127.0.0.1:9/callback',
  );
  expect(signedIn.url.startsWith('http://127.0.0.1:9/callback')).toBe(true);
  const account = await b2.get(`${tg.url}/account`);
  expect(account.url).not.toBe(`${tg.url}/account`);
  expect(account.body).toContain('name="code"');
  expect(account.body).not.toContain('name="password"');
  expect(parseForm(account.body).action).toMatch(/\/mfa\/totp$/);
});
