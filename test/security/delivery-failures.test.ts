// Issue 12.5: a code that never left (SMTP down, the SMS webhook timing out) costs the user
// nothing: no attempt of the sign-in, no send of their hourly quota, at login and on the
// account page; and the account page can confirm a removal with an email code it sends.
// Regressions: a failed send still took one of the 5 sends per address per hour, a code typed
// while nothing was delivered counted as a wrong one, and removal "with an email code" never
// sent a code, so it always failed.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { TOO_MANY_SENDS } from '../../src/factors/address/index.ts';
import { SENDS_PER_ADDRESS_PER_HOUR } from '../../src/factors/index.ts';
import { defaultI18n } from '../../src/i18n/index.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { authorize, rp } from '../mfa/helpers.ts';

const PASSWORD = 'delivery failure password';
const SMS_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const NOT_SENT = /We could not send the code right now/;
/** What the send limits say, in English (the pages' language here). */
const LIMITED = defaultI18n().translator('en')(TOO_MANY_SENDS.key);
/** More failed sends than the hourly quota per address allows. */
const TRIES = SENDS_PER_ADDRESS_PER_HOUR + 2;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** tollgate on a real Redis whose email goes to `smtpPort` and SMS to `sms`. */
async function tollgate(smtpPort: number, sms: WebhookReceiver): Promise<RunningTollgate> {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  const app = (client_id: string, factor: string) => ({
    client_id,
    client_secret: APP_SECRET,
    redirect_uris: [RP_CALLBACK],
    first_party: true,
    mfa: { policy: 'required', factors: [factor] },
  });
  const tg = await startTollgate({
    redisUrl: redis.url,
    overrides: {
      delivery: {
        email: {
          smtp: { host: '127.0.0.1', port: smtpPort, security: 'none', from: 'tg <no-reply@example.test>' },
        },
        sms: { webhook: { url: sms.url, secret: SMS_SECRET, timeout_ms: 200, max_retries: 0 } },
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

async function smtpServer(): Promise<TestSmtpServer> {
  const smtp = await startSmtp();
  cleanups.push(() => smtp.stop().catch(() => undefined));
  return smtp;
}

/** A user with an email and an SMS factor, both already bound. */
async function user(tg: RunningTollgate, username: string) {
  const account = await addUser(tg, username, PASSWORD, { email: `${username}@example.test` });
  for (const [factor, address] of [
    ['email', `${username}@example.test`],
    ['sms', '+15550002222'],
  ] as const) {
    await tg.tollgate.mfa.credentials.create({ account_id: account.id, factor, data: { address } });
  }
  return account;
}

/** The password step at `clientId`: the second-factor page. */
async function signIn(tg: RunningTollgate, clientId: string, username: string) {
  const browser = new Browser();
  const { page } = await authorize(browser, await rp(tg, clientId));
  return { browser, page: await browser.submit(page, { username, password: PASSWORD }, RP_CALLBACK) };
}

const codeIn = (text: string | undefined) => /\b(\d{6})\b/.exec(text ?? '')?.[1] as string;

/** Submits the form whose action ends with `suffix`. */
async function post(browser: Browser, page: Page, suffix: string, fields: Record<string, string>) {
  const actions = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1] as string);
  const index = actions.findIndex((a) => a.endsWith(suffix));
  if (index < 0) throw new Error(`no form posting to ${suffix} in:\n${page.body.slice(0, 600)}`);
  return browser.submit(page, fields, undefined, index);
}

describe('delivery failures at login', () => {
  it('SMTP stopped: failed sends leave the quota whole, and codes typed meanwhile cost no attempt', async () => {
    const smtp = await smtpServer();
    await smtp.stop();
    const tg = await tollgate(smtp.port, await receiver([200]));
    const account = await user(tg, 'dora');
    let last: { browser: Browser; page: Page } | undefined;
    for (let i = 0; i < TRIES; i++) {
      last = await signIn(tg, 'mail-app', 'dora');
      expect(last.page.body).toMatch(NOT_SENT);
      expect(last.page.body).not.toContain(LIMITED);
    }
    // More codes typed than one challenge allows: none is a wrong code, nothing closes or locks.
    let page = (last as { page: Page }).page;
    for (let i = 0; i < 6; i++) {
      page = await (last as { browser: Browser }).browser.submit(page, { code: '123456' }, RP_CALLBACK);
      expect(page.status).toBe(401);
      expect(page.body).not.toContain('Too many');
      expect(page.body).toMatch(NOT_SENT);
    }
    expect(await tg.tollgate.mfa.regulation.status(account.id, '127.0.0.1')).toEqual({ locked: false });
  });

  it('SMS webhook timing out: failed sends leave the quota whole', async () => {
    const tg = await tollgate(1, await receiver(['hang']));
    await user(tg, 'ezra');
    for (let i = 0; i < TRIES; i++) {
      const { page } = await signIn(tg, 'sms-app', 'ezra');
      expect(page.body).toMatch(/the service did not answer/);
      expect(page.body).not.toContain(LIMITED);
    }
  });
});

describe('delivery failures on the account page', () => {
  it('confirms a removal with an email code it sends; failed sends there cost nothing either', async () => {
    const smtp = await smtpServer();
    const tg = await tollgate(smtp.port, await receiver([200]));
    await user(tg, 'fred');
    const browser = new Browser();
    const login = await browser.get(`${tg.url}/account`);
    const challenge = await browser.submit(login, { username: 'fred', password: PASSWORD });
    expect(challenge.body).toContain('name="code"');
    const home = await browser.submit(challenge, { code: codeIn((await smtp.waitForMessage()).text) });
    expect(home.url).toBe(`${tg.url}/account`);
    expect(home.body).toContain('Send a code (email code)');

    // "Send a code" mails one; it confirms removing the SMS factor.
    const sent = await post(browser, home, '/account/confirm/email/send', {});
    expect(sent.status).toBe(200);
    expect(sent.body).toContain('A code is on its way to f***@example.test.');
    const code = codeIn((await smtp.waitForMessage()).text);
    const sms = (
      await tg.tollgate.mfa.credentials.list(
        (await tg.tollgate.store.accounts.findByUsername('fred'))?.id ?? '',
      )
    ).find((c) => c.factor === 'sms');
    const removed = await post(browser, sent, `/account/factors/${sms?.id}/remove`, {
      verify_with: 'email',
      code,
    });
    expect(removed.status, removed.body.slice(0, 600)).toBe(200);
    expect(removed.body).toMatch(/was removed/);

    // The mail server goes away: each "Send a code" says so, none uses up the quota, and a code
    // typed meanwhile is not a wrong one.
    await smtp.stop();
    let page = removed;
    for (let i = 0; i < TRIES; i++) {
      page = await post(browser, page, '/account/confirm/email/send', {});
      expect(page.body).toMatch(NOT_SENT);
      expect(page.body).not.toContain(LIMITED);
    }
    const email = (
      await tg.tollgate.mfa.credentials.list(
        (await tg.tollgate.store.accounts.findByUsername('fred'))?.id ?? '',
      )
    ).find((c) => c.factor === 'email');
    for (let i = 0; i < 6; i++) {
      page = await post(browser, page, `/account/factors/${email?.id}/remove`, {
        verify_with: 'email',
        code: '123456',
      });
      expect(page.status).toBe(401);
      expect(page.body).toContain('nothing was removed');
      expect(page.body).not.toContain('Too many');
    }
  });
});
