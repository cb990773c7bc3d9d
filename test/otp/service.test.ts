import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryOtpStore } from '../../adapters/memory-otp.ts';
import { createRedisOtpStore } from '../../adapters/redis-otp.ts';
import type { CodeMessage, Delivery, DeliveryError } from '../../src/delivery/types.ts';
import { codeMatches, generateCode, hashAddress, hashCode, maskAddress } from '../../src/otp/codes.ts';
import { createOtpService, type IssueInput, type OtpServiceOptions } from '../../src/otp/service.ts';
import type { OtpStore } from '../../src/otp/store.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';

const KEY = Buffer.alloc(32, 7);
const T0 = 1_800_000_000_000;
const ADDRESS = 'Alice.Liddell@example.com';
const OWNER = 'client:svc';

/** A Delivery that records every message; `fail` makes the next sends fail with that reason. */
function capture() {
  const messages: CodeMessage[] = [];
  const delivery: Delivery & { messages: CodeMessage[]; fail?: DeliveryError } = {
    messages,
    async send(message) {
      messages.push(message);
      if (delivery.fail) return { ok: false, error: delivery.fail, attempts: 1 };
      return { ok: true, id: `msg-${messages.length}`, attempts: 1 };
    },
  };
  return delivery;
}

const other = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('codes', () => {
  it('generates uniform digits with leading zeros, through the injected CSPRNG', () => {
    expect(generateCode(6, () => 42)).toBe('000042');
    expect(generateCode(8, (_min, max) => max - 1)).toBe('99999999');
    const seen = new Set(Array.from({ length: 200 }, () => generateCode(6)));
    for (const code of seen) expect(code).toMatch(/^\d{6}$/);
    expect(seen.size).toBeGreaterThan(190);
    expect(() => generateCode(5)).toThrow(RangeError);
  });

  it('binds the hash to the session and compares as typed, refusing malformed input', () => {
    const hash = hashCode(KEY, 'session-a', '123456');
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(codeMatches(KEY, 'session-a', '123456', hash)).toBe(true);
    expect(codeMatches(KEY, 'session-a', ' 123 456 ', hash)).toBe(true);
    expect(codeMatches(KEY, 'session-b', '123456', hash)).toBe(false);
    expect(codeMatches(Buffer.alloc(32, 8), 'session-a', '123456', hash)).toBe(false);
    for (const bad of ['123457', '12345', '1234567', '12345a', '', '１２３４５６']) {
      expect(codeMatches(KEY, 'session-a', bad, hash)).toBe(false);
    }
    expect(codeMatches(KEY, 'session-a', '123456', 'short')).toBe(false);
  });

  it('hashes addresses case-insensitively and masks them', () => {
    expect(hashAddress(KEY, ' alice@EXAMPLE.com')).toBe(hashAddress(KEY, 'Alice@example.com'));
    expect(hashAddress(KEY, 'alice@example.com')).not.toBe(hashAddress(KEY, 'bob@example.com'));
    expect(maskAddress('alice@example.com')).toBe('a***@example.com');
    expect(maskAddress('+15551234567')).toBe('+1******4567');
  });
});

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

const backends: { name: string; store: () => OtpStore }[] = [
  { name: 'memory', store: () => createMemoryOtpStore() },
  { name: 'redis', store: () => createRedisOtpStore(redis, { keyPrefix: 'test:' }) },
];

describe.each(backends)('OtpService on $name', (backend) => {
  beforeEach(async () => {
    await redis.flushdb();
  });

  function setup(options: Partial<OtpServiceOptions> = {}) {
    const clock = { t: T0 };
    const email = capture();
    const store = options.store ?? backend.store();
    const otp = createOtpService({
      store,
      deliveries: { email },
      hmacKey: KEY,
      ...{ digits: 6, ttl: 600, maxAttempts: 5, resendCooldown: 30, maxSends: 3 },
      now: () => clock.t,
      ...options,
    });
    const issue = (extra: Partial<IssueInput> = {}) =>
      otp.issue({
        ...{ owner: OWNER, channel: 'email', to: ADDRESS, purpose: 'verification' },
        ...{ appName: 'Test', clientId: 'svc', ...extra },
      });
    const lastCode = () => email.messages.at(-1)?.code ?? 'no code sent';
    return { otp, clock, email, issue, lastCode, store };
  }

  it('issues a pending session and sends one code bound to it', async () => {
    const { issue, email, lastCode } = setup();
    const { session, delivery } = await issue({ externalId: 'ext-1', metadata: { k: 'v' }, ttl: 9999 });
    expect(delivery.ok).toBe(true);
    expect(session).toMatchObject({ owner: OWNER, status: 'pending', attempts: 0, maxAttempts: 5, sends: 1 });
    expect(session).toMatchObject({ toMasked: 'A***@example.com', lastSentAt: T0, externalId: 'ext-1' });
    expect(session.expiresAt).toBe(T0 + 600_000); // ttl capped by the configured 600
    expect(session.metadata).toEqual({ k: 'v' });
    expect(email.messages[0]).toMatchObject({ to: ADDRESS, reference: session.id, locale: 'en' });
    expect(lastCode()).toMatch(/^\d{6}$/);
  });

  it('approves the right code once, then reports approved without approving again', async () => {
    const { otp, issue, lastCode } = setup();
    const { session } = await issue();
    expect(await otp.verify(OWNER, session.id, lastCode())).toEqual({
      status: 'approved',
      approved: true,
      attemptsLeft: 4,
    });
    expect(await otp.verify(OWNER, session.id, lastCode())).toMatchObject({
      status: 'approved',
      approved: false,
    });
    expect((await otp.get(OWNER, session.id))?.status).toBe('approved');
  });

  it('expires with the clock and then refuses even the right code, burning nothing', async () => {
    const { otp, issue, lastCode, clock } = setup();
    const { session } = await issue({ ttl: 60 });
    clock.t += 60_000;
    expect((await otp.get(OWNER, session.id))?.status).toBe('expired');
    expect(await otp.verify(OWNER, session.id, lastCode())).toEqual({
      status: 'expired',
      approved: false,
      attemptsLeft: 5,
    });
    expect(await otp.resend(OWNER, session.id, ADDRESS)).toEqual({
      ok: false,
      error: 'not_pending',
      status: 'expired',
    });
  });

  it('closes after max attempts; the right code no longer works', async () => {
    const { otp, issue, lastCode } = setup();
    const { session } = await issue({ maxAttempts: 3 });
    const wrong = other(lastCode());
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await otp.verify(OWNER, session.id, wrong));
    expect(results.map((r) => [r?.status, r?.attemptsLeft])).toEqual([
      ['pending', 2],
      ['pending', 1],
      ['max_attempts_reached', 0],
    ]);
    expect(await otp.verify(OWNER, session.id, lastCode())).toMatchObject({
      status: 'max_attempts_reached',
      approved: false,
    });
    expect((await otp.get(OWNER, session.id))?.attempts).toBe(3);
  });

  it('cancels: the code stops working, cancelling twice is fine, an approved one stays approved', async () => {
    const { otp, issue, lastCode } = setup();
    const { session } = await issue();
    expect(await otp.cancel(OWNER, session.id)).toMatchObject({ ok: true, session: { status: 'canceled' } });
    expect(await otp.verify(OWNER, session.id, lastCode())).toMatchObject({
      status: 'canceled',
      approved: false,
    });
    expect(await otp.cancel(OWNER, session.id)).toMatchObject({ ok: true, session: { status: 'canceled' } });
    const { session: second } = await issue();
    await otp.verify(OWNER, second.id, lastCode());
    expect(await otp.cancel(OWNER, second.id)).toMatchObject({ ok: false, error: 'already_approved' });
    expect((await otp.get(OWNER, second.id))?.status).toBe('approved');
  });

  it("treats another owner's session exactly like a missing one, burning nothing", async () => {
    const { otp, issue, lastCode } = setup();
    const { session } = await issue();
    for (const id of [session.id, 'missing-id']) {
      expect(await otp.get('client:other', id)).toBeUndefined();
      expect(await otp.verify('client:other', id, lastCode())).toBeUndefined();
      expect(await otp.resend('client:other', id, ADDRESS)).toBeUndefined();
      expect(await otp.cancel('client:other', id)).toBeUndefined();
    }
    expect(await otp.get(OWNER, session.id)).toMatchObject({ status: 'pending', attempts: 0, sends: 1 });
  });

  it('resends after the cooldown with a new code; the old one dies; attempts are not reset', async () => {
    const { otp, issue, lastCode, clock, email } = setup();
    const { session } = await issue();
    const first = lastCode();
    await otp.verify(OWNER, session.id, other(first));
    clock.t += 10_000;
    expect(await otp.resend(OWNER, session.id, ADDRESS)).toEqual({
      ok: false,
      error: 'cooldown',
      retryAfter: 20,
    });
    expect(await otp.resend(OWNER, session.id, 'mallory@example.com')).toEqual({
      ok: false,
      error: 'address_mismatch',
    });
    clock.t += 20_000;
    const resent = await otp.resend(OWNER, session.id, 'alice.liddell@EXAMPLE.com');
    expect(resent).toMatchObject({ ok: true, session: { id: session.id, sends: 2, attempts: 1 } });
    expect(resent?.ok && resent.session.expiresAt).toBe(session.expiresAt);
    expect(email.messages).toHaveLength(2);
    expect(email.messages[1]?.reference).toBe(session.id);
    expect(await otp.verify(OWNER, session.id, first)).toMatchObject({ status: 'pending', attemptsLeft: 3 });
    expect(await otp.verify(OWNER, session.id, lastCode())).toMatchObject({
      approved: true,
      attemptsLeft: 2,
    });
  });

  it('caps sends per session', async () => {
    const { otp, issue, clock } = setup();
    const { session } = await issue();
    for (let i = 0; i < 2; i++) {
      clock.t += 30_000;
      expect((await otp.resend(OWNER, session.id, ADDRESS))?.ok).toBe(true);
    }
    clock.t += 30_000;
    expect(await otp.resend(OWNER, session.id, ADDRESS)).toEqual({ ok: false, error: 'max_sends' });
  });

  it('a failed delivery burns nothing: no send counted, no cooldown, no attempt', async () => {
    const { otp, issue, email, lastCode } = setup();
    email.fail = 'timeout';
    const { session, delivery } = await issue();
    expect(delivery).toEqual({ ok: false, error: 'timeout', attempts: 1 });
    expect(session).toMatchObject({ status: 'pending', sends: 0, attempts: 0 });
    expect(session.lastSentAt).toBeUndefined();
    expect(await otp.resend(OWNER, session.id, ADDRESS)).toMatchObject({
      ok: false,
      error: 'delivery_failed',
      delivery: { error: 'timeout' },
    });
    email.fail = undefined;
    expect(await otp.resend(OWNER, session.id, ADDRESS)).toMatchObject({ ok: true, session: { sends: 1 } });
    expect(await otp.verify(OWNER, session.id, lastCode())).toMatchObject({ approved: true });
  });

  it('a channel without a delivery answers not_configured', async () => {
    const { issue, otp } = setup();
    expect(otp.channels).toEqual(['email']);
    const { delivery } = await issue({ channel: 'sms', to: '+15551234567' });
    expect(delivery).toEqual({ ok: false, error: 'not_configured', attempts: 0 });
  });

  it('parallel guesses never check more codes than the cap allows', async () => {
    const { otp, issue, lastCode } = setup();
    const { session } = await issue();
    const wrong = other(lastCode());
    for (let i = 0; i < 4; i++) await otp.verify(OWNER, session.id, wrong);
    // One attempt left; the right code is sent last, after ten wrong ones racing for that attempt.
    const guesses = [...Array.from({ length: 10 }, () => wrong), lastCode()];
    const results = await Promise.all(guesses.map((g) => otp.verify(OWNER, session.id, g)));
    expect(results.filter((r) => r?.approved)).toHaveLength(0);
    expect((await otp.get(OWNER, session.id))?.status).toBe('max_attempts_reached');
  });
});

describe('OtpService on Redis across processes', () => {
  it('approves exactly one of 20 concurrent verifies made through 5 connections', async () => {
    const email = capture();
    const connections = Array.from({ length: 5 }, () => new Redis(server.url));
    const services = connections.map((c) =>
      createOtpService({
        store: createRedisOtpStore(c, { keyPrefix: 'race:' }),
        deliveries: { email },
        hmacKey: KEY,
        ...{ digits: 6, ttl: 600, maxAttempts: 5, resendCooldown: 30, maxSends: 3 },
      }),
    );
    try {
      for (let round = 0; round < 5; round++) {
        const { session } = await (services[0] as (typeof services)[number]).issue({
          ...{ owner: OWNER, channel: 'email', to: ADDRESS, purpose: 'verification' },
          ...{ appName: 'Test', clientId: 'svc' },
        });
        const code = email.messages.at(-1)?.code ?? '';
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => services[i % 5]?.verify(OWNER, session.id, code)),
        );
        expect(results.filter((r) => r?.approved)).toHaveLength(1);
        // Losers may see max_attempts_reached while the winner's claim is in flight; it ends approved.
        expect((await services[1]?.get(OWNER, session.id))?.status).toBe('approved');
      }
    } finally {
      await Promise.all(connections.map((c) => c.quit()));
    }
  });

  it('stores neither the code nor the address in plaintext', async () => {
    await redis.flushdb();
    const email = capture();
    const sms = capture();
    const otp = createOtpService({
      store: createRedisOtpStore(redis, { keyPrefix: 'dump:' }),
      deliveries: { email, sms },
      hmacKey: KEY,
      ...{ digits: 6, ttl: 600, maxAttempts: 5, resendCooldown: 30, maxSends: 3 },
    });
    const base = { owner: OWNER, purpose: 'verification', appName: 'Test', clientId: 'svc' } as const;
    const a = await otp.issue({ ...base, channel: 'email', to: ADDRESS });
    const b = await otp.issue({ ...base, channel: 'sms', to: '+15551234567' });
    await otp.verify(OWNER, a.session.id, '000000');
    const codes = [...email.messages, ...sms.messages].map((m) => m.code);
    const values: string[] = [];
    for (const key of await redis.keys('*')) {
      values.push(key);
      const type = await redis.type(key);
      if (type === 'hash') values.push(...Object.entries(await redis.hgetall(key)).flat());
      else if (type === 'string') values.push((await redis.get(key)) ?? '');
      else throw new Error(`unexpected ${type} key ${key}`);
    }
    expect(values).toContain(b.session.id);
    const dump = values.join('\n');
    for (const address of [ADDRESS, ADDRESS.toLowerCase(), 'Liddell', '+15551234567', '5551234567']) {
      expect(dump).not.toContain(address);
    }
    // A code could only show up by chance inside a base64url hash, never as a value of its own.
    for (const code of codes) {
      expect(dump).not.toMatch(new RegExp(`(^|[^A-Za-z0-9_-])${code}($|[^A-Za-z0-9_-])`));
    }
    expect(dump).toContain(hashCode(KEY, a.session.id, codes[0] ?? ''));
    // Kept a day past the code's 600 s, so a late check reads "expired" rather than "not found".
    expect(await redis.ttl(`dump:otp:${a.session.id}`)).toBeGreaterThan(86_400);
  });

  it('never re-creates a missing record (which would be a key without a TTL)', async () => {
    const store = createRedisOtpStore(redis, { keyPrefix: 'gone:' });
    expect(await store.incrementAttempts('nope')).toBe(0);
    expect(await store.claim('nope')).toBe(false);
    expect(await store.update('nope', { sends: 2 })).toBe(false);
    expect(await redis.keys('gone:*')).toEqual([]);
  });
});
