import { createHmac } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '../../adapters/redis-client.ts';
import type { Delivery, DeliveryResult } from '../delivery/types.ts';
import type { KeyValueStore } from '../factors/types.ts';
import type { Logger } from '../log.ts';
import { maskAddress } from '../otp/codes.ts';
import { createOtpService, type OtpService } from '../otp/service.ts';
import type { OtpStore } from '../otp/store.ts';
import type { EndedSessions } from '../sessions/end-account-sessions.ts';
import type { PasswordHasher } from './password.ts';
import { type PasswordProblem, passwordProblem } from './password-policy.ts';
import { type AccountRecord, type AccountStore, normalizeUsername } from './types.ts';

/*
 * "Forgot password?": a code to the account's verified email address, then a new password.
 *
 *   request  -> the same answer for every name: a known account with a verified address gets a
 *               code by email, any other name (unknown, unverified, disabled) a decoy session
 *               whose code exists nowhere. The email goes out in the background, so the answer
 *               takes the same time either way; limits per client IP and per address (per
 *               username for a name without one, so they look the same) come first.
 *   verify   -> the code, HMAC-stored (src/otp/service.ts), single use, `max_attempts` wrong
 *               codes per code, `ttl` seconds, bound to the login interaction that asked.
 *   complete -> once per proven code: the password policy, argon2id, the account's sessions
 *               ended (with back-channel logouts), the password lockout of the name lifted.
 *
 * The reset proves the address and sets the first factor only: the login goes on from the
 * password step (interactions/reset.ts), so a second factor is still asked when the client
 * needs one.
 */

/** Options of {@link createPasswordReset}; durations in seconds. */
export interface PasswordResetOptions {
  accounts: AccountStore;
  /** Where codes are kept (only their HMAC): the OTP sessions' store. */
  otp: OtpStore;
  /** The reset state of each login interaction (`reset:{uid}`). */
  kv: KeyValueStore;
  /** The email transport the code goes out by. */
  email: Delivery;
  /** Keys the stored code and address hashes (32 bytes): `otp.hmac_key`, or see {@link resetHmacKey}. */
  hmacKey: Buffer;
  hasher: PasswordHasher;
  /** `accounts.min_password_length`. */
  minPasswordLength: number;
  /** `accounts.password_reset` values. */
  ttl: number;
  digits: number;
  maxAttempts: number;
  /** Requests per address (per username without one) per hour. */
  perAddress: number;
  /** Requests per client IP per hour. */
  perIp: number;
  /** Ends every session, grant and token of the account, telling the relying parties (`endAccountSessions`). */
  endSessions(accountId: string): Promise<EndedSessions>;
  /** Lifts the password lockout of a normalised username (`passwordRegulation.unlock`). */
  unlockPassword(username: string): Promise<unknown>;
  logger: Logger;
  /** Limits live in Redis when given, else in memory. */
  redis?: RedisClient;
  /** @default "" */
  keyPrefix?: string;
  /** @default Date.now */
  now?: () => number;
}

/** Where a login interaction's reset stands. */
export interface ResetState {
  /** The OTP session of the code. */
  otp: string;
  /** Normalised name as asked for. */
  username: string;
  /** The account a code was sent for; absent for a decoy (no code was sent). */
  account?: string;
  /** The code was right: a new password may be set. */
  verified?: boolean;
}

/** Who asks, for limits and the audit log. */
export interface ResetRequester {
  /** The login interaction uid: the code works only there. */
  flowId: string;
  ip: string;
  clientId: string;
}

export type RequestResult = { ok: true } | { ok: false; retryAt: Date };

export type VerifyResult =
  | { outcome: 'verified' }
  | { outcome: 'wrong'; left: number }
  /** No attempt left on this code: a new one must be asked for. */
  | { outcome: 'closed' }
  | { outcome: 'expired' }
  /** No reset in this interaction (or it expired). */
  | { outcome: 'none' };

export type CompleteResult =
  | { ok: true; accountId: string; ended: EndedSessions }
  | { ok: false; error: PasswordProblem }
  /** No proven code in this interaction, it was used already, or the account is gone. */
  | { ok: false; error: 'none' };

/** The password reset; see the top of this file. */
export interface PasswordReset {
  /** Seconds a code lives. */
  readonly ttl: number;
  /** Longest accepted new password is MAX_PASSWORD_LENGTH; shortest is this. */
  readonly minPasswordLength: number;
  /** `locale`: the login's language, which the email is written in. @default the default language */
  request(
    who: ResetRequester & { username: string; appName: string; locale?: string },
  ): Promise<RequestResult>;
  state(flowId: string): Promise<ResetState | undefined>;
  verify(who: ResetRequester, code: string): Promise<VerifyResult>;
  complete(who: ResetRequester, password: string): Promise<CompleteResult>;
}

/**
 * The key of the reset's code hashes: `otp.hmac_key` when the configuration has one, else
 * derived from the first cookie key (HKDF, like the CSRF tokens), so the reset needs no key of
 * its own. A new cookie key then voids codes in flight, which live 15 minutes.
 */
export function resetHmacKey(otpHmacKey: string | undefined, cookieKey: string): Buffer {
  if (otpHmacKey) return Buffer.from(otpHmacKey, 'base64');
  return Buffer.from(createHmac('sha256', cookieKey).update('tollgate password-reset-v1').digest());
}

/** Requests per key per hour; `take` says when to retry once used up. */
function hourly(
  store: { redis?: RedisClient; keyPrefix: string },
  name: string,
  points: number,
  now: () => number,
) {
  const opts = { points, duration: 3600 };
  const limiter = store.redis
    ? new RateLimiterRedis({ ...opts, storeClient: store.redis, keyPrefix: `${store.keyPrefix}rl:${name}` })
    : new RateLimiterMemory({ ...opts, keyPrefix: name });
  return {
    /** One request; the time to retry when the key has none left. */
    async take(key: string): Promise<Date | undefined> {
      try {
        await limiter.consume(key);
        return undefined;
      } catch (res: unknown) {
        // Over the limit rejects with a RateLimiterRes; a store failure with an Error (fail closed).
        if (res instanceof Error) throw res;
        return new Date(now() + (res as RateLimiterRes).msBeforeNext);
      }
    },
    /** Gives back a request whose email never went out: a failed send is not the user's. */
    async giveBack(key: string): Promise<void> {
      await limiter.reward(key, 1);
    },
  };
}

/** Why a name gets no code; the audit log's `reason` (never a metric label). */
function ineligibility(record: AccountRecord | undefined): string | undefined {
  if (!record) return 'unknown_user';
  if (record.disabled) return 'disabled';
  if (!record.email || record.email_verified !== true) return 'no_verified_email';
  return undefined;
}

/** Builds the {@link PasswordReset}. */
export function createPasswordReset(options: PasswordResetOptions): PasswordReset {
  const { accounts, kv, logger, hmacKey } = options;
  const now = options.now ?? Date.now;
  const store = { redis: options.redis, keyPrefix: options.keyPrefix ?? '' };
  const perIp = hourly(store, 'reset-ip', options.perIp, now);
  const perAddress = hourly(store, 'reset-address', options.perAddress, now);
  const stateKey = (flowId: string) => `reset:${flowId}`;
  const owner = (flowId: string) => `reset:${flowId}`;
  // Limit keys are keyed hashes: neither an address nor a username appears in Redis.
  const limitKey = (kind: string, value: string) =>
    createHmac('sha256', hmacKey).update(`reset-limit:${kind}:${value}`).digest('base64url');

  const codes = (email: Delivery) =>
    createOtpService({
      store: options.otp,
      deliveries: { email },
      hmacKey,
      digits: options.digits,
      ttl: options.ttl,
      maxAttempts: options.maxAttempts,
      // A reset has no resend: asking again is a new request, under the request limits.
      resendCooldown: options.ttl,
      maxSends: 1,
      now,
    });

  /** The real sends: handed to the transport without waiting, so the answer does not wait either. */
  function inBackground(addressKey: string): Delivery {
    return {
      async send(message): Promise<DeliveryResult> {
        // The transport logs delivery.sent / delivery.failed (masked address, never the code).
        void options.email
          .send(message)
          .then(
            (result) => result.ok,
            () => false,
          )
          .then(async (sent) => {
            if (!sent) await perAddress.giveBack(addressKey);
          })
          // A give-back lost to a store outage costs the user one request of the hour, no more.
          .catch(() => {});
        return { ok: true, id: `queued:${message.reference}`, attempts: 0 };
      },
    };
  }
  /** A decoy's "send": nothing goes anywhere, in the same steps as a real one. */
  const nowhere: Delivery = { send: async (m) => ({ ok: true, id: `none:${m.reference}`, attempts: 0 }) };
  const verifier: OtpService = codes(nowhere);

  async function loadState(flowId: string): Promise<ResetState | undefined> {
    const json = await kv.get(stateKey(flowId));
    return json ? (JSON.parse(json) as ResetState) : undefined;
  }

  return {
    ttl: options.ttl,
    minPasswordLength: options.minPasswordLength,
    state: loadState,

    async request(who) {
      const username = normalizeUsername(who.username);
      const base = { username, client: who.clientId, ip: who.ip };
      const ipLimited = await perIp.take(who.ip);
      const record = ipLimited ? undefined : await accounts.findByUsername(username);
      const reason = ineligibility(record);
      const email = reason === undefined ? (record?.email as string) : undefined;
      // Per address when there is one, else per name: a limit looks the same for every name.
      const addressKey = email ? limitKey('address', email.trim().toLowerCase()) : limitKey('name', username);
      const retryAt = ipLimited ?? (await perAddress.take(addressKey));
      if (retryAt) {
        logger.info(
          {
            event: 'password.reset_limited',
            ...base,
            scope: ipLimited ? 'ip' : 'address',
            until: retryAt.toISOString(),
          },
          'password reset refused: too many requests',
        );
        return { ok: false, retryAt };
      }
      const service = email ? codes(inBackground(addressKey)) : verifier;
      const issued = await service.issue({
        owner: owner(who.flowId),
        channel: 'email',
        // A decoy's session needs an address like any other; `.invalid` can never be one (RFC 2606).
        to: email ?? 'nobody@decoy.invalid',
        purpose: 'password_reset',
        appName: who.appName,
        clientId: who.clientId,
        ...(who.locale ? { locale: who.locale } : {}),
      });
      const state: ResetState = {
        otp: issued.session.id,
        username,
        ...(email && record ? { account: record.id } : {}),
      };
      await kv.set(stateKey(who.flowId), JSON.stringify(state), options.ttl);
      logger.info(
        {
          event: 'password.reset_requested',
          ...base,
          account: record?.id,
          reason: reason ?? 'sent',
          channel: 'email',
          ...(email ? { to: maskAddress(email) } : {}),
        },
        email ? 'password reset code sent' : 'password reset asked for a name without a verified address',
      );
      return { ok: true };
    },

    async verify(who, code) {
      const state = await loadState(who.flowId);
      if (!state) return { outcome: 'none' };
      if (state.verified) return { outcome: 'verified' };
      const checked = await verifier.verify(owner(who.flowId), state.otp, code.slice(0, 64));
      const base = { username: state.username, account: state.account, client: who.clientId, ip: who.ip };
      // A decoy's code matches nothing; an approval of one (it cannot happen) still proves nothing.
      if (checked?.approved && state.account) {
        await kv.set(stateKey(who.flowId), JSON.stringify({ ...state, verified: true }), options.ttl);
        logger.info({ event: 'password.reset_verified', ...base }, 'password reset code accepted');
        return { outcome: 'verified' };
      }
      const status = checked?.status ?? 'expired';
      const outcome: VerifyResult =
        status === 'expired' || status === 'canceled' || status === 'approved'
          ? { outcome: 'expired' }
          : status === 'max_attempts_reached' || checked?.attemptsLeft === 0
            ? { outcome: 'closed' }
            : { outcome: 'wrong', left: checked?.attemptsLeft ?? 0 };
      logger.info(
        { event: 'password.reset_failed', ...base, reason: outcome.outcome },
        'password reset code refused',
      );
      return outcome;
    },

    async complete(who, password) {
      const state = await loadState(who.flowId);
      if (!state?.verified || !state.account) return { ok: false, error: 'none' };
      const problem = passwordProblem(password, options.minPasswordLength);
      if (problem) return { ok: false, error: problem };
      // One new password per proven code, even for two parallel submissions.
      if (!(await kv.setIfAbsent(`reset-used:${state.otp}`, '1', options.ttl)))
        return { ok: false, error: 'none' };
      await kv.delete(stateKey(who.flowId));
      const record = await accounts.findById(state.account);
      if (!record || record.disabled) return { ok: false, error: 'none' };
      await accounts.update(record.id, { password_hash: await options.hasher.hash(password) });
      // After the new hash, so nothing signed in with the old password outlives the reset.
      const ended = await options.endSessions(record.id);
      await options.unlockPassword(normalizeUsername(record.username));
      const base = { account: record.id, client: who.clientId, ip: who.ip };
      logger.info(
        {
          event: 'password.reset',
          ...base,
          username: record.username,
          sessions: ended.sessions,
          grants: ended.grants,
          backchannel: ended.logouts.map((l) => ({ client: l.clientId, ok: l.ok })),
        },
        'password reset: new password set, sessions ended',
      );
      // The same lines the CLI's resets write for each back-channel logout.
      for (const l of ended.logouts) {
        if (l.ok)
          logger.info(
            { event: 'logout.backchannel_sent', client: l.clientId, account: record.id },
            'back-channel logout delivered',
          );
        else
          logger.warn(
            { event: 'logout.backchannel_failed', client: l.clientId, account: record.id, error: l.error },
            `back-channel logout to ${l.clientId} failed: it may keep its session until it next refreshes or introspects a token`,
          );
      }
      return { ok: true, accountId: record.id, ended };
    },
  };
}
