/**
 * Identity headers the proxy sends upstream, and the stripping of client-sent look-alikes.
 *
 * An upstream that trusts `X-Forwarded-User` must only ever see the value the proxy set. Many
 * stacks fold header names: any case, and `_` read as `-` (CGI/WSGI/PHP turn both into
 * `HTTP_X_FORWARDED_USER`). A client that sends `X_Forwarded_User: admin` next to the proxy's
 * `X-Forwarded-User` can win (oauth2-proxy CVE-2025-64484, Traefik CVE-2026-54763, Caddy
 * CVE-2026-30851). So every header whose folded name equals a folded identity name is deleted,
 * always, even when the proxy has nothing to set (anonymous `bypass` requests).
 */
import type { Identity } from './types.ts';

/** Names of the headers the proxy sets upstream. */
export interface IdentityHeaderNames {
  user: string;
  email: string;
  groups: string;
  /** Carries the signed assertion JWT (see assertion.ts). */
  assertion: string;
}

/** Default names, as oauth2-proxy and most upstream integrations expect them. */
export const IDENTITY_HEADER_DEFAULTS: Readonly<IdentityHeaderNames> = Object.freeze({
  user: 'X-Forwarded-User',
  email: 'X-Forwarded-Email',
  groups: 'X-Forwarded-Groups',
  assertion: 'X-Tollgate-Assertion',
});

/**
 * THE list of identity header names: the proxy's own defaults, then every name a common gate or
 * platform sets for its upstreams (oauth2-proxy, Authelia, Authentik, Pomerium, Vouch, Grafana's
 * auth proxy, Apache/CGI, Google IAP, AWS ALB, Azure App Service, Cloudflare Access, Kong). We
 * set only the first four, but a client could send any of them, and an app moved behind this
 * proxy may still trust them: every spelling of each is removed from every request, whatever
 * names are configured. It is the single source of the reverse proxy's stripping and of the
 * delete lines in the nginx, Caddy and Traefik snippets (snippets.ts writes them, and
 * test/proxy/snippets.test.ts fails when a snippet differs). Dash form, one entry per name.
 */
export const ALWAYS_STRIPPED_HEADERS: readonly string[] = Object.freeze([
  IDENTITY_HEADER_DEFAULTS.user,
  IDENTITY_HEADER_DEFAULTS.email,
  IDENTITY_HEADER_DEFAULTS.groups,
  IDENTITY_HEADER_DEFAULTS.assertion,
  // oauth2-proxy
  'X-Forwarded-Preferred-Username',
  'X-Forwarded-Access-Token',
  'X-Auth-Request-User',
  'X-Auth-Request-Email',
  'X-Auth-Request-Groups',
  'X-Auth-Request-Preferred-Username',
  'X-Auth-Request-Access-Token',
  // Authelia
  'Remote-User',
  'Remote-Email',
  'Remote-Groups',
  'Remote-Name',
  // Apache mod_auth_*, CGI-style and hand-rolled gates
  'X-Remote-User',
  'X-Remote-Email',
  'X-Remote-Groups',
  'X-Remote-Name',
  'X-User',
  'X-Username',
  'X-Email',
  'X-Groups',
  'X-Forwarded-Name',
  'X-Forwarded-Username',
  'X-Authenticated-User',
  'X-Authenticated-Userid',
  // Grafana auth proxy
  'X-Webauth-User',
  'X-Webauth-Email',
  'X-Webauth-Name',
  'X-Webauth-Groups',
  // Authentik
  'X-Authentik-Username',
  'X-Authentik-Email',
  'X-Authentik-Name',
  'X-Authentik-Groups',
  'X-Authentik-Uid',
  'X-Authentik-Jwt',
  // Pomerium, Vouch
  'X-Pomerium-Jwt-Assertion',
  'X-Pomerium-Claim-Email',
  'X-Pomerium-Claim-Groups',
  'X-Vouch-User',
  // Google IAP, AWS ALB, Azure App Service, Cloudflare Access, Kong
  'X-Goog-Authenticated-User-Email',
  'X-Goog-Authenticated-User-Id',
  'X-Goog-Iap-Jwt-Assertion',
  'X-Amzn-Oidc-Identity',
  'X-Amzn-Oidc-Data',
  'X-Amzn-Oidc-Accesstoken',
  'X-Ms-Client-Principal',
  'X-Ms-Client-Principal-Name',
  'X-Ms-Client-Principal-Id',
  'Cf-Access-Authenticated-User-Email',
  'Cf-Access-Jwt-Assertion',
  'X-Consumer-Username',
]);

/** Incoming headers as Node delivers them. */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** The name an upstream may effectively read: case folded, `_` read as `-`. */
export function foldHeaderName(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

/**
 * Folded names of the headers to strip from every request: `names` (the configured identity
 * headers) and {@link ALWAYS_STRIPPED_HEADERS}. Build once; test with `has(foldHeaderName(n))`.
 */
export function strippedHeaderNames(names: readonly string[]): ReadonlySet<string> {
  return new Set([...names, ...ALWAYS_STRIPPED_HEADERS].map(foldHeaderName));
}

/**
 * Returns a copy of `headers` without any header that folds to one of `names` or to one of
 * {@link ALWAYS_STRIPPED_HEADERS}. Call it on every request before setting identity headers.
 */
export function stripIdentityHeaders(headers: HeaderMap, names: readonly string[]): HeaderMap {
  const banned = strippedHeaderNames(names);
  const kept: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!banned.has(foldHeaderName(name))) kept[name] = value;
  }
  return kept;
}

// CR/LF would split the header (response splitting); other controls confuse parsers.
const CONTROL = /\p{Cc}/gu;

/**
 * Makes a value safe to send: control characters removed; non-ASCII sent as its UTF-8 bytes.
 * Node (and undici) write header strings as Latin-1 and throw on characters above U+00FF, so
 * the returned string is the Latin-1 view of the UTF-8 bytes: it goes on the wire as UTF-8.
 */
export function headerValue(value: string): string {
  const clean = value.replace(CONTROL, '');
  // Controls are gone, so anything outside printable ASCII is non-ASCII.
  return /[^ -~]/.test(clean) ? Buffer.from(clean, 'utf8').toString('latin1') : clean;
}

/**
 * The identity headers to set upstream: user (username, else sub), email when known, groups
 * comma-joined when any, and the assertion when given. A group name containing a comma cannot
 * be represented in the list and is left out (fewer groups, never a forged one).
 */
export function identityHeaderValues(
  identity: Identity,
  names: IdentityHeaderNames = IDENTITY_HEADER_DEFAULTS,
  assertion?: string,
): Record<string, string> {
  const out: Record<string, string> = { [names.user]: headerValue(identity.username ?? identity.sub) };
  if (identity.email !== undefined) out[names.email] = headerValue(identity.email);
  const groups = identity.groups.map(headerValue).filter((group) => group !== '' && !group.includes(','));
  if (groups.length > 0) out[names.groups] = groups.join(',');
  if (assertion !== undefined) out[names.assertion] = headerValue(assertion);
  return out;
}
