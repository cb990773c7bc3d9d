import { z } from 'zod';

/** `mfa.totp`: parameters for new enrolments (stored per credential) and the accepted window. */
export const totpOptions = z
  .strictObject({
    /** Shown in authenticator apps; no ":". @default "tollgate" */
    issuer: z
      .string()
      .min(1)
      .regex(/^[^:]+$/, 'no ":"')
      .default('tollgate'),
    /** SHA1 is what most apps support. @default "SHA1" */
    algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']).default('SHA1'),
    digits: z.union([z.literal(6), z.literal(8)]).default(6),
    /** Seconds. @default 30 */
    period: z.number().int().min(15).max(120).default(30),
    /** Steps accepted either side of now. @default 1 */
    window: z.number().int().min(0).max(5).default(1),
    /** Seed length. @default 20 */
    secret_bytes: z.number().int().min(20).max(64).default(20),
  })
  .prefault({});

export type TotpOptions = z.infer<typeof totpOptions>;
