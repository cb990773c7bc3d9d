import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'tollgate';
import type { AssertionSigner } from './assertion.ts';
import {
  type AuthorizeContext,
  type AuthorizeDeps,
  type AuthorizeResult,
  authorizeRequest,
  clientIpOf,
  isTrustedProxy,
  originalUrlOf,
} from './authorize.ts';
import type { ProxyConfig } from './config.ts';
import { failureStatus } from './failures.ts';
import { answerDenied, auditDenied, wantsJson } from './forward-auth.ts';
import { gatewayError, refuseUpgrade } from './gateway-errors.ts';
import { foldHeaderName, identityHeaderValues, strippedHeaderNames } from './identity-headers.ts';
import { translatorFor } from './language.ts';
import { notice, sendPage } from './pages.ts';
import { upstreamTarget } from './rules.ts';
import { hashTicket } from './sessions.ts';
import { normalizeAddress } from './trusted-proxies.ts';
import type { Identity } from './types.ts';
import { createUpstreamClient, upstreamFailure } from './upstream-http.ts';
import { upstreamRouter } from './upstreams.ts';
import { type CloseReason, createWebSocketProxy, type Tunnel, WS_CLOSE } from './websocket-proxy.ts';

/**
 * Reverse proxy mode: authorize with the core, then stream the request to the upstream chosen by
 * host and path prefix (undici, upstream-http.ts), with identity headers set (after every
 * client-sent copy is removed) and a signed assertion. WebSocket upgrades are authorized the
 * same way, proxied by http-proxy-3 (websocket-proxy.ts) and closed with a close code when the
 * session ends (destroyed here: at once; elsewhere, expired or no longer allowed: at the next
 * periodic check).
 */

/** Dependencies of {@link createReverseProxy}. */
export interface ReverseProxyDeps extends AuthorizeDeps {
  config: ProxyConfig;
  signer: AssertionSigner;
  logger: Logger;
  /** How often open WebSockets re-check their session and rule. @default 5000 */
  websocketCheckMs?: number;
}

export interface ReverseProxy {
  handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void>;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  /** Stops the session checks, closes open WebSockets (1001) and the upstream pools. */
  close(): Promise<void>;
}

// RFC 9110 7.6.1, plus Proxy-Connection and Keep-Alive that old clients still send. Neither
// library drops them: http-proxy-3 passes them on both ways, undici refuses some request ones.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
// Set by us only; a client's copy (any spelling) is dropped, never passed on. `Expect` is
// answered here (node:http sends 100 Continue), and undici does not send it.
const FORWARDING = new Set(
  ['forwarded', 'x-real-ip', 'x-original-url', 'x-original-uri', 'x-original-method', 'expect'].map(
    foldHeaderName,
  ),
);

/**
 * The headers of a message minus the hop-by-hop ones (RFC 9110 7.6.1: the fixed list and every
 * name its `Connection` header lists) and minus those `drop` names. The one place both
 * directions strip them: requests to the upstream and its responses to the client.
 */
function withoutHopByHop(
  headers: IncomingHttpHeaders,
  drop?: (name: string) => boolean,
): OutgoingHttpHeaders {
  const listed = headers.connection
    ? String(headers.connection)
        .split(',')
        .map((t) => t.trim().toLowerCase())
    : [];
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || drop?.(name)) continue;
    if (listed.length > 0 && listed.includes(name)) continue;
    out[name] = value;
  }
  return out;
}
const responseHeaders = (headers: IncomingHttpHeaders) => withoutHopByHop(headers);

/** The close code for a WebSocket whose session no longer passes (see websocket-proxy.ts). */
function closeReasonOf(result: AuthorizeResult): CloseReason | undefined {
  const { kind } = result.decision;
  if (kind === 'allow') return undefined;
  if (kind === 'forbidden') return WS_CLOSE.forbidden;
  return kind === 'login' ? WS_CLOSE.sessionEnded : WS_CLOSE.signInRequired;
}

export function createReverseProxy(deps: ReverseProxyDeps): ReverseProxy {
  const { config, signer, logger } = deps;
  const names = [config.headers.user, config.headers.email, config.headers.groups, config.headers.assertion];
  // Client-sent copies of identity and forwarding headers: ours alone, never passed on.
  const banned = new Set([...strippedHeaderNames(names), ...FORWARDING]);
  const route = upstreamRouter(config.upstreams);
  // Node delivers header names in lower case: only `_` needs folding, and only when present.
  const dropFromClient = (name: string) => {
    const folded = name.includes('_') ? name.replaceAll('_', '-') : name;
    return banned.has(folded) || folded.startsWith('x-forwarded-');
  };
  const upstreams = createUpstreamClient(config.upstream_timeouts);
  const websockets = createWebSocketProxy({ config, logger });
  // Identity header values per identity object: a cached session hands out the same (frozen) one.
  const identityValues = new WeakMap<Identity, Record<string, string>>();
  const ownCookies = new Set([config.cookie.name, `${config.cookie.name}_csrf`]);
  const watched = new Map<string, Set<{ ctx: AuthorizeContext; tunnel: Tunnel }>>();

  const contextOf = (req: IncomingMessage): AuthorizeContext => ({
    method: req.method ?? 'GET',
    originalUrl: originalUrlOf(req, config.trusted_proxies, { ownPath: true }),
    remoteAddress: req.socket.remoteAddress,
    clientIp: clientIpOf(req, config.trusted_proxies),
    headers: req.headers,
  });

  /** What the upstream receives: identity and forwarding headers are ours alone. One pass. */
  async function upstreamHeaders(
    req: IncomingMessage,
    result: AuthorizeResult,
    upstream: URL,
    audience: string,
  ) {
    const headers = withoutHopByHop(req.headers, dropFromClient);
    // The session cookie is a bearer credential for the proxy: the upstream never needs it.
    const cookie = req.headers.cookie;
    if (cookie !== undefined) {
      const kept = cookie
        .split(';')
        .filter((pair) => pair.trim() && !ownCookies.has(pair.split('=', 1)[0]?.trim() ?? ''));
      if (kept.length > 0) headers.cookie = kept.join(';').trim();
      else delete headers.cookie;
    }
    const peer = normalizeAddress(req.socket.remoteAddress) ?? 'unknown';
    const chain = req.headers['x-forwarded-for'];
    const trusted = isTrustedProxy(req.socket.remoteAddress, config.trusted_proxies);
    headers['x-forwarded-for'] = trusted && typeof chain === 'string' ? `${chain}, ${peer}` : peer;
    headers['x-forwarded-proto'] = result.url?.protocol.slice(0, -1) ?? 'http';
    headers['x-forwarded-host'] = result.url?.host ?? '';
    headers.host = upstream.host;
    const { decision } = result;
    if (decision.kind === 'allow' && decision.identity) {
      const { identity } = decision;
      let values = identityValues.get(identity);
      if (!values) {
        values = identityHeaderValues(identity, config.headers);
        // Only a cached (frozen) identity can come back; memoising others would only cost memory.
        if (Object.isFrozen(identity)) identityValues.set(identity, values);
      }
      Object.assign(headers, values);
      // Audience: the configured one of the upstream this request goes to; reused per session.
      const session = result.ticket ? hashTicket(result.ticket) : undefined;
      // A compact JWS is base64url and dots only: header-safe as it is.
      headers[config.headers.assertion] = await signer.sign(identity, audience, session);
    }
    return headers;
  }

  /** Where the request goes and with which headers; undefined when no upstream serves it. */
  async function targetOf(req: IncomingMessage, result: AuthorizeResult) {
    const found = result.target && route(result.target.host, result.target.path);
    if (!found || !result.target) return undefined;
    return {
      url: found.url,
      // The normalised path the rules judged, never the client's raw spelling of it.
      path: found.basePath + upstreamTarget(result.target.path, req.url ?? '/'),
      headers: await upstreamHeaders(req, result, found.url, found.audience),
    };
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse) {
    let result: AuthorizeResult;
    try {
      result = await authorizeRequest(contextOf(req), deps);
    } catch (err) {
      const status = failureStatus(err, logger, { via: 'reverse-proxy' });
      res
        .writeHead(status, { 'cache-control': 'no-store', 'content-type': 'text/plain' })
        .end(status === 503 ? 'Service unavailable' : 'Internal error');
      return;
    }
    if (result.decision.kind !== 'allow') {
      auditDenied(logger, result, 'reverse-proxy');
      return answerDenied(req, res, config, result);
    }
    const target = await targetOf(req, result);
    if (!target) {
      if (wantsJson(req, result)) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no_upstream"}');
      } else {
        sendPage(res, 404, notice(translatorFor(req), 'proxy.noUpstreamTitle', 'proxy.noUpstreamMessage'));
      }
      return;
    }
    try {
      await upstreams.forward(
        req,
        res,
        { origin: target.url.origin, path: target.path, headers: target.headers },
        responseHeaders,
      );
    } catch (err) {
      const failure = upstreamFailure(err);
      if (failure === 'aborted') return;
      // The details (address, errno, which timeout) go to the log only, never to the client.
      logger.warn(
        { err: (err as Error).message, failure, upstream: target.url.host, path: result.target?.path },
        'auth-proxy: upstream request failed',
      );
      if (res.headersSent) return void res.destroy();
      gatewayError(res, failure === 'timeout' ? 504 : 502, wantsJson(req, result), translatorFor(req));
    }
  }

  function watch(ctx: AuthorizeContext, ticket: string, tunnel: Tunnel) {
    const hash = hashTicket(ticket);
    const entry = { ctx, tunnel };
    const set = watched.get(hash) ?? new Set();
    set.add(entry);
    watched.set(hash, set);
    tunnel.onClosed(() => {
      set.delete(entry);
      if (set.size === 0 && watched.get(hash) === set) watched.delete(hash);
    });
  }

  deps.sessions.onDestroy((hash) => {
    for (const entry of watched.get(hash) ?? []) entry.tunnel.close(WS_CLOSE.sessionEnded);
  });

  // Sessions end elsewhere too (another proxy process, expiry, a revoked group): re-ask the core.
  const timer = setInterval(() => {
    for (const set of watched.values()) {
      for (const entry of set) {
        authorizeRequest(entry.ctx, deps).then(
          (r) => {
            const why = closeReasonOf(r);
            if (why) entry.tunnel.close(why);
          },
          // Fail closed: a session that cannot be checked is not kept open.
          () => entry.tunnel.close(WS_CLOSE.unavailable),
        );
      }
    }
  }, deps.websocketCheckMs ?? 5000);
  timer.unref();

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    socket.on('error', () => socket.destroy());
    const ctx = contextOf(req);
    let result: AuthorizeResult;
    try {
      result = await authorizeRequest(ctx, deps);
    } catch {
      return refuseUpgrade(socket, 503, 'Service Unavailable');
    }
    const { decision } = result;
    if (result.invalid) return refuseUpgrade(socket, 400, 'Bad Request');
    if (decision.kind === 'login' || decision.kind === 'step_up') {
      return refuseUpgrade(socket, 401, 'Unauthorized');
    }
    if (decision.kind !== 'allow') return refuseUpgrade(socket, 403, 'Forbidden');
    const target = await targetOf(req, result);
    if (!target) return refuseUpgrade(socket, 404, 'Not Found');
    const tunnel = await websockets.open(req, socket, head, target);
    if (tunnel && result.ticket) watch(ctx, result.ticket, tunnel);
  }

  return {
    handleRequest,
    handleUpgrade,
    async close() {
      clearInterval(timer);
      for (const set of watched.values()) for (const entry of set) entry.tunnel.close(WS_CLOSE.shutdown);
      watched.clear();
      await upstreams.close();
    },
  };
}
