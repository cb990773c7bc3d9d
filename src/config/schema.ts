import { z } from 'zod';

/**
 * The operator's configuration file, validated at start-up. Field names are snake_case like
 * OIDC client metadata, so a client block reads the same here as in the specs.
 */

const emptyToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const sentinelSchema = z.strictObject({
  /** Name of the monitored master. */
  name: z.string().min(1),
  nodes: z
    .array(z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }))
    .min(1),
  password: optionalString,
  sentinel_password: optionalString,
});

const redisSchema = z
  .strictObject({
    /** `redis://[:password@]host:port/db` or `rediss://` for TLS. */
    url: optionalString,
    sentinel: sentinelSchema.optional(),
    /** Prefix of every key tollgate writes, so one Redis can serve several deployments. @default "tollgate:" */
    key_prefix: z.string().default('tollgate:'),
  })
  .refine((r) => !(r.url && r.sentinel), { message: 'set either url or sentinel, not both' });

const storeSchema = z
  .strictObject({
    /** Omit (or leave url empty) to use the embedded in-memory store: demo only, data is lost on restart. */
    redis: z.preprocess((v) => {
      if (
        v &&
        typeof v === 'object' &&
        !('sentinel' in v) &&
        emptyToUndefined((v as { url?: unknown }).url) === undefined
      ) {
        return undefined;
      }
      return v;
    }, redisSchema.optional()),
  })
  .default({ redis: undefined });

/** Second factors tollgate ships. */
export const FACTOR_IDS = ['totp', 'recovery', 'email', 'sms'] as const;
export type FactorId = (typeof FACTOR_IDS)[number];
const factorId = z.enum(FACTOR_IDS);

/** acr levels, weakest first (see src/policy/acr.ts). */
const acrValue = z.enum(['urn:tollgate:acr:1fa', 'urn:tollgate:acr:2fa']);

const clientMfaSchema = z.strictObject({
  /**
   * off: never ask for a second factor. optional: ask users who have one. required: every
   * user passes a second factor, enrolling one first when they have none. @default "optional"
   */
  policy: z.enum(['off', 'optional', 'required']).default('optional'),
  /** Factors this client accepts (a subset of mfa.factors). @default every enabled factor */
  factors: z.array(factorId).optional(),
  /** acr asked for when the request names none. */
  default_acr: acrValue.optional(),
  /** false forbids NIST "restricted" factors (email, SMS codes) for this client. @default true */
  allow_restricted: z.boolean().default(true),
  /** Days a browser may skip the second factor after "remember this browser"; 0 = off. @default 0 */
  remember_browser_days: z.number().int().min(0).max(365).default(0),
});

const grantTypes = z.enum(['authorization_code', 'refresh_token', 'client_credentials']);

/** One client; exported so built-in clients are validated like configured ones. */
export const clientSchema = z
  .strictObject({
    client_id: z
      .string()
      .min(1)
      .regex(/^[\w.-]+$/, 'letters, digits, "_", "-" and "." only'),
    /** Omit for a public client (SPA, native app): it must then use PKCE and `none` auth. */
    client_secret: z.preprocess(
      emptyToUndefined,
      z.string().min(16, 'use at least 16 characters').optional(),
    ),
    client_name: z.string().optional(),
    /** How a confidential client authenticates at the token endpoint. @default "client_secret_basic" */
    token_endpoint_auth_method: z
      .enum(['client_secret_basic', 'client_secret_post'])
      .default('client_secret_basic'),
    redirect_uris: z.array(z.url()).default([]),
    post_logout_redirect_uris: z.array(z.url()).default([]),
    /** OIDC Back-Channel Logout: tollgate POSTs a logout token here when the user's session ends. */
    backchannel_logout_uri: z.url().optional(),
    grant_types: z.array(grantTypes).min(1).default(['authorization_code', 'refresh_token']),
    /** Extra scopes this client may ask for beyond the standard ones. */
    scope: z.string().optional(),
    /** First-party clients skip the consent page. @default false */
    first_party: z.boolean().default(false),
    /** Resource servers may call the introspection endpoint for any token. @default false */
    resource_server: z.boolean().default(false),
    /** May call the OTP API (`/api/otp`) with its client credentials. @default false */
    otp_api: z.boolean().default(false),
    /** PKCE (S256) is required for every client unless an operator turns it off here. @default true */
    require_pkce: z.boolean().default(true),
    /** Second-factor policy; a bare `off | optional | required` is short for `{ policy: ... }`. */
    mfa: z.preprocess((v) => (typeof v === 'string' ? { policy: v } : (v ?? {})), clientMfaSchema),
  })
  .superRefine((c, ctx) => {
    const usesCode = c.grant_types.includes('authorization_code');
    if (usesCode && c.redirect_uris.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['redirect_uris'],
        message: 'authorization_code needs at least one redirect URI',
      });
    }
    if (c.grant_types.includes('client_credentials') && !c.client_secret) {
      ctx.addIssue({
        code: 'custom',
        path: ['client_secret'],
        message: 'client_credentials needs a client_secret',
      });
    }
    if (!c.client_secret && !c.require_pkce) {
      ctx.addIssue({ code: 'custom', path: ['require_pkce'], message: 'a public client must use PKCE' });
    }
  });

const ttlSchema = z
  .strictObject({
    access_token: z.number().int().positive().default(3600),
    authorization_code: z.number().int().positive().max(600).default(60),
    id_token: z.number().int().positive().default(3600),
    refresh_token: z
      .number()
      .int()
      .positive()
      .default(14 * 24 * 3600),
    client_credentials: z.number().int().positive().default(600),
    session: z
      .number()
      .int()
      .positive()
      .default(14 * 24 * 3600),
    interaction: z.number().int().positive().default(3600),
    grant: z
      .number()
      .int()
      .positive()
      .default(14 * 24 * 3600),
  })
  .default({
    access_token: 3600,
    authorization_code: 60,
    id_token: 3600,
    refresh_token: 14 * 24 * 3600,
    client_credentials: 600,
    session: 14 * 24 * 3600,
    interaction: 3600,
    grant: 14 * 24 * 3600,
  });

const argon2Schema = z
  .strictObject({
    /** KiB. OWASP minimum for argon2id. @default 19456 */
    memory_cost: z.number().int().min(19456).default(19456),
    /** @default 2 */
    time_cost: z.number().int().min(2).default(2),
    /** @default 1 */
    parallelism: z.number().int().min(1).default(1),
  })
  .default({ memory_cost: 19456, time_cost: 2, parallelism: 1 });

const accountsSchema = z
  .strictObject({
    password_hash: argon2Schema,
    /** Passwords shorter than this are refused by the CLI. @default 8 */
    min_password_length: z.number().int().min(8).default(8),
    /** Created at start when the store has no account at all: for the demo only. */
    demo_user: z
      .strictObject({
        username: z.string().min(1),
        password: z.string().min(8),
        email: z.email().optional(),
        name: z.string().optional(),
        groups: z.array(z.string()).default([]),
      })
      .optional(),
  })
  .default({
    password_hash: { memory_cost: 19456, time_cost: 2, parallelism: 1 },
    min_password_length: 8,
  });

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

const deliverySchema = z
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

const otpSchema = z
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
    hmac_key: base64KeyLate(),
    /** OTP API limits: codes per address, per end-user IP and per client within an hour. */
    api_limits: z
      .strictObject({
        per_address: z.number().int().min(1).default(5),
        per_ip: z.number().int().min(1).default(20),
        per_client: z.number().int().min(1).default(1000),
      })
      .prefault({}),
  })
  .optional();

function base64KeyLate() {
  return z
    .string()
    .refine(
      (k) => Buffer.from(k, 'base64').length === 32,
      'must be 32 bytes, base64 (openssl rand -base64 32)',
    );
}

const base64Key = z
  .string()
  .refine(
    (k) => Buffer.from(k, 'base64').length === 32,
    'must be 32 bytes, base64 (openssl rand -base64 32)',
  );

const mfaSchema = z
  .strictObject({
    /** Factors users may use at all. @default ["totp", "recovery"] */
    factors: z.array(factorId).default(['totp', 'recovery']),
    /**
     * AES-256-GCM keys that encrypt TOTP seeds at rest, newest first: new secrets use the
     * first, old ones decrypt with the key id stored beside them.
     */
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
    totp: z
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
      .prefault({}),
    recovery: z
      .strictObject({
        /** Codes per set. @default 10 */
        count: z.number().int().min(5).max(20).default(10),
      })
      .prefault({}),
    regulation: z
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
      .prefault({}),
  })
  .optional();

export const configSchema = z
  .strictObject({
    /** Public URL of the provider, as clients see it (no trailing slash). */
    issuer: z.url().refine((u) => !u.endsWith('/'), 'no trailing slash'),
    /** HTTP port; the PORT environment variable overrides it. @default 3000 */
    port: z.number().int().min(0).max(65535).default(3000),
    /** Listen address. @default "127.0.0.1" */
    host: z.string().default('127.0.0.1'),
    /** Trust X-Forwarded-Proto/-For from a TLS terminator in front. @default false */
    proxy: z.boolean().default(false),
    store: storeSchema,
    cookies: z.strictObject({
      /** Signing keys for cookies, newest first; at least 32 characters each. */
      keys: z.array(z.string().min(32, 'use at least 32 characters')).min(1),
    }),
    jwks: z
      .strictObject({
        /** JWKS file with private keys (`tollgate keys generate`). Omitted: ephemeral dev keys. */
        file: optionalString,
      })
      .default({ file: undefined }),
    ttl: ttlSchema,
    clients: z.array(clientSchema).default([]),
    accounts: accountsSchema,
    /** Where email and SMS codes are delivered. */
    delivery: z.preprocess((v) => v ?? undefined, deliverySchema),
    /** One-time codes sent by email/SMS (factors and the OTP API); needed when either is used. */
    otp: otpSchema,
    /** Second factors; omitted = no MFA at all (every client behaves as `mfa: off`). */
    mfa: mfaSchema,
    /** Prometheus metrics at /metrics. */
    metrics: z
      .strictObject({
        /** @default true */
        enabled: z.boolean().default(true),
        /** When set, scrapers must send `Authorization: Bearer <token>`. */
        bearer_token: optionalString,
      })
      .prefault({}),
    /** Log level of the JSON logs. @default "info" */
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((config, ctx) => {
    const enabled = new Set<string>(config.mfa?.factors ?? []);
    // Email falls back to the file outbox (demo); SMS has no such fallback.
    if (enabled.has('sms') && !config.delivery.sms) {
      ctx.addIssue({
        code: 'custom',
        path: ['delivery', 'sms'],
        message: 'mfa.factors has sms: configure delivery.sms',
      });
    }
    const usesOtp = enabled.has('email') || enabled.has('sms') || config.clients.some((c) => c.otp_api);
    if (usesOtp && !config.otp) {
      ctx.addIssue({
        code: 'custom',
        path: ['otp'],
        message: 'email/SMS codes and the OTP API need the otp section (hmac_key)',
      });
    }
    config.clients.forEach((client, i) => {
      if (client.mfa.policy === 'required' && !config.mfa) {
        ctx.addIssue({
          code: 'custom',
          path: ['clients', i, 'mfa', 'policy'],
          message: 'required needs the top-level mfa section',
        });
      }
      if (client.otp_api && !client.client_secret) {
        ctx.addIssue({
          code: 'custom',
          path: ['clients', i, 'otp_api'],
          message: 'the OTP API needs a client_secret',
        });
      }
      for (const factor of client.mfa.factors ?? []) {
        if (!enabled.has(factor)) {
          ctx.addIssue({
            code: 'custom',
            path: ['clients', i, 'mfa', 'factors'],
            message: `${factor} is not in mfa.factors`,
          });
        }
      }
    });
  });

export type TollgateConfig = z.infer<typeof configSchema>;
export type MfaConfig = NonNullable<TollgateConfig['mfa']>;
export type ClientMfaConfig = z.infer<typeof clientMfaSchema>;
export type ClientConfig = TollgateConfig['clients'][number];
export type RedisConfig = NonNullable<TollgateConfig['store']['redis']>;
export type Argon2Config = TollgateConfig['accounts']['password_hash'];
