import { emailDefinition, smsDefinition } from './address/definition.ts';
import { recoveryDefinition } from './recovery/definition.ts';
import { totpDefinition } from './totp/definition.ts';
import type { FactorDefinition } from './types.ts';
import { webauthnDefinition } from './webauthn/definition.ts';

/** The factors tollgate ships, registered by default. Pass more to `createTollgate({ factors })`. */
export const BUILTIN_FACTORS: readonly FactorDefinition[] = [
  totpDefinition as FactorDefinition,
  recoveryDefinition as FactorDefinition,
  emailDefinition,
  smsDefinition,
  webauthnDefinition as FactorDefinition,
];
