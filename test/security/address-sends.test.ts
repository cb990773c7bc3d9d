// Codes by SMS are capped per destination (5 an hour) and per account (10 an hour): past the
// cap the enrolment page says so and nothing more reaches the gateway.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { authorize, rp } from '../mfa/helpers.ts';

const PASSWORD = 'a long enough password';
const SMS_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const LIMITED = 'Too many codes were sent. Try again later.';

let sms: WebhookReceiver;
let tg: RunningTollgate;

beforeAll(async () => {
  sms = await startWebhookReceiver(SMS_SECRET, [200]);
  tg = await startTollgate({
    overrides: {
      delivery: { sms: { webhook: { url: sms.url, secret: SMS_SECRET, timeout_ms: 2000, max_retries: 0 } } },
      otp: { hmac_key: randomBytes(32).toString('base64') },
      mfa: { factors: ['sms'], encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }] },
      clients: [
        {
          client_id: 'sms-app',
          client_secret: APP_SECRET,
          redirect_uris: [RP_CALLBACK],
          first_party: true,
          mfa: { policy: 'required', factors: ['sms'] },
        },
      ],
    },
  });
});

afterAll(async () => {
  await tg?.stop();
  await sms?.stop();
});

describe('email/SMS send limits', () => {
  it('stops sending to one number after 5 codes, and to one account after 10', async () => {
    await addUser(tg, 'sally', PASSWORD);
    const browser = new Browser();
    const { page } = await authorize(browser, await rp(tg, 'sms-app'));
    const enrol = await browser.submit(page, { username: 'sally', password: PASSWORD }, RP_CALLBACK);
    expect(enrol.body).toContain('name="address"');

    const send = (address: string) => browser.submit(enrol, { address }, RP_CALLBACK);
    for (let i = 1; i <= 5; i++) {
      const confirm = await send('+15550000001');
      expect(confirm.body).not.toContain(LIMITED);
      expect(confirm.body).toContain('name="code"');
      expect(sms.requests).toHaveLength(i);
    }
    const refused = await send('+15550000001');
    expect(refused.body).toContain(LIMITED);
    expect(refused.body).toContain('name="address"');
    // The user's to wait out: 429, not the 503 of a channel that failed (fuzz seed 1633284393,
    // POST /account/enrol/sms past the limit).
    expect(refused.status).toBe(429);
    expect(sms.requests).toHaveLength(5);

    // Another number still gets codes, until the account's cap of 10 (the refused send above
    // counted for the account too).
    for (let i = 0; i < 4; i++) expect((await send('+15550000002')).body).not.toContain(LIMITED);
    expect(sms.requests).toHaveLength(9);
    const capped = await send('+15550000003');
    expect(capped.body).toContain(LIMITED);

    // Nothing reached the gateway for the refused sends: a code another user asks for after
    // them is the very next request it gets.
    await addUser(tg, 'marker', PASSWORD);
    const other = new Browser();
    const start = await authorize(other, await rp(tg, 'sms-app'));
    const markerPage = await other.submit(
      start.page,
      { username: 'marker', password: PASSWORD },
      RP_CALLBACK,
    );
    expect((await other.submit(markerPage, { address: '+15550000009' }, RP_CALLBACK)).body).toContain(
      'name="code"',
    );
    const to = sms.requests.map((r) => (JSON.parse(r.body) as { to: string }).to);
    expect(to).toEqual([...Array(5).fill('+15550000001'), ...Array(4).fill('+15550000002'), '+15550000009']);
  });
});
