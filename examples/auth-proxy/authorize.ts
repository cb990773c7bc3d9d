import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AcrSettings } from './levels.ts';
import { decide, normalizePath, type RuleMatcher } from './rules.ts';
import { type SessionStore, ticketFrom } from './sessions.ts';
import { clientAddress, trustedProxyTest } from './trusted-proxies.ts';
import type { Decision, RequestTarget } from './types.ts';

/**
 * The one authorization core. The reverse proxy, the WebSocket upgrade and the nginx, Traefik
 * and Caddy forward-auth endpoints all ask it, so a request means the same everywhere.
 */

/** The request to authorize, as the adapter understood it. */
export interface AuthorizeContext {
  method: string;
  /** Absolute URL of the original request (see {@link originalUrlOf}); may be unparseable. */
  originalUrl: string | undefined;
  remoteAddress: string | undefined;
  /** The client's address through `trusted_proxies` (audit lines). */
  clientIp?: string;
  headers: IncomingHttpHeaders;
}

/** What the core needs: the rules, the sessions, and the name of the session cookie. */
export interface AuthorizeDeps {
  rules: RuleMatcher;
  sessions: SessionStore;
  cookieName: string;
  /** The acr values and methods each level needs. @default tollgate's */
  acr?: AcrSettings;
}

/** The core's answer plus what adapters need to act on it. */
export interface AuthorizeResult {
  decision: Decision;
  target?: RequestTarget;
  /** The parsed original URL. */
  url?: URL;
  /** The request's session ticket, when it has a live session (WebSockets watch it). */
  ticket?: string;
  /** Set when the URL or path cannot be understood: answer 400, never pass. */
  invalid?: 'url' | 'path';
  /** The client's address, from the context. */
  clientIp?: string;
}

const HOST_HEADER = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Authorizes one request. Throws when the session store fails: callers answer 503, never pass.
 * Rules see the host and the normalised path only; the session is read only when the matching
 * rule needs one, so `bypass` routes keep working and are never given an identity.
 */
export async function authorizeRequest(ctx: AuthorizeContext, deps: AuthorizeDeps): Promise<AuthorizeResult> {
  const refused = (invalid: 'url' | 'path'): AuthorizeResult => ({
    decision: { kind: 'forbidden', reason: 'no_rule' },
    invalid,
    clientIp: ctx.clientIp,
  });
  const url = parseAbsolute(ctx.originalUrl);
  if (!url || ctx.originalUrl === undefined) return refused('url');
  // The raw path, not the parser's: WHATWG quietly turns `\` into `/` and resolves dots, and the
  // upstream receives the raw bytes, so the raw form is what has to be judged.
  const path = normalizePath(rawPathOf(ctx.originalUrl));
  if (path === undefined) return refused('path');
  const target: RequestTarget = { method: ctx.method.toUpperCase(), host: url.hostname.toLowerCase(), path };
  const rule = deps.rules.match(target);
  if (!rule || rule.policy === 'bypass' || rule.policy === 'deny') {
    return { decision: decide(rule, undefined), target, url, clientIp: ctx.clientIp };
  }
  const ticket = ticketFrom(ctx.headers.cookie, deps.cookieName);
  const session = ticket ? await deps.sessions.loadFresh(ticket) : undefined;
  return {
    decision: decide(rule, session?.identity, deps.acr),
    target,
    url,
    ticket: session ? ticket : undefined,
    clientIp: ctx.clientIp,
  };
}

function parseAbsolute(raw: string | undefined): URL | undefined {
  if (!raw || !/^https?:\/\/[^/?#\\]/i.test(raw)) return undefined;
  try {
    const url = new URL(raw);
    return url.username || url.password ? undefined : url;
  } catch {
    return undefined;
  }
}

/** Everything after the authority of an absolute URL string; `/` when empty. */
function rawPathOf(absolute: string): string {
  const afterScheme = absolute.indexOf('//') + 2;
  const end = absolute.slice(afterScheme).search(/[/?#]/);
  if (end === -1) return '/';
  const rest = absolute.slice(afterScheme + end);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** True when the socket's peer is in `trusted_proxies` (IPs or CIDR ranges). */
export function isTrustedProxy(
  remoteAddress: string | undefined,
  trustedProxies: readonly string[],
): boolean {
  return trustedProxyTest(trustedProxies)(remoteAddress);
}

/** The client address for audit lines and limits (see trusted-proxies.ts). */
export function clientIpOf(req: IncomingMessage, trustedProxies: readonly string[]): string | undefined {
  return clientAddress(
    req.socket.remoteAddress,
    req.headers['x-forwarded-for'],
    trustedProxyTest(trustedProxies),
  );
}

const single = (v: string | string[] | undefined) => (Array.isArray(v) ? undefined : v);

/**
 * The absolute URL the client asked for. `X-Original-URL` (nginx) or `X-Forwarded-Proto/Host/Uri`
 * (Traefik, Caddy) count only when the peer is a trusted proxy; from anyone else they are
 * ignored (CVE-2026-40575). Otherwise the request's own line and Host. Undefined when the
 * request cannot be read as an origin-form URL (absolute-form, `*`, a malformed Host).
 * `ownPath` (the reverse proxy): the path is always the request's own, the one forwarded upstream.
 */
export function originalUrlOf(
  req: IncomingMessage,
  trustedProxies: readonly string[],
  options: { ownPath?: boolean } = {},
): string | undefined {
  if (isTrustedProxy(req.socket.remoteAddress, trustedProxies)) {
    const original = options.ownPath ? undefined : single(req.headers['x-original-url']);
    if (original) return original;
    const proto = single(req.headers['x-forwarded-proto']);
    const host = single(req.headers['x-forwarded-host']);
    // A TLS terminator in front of the reverse proxy sends Proto and Host only: the path is ours.
    const uri = (options.ownPath ? undefined : single(req.headers['x-forwarded-uri'])) ?? req.url ?? '';
    if (proto && host) {
      if (!/^https?$/i.test(proto) || !HOST_HEADER.test(host) || !uri.startsWith('/')) return undefined;
      return `${proto.toLowerCase()}://${host}${uri}`;
    }
  }
  const host = req.headers.host;
  const path = req.url ?? '';
  if (!host || !HOST_HEADER.test(host) || !path.startsWith('/')) return undefined;
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${encrypted ? 'https' : 'http'}://${host}${path}`;
}

/** The original method: `X-Forwarded-Method`/`X-Original-Method` from a trusted proxy, else the request's. */
export function originalMethodOf(req: IncomingMessage, trustedProxies: readonly string[]): string {
  if (isTrustedProxy(req.socket.remoteAddress, trustedProxies)) {
    const forwarded = single(req.headers['x-forwarded-method']) ?? single(req.headers['x-original-method']);
    if (forwarded && /^[A-Za-z]+$/.test(forwarded)) return forwarded.toUpperCase();
  }
  return (req.method ?? 'GET').toUpperCase();
}
