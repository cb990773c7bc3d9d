// Branding in a real browser: Debian's Chromium (playwright-core) opens the login page of a
// plain tollgate and of one with ui.branding, at desktop (1280x800) and phone (390x844) widths.
// The screenshots go to test-artifacts/branding/ and to docs/screenshots/, which the README shows.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.ts';
import { RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';

const ARTIFACTS = 'test-artifacts/branding';
const DOCS = 'docs/screenshots';
/** UPDATE_SCREENSHOTS=1: also refresh the README's copies in docs/ (else test-artifacts/ only). */
const UPDATE_DOCS = process.env.UPDATE_SCREENSHOTS === '1';
const FIXTURES = 'test/fixtures/branding';
const GREEN = 'rgb(11, 122, 62)';
const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

let plain: RunningTollgate | undefined;
let branded: RunningTollgate | undefined;
let browser: Browser | undefined;

/** Debian's Chromium, or a failed test saying how to install it (browser tests never skip). */

/** The sign-in URL of the test client `app` (PKCE S256; the code is never redeemed). */
const authorizeUrl = (tg: RunningTollgate) =>
  `${tg.url}/auth?${new URLSearchParams({
    client_id: 'app',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: RP_CALLBACK,
    state: 'branding-state',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  })}`;

/**
 * Opens the login page at one size in light mode, saves it as `<name>.png` to the artifacts and
 * the README's screenshots, and hands the page over with the CSP violations it reported.
 */
async function openLogin(
  tg: RunningTollgate,
  size: keyof typeof SIZES,
  name: string,
  colorScheme: 'light' | 'dark' = 'light',
) {
  browser ??= await launchChromium();
  const context = await browser.newContext({
    viewport: SIZES[size],
    colorScheme,
    deviceScaleFactor: 1,
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  await page.goto(authorizeUrl(tg));
  await page.locator('#username').waitFor();
  await page.waitForLoadState('load');
  const file = `${name}-${size}.png`;
  await page.screenshot({ path: join(ARTIFACTS, file) });
  if (colorScheme === 'light' && UPDATE_DOCS) copyFileSync(join(ARTIFACTS, file), join(DOCS, file));
  return { page, violations, failed, close: () => context.close() };
}

// Expressions evaluated in the page are strings: the project compiles without the DOM library.

/** Whether the page scrolls sideways. */
const scrollsSideways = (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth');

/** A computed style of the first element `selector` matches. */
const style = (page: Page, selector: string, property: string) =>
  page.evaluate(
    `getComputedStyle(document.querySelector(${JSON.stringify(selector)})).getPropertyValue(${JSON.stringify(property)})`,
  );

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  mkdirSync(DOCS, { recursive: true });
  plain = await startTollgate();
  branded = await startTollgate({
    overrides: {
      ui: {
        branding: {
          name: 'Acme ID',
          logo: join(FIXTURES, 'logo.svg'),
          primary_color: '#0b7a3e',
          css: join(FIXTURES, 'brand.css'),
          support: { text: 'Trouble signing in? help@acme.example', href: 'mailto:help@acme.example' },
        },
      },
    },
  });
});

afterAll(async () => {
  await browser?.close();
  await plain?.stop();
  await branded?.stop();
});

describe('the login page, branded and plain, on a desktop and a phone', () => {
  for (const size of ['desktop', 'phone'] as const) {
    it(`branded at ${size} width: name, logo, colour, stylesheet and support line`, async () => {
      const { page, violations, failed, close } = await openLogin(
        branded as RunningTollgate,
        size,
        'login-branded',
      );
      try {
        expect(await page.title()).toBe('Sign in · Acme ID');
        await expect.poll(() => page.locator('.brand-name').textContent()).toBe('Acme ID');
        expect(await page.locator('h1').textContent()).toBe('Sign in to Test App');
        expect(await page.locator('.site-footer').textContent()).toContain('Secured by Acme ID');
        // The logo loaded (served by tollgate, allowed by the CSP) and shows at its size.
        const logo = page.locator('img.brand-logo');
        expect(
          await page.evaluate(
            "(i => i.complete && i.naturalWidth)(document.querySelector('img.brand-logo'))",
          ),
        ).toBe(40);
        expect((await logo.boundingBox())?.height).toBe(40);
        // The primary button in the brand colour, its text white (4.5:1 or better).
        const button = 'button.btn-primary';
        expect(await style(page, button, 'background-color')).toBe(GREEN);
        expect(await style(page, button, 'color')).toBe('rgb(255, 255, 255)');
        // The focused field's ring, and the stylesheet's rule, in the brand colour.
        expect(await page.evaluate('document.activeElement.id')).toBe('username');
        expect(await style(page, '#username', 'outline-color')).toBe(GREEN);
        expect(await style(page, '.card', 'border-top-width')).toBe('4px');
        expect(await style(page, '.card', 'border-top-color')).toBe(GREEN);
        const support = page.locator('.brand-support a');
        expect(await support.textContent()).toBe('Trouble signing in? help@acme.example');
        expect(await support.getAttribute('href')).toBe('mailto:help@acme.example');
        expect(await scrollsSideways(page)).toBe(false);
        expect(violations).toEqual([]);
        expect(failed).toEqual([]);
      } finally {
        await close();
      }
    });

    it(`plain at ${size} width: the tollgate look, no brand header`, async () => {
      const { page, violations, close } = await openLogin(plain as RunningTollgate, size, 'login-plain');
      try {
        expect(await page.title()).toBe('Sign in · tollgate');
        expect(await page.locator('.brand').count()).toBe(0);
        expect(await page.locator('.site-footer').textContent()).toContain('Secured by tollgate');
        expect(await style(page, 'button.btn-primary', 'background-color')).toBe('rgb(29, 78, 216)');
        expect(await scrollsSideways(page)).toBe(false);
        expect(violations).toEqual([]);
      } finally {
        await close();
      }
    });
  }

  it("branded in dark mode: the button keeps the brand colour, links keep the dark scheme's colour", async () => {
    const { page, violations, close } = await openLogin(
      branded as RunningTollgate,
      'phone',
      'login-branded-dark',
      'dark',
    );
    try {
      expect(await style(page, 'button.btn-primary', 'background-color')).toBe(GREEN);
      expect(await style(page, 'button.btn-primary', 'color')).toBe('rgb(255, 255, 255)');
      // #0b7a3e reads below 4.5:1 on the dark card: the support link stays the built-in light blue.
      expect(await style(page, '.brand-support a', 'color')).toBe('rgb(110, 168, 254)');
      expect(await scrollsSideways(page)).toBe(false);
      expect(violations).toEqual([]);
    } finally {
      await close();
    }
  });
});
