import type { Level } from './levels.ts';

/**
 * Shared vocabulary of the auth-proxy. The proxy has one authorization core (authorize.ts)
 * and thin adapters over it: the reverse proxy, and forward-auth for nginx, Traefik and Caddy.
 */

/** Who is signed in, as the proxy's session knows it (from tollgate's ID token / userinfo). */
export interface Identity {
  sub: string;
  username?: string;
  email?: string;
  name?: string;
  groups: string[];
  /** `urn:tollgate:acr:1fa`, `urn:tollgate:acr:2fa` or `urn:tollgate:acr:phr`. */
  acr?: string;
  /** RFC 8176 methods, e.g. ["pwd", "otp", "mfa"]. */
  amr: string[];
}

/** What a matching rule demands. */
export type Policy = 'bypass' | 'authenticated' | 'mfa' | 'deny';

/** One access rule from the configuration; the first that matches wins, no match = deny. */
export interface Rule {
  /** Exact host, or `*.example.com` for any subdomain (not the apex). Omitted = any host. */
  host?: string;
  /** Prefix of the normalised path, on a segment boundary (`/admin` matches `/admin/x`, not `/administrator`). */
  path_prefix?: string;
  /** Regular expression over the normalised path (never the query or fragment). */
  path_regex?: string;
  /**
   * Match `path_prefix` and `path_regex` with exact letter case (for upstreams that route
   * case-sensitively and serve different things under `/Admin` and `/admin`).
   * @default false: `/ADMIN/x` matches an `/admin` rule
   */
  case_sensitive?: boolean;
  /** Upper-case methods; omitted = any. */
  methods?: string[];
  policy: Policy;
  /** The user must be in at least one of these groups. */
  groups?: string[];
  /** Or be one of these users (username or sub). */
  users?: string[];
  /** Treat as an API route: 401/403 JSON instead of redirects. */
  api?: boolean;
  /**
   * With `policy: mfa`: the level the session must prove; `phishing_resistant` wants a passkey
   * (tollgate's `urn:tollgate:acr:phr` and a `hwk`/`swk` amr). @default "two_factor"
   */
  require?: Level;
}

/** The request being authorized, after parsing and normalisation. */
export interface RequestTarget {
  method: string;
  /** Lower-case host without port. */
  host: string;
  /** Normalised path (dot segments resolved, duplicate slashes merged, decoded once). */
  path: string;
}

/** The core's answer. */
export type Decision =
  | { kind: 'allow'; rule: Rule; identity?: Identity }
  /** No session: send the user to sign in. */
  | { kind: 'login'; rule: Rule }
  /** Signed in below the rule's level: sign in again asking tollgate for that level. */
  | { kind: 'step_up'; rule: Rule; identity: Identity; level: Level }
  /** Signed in but not allowed (groups/users), or a deny rule, or no rule at all. */
  | { kind: 'forbidden'; rule?: Rule; identity?: Identity; reason: 'no_rule' | 'deny_rule' | 'not_in_group' };
