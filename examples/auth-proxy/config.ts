import { loadYamlConfig, parseYamlConfig, redisConnectionSchema, validateConfig } from 'tollgate';
import { z } from 'zod';
import { IDENTITY_HEADER_DEFAULTS } from './identity-headers.ts';
import { DEFAULT_ACR } from './levels.ts';
import { createRedirectValidator } from './redirect.ts';
import { compileRules } from './rules.ts';

/**
 * The auth-proxy's own configuration file, validated at start: every bad field is named in one
 * error, like tollgate's config. Field names are snake_case like tollgate's.
 */

/** An HTTP header name (RFC 9110 token). */
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid HTTP header name');

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** An origin: scheme, host and optional port, nothing after. */
const origin = httpUrl.refine((v) => new URL(v).origin === v.replace(/\/$/, ''), {
  message: 'must be an origin (scheme://host[:port]) without a path, query or fragment',
});

const ruleSchema = z.strictObject({
  host: z
    .string()
    .regex(/^(\*\.)?[a-z0-9.-]+$/, 'lower-case host name, or *.domain for its subdomains')
    .optional(),
  path_prefix: z.string().startsWith('/', 'must start with "/"').optional(),
  path_regex: z
    .string()
    .refine(
      (v) => {
        try {
          new RegExp(v);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'not a valid regular expression' },
    )
    .optional(),
  methods: z
    .array(z.string().regex(/^[A-Z]+$/, 'upper-case HTTP method'))
    .min(1)
    .optional(),
  /** Match path_prefix/path_regex with exact letter case. @default false */
  case_sensitive: z.boolean().optional(),
  policy: z.enum(['bypass', 'authenticated', 'mfa', 'deny']),
  groups: z.array(z.string().min(1)).min(1).optional(),
  users: z.array(z.string().min(1)).min(1).optional(),
  api: z.boolean().optional(),
  /** With `policy: mfa`: the level to prove. @default "two_factor" */
  require: z.enum(['two_factor', 'phishing_resistant']).optional(),
});

const upstreamSchema = z
  .strictObject({
    /** Exact host (lower case, no port), or `*.example.com` for its subdomains. */
    host: z.string().regex(/^(\*\.)?[a-z0-9.-]+$/, 'lower-case host name, or *.domain for its subdomains'),
    /** Only requests under this path (segment boundary) go here; longest prefix wins. */
    path_prefix: z.string().startsWith('/', 'must start with "/"').optional(),
    /** Where the reverse proxy sends them: `http://host:port[/base]`. Omitted: forward-auth only. */
    url: httpUrl.optional(),
    /**
     * `aud` of the assertion for this app, the value it verifies. Never taken from request
     * headers. @default the origin of `url`
     */
    audience: z.string().min(1).optional(),
  })
  .refine((u) => u.url !== undefined || u.audience !== undefined, {
    message: 'needs a url (reverse proxy) or an audience (forward-auth only), or both',
  });

const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'groups', 'offline_access'];

/** Parsed but not yet completed with defaults that depend on other fields. */
const rawSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(4180),
    })
    .prefault({}),
  /** The proxy's own origin as browsers reach it; the callback is `{public_url}/oauth2/callback`. */
  public_url: origin,
  provider: z.strictObject({
    issuer: httpUrl,
    client_id: z.string().min(1),
    client_secret: z.string().min(16, 'use at least 16 characters'),
    scopes: z
      .array(z.string().min(1))
      .default(DEFAULT_SCOPES)
      .refine((s) => s.includes('openid'), { message: 'must include openid' }),
  }),
  cookie: z.strictObject({
    /** @default `__Host-tollgate_proxy` when public_url is https, else `tollgate_proxy` */
    name: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid cookie name')
      .optional(),
    /** Session encryption keys are derived from it (HKDF); changing it signs everyone out. */
    secret: z.string().min(32, 'use at least 32 characters'),
  }),
  session: z
    .strictObject({
      /** Seconds a session lives from sign-in. @default 28800 (8 h) */
      ttl: z
        .number()
        .int()
        .min(60)
        .default(8 * 3600),
      /**
       * `redis://` URL, or the block tollgate's `store.redis` takes (`url`, `sentinel` or
       * `cluster`, with `tls`; no key_prefix); omitted = in-process memory (one proxy process only).
       */
      store: z
        .union([
          z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
          redisConnectionSchema,
        ])
        .optional(),
      /** Prefix of every Redis key the proxy writes. @default "tollgate-proxy:" */
      key_prefix: z.string().default('tollgate-proxy:'),
      /**
       * Milliseconds a process may reuse a session it read from Redis (Redis store only; 0 = read
       * Redis on every request). Changes (sign-out, back-channel logout, refresh) are published
       * and evict the copies in every process at once; while that channel is down the cache is
       * not used. A hung subscriber can still miss a change: this is then the longest a revoked
       * session keeps working in another process (hence at most 60000). @default 5000
       */
      cache_ms: z.number().int().min(0).max(60_000).default(5000),
      /**
       * Seconds a session's identity (groups, email, name) may be old: past it, the next request
       * refreshes the session (refresh token grant + userinfo) even when the access token is
       * still good, so a change at tollgate reaches the gate within this bound. 0 = only when the
       * access token is due. @default 300
       */
      refresh_identity: z.number().int().min(0).max(86_400).default(300),
    })
    .prefault({}),
  /**
   * Addresses (IPs or CIDR ranges) allowed to send X-Forwarded-* / X-Original-URL and to call
   * /auth/*; none by default. Behind them the client address is the right-most untrusted
   * X-Forwarded-For hop.
   */
  trusted_proxies: z
    .array(
      z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], {
        error: 'must be an IP address or a CIDR range (10.0.0.0/8, fd00::/8)',
      }),
    )
    .default([]),
  /** Limits on each request to an upstream (reverse proxy; connect_ms for WebSockets too). */
  upstream_timeouts: z
    .strictObject({
      /** Milliseconds to open the connection; then 504. @default 5000 */
      connect_ms: z.number().int().min(1).max(600_000).default(5000),
      /** Milliseconds from the request sent to the response headers; then 504. @default 60000 */
      response_ms: z.number().int().min(1).max(3_600_000).default(60_000),
      /**
       * Milliseconds the response body may pause between two chunks; then the response is cut
       * off (its status line is already out, so no error page can follow). @default 60000
       */
      idle_ms: z.number().int().min(1).max(3_600_000).default(60_000),
    })
    .prefault({}),
  /** Hosts `rd`/return/logout targets may point to (`.example.com` = domain and subdomains). */
  redirect_hosts: z.array(z.string().min(1)).default([]),
  upstreams: z.array(upstreamSchema).default([]),
  /** First match wins; no match = deny. */
  rules: z.array(ruleSchema).default([]),
  headers: z
    .strictObject({
      user: headerName.default(IDENTITY_HEADER_DEFAULTS.user),
      email: headerName.default(IDENTITY_HEADER_DEFAULTS.email),
      groups: headerName.default(IDENTITY_HEADER_DEFAULTS.groups),
      assertion: headerName.default(IDENTITY_HEADER_DEFAULTS.assertion),
    })
    .prefault({}),
  assertion: z
    .strictObject({
      /** Seconds an assertion JWT is valid. @default 60 */
      ttl: z.number().int().min(5).max(3600).default(60),
    })
    .prefault({}),
  /** tollgate's acr values per level, and the amr methods that prove a phishing-resistant one. */
  acr: z
    .strictObject({
      two_factor: z.string().min(1).default(DEFAULT_ACR.two_factor),
      phishing_resistant: z.string().min(1).default(DEFAULT_ACR.phishing_resistant),
      phishing_resistant_amr: z.array(z.string().min(1)).min(1).default(DEFAULT_ACR.phishing_resistant_amr),
    })
    .prefault({}),
});

/** The validated configuration, with every default filled in. */
export const proxyConfigSchema = rawSchema
  .superRefine((c, ctx) => {
    const https = c.public_url.startsWith('https:');
    const name = c.cookie.name ?? '';
    if (!https && (name.startsWith('__Host-') || name.startsWith('__Secure-'))) {
      ctx.addIssue({
        code: 'custom',
        path: ['cookie', 'name'],
        message: 'the __Host-/__Secure- prefixes need an https public_url (browsers drop them otherwise)',
      });
    }
    // The same checks the proxy runs at start, reported as configuration errors with their field.
    const check = (path: string, fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: [path], message: (err as Error).message });
      }
    };
    check('rules', () => compileRules(c.rules));
    check('redirect_hosts', () => createRedirectValidator({ allowedHosts: c.redirect_hosts }));
  })
  .transform((c) => {
    const https = c.public_url.startsWith('https:');
    return {
      ...c,
      public_url: c.public_url.replace(/\/$/, ''),
      cookie: { ...c.cookie, name: c.cookie.name ?? (https ? '__Host-tollgate_proxy' : 'tollgate_proxy') },
    };
  });

/** The proxy's validated configuration. */
export type ProxyConfig = z.output<typeof proxyConfigSchema>;

/** Reads and validates a proxy YAML file; throws ConfigError naming every bad field. */
export function loadProxyConfig(path: string, env: NodeJS.ProcessEnv = process.env): ProxyConfig {
  return loadYamlConfig(proxyConfigSchema, path, env);
}

/** Parses YAML text (tests, embedding). */
export function parseProxyConfig(text: string, source = '(text)', env: NodeJS.ProcessEnv = process.env) {
  return parseYamlConfig(proxyConfigSchema, text, source, env);
}

/** Validates a configuration object built in code. */
export function proxyConfig(raw: unknown, source = '(object)'): ProxyConfig {
  return validateConfig(proxyConfigSchema, raw, source);
}
