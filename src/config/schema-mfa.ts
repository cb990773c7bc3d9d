import { z } from 'zod';
import { optionalString } from './schema-parts.ts';

/**
 * The second-factor and code-delivery sections of the configuration: `delivery`, `otp` and
 * `mfa`. Split from schema.ts so each file stays readable; the shapes are documented in the
 * README's configuration reference.
 */

const base64Key = z
  .string()
  .refine(
    (k) => Buffer.from(k, 'base64').length === 32,
    'must be 32 bytes, base64 (openssl rand -base64 32)',
  );

const webhookSchema = z.strictObject({
  /** Receiver URL; tollgate POSTs JSON signed per Standard Webhooks. */
  url: z.url(),
  /** `whsec_` + base64 secret shared with the receiver. */
  secret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{24,}$/, 'must be whsec_ followed by base64 (at least 18 bytes)'),
  /** Per attempt. @default 5000 */
  timeout_ms: z.number().int().min(100).max(30_000).default(5000),
  /** Retries after the first attempt (network errors, 429, 5xx), while the code is valid. @default 4 */
  max_retries: z.number().int().min(0).max(10).default(4),
});

const smtpSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  /** `tls` = implicit TLS (465), `starttls` = upgrade required, `none` = plain (tests, local relays). @default "starttls" */
  security: z.enum(['tls', 'starttls', 'none']).default('starttls'),
  user: optionalString,
  password: optionalString,
  /** Sender, e.g. `tollgate <no-reply@example.com>`. */
  from: z.string().min(3),
  /** Connection and send timeout. @default 10000 */
  timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
  /** Accept self-signed certificates (tests only). @default false */
  allow_invalid_certificates: z.boolean().default(false),
});

export const deliverySchema = z
  .strictObject({
    email: z
      .union([
        z.strictObject({ smtp: smtpSchema }),
        z.strictObject({ webhook: webhookSchema }),
        /** Demo/dev: messages are written to files in `dir`, and a log line says where. */
        z.strictObject({ outbox: z.strictObject({ dir: z.string().min(1) }) }),
      ])
      .optional(),
    sms: z.strictObject({ webhook: webhookSchema }).optional(),
  })
  .default({ email: undefined, sms: undefined });

export const otpSchema = z
  .strictObject({
    /** Digits per code. @default 6 */
    digits: z.number().int().min(6).max(10).default(6),
    /** Seconds a code lives; at most 10 minutes. @default 600 */
    ttl: z.number().int().min(30).max(600).default(600),
    /** Wrong codes per code. @default 5 */
    max_attempts: z.number().int().min(1).max(10).default(5),
    /** Seconds between sends to the same session. @default 30 */
    resend_cooldown: z.number().int().min(5).max(600).default(30),
    /** Sends per session (the first included). @default 5 */
    max_sends: z.number().int().min(1).max(20).default(5),
    /** HMAC key for stored codes (32 bytes, base64). */
    hmac_key: base64Key,
    /**
     * OTP API limits: codes per address, per end-user IP and per client within an hour, and wrong
     * codes per end-user IP within an hour (across sessions; each session has its own cap too).
     */
    api_limits: z
      .strictObject({
        per_address: z.number().int().min(1).default(5),
        per_ip: z.number().int().min(1).default(20),
        per_client: z.number().int().min(1).default(1000),
        wrong_codes_per_ip: z.number().int().min(1).default(50),
      })
      .prefault({}),
  })
  .optional();

/** Factor ids: lower-case letters, digits, `-` and `_` (they appear in URLs and config keys). */
const factorIdSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a factor id');

/** Keys of `mfa` that are not a factor's options. */
const MFA_KEYS = ['factors', 'encryption_keys', 'regulation'];

const regulationSchema = z
  .strictObject({
    /** Wrong codes before a challenge closes. @default 5 */
    max_attempts_per_challenge: z.number().int().min(1).max(10).default(5),
    /** Wrong second-factor codes per account within find_time before a lockout. @default 10 */
    max_failures: z.number().int().min(3).max(99).default(10),
    /** Seconds. @default 900 */
    find_time: z.number().int().min(60).default(900),
    /** First lockout in seconds; each further lockout that day doubles it. @default 300 */
    ban_time: z.number().int().min(30).default(300),
    /** Longest lockout in seconds. @default 86400 */
    max_ban_time: z.number().int().min(60).default(86400),
    /** Wrong codes per client IP within find_time. @default 50 */
    max_failures_per_ip: z.number().int().min(5).max(1000).default(50),
  })
  .prefault({});

/** The `mfa` section as the rest of tollgate reads it; each factor's options sit under its id. */
export interface MfaSection {
  /** Factors users may use at all, by id. @default ["totp", "recovery"] */
  factors: string[];
  /**
   * AES-256-GCM keys that encrypt factor secrets (TOTP seeds) at rest, newest first: new
   * secrets use the first, old ones decrypt with the key id stored beside them.
   */
  encryption_keys: { id: string; key: string }[];
  regulation: z.infer<typeof regulationSchema>;
  /** `mfa.<factor id>`: that factor's options, parsed by its own schema. */
  [factor: string]: unknown;
}

/**
 * The `mfa` section for a set of registered factors: their options schemas are merged in
 * under their ids, and `mfa.factors` may name only registered ids.
 */
export function mfaSchemaFor(definitions: readonly { id: string; options?: z.ZodType }[]) {
  const options: Record<string, z.ZodType> = {};
  for (const d of definitions) {
    if (MFA_KEYS.includes(d.id)) throw new Error(`factor id ${d.id} is reserved`);
    if (d.options) options[d.id] = d.options;
  }
  const known = new Set(definitions.map((d) => d.id));
  return z
    .strictObject({
      factors: z
        .array(
          factorIdSchema.refine((id) => known.has(id), {
            message: `not a registered factor (known: ${[...known].join(', ')})`,
          }),
        )
        .default(['totp', 'recovery']),
      encryption_keys: z
        .array(
          z.strictObject({
            id: z
              .string()
              .min(1)
              .regex(/^[\w-]+$/),
            key: base64Key,
          }),
        )
        .min(1),
      regulation: regulationSchema,
      ...options,
    })
    .transform((v) => v as MfaSection)
    .optional();
}

/** Ids in client `mfa.factors` lists (checked against `mfa.factors` by the config schema). */
export const clientFactorId = factorIdSchema;
