/**
 * HTTP requests to the upstreams, on undici: one connection pool per upstream origin, with the
 * `upstream_timeouts` as undici's own connect, headers and body timeouts. Bodies stream both
 * ways. Chosen over http-proxy-3 and node:http by `npm run bench` (README, Performance).
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Pool } from 'undici';
import type { ProxyConfig } from './config.ts';

/** How an upstream request failed, as the client is told (the log gets the cause). */
export type UpstreamFailure =
  /** Not connected within `connect_ms`, or no response headers within `response_ms`: 504. */
  | 'timeout'
  /** Refused, reset, unresolvable, closed early: 502. */
  | 'unreachable'
  /** The body paused longer than `idle_ms` after the status line went out: the response is cut. */
  | 'idle'
  /** The client went away first: nothing to answer. */
  | 'aborted';

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/** Classifies an error of {@link UpstreamClient.forward}. */
export function upstreamFailure(err: unknown): UpstreamFailure {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return 'timeout';
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'idle';
  if (code === 'UND_ERR_ABORTED' || name === 'AbortError') return 'aborted';
  return 'unreachable';
}

/** One request to send upstream. */
export interface UpstreamRequest {
  /** The upstream's origin (`http://host:port`), a key of the pools. */
  origin: string;
  /** Path and query as the upstream receives them. */
  path: string;
  /** Request headers without hop-by-hop ones (undici refuses some, and runs its own connection). */
  headers: OutgoingHttpHeaders;
}

/** Sends requests to the upstreams over pooled keep-alive connections. */
export interface UpstreamClient {
  /**
   * Streams `req` to the upstream and its answer into `res`, the response headers passed through
   * `responseHeaders` first. Rejects with the undici error when it fails (see
   * {@link upstreamFailure}); a response already started is then destroyed, not ended.
   */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    upstream: UpstreamRequest,
    responseHeaders: (headers: IncomingHttpHeaders) => OutgoingHttpHeaders,
  ): Promise<void>;
  /** Closes every pool at once (shutdown: requests still open fail). */
  close(): Promise<void>;
}

/** Pools for the upstreams, with the configured timeouts. */
export function createUpstreamClient(timeouts: ProxyConfig['upstream_timeouts']): UpstreamClient {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string) => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connectTimeout: timeouts.connect_ms,
        headersTimeout: timeouts.response_ms,
        bodyTimeout: timeouts.idle_ms,
      });
      pools.set(origin, pool);
    }
    return pool;
  };

  return {
    async forward(req, res, upstream, responseHeaders) {
      // A message without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3).
      const hasBody =
        req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
      // The client went away: stop the upstream request too (a long poll would hold a connection).
      // undici takes an emitter of 'abort' as its signal: lighter than an AbortController.
      const abort = new EventEmitter();
      res.once('close', () => {
        if (!res.writableFinished) abort.emit('abort');
      });
      await poolFor(upstream.origin).stream(
        {
          path: upstream.path,
          method: (req.method ?? 'GET') as 'GET',
          headers: upstream.headers as Record<string, string | string[]>,
          body: hasBody ? req : null,
          signal: abort,
        },
        ({ statusCode, headers }) => {
          res.writeHead(statusCode, responseHeaders(headers as IncomingHttpHeaders));
          return res;
        },
      );
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.destroy()));
      pools.clear();
    },
  };
}
