import {
  type IRateLimiterOptions,
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterRes,
} from 'rate-limiter-flexible';
import type { RedisClient } from '../../adapters/redis-client.ts';
import type { MfaConfig } from '../config/schema.ts';

/** Whether second-factor attempts are allowed right now. */
export type RegulationStatus = { locked: false } | { locked: true; retryAt: Date };

/** Scope of the second-factor counters (keyed by account id): the default of {@link createRegulation}. */
export const MFA_SCOPE = 'mfa';
/** Scope of the password counters (keyed by normalised username, known or not). */
export const PASSWORD_SCOPE = 'password';

/** What {@link Regulation.unlock} cleared. */
export interface Unlocked {
  /** Failures counted within `find_time` (0: nothing was recorded). */
  failures: number;
  /** When the lockout that was lifted would have ended; absent when the key was not locked. */
  lockedUntil?: Date;
  /** Lockouts of the last day, each of which doubled the next ban; back to none. */
  lockouts: number;
}

/**
 * Counts wrong second-factor codes per account and per client IP (rate-limiter-flexible on
 * Redis, or memory for the embedded store). `max_failures` within `find_time` locks the
 * account's second factor for `ban_time`, doubling with each lockout that day up to
 * `max_ban_time`. A new code or a new login does not reset the count (NIST 800-63B rev 4).
 */
export interface Regulation {
  status(accountId: string, ip: string): Promise<RegulationStatus>;
  /** Records one wrong code; says whether that locked the account (or IP). */
  fail(accountId: string, ip: string): Promise<RegulationStatus>;
  /** A correct code clears the account's consecutive failures. */
  succeed(accountId: string): Promise<void>;
  /**
   * Takes one attempt of the account and of the IP atomically, BEFORE the code or password is
   * checked, so parallel guesses cannot all pass a `status` read. Refused (nothing taken) when
   * either is used up; src/security/attempts.ts composes it with the per-challenge count.
   */
  reserve(accountId: string, ip: string): Promise<RegulationReservation>;
  /**
   * Lifts the key's lockout (the operator's `tollgate users unlock`): clears its failure count,
   * its ban and its lockout history, so the next ban starts at `ban_time` again. Per-IP counts
   * are not the key's and stay.
   */
  unlock(key: string): Promise<Unlocked>;
}

/** A taken attempt: settle it once with the outcome of the check. */
export interface RegulationAttempt {
  /** The check passed: the attempt is given back and the account's failures are cleared. */
  succeed(): Promise<void>;
  /** The check failed: the attempt stays a failure; says whether that locked the account (or IP). */
  fail(): Promise<RegulationStatus>;
  /** Nothing was checked (no code to check against): the attempt is given back. */
  release(): Promise<void>;
}

/** `accountLocked`: the account's own limit refused it (not only the IP's). */
export type RegulationReservation =
  | { ok: true; attempt: RegulationAttempt }
  | { ok: false; retryAt: Date; accountLocked: boolean };

type Limiter = RateLimiterMemory | RateLimiterRedis;

/**
 * @param scope names the limiters (`<scope>-account`, `<scope>-ip`, `<scope>-lockouts`, under
 * `rl:` in Redis), so the password step and the second factor count separately. @default "mfa"
 */
export function createRegulation(
  config: MfaConfig['regulation'],
  store: { redis?: RedisClient; keyPrefix: string },
  now: () => number = Date.now,
  scope = MFA_SCOPE,
): Regulation {
  const make = (name: string, opts: IRateLimiterOptions): Limiter =>
    store.redis
      ? new RateLimiterRedis({ ...opts, storeClient: store.redis, keyPrefix: `${store.keyPrefix}rl:${name}` })
      : new RateLimiterMemory({ ...opts, keyPrefix: name });
  const account = make(`${scope}-account`, { points: config.max_failures, duration: config.find_time });
  const ip = make(`${scope}-ip`, { points: config.max_failures_per_ip, duration: config.find_time });
  // How many lockouts an account had in the last day: each one doubles the next ban.
  const lockouts = make(`${scope}-lockouts`, { points: 1000, duration: 86_400 });

  const lockedUntil = (res: RateLimiterRes | null, points: number): Date | undefined =>
    res && res.consumedPoints > points ? new Date(now() + res.msBeforeNext) : undefined;

  async function status(accountId: string, address: string): Promise<RegulationStatus> {
    const [a, i] = await Promise.all([account.get(accountId), ip.get(address)]);
    const until = [lockedUntil(a, config.max_failures), lockedUntil(i, config.max_failures_per_ip)]
      .filter((d): d is Date => d !== undefined)
      .sort((x, y) => y.getTime() - x.getTime())[0];
    return until ? { locked: true, retryAt: until } : { locked: false };
  }

  // consume() is one atomic increment (a Lua script on Redis, synchronous in memory).
  const consume = (limiter: Limiter, key: string) =>
    limiter.consume(key).catch((res: unknown) => {
      // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, with an Error on store failure.
      if (res instanceof Error) throw res;
      return res as RateLimiterRes;
    });

  /** The failure that used up the account's last attempt starts a lockout (doubling each time that day). */
  async function lockIfLast(accountId: string, consumed: number) {
    if (consumed !== config.max_failures) return;
    const n = (await lockouts.penalty(accountId, 1)).consumedPoints;
    const ban = Math.min(config.ban_time * 2 ** (n - 1), config.max_ban_time);
    await account.block(accountId, ban);
  }

  return {
    status,
    async fail(accountId, address) {
      const [a] = await Promise.all([consume(account, accountId), consume(ip, address)]);
      await lockIfLast(accountId, a.consumedPoints);
      return status(accountId, address);
    },
    async succeed(accountId) {
      await account.delete(accountId);
    },
    async unlock(key) {
      const [counted, history] = await Promise.all([account.get(key), lockouts.get(key)]);
      await Promise.all([account.delete(key), lockouts.delete(key)]);
      const until = lockedUntil(counted, config.max_failures);
      return {
        // A ban counts as max_failures + 1 points: report the failures, not the ban's marker.
        failures: Math.min(counted?.consumedPoints ?? 0, config.max_failures),
        lockouts: history?.consumedPoints ?? 0,
        ...(until ? { lockedUntil: until } : {}),
      };
    },
    async reserve(accountId, address) {
      const [a, i] = await Promise.all([consume(account, accountId), consume(ip, address)]);
      if (a.consumedPoints > config.max_failures || i.consumedPoints > config.max_failures_per_ip) {
        // Refused unchecked. Give the points back, so a refusal is not a failure and the counts
        // stay exact once the attempts in flight settle.
        await Promise.all([account.reward(accountId, 1), ip.reward(address, 1)]);
        const current = await status(accountId, address);
        const wait = Math.max(
          a.consumedPoints > config.max_failures ? a.msBeforeNext : 0,
          i.consumedPoints > config.max_failures_per_ip ? i.msBeforeNext : 0,
        );
        return {
          ok: false,
          retryAt: current.locked ? current.retryAt : new Date(now() + wait),
          accountLocked: a.consumedPoints > config.max_failures,
        };
      }
      let settled = false;
      const once = (settle: () => Promise<void>) => async () => {
        if (settled) return;
        settled = true;
        await settle();
      };
      return {
        ok: true,
        attempt: {
          succeed: once(async () => {
            await Promise.all([account.delete(accountId), ip.reward(address, 1)]);
          }),
          release: once(async () => {
            await Promise.all([account.reward(accountId, 1), ip.reward(address, 1)]);
          }),
          async fail() {
            if (!settled) {
              settled = true;
              await lockIfLast(accountId, a.consumedPoints);
            }
            return status(accountId, address);
          },
        },
      };
    },
  };
}

/** Counts sends (e.g. codes by email/SMS) per key; `consume` says whether one more is allowed. */
export interface SendLimiter {
  consume(key: string): Promise<boolean>;
  /** Gives back a send that never went out (the transport failed): it is not the user's fault. @default none: a failed send stays counted */
  refund?(key: string): Promise<void>;
  /** Drops the key's count (its account was deleted). @default none: the count expires with its window */
  forget?(key: string): Promise<void>;
}

/** `points` sends per key within `duration` seconds, in Redis when given, else in memory. */
export function createSendLimiter(
  store: { redis?: RedisClient; keyPrefix?: string },
  name: string,
  points: number,
  duration: number,
): SendLimiter {
  const opts: IRateLimiterOptions = { points, duration };
  const limiter: Limiter = store.redis
    ? new RateLimiterRedis({
        ...opts,
        storeClient: store.redis,
        keyPrefix: `${store.keyPrefix ?? ''}rl:${name}`,
      })
    : new RateLimiterMemory({ ...opts, keyPrefix: name });
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return true;
      } catch (res: unknown) {
        // Over the limit rejects with a RateLimiterRes; a store failure with an Error.
        if (res instanceof Error) throw res;
        return false;
      }
    },
    async refund(key) {
      await limiter.reward(key, 1);
    },
    async forget(key) {
      await limiter.delete(key);
    },
  };
}
