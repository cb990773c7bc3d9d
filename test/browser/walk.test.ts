// The Chromium walk (issue #16.10): Debian's Chromium (playwright-core) opens every page of
// issue #16.2 that refuses or stops something - the auth-proxy's 403 on /admin, a sign-in
// cancelled at the password and on the recovery-codes page, the lockout page, the error page,
// the reopened email-confirm URL, the account page's "Change email address" link - plus
// /account with a success notice and the whoami app, at 1280x800 and as a 390x844 phone. Each
// page is saved to test-artifacts/walk/<page>-<desktop|phone>.png (docs/screenshots/walk/ with
// UPDATE_SCREENSHOTS=1). A refusal page must be
// styled, offer a visible link on, and never scroll sideways on the phone.
//
// The stack is real: redis-server, an SMTP sink, tollgate (TOTP, recovery codes, email), the
// auth-proxy (examples/auth-proxy) in front of whoami (examples/whoami).

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProxy, startProxy } from '../../examples/auth-proxy/server.ts';
import { type RunningWhoami, startWhoami } from '../../examples/whoami/server.ts';
import { createLogger } from '../../src/log.ts';
import { contrast, MIN_TEXT_CONTRAST } from '../../src/ui/colour.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { boxes, expectFits, expectStyled, hex, style, visibleLinks } from '../helpers/page-checks.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { APP_SECRET, addUser, RP_CALLBACK, type RunningTollgate } from '../helpers/tollgate.ts';
import { Authenticator } from '../helpers/totp.ts';
import { PASSWORD, proxyClient, stackConfig, startTollgateFor } from '../proxy/helpers.ts';

// Every run saves them under test-artifacts/; UPDATE_SCREENSHOTS=1 saves them where the README
// shows them (times, ports and ids on some pages would otherwise change docs/ on every run).
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots/walk' : 'test-artifacts/walk';
const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
type Size = keyof typeof SIZES;

let redis: RedisServer | undefined;
let smtp: TestSmtpServer | undefined;
let tg: RunningTollgate | undefined;
let whoami: RunningWhoami | undefined;
let proxy: RunningProxy | undefined;
let proxyUrl = '';
let browser: Browser | undefined;

const tollgate = () => tg as RunningTollgate;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  redis = await startRedis();
  smtp = await startSmtp();
  const proxyPort = await freePort();
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const whoamiPort = await freePort();
  whoami = await startWhoami({
    port: whoamiPort,
    jwksUrl: `${proxyUrl}/.well-known/jwks.json`,
    issuer: proxyUrl,
    audience: `http://127.0.0.1:${whoamiPort}`,
  });
  tg = await startTollgateFor(redis, proxyUrl, {
    delivery: {
      email: {
        smtp: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'x <x@example.test>' },
      },
    },
    otp: { hmac_key: randomBytes(32).toString('base64') },
    mfa: {
      factors: ['totp', 'recovery', 'email'],
      encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      regulation: { max_failures: 3 },
    },
    clients: [
      proxyClient(proxyUrl),
      {
        client_id: 'mail-app',
        client_name: 'Mail App',
        client_secret: APP_SECRET,
        redirect_uris: [RP_CALLBACK],
        first_party: true,
        mfa: { policy: 'required', factors: ['email'] },
      },
    ],
  });
  proxy = await startProxy(stackConfig({ port: proxyPort, tg, upstream: whoami }), {
    logger: createLogger('silent'),
  });
});

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await whoami?.close();
  await tg?.stop();
  await smtp?.stop();
  await redis?.stop();
});

/** A fresh browser at one size: the phone as a phone (touch, the viewport meta honoured). */
async function open(size: Size) {
  browser ??= await launchChromium();
  const phone = size === 'phone';
  const context = await browser.newContext({
    viewport: SIZES[size],
    deviceScaleFactor: 1,
    isMobile: phone,
    hasTouch: phone,
    colorScheme: 'light',
  });
  context.setDefaultTimeout(15_000);
  return { page: await context.newPage(), close: () => context.close() };
}

/** Saves the whole page as `<name>-<size>.png`. */
const shoot = (page: Page, name: string, size: Size) =>
  page.screenshot({ path: join(SHOTS, `${name}-${size}.png`), fullPage: true });

/** A refusal page: styled, fits, and offers every link on in `expected` (hrefs or patterns). */
async function expectRefusal(page: Page, size: Size, name: string, expected: (string | RegExp)[]) {
  await page.waitForLoadState('load');
  await shoot(page, name, size);
  await expectStyled(page);
  await expectFits(page, SIZES[size]);
  const links = await visibleLinks(page);
  expect(links.length, `${name}: no visible link on`).toBeGreaterThan(0);
  for (const way of expected)
    expect(
      links.some((href) => (typeof way === 'string' ? href === way : way.test(href))),
      `${name}: no visible link to ${way} among ${links.join(', ')}`,
    ).toBe(true);
  // A way on leads somewhere else than the page itself.
  expect(links.filter((href) => href === page.url())).toEqual([]);
}

/** A string as a RegExp matching it literally. */
function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** tollgate's login form, filled and sent. */
async function signIn(page: Page, username: string) {
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Sets up an authenticator app (chosen first when asked); stops on the recovery codes. */
async function enrolTotp(page: Page): Promise<Authenticator> {
  const enrol = page.getByRole('heading', { name: 'Set up an authenticator app' });
  const choose = page.getByRole('heading', { name: 'Set up a second factor' });
  await enrol.or(choose).waitFor();
  if (await choose.isVisible()) await page.getByRole('link', { name: 'Authenticator app' }).click();
  await enrol.waitFor();
  const key = ((await page.locator('#totp-key').textContent()) ?? '').replace(/\s+/g, '');
  const app = new Authenticator(key);
  await page.getByLabel('6-digit code').fill(await app.code());
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
  return app;
}

/** Confirms the recovery codes shown. */
async function keepCodes(page: Page) {
  await page.getByLabel('I have saved these codes').check();
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** The sign-in URL of `mail-app` (email code required; PKCE S256, the code is never redeemed). */
const mailAppUrl = () =>
  `${tollgate().url}/auth?${new URLSearchParams({
    client_id: 'mail-app',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: RP_CALLBACK,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  })}`;

/** Each page of the walk: how to reach it at one size and what it must offer. */
const walk: { name: string; visit: (page: Page, size: Size) => Promise<void> }[] = [
  {
    name: 'proxy-forbidden',
    async visit(page, size) {
      await addUser(tollgate(), `bob-${size}`, PASSWORD, { groups: ['staff'] });
      await page.goto(`${proxyUrl}/`);
      await signIn(page, `bob-${size}`);
      await page.locator('h1', { hasText: 'whoami' }).waitFor();
      const response = await page.goto(`${proxyUrl}/admin/panel`);
      expect(response?.status()).toBe(403);
      const signOut = new URL('/oauth2/sign_out', proxyUrl);
      signOut.searchParams.set('rd', `${proxyUrl}/admin/panel`);
      await expectRefusal(page, size, 'proxy-forbidden', [`${proxyUrl}/`, signOut.href]);
    },
  },
  {
    name: 'cancel-at-sign-in',
    async visit(page, size) {
      await page.goto(`${proxyUrl}/reports`);
      await page.locator('#username').waitFor();
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.getByRole('heading', { name: 'Sign-in cancelled' }).waitFor();
      const again = new URL('/oauth2/start', proxyUrl);
      again.searchParams.set('rd', `${proxyUrl}/reports`);
      await expectRefusal(page, size, 'cancel-at-sign-in', [again.href]);
    },
  },
  {
    name: 'cancel-recovery-codes',
    async visit(page, size) {
      await addUser(tollgate(), `carol-${size}`, PASSWORD, { groups: ['admins'] });
      await page.goto(`${proxyUrl}/admin`);
      await signIn(page, `carol-${size}`);
      await enrolTotp(page);
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.getByRole('heading', { name: 'Sign-in cancelled' }).waitFor();
      const again = new URL('/oauth2/start', proxyUrl);
      again.searchParams.set('rd', `${proxyUrl}/admin`);
      await expectRefusal(page, size, 'cancel-recovery-codes', [new RegExp(`^${literal(again.href)}`)]);
    },
  },
  {
    name: 'lockout',
    async visit(page, size) {
      await addUser(tollgate(), `dave-${size}`, PASSWORD, { groups: ['admins'] });
      await page.goto(`${proxyUrl}/admin`);
      await signIn(page, `dave-${size}`);
      const app = await enrolTotp(page);
      await keepCodes(page);
      await page.locator('h1', { hasText: 'whoami' }).waitFor();
      // Signed out of the proxy: the next sign-in asks for the code, and gets three wrong ones.
      await page.context().clearCookies();
      await page.goto(`${proxyUrl}/admin`);
      await signIn(page, `dave-${size}`);
      const right = await app.code();
      const wrong = right === '000000' ? '111111' : '000000';
      for (let i = 0; i < 3; i++) {
        await page.getByLabel('6-digit code').fill(wrong);
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.waitForLoadState('load');
      }
      await page.getByText('Try again after').waitFor();
      await expectRefusal(page, size, 'lockout', [`${proxyUrl}/`]);
    },
  },
  {
    name: 'error-expired',
    async visit(page, size) {
      const response = await page.goto(`${tollgate().url}/interaction/no-such-interaction`);
      expect(response?.status()).toBe(400);
      await expectRefusal(page, size, 'error-expired', [`${tollgate().url}/account`]);
    },
  },
  {
    name: 'error-app',
    async visit(page, size) {
      const response = await page.goto(
        `${tollgate().url}/auth?${new URLSearchParams({
          client_id: 'proxy',
          response_type: 'code',
          scope: 'openid',
          redirect_uri: 'https://elsewhere.example.test/cb',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        })}`,
      );
      expect(response?.status()).toBe(400);
      await expectRefusal(page, size, 'error-app', [`${proxyUrl}/`]);
    },
  },
  {
    name: 'email-confirm-reopened',
    async visit(page, size) {
      await addUser(tollgate(), `erin-${size}`, PASSWORD, { email: `erin-${size}@example.test` });
      await page.goto(mailAppUrl());
      await signIn(page, `erin-${size}`);
      await page.getByLabel('Email address').fill(`erin-${size}@example.test`);
      await page.getByRole('button', { name: 'Send code' }).click();
      await page.getByRole('heading', { name: 'Enter the code we sent' }).waitFor();
      await smtp?.waitForMessage();
      // Reopened (a bookmark, a tab restored): the address form again, filled in.
      await page.goto(page.url());
      expect(await page.getByLabel('Email address').inputValue()).toBe(`erin-${size}@example.test`);
      await expectRefusal(page, size, 'email-confirm-reopened', [
        new RegExp(`^${literal(tollgate().url)}/interaction/[^/]+/abort\\?csrf=`),
      ]);
    },
  },
  {
    name: 'account-change-email',
    async visit(page, size) {
      await addUser(tollgate(), `frank-${size}`, PASSWORD, { email: `frank-${size}@example.test` });
      await page.goto(`${tollgate().url}/account`);
      await signIn(page, `frank-${size}`);
      await page.getByRole('button', { name: 'Add email code' }).click();
      await page.getByLabel('Email address').fill(`frank-${size}@example.test`);
      await page.getByRole('button', { name: 'Send code' }).click();
      await page.getByRole('heading', { name: 'Enter the code we sent' }).waitFor();
      await smtp?.waitForMessage();
      await page.getByRole('link', { name: 'Change email address' }).click();
      expect(await page.getByLabel('Email address').inputValue()).toBe(`frank-${size}@example.test`);
      await expectRefusal(page, size, 'account-change-email', [`${tollgate().url}/account`]);
    },
  },
];

describe('every refusal page, on a desktop and a phone', () => {
  for (const size of ['desktop', 'phone'] as const)
    for (const step of walk)
      it(`${step.name} at ${size} width: styled, a link on, nothing off the side`, async () => {
        const { page, close } = await open(size);
        try {
          await step.visit(page, size);
        } finally {
          await close();
        }
      });
});

describe('the account page and the app behind the proxy, on a desktop and a phone', () => {
  for (const size of ['desktop', 'phone'] as const) {
    it(`/account at ${size} width: back to the app, a success notice, dates in one piece, spaced buttons`, async () => {
      const { page, close } = await open(size);
      try {
        await addUser(tollgate(), `grace-${size}`, PASSWORD, { email: `grace-${size}@example.test` });
        // Opened from the app behind the proxy: /account?client_id=proxy, then the sign-in.
        await page.goto(`${tollgate().url}/account?client_id=proxy`);
        await signIn(page, `grace-${size}`);
        await page.getByRole('button', { name: 'Add authenticator app' }).click();
        await enrolTotp(page);
        await keepCodes(page);
        const notice = page.getByRole('status');
        await notice.waitFor();
        expect(await notice.textContent()).toBe(
          'Authenticator app is set up, and your recovery codes are saved.',
        );
        await page.waitForLoadState('load');
        await shoot(page, 'account', size);
        await expectStyled(page);
        await expectFits(page, SIZES[size]);

        // The way back to the app it was opened from, kept through the sign-in and the set-up.
        const back = page.getByRole('link', { name: 'Back to Auth proxy' });
        expect(await back.isVisible()).toBe(true);
        expect(await back.getAttribute('href')).toBe(`${proxyUrl}/`);
        expect(await page.getByRole('link', { name: 'Sign out' }).getAttribute('href')).toBe('/session/end');

        // The success notice is not a neutral box: its own colours, readable (WCAG AA, 4.5:1).
        expect(await notice.getAttribute('class')).toBe('notice success');
        await page.evaluate(
          "document.querySelector('main').append(Object.assign(document.createElement('div'), { className: 'notice', id: 'neutral', textContent: 'A code is on its way.' }))",
        );
        const looks = async (selector: string) => ({
          background: await style(page, selector, 'background-color'),
          border: await style(page, selector, 'border-left-color'),
          color: await style(page, selector, 'color'),
        });
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          const success = await looks('.notice.success');
          const neutral = await looks('#neutral');
          expect(success.background, scheme).not.toBe(neutral.background);
          expect(success.border, scheme).not.toBe(neutral.border);
          const card = await style(page, 'main', 'background-color');
          const background = success.background === 'rgba(0, 0, 0, 0)' ? card : success.background;
          expect(contrast(hex(success.color), hex(background)), scheme).toBeGreaterThanOrEqual(
            MIN_TEXT_CONTRAST,
          );
        }
        await page.emulateMedia({ colorScheme: 'light' });
        await page.evaluate("document.getElementById('neutral').remove()");

        // Dates (the factors' "added", the sessions' "signed in ... UTC") each on one line.
        const dates = (await page.evaluate(
          "[...document.querySelectorAll('main time')].map((e) => ({ text: e.textContent, whiteSpace: getComputedStyle(e).whiteSpace, lines: e.getClientRects().length }))",
        )) as { text: string; whiteSpace: string; lines: number }[];
        // Two factors' "added", this session's "signed in" and "last used".
        expect(dates.length).toBeGreaterThanOrEqual(3);
        for (const date of dates) expect(date).toEqual({ text: date.text, whiteSpace: 'nowrap', lines: 1 });

        // The "Add ..." buttons stand apart from the list above and from each other.
        const list = (await boxes(page, 'main > ul.list'))[0];
        const buttons = await boxes(page, '.button-stack .btn');
        expect(buttons.length).toBeGreaterThanOrEqual(2);
        let above = list?.bottom ?? 0;
        for (const button of buttons) {
          expect(button.top - above).toBeGreaterThanOrEqual(8);
          above = button.bottom;
        }
      } finally {
        await close();
      }
    });

    it(`whoami at ${size} width: long values wrap, nothing off the side`, async () => {
      const { page, close } = await open(size);
      try {
        await addUser(tollgate(), `wanda-${size}`, PASSWORD, {
          email: `wanda.with-a-rather-long-address-${size}@subdomain.example.test`,
          groups: ['staff', 'reporting-and-analytics-department'],
        });
        // A long path with nothing to break at, as a deep link or a token in a URL would be.
        const path = `/reports/${'a1b2c3d4'.repeat(16)}?token=${'x'.repeat(120)}`;
        await page.goto(`${proxyUrl}${path}`);
        await signIn(page, `wanda-${size}`);
        await page.locator('h1', { hasText: 'whoami' }).waitFor();
        expect(await page.getByText('Assertion verified').isVisible()).toBe(true);
        await page.waitForLoadState('load');
        await shoot(page, 'whoami', size);
        await expectFits(page, SIZES[size]);
      } finally {
        await close();
      }
    });
  }
});
