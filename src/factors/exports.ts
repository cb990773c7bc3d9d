/** `tollgate/factors`: the factor plugin interface, the shipped factors and the registry. */
export { createFactors, type FactorRegistry, factorRegistry } from './index.ts';
export { createRecoveryFactor, type RecoveryFactor } from './recovery/index.ts';
export { createTotpFactor } from './totp/index.ts';
export type * from './types.ts';
