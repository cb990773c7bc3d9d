// A passkey confirms a removal on /account: "Confirm with a passkey" opens a WebAuthn challenge
// bound to the account page's session (single use, stored like the login's), its answer goes
// through the generic removal and the factor's login verification. Refused, with the page's
// usual "nothing was removed" and the factor kept: the same answer twice, an answer to a challenge
// replaced since, another account's passkey, and an answer made for another origin.
// Software passkeys (test/helpers/passkey.ts); the Chromium journey is in test/browser/passkeys.test.ts.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Factor } from '../../src/factors/types.ts';
import { enrolTotp } from '../faults/helpers.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import {
  type AuthenticationOptions,
  passkeyOptions,
  type RegistrationOptions,
  SoftPasskey,
} from '../helpers/passkey.ts';
import { addUser, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { Authenticator } from '../helpers/totp.ts';

const PASSWORD = 'a long enough password';
let tg: RunningTollgate;

beforeAll(async () => {
  // Passkeys need a domain: the issuer is http://localhost.
  tg = await startTollgate({
    hostname: 'localhost',
    overrides: {
      mfa: {
        factors: ['totp', 'webauthn', 'recovery'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
    },
  });
});

afterAll(async () => {
  await tg?.stop();
});

const webauthn = () => tg.tollgate.mfa.factors.get('webauthn') as Factor;

/** A user with TOTP and a software passkey, set up straight through the factors. */
async function userWithPasskey(username: string) {
  const account = await addUser(tg, username, PASSWORD);
  const { key } = await enrolTotp(tg, account);
  const passkey = new SoftPasskey();
  const req = {
    account,
    clientId: 'setup',
    flowId: `pk-${account.id}`,
    ip: '127.0.0.1',
    state: {},
  };
  const view = await webauthn().startEnrolment(req);
  const options = JSON.parse(String(view.data.options)) as RegistrationOptions;
  const done = await webauthn().finishEnrolment(req, {
    response: passkey.register(options, tg.url),
    label: 'Laptop',
  });
  if (done.outcome !== 'enrolled') throw new Error(`passkey enrolment failed: ${done.outcome}`);
  return { account, passkey, app: new Authenticator(key) };
}

/** Signs in to /account with the password and a TOTP code (the account page asks for a factor). */
async function signInToAccount(username: string, app: Authenticator) {
  const browser = new Browser();
  const login = await browser.get(`${tg.url}/account`);
  let page = await browser.submit(login, { username, password: PASSWORD });
  // The factor asked first may be the passkey: go to the authenticator app instead.
  const totpLink = /href="([^"]*\/mfa\/totp)"/.exec(page.body)?.[1];
  if (!page.body.includes('name="code"') && totpLink)
    page = await browser.get(new URL(totpLink, page.url).href);
  page = await browser.submit(page, { code: await app.code() });
  expect(page.url, page.body.slice(0, 600)).toBe(`${tg.url}/account`);
  return { browser, page };
}

const idOf = async (accountId: string, factor: string) =>
  (await tg.tollgate.mfa.credentials.list(accountId)).find((c) => c.factor === factor)?.id as string;
const factorsOf = async (accountId: string) =>
  (await tg.tollgate.mfa.credentials.list(accountId)).map((c) => c.factor).sort();

/** Submits the form whose action ends with `suffix`. */
function post(browser: Browser, page: Page, suffix: string, fields: Record<string, string> = {}) {
  const forms = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1] as string);
  const index = forms.findIndex((a) => a.endsWith(suffix));
  if (index < 0) throw new Error(`no form posting to ${suffix} in:\n${page.body.slice(0, 800)}`);
  return browser.submit(page, fields, undefined, index);
}

/** Opens the passkey confirmation of removing credential `id` from the account page. */
async function confirmPage(browser: Browser, home: Page, id: string) {
  const page = await post(browser, home, `/account/factors/${id}/confirm/webauthn`);
  expect(page.status, page.body.slice(0, 600)).toBe(200);
  return { page, options: passkeyOptions<AuthenticationOptions>(page.body) };
}

describe('a passkey confirms a removal on /account', () => {
  it("removes TOTP with the passkey: challenge for the account's passkeys, verified through the factor", async () => {
    const { account, passkey, app } = await userWithPasskey('pia');
    const { browser, page: home } = await signInToAccount('pia', app);
    expect(home.body).toContain('Confirm with a passkey');
    const totpId = await idOf(account.id, 'totp');

    const { page, options } = await confirmPage(browser, home, totpId);
    expect(page.body).toContain('<h1>Confirm with your passkey</h1>');
    expect(page.body).toContain('name="verify_with" value="webauthn"');
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([passkey.credentialId]);
    expect(options.userVerification).toBe('preferred');
    expect(options.rpId).toBe('localhost');

    const done = await browser.submit(page, { response: passkey.assert(options, tg.url) });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Authenticator app was removed');
    expect(await factorsOf(account.id)).toEqual(['webauthn']);
    // With the passkey the only factor left, its removal is offered with the passkey alone (no
    // code form with nothing to choose from).
    const passkeyId = await idOf(account.id, 'webauthn');
    expect(done.body).toContain(`action="/account/factors/${passkeyId}/confirm/webauthn"`);
    expect(done.body).not.toContain('name="verify_with"');
    // The sign counter moved: the same login verification ran.
    const stored = (await tg.tollgate.mfa.credentials.list(account.id)).find((c) => c.factor === 'webauthn');
    expect(stored?.data.counter).toBe(passkey.counter);
  });

  it("needs the page's CSRF token to open the confirmation", async () => {
    const { account, app } = await userWithPasskey('pol');
    const { browser } = await signInToAccount('pol', app);
    const forged = await browser.request(
      `${tg.url}/account/factors/${await idOf(account.id, 'totp')}/confirm/webauthn`,
      { form: { csrf: 'x'.repeat(43) } },
    );
    expect(forged.status).toBe(403);
  });

  it('refuses a replayed answer: the same one twice, or one to a challenge replaced since', async () => {
    const { account, passkey, app } = await userWithPasskey('rex');
    const { browser, page: home } = await signInToAccount('rex', app);
    const totpId = await idOf(account.id, 'totp');
    const passkeyId = await idOf(account.id, 'webauthn');

    // An answer to a challenge that a newer confirmation page replaced.
    const first = await confirmPage(browser, home, totpId);
    const stale = passkey.assert(first.options, tg.url);
    const second = await confirmPage(browser, home, totpId);
    const refusedStale = await browser.submit(second.page, { response: stale });
    expect(refusedStale.status).toBe(401);
    expect(refusedStale.body).toContain('nothing was removed');
    expect(await factorsOf(account.id)).toEqual(['totp', 'webauthn']);

    // A good answer removes TOTP; the same answer again (now for the passkey) finds no challenge.
    const third = await confirmPage(browser, refusedStale, totpId);
    const answer = passkey.assert(third.options, tg.url);
    const removed = await browser.submit(third.page, { response: answer });
    expect(removed.body).toContain('Authenticator app was removed');
    const csrf = /name="csrf" value="([^"]*)"/.exec(removed.body)?.[1] ?? '';
    const replayed = await browser.request(`${tg.url}/account/factors/${passkeyId}/remove`, {
      form: { csrf, verify_with: 'webauthn', response: answer },
    });
    expect(replayed.status).toBe(401);
    expect(replayed.body).toContain('The passkey request expired');
    expect(replayed.body).toContain('nothing was removed');
    expect(await factorsOf(account.id)).toEqual(['webauthn']);
  });

  it("refuses another account's passkey, even answering this account's challenge", async () => {
    const mine = await userWithPasskey('ada');
    const theirs = await userWithPasskey('bob');
    const { browser, page: home } = await signInToAccount('ada', mine.app);
    const { page, options } = await confirmPage(browser, home, await idOf(mine.account.id, 'totp'));
    const refused = await browser.submit(page, { response: theirs.passkey.assert(options, tg.url) });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('That passkey is not registered for your account');
    expect(refused.body).toContain('nothing was removed');
    expect(await factorsOf(mine.account.id)).toEqual(['totp', 'webauthn']);
  });

  it('refuses an answer made for another origin (a look-alike site)', async () => {
    const { account, passkey, app } = await userWithPasskey('eve');
    const { browser, page: home } = await signInToAccount('eve', app);
    const { page, options } = await confirmPage(browser, home, await idOf(account.id, 'totp'));
    const lookAlike = `http://login.example.test:${tg.port}`;
    const refused = await browser.submit(page, {
      response: passkey.assert({ ...options, rpId: 'localhost' }, lookAlike),
    });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('That passkey could not be verified');
    expect(refused.body).toContain('nothing was removed');
    expect(await factorsOf(account.id)).toEqual(['totp', 'webauthn']);
  });
});
