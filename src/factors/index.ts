import type { RedisClient } from '../../adapters/redis-client.ts';
import type { AccountStore } from '../accounts/types.ts';
import type { Logger } from '../log.ts';
import type { OtpService } from '../otp/service.ts';
import type { SendLimiter } from '../security/regulation.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { BUILTIN_FACTORS } from './builtin.ts';
import type { CredentialStore, Factor, FactorDefinition, KeyValueStore } from './types.ts';

export { SENDS_PER_ACCOUNT_PER_HOUR, SENDS_PER_ADDRESS_PER_HOUR } from './address/definition.ts';

/** The enabled factors, by id, in configuration order. */
export interface FactorRegistry {
  get(id: string): Factor | undefined;
  all(): Factor[];
  /** The backup factor (recovery codes), when one is enabled. */
  backup(): Factor | undefined;
  /** Factors among `allowed` that the account has set up, in `allowed` order. */
  enrolled(accountId: string, allowed: readonly string[]): Promise<Factor[]>;
}

/** What the factors are built from. */
export interface FactorDeps {
  credentials: CredentialStore;
  kv: KeyValueStore;
  box?: SecretBox;
  /** Sends and checks email/SMS codes; needed for those factors. */
  otp?: OtpService;
  /** Audit log for factor events. */
  logger?: Logger;
  /** Injected clock (ms) for deterministic tests. */
  now?: () => number;
  /** Send limits of email/SMS codes live in Redis when given, else in memory. */
  redis?: RedisClient;
  /** @default "" */
  keyPrefix?: string;
  /** The issuer URL, for factors bound to the origin (passkeys). */
  issuer?: string;
  /** Overrides the default send limits of the email/SMS factors (tests, custom stores). */
  sendLimits?: { perAccount: SendLimiter; perAddress: SendLimiter };
  /** The accounts: the email/SMS factors mark the address they prove as verified. */
  accounts?: Pick<AccountStore, 'findById' | 'update'>;
}

/** The `mfa` configuration the registry reads: the factor list and each factor's options by id. */
export interface FactorsConfig {
  factors: readonly string[];
  [id: string]: unknown;
}

/** Registry over any list of factors: a team adding its own factor passes it here. */
export function factorRegistry(factors: Factor[]): FactorRegistry {
  const byId = new Map(factors.map((f) => [f.id, f]));
  return {
    get: (id) => byId.get(id),
    all: () => [...byId.values()],
    backup: () => factors.find((f) => f.backup),
    async enrolled(accountId, allowed) {
      const candidates = allowed.map((id) => byId.get(id)).filter((f): f is Factor => f !== undefined);
      const flags = await Promise.all(candidates.map((f) => f.isEnrolled(accountId)));
      return candidates.filter((_f, i) => flags[i]);
    },
  };
}

/**
 * Builds the factors named in `mfa.factors` from their definitions (the shipped ones and any
 * `extra`); none when MFA is not configured. Each gets its own options, `mfa.<id>`.
 */
export function createFactors(
  config: FactorsConfig | undefined,
  deps: FactorDeps,
  extra: readonly FactorDefinition[] = [],
): FactorRegistry {
  const definitions = new Map([...BUILTIN_FACTORS, ...extra].map((d) => [d.id, d]));
  const factors = (config?.factors ?? []).map((id) => {
    const definition = definitions.get(id);
    if (!definition) throw new Error(`mfa.factors names ${id}, which no registered factor provides`);
    const options = definition.options ? definition.options.parse(config?.[id] ?? {}) : config?.[id];
    return definition.create({
      ...deps,
      options,
      now: deps.now ?? Date.now,
      keyPrefix: deps.keyPrefix ?? '',
    });
  });
  return factorRegistry(factors);
}
