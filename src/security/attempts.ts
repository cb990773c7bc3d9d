import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from '../../adapters/redis-client.ts';
import type { VerifyFailure } from '../factors/types.ts';
import type { Regulation, RegulationAttempt } from './regulation.ts';

/**
 * Attempts are taken BEFORE a code is checked: reserve -> verify -> succeed / fail / release.
 * A reservation takes one attempt of the challenge, of the account and of the client IP in
 * one atomic increment each (rate-limiter-flexible: a Lua script on Redis, a synchronous
 * update in memory), so 50 parallel guesses against one challenge get at most its cap of
 * checks and the rest are refused without verifying. The challenge count lives in the store,
 * not in the pending login, so asking again (a reload, a new step-up request of the same
 * session) does not reset it.
 *
 * Used by the second-factor step of the login, the account page's removal check, and (account
 * and IP only, through {@link Regulation.reserve}) the password step.
 */

/** Why a reservation was refused; nothing was taken and nothing may be checked. */
export type Refusal = { reason: 'locked'; retryAt: Date } | { reason: 'challenge_closed' };

/** A taken attempt; settle it once with what the check said. */
export interface Attempt {
  /** The code was right: the attempt is given back and the failure counts are cleared. */
  succeed(): Promise<void>;
  /**
   * The code was wrong: it stays counted. Says whether the account (or IP) is now locked and
   * how many attempts the challenge has left.
   */
  fail(): Promise<{ locked: false; challengeLeft: number } | { locked: true; retryAt: Date }>;
  /** Nothing was checked (no code was ever delivered, malformed input): the attempt is given back. */
  release(): Promise<void>;
}

export type Reservation = ({ ok: true } & Attempt) | ({ ok: false } & Refusal);

/** What one reservation counts against. */
export interface AttemptScope {
  /** Id of the challenge (see {@link challengeId}). */
  challenge: string;
  account: string;
  ip: string;
}

/** Attempts per challenge, over the account- and IP-wide {@link Regulation}. */
export interface Attempts {
  reserve(scope: AttemptScope): Promise<Reservation>;
  /** Whether the challenge has no attempt left (so its page is not shown, nor a code sent). */
  closed(challenge: string): Promise<boolean>;
  /**
   * Forgets the challenge's count, so a closed one opens again with all its attempts (the
   * operator's unlock, for the step-up challenges of an account's sessions). Says whether the
   * challenge had a count.
   */
  reopen(challenge: string): Promise<boolean>;
}

/**
 * Failures of a factor's verify that compared no secret: the attempt is given back. A code
 * that never arrived (delivery failed, or expired) cannot be guessed, and a failed send is
 * never the user's fault.
 */
export const UNCHECKED_FAILURES: ReadonlySet<VerifyFailure> = new Set<VerifyFailure>([
  'expired_code',
  'not_enrolled',
  'malformed_code',
]);

/**
 * The challenge a pending login answers. A password proof starts a new one (`pw:<random>`,
 * stored in the pending login); a step-up is one challenge per provider session, so neither
 * a reload nor a new authorization request of that session resets its count.
 */
export function challengeId(pending: { challenge?: string }, interactionUid: string): string {
  return pending.challenge ?? `flow:${interactionUid}`;
}

/** The challenge id of a step-up of the provider session `sessionUid`. */
export const stepUpChallenge = (sessionUid: string) => `session:${sessionUid}`;

/** Options of {@link createAttempts}. */
export interface AttemptsOptions {
  regulation: Regulation;
  /** Wrong codes before a challenge closes (`max_attempts_per_challenge`). */
  perChallenge: number;
  /** Seconds a challenge's count is kept: at least the life of a login page. */
  challengeTtl: number;
  redis?: RedisClient;
  /** @default "" */
  keyPrefix?: string;
}

/** Builds {@link Attempts} on Redis when given, else in process memory (same semantics). */
export function createAttempts(options: AttemptsOptions): Attempts {
  const max = options.perChallenge;
  const opts = { points: max, duration: options.challengeTtl };
  const challenges = options.redis
    ? new RateLimiterRedis({
        ...opts,
        storeClient: options.redis,
        keyPrefix: `${options.keyPrefix ?? ''}rl:mfa-challenge`,
      })
    : new RateLimiterMemory({ ...opts, keyPrefix: 'mfa-challenge' });
  const take = (key: string) =>
    challenges.consume(key).catch((res: unknown) => {
      // Over the limit rejects with a RateLimiterRes; a store failure with an Error (fail closed).
      if (res instanceof Error) throw res;
      return res as RateLimiterRes;
    });
  const giveBack = async (key: string) => {
    await challenges.reward(key, 1);
  };

  return {
    async reserve({ challenge, account, ip }) {
      // The challenge first: guesses refused by it never touch the account's or IP's counts,
      // so a burst against one challenge costs the account only the challenge's cap.
      const taken = await take(challenge);
      if (taken.consumedPoints > max) {
        await giveBack(challenge);
        return { ok: false, reason: 'challenge_closed' };
      }
      const regulated = await options.regulation.reserve(account, ip);
      if (!regulated.ok) {
        await giveBack(challenge);
        return { ok: false, reason: 'locked', retryAt: regulated.retryAt };
      }
      const attempt: RegulationAttempt = regulated.attempt;
      return {
        ok: true,
        async succeed() {
          await Promise.all([challenges.delete(challenge), attempt.succeed()]);
        },
        async release() {
          await Promise.all([giveBack(challenge), attempt.release()]);
        },
        async fail() {
          const status = await attempt.fail();
          if (status.locked) return status;
          return { locked: false, challengeLeft: Math.max(0, max - taken.consumedPoints) };
        },
      };
    },
    async closed(challenge) {
      const res = await challenges.get(challenge);
      return (res?.consumedPoints ?? 0) >= max;
    },
    async reopen(challenge) {
      return challenges.delete(challenge);
    },
  };
}
