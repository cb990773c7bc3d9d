import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { CodeMessage } from '../../src/delivery/types.ts';
import {
  createWebhookDelivery,
  signWebhook,
  type WebhookConfig,
  type WebhookDeliveryOptions,
} from '../../src/delivery/webhook.ts';
import { createLogger } from '../../src/log.ts';
import {
  type ScriptedReply,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../helpers/webhook-receiver.ts';

const CODE = '715302';
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

function capture() {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

let logs = capture();
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
  // pino adds time/pid/hostname, whose digits could contain any 6-digit string by chance.
  for (const line of logs.lines) {
    const { time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
    expect(JSON.stringify(rest)).not.toContain(CODE);
    expect(JSON.stringify(rest)).not.toContain('5551234567');
  }
  logs = capture();
});

async function receiver(script: ScriptedReply[]) {
  const r = await startWebhookReceiver(SECRET, script);
  receivers.push(r);
  return r;
}

function message(overrides: Partial<CodeMessage> = {}): CodeMessage {
  return {
    channel: 'sms',
    to: '+15551234567',
    code: CODE,
    purpose: 'login',
    appName: 'Test App',
    clientId: 'app',
    locale: 'en',
    expiresAt: new Date(Date.now() + 600_000),
    reference: 'otp_ref1',
    ...overrides,
  };
}

function config(url: string, extra: Partial<WebhookConfig> = {}): WebhookConfig {
  return { url, secret: SECRET, timeout_ms: 2000, max_retries: 3, ...extra };
}

/** No real waiting between attempts; records the waits asked for. */
function fast(sleeps: number[] = []): WebhookDeliveryOptions {
  return {
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 1,
  };
}

describe('webhook delivery', () => {
  it('posts the code as JSON signed per Standard Webhooks, verified by an independent library', async () => {
    const r = await receiver([200]);
    const result = await createWebhookDelivery(config(r.url), logs.logger, fast()).send(message());
    expect(result).toMatchObject({ ok: true, attempts: 1 });
    expect(r.requests).toHaveLength(1);

    const [req] = r.requests;
    if (!req) throw new Error('no request');
    expect(req.verified).toBe(true);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(result.ok && result.id).toBe(req.headers['webhook-id']);
    expect(Math.abs(Number(req.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    expect(req.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    const body = JSON.parse(req.body);
    expect(body).toMatchObject({
      type: 'otp.code',
      channel: 'sms',
      to: '+15551234567',
      message: `${CODE} is your Test App code. It expires in 10 minutes.`,
      code: CODE,
      locale: 'en',
      purpose: 'login',
      client: 'app',
      reference: 'otp_ref1',
    });
    expect(new Date(body.expires_at).getTime()).toBeGreaterThan(Date.now());

    // The independent verifier must also say no to anything we did not sign.
    const verifier = new Webhook(SECRET);
    expect(() => verifier.verify(req.body, req.headers)).not.toThrow();
    expect(() => verifier.verify(req.body.replace(CODE, '000000'), req.headers)).toThrow();
    const ts = String(Number(req.headers['webhook-timestamp']) + 1);
    expect(() => verifier.verify(req.body, { ...req.headers, 'webhook-timestamp': ts })).toThrow();
    expect(() => verifier.verify(req.body, { ...req.headers, 'webhook-id': 'msg_other' })).toThrow();
  });

  it('signs the Standard Webhooks reference vector', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const body = '{"test": 2432232314}';
    expect(signWebhook(secret, id, 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(signWebhook(secret, id, 1614265330, body)).toBe(
      new Webhook(secret).sign(id, new Date(1614265330 * 1000), body),
    );
  });

  it('retries a 503 with the same webhook-id and succeeds on the second attempt', async () => {
    const r = await receiver([503, 200]);
    const sleeps: number[] = [];
    const result = await createWebhookDelivery(config(r.url), logs.logger, fast(sleeps)).send(message());
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(r.requests).toHaveLength(2);
    const [first, second] = r.requests;
    expect(first?.headers['webhook-id']).toBe(second?.headers['webhook-id']);
    expect(first?.verified && second?.verified).toBe(true);
    expect(first?.body).toBe(second?.body);
    expect(sleeps).toEqual([250]);
  });

  it('retries a 429 and honours a numeric Retry-After up to the cap', async () => {
    const r = await receiver([
      { status: 429, headers: { 'retry-after': '2' } },
      { status: 429, headers: { 'retry-after': '60' } },
      200,
    ]);
    const sleeps: number[] = [];
    const result = await createWebhookDelivery(config(r.url), logs.logger, fast(sleeps)).send(message());
    expect(result).toMatchObject({ ok: true, attempts: 3 });
    expect(sleeps).toEqual([2000, 5000]);
  });

  it('backs off exponentially with full jitter', async () => {
    const r = await receiver([503]);
    const sleeps: number[] = [];
    const options = { ...fast(sleeps), random: () => 0.5 };
    const result = await createWebhookDelivery(config(r.url, { max_retries: 6 }), logs.logger, options).send(
      message(),
    );
    expect(result).toEqual({ ok: false, error: 'unreachable', attempts: 7 });
    expect(sleeps).toEqual([125, 250, 500, 1000, 2000, 2500]);
  });

  it('does not retry a 400', async () => {
    const r = await receiver([400, 200]);
    const result = await createWebhookDelivery(config(r.url), logs.logger, fast()).send(message());
    expect(result).toEqual({ ok: false, error: 'rejected', attempts: 1 });
    expect(r.requests).toHaveLength(1);
  });

  it('does not follow a redirect with the signed body', async () => {
    const r = await receiver([{ status: 307, headers: { location: 'http://127.0.0.1:9/elsewhere' } }]);
    const result = await createWebhookDelivery(config(r.url), logs.logger, fast()).send(message());
    expect(result).toEqual({ ok: false, error: 'rejected', attempts: 1 });
  });

  it('times out a receiver that never answers, once per attempt', async () => {
    const r = await receiver(['hang']);
    const started = Date.now();
    const delivery = createWebhookDelivery(
      config(r.url, { timeout_ms: 200, max_retries: 1 }),
      logs.logger,
      fast(),
    );
    const result = await delivery.send(message());
    expect(result).toEqual({ ok: false, error: 'timeout', attempts: 2 });
    expect(r.requests).toHaveLength(2);
    // Each attempt waited its whole timeout (a lower bound: a slow machine only adds to it; a
    // timeout that never fired would hang until the test's own timeout).
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 200 - 5);
  });

  it('retries a refused connection and reports unreachable', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const delivery = createWebhookDelivery(
      config(`http://127.0.0.1:${port}/hook`, { max_retries: 1 }),
      logs.logger,
      fast(),
    );
    expect(await delivery.send(message())).toEqual({ ok: false, error: 'unreachable', attempts: 2 });
  });

  it('stops retrying when the code expires, and sends nothing after expiry', async () => {
    const r = await receiver([503]);
    // The delivery's clock moves only by the waits it asks for: the machine's speed plays no part.
    let clock = Date.now();
    const sentAt: number[] = [];
    const sleeps: number[] = [];
    const options: WebhookDeliveryOptions = {
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      random: () => 0.5,
      fetch: (url, init) => {
        sentAt.push(clock);
        return fetch(url, init);
      },
    };
    const expiresAt = new Date(clock + 300);
    const delivery = createWebhookDelivery(config(r.url, { max_retries: 10 }), logs.logger, options);
    const result = await delivery.send(message({ expiresAt }));
    // Attempt 1 at 0, wait 125 ms, attempt 2 at 125; the next wait (250 ms) would end past 300.
    expect(result).toEqual({ ok: false, error: 'expired', attempts: 2 });
    expect(sleeps).toEqual([125]);
    for (const at of sentAt) expect(at).toBeLessThan(expiresAt.getTime());
    // Nothing is sent later either: a marker sent after it is the only request that follows.
    const marker = await createWebhookDelivery(config(r.url, { max_retries: 0 }), logs.logger, fast()).send(
      message({ reference: 'otp_marker' }),
    );
    expect(marker).toMatchObject({ ok: false, attempts: 1 });
    expect(r.requests.map((req) => JSON.parse(req.body).reference)).toEqual([
      'otp_ref1',
      'otp_ref1',
      'otp_marker',
    ]);
    expect(sentAt).toHaveLength(2);
  });

  it('cuts a hanging attempt off at expiry', async () => {
    const r = await receiver(['hang']);
    const started = Date.now();
    const delivery = createWebhookDelivery(config(r.url, { timeout_ms: 5000 }), logs.logger, fast());
    const result = await delivery.send(message({ expiresAt: new Date(Date.now() + 300) }));
    expect(result).toEqual({ ok: false, error: 'expired', attempts: 1 });
    // Well below the 5 s timeout, with room for a loaded machine: it ended at expiry.
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('sends nothing for a code that has already expired', async () => {
    const r = await receiver([200]);
    const delivery = createWebhookDelivery(config(r.url), logs.logger, fast());
    const result = await delivery.send(message({ expiresAt: new Date(Date.now() - 1) }));
    expect(result).toEqual({ ok: false, error: 'expired', attempts: 0 });
    expect(r.requests).toHaveLength(0);
  });

  it('gives each send its own webhook-id, and adds a subject for email', async () => {
    const r = await receiver([200]);
    const delivery = createWebhookDelivery(config(r.url), logs.logger, fast());
    await delivery.send(message({ channel: 'email', to: 'alice@example.com' }));
    await delivery.send(message({ channel: 'email', to: 'alice@example.com' }));
    expect(r.requests[0]?.headers['webhook-id']).not.toBe(r.requests[1]?.headers['webhook-id']);
    expect(JSON.parse(r.requests[0]?.body ?? '{}').subject).toBe('Your sign-in code for Test App');
    const attempt = logs.lines.map((l) => JSON.parse(l)).find((l) => l.event === 'delivery.sent');
    expect(attempt).toMatchObject({ to: 'a***@example.com', attempts: 1 });
  });
});
