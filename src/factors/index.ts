import type { Redis } from 'ioredis';
import type { MfaConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { OtpService } from '../otp/service.ts';
import { createSendLimiter, type SendLimiter } from '../security/regulation.ts';
import type { SecretBox } from '../security/secret-box.ts';
import { createAddressFactor } from './address/index.ts';
import { createRecoveryFactor, type RecoveryFactor } from './recovery/index.ts';
import { createTotpFactor } from './totp/index.ts';
import type { CredentialStore, Factor, KeyValueStore } from './types.ts';

/** The enabled factors, by id, in configuration order. */
export interface FactorRegistry {
  get(id: string): Factor | undefined;
  all(): Factor[];
  /** Recovery codes, when enabled (they have an API beyond {@link Factor}). */
  recovery?: RecoveryFactor;
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
  redis?: Redis;
  /** @default "" */
  keyPrefix?: string;
  /** Overrides the default send limits of the email/SMS factors (tests, custom stores). */
  sendLimits?: { perAccount: SendLimiter; perAddress: SendLimiter };
}

/** Codes sent per account and per destination address within an hour (each channel counts apart). */
export const SENDS_PER_ACCOUNT_PER_HOUR = 10;
export const SENDS_PER_ADDRESS_PER_HOUR = 5;

/** Registry over any list of factors: a team adding its own factor passes it here. */
export function factorRegistry(factors: Factor[]): FactorRegistry {
  const byId = new Map(factors.map((f) => [f.id, f]));
  return {
    get: (id) => byId.get(id),
    all: () => [...byId.values()],
    recovery: byId.get('recovery') as RecoveryFactor | undefined,
    async enrolled(accountId, allowed) {
      const candidates = allowed.map((id) => byId.get(id)).filter((f): f is Factor => f !== undefined);
      const flags = await Promise.all(candidates.map((f) => f.isEnrolled(accountId)));
      return candidates.filter((_f, i) => flags[i]);
    },
  };
}

/** Builds the factors named in `mfa.factors`; none when MFA is not configured. */
export function createFactors(config: MfaConfig | undefined, deps: FactorDeps): FactorRegistry {
  const factors: Factor[] = [];
  for (const id of config?.factors ?? []) {
    if (id === 'totp') {
      if (!deps.box || !config) throw new Error('totp needs mfa.encryption_keys');
      factors.push(
        createTotpFactor({
          config: config.totp,
          credentials: deps.credentials,
          kv: deps.kv,
          box: deps.box,
          now: deps.now,
        }),
      );
    } else if (id === 'email' || id === 'sms') {
      if (!deps.otp) throw new Error(`${id} codes need the otp section and a delivery`);
      factors.push(
        createAddressFactor({
          channel: id,
          otp: deps.otp,
          credentials: deps.credentials,
          logger: deps.logger,
          sendLimits: deps.sendLimits ?? {
            perAccount: createSendLimiter(deps, `${id}-send-account`, SENDS_PER_ACCOUNT_PER_HOUR, 3600),
            perAddress: createSendLimiter(deps, `${id}-send-address`, SENDS_PER_ADDRESS_PER_HOUR, 3600),
          },
        }),
      );
    } else if (id === 'recovery' && config) {
      factors.push(
        createRecoveryFactor({
          count: config.recovery.count,
          credentials: deps.credentials,
          kv: deps.kv,
          now: deps.now,
        }),
      );
    }
  }
  return factorRegistry(factors);
}
