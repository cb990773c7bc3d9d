/**
 * What a client is told when the upstream cannot be reached or does not answer in time: a
 * fixed page (or JSON code for API clients) that names no address, errno or timing. The log
 * has the detail.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** 502 (refused, reset, unresolvable) or 504 (a timeout). */
export type GatewayStatus = 502 | 504;

const PAGES: Record<GatewayStatus, { error: string; title: string }> = {
  502: { error: 'bad_gateway', title: 'Bad gateway' },
  504: { error: 'gateway_timeout', title: 'Gateway timeout' },
};

/** Answers 502/504 with the fixed page, or `{"error":"bad_gateway"|"gateway_timeout"}`. */
export function gatewayError(res: ServerResponse, status: GatewayStatus, json: boolean) {
  const { error, title } = PAGES[status];
  const body = json
    ? JSON.stringify({ error })
    : `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1><p>The application behind this address did not answer. Please try again in a moment.</p></main></body></html>\n`;
  res.writeHead(status, {
    'cache-control': 'no-store',
    'content-type': json ? 'application/json' : 'text/html; charset=utf-8',
  });
  res.end(body);
}

/** Refuses a WebSocket upgrade with a bodiless status and hangs up. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string) {
  if (socket.destroyed || !socket.writable) return;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nCache-Control: no-store\r\nContent-Length: 0\r\n\r\n`,
  );
}
