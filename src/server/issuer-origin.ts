import type { Middleware } from 'koa';
import { InvalidRequest } from '../errors.ts';

/** RFC 9110 `Host`: a DNS-style name (`_` allowed for internal names) or a bracketed IPv6, and a port. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::\d{1,5})?$/;

/**
 * Every URL tollgate and oidc-provider build (discovery endpoints, redirects, the resume and
 * check-session URLs, the form actions of end-session) comes from the issuer, never from the
 * request: oidc-provider resolves them against `ctx.href`, which Koa builds from `Host` (or
 * X-Forwarded-Host), so a client-chosen Host would otherwise become the `token_endpoint` a
 * shared cache hands to everyone. The request's own origin is pinned to the issuer's.
 *
 * A malformed `Host` (or a request target that is not a path, such as an absolute URL) is a
 * 400 here rather than a URL parser's TypeError, i.e. a 500, deep inside an endpoint.
 */
export function issuerOrigin(issuer: string): Middleware {
  const url = new URL(issuer);
  // Koa's `origin` is the Origin request header (CORS), so it stays; `href` and `URL` are what
  // URLs are resolved against.
  const pinned: PropertyDescriptorMap = {
    host: { value: url.host },
    hostname: { value: url.hostname },
    href: {
      get(this: { originalUrl: string }) {
        return `${url.origin}${this.originalUrl}`;
      },
    },
    URL: {
      get(this: { originalUrl: string }) {
        return new URL(`${url.origin}${this.originalUrl}`);
      },
    },
  };
  return async (ctx, next) => {
    const host = ctx.req.headers.host;
    if (host !== undefined && !HOST.test(host)) throw new InvalidRequest('The Host header is malformed.');
    if (!ctx.originalUrl.startsWith('/')) throw new InvalidRequest('The request target must be a path.');
    // Own properties shadow Koa's prototype getters, for this request only.
    Object.defineProperties(ctx.request, pinned);
    await next();
  };
}
