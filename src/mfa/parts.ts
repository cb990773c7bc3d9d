import type { TollgateConfig } from '../config/schema.ts';
import { createFactors, type FactorRegistry } from '../factors/index.ts';
import type { CredentialStore, KeyValueStore } from '../factors/types.ts';
import { createMfaPolicy, type MfaPolicy } from '../policy/mfa.ts';
import { createRegulation, type Regulation } from '../security/regulation.ts';
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
  remember: RememberBrowser;
  /** Wrong codes before one challenge closes. */
  maxAttemptsPerChallenge: number;
}

/**
 * Parts for a provider without second factors (a hand-built Provider that only wants the
 * password pages): every login finishes after the password.
 */
export function noMfaParts(store: Pick<Store, 'credentials' | 'kv'>, cookieKey: string): MfaParts {
  const config = { clients: [], mfa: undefined, ttl: { interaction: 3600 }, cookies: { keys: [cookieKey] } };
  return createMfaParts(config as unknown as TollgateConfig, { ...store, keyPrefix: '' } as Store);
}

/** Builds the MFA parts from configuration on the given store. */
export function createMfaParts(config: TollgateConfig, store: Store, now: () => number = Date.now): MfaParts {
  const mfa = config.mfa;
  const box = mfa ? secretBoxFromConfig(mfa.encryption_keys) : undefined;
  const regulationConfig = mfa?.regulation ?? {
    max_attempts_per_challenge: 5,
    max_failures: 10,
    find_time: 900,
    ban_time: 300,
    max_ban_time: 86_400,
    max_failures_per_ip: 50,
  };
  return {
    policy: createMfaPolicy(config),
    factors: createFactors(mfa, { credentials: store.credentials, kv: store.kv, box, now }),
    credentials: store.credentials,
    kv: store.kv,
    pending: createPendingStore(store.kv, config.ttl.interaction),
    regulation: createRegulation(regulationConfig, { redis: store.redis, keyPrefix: store.keyPrefix }, now),
    remember: createRememberBrowser(config.cookies.keys[0] as string, now),
    maxAttemptsPerChallenge: regulationConfig.max_attempts_per_challenge,
  };
}
