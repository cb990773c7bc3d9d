import { z } from 'zod';
import { BUILTIN_FACTOR_OPTIONS } from '../factors/builtin-options.ts';
import { clientFactorId, deliverySchema, type MfaSection, mfaSchemaFor, otpSchema } from './schema-mfa.ts';
import { emptyToUndefined, optionalString } from './schema-parts.ts';
import { emptyRedisToUndefined, redisSchema } from './schema-redis.ts';
import { uiSchema } from './schema-ui.ts';

/**
 * The operator's configuration file, validated at start-up. Field names are snake_case like
 * OIDC client metadata, so a client block reads the same here as in the specs.
 */

const storeSchema = z
  .strictObject({
    /** Omit (or leave url empty) to use the embedded in-memory store: demo only, data is lost on restart. */
    redis: z.preprocess(emptyRedisToUndefined, redisSchema.optional()),
  })
  .default({ redis: undefined });

/** acr levels, weakest first (see src/policy/acr.ts). */
const acrValue = z.enum(['urn:tollgate:acr:1fa', 'urn:tollgate:acr:2fa', 'urn:tollgate:acr:phr']);

const clientMfaSchema = z.strictObject({
  /**
   * off: never ask for a second factor. optional: ask users who have one. required: every
   * user passes a second factor, enrolling one first when they have none. @default "optional"
   */
  policy: z.enum(['off', 'optional', 'required']).default('optional'),
  /** Factors this client accepts (a subset of mfa.factors). @default every enabled factor */
  factors: z.array(clientFactorId).optional(),
  /** acr asked for when the request names none. */
  default_acr: acrValue.optional(),
  /** false forbids NIST "restricted" factors (email, SMS codes) for this client. @default true */
  allow_restricted: z.boolean().default(true),
  /** Days a browser may skip the second factor after "remember this browser"; 0 = off. @default 0 */
  remember_browser_days: z.number().int().min(0).max(365).default(0),
  /** Only phishing-resistant factors (passkeys) satisfy this client. @default false */
  require_phishing_resistant: z.boolean().default(false),
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
    /** The app's home page: where "Back to <app>" on tollgate's pages goes. @default the origin of the first redirect URI */
    client_uri: z.url({ protocol: /^https?$/ }).optional(),
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

/**
 * "Forgot password?" on the login page: a code to the account's verified email address, then
 * a new password (interactions/reset.ts, src/accounts/password-reset.ts).
 */
const passwordResetSchema = z
  .strictObject({
    /**
     * Offer the reset. @default true when tollgate has an email delivery (`delivery.email`, or
     * the demo's file outbox that the `otp` section falls back to)
     */
    enabled: z.boolean().optional(),
    /** Seconds a reset code lives. @default 900 */
    ttl: z.number().int().min(60).max(3600).default(900),
    /** Digits per reset code. @default 8 */
    digits: z.number().int().min(6).max(10).default(8),
    /** Wrong codes per reset code. @default 5 */
    max_attempts: z.number().int().min(1).max(10).default(5),
    /** Reset requests per address (per username when the name has no verified address) per hour. @default 3 */
    per_address: z.number().int().min(1).max(100).default(3),
    /** Reset requests per client IP per hour. @default 20 */
    per_ip: z.number().int().min(1).max(10_000).default(20),
  })
  .prefault({});

const accountsSchema = z
  .strictObject({
    password_hash: argon2Schema,
    /** Passwords shorter than this are refused (the CLI and the password reset). @default 8 */
    min_password_length: z.number().int().min(8).default(8),
    password_reset: passwordResetSchema,
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
  .prefault({});

/** `host:port`, IPv6 hosts in brackets; port 0 picks a free port (tests). */
const listenAddress = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[\w.-]+):\d{1,5}$/, 'use host:port, e.g. 127.0.0.1:9464')
  .transform((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(s.slice(i + 1)) };
  })
  .refine((a) => a.port <= 65535, 'port out of range');

/**
 * The configuration schema for a set of registered factors: each factor's options schema is
 * merged in under `mfa.<id>`. {@link configSchema} is this for the shipped factors.
 */
export function createConfigSchema(
  factors: readonly { id: string; options?: z.ZodType }[] = BUILTIN_FACTOR_OPTIONS,
) {
  return z
    .strictObject({
      /** Public URL of the provider, as clients see it (no trailing slash). */
      issuer: z.url().refine((u) => !u.endsWith('/'), 'no trailing slash'),
      /** HTTP port; the PORT environment variable overrides it. @default 3000 */
      port: z.number().int().min(0).max(65535).default(3000),
      /** Listen address. @default "127.0.0.1" */
      host: z.string().default('127.0.0.1'),
      /**
       * Several tollgate processes on one host listen on the same port (Linux SO_REUSEPORT): the
       * kernel spreads connections over them, no balancer needed. Off, a second process on a taken
       * port fails to start, which is what a mistake should do. @default false
       */
      reuse_port: z.boolean().default(false),
      /** A TLS terminator or load balancer in front: read X-Forwarded-For/-Proto from `trusted_proxies`. @default false */
      proxy: z.boolean().default(false),
      /**
       * Addresses (IPv4/IPv6, single or CIDR) of the proxies whose X-Forwarded-For/-Proto count;
       * the client is the right-most X-Forwarded-For hop that is not one of them. Required with
       * `proxy: true`. @default []
       */
      trusted_proxies: z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()])).default([]),
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
      mfa: mfaSchemaFor(factors),
      /** Prometheus metrics at /metrics, on a listener of their own (never the public port). */
      metrics: z
        .strictObject({
          /** @default false */
          enabled: z.boolean().default(false),
          /** `host:port` of the metrics listener (`[::1]:9464` for IPv6). @default "127.0.0.1:9464" */
          listen: listenAddress.default(listenAddress.parse('127.0.0.1:9464')),
          /** When set, scrapers must send `Authorization: Bearer <token>`. */
          bearer_token: z.preprocess(
            emptyToUndefined,
            z.string().min(16, 'use at least 16 characters').optional(),
          ),
        })
        .prefault({}),
      /** How the pages look and speak: `ui.branding`, `ui.views_dir`, `ui.default_locale`, `ui.locales_dir`. */
      ui: uiSchema,
      /** Log level of the JSON logs. @default "info" */
      log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .superRefine((config, ctx) => {
      if (config.reuse_port && !config.store.redis) {
        ctx.addIssue({
          code: 'custom',
          path: ['reuse_port'],
          message: 'processes sharing a port must share a store: configure store.redis',
        });
      }
      if (config.proxy !== config.trusted_proxies.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: [config.proxy ? 'trusted_proxies' : 'proxy'],
          message: config.proxy
            ? 'proxy: true needs the addresses of the proxies in front'
            : 'trusted_proxies needs proxy: true',
        });
      }
      const enabled = new Set<string>(config.mfa?.factors ?? []);
      // Email falls back to the file outbox (demo); SMS has no such fallback.
      if (enabled.has('sms') && !config.delivery.sms) {
        ctx.addIssue({
          code: 'custom',
          path: ['delivery', 'sms'],
          message: 'mfa.factors has sms: configure delivery.sms',
        });
      }
      if (config.accounts.password_reset.enabled === true && !config.delivery.email && !config.otp) {
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', 'password_reset', 'enabled'],
          message: 'the password reset sends its code by email: configure delivery.email',
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
}

/** The configuration schema with the shipped factors registered. */
export const configSchema = createConfigSchema();

export type TollgateConfig = z.infer<typeof configSchema>;
export type MfaConfig = MfaSection;
export type ClientMfaConfig = z.infer<typeof clientMfaSchema>;
export type ClientConfig = TollgateConfig['clients'][number];
export type RedisConfig = NonNullable<TollgateConfig['store']['redis']>;
export type Argon2Config = TollgateConfig['accounts']['password_hash'];
