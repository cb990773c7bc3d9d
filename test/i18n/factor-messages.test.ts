// Issue 13.1: what a factor says on its page, and the new-password rule, are in the page's
// language, over real HTTP with a real SMTP server and SMS gateway: an address that is not one,
// a resend inside the cooldown (with its seconds), too many sends, a failed delivery, a method
// that is not set up, the password length on the reset page and on /account, and a passkey the
// configuration refuses. Each is asked in German and in one more language, and the English text
// must be gone. Regression: these were English sentences built inside the factors (and the
// password policy) and passed to the page as they were.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Factor } from '../../src/factors/types.ts';
import { WEBAUTHN_CATALOGUES } from '../../src/factors/webauthn/messages.ts';
import { defaultI18n, type MessageVars } from '../../src/i18n/index.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { requiredApp, testDelivery } from '../helpers/delivery-config.ts';
import { passkeyOptions, registrationAnswer } from '../helpers/passkey.ts';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { addUser, RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { authorize, password, rp } from '../mfa/helpers.ts';

const PASSWORD = 'a long enough password';
const SMS_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const COOLDOWN_S = 5;

let smtp: TestSmtpServer;
/** The SMS gateway: every request answered 500. */
let gateway: WebhookReceiver;
let tg: RunningTollgate;
/** Passkeys need a domain: a second tollgate on http://localhost, synced passkeys refused. */
let keys: RunningTollgate;

const mfaKeys = () => [{ id: 'k1', key: randomBytes(32).toString('base64') }];

beforeAll(async () => {
  smtp = await startSmtp();
  gateway = await startWebhookReceiver(SMS_SECRET, [500]);
  tg = await startTollgate({
    overrides: {
      delivery: testDelivery({ smtpPort: smtp.port, sms: { url: gateway.url, secret: SMS_SECRET } }),
      otp: { hmac_key: randomBytes(32).toString('base64'), resend_cooldown: COOLDOWN_S, max_sends: 2 },
      mfa: { factors: ['email', 'sms'], encryption_keys: mfaKeys() },
      clients: [requiredApp('mail-app', ['email']), requiredApp('sms-app', ['sms'])],
    },
  });
  keys = await startTollgate({
    hostname: 'localhost',
    overrides: {
      mfa: { factors: ['webauthn'], encryption_keys: mfaKeys(), webauthn: { allow_synced: false } },
      clients: [requiredApp('key-app', ['webauthn'])],
    },
  });
});

afterAll(async () => {
  await keys?.stop();
  await tg?.stop();
  await gateway?.stop();
  await smtp?.stop();
});

/** A browser whose Accept-Language is `language`: English unless the test says otherwise. */
const browserIn = (language = 'en') => new Browser({ 'accept-language': language });

const english = defaultI18n().translator('en');
const inLang = (lang: string) => defaultI18n().translator(lang);
const asHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c] ?? c,
  );
/** The page's alerts, as HTML (those shown only without JavaScript left out). */
const alerts = (page: Page) =>
  [
    ...page.body
      .replace(/<noscript>[\s\S]*?<\/noscript>/g, '')
      .matchAll(/<div class="alert"[^>]*>([\s\S]*?)<\/div>/g),
  ]
    .map((m) => m[1])
    .join('\n');

/** The message is on the page in `lang` (and the page is), and its English text is not. */
function expectSaid(page: Page, lang: string, key: string, vars?: MessageVars) {
  const said = inLang(lang)(key, vars);
  const englishText = english(key, vars);
  expect(said).not.toBe(englishText);
  expect(page.body).toContain(`<html lang="${lang}">`);
  expect(alerts(page) || page.body, page.body.slice(0, 1200)).toContain(asHtml(said));
  expect(page.body).not.toContain(asHtml(englishText));
}

/** Signs `username` in at `clientId` asking for `lang` (ui_locales); the second-factor page. */
async function signIn(target: RunningTollgate, clientId: string, username: string, lang: string) {
  const browser = browserIn();
  const { page } = await password(browser, await rp(target, clientId), username, {
    extra: { ui_locales: lang },
  });
  return { browser, page };
}

/** A user whose email factor is bound already. */
async function withEmail(username: string) {
  const account = await addUser(tg, username, PASSWORD, { email: `${username}@example.test` });
  await tg.tollgate.mfa.credentials.create({
    account_id: account.id,
    factor: 'email',
    data: { address: `${username}@example.test` },
  });
  return account;
}

/** Posts the page's form whose action ends with `suffix`. */
async function post(browser: Browser, page: Page, suffix: string, fields: Record<string, string> = {}) {
  const actions = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1] as string);
  const index = actions.findIndex((a) => a.endsWith(suffix));
  if (index < 0) throw new Error(`no form posting to ${suffix} in:\n${page.body.slice(0, 800)}`);
  return browser.submit(page, fields, RP_CALLBACK, index);
}

/** The next email to `address` (others sent meanwhile are skipped). */
async function mailTo(address: string) {
  for (;;) {
    const mail = await smtp.waitForMessage();
    if ((Array.isArray(mail.to) ? mail.to[0] : mail.to)?.text.includes(address)) return mail;
  }
}

describe("a factor's messages in the page's language", () => {
  it('an address that is not one, at email enrolment (de) and SMS enrolment (es)', async () => {
    const cases = [
      { lang: 'de', client: 'mail-app', address: 'not-an-address', key: 'address.invalid.email' },
      { lang: 'es', client: 'sms-app', address: '0151 2345', key: 'address.invalid.sms' },
    ];
    for (const { lang, client, address, key } of cases) {
      const username = `bad-address-${lang}`;
      await addUser(tg, username, PASSWORD);
      const { browser, page: enrol } = await signIn(tg, client, username, lang);
      expect(enrol.body).toContain('name="address"');
      const refused = await browser.submit(enrol, { address }, RP_CALLBACK);
      expect(refused.status).toBe(400);
      expectSaid(refused, lang, key);
      // Said once, not also as the generic "enter a valid address".
      expect(refused.body).not.toContain(asHtml(inLang(lang)('failure.invalid_address')));
    }
  });

  it('a new code asked for inside the cooldown: the wait with its seconds (de, fr)', async () => {
    for (const lang of ['de', 'fr']) {
      await withEmail(`wait-${lang}`);
      const { browser, page } = await signIn(tg, 'mail-app', `wait-${lang}`, lang);
      expect(page.body).toContain('name="code"');
      const resend = await post(browser, page, '/resend');
      const seconds = Number(/(\d+)/.exec(alerts(resend))?.[1]);
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(COOLDOWN_S);
      expectSaid(resend, lang, 'address.wait', { count: seconds });
      expect(resend.body).not.toMatch(/Wait \d+ seconds?/);
    }
  });

  it('after the cooldown a new code is on its way, and past the cap no more are sent (de)', async () => {
    await withEmail('resend-de');
    const { browser, page } = await signIn(tg, 'mail-app', 'resend-de', 'de');
    await mailTo('resend-de@');
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_S * 1000 + 300));
    const again = await post(browser, page, '/resend');
    expect(again.body).toContain(asHtml(inLang('de')('address.resent')));
    expect(again.body).not.toContain(english('address.resent'));
    await mailTo('resend-de@');
    // otp.max_sends is 2: the first code and this one.
    const capped = await post(browser, again, '/resend');
    expectSaid(capped, 'de', 'address.noMoreCodes');
  }, 20_000);

  it('too many codes sent to one address at enrolment (de)', async () => {
    await addUser(tg, 'many-de', PASSWORD);
    const { browser, page: enrol } = await signIn(tg, 'mail-app', 'many-de', 'de');
    let last = enrol;
    // 5 codes an hour per address (src/factors/address/definition.ts); the sixth is refused.
    for (let i = 0; i < 6; i++)
      last = await browser.submit(enrol, { address: 'many-de@example.test' }, RP_CALLBACK);
    expect(last.status).toBe(429);
    expectSaid(last, 'de', 'address.tooManySends');
  });

  it('a code the SMS gateway could not take (HTTP 500), at enrolment (de, fr)', async () => {
    for (const lang of ['de', 'fr']) {
      await addUser(tg, `gateway-${lang}`, PASSWORD);
      const { browser, page: enrol } = await signIn(tg, 'sms-app', `gateway-${lang}`, lang);
      const before = gateway.requests.length;
      const failed = await browser.submit(enrol, { address: '+15557654321' }, RP_CALLBACK);
      expect(gateway.requests.length).toBe(before + 1);
      expect(failed.status).toBe(503);
      expectSaid(failed, lang, 'address.delivery.unreachable');
    }
  });

  it('a method that is not set up (removed while the sign-in decided on it) (de, fr)', async () => {
    const email = tg.tollgate.mfa.factors.get('email') as Factor;
    for (const lang of ['de', 'fr']) {
      const account = await addUser(tg, `gone-${lang}`, PASSWORD, { email: `gone-${lang}@example.test` });
      // The policy still finds the factor set up, the factor no longer has the credential.
      const isEnrolled = email.isEnrolled;
      email.isEnrolled = async (id) => id === account.id || isEnrolled(id);
      try {
        const { page } = await signIn(tg, 'mail-app', `gone-${lang}`, lang);
        expect(page.body).toContain('name="code"');
        expectSaid(page, lang, 'failure.not_enrolled');
      } finally {
        email.isEnrolled = isEnrolled;
      }
    }
  });
});

describe("the new-password rule in the page's language", () => {
  it('on the reset page: too short and too long (de, es)', async () => {
    for (const lang of ['de', 'es']) {
      const username = `reset-${lang}`;
      await tg.tollgate.store.accounts.create({
        username,
        email: `${username}@example.test`,
        email_verified: true,
        password_hash: await tg.tollgate.hasher.hash(PASSWORD),
      });
      const browser = browserIn();
      const { page: login } = await authorize(browser, await rp(tg, 'mail-app'), { ui_locales: lang });
      const link = /<a href="([^"]+\/reset)">/.exec(login.body)?.[1];
      if (!link) throw new Error(`no reset link:\n${login.body.slice(0, 800)}`);
      const request = await browser.get(new URL(link, login.url).href);
      const codePage = await browser.submit(request, { username });
      const code = /\b(\d{8})\b/.exec((await mailTo(`${username}@`)).text ?? '')?.[1] as string;
      const choose = await browser.submit(codePage, { code });
      expect(choose.body).toContain('name="confirm"');
      const short = await browser.submit(choose, { password: 'short', confirm: 'short' });
      expect(short.status).toBe(400);
      expectSaid(short, lang, 'password.tooShort', { min: tg.config.accounts.min_password_length });
      const long = 'x'.repeat(1025);
      const tooLong = await browser.submit(choose, { password: long, confirm: long });
      expectSaid(tooLong, lang, 'password.tooLong', { max: 1024 });
    }
  });

  it('on the account page: the password change (Accept-Language de, fr)', async () => {
    for (const lang of ['de', 'fr']) {
      const username = `change-${lang}`;
      await addUser(tg, username, PASSWORD);
      const browser = browserIn(lang);
      const login = await browser.get(`${tg.url}/account`);
      const home = await browser.submit(login, { username, password: PASSWORD });
      expect(home.url).toBe(`${tg.url}/account`);
      const short = await post(browser, home, '/account/password', {
        current_password: PASSWORD,
        new_password: 'short',
        new_password_confirm: 'short',
      });
      expect(short.status).toBe(400);
      expectSaid(short, lang, 'password.tooShort', { min: tg.config.accounts.min_password_length });
    }
  });
});

describe("a passkey the configuration refuses, in the page's language", () => {
  it('a synced passkey where only device-bound ones may register: NOT_ALLOWED (de, fr); a device-bound one goes in', async () => {
    for (const lang of ['de', 'fr']) {
      const username = `synced-${lang}`;
      await addUser(keys, username, PASSWORD);
      const { browser, page: enrol } = await signIn(keys, 'key-app', username, lang);
      const texts = WEBAUTHN_CATALOGUES[lang] ?? WEBAUTHN_CATALOGUES.en;
      if (!texts) throw new Error(`no passkey texts in ${lang}`);
      // The passkey pages themselves speak the language too.
      expect(enrol.body).toContain(`<h1>${asHtml(texts['enrol.heading'] ?? '?')}</h1>`);
      expect(enrol.body).not.toContain(WEBAUTHN_CATALOGUES.en?.['enrol.heading'] ?? '?');
      const synced = registrationAnswer(passkeyOptions(enrol.body), keys.url, { synced: true });
      const refused = await browser.submit(enrol, { response: synced, label: '' }, RP_CALLBACK);
      expect(refused.status).toBe(400);
      expect(refused.body).toContain(`<html lang="${lang}">`);
      expect(alerts(refused)).toBe(asHtml(texts.NOT_ALLOWED ?? '?'));
      expect(refused.body).not.toContain(asHtml(WEBAUTHN_CATALOGUES.en?.NOT_ALLOWED ?? '?'));
      // The same answer from a device-bound passkey is accepted: only the configuration refused it.
      const bound = registrationAnswer(passkeyOptions(refused.body), keys.url);
      const done = await browser.submit(refused, { response: bound, label: 'laptop' }, RP_CALLBACK);
      expect(done.url.startsWith(RP_CALLBACK), done.body.slice(0, 800)).toBe(true);
    }
  });
});
