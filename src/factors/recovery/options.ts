import { z } from 'zod';

/** `mfa.recovery`. */
export const recoveryOptions = z
  .strictObject({
    /** Codes per set. @default 10 */
    count: z.number().int().min(5).max(20).default(10),
  })
  .prefault({});

export type RecoveryOptions = z.infer<typeof recoveryOptions>;
