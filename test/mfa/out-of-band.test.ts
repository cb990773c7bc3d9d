// Email and SMS codes with real peers: a real SMTP server receives the mail (parsed with
// mailparser), an HTTP receiver verifies every webhook with the independent `standardwebhooks`
// package, and the OTP API is called over HTTP like curl would, all against tollgate on Redis.
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.ts';
import { requiredApp, testDelivery } from '../helpers/delivery-config.ts';
import { freePort, startRedis } from '../helpers/redis-server.ts';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { addUser, RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { exchange, PASSWORD, password, recoveryCodesFromPage, rp } from './helpers.ts';

const SMS_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const SVC_SECRET = 'svc-secret-0123456789abcdef';

let redis: Awaited<ReturnType<typeof startRedis>>;
let smtp: TestSmtpServer;
let sms: WebhookReceiver;
let tg: RunningTollgate;

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtp();
  // The SMS gateway fails once with 503, then accepts: tollgate must retry with the same id.
  sms = await startWebhookReceiver(SMS_SECRET, [503, 200]);
  tg = await startTollgate({
    redisUrl: redis.url,
    overrides: {
      delivery: testDelivery({
        smtpPort: smtp.port,
        sms: { url: sms.url, secret: SMS_SECRET },
        smsRetries: 2,
      }),
      otp: { hmac_key: randomBytes(32).toString('base64'), resend_cooldown: 30 },
      mfa: {
        factors: ['totp', 'recovery', 'email', 'sms'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
      clients: [
        requiredApp('mail-app', { policy: 'required', factors: ['email'] }),
        requiredApp('sms-app', { policy: 'required', factors: ['sms'] }),
        requiredApp('strict-app', { policy: 'required', allow_restricted: false }),
        { client_id: 'svc', client_secret: SVC_SECRET, grant_types: ['client_credentials'], otp_api: true },
        { client_id: 'svc2', client_secret: SVC_SECRET, grant_types: ['client_credentials'], otp_api: true },
        { client_id: 'nosvc', client_secret: SVC_SECRET, grant_types: ['client_credentials'] },
      ],
    },
  });
});

afterAll(async () => {
  await tg?.stop();
  await sms?.stop();
  await smtp?.stop();
  await redis?.stop();
});

const codeIn = (text: string | undefined) => /\b(\d{6})\b/.exec(text ?? '')?.[1] as string;
const codeFromMail = (mail: ParsedMail) => codeIn(mail.text);

async function saveRecoveryCodes(browser: Browser, page: Page) {
  expect(recoveryCodesFromPage(page)).toHaveLength(10);
  return browser.submit(page, { confirm: '1' }, RP_CALLBACK);
}

describe('email code factor over real SMTP', () => {
  it('verifies the address, then signs in with a mailed code; resends are rate limited', async () => {
    await addUser(tg, 'olga', PASSWORD, { email: 'olga@example.test' });
    expect((await tg.tollgate.store.accounts.findByUsername('olga'))?.email_verified).toBeUndefined();
    const mailApp = await rp(tg, 'mail-app');
    const browser = new Browser();
    const { page: enrol, verifier } = await password(browser, mailApp, 'olga');
    expect(enrol.body).toContain('value="olga@example.test"');

    const confirm = await browser.submit(enrol, { address: 'olga@example.test' }, RP_CALLBACK);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('o***@example.test');
    const mail = await smtp.waitForMessage();
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain('olga@example.test');
    expect(mail.subject).toContain('mail-app');
    expect(mail.subject).not.toContain(codeFromMail(mail));
    expect(mail.html || '').toContain(codeFromMail(mail));

    const done = await saveRecoveryCodes(
      browser,
      await browser.submit(confirm, { code: codeFromMail(mail) }, RP_CALLBACK),
    );
    expect((await exchange(mailApp, done, verifier)).claims).toMatchObject({
      acr: 'urn:tollgate:acr:2fa',
      amr: ['pwd', 'email', 'mfa'],
    });
    // The code proved her own address: it is verified now (the email_verified claim).
    expect((await tg.tollgate.store.accounts.findByUsername('olga'))?.email_verified).toBe(true);

    // Next sign-in: the challenge page mails a code by itself; a reload does not mail another.
    const second = new Browser();
    const { page: challenge, verifier: v2 } = await password(second, mailApp, 'olga');
    expect(challenge.body).toContain('o***@example.test');
    const loginMail = await smtp.waitForMessage();
    const reloaded = await second.get(challenge.url);
    expect(reloaded.status).toBe(200);
    // Had the reload mailed a code, it would come before a marker mailed after it.
    const marker = await fetch(`${tg.url}/api/otp`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`svc:${SVC_SECRET}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ to: 'marker@example.test', channel: 'email' }),
    });
    expect(marker.status).toBe(201);
    const next = await smtp.waitForMessage();
    expect(next.to && 'text' in next.to ? next.to.text : '').toContain('marker@example.test');

    // Asking for another code at once hits the cooldown; the first code still works.
    const resendForm = /action="([^"]*\/resend)"/.exec(reloaded.body)?.[1] as string;
    const csrf = /name="csrf" value="([^"]+)"/.exec(reloaded.body)?.[1] as string;
    const resend = await second.request(new URL(resendForm, tg.url).href, { form: { csrf } });
    expect(resend.body).toMatch(/Wait \d+ seconds/);
    const ok = await second.submit(resend, { code: codeFromMail(loginMail) }, RP_CALLBACK);
    expect((await exchange(mailApp, ok, v2)).claims.amr).toEqual(['pwd', 'email', 'mfa']);
  });

  it('tells the user when the mail server is down, and the failed send costs no attempt', async () => {
    // A second tollgate whose SMTP server is a closed port.
    const closed = await freePort();
    const down = await startTollgate({
      overrides: {
        delivery: {
          email: {
            smtp: {
              host: '127.0.0.1',
              port: closed,
              security: 'none',
              from: 'x <x@example.test>',
              timeout_ms: 1000,
            },
          },
        },
        otp: { hmac_key: randomBytes(32).toString('base64') },
        mfa: { factors: ['email'], encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }] },
        clients: [requiredApp('mail-app', 'required')],
      },
    });
    try {
      const account = await addUser(down, 'piet', PASSWORD, { email: 'piet@example.test' });
      await down.tollgate.mfa.credentials.create({
        account_id: account.id,
        factor: 'email',
        data: { address: 'piet@example.test' },
      });
      const browser = new Browser();
      const { page } = await password(browser, await rp(down, 'mail-app'), 'piet');
      expect(page.status).toBe(200);
      expect(page.body).toContain('We could not send the code');
      const wrong = await browser.submit(page, { code: '000000' }, RP_CALLBACK);
      // No code went out, so a typed one is not a wrong guess (issue 12.5): no attempt is spent.
      expect(wrong.body).not.toContain('attempts left');
      expect(wrong.body).toContain('We could not send the code');
    } finally {
      await down.stop();
    }
  });
});

describe('SMS code factor over a signed webhook', () => {
  it('retries a 503 with the same webhook-id, every request verifies, and the texted code signs in', async () => {
    await addUser(tg, 'quin', PASSWORD);
    const smsApp = await rp(tg, 'sms-app');
    const browser = new Browser();
    const { page: enrol, verifier } = await password(browser, smsApp, 'quin');
    const confirm = await browser.submit(enrol, { address: '+15551234567' }, RP_CALLBACK);
    expect(confirm.body).toContain('+1******4567');

    expect(sms.requests).toHaveLength(2);
    expect(sms.requests.every((r) => r.verified)).toBe(true);
    const [first, second] = sms.requests;
    expect(first?.headers['webhook-id']).toBe(second?.headers['webhook-id']);
    expect(first?.headers['webhook-signature']).toMatch(/^v1,/);
    const body = JSON.parse(second?.body ?? '{}') as Record<string, string>;
    expect(body).toMatchObject({
      channel: 'sms',
      to: '+15551234567',
      purpose: 'enrolment',
      client: 'sms-app',
    });
    expect(body.message).toContain(body.code);
    expect(new Date(body.expires_at as string).getTime()).toBeGreaterThan(Date.now());

    const done = await saveRecoveryCodes(
      browser,
      await browser.submit(confirm, { code: body.code as string }, RP_CALLBACK),
    );
    expect((await exchange(smsApp, done, verifier)).claims.amr).toEqual(['pwd', 'sms', 'mfa']);
    // The number proved is not one the account has: its profile is left as it was.
    const quin = await tg.tollgate.store.accounts.findByUsername('quin');
    expect(quin?.phone).toBeUndefined();
    expect(quin?.phone_verified).toBeUndefined();
  });

  it('keeps email and SMS away from a client that forbids restricted factors', async () => {
    await addUser(tg, 'rosa', PASSWORD, { email: 'rosa@example.test' });
    const account = await tg.tollgate.store.accounts.findByUsername('rosa');
    await tg.tollgate.mfa.credentials.create({
      account_id: account?.id as string,
      factor: 'email',
      data: { address: 'rosa@example.test' },
    });
    const strict = await rp(tg, 'strict-app');
    const { page } = await password(new Browser(), strict, 'rosa');
    // Her email factor does not count here, and a password alone adds no factor: she is sent
    // to her account page (which accepts the email code) to set up an authenticator app.
    expect(page.body).toContain('Authenticator app');
    expect(page.body).toContain('href="/account"');
    expect(page.body).not.toContain('totp-key');
    expect(page.body).not.toContain('name="code"');
  });
});

describe('OTP API for trusted services', () => {
  const basic = (id: string, secret = SVC_SECRET) =>
    `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const call = (method: string, path: string, auth: string, body?: unknown) =>
    fetch(`${tg.url}${path}`, {
      method,
      headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('issues a code by email, verifies it, and keeps each client to its own OTPs', async () => {
    const issued = await call('POST', '/api/otp', basic('svc'), {
      to: 'sam@example.test',
      channel: 'email',
      external_id: 'order-7',
    });
    expect(issued.status).toBe(201);
    const otp = (await issued.json()) as { id: string; status: string; to: string; expires_at: string };
    expect(otp).toMatchObject({ status: 'pending', to: 's***@example.test' });
    const mail = await smtp.waitForMessage();
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain('sam@example.test');

    const wrong = await call('POST', `/api/otp/${otp.id}/verify`, basic('svc'), {
      code: codeFromMail(mail) === '000000' ? '111111' : '000000',
    });
    expect(await wrong.json()).toMatchObject({ status: 'pending', attempts_left: 4 });

    // Another client cannot see, verify or cancel it: the same 404 as for a missing id.
    const missing = await (await call('GET', '/api/otp/AAAAAAAAAAAAAAAAAAAAAA', basic('svc2'))).json();
    for (const [method, path, body] of [
      ['GET', `/api/otp/${otp.id}`, undefined],
      ['POST', `/api/otp/${otp.id}/verify`, { code: codeFromMail(mail) }],
      ['DELETE', `/api/otp/${otp.id}`, undefined],
    ] as const) {
      const foreign = await call(method, path, basic('svc2'), body);
      expect(foreign.status).toBe(404);
      expect(await foreign.json()).toEqual(missing);
    }

    const right = await call('POST', `/api/otp/${otp.id}/verify`, basic('svc'), { code: codeFromMail(mail) });
    expect(await right.json()).toMatchObject({ id: otp.id, status: 'approved' });
    expect(await (await call('GET', `/api/otp/${otp.id}`, basic('svc'))).json()).toMatchObject({
      status: 'approved',
      external_id: 'order-7',
    });
  });

  it('refuses bad credentials and clients without the permission, and serves its OpenAPI document', async () => {
    const wrong = await call('POST', '/api/otp', basic('svc', 'not-the-secret-at-all'), {
      to: 'x@example.test',
      channel: 'email',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('Basic');
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const forbidden = await call('POST', '/api/otp', basic('nosvc'), {
      to: 'x@example.test',
      channel: 'email',
    });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: 'insufficient_permission' });
    const doc = (await (await fetch(`${tg.url}/api/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/otp', '/api/otp/{id}', '/api/otp/{id}/verify']),
    );
  });
});
