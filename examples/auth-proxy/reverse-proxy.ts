import {
  type ClientRequest,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
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
import { foldHeaderName, identityHeaderValues, strippedHeaderNames } from './identity-headers.ts';
import { upstreamTarget } from './rules.ts';
import { hashTicket } from './sessions.ts';
import { normalizeAddress } from './trusted-proxies.ts';
import type { Identity } from './types.ts';
import { upstreamRouter } from './upstreams.ts';

/**
 * Reverse proxy mode: authorize with the core, then stream the request to the upstream chosen by
 * host and path prefix, with identity headers set (after every client-sent copy is removed) and
 * a signed assertion. WebSocket upgrades are authorized the same way and closed when the session
 * ends (destroyed here: at once; elsewhere or expired: at the next periodic check).
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
  /** Stops the session checks and closes open WebSockets. */
  close(): void;
}

// RFC 9110 7.6.1, plus Proxy-Connection and Keep-Alive that old clients still send.
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
// Set by us only; a client's copy (any spelling) is dropped, never passed on.
const FORWARDING = new Set(
  ['forwarded', 'x-real-ip', 'x-original-url', 'x-original-uri', 'x-original-method'].map(foldHeaderName),
);

/** The upstream did not connect, or did not answer, in time (`upstream_timeouts`). */
export class UpstreamTimeoutError extends Error {
  override name = 'UpstreamTimeoutError';
}

/**
 * Destroys the request with an {@link UpstreamTimeoutError} when the connection is not open
 * after `connect_ms`, or the response headers have not arrived `response_ms` after the request
 * (body included) was sent. A reused keep-alive socket is open already.
 */
function withTimeouts(upstreamReq: ClientRequest, limits: { connect_ms: number; response_ms: number }) {
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number, what: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => upstreamReq.destroy(new UpstreamTimeoutError(`${what} timeout (${ms} ms)`)), ms);
  };
  const done = () => clearTimeout(timer);
  arm(limits.connect_ms, 'connect');
  upstreamReq.once('socket', (socket) => {
    if (!socket.connecting) return done();
    socket.once('connect', done);
  });
  upstreamReq.once('finish', () => arm(limits.response_ms, 'response'));
  upstreamReq.once('response', done);
  upstreamReq.once('upgrade', done);
  upstreamReq.once('close', done);
}

/** 502/504: a fixed page or JSON code, nothing about the upstream (address, errno, timing). */
function gatewayError(res: ServerResponse, status: 502 | 504, json: boolean) {
  const [error, title] =
    status === 504 ? ['gateway_timeout', 'Gateway timeout'] : ['bad_gateway', 'Bad gateway'];
  const body = json
    ? JSON.stringify({ error })
    : `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1><p>The application behind this address did not answer. Please try again in a moment.</p></main></body></html>\n`;
  res.writeHead(status, {
    'cache-control': 'no-store',
    'content-type': json ? 'application/json' : 'text/html; charset=utf-8',
  });
  res.end(body);
}

/**
 * The headers of a message minus the hop-by-hop ones (RFC 9110 7.6.1: the fixed list and every
 * name its `Connection` header lists) and minus those `drop` names. The one place both
 * directions strip them: requests to the upstream and its responses to the client.
 */
function withoutHopByHop(
  headers: Record<string, string | string[] | undefined>,
  drop?: (name: string) => boolean,
): OutgoingHttpHeaders {
  const listed = headers.connection
    ? String(headers.connection)
        .split(',')
        .map((t) => t.trim().toLowerCase())
    : [];
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || listed.includes(lower) || drop?.(name)) continue;
    out[name] = value;
  }
  return out;
}

export function createReverseProxy(deps: ReverseProxyDeps): ReverseProxy {
  const { config, signer, logger } = deps;
  const names = [config.headers.user, config.headers.email, config.headers.groups, config.headers.assertion];
  // Client-sent copies of identity and forwarding headers: ours alone, never passed on.
  const banned = new Set([...strippedHeaderNames(names), ...FORWARDING]);
  const route = upstreamRouter(config.upstreams);
  const dropFromClient = (name: string) => {
    const folded = foldHeaderName(name);
    return banned.has(folded) || folded.startsWith('x-forwarded-');
  };
  // Identity header values per identity object: a cached session hands out the same (frozen) one.
  const identityValues = new WeakMap<Identity, Record<string, string>>();
  const ownCookies = new Set([config.cookie.name, `${config.cookie.name}_csrf`]);
  const watched = new Map<string, Set<{ ctx: AuthorizeContext; close(): void }>>();

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
    const cookies = String(req.headers.cookie ?? '')
      .split(';')
      .filter((pair) => pair.trim() && !ownCookies.has(pair.split('=', 1)[0]?.trim() ?? ''));
    if (cookies.length > 0) headers.cookie = cookies.join(';').trim();
    else delete headers.cookie;
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

  /** The upstream request, or undefined when no upstream serves this host and path. */
  async function open(req: IncomingMessage, result: AuthorizeResult, extra: OutgoingHttpHeaders = {}) {
    const found = result.target && route(result.target.host, result.target.path);
    if (!found || !result.target) return undefined;
    const base = found.url;
    const headers = Object.assign(await upstreamHeaders(req, result, base, found.audience), extra);
    const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
    // The normalised path the rules judged, never the client's raw spelling of it.
    const upstreamReq = send({
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port,
      method: req.method,
      path: found.basePath + upstreamTarget(result.target.path, req.url ?? '/'),
      headers,
    });
    withTimeouts(upstreamReq, config.upstream_timeouts);
    return upstreamReq;
  }

  async function authorize(req: IncomingMessage) {
    return authorizeRequest(contextOf(req), deps);
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse) {
    let result: AuthorizeResult;
    try {
      result = await authorize(req);
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
    const upstreamReq = await open(req, result);
    if (!upstreamReq) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('No upstream for this address');
      return;
    }
    upstreamReq.on('response', (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, withoutHopByHop(upstreamRes.headers));
      upstreamRes.pipe(res);
    });
    upstreamReq.on('error', (err) => {
      const timeout = err instanceof UpstreamTimeoutError;
      // The details (address, errno, which timeout) go to the log only, never to the client.
      logger.warn(
        { err: err.message, upstream: upstreamReq.host, path: result.target?.path },
        'auth-proxy: upstream request failed',
      );
      if (res.headersSent) return void res.destroy();
      gatewayError(res, timeout ? 504 : 502, wantsJson(req, result));
    });
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    req.pipe(upstreamReq);
  }

  function refuse(socket: Duplex, status: number, reason: string) {
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nCache-Control: no-store\r\nContent-Length: 0\r\n\r\n`,
    );
  }

  function watch(ctx: AuthorizeContext, ticket: string, sockets: Duplex[]) {
    const hash = hashTicket(ticket);
    const entry = {
      ctx,
      close: () => {
        for (const s of sockets) s.destroy();
      },
    };
    const set = watched.get(hash) ?? new Set();
    set.add(entry);
    watched.set(hash, set);
    const forget = () => {
      set.delete(entry);
      if (set.size === 0 && watched.get(hash) === set) watched.delete(hash);
    };
    for (const s of sockets) s.on('close', forget);
  }

  deps.sessions.onDestroy((hash) => {
    for (const entry of watched.get(hash) ?? []) entry.close();
  });

  // Sessions end elsewhere too (another proxy process, expiry, a revoked group): re-ask the core.
  const timer = setInterval(() => {
    for (const set of watched.values()) {
      for (const entry of set) {
        authorizeRequest(entry.ctx, deps).then(
          (r) => r.decision.kind !== 'allow' && entry.close(),
          () => entry.close(),
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
      return refuse(socket, 503, 'Service Unavailable');
    }
    const { decision } = result;
    if (result.invalid) return refuse(socket, 400, 'Bad Request');
    if (decision.kind === 'login' || decision.kind === 'step_up') return refuse(socket, 401, 'Unauthorized');
    if (decision.kind !== 'allow') return refuse(socket, 403, 'Forbidden');
    const upstreamReq = await open(req, result, {
      connection: 'Upgrade',
      upgrade: String(req.headers.upgrade ?? 'websocket'),
    });
    if (!upstreamReq) return refuse(socket, 404, 'Not Found');
    upstreamReq.on('upgrade', (upstreamRes, upstreamSocket, upstreamHead) => {
      const lines = [`HTTP/1.1 ${upstreamRes.statusCode} ${upstreamRes.statusMessage}`];
      for (let i = 0; i < upstreamRes.rawHeaders.length; i += 2) {
        lines.push(`${upstreamRes.rawHeaders[i]}: ${upstreamRes.rawHeaders[i + 1]}`);
      }
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (head.length > 0) upstreamSocket.write(head);
      upstreamSocket.on('error', () => socket.destroy());
      socket.on('close', () => upstreamSocket.destroy());
      upstreamSocket.on('close', () => socket.destroy());
      socket.pipe(upstreamSocket).pipe(socket);
      if (result.ticket) watch(ctx, result.ticket, [socket, upstreamSocket]);
    });
    upstreamReq.on('response', (upstreamRes) => {
      // The upstream declined the upgrade: relay its status, then hang up.
      refuse(socket, upstreamRes.statusCode ?? 502, upstreamRes.statusMessage ?? 'Refused');
      upstreamRes.resume();
    });
    upstreamReq.on('error', (err) =>
      err instanceof UpstreamTimeoutError
        ? refuse(socket, 504, 'Gateway Timeout')
        : refuse(socket, 502, 'Bad Gateway'),
    );
    upstreamReq.end();
  }

  return {
    handleRequest,
    handleUpgrade,
    close() {
      clearInterval(timer);
      for (const set of watched.values()) for (const entry of set) entry.close();
      watched.clear();
    },
  };
}
