import type * as oidc from 'openid-client';
import { expect } from 'vitest';
import type { Browser } from '../helpers/browser.ts';
import { authorize } from '../mfa/helpers.ts';

/**
 * The browser is no longer signed in at tollgate (`issuer`): `client`'s /auth and the account
 * page ask for a password (never a 5xx), and `prompt=none` answers `login_required`.
 */
export async function expectFreshSignIn(browser: Browser, issuer: string, client: oidc.Configuration) {
  const again = await authorize(browser, client);
  expect(again.page.status).toBe(200);
  expect(again.page.body).toContain('name="password"');
  const accountPage = await browser.get(`${issuer}/account`);
  expect(accountPage.status).toBe(200);
  expect(accountPage.body).toContain('name="password"');
  const silent = await authorize(browser, client, { prompt: 'none' });
  expect(new URL(silent.page.url).searchParams.get('error')).toBe('login_required');
}
