// MFA through the front door: a real redis-server, openid-client as the RP, oathtool as an
// independent TOTP generator, and the pages read as a user reads them.

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecoveryFactor } from '../../src/factors/recovery/index.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { API_SECRET, addUser, RP_CALLBACK, type RunningTollgate } from '../helpers/tollgate.ts';
import { Authenticator, oathtoolAt } from '../helpers/totp.ts';
import {
  ACR_1FA,
  ACR_2FA,
  authorize,
  exchange,
  keyFromPage,
  oathtool,
  PASSWORD,
  password,
  recoveryCodesFromPage,
  rp,
  startMfaTollgate,
  submit,
} from './helpers.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let tg: RunningTollgate;
let mfaApp: oidc.Configuration;
let oneFactor: oidc.Configuration;
let optionalApp: oidc.Configuration;

/** Creates a user and enrols TOTP (and saves recovery codes) through the pages of `mfa-app`. */
async function enrolledUser(username: string) {
  await addUser(tg, username, PASSWORD);
  const browser = new Browser();
  const { page: enrol, verifier } = await password(browser, mfaApp, username);
  const authenticator = new Authenticator(keyFromPage(enrol));
  const codesPage = await submit(browser, enrol, { code: await authenticator.code() });
  const recoveryCodes = recoveryCodesFromPage(codesPage);
  const done = await submit(browser, codesPage, { confirm: '1' });
  const { claims } = await exchange(mfaApp, done, verifier);
  return { browser, authenticator, recoveryCodes, claims };
}

const isChallenge = (page: Page) =>
  page.status === 200 && page.body.includes('name="code"') && !page.body.includes('name="password"');

beforeAll(async () => {
  redis = await startRedis();
  tg = await startMfaTollgate(redis.url);
  [mfaApp, oneFactor, optionalApp] = await Promise.all([
    rp(tg, 'mfa-app'),
    rp(tg, 'one-factor'),
    rp(tg, 'optional-app'),
  ]);
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

describe('MFA login', () => {
  it('walks a user without a factor through TOTP enrolment and recovery codes to the callback', async () => {
    await addUser(tg, 'erin', PASSWORD);
    const browser = new Browser();
    const { page: enrol, verifier } = await password(browser, mfaApp, 'erin');
    expect(enrol.body).toContain('<svg');
    expect(enrol.headers.get('cache-control')).toBe('no-store');
    const key = keyFromPage(enrol);
    expect(key).toMatch(/^[A-Z2-7]{32}$/);

    // A reopened enrolment page resumes with the same pending secret.
    const again = await browser.get(enrol.url);
    expect(keyFromPage(again)).toBe(key);

    // A wrong first code is refused and the same key stays.
    const wrong = await submit(browser, again, { code: '000000' === oathtool(key) ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(keyFromPage(wrong)).toBe(key);

    const authenticator = new Authenticator(key);
    const codesPage = await submit(browser, wrong, { code: await authenticator.code() });
    const codes = recoveryCodesFromPage(codesPage);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(codesPage.headers.get('cache-control')).toBe('no-store');

    const done = await submit(browser, codesPage, { confirm: '1' });
    const { claims, tokens } = await exchange(mfaApp, done, verifier);
    expect(claims.acr).toBe(ACR_2FA);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);

    // Resource servers see how the user signed in.
    const api = await rp(tg, 'api', API_SECRET);
    expect(await oidc.tokenIntrospection(api, tokens.access_token)).toMatchObject({
      active: true,
      acr: ACR_2FA,
      amr: ['pwd', 'otp', 'mfa'],
    });

    // The enrolment code cannot be replayed to sign in; a fresh one can.
    const second = new Browser();
    const { page: challenge, verifier: v2 } = await password(second, mfaApp, 'erin');
    expect(isChallenge(challenge)).toBe(true);
    const replay = await submit(second, challenge, {
      code: oathtoolAt(key, [...authenticator.used][0] as number),
    });
    expect(replay.status).toBe(401);
    expect(replay.body).toContain('already used');
    const ok = await submit(second, replay, { code: await authenticator.code() });
    expect((await exchange(mfaApp, ok, v2)).claims.acr).toBe(ACR_2FA);
  });

  it('accepts a recovery code once, through "use another method"', async () => {
    const { recoveryCodes } = await enrolledUser('finn');
    const browser = new Browser();
    const { page: challenge, verifier } = await password(browser, mfaApp, 'finn');
    const href = /href="([^"]*\/mfa\/recovery)"/.exec(challenge.body)?.[1];
    expect(href).toBeTruthy();
    const recoveryPage = await browser.get(new URL(href as string, tg.url).href);
    expect(recoveryPage.body).toContain('10 codes left');
    const done = await submit(browser, recoveryPage, { code: (recoveryCodes[0] as string).toLowerCase() });
    expect((await exchange(mfaApp, done, verifier)).claims).toMatchObject({
      acr: ACR_2FA,
      amr: ['pwd', 'recovery', 'mfa'],
    });

    // Regression (security review): that session does not satisfy a client that accepts only
    // an authenticator app: it is asked for a TOTP code, not let through on the recovery code.
    const totpOnly = await rp(tg, 'totp-only');
    const strict = await authorize(browser, totpOnly);
    expect(isChallenge(strict.page)).toBe(true);
    expect(strict.page.body).toContain('/mfa/totp');
    expect(strict.page.url.startsWith(RP_CALLBACK)).toBe(false);

    const other = new Browser();
    const { page: c2 } = await password(other, mfaApp, 'finn');
    const r2 = await other.get(
      new URL(
        href?.replace(/\/interaction\/[^/]+/, /\/interaction\/[^/]+/.exec(c2.url)?.[0] ?? '') as string,
        tg.url,
      ).href,
    );
    const refused = await submit(other, r2, { code: recoveryCodes[0] as string });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('9 codes left');
  });

  it('steps a one-factor session up with only the missing factor, never the password again', async () => {
    const { authenticator } = await enrolledUser('gus');
    const browser = new Browser();
    const first = await password(browser, oneFactor, 'gus');
    expect((await exchange(oneFactor, first.page, first.verifier)).claims).toMatchObject({
      acr: ACR_1FA,
      amr: ['pwd'],
    });

    // prompt=none cannot step up: login_required, not a silent one-factor login.
    const silent = await authorize(browser, mfaApp, { prompt: 'none' });
    expect(new URL(silent.page.url).searchParams.get('error')).toBe('login_required');

    // The same browser at the MFA client: the TOTP page, no password field.
    const { page: challenge, verifier } = await authorize(browser, mfaApp);
    expect(isChallenge(challenge)).toBe(true);
    const done = await submit(browser, challenge, { code: await authenticator.code() });
    expect((await exchange(mfaApp, done, verifier)).claims).toMatchObject({
      acr: ACR_2FA,
      amr: ['pwd', 'otp', 'mfa'],
    });

    // Now two factors: an acr_values request for 2fa elsewhere goes straight through.
    const up = await authorize(browser, optionalApp, { acr_values: ACR_2FA });
    expect((await exchange(optionalApp, up.page, up.verifier)).claims.acr).toBe(ACR_2FA);

    // max_age forces a real re-authentication: the password form again.
    const stale = await authorize(browser, mfaApp, { max_age: '0' });
    expect(stale.page.body).toContain('name="password"');
  });

  it('steps up on acr_values at an optional client and refuses an essential acr it cannot meet', async () => {
    await addUser(tg, 'hana', PASSWORD);
    const browser = new Browser();
    const first = await password(browser, oneFactor, 'hana');
    await exchange(oneFactor, first.page, first.verifier);

    // Voluntary acr_values at a client whose policy is off: still one factor, no error.
    const voluntary = await authorize(browser, oneFactor, { acr_values: ACR_2FA });
    expect((await exchange(oneFactor, voluntary.page, voluntary.verifier)).claims.acr).toBe(ACR_1FA);

    // An essential 2fa acr there cannot be met: the client gets the OIDC error.
    const essential = await authorize(browser, oneFactor, {
      claims: JSON.stringify({ id_token: { acr: { essential: true, value: ACR_2FA } } }),
    });
    expect(new URL(essential.page.url).searchParams.get('error')).toBe('unmet_authentication_requirements');

    // acr_values=2fa at an optional client: a user with no factor is walked through enrolment.
    const stepUp = await authorize(browser, optionalApp, { acr_values: ACR_2FA });
    expect(stepUp.page.body).toContain('totp-key');
    expect(stepUp.page.body).not.toContain('name="password"');
  });

  it('never lets the password alone replace or add a second factor', async () => {
    await enrolledUser('ines');
    const browser = new Browser();
    const { page } = await password(browser, mfaApp, 'ines');
    expect(isChallenge(page)).toBe(true);
    const uid = /\/interaction\/([^/?"]+)/.exec(page.url)?.[1];
    for (const factor of ['totp', 'recovery']) {
      const attempt = await browser.get(`${tg.url}/interaction/${uid}/enrol/${factor}`);
      expect(attempt.status).toBe(400);
      expect(attempt.body).not.toContain('totp-key');
      expect(attempt.body).not.toMatch(/<li><code>[0-9A-Z-]{19}<\/code>/);
    }
  });
});

describe('regulation', () => {
  it('closes a challenge after 5 wrong codes and locks the second factor after 10, with a retry time', async () => {
    const { authenticator } = await enrolledUser('jack');
    const wrongCode = () => {
      const valid = new Set([-1, 0, 1].map((o) => oathtool(authenticator.key, o)));
      return ['123456', '654321', '111111'].find((c) => !valid.has(c)) as string;
    };
    const browser = new Browser();
    let { page } = await password(browser, mfaApp, 'jack');
    for (let i = 1; i <= 4; i++) {
      page = await submit(browser, page, { code: wrongCode() });
      expect(page.status).toBe(401);
      expect(page.body).toContain(`${5 - i} attempt`);
    }
    page = await submit(browser, page, { code: wrongCode() });
    expect(page.status).toBe(429);
    expect(page.body).toContain('Too many wrong codes');

    // Start again: the password, then 5 more wrong codes reach the account limit of 10.
    ({ page } = await password(browser, mfaApp, 'jack'));
    for (let i = 1; i <= 4; i++) page = await submit(browser, page, { code: wrongCode() });
    page = await submit(browser, page, { code: wrongCode() });
    expect(page.status).toBe(429);
    expect(page.body).toContain('Too many attempts');
    expect(page.body).toMatch(/Try again after \d\d:\d\d UTC/);
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(200);

    // Locked means locked: even the right code is not looked at, and a new login says so too.
    const other = new Browser();
    const locked = await password(other, mfaApp, 'jack');
    expect(locked.page.status).toBe(429);
    expect(locked.page.body).toContain('Too many attempts');
    expect(locked.page.body).not.toContain(authenticator.key);
  });
});

describe('remember this browser', () => {
  it('skips the second factor for a remembered browser until the factors change', async () => {
    const { authenticator } = await enrolledUser('kate');
    const browser = new Browser();
    const dropSession = () => {
      for (let i = browser.cookies.length - 1; i >= 0; i--) {
        if (browser.cookies[i]?.name.startsWith('_session')) browser.cookies.splice(i, 1);
      }
    };
    const first = await password(browser, mfaApp, 'kate');
    expect(first.page.body).toContain('Remember this browser for 30 days');
    const done = await submit(browser, first.page, { code: await authenticator.code(), remember: '1' });
    await exchange(mfaApp, done, first.verifier);
    expect(browser.cookies.some((c) => c.name === 'tollgate_remember')).toBe(true);

    dropSession();
    const remembered = await password(browser, mfaApp, 'kate');
    expect((await exchange(mfaApp, remembered.page, remembered.verifier)).claims).toMatchObject({
      acr: ACR_2FA,
    });

    // New recovery codes change the account's factors: the remembered browser is forgotten.
    const account = await tg.tollgate.store.accounts.findByUsername('kate');
    await (tg.tollgate.mfa.factors.backup() as RecoveryFactor).generate(account?.id as string);
    dropSession();
    const forgotten = await password(browser, mfaApp, 'kate');
    expect(isChallenge(forgotten.page)).toBe(true);
    expect(forgotten.page.url.startsWith(RP_CALLBACK)).toBe(false);
  });
});
