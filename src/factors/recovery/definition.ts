import type { FactorDefinition } from '../types.ts';
import { createRecoveryFactor } from './index.ts';
import { type RecoveryOptions, recoveryOptions } from './options.ts';

/** Recovery codes as a plug-in: a `backup` factor, options under `mfa.recovery`. */
export const recoveryDefinition: FactorDefinition<RecoveryOptions> = {
  id: 'recovery',
  options: recoveryOptions,
  create: ({ options, credentials, kv, now }) =>
    createRecoveryFactor({ count: options.count, credentials, kv, now }),
};
