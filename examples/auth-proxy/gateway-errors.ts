/**
 * What a client is told when the upstream cannot be reached or does not answer in time: a
 * fixed page (or JSON code for API clients) that names no address, errno or timing. The log
 * has the detail.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MessageKey, Translate } from 'tollgate';

/** 502 (refused, reset, unresolvable) or 504 (a timeout). */
export type GatewayStatus = 502 | 504;

const PAGES: Record<GatewayStatus, { error: string; title: MessageKey }> = {
  502: { error: 'bad_gateway', title: 'proxy.badGateway' },
  504: { error: 'gateway_timeout', title: 'proxy.gatewayTimeout' },
};

/**
 * Answers 502/504 with the fixed page in the request's language (`t`, ./language.ts), or
 * `{"error":"bad_gateway"|"gateway_timeout"}`. The texts are the catalogue's: no HTML in them.
 */
export function gatewayError(res: ServerResponse, status: GatewayStatus, json: boolean, t: Translate) {
  const { error, title } = PAGES[status];
  const body = json
    ? JSON.stringify({ error })
    : `<!doctype html>\n<html lang="${t.locale}"><head><meta charset="utf-8"><title>${t.html(title)}</title></head><body><main><h1>${t.html(title)}</h1><p>${t.html('proxy.upstreamDown')}</p></main></body></html>\n`;
  res.writeHead(status, {
    'cache-control': 'no-store',
    'content-type': json ? 'application/json' : 'text/html; charset=utf-8',
    ...(json ? {} : { 'content-language': t.locale }),
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
