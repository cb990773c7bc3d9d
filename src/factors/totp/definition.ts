import type { FactorDefinition } from '../types.ts';
import { createTotpFactor } from './index.ts';
import { type TotpOptions, totpOptions } from './options.ts';

/** The TOTP factor as a plug-in: options under `mfa.totp`, seeds sealed with `mfa.encryption_keys`. */
export const totpDefinition: FactorDefinition<TotpOptions> = {
  id: 'totp',
  options: totpOptions,
  create({ options, credentials, kv, box, now }) {
    if (!box) throw new Error('totp needs mfa.encryption_keys');
    return createTotpFactor({ config: options, credentials, kv, box, now });
  },
};
