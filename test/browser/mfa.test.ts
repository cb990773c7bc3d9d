// MFA in a real browser: Debian's Chromium driven by playwright-core signs in to a tiny relying
// party (openid-client, PKCE) through tollgate's pages, enrolling TOTP with codes from `oathtool`.
// Every page is saved to test-artifacts/browser/ so a person can look at what users see.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserRp, startBrowserRp } from '../helpers/browser-rp.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { addUser, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { oathtool } from '../mfa/helpers.ts';

const ARTIFACTS = 'test-artifacts/browser';
const SECRET = 'web-secret-0123456789abcdef';
const PASSWORD = 'a long enough password';
const ACR_2FA = 'urn:tollgate:acr:2fa';

let redis: RedisServer | undefined;
let tg: RunningTollgate | undefined;
let rp: BrowserRp | undefined;
let rpUrl = '';
let browser: Browser | undefined;
let shot = 0;

/** Saves a full-page screenshot as NN-name.png. */
async function snap(page: Page, name: string) {
  shot += 1;
  await page.screenshot({
    path: `${ARTIFACTS}/${String(shot).padStart(2, '0')}-${name}.png`,
    fullPage: true,
  });
}

/** A fresh context whose tollgate documents are all recorded (for the cache-control check). */
async function openContext() {
  const context: BrowserContext = await (browser as Browser).newContext({
    viewport: { width: 1024, height: 768 },
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const documents: { url: string; status: number; cacheControl: string | undefined }[] = [];
  page.on('response', (response) => {
    const request = response.request();
    if (request.resourceType() !== 'document' || !response.url().startsWith(`${tg?.url}/`)) return;
    documents.push({
      url: response.url(),
      status: response.status(),
      cacheControl: response.headers()['cache-control'],
    });
  });
  return { context, page, documents };
}

/** The tollgate pages (200 HTML documents) must never be cached: they carry CSRF tokens and secrets. */
function expectNoStore(documents: { url: string; status: number; cacheControl: string | undefined }[]) {
  const pages = documents.filter((d) => d.status === 200);
  expect(pages.length).toBeGreaterThan(0);
  for (const d of pages)
    expect({ url: d.url, cacheControl: d.cacheControl }).toEqual({ url: d.url, cacheControl: 'no-store' });
}

/** The password step, from the RP's /login. Returns after the login form is submitted. */
async function signInWithPassword(page: Page, name: string, query = '') {
  await page.goto(`${rpUrl}/login${query}`);
  await page.getByRole('heading', { name: /Sign in to/ }).waitFor();
  expect(await page.getByLabel('Password').getAttribute('type')).toBe('password');
  await snap(page, name);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The RP's callback page: subject, acr and amr as the ID token says. */
async function callback(page: Page, name: string) {
  await page.waitForURL(`${rpUrl}/callback?**`);
  const heading = (await page.locator('h1').textContent()) ?? '';
  expect(heading, await page.content()).toMatch(/^Signed in as \S+$/);
  await snap(page, name);
  return {
    acr: await page.locator('#acr').textContent(),
    amr: ((await page.locator('#amr').textContent()) ?? '').split(' '),
  };
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
          first_party: true,
          mfa: { policy: 'required', remember_browser_days: 30 },
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

describe('MFA in Chromium', () => {
  it('enrols TOTP with recovery codes, then signs in with a code and remembers the browser', async () => {
    browser = await launchChromium();

    // First sign-in: password, TOTP enrolment, recovery codes, back at the RP.
    const first = await openContext();
    const page = first.page;
    const consoleErrors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`${msg.text()} at ${msg.location().url}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    await signInWithPassword(page, 'login');
    // Chromium asks every origin for /favicon.ico and tollgate answers 404: a known gap, not a page error.
    expect(consoleErrors.filter((e) => !e.endsWith('/favicon.ico'))).toEqual([]);

    await page.getByRole('heading', { name: 'Set up an authenticator app' }).waitFor();
    expect(await page.locator('main svg').first().isVisible()).toBe(true);
    const key = ((await page.locator('#totp-key').textContent()) ?? '').replace(/\s+/g, '');
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    await snap(page, 'totp-enrol');
    await page.getByLabel('6-digit code').fill(oathtool(key));
    await page.getByRole('button', { name: 'Verify' }).click();

    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const codes = await page.locator('main ol li code').allTextContents();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await snap(page, 'recovery-codes');
    await page.getByLabel('I have saved these codes').check();
    await page.getByRole('button', { name: 'Continue' }).click();

    const enrolled = await callback(page, 'callback-enrolled');
    expect(enrolled.acr).toBe(ACR_2FA);
    expect(enrolled.amr).toContain('otp');
    expectNoStore(first.documents);
    await first.context.close();

    // Second sign-in in a new context: password, then the TOTP challenge with "remember" ticked.
    const second = await openContext();
    await signInWithPassword(second.page, 'login-again');
    await second.page.getByRole('heading', { name: 'Enter your verification code' }).waitFor();
    const code = second.page.getByLabel('6-digit code');
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code');
    await snap(second.page, 'totp-challenge');
    await code.fill(oathtool(key, 1)); // the enrolment used this step's code
    await second.page.getByLabel(/Remember this browser/).check();
    await second.page.getByRole('button', { name: 'Verify' }).click();
    const challenged = await callback(second.page, 'callback-challenge');
    expect(challenged.acr).toBe(ACR_2FA);
    expect(challenged.amr).toContain('otp');

    // The remembered browser asks only for the password on a forced re-login.
    await signInWithPassword(second.page, 'login-remembered', '?prompt=login');
    const remembered = await callback(second.page, 'callback-remembered');
    expect(remembered.acr).toBe(ACR_2FA);
    expectNoStore(second.documents);
    await second.context.close();
  });
});
