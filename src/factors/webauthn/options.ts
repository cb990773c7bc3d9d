import { z } from 'zod';

/** `mfa.webauthn`: the passkey relying party. Defaults derive everything from the issuer. */
export const webauthnOptions = z
  .strictObject({
    /** Relying party id (a registrable domain). @default the issuer's host name */
    rp_id: z.string().min(1).optional(),
    /** Origins the browser may report. @default the issuer's origin */
    origins: z.array(z.url()).min(1).optional(),
    /** Name shown by the authenticator. @default "tollgate" */
    rp_name: z.string().min(1).default('tollgate'),
    /** Attestation asked for at registration. @default "none" */
    attestation: z.enum(['none', 'direct']).default('none'),
    /** When set, only authenticators with one of these AAGUIDs may register. */
    aaguids: z.array(z.uuid()).optional(),
    /** Whether synced (backup-eligible) passkeys may register. @default true */
    allow_synced: z.boolean().default(true),
    /** User verification asked for. @default "preferred" */
    user_verification: z.enum(['required', 'preferred', 'discouraged']).default('preferred'),
    /** Milliseconds the browser waits, and the challenge lives. @default 120000 */
    timeout_ms: z.number().int().min(10_000).max(600_000).default(120_000),
  })
  .prefault({});

export type WebauthnOptions = z.infer<typeof webauthnOptions>;
