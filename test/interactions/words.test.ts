// Words that read right (issue #16.3): the account page's own client reads as the service
// (never "Your account will send a code"), set-up and removal messages agree in number, an
// invalid address is not called a wrong code, and every "valid for N minutes" comes from
// otp.ttl (here 300 s), on pages, in emails and in text messages.
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.ts';
import { requiredApp, testDelivery } from '../helpers/delivery-config.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { addUser, RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { Authenticator } from '../helpers/totp.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { keyFromPage, PASSWORD, password, recoveryCodesFromPage, rp } from '../mfa/helpers.ts';

const SMS_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
/** mfa.totp.issuer: the name authenticator apps show, and the account page's client goes by. */
const SERVICE = 'Acme ID';

let redis: Awaited<ReturnType<typeof startRedis>>;
let smtp: TestSmtpServer;
let sms: WebhookReceiver;
let tg: RunningTollgate;

/** The apps the words are read in: their name is in the sentences. */
const app = (id: string, factors: string[]) => requiredApp(id, factors, { client_name: 'Test App' });

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtp();
  sms = await startWebhookReceiver(SMS_SECRET);
  tg = await startTollgate({
    redisUrl: redis.url,
    overrides: {
      delivery: testDelivery({ smtpPort: smtp.port, sms: { url: sms.url, secret: SMS_SECRET } }),
      otp: { hmac_key: randomBytes(32).toString('base64'), ttl: 300 },
      mfa: {
        factors: ['totp', 'recovery', 'email', 'sms'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
        totp: { issuer: SERVICE },
      },
      clients: [app('mail-app', ['email']), app('sms-app', ['sms']), app('totp-app', ['totp'])],
    },
  });
});

afterAll(async () => {
  await tg?.stop();
  await sms?.stop();
  await smtp?.stop();
  await redis?.stop();
});

/** The page's text, tags and styles dropped, whitespace folded. */
const text = (page: Page) =>
  page.body
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
const codeIn = (s: string | undefined) => /\b(\d{6})\b/.exec(s ?? '')?.[1] as string;
const mailText = (mail: ParsedMail) => `${mail.subject} ${mail.text} ${mail.html || ''}`;

/** Submits the form of `page` whose action ends with `suffix`. */
function submitTo(browser: Browser, page: Page, suffix: string, fields: Record<string, string>) {
  const actions = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1] as string);
  const index = actions.findIndex((a) => a.endsWith(suffix));
  if (index < 0) throw new Error(`no form posting to ${suffix}:\n${page.body.slice(0, 600)}`);
  return browser.submit(page, fields, RP_CALLBACK, index);
}

async function accountPage(username: string, extra: { email?: string } = {}) {
  await addUser(tg, username, PASSWORD, extra);
  const browser = new Browser();
  const login = await browser.get(`${tg.url}/account`);
  return { browser, login, home: await browser.submit(login, { username, password: PASSWORD }) };
}

describe("the account page's own client", () => {
  it('reads as the service in sentences, pages and emails, never as "Your account"', async () => {
    const { browser, login, home } = await accountPage('ada', { email: 'ada@example.test' });
    expect(text(login)).toContain(`Sign in to ${SERVICE}`);
    expect(login.body).not.toContain('Your account');

    const enrol = await submitTo(browser, home, '/account/enrol/email/start', {});
    expect(text(enrol)).toContain(`${SERVICE} will send a code to this email address when you sign in.`);
    expect(enrol.body).not.toContain('Your account');
    const confirm = await browser.submit(enrol, { address: 'ada@example.test' });
    const mail = await smtp.waitForMessage();
    expect(mail.subject).toBe(`Confirm this address for ${SERVICE}`);
    expect(mailText(mail)).not.toContain('Your account');
    expect(mail.text).toContain(`Do not share it: ${SERVICE} will never ask you for it.`);
    expect(mail.text?.trimEnd().endsWith(SERVICE)).toBe(true);
    expect(text(confirm)).toContain('It is valid for 5 minutes.');
  });
});

describe('set-up and removal messages', () => {
  it('agree with what was set up or removed', async () => {
    const { browser, home } = await accountPage('bea');
    const enrol = await submitTo(browser, home, '/account/enrol/totp/start', {});
    const authenticator = new Authenticator(keyFromPage(enrol));
    const codes = await browser.submit(enrol, { code: await authenticator.code() });
    const added = await browser.submit(codes, { confirm: '1' });
    expect(text(added)).toContain('Authenticator app is set up, and your recovery codes are saved.');

    const renewed = await submitTo(browser, added, '/account/enrol/recovery/start', {});
    expect(recoveryCodesFromPage(renewed)).toHaveLength(10);
    const saved = await browser.submit(renewed, { confirm: '1' });
    expect(text(saved)).toContain('Your new recovery codes are saved. The ones before no longer work.');
    expect(saved.body).not.toContain('Recovery code is set up');

    const idOf = (page: Page, label: string) => {
      const item = page.body.split('<li>').find((li) => li.includes(`<strong>${label}</strong>`)) ?? '';
      return /action="\/account\/factors\/([^/]+)\/remove"/.exec(item)?.[1] as string;
    };
    /** Removes the credential labelled `label`, confirmed with a fresh authenticator code. */
    const remove = async (page: Page, label: string) =>
      submitTo(browser, page, `/account/factors/${idOf(page, label)}/remove`, {
        verify_with: 'totp',
        code: await authenticator.code(),
      });
    const codesGone = await remove(saved, 'Recovery codes');
    expect(codesGone.status).toBe(200);
    expect(text(codesGone)).toContain('Your recovery codes were removed.');
    expect(codesGone.body).not.toContain('Recovery codes was removed');

    // New codes again, then the authenticator app: the codes go with it, and the message says so.
    const again = await browser.submit(
      await submitTo(browser, codesGone, '/account/enrol/recovery/start', {}),
      { confirm: '1' },
    );
    const gone = await remove(again, 'Authenticator app');
    expect(gone.status).toBe(200);
    expect(text(gone)).toContain('Authenticator app was removed, and so were your recovery codes.');
  });
});

describe('an invalid address', () => {
  it('is called an invalid address, never a wrong code, at login and on the account page', async () => {
    await addUser(tg, 'cleo', PASSWORD);
    const login = new Browser();
    const { page: enrol } = await password(login, await rp(tg, 'mail-app'), 'cleo');
    const refused = await login.submit(enrol, { address: 'not-an-email' }, RP_CALLBACK);
    expect(refused.status).toBe(400);
    expect(text(refused)).toContain('Enter a valid email address, such as name@example.com.');
    expect(refused.body).not.toMatch(/code is not correct|Enter the code/);
    // Left empty (a browser without form validation) after a code went out: it is still the
    // address that is wrong. Regression: this was read as the code step, "That code is not correct".
    await login.submit(enrol, { address: 'cleo@example.test' }, RP_CALLBACK);
    await smtp.waitForMessage();
    const empty = await login.submit(await login.get(enrol.url, RP_CALLBACK), { address: '' }, RP_CALLBACK);
    expect(empty.status).toBe(400);
    expect(text(empty)).toContain('Enter a valid email address');
    expect(empty.body).not.toMatch(/code is not correct|Enter the code/);

    const { browser, home } = await accountPage('dina');
    const start = await submitTo(browser, home, '/account/enrol/sms/start', {});
    const bad = await browser.submit(start, { address: '555-1234' });
    expect(bad.status).toBe(400);
    expect(text(bad)).toContain('Enter a valid mobile number with its country code, such as +15551234567.');
    expect(bad.body).not.toMatch(/code is not correct|Enter the code/);
  });
});

describe('how long a code is valid', () => {
  it('comes from otp.ttl on the pages, in the email and in the text message', async () => {
    await addUser(tg, 'edda', PASSWORD, { email: 'edda@example.test' });
    const mailApp = await rp(tg, 'mail-app');
    const first = new Browser();
    const { page: enrol } = await password(first, mailApp, 'edda');
    const confirm = await first.submit(enrol, { address: 'edda@example.test' }, RP_CALLBACK);
    expect(text(confirm)).toContain('It is valid for 5 minutes.');
    const enrolMail = await smtp.waitForMessage();
    expect(enrolMail.text).toContain('This code expires in 5 minutes.');
    const codes = await first.submit(confirm, { code: codeIn(enrolMail.text) }, RP_CALLBACK);
    await first.submit(codes, { confirm: '1' }, RP_CALLBACK);

    const second = new Browser();
    const { page: challenge } = await password(second, mailApp, 'edda');
    expect(text(challenge)).toContain('It is valid for 5 minutes.');
    expect((await smtp.waitForMessage()).text).toContain('This code expires in 5 minutes.');
    // A reload does not send another code, and still says how long the one sent is valid.
    expect(text(await second.get(challenge.url, RP_CALLBACK))).toMatch(/It is valid for [45] minutes\./);

    await addUser(tg, 'fern', PASSWORD);
    const texted = new Browser();
    const { page: smsEnrol } = await password(texted, await rp(tg, 'sms-app'), 'fern');
    const smsConfirm = await texted.submit(smsEnrol, { address: '+15550001111' }, RP_CALLBACK);
    expect(text(smsConfirm)).toContain('It is valid for 5 minutes.');
    const body = JSON.parse(sms.requests.at(-1)?.body ?? '{}') as { message?: string };
    expect(body.message).toMatch(/It expires in 5 minutes\.$/);

    for (const page of [confirm, challenge, smsConfirm]) expect(page.body).not.toContain('10 minutes');
  });
});

describe('the authenticator app', () => {
  it('is asked for the code it shows under the issuer name, not the client name', async () => {
    await addUser(tg, 'gus', PASSWORD);
    const totpApp = await rp(tg, 'totp-app');
    const first = new Browser();
    const { page: enrol } = await password(first, totpApp, 'gus');
    const authenticator = new Authenticator(keyFromPage(enrol));
    const codes = await first.submit(enrol, { code: await authenticator.code() }, RP_CALLBACK);
    await first.submit(codes, { confirm: '1' }, RP_CALLBACK);
    const { page } = await password(new Browser(), totpApp, 'gus');
    expect(text(page)).toContain(`enter the 6-digit code it shows for ${SERVICE}.`);
  });
});
