/**
 * The one validator for every place the proxy sends a browser to a URL it was given: the `rd`
 * parameter, the return URL kept across sign-in, and logout targets (SECURITY.md, Auth-proxy).
 *
 * Open-redirect bugs live in the gap between what a validator thinks a string means and what the
 * browser makes of it (oauth2-proxy CVE-2020-5233, CVE-2020-11053, CVE-2020-4037, CVE-2021-21291;
 * Authelia GHSA-36f2-fcrx-fp4j). So the raw string is first held to a narrow, boring shape, and
 * only then handed to the WHATWG URL parser (the one browsers use) whose result is checked again.
 *
 * Decisions:
 * - Only two shapes pass: `http(s)://host[:port]/...` and a path `/x...` on the proxy's own origin.
 *   Anything else (`https:evil.com`, `evil.com`, `?x`, `javascript:`) is refused.
 * - The authority (between `//` and the first `/`, `?` or `#`) must be printable ASCII without `%`
 *   or `@`: no userinfo, no percent-decoded hosts, no Unicode look-alikes; IDN hosts are written as
 *   punycode, which is what browsers send in `Host` anyway.
 * - Before the query, the path may not carry encoded `/`, `\`, control characters or `%25`
 *   (double encoding): an upstream that decodes again would otherwise see `//evil.com`.
 * - A resulting path starting with `//` is refused (`/.//evil.com`), so code that later emits only
 *   the path and query as a relative `Location` cannot turn it into a protocol-relative URL.
 * - Any port on an allowed host is accepted: the host, not the port, is the trust boundary (same
 *   as browsers' cookies), and dev setups run on `:8443` and friends.
 * - A host with a trailing dot (`example.com.`) is refused; it is a different cookie/TLS name.
 * - IP literals pass only when listed exactly; a `.suffix` entry never matches an IP.
 * - `http:` needs `allowHttp`; relative targets take the scheme of the proxy's own `base`.
 */

/** Options of {@link createRedirectValidator}. */
export interface RedirectValidatorOptions {
  /**
   * Hosts a target may point to. `app.example.com` matches exactly that host; `.example.com`
   * matches `example.com` and any subdomain, on a label boundary only. IP literals (`127.0.0.1`,
   * `[::1]`) match exactly. No ports, no wildcards (`*`), no trailing dots.
   */
  allowedHosts: string[];
  /**
   * Accept `http:` targets on allowed hosts (local development).
   * @default false
   */
  allowHttp?: boolean;
}

/** Returns the parsed target when it is safe to redirect to, else `undefined`. */
export type RedirectValidator = (target: string, base: URL) => URL | undefined;

/** Longest target accepted; longer ones are refused, not truncated. */
export const MAX_REDIRECT_LENGTH = 2048;

// Raw whitespace/control anywhere (C0, C1, DEL, space), plus Unicode whitespace (\s covers NBSP,
// U+2028, U+3000, BOM...) and format characters (soft hyphen, zero-width, bidi overrides) that
// parsers silently drop or that make a URL display differently from what it is.
const FORBIDDEN_RAW = /[\p{Cc}\p{Cf}\s\\]/u;
const ABSOLUTE = /^(https?):\/\/([^/?#]*)/i;
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
// Printable ASCII minus `%` and `@`; further limits come from the URL parser and the allow-list.
const SAFE_AUTHORITY = /^[!$&-?A-~]+$/;
const BAD_PATH_ESCAPE = /%(?:[01][0-9a-f]|7f|2f|5c|25)/i;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

function isIpLiteral(hostname: string): boolean {
  return hostname.startsWith('[') || IPV4.test(hostname);
}

interface AllowList {
  exact: Set<string>;
  suffixes: string[];
}

/** Normalises one allow-list entry the way `URL` would normalise a host, refusing odd ones. */
function compileAllowList(entries: string[]): AllowList {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const [index, raw] of entries.entries()) {
    const fail = (why: string): never => {
      throw new Error(`redirect allowedHosts[${index}] ${JSON.stringify(raw)}: ${why}`);
    };
    const isSuffix = raw.startsWith('.');
    let name = (isSuffix ? raw.slice(1) : raw).toLowerCase();
    if (name === '' || name.endsWith('.') || /[*/\\@?#%\s]/.test(name)) fail('not a host name');
    // A colon outside brackets is a bare IPv6 address; `host:port` then fails to parse, as it should.
    if (name.includes(':') && !name.startsWith('[')) name = `[${name}]`;
    if (name.startsWith('[') && !name.endsWith(']')) fail('ports are not part of an allow-list entry');
    const hostname = parse(`https://${name}/`)?.hostname ?? fail('not a host name');
    if (isSuffix) {
      // `.0.1` would parse as the IPv4 address 0.0.0.1: a domain suffix must stay a domain.
      if (isIpLiteral(hostname) || hostname !== name) fail('a `.domain` entry must be a plain domain name');
      suffixes.push(hostname);
    } else {
      exact.add(hostname);
    }
  }
  return { exact, suffixes };
}

function hostAllowed(hostname: string, allow: AllowList): boolean {
  if (allow.exact.has(hostname)) return true;
  if (isIpLiteral(hostname) || hostname.endsWith('.')) return false;
  return allow.suffixes.some((suffix) => hostname === suffix || hostname.endsWith(`.${suffix}`));
}

/** Splits off the part before the query/fragment: that is where encoded tricks matter. */
function beforeQuery(value: string): string {
  const end = value.search(/[?#]/);
  return end === -1 ? value : value.slice(0, end);
}

/**
 * Builds the redirect validator. Throws at start when an allow-list entry is malformed, so a typo
 * cannot silently widen or empty the list.
 */
export function createRedirectValidator(options: RedirectValidatorOptions): RedirectValidator {
  const allow = compileAllowList(options.allowedHosts);
  const allowHttp = options.allowHttp ?? false;

  return (target, base) => {
    if (typeof target !== 'string' || target === '' || target.length > MAX_REDIRECT_LENGTH) return undefined;
    if (FORBIDDEN_RAW.test(target)) return undefined;

    const absolute = ABSOLUTE.exec(target);
    if (absolute) {
      const scheme = (absolute[1] ?? '').toLowerCase();
      const authority = absolute[2] ?? '';
      if (scheme === 'http' && !allowHttp) return undefined;
      // Empty authority covers `https:///evil.com`, which the parser would read as host evil.com.
      if (!SAFE_AUTHORITY.test(authority)) return undefined;
      const rest = target.slice(absolute[0].length);
      if (BAD_PATH_ESCAPE.test(beforeQuery(rest))) return undefined;
      const url = parse(target);
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
      if (url.username !== '' || url.password !== '') return undefined;
      if (!hostAllowed(url.hostname, allow)) return undefined;
      if (url.pathname.startsWith('//')) return undefined;
      return url;
    }

    if (HAS_SCHEME.test(target)) return undefined; // javascript:, data:, https:evil.com, ...
    // A path on our own origin: one `/`, then not another `/` (protocol-relative) or `\`.
    if (!/^\/(?![/\\])/.test(target)) return undefined;
    if (BAD_PATH_ESCAPE.test(beforeQuery(target))) return undefined;
    const url = parse(target, base);
    if (!url || url.origin !== base.origin || url.pathname.startsWith('//')) return undefined;
    return url;
  };
}

function parse(value: string, base?: URL): URL | undefined {
  try {
    return new URL(value, base);
  } catch {
    return undefined;
  }
}
