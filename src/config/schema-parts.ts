import { z } from 'zod';

/** Building blocks shared by the configuration schema files. */

export const emptyToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
export const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

/** Second factors tollgate ships. */
export const FACTOR_IDS = ['totp', 'recovery', 'email', 'sms'] as const;
export type FactorId = (typeof FACTOR_IDS)[number];
export const factorId = z.enum(FACTOR_IDS);
