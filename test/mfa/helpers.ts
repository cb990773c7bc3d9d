import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { expect } from 'vitest';
import { type Browser, type Page, parseForm } from '../helpers/browser.ts';
import {
  API_SECRET,
  APP_SECRET,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { oathtoolAt, stepAt } from '../helpers/totp.ts';

export const ACR_1FA = 'urn:tollgate:acr:1fa';
export const ACR_2FA = 'urn:tollgate:acr:2fa';
/** The password of the users the MFA tests create. */
export const PASSWORD = 'a long enough password';

const client = (client_id: string, mfa: unknown, extra: Record<string, unknown> = {}) => ({
  client_id,
  client_secret: APP_SECRET,
  redirect_uris: [RP_CALLBACK],
  first_party: true,
  mfa,
  ...extra,
});

/** tollgate with MFA on: clients with each policy, TOTP + recovery codes, small regulation limits. */
export async function startMfaTollgate(
  redisUrl: string,
  regulation: Record<string, number> = {},
): Promise<RunningTollgate> {
  return startTollgate({
    redisUrl,
    overrides: {
      mfa: {
        factors: ['totp', 'recovery'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
        regulation,
      },
      clients: [
        client('mfa-app', { policy: 'required', remember_browser_days: 30 }),
        client('one-factor', 'off'),
        client('optional-app', 'optional'),
        client('totp-only', { policy: 'required', factors: ['totp'] }),
        {
          client_id: 'api',
          client_secret: API_SECRET,
          grant_types: ['client_credentials'],
          resource_server: true,
        },
      ],
    },
  });
}

export async function rp(tg: RunningTollgate, clientId: string, secret = APP_SECRET) {
  return oidc.discovery(new URL(tg.url), clientId, undefined, oidc.ClientSecretBasic(secret), {
    execute: [oidc.allowInsecureRequests],
  });
}

/**
 * A TOTP code from the independent `oathtool`, for now + offsetSteps time steps. Safe at a step
 * boundary only for offsets 0 and 1; for codes that must stay valid, use `Authenticator`
 * (test/helpers/totp.ts).
 */
export function oathtool(base32: string, offsetSteps = 0): string {
  return oathtoolAt(base32, stepAt(Date.now()) + offsetSteps);
}

/** Starts an authorization request in `browser`; returns the first page and the PKCE verifier. */
export async function authorize(
  browser: Browser,
  config: oidc.Configuration,
  extra: Record<string, string> = {},
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
    ...extra,
  });
  return { page: await browser.get(url.href, RP_CALLBACK), verifier };
}

/**
 * The password step: starts an authorization request at `config` in `browser`, checks the page
 * asks for a password and submits it; returns the page after it and the PKCE verifier.
 */
export async function password(
  browser: Browser,
  config: oidc.Configuration,
  username: string,
  options: { password?: string; extra?: Record<string, string> } = {},
) {
  const { page, verifier } = await authorize(browser, config, options.extra);
  expect(page.body, page.body.slice(0, 400)).toContain('name="password"');
  const next = await browser.submit(page, { username, password: options.password ?? PASSWORD }, RP_CALLBACK);
  return { page: next, verifier };
}

/** Exchanges the code of a callback page and returns the ID token claims and tokens. */
export async function exchange(config: oidc.Configuration, page: Page, verifier: string) {
  if (!page.url.startsWith(RP_CALLBACK))
    throw new Error(`not at the callback: ${page.status} ${page.url}\n${page.body.slice(0, 800)}`);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url), {
    pkceCodeVerifier: verifier,
    expectedState: 'st',
  });
  return { tokens, claims: tokens.claims() as Record<string, unknown> };
}

/** The base32 key shown on the TOTP enrolment page (read as a user would, from the page). */
export function keyFromPage(page: Page): string {
  const shown = /<code id="totp-key"[^>]*>([^<]+)<\/code>/.exec(page.body)?.[1];
  if (!shown) throw new Error(`no TOTP key on the page:\n${page.body.slice(0, 800)}`);
  return shown.replace(/\s+/g, '');
}

/** The recovery codes listed on the page. */
export function recoveryCodesFromPage(page: Page): string[] {
  return [...page.body.matchAll(/<li><code>([0-9A-Z-]+)<\/code><\/li>/g)].map((m) => m[1] as string);
}

/** Submits the page's form after checking it has one. */
export async function submit(browser: Browser, page: Page, fields: Record<string, string>) {
  parseForm(page.body);
  return browser.submit(page, fields, RP_CALLBACK);
}
