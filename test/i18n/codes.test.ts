// Codes in the user's language over real peers: a login with ui_locales=de gets its email codes
// in German from the real SMTP test server (mail parsed with mailparser), an SMS login with
// ui_locales=fr gets a French text through the signed webhook, and the OTP API's `locale`
// picks the catalogue of the email it sends.
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { requiredApp, testDelivery } from '../helpers/delivery-config.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { addUser, RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { password, rp } from '../mfa/helpers.ts';

const SMS_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const SVC_SECRET = 'svc-secret-0123456789abcdef';

let redis: Awaited<ReturnType<typeof startRedis>>;
let smtp: TestSmtpServer;
let sms: WebhookReceiver;
let tg: RunningTollgate;

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtp();
  sms = await startWebhookReceiver(SMS_SECRET, [200, 200, 200]);
  tg = await startTollgate({
    redisUrl: redis.url,
    overrides: {
      delivery: testDelivery({ smtpPort: smtp.port, sms: { url: sms.url, secret: SMS_SECRET } }),
      otp: { hmac_key: randomBytes(32).toString('base64') },
      mfa: {
        factors: ['recovery', 'email', 'sms'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
      clients: [
        requiredApp('mail-app', ['email']),
        requiredApp('sms-app', ['sms']),
        { client_id: 'svc', client_secret: SVC_SECRET, grant_types: ['client_credentials'], otp_api: true },
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

const codeFromMail = (mail: ParsedMail) => /\b(\d{6})\b/.exec(mail.text ?? '')?.[1] as string;

describe('codes in the language of the flow', () => {
  it('an email code in German over real SMTP, for a login with ui_locales=de', async () => {
    await addUser(tg, 'greta', 'a long enough password', { email: 'greta@example.test' });
    const browser = new Browser();
    const { page: enrol } = await password(browser, await rp(tg, 'mail-app'), 'greta', {
      extra: { ui_locales: 'de' },
    });
    expect(enrol.body).toContain('<html lang="de">');
    expect(enrol.body).toContain('E-Mail-Adresse hinzufügen');
    const confirm = await browser.submit(enrol, { address: 'greta@example.test' }, RP_CALLBACK);
    expect(confirm.body).toContain('Geben Sie den gesendeten Code ein');
    expect(confirm.body).toContain('Wir haben einen Code an <strong>g***@example.test</strong> gesendet.');

    const mail = await smtp.waitForMessage();
    expect(mail.subject).toBe('Bestätigen Sie diese Adresse für mail-app');
    expect(mail.text).toContain('Bestätigen Sie diese Adresse');
    expect(mail.text).toMatch(/Dieser Code läuft in \d+ Minuten ab\. Geben Sie ihn nicht weiter: mail-app/);
    expect(mail.text).toContain('Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail.');
    expect(mail.text).not.toMatch(/This code|expires|Do not share/);
    expect(mail.html || '').toContain('<html lang="de">');
    expect(mail.html || '').toMatch(/Dieser Code läuft in <strong>\d+ Minuten<\/strong> ab\./);

    const codes = await browser.submit(confirm, { code: codeFromMail(mail) }, RP_CALLBACK);
    expect(codes.body).toContain('Speichern Sie Ihre Wiederherstellungscodes');
  });

  it('an SMS code in French through the signed webhook, for a login with ui_locales=fr', async () => {
    await addUser(tg, 'fleur', 'a long enough password');
    const browser = new Browser();
    const { page: enrol } = await password(browser, await rp(tg, 'sms-app'), 'fleur', {
      extra: { ui_locales: 'fr-CA fr' },
    });
    expect(enrol.body).toContain('<html lang="fr">');
    const before = sms.requests.length;
    const confirm = await browser.submit(enrol, { address: '+15551234567' }, RP_CALLBACK);
    expect(confirm.body).toContain('Saisissez le code envoyé');
    const request = sms.requests[before];
    expect(request?.verified).toBe(true);
    const body = JSON.parse(request?.body ?? '{}') as Record<string, string>;
    expect(body.locale).toBe('fr');
    expect(body.message).toMatch(/^\d{6} est votre code sms-app\. Il expire dans \d+ minutes?\.$/);
  });

  it("the OTP API's locale picks the email's catalogue (Spanish), and an unknown one falls back to the default", async () => {
    const issue = (locale: string) =>
      fetch(`${tg.url}/api/otp`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`svc:${SVC_SECRET}`).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ to: 'ana@example.test', channel: 'email', locale }),
      });
    expect((await issue('es-MX')).status).toBe(201);
    const spanish = await smtp.waitForMessage();
    expect(spanish.subject).toMatch(/^Tu código de verificación para /);
    expect(spanish.text).toMatch(/Este código caduca en \d+ minutos?\./);
    expect(spanish.html || '').toContain('<html lang="es">');

    expect((await issue('ja')).status).toBe(201);
    const fallback = await smtp.waitForMessage();
    expect(fallback.subject).toMatch(/^Your verification code for /);
  });
});
