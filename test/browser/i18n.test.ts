// Pages in the user's language, in a real browser: Debian's Chromium (playwright-core) signs in
// to a relying party (openid-client, PKCE) with `ui_locales=de` through password, TOTP enrolment
// (key read from the page, codes from `oathtool`), recovery codes and consent, and every tollgate
// page must be German with <html lang="de">. Then Accept-Language alone picks German (and the
// recovery-code sign-in) and French (the login and an error page).

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserRp, startBrowserRp } from '../helpers/browser-rp.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { addUser, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { Authenticator } from '../helpers/totp.ts';

const ARTIFACTS = 'test-artifacts/browser';
const SECRET = 'web-secret-0123456789abcdef';
const PASSWORD = 'a long enough password';

let redis: RedisServer | undefined;
let tg: RunningTollgate | undefined;
let rp: BrowserRp | undefined;
let rpUrl = '';
let browser: Browser | undefined;
let shot = 0;

/** English words of tollgate's pages that must not be left on a translated page. */
const ENGLISH =
  /\b(Cancel|Verify|Continue|Sign in|Secured by|Enter your|Use another|codes? left|Allow|Deny|Save your|Something went wrong)\b/;

/**
 * The page is a tollgate page in `lang`: `<html lang>`, the heading, and no English left in the
 * visible text. Saves a screenshot.
 */
async function expectPage(page: Page, lang: string, heading: string | RegExp, name: string) {
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  expect(await page.locator('html').getAttribute('lang')).toBe(lang);
  const text = (await page.locator('body').textContent()) ?? '';
  expect({ page: name, english: ENGLISH.exec(text)?.[0] }).toEqual({ page: name, english: undefined });
  shot += 1;
  await page.screenshot({
    path: `${ARTIFACTS}/i18n-${String(shot).padStart(2, '0')}-${name}.png`,
    fullPage: true,
  });
}

/** A fresh browser profile whose Accept-Language comes from `locale`. */
async function openPage(locale: string) {
  const context = await (browser as Browser).newContext({ locale, viewport: { width: 1024, height: 768 } });
  context.setDefaultTimeout(15_000);
  return { context, page: await context.newPage() };
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  rp = await startBrowserRp({
    issuer: () => (tg as RunningTollgate).url,
    clientId: 'web',
    clientSecret: SECRET,
  });
  rpUrl = rp.url;
  redis = await startRedis();
  tg = await startTollgate({
    redisUrl: redis.url,
    overrides: {
      mfa: {
        factors: ['totp', 'recovery'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
      clients: [
        {
          client_id: 'web',
          client_name: 'Web App',
          client_secret: SECRET,
          redirect_uris: [`${rpUrl}/callback`],
          // Not first-party: the consent page is part of the journey.
          mfa: { policy: 'required' },
        },
      ],
    },
  });
  await addUser(tg, 'alice', PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await rp?.stop();
  await tg?.stop();
  await redis?.stop();
});

describe('pages in the user language (Chromium)', () => {
  it('ui_locales=de: password, TOTP enrolment, recovery codes and consent, all in German', async () => {
    browser = await launchChromium();
    // The browser asks for English: ui_locales, the app's choice, comes first.
    const { context, page } = await openPage('en-US');
    await page.goto(`${rpUrl}/login?ui_locales=de`);
    await expectPage(page, 'de', 'Bei Web App anmelden', 'de-login');
    await page.getByLabel('Benutzername').fill('alice');
    await page.getByLabel('Passwort').fill('not the password');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await expectPage(page, 'de', 'Bei Web App anmelden', 'de-login-failed');
    expect(await page.getByRole('alert').textContent()).toBe('Benutzername oder Passwort ist falsch.');
    await page.getByLabel('Passwort').fill(PASSWORD);
    await page.getByRole('button', { name: 'Anmelden' }).click();

    await expectPage(page, 'de', 'Authenticator-App einrichten', 'de-totp-enrol');
    const key = ((await page.locator('#totp-key').textContent()) ?? '').replace(/\s+/g, '');
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    const app = new Authenticator(key);
    await page.getByLabel('6-stelliger Code').fill('000000' === (await app.code()) ? '111111' : '000000');
    await page.getByRole('button', { name: 'Bestätigen' }).click();
    await expectPage(page, 'de', 'Authenticator-App einrichten', 'de-totp-enrol-wrong');
    expect(await page.getByRole('alert').textContent()).toMatch(/^Dieser Code ist nicht korrekt\./);
    await page.getByLabel('6-stelliger Code').fill(await app.code());
    await page.getByRole('button', { name: 'Bestätigen' }).click();

    await expectPage(page, 'de', 'Speichern Sie Ihre Wiederherstellungscodes', 'de-recovery-codes');
    const codes = await page.locator('main ol li code').allTextContents();
    expect(codes).toHaveLength(10);
    await page.getByLabel('Ich habe diese Codes gespeichert').check();
    await page.getByRole('button', { name: 'Weiter' }).click();

    await expectPage(page, 'de', 'Web App möchte auf Ihr Konto zugreifen', 'de-consent');
    expect(await page.locator('main ul.list').textContent()).toContain('Sie mit Ihrem Konto anmelden');
    await page.getByRole('button', { name: 'Erlauben' }).click();
    await page.waitForURL(`${rpUrl}/callback?**`);
    expect(await page.locator('h1').textContent()).toMatch(/^Signed in as \S+$/);
    await context.close();

    // Accept-Language alone (no ui_locales): German again, signing in with a recovery code.
    const second = await openPage('de-DE');
    await second.page.goto(`${rpUrl}/login`);
    await expectPage(second.page, 'de', 'Bei Web App anmelden', 'accept-de-login');
    await second.page.getByLabel('Benutzername').fill('alice');
    await second.page.getByLabel('Passwort').fill(PASSWORD);
    await second.page.getByRole('button', { name: 'Anmelden' }).click();
    await expectPage(second.page, 'de', 'Geben Sie Ihren Bestätigungscode ein', 'accept-de-totp-challenge');
    await second.page.getByRole('heading', { name: 'Andere Methode verwenden' }).waitFor();
    await second.page.getByRole('link', { name: 'Wiederherstellungscode' }).click();
    await expectPage(second.page, 'de', 'Wiederherstellungscode eingeben', 'accept-de-recovery');
    expect(await second.page.locator('#recovery-remaining').textContent()).toBe('Noch 10 Codes übrig');
    await second.page.getByLabel('Wiederherstellungscode').fill(codes[0] as string);
    await second.page.getByRole('button', { name: 'Bestätigen' }).click();
    await expectPage(second.page, 'de', 'Web App möchte auf Ihr Konto zugreifen', 'accept-de-consent');
    await second.page.getByRole('button', { name: 'Erlauben' }).click();
    await second.page.waitForURL(`${rpUrl}/callback?**`);
    await second.context.close();

    // A French browser: the login page and an error page in French.
    const third = await openPage('fr-FR');
    await third.page.goto(`${rpUrl}/login`);
    await expectPage(third.page, 'fr', 'Se connecter à Web App', 'accept-fr-login');
    await third.page.goto(`${(tg as RunningTollgate).url}/interaction/no-such-sign-in`);
    await expectPage(third.page, 'fr', 'Un problème est survenu', 'accept-fr-error');
    await third.context.close();
  }, 120_000);
});
