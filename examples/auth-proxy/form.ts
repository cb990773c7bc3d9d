import type { IncomingMessage } from 'node:http';

/**
 * Reads a small urlencoded request body (sign-out forms, logout tokens of a few KB); throws when
 * it is larger than `limit` bytes, so a client cannot make the proxy buffer without bound.
 */
export async function readForm(req: IncomingMessage, limit = 16 * 1024): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > limit) throw new Error('body too large');
  }
  return new URLSearchParams(body);
}
