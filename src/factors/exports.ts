/** `tollgate/factors`: the factor plugin interface, the shipped factors and the registry. */
export { createAddressFactor } from './address/index.ts';
export { BUILTIN_FACTORS } from './builtin.ts';
export { createFactors, type FactorRegistry, factorRegistry } from './index.ts';
export { createRecoveryFactor, type RecoveryFactor } from './recovery/index.ts';
export { createTotpFactor } from './totp/index.ts';
export type * from './types.ts';
