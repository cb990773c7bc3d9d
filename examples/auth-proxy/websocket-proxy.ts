/**
 * WebSockets to the upstreams, on http-proxy-3 (undici does not serve upgrades): it sends the
 * upgrade request, relays the 101 (or the upstream's refusal) and pipes the two sockets. On top
 * of it, every tunnel can be ended with a close code, at a frame boundary in both directions,
 * so clients see why instead of 1006 (abnormal closure):
 *
 * | code | when |
 * |---|---|
 * | 4401 | the session ended (sign-out, back-channel logout, expiry) or must sign in again (step-up) |
 * | 4403 | the session no longer passes the route's rule (a group or user was taken away) |
 * | 1013 | the session could not be checked (Redis or tollgate down): try again later |
 * | 1001 | the proxy is shutting down |
 *
 * The upstream gets a close frame with the same code.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { Logger } from 'tollgate';
import type { ProxyConfig } from './config.ts';
import { refuseUpgrade } from './gateway-errors.ts';
import { closeFrame, frameBoundaries } from './ws-frames.ts';

/** Close codes the proxy sends, by reason (see the table above). */
export const WS_CLOSE = Object.freeze({
  sessionEnded: { code: 4401, reason: 'session ended' },
  signInRequired: { code: 4401, reason: 'sign-in required' },
  forbidden: { code: 4403, reason: 'forbidden' },
  unavailable: { code: 1013, reason: 'try again later' },
  shutdown: { code: 1001, reason: 'proxy shutting down' },
});

export type CloseReason = (typeof WS_CLOSE)[keyof typeof WS_CLOSE];

/** An open tunnel: client socket <-> upstream socket. */
export interface Tunnel {
  /** Sends both ends a close frame (after the frame under way, if any) and hangs up. */
  close(why: CloseReason): void;
  /** Called once when the tunnel is gone, whoever closed it. */
  onClosed(listener: () => void): void;
}

/** Where an upgrade goes. */
export interface WebSocketTarget {
  /** The upstream's origin URL. */
  url: URL;
  /** Path and query as the upstream receives them. */
  path: string;
  /** Request headers, hop-by-hop ones excluded (Connection/Upgrade are added here). */
  headers: OutgoingHttpHeaders;
}

/** How long the close handshake may take before both sockets are destroyed. */
const CLOSE_GRACE_MS = 2000;

/** One direction of a tunnel: lets the library's pipe forward, and can end it at a boundary. */
function direction(src: Duplex, dst: Duplex, masked: boolean) {
  const frames = frameBoundaries();
  let ending: Buffer | undefined;
  let done = false;
  const finish = () => {
    done = true;
    dst.end(ending);
  };
  src.on('data', (chunk: Buffer) => {
    if (done) return; // after our close frame: the peer's close reply, nothing to pass on
    if (!ending) return frames.feed(chunk); // the library's pipe forwards it
    const n = frames.untilBoundary(chunk);
    if (n < 0) return void dst.write(chunk);
    dst.write(chunk.subarray(0, n));
    finish();
  });
  return {
    end(code: number, reason: string) {
      if (ending) return;
      ending = closeFrame(code, reason, masked);
      src.unpipe(dst);
      src.resume(); // unpipe pauses; our listener forwards the rest of the current frame
      if (frames.atBoundary) finish();
    },
  };
}

function tunnel(client: Duplex, upstream: Socket): Tunnel {
  const down = direction(upstream, client, false);
  const up = direction(client, upstream, true);
  const listeners = new Set<() => void>();
  let gone = false;
  const closed = () => {
    if (gone) return;
    gone = true;
    for (const listener of listeners) listener();
  };
  client.once('close', closed);
  upstream.once('close', closed);
  return {
    close(why) {
      if (gone) return;
      down.end(why.code, why.reason);
      up.end(why.code, why.reason);
      setTimeout(() => {
        client.destroy();
        upstream.destroy();
      }, CLOSE_GRACE_MS).unref();
    },
    onClosed(listener) {
      if (gone) listener();
      else listeners.add(listener);
    },
  };
}

/** The upstream did not answer the upgrade in time (`upstream_timeouts.response_ms`). */
class UpgradeTimeoutError extends Error {
  override name = 'UpgradeTimeoutError';
}

export interface WebSocketProxy {
  /**
   * Proxies the upgrade `req` to `target`. Resolves with the tunnel once the upstream switched
   * protocols, or with undefined when it did not: its own answer was relayed, or, when it could
   * not be reached in time, a 502/504 was (details in the log).
   */
  open(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: WebSocketTarget,
  ): Promise<Tunnel | undefined>;
}

export function createWebSocketProxy(deps: { config: ProxyConfig; logger: Logger }): WebSocketProxy {
  const { connect_ms, response_ms } = deps.config.upstream_timeouts;
  const proxy = createProxyServer({ ws: true, connectTimeout: connect_ms, prependPath: false });
  const pending = new WeakMap<Duplex, (tunnel: Tunnel | undefined) => void>();

  proxy.on('proxyReqWs', (proxyReq, _req, socket) => {
    const settle = pending.get(socket);
    // From the open connection to the 101: response_ms (the connect has its own limit).
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(
        () => proxyReq.destroy(new UpgradeTimeoutError('upgrade response timeout')),
        response_ms,
      );
    };
    proxyReq.once('socket', (s) => (s.connecting ? s.once('connect', arm) : arm()));
    proxyReq.once('close', () => clearTimeout(timer));
    // Registered before the library's own listener: the tunnel is set up before it pipes.
    proxyReq.once('upgrade', (_res, upstream: Socket) => {
      clearTimeout(timer);
      settle?.(tunnel(socket, upstream));
    });
    proxyReq.once('response', () => {
      clearTimeout(timer);
      settle?.(undefined);
    });
  });

  return {
    open(req, socket, head, target) {
      // The library proxies WebSockets only (and a GET): anything else is refused here.
      if (req.method !== 'GET' || String(req.headers.upgrade).toLowerCase() !== 'websocket') {
        refuseUpgrade(socket, 400, 'Bad Request');
        return Promise.resolve(undefined);
      }
      return new Promise((resolve) => {
        let settled = false;
        pending.set(socket, (t) => {
          settled = true;
          resolve(t);
        });
        // Gone before any answer (the client hung up): nothing more will settle it.
        socket.once('close', () => {
          if (settled) return;
          settled = true;
          resolve(undefined);
        });
        // http-proxy-3 copies the request's own headers and URL: ours replace the client's.
        req.headers = {
          ...target.headers,
          connection: 'Upgrade',
          upgrade: 'websocket',
        } as typeof req.headers;
        req.url = target.path;
        proxy.ws(req, socket, head, { target: target.url }, (err) => {
          // Also called for errors of an open tunnel (a reset): the library hangs up then.
          if (settled) return;
          settled = true;
          const timeout = upgradeFailure(err) === 'timeout';
          deps.logger.warn(
            { err: err.message, upstream: target.url.host, path: target.path },
            'auth-proxy: upstream websocket failed',
          );
          // Synchronously: the library ends the socket right after this callback.
          refuseUpgrade(socket, timeout ? 504 : 502, timeout ? 'Gateway Timeout' : 'Bad Gateway');
          resolve(undefined);
        });
      });
    },
  };
}

/** A connect or upgrade-response timeout, or anything else (refused, reset). */
function upgradeFailure(err: unknown): 'timeout' | 'unreachable' {
  if (err instanceof UpgradeTimeoutError) return 'timeout';
  return (err as { code?: unknown })?.code === 'ECONNECT_TIMEOUT' ? 'timeout' : 'unreachable';
}
