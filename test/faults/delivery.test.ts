// Code delivery failing during sign-in: the mail server down or hanging, the SMS gateway's
// webhook timing out. The user reads a clear message, and a code that never left costs nothing:
// no attempt of the code, no failure of the sign-in, and "Send a new code" works once the
// transport is back.
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.ts';
import { freePort } from '../helpers/redis-server.ts';
import { startSmtp } from '../helpers/smtp-server.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

const PASSWORD = 'delivery test password';
const SMS_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const TIMEOUT_MS = 500;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** tollgate on the memory store whose email goes to `smtpPort` and SMS to `sms`. */
async function tollgate(
  smtpPort: number,
  sms: WebhookReceiver,
  timeoutMs = TIMEOUT_MS,
): Promise<RunningTollgate> {
  const app = (client_id: string, factor: string) => ({
    client_id,
    client_secret: APP_SECRET,
    redirect_uris: [RP_CALLBACK],
    first_party: true,
    mfa: { policy: 'required', factors: [factor] },
  });
  const tg = await startTollgate({
    overrides: {
      delivery: {
        email: {
          smtp: {
            host: '127.0.0.1',
            port: smtpPort,
            security: 'none',
            from: 'tollgate <no-reply@example.test>',
            timeout_ms: timeoutMs,
          },
        },
        sms: { webhook: { url: sms.url, secret: SMS_SECRET, timeout_ms: timeoutMs, max_retries: 1 } },
      },
      otp: { hmac_key: randomBytes(32).toString('base64') },
      mfa: {
        factors: ['email', 'sms'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
      clients: [app('mail-app', 'email'), app('sms-app', 'sms')],
    },
  });
  cleanups.push(() => tg.stop());
  return tg;
}

async function receiver(script: Parameters<typeof startWebhookReceiver>[1]) {
  const hooks = await startWebhookReceiver(SMS_SECRET, script);
  cleanups.push(() => hooks.stop());
  return hooks;
}

/** A user whose only second factor is `factor` (email or sms), already bound. */
async function userWith(tg: RunningTollgate, username: string, factor: 'email' | 'sms') {
  const account = await addUser(tg, username, PASSWORD, { email: `${username}@example.test` });
  const address = factor === 'email' ? `${username}@example.test` : '+15550001111';
  await tg.tollgate.mfa.credentials.create({ account_id: account.id, factor, data: { address } });
}

/** Authorize at `clientId`, submit the password; returns the (challenge) page, timed. */
async function signIn(tg: RunningTollgate, clientId: string, username: string) {
  const config = await oidc.discovery(
    new URL(tg.url),
    clientId,
    undefined,
    oidc.ClientSecretBasic(APP_SECRET),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
  });
  const browser = new Browser();
  const login = await browser.get(url.href, RP_CALLBACK);
  const t0 = Date.now();
  const page = await browser.submit(login, { username, password: PASSWORD }, RP_CALLBACK);
  return { browser, page, ms: Date.now() - t0, config, verifier };
}

/** What the server counted against this login so far: failed codes, attempts and sends of the OTP. */
async function counted(tg: RunningTollgate, page: Page, factor: string) {
  const uid = /\/interaction\/([^/?#]+)/.exec(page.url)?.[1] ?? '';
  const pending = await tg.tollgate.mfa.pending.get(uid);
  const sessionId = pending?.factorState[factor]?.sessionId;
  const otp = typeof sessionId === 'string' ? await tg.tollgate.store.otp.get(sessionId) : undefined;
  return { failures: pending?.failures, attempts: otp?.attempts, sends: otp?.sends };
}

const resend = (browser: Browser, page: Page) => browser.submit(page, {}, RP_CALLBACK, 1);
const wrongCode = (browser: Browser, page: Page) => browser.submit(page, { code: '000000' }, RP_CALLBACK);

/** The challenge page with a message, and the code field still there. */
function expectChallengeWith(page: Page, message: string) {
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  expect(page.body).toContain(message);
  expect(page.body).toContain('name="code"');
  expect(page.body).toContain('Send a new code');
}

describe('SMTP down during sign-in', () => {
  it('connection refused: says so at once, and the failed sends cost no attempt', async () => {
    // A 20 s timeout: "at once" is then told from "after the timeout" on any machine.
    const tg = await tollgate(await freePort(), await receiver([200]), 20_000);
    await userWith(tg, 'nina', 'email');
    const { browser, page, ms } = await signIn(tg, 'mail-app', 'nina');
    expectChallengeWith(page, 'We could not send the code right now. Try again in a moment.');
    expect(ms).toBeLessThan(10_000);
    expect(await counted(tg, page, 'email')).toEqual({ failures: 0, attempts: 0, sends: 0 });

    // "Send a new code" while it is still down: the same message, still nothing counted.
    const again = await resend(browser, page);
    expectChallengeWith(again, 'We could not send the code right now.');
    expect(await counted(tg, again, 'email')).toEqual({ failures: 0, attempts: 0, sends: 0 });

    // A code typed while none was delivered is not a guess: no attempt is spent (issue 12.5).
    const wrong = await wrongCode(browser, again);
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain('attempts left');
    // (The page then tries a fresh send, still failing: the message stays.)
    expect((await counted(tg, wrong, 'email')).failures).toBe(0);
    expect(wrong.body).toContain('We could not send the code right now.');
  });

  it('a server that accepts but never greets: a timeout message within the configured timeout', async () => {
    const smtp = await startSmtp({ delayMs: 30_000 });
    cleanups.push(() => smtp.stop());
    const tg = await tollgate(smtp.port, await receiver([200]));
    await userWith(tg, 'omar', 'email');
    const { page, ms } = await signIn(tg, 'mail-app', 'omar');
    expectChallengeWith(page, 'We could not send the code right now (the service did not answer).');
    // One SMTP timeout (plus the password hash and redirects), not a page hung for the server's
    // 30 s: the bound leaves a loaded machine room and is still far from the hang.
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(ms).toBeLessThan(10_000);
    expect(await counted(tg, page, 'email')).toEqual({ failures: 0, attempts: 0, sends: 0 });
    expect(smtp.messages).toHaveLength(0);
  });
});

describe('SMS webhook timing out during sign-in', () => {
  it('says the service did not answer, counts nothing, and a new code works once the gateway answers', async () => {
    // Two attempts (the first and its one retry) hang; the next send is answered.
    const sms = await receiver(['hang', 'hang', 200]);
    const tg = await tollgate(await freePort(), sms);
    await userWith(tg, 'pia', 'sms');
    const { browser, page, ms, config, verifier } = await signIn(tg, 'sms-app', 'pia');
    expectChallengeWith(page, 'We could not send the code right now (the service did not answer).');
    // Two attempts' timeouts, not a hang (the receiver never answers them).
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS * 2);
    expect(ms).toBeLessThan(15_000);
    expect(sms.requests).toHaveLength(2);
    expect(sms.requests[0]?.headers['webhook-id']).toBe(sms.requests[1]?.headers['webhook-id']);
    expect(await counted(tg, page, 'sms')).toEqual({ failures: 0, attempts: 0, sends: 0 });

    const resent = await resend(browser, page);
    expectChallengeWith(resent, 'A new code is on its way.');
    expect(sms.requests).toHaveLength(3);
    expect(await counted(tg, resent, 'sms')).toEqual({ failures: 0, attempts: 0, sends: 1 });
    const code = (JSON.parse(sms.requests[2]?.body ?? '{}') as { code?: string }).code ?? '';
    expect(code).toMatch(/^\d{6}$/);

    const done = await browser.submit(resent, { code }, RP_CALLBACK);
    expect(done.url.startsWith(RP_CALLBACK), done.body.slice(0, 300)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), {
      pkceCodeVerifier: verifier,
      expectedState: 'st',
    });
    expect(tokens.claims()?.amr).toEqual(['pwd', 'sms', 'mfa']);
  });
});
