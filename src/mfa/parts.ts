import { isMemoryKeyValueStore } from '../../adapters/memory-kv.ts';
import type { RedisClient } from '../../adapters/redis-client.ts';
import type { MfaConfig, TollgateConfig } from '../config/schema.ts';
import { createFactors, type FactorRegistry } from '../factors/index.ts';
import type { CredentialStore, FactorDefinition, KeyValueStore } from '../factors/types.ts';
import type { Logger } from '../log.ts';
import type { OtpService } from '../otp/service.ts';
import { type ClientMfaEntry, createMfaPolicy, type MfaPolicy } from '../policy/mfa.ts';
import { scopedAccounts, scopedCredentials, scopedKeyValue } from '../scope/stores.ts';
import { type Attempts, createAttempts } from '../security/attempts.ts';
import { createRegulation, MFA_SCOPE, PASSWORD_SCOPE, type Regulation } from '../security/regulation.ts';
import { secretBoxFromConfig } from '../security/secret-box.ts';
import type { Store } from '../server/store.ts';
import { createPendingStore, type PendingStore } from './pending.ts';
import { createRememberBrowser, type RememberBrowser } from './remember-browser.ts';

/** Everything the second-factor steps of the login need. */
export interface MfaParts {
  policy: MfaPolicy;
  factors: FactorRegistry;
  credentials: CredentialStore;
  kv: KeyValueStore;
  pending: PendingStore;
  regulation: Regulation;
  /** Wrong passwords per normalised username and per client IP (same limits, own counters). */
  passwordRegulation: Regulation;
  remember: RememberBrowser;
  /** Wrong codes before one challenge closes. */
  maxAttemptsPerChallenge: number;
  /** Second-factor attempts, taken before each check (per challenge, account and IP). */
  attempts: Attempts;
  /**
   * What of the login state lives only in this process (`'pending logins'`, `'attempt
   * counters'`): lost on restart and not shared between processes, so each process counts
   * attempts on its own. `createInteractionRouter` refuses it without `unsafeMemoryStore`.
   */
  inMemory: string[];
}

const DEFAULT_REGULATION: MfaConfig['regulation'] = {
  max_attempts_per_challenge: 5,
  max_failures: 10,
  find_time: 900,
  ban_time: 300,
  max_ban_time: 86_400,
  max_failures_per_ip: 50,
};

/** What {@link assembleMfa} builds the parts from: the shape a hand-built Provider has at hand. */
export interface MfaOptions {
  /** Per-client policy (`{ client_id, mfa: { policy, factors?, default_acr?, remember_browser_days? } }`). */
  clients: readonly ClientMfaEntry[];
  /** The factors (`createFactors`, or `factorRegistry([...])` with your own). Empty = MFA off. */
  factors: FactorRegistry;
  credentials: CredentialStore;
  kv: KeyValueStore;
  /** Rate limits live in Redis when given, else in memory. */
  redis?: RedisClient;
  /** @default "" */
  keyPrefix?: string;
  /** Signs the remember-browser cookie; use the first cookie key. */
  cookieKey: string;
  /** Seconds a pending login lives. @default 3600 */
  interactionTtl?: number;
  regulation?: Partial<MfaConfig['regulation']>;
  now?: () => number;
}

/** The attempt limiters of the login: wrong passwords, wrong codes, attempts per challenge. */
export type Limiters = Pick<
  MfaParts,
  'regulation' | 'passwordRegulation' | 'attempts' | 'maxAttemptsPerChallenge'
>;

/**
 * Builds the {@link Limiters} on a store. The server (through {@link assembleMfa}) and
 * `tollgate users unlock` both build them here, so they name the same counters.
 */
export function createLimiters(
  options: Pick<MfaOptions, 'redis' | 'keyPrefix' | 'interactionTtl' | 'regulation' | 'now'>,
): Limiters {
  const regulation = { ...DEFAULT_REGULATION, ...options.regulation };
  const now = options.now ?? Date.now;
  const store = { redis: options.redis, keyPrefix: options.keyPrefix ?? '' };
  const mfaRegulation = createRegulation(regulation, store, now, MFA_SCOPE);
  return {
    regulation: mfaRegulation,
    passwordRegulation: createRegulation(regulation, store, now, PASSWORD_SCOPE),
    maxAttemptsPerChallenge: regulation.max_attempts_per_challenge,
    attempts: createAttempts({
      ...store,
      regulation: mfaRegulation,
      perChallenge: regulation.max_attempts_per_challenge,
      // A step-up challenge outlives its interaction: re-asking must not find a fresh count.
      challengeTtl: options.interactionTtl ?? 3600,
    }),
  };
}

/** Builds the MFA parts from plain pieces. */
export function assembleMfa(options: MfaOptions): MfaParts {
  const now = options.now ?? Date.now;
  const enabled = options.factors.all().map((f) => f.id);
  // Pending logins and the factor used last are read once per request (src/scope/stores.ts).
  const kv = scopedKeyValue(options.kv);
  return {
    policy: createMfaPolicy(options.clients, enabled.length > 0 ? enabled : undefined),
    factors: options.factors,
    credentials: options.credentials,
    kv,
    pending: createPendingStore(kv, options.interactionTtl ?? 3600),
    ...createLimiters(options),
    remember: createRememberBrowser(options.cookieKey, now),
    inMemory: [
      ...(isMemoryKeyValueStore(options.kv) ? ['pending logins'] : []),
      ...(options.redis ? [] : ['attempt counters']),
    ],
  };
}

/** Builds the MFA parts from the configuration file on the given store. */
export function createMfaParts(
  config: TollgateConfig,
  store: Store,
  options: {
    otp?: OtpService;
    logger?: Logger;
    now?: () => number;
    /** Factors beyond the shipped ones that `mfa.factors` may name. */
    factors?: readonly FactorDefinition[];
  } = {},
): MfaParts {
  const now = options.now ?? Date.now;
  const mfa = config.mfa;
  const box = mfa ? secretBoxFromConfig(mfa.encryption_keys) : undefined;
  // One read of an account's credentials per request, shared by the factors and the steps.
  const credentials = scopedCredentials(store.credentials);
  return assembleMfa({
    clients: config.clients,
    factors: createFactors(
      mfa,
      {
        credentials,
        kv: scopedKeyValue(store.kv),
        box,
        otp: options.otp,
        logger: options.logger,
        now,
        redis: store.redis,
        keyPrefix: store.keyPrefix,
        issuer: config.issuer,
        accounts: scopedAccounts(store.accounts),
      },
      options.factors,
    ),
    credentials,
    kv: store.kv,
    redis: store.redis,
    keyPrefix: store.keyPrefix,
    cookieKey: config.cookies.keys[0] as string,
    interactionTtl: config.ttl.interaction,
    regulation: mfa?.regulation,
    now,
  });
}

/**
 * Parts for a provider without second factors (a hand-built Provider that only wants the
 * password pages): every login finishes after the password.
 */
export function noMfaParts(store: Pick<Store, 'credentials' | 'kv'>, cookieKey: string): MfaParts {
  return assembleMfa({ clients: [], factors: createFactors(undefined, store), ...store, cookieKey });
}
