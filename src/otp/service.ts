import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Channel, Deliveries, DeliveryResult, Purpose } from '../delivery/types.ts';
import { codeMatches, generateCode, hashAddress, hashCode, maskAddress, type RandomInt } from './codes.ts';
import type { OtpRecord, OtpStore } from './store.ts';
import type { OtpSession, OtpStatus, OtpVerification } from './types.ts';

/**
 * OTP sessions: issue a code to an address, resend, verify, cancel. Shared by the email/SMS
 * factors (owner `login:{uid}`) and the OTP API (owner `client:{id}`). A session of another
 * owner behaves exactly like a missing one.
 */

/** Records outlive their code by a day, so a late check still reads `expired`, not "not found". */
const RETENTION_SECONDS = 86_400;

/** Options of {@link createOtpService}; durations in seconds, as in the `otp` config section. */
export interface OtpServiceOptions {
  store: OtpStore;
  /** Transports by channel; a channel without one cannot deliver (`not_configured`). */
  deliveries: Deliveries;
  /** `otp.hmac_key`, decoded (32 bytes): keys the stored code and address hashes. */
  hmacKey: Buffer;
  /** Digits per code (6-10). */
  digits: number;
  /** Longest life of a code; a shorter one may be asked for per session. */
  ttl: number;
  /** Most wrong codes per session; a lower cap may be asked for per session. */
  maxAttempts: number;
  /** Seconds between two sends of one session. */
  resendCooldown: number;
  /** Most successful sends per session, the first included. */
  maxSends: number;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
  /** CSPRNG for codes. @default crypto.randomInt */
  randomInt?: RandomInt;
}

/** What {@link OtpService.issue} needs. */
export interface IssueInput {
  /** `client:{clientId}` or `login:{interactionUid}`. */
  owner: string;
  channel: Channel;
  /** Email address or E.164 number; only its mask and keyed hash are stored. */
  to: string;
  purpose: Purpose;
  appName: string;
  clientId: string;
  /** @default "en" */
  locale?: string;
  /** Seconds; capped by the configured ttl. */
  ttl?: number;
  /** Capped by the configured maxAttempts. */
  maxAttempts?: number;
  externalId?: string;
  metadata?: Record<string, string>;
}

/** The new session and how its first send went (a failed send can be retried with resend). */
export interface IssueResult {
  session: OtpSession;
  delivery: DeliveryResult;
}

/** Outcome of {@link OtpService.resend}; nothing changes unless `ok`. */
export type ResendResult =
  | { ok: true; session: OtpSession; delivery: DeliveryResult }
  | { ok: false; error: 'cooldown'; retryAfter: number }
  | { ok: false; error: 'max_sends' }
  | { ok: false; error: 'not_pending'; status: OtpStatus }
  | { ok: false; error: 'address_mismatch' }
  | { ok: false; error: 'delivery_failed'; delivery: Extract<DeliveryResult, { ok: false }> };

/** Outcome of {@link OtpService.cancel}: an approved session stays approved. */
export type CancelResult =
  | { ok: true; session: OtpSession }
  | { ok: false; error: 'already_approved'; session: OtpSession };

/** OTP sessions. Every method returns `undefined` for a missing session or another owner's. */
export interface OtpService {
  /** Channels that have a delivery configured. */
  readonly channels: readonly Channel[];
  /** The keyed hash of an address, for per-address rate limits (never the address itself). */
  hashAddress(to: string): string;
  /** Creates a pending session and sends its first code. */
  issue(input: IssueInput): Promise<IssueResult>;
  /**
   * Sends a new code to the same address (the old code stops working once it is out); same id,
   * same expiry, attempts not reset. Subject to the cooldown and the send cap.
   */
  resend(owner: string, id: string, to: string): Promise<ResendResult | undefined>;
  /** Checks a code; only one caller ever gets `approved: true`. */
  verify(owner: string, id: string, code: string): Promise<OtpVerification | undefined>;
  get(owner: string, id: string): Promise<OtpSession | undefined>;
  /** Cancels any session that is not approved (idempotent). */
  cancel(owner: string, id: string): Promise<CancelResult | undefined>;
}

/** The status as callers see it: pending sessions expire, or close after too many wrong codes. */
function statusOf(record: OtpRecord, now: number): OtpStatus {
  if (record.status !== 'pending') return record.status;
  if (record.attempts >= record.maxAttempts) return 'max_attempts_reached';
  if (now >= record.expiresAt) return 'expired';
  return 'pending';
}

const attemptsLeft = (r: Pick<OtpRecord, 'attempts' | 'maxAttempts'>) =>
  Math.max(0, r.maxAttempts - r.attempts);

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, Math.floor(value)));

/** Creates the {@link OtpService}. */
export function createOtpService(options: OtpServiceOptions): OtpService {
  const { store, deliveries, hmacKey: key } = options;
  const now = options.now ?? Date.now;
  const random = options.randomInt;
  const newCode = () => (random ? generateCode(options.digits, random) : generateCode(options.digits));

  function toSession(record: OtpRecord): OtpSession {
    const { codeHash: _c, addressHash: _a, message: _m, ...session } = record;
    return { ...session, status: statusOf(record, now()) };
  }

  async function load(owner: string, id: string): Promise<OtpRecord | undefined> {
    const record = await store.get(id);
    return record && record.owner === owner ? record : undefined;
  }

  async function send(record: OtpRecord, to: string, code: string): Promise<DeliveryResult> {
    const delivery = deliveries[record.channel];
    if (!delivery) return { ok: false, error: 'not_configured', attempts: 0 };
    try {
      return await delivery.send({
        ...record.message,
        channel: record.channel,
        to,
        code,
        expiresAt: new Date(record.expiresAt),
        reference: record.id,
      });
    } catch {
      // Transports report failures as results; one that throws anyway must not strand the
      // session half-sent, and the error could carry the message (and so the code).
      return { ok: false, error: 'unreachable', attempts: 1 };
    }
  }

  return {
    channels: (Object.keys(deliveries) as Channel[]).filter((c) => deliveries[c] !== undefined),

    hashAddress: (to) => hashAddress(key, to),

    async issue(input) {
      const t = now();
      const ttl = clamp(input.ttl ?? options.ttl, 1, options.ttl);
      const id = randomBytes(16).toString('base64url');
      const code = newCode();
      const record: OtpRecord = {
        id,
        owner: input.owner,
        channel: input.channel,
        toMasked: maskAddress(input.to),
        status: 'pending',
        attempts: 0,
        maxAttempts: clamp(input.maxAttempts ?? options.maxAttempts, 1, options.maxAttempts),
        sends: 0,
        createdAt: t,
        expiresAt: t + ttl * 1000,
        codeHash: hashCode(key, id, code),
        addressHash: hashAddress(key, input.to),
        message: {
          purpose: input.purpose,
          appName: input.appName,
          clientId: input.clientId,
          locale: input.locale ?? 'en',
        },
        ...(input.externalId === undefined ? {} : { externalId: input.externalId }),
        ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
      };
      await store.create(record, ttl + RETENTION_SECONDS);
      const delivery = await send(record, input.to, code);
      // Only a successful send starts the cooldown and counts against the cap.
      if (delivery.ok) {
        const patch = { sends: 1, lastSentAt: now() };
        await store.update(id, patch);
        Object.assign(record, patch);
      }
      return { session: toSession(record), delivery };
    },

    async resend(owner, id, to) {
      const record = await load(owner, id);
      if (!record) return undefined;
      const t = now();
      const status = statusOf(record, t);
      if (status !== 'pending') return { ok: false, error: 'not_pending', status };
      const given = Buffer.from(hashAddress(key, to));
      const stored = Buffer.from(record.addressHash);
      if (given.length !== stored.length || !timingSafeEqual(given, stored)) {
        return { ok: false, error: 'address_mismatch' };
      }
      if (record.sends >= options.maxSends) return { ok: false, error: 'max_sends' };
      if (record.lastSentAt !== undefined) {
        const wait = record.lastSentAt + options.resendCooldown * 1000 - t;
        if (wait > 0) return { ok: false, error: 'cooldown', retryAfter: Math.ceil(wait / 1000) };
      }
      const code = newCode();
      // Send first, then swap the hash: a failed send leaves the session (and its code) as it was.
      const delivery = await send(record, to, code);
      if (!delivery.ok) return { ok: false, error: 'delivery_failed', delivery };
      const patch = { codeHash: hashCode(key, id, code), sends: record.sends + 1, lastSentAt: now() };
      if (!(await store.update(id, patch))) return undefined;
      return { ok: true, session: toSession({ ...record, ...patch }), delivery };
    },

    async verify(owner, id, code) {
      const record = await load(owner, id);
      if (!record) return undefined;
      const status = statusOf(record, now());
      if (status !== 'pending') return { status, approved: false, attemptsLeft: attemptsLeft(record) };
      // Take the attempt BEFORE comparing: concurrent guesses each get their own number, and any
      // past the cap are refused unchecked, so parallel requests cannot try more codes than allowed.
      const attempts = await store.incrementAttempts(id);
      if (attempts === 0) return undefined;
      const left = Math.max(0, record.maxAttempts - attempts);
      if (attempts > record.maxAttempts) {
        // Over the cap: unchecked. Report what the session is now (a racing request may have approved it).
        const current = await store.get(id);
        return current && { status: statusOf(current, now()), approved: false, attemptsLeft: 0 };
      }
      if (codeMatches(key, id, code, record.codeHash)) {
        if (await store.claim(id, 'approved'))
          return { status: 'approved', approved: true, attemptsLeft: left };
        // Someone else approved or canceled it in the meantime: report what it is now.
        const current = await store.get(id);
        if (!current) return undefined;
        return { status: statusOf(current, now()), approved: false, attemptsLeft: attemptsLeft(current) };
      }
      return {
        status: attempts >= record.maxAttempts ? 'max_attempts_reached' : 'pending',
        approved: false,
        attemptsLeft: left,
      };
    },

    async get(owner, id) {
      const record = await load(owner, id);
      return record && toSession(record);
    },

    async cancel(owner, id) {
      const record = await load(owner, id);
      if (!record) return undefined;
      if (await store.claim(id, 'canceled'))
        return { ok: true, session: toSession({ ...record, status: 'canceled' }) };
      const current = await store.get(id);
      if (!current) return undefined;
      const session = toSession(current);
      if (session.status === 'approved') return { ok: false, error: 'already_approved', session };
      return { ok: true, session };
    },
  };
}
