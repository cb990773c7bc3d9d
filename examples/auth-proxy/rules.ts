/**
 * Access rules: path normalisation, rule compilation and matching, and the decision table.
 *
 * Rules see the normalised path only, never the query or fragment (CVE-2025-54576,
 * CVE-2026-41059): `/public?/admin` is a request for `/public`. Anything whose meaning upstreams
 * disagree on (encoded slashes, double encoding, control characters, `;` path parameters) is
 * refused outright rather than guessed, so the caller answers 400 and the request never reaches
 * a rule. Prefixes and regexes match regardless of letter case unless a rule says
 * `case_sensitive: true`, because many upstreams (Express, Koa router, ASP.NET, IIS) route
 * `/ADMIN` to the `/admin` handler.
 */
import { type AcrSettings, DEFAULT_ACR, meetsLevel } from './levels.ts';
import type { Decision, Identity, Policy, RequestTarget, Rule } from './types.ts';

/** The `acr` that proves a second factor (tollgate's two-factor level). */
export const ACR_2FA = DEFAULT_ACR.two_factor;

const POLICIES: readonly Policy[] = ['bypass', 'authenticated', 'mfa', 'deny'];
const CONTROL = /\p{Cc}/u;
// Encoded `/` and `\` mean a path separator to some upstreams and a plain byte to others.
const ENCODED_SEPARATOR = /%(?:2f|5c)/i;
// After one decode, a surviving `%XX` is double encoding: an upstream that decodes again would
// see a different path from the one we matched (`%252e%252e` -> `%2e%2e` -> `..`).
const STILL_ENCODED = /%[0-9a-f]{2}/i;

/**
 * Normalises a request path (with or without its query) for rule matching: cut at the first `?`
 * or `#`; must start with `/`; decode once; merge `//`; resolve `.` and `..` (never above `/`);
 * keep a trailing slash and the letter case. Returns `undefined` for anything that must be
 * refused: invalid or double encoding, encoded `/` or `\`, control characters, `\`, and `;`
 * (raw or `%3B`). Tomcat, Jetty and Spring cut `;params` off each segment (`/public/..;/admin`
 * is `/admin` there), other servers keep them as part of the name: no reading is safe for both.
 */
export function normalizePath(rawPathWithQuery: string): string | undefined {
  const end = rawPathWithQuery.search(/[?#]/);
  const raw = end === -1 ? rawPathWithQuery : rawPathWithQuery.slice(0, end);
  if (!raw.startsWith('/') || ENCODED_SEPARATOR.test(raw)) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined; // malformed `%` or invalid UTF-8
  }
  if (CONTROL.test(decoded) || /[\\;]/.test(decoded) || STILL_ENCODED.test(decoded)) return undefined;

  const stack: string[] = [];
  const segments = decoded.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') stack.pop();
    else stack.push(segment);
  }
  const last = segments[segments.length - 1];
  // `/a/` and `/a/.` and `/a/b/..` all name a directory: keep the slash the upstream will see.
  const trailing = last === '' || last === '.' || last === '..';
  if (stack.length === 0) return '/';
  return `/${stack.join('/')}${trailing ? '/' : ''}`;
}

// Left as they are in a path segment: RFC 3986 pchar minus `;` (never in a normalised path).
const PCHAR_KEPT = /%(?:24|26|2B|2C|3D|3A|40)/g;

/**
 * The request target to send upstream for a path from {@link normalizePath}: each segment
 * percent-encoded again (UTF-8, upper-case hex), `raw query` appended as received. What the
 * upstream receives is then exactly the path the rules judged, not the raw bytes a client chose.
 */
export function upstreamTarget(normalizedPath: string, rawPathWithQuery: string): string {
  const path = normalizedPath
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(PCHAR_KEPT, (m) => decodeURIComponent(m)))
    .join('/');
  const q = rawPathWithQuery.indexOf('?');
  if (q === -1) return path;
  const hash = rawPathWithQuery.indexOf('#', q);
  return path + rawPathWithQuery.slice(q, hash === -1 ? undefined : hash);
}

/** A compiled rule set. */
export interface RuleMatcher {
  /** The first rule that matches, or `undefined` (which {@link decide} turns into a deny). */
  match(target: RequestTarget): Rule | undefined;
}

const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);
const METHOD = /^[A-Z]+$/;

interface Compiled {
  rule: Rule;
  matches(target: RequestTarget): boolean;
}

function compileOne(rule: Rule, index: number): Compiled {
  const fail = (why: string): never => {
    throw new Error(`rules[${index}]: ${why}`);
  };
  if (!POLICIES.includes(rule.policy)) fail(`unknown policy ${JSON.stringify(rule.policy)}`);
  if ((rule.policy === 'bypass' || rule.policy === 'deny') && (rule.groups || rule.users)) {
    // A bypass rule with groups reads like a restriction but lets everyone in: refuse the config.
    fail(`groups/users have no effect on a ${rule.policy} rule`);
  }
  if (rule.groups?.length === 0 || rule.users?.length === 0) fail('groups/users must not be empty lists');
  // A level on a rule that never checks one would read like a protection it does not give.
  if (rule.require !== undefined && rule.policy !== 'mfa') fail('require is only for policy: mfa');

  let hostTest: ((host: string) => boolean) | undefined;
  if (rule.host !== undefined) {
    const pattern = rule.host.toLowerCase();
    const wildcard = pattern.startsWith('*.');
    const name = wildcard ? pattern.slice(2) : pattern;
    if (!HOSTNAME.test(name)) fail(`invalid host ${JSON.stringify(rule.host)} (exact name or *.domain)`);
    hostTest = wildcard ? (host) => host.endsWith(`.${name}`) : (host) => host === name;
  }

  const caseSensitive = rule.case_sensitive === true;
  let prefix: string | undefined;
  if (rule.path_prefix !== undefined) {
    const normal = normalizePath(rule.path_prefix);
    if (normal === undefined || normal !== rule.path_prefix || rule.path_prefix.includes('?')) {
      fail(`path_prefix ${JSON.stringify(rule.path_prefix)} must be a normalised path`);
    }
    // `/admin/` and `/admin` name the same subtree; the boundary check below adds the slash.
    prefix = rule.path_prefix.length > 1 ? rule.path_prefix.replace(/\/$/, '') : '/';
    if (!caseSensitive) prefix = prefix.toLowerCase();
  }

  let regex: RegExp | undefined;
  if (rule.path_regex !== undefined) {
    try {
      regex = new RegExp(rule.path_regex, caseSensitive ? '' : 'i');
    } catch (error) {
      fail(`path_regex does not compile: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  let methods: Set<string> | undefined;
  if (rule.methods !== undefined) {
    if (rule.methods.length === 0) fail('methods must not be an empty list');
    for (const method of rule.methods) {
      if (!METHOD.test(method)) fail(`method ${JSON.stringify(method)} must be upper-case letters`);
    }
    methods = new Set(rule.methods);
  }

  return {
    rule,
    matches(target) {
      if (hostTest && !hostTest(target.host.toLowerCase())) return false;
      if (methods && !methods.has(target.method.toUpperCase())) return false;
      if (prefix !== undefined && prefix !== '/') {
        const path = caseSensitive ? target.path : target.path.toLowerCase();
        if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
      }
      // Compiled without the g/y flags, so `test` keeps no state between requests.
      if (regex && !regex.test(target.path)) return false;
      return true;
    },
  };
}

/**
 * Validates the rules (throws naming the offending index) and returns a first-match matcher.
 * `target.path` must come from {@link normalizePath}; `path_regex` is tested against it only.
 */
export function compileRules(rules: Rule[]): RuleMatcher {
  const compiled = rules.map(compileOne);
  return {
    match(target) {
      return compiled.find((entry) => entry.matches(target))?.rule;
    },
  };
}

function inAudience(rule: Rule, identity: Identity): boolean {
  if (!rule.groups && !rule.users) return true;
  if (rule.groups?.some((group) => identity.groups.includes(group))) return true;
  return (
    rule.users?.some(
      (user) => user === identity.sub || (identity.username !== undefined && user === identity.username),
    ) ?? false
  );
}

/**
 * The decision table. Group/user checks come before the MFA check, so nobody is asked for a
 * second factor only to be refused afterwards.
 */
export function decide(
  rule: Rule | undefined,
  identity: Identity | undefined,
  acr: AcrSettings = DEFAULT_ACR,
): Decision {
  if (!rule) return { kind: 'forbidden', identity, reason: 'no_rule' };
  switch (rule.policy) {
    case 'deny':
      return { kind: 'forbidden', rule, identity, reason: 'deny_rule' };
    case 'bypass':
      return { kind: 'allow', rule, identity };
    case 'authenticated':
    case 'mfa': {
      if (!identity) return { kind: 'login', rule };
      if (!inAudience(rule, identity)) return { kind: 'forbidden', rule, identity, reason: 'not_in_group' };
      if (rule.policy === 'mfa') {
        const level = rule.require ?? 'two_factor';
        if (!meetsLevel(level, identity, acr)) return { kind: 'step_up', rule, identity, level };
      }
      return { kind: 'allow', rule, identity };
    }
    default:
      // Unreachable for a typed Rule; an unknown policy from loose config fails closed.
      return { kind: 'forbidden', rule, identity, reason: 'deny_rule' };
  }
}
