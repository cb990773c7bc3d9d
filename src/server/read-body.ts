import type { Context, Middleware } from 'koa';
import { InvalidRequest } from '../errors.ts';

/**
 * Discards what is left of the request body, as Node does by itself only for a body nobody
 * started to read. A parser that stops in the middle (a chunked body past its size limit, a
 * `Content-Encoding` the bytes do not inflate as) leaves the rest on the wire: the keep-alive
 * connection then stalls, and the client's next request on it hangs until the socket times out
 * and is reset.
 */
export function drainBody(ctx: Context): void {
  if (ctx.req.complete) return;
  ctx.req.unpipe();
  ctx.req.resume();
}

/**
 * Middleware, mounted first: whatever the endpoint (oidc-provider's own parsers stop at their
 * size limit too), once the response is decided the unread rest of the body is drained.
 */
export const drainUnreadBody: Middleware = async (ctx, next) => {
  try {
    await next();
  } finally {
    drainBody(ctx);
  }
};

/**
 * Runs a body parser (`@koa/bodyparser`) on `ctx`. Its errors with an HTTP status (413, 415, 400)
 * pass through; zlib/brotli errors (a body that does not inflate as its `Content-Encoding` says)
 * carry none and would read as a 500, but are the client's malformed request: 400
 * `invalid_request`. Either way the rest of the body is drained, so routers mounted without
 * {@link drainUnreadBody} keep their connections usable too.
 */
export async function readBody(ctx: Context, parse: Middleware): Promise<void> {
  try {
    await parse(ctx, async () => {});
  } catch (err) {
    drainBody(ctx);
    if (typeof (err as { status?: unknown } | undefined)?.status === 'number') throw err;
    throw new InvalidRequest('The request body could not be decoded.', err);
  }
}
