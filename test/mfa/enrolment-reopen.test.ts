// Enrolment that cannot be skipped or confused (issue #16.4): a set-up page reopened after its
// code was accepted never shows a new secret, and the login's own URL reopened before "I have
// saved these codes" never finishes the login without that confirmation.
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { addUser, RP_CALLBACK, type RunningTollgate } from '../helpers/tollgate.ts';
import { Authenticator } from '../helpers/totp.ts';
import {
  ACR_2FA,
  exchange,
  keyFromPage,
  PASSWORD,
  password,
  recoveryCodesFromPage,
  rp,
  startMfaTollgate,
} from './helpers.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let tg: RunningTollgate;
let mfaApp: oidc.Configuration;

beforeAll(async () => {
  redis = await startRedis();
  tg = await startMfaTollgate(redis.url);
  mfaApp = await rp(tg, 'mfa-app');
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

/** A new user's login at `mfa-app` up to the recovery-codes page, right after the TOTP code. */
async function untilCodes(username: string) {
  await addUser(tg, username, PASSWORD);
  const browser = new Browser();
  const { page: enrol, verifier } = await password(browser, mfaApp, username);
  const key = keyFromPage(enrol);
  const codes = await browser.submit(enrol, { code: await new Authenticator(key).code() }, RP_CALLBACK);
  expect(recoveryCodesFromPage(codes)).toHaveLength(10);
  const uid = /\/interaction\/([^/]+)\/enrol\/totp$/.exec(enrol.url)?.[1] as string;
  expect(uid).toBeTruthy();
  return { browser, enrol, codes, key, verifier, page: `${tg.url}/interaction/${uid}` };
}

/** The index of the form posting to a path ending in `suffix`. */
function formIndex(page: Page, suffix: string): number {
  const actions = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1] as string);
  const i = actions.findIndex((a) => a.endsWith(suffix));
  if (i < 0) throw new Error(`no form posting to ${suffix}:\n${page.body.slice(0, 600)}`);
  return i;
}

const isPending = (page: Page) =>
  page.status === 200 && page.body.includes('Save your recovery codes') && !page.body.includes('<li><code>');

describe('reopening a finished set-up step', () => {
  it('the TOTP page after its code was accepted shows no new secret, only what is left', async () => {
    const { browser, enrol, key } = await untilCodes('rhea');
    const reopened = await browser.get(enrol.url, RP_CALLBACK);
    expect(reopened.url.startsWith(RP_CALLBACK)).toBe(false);
    expect(reopened.body).not.toContain('totp-key');
    expect(reopened.body).not.toContain('<svg');
    expect(isPending(reopened)).toBe(true);
    expect(reopened.body).toContain('Authenticator app is set up.');
    // A double submit of the accepted code (the form posted again) lands on the same page.
    const resubmitted = await browser.submit(enrol, { code: '123456' }, RP_CALLBACK);
    expect(isPending(resubmitted)).toBe(true);
    // The one credential the accepted code created is the only one: no second seed anywhere.
    const account = await tg.tollgate.store.accounts.findByUsername('rhea');
    const totp = (await tg.tollgate.mfa.credentials.list(account?.id as string)).filter(
      (c) => c.factor === 'totp',
    );
    expect(totp).toHaveLength(1);
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
  });
});

describe('reopening the login before the recovery codes are confirmed', () => {
  it('GET /interaction/:uid does not finish the login; confirming there does', async () => {
    const { browser, page, verifier } = await untilCodes('saul');
    const reopened = await browser.get(page, RP_CALLBACK);
    // Regression: the pending login already counted the new factor, so this finished the login.
    expect(reopened.url.startsWith(RP_CALLBACK)).toBe(false);
    expect(isPending(reopened)).toBe(true);
    expect(reopened.body).toContain('I have saved the recovery codes shown before');
    // The page offers its way out too.
    expect(reopened.body).toMatch(/href="[^"]*\/abort\?csrf=/);

    // "Use another method" and the interaction's other GET pages do not finish it either.
    const other = await browser.get(`${page}/mfa/totp`, RP_CALLBACK);
    expect(isPending(other)).toBe(true);

    const done = await browser.submit(
      reopened,
      { confirm: '1' },
      RP_CALLBACK,
      formIndex(reopened, '/enrol/recovery'),
    );
    const { claims } = await exchange(mfaApp, done, verifier);
    expect(claims).toMatchObject({ acr: ACR_2FA, amr: ['pwd', 'otp', 'mfa'] });
  });

  it('"Show new codes" gives a new set to confirm; "Not now" is no way past it', async () => {
    const { browser, codes, page, verifier } = await untilCodes('tess');
    const first = recoveryCodesFromPage(codes);
    const reopened = await browser.get(page, RP_CALLBACK);
    expect(isPending(reopened)).toBe(true);

    const regenerate = formIndex(reopened, '/recovery/regenerate');
    const notNow = await browser.submit(reopened, { regenerate: '0' }, RP_CALLBACK, regenerate);
    expect(notNow.url.startsWith(RP_CALLBACK)).toBe(false);
    expect(isPending(notNow)).toBe(true);

    const fresh = await browser.submit(reopened, { regenerate: '1' }, RP_CALLBACK, regenerate);
    const second = recoveryCodesFromPage(fresh);
    expect(second).toHaveLength(10);
    expect(second.some((c) => first.includes(c))).toBe(false);
    const done = await browser.submit(fresh, { confirm: '1' }, RP_CALLBACK);
    expect((await exchange(mfaApp, done, verifier)).claims.amr).toEqual(['pwd', 'otp', 'mfa']);

    // The first set was replaced: only the codes confirmed last are left.
    const recovery = tg.tollgate.mfa.factors.backup();
    const account = await tg.tollgate.store.accounts.findByUsername('tess');
    expect(await recovery?.remaining?.(account?.id as string)).toBe(10);
  });
});

describe('the account page', () => {
  it('reopening the TOTP set-up URL after its code was accepted goes to the account page, no new secret', async () => {
    await addUser(tg, 'uma', PASSWORD);
    const browser = new Browser();
    const login = await browser.get(`${tg.url}/account`);
    const home = await browser.submit(login, { username: 'uma', password: PASSWORD });
    const enrol = await browser.submit(home, {}, undefined, formIndex(home, '/account/enrol/totp/start'));
    const key = keyFromPage(enrol);

    // Before the code: reopening resumes the same secret.
    const resumed = await browser.get(`${tg.url}/account/enrol/totp`);
    expect(keyFromPage(resumed)).toBe(key);

    const codes = await browser.submit(enrol, { code: await new Authenticator(key).code() });
    expect(recoveryCodesFromPage(codes)).toHaveLength(10);
    const reopened = await browser.request(`${tg.url}/account/enrol/totp`);
    expect(reopened.status).toBe(303);
    expect(reopened.headers.get('location')).toBe('/account');
    const followed = await browser.follow(reopened);
    expect(followed.body).not.toContain('totp-key');
  });
});
