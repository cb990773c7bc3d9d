import type { Middleware } from 'koa';

/** oidc-provider's routes whose answer is the same for every request: public metadata. */
const PUBLIC_METADATA = new Set(['discovery', 'jwks']);

/**
 * Discovery and JWKS may be kept by shared caches (CDNs, corporate proxies) for five minutes.
 * That is safe because neither answer depends on the request any more (URLs come from the
 * issuer, see `issuer-origin.ts`); the CORS header oidc-provider sets is `*` with
 * `Vary: Origin`. Five minutes bounds how long a rotated-in key stays unseen; clients refetch
 * JWKS on an unknown `kid` anyway.
 *
 * @param maxAge seconds. @default 300
 */
export function publicMetadataCaching(maxAge = 300): Middleware {
  return async (ctx, next) => {
    await next();
    const route = (ctx as { oidc?: { route?: unknown } }).oidc?.route;
    if (ctx.status === 200 && typeof route === 'string' && PUBLIC_METADATA.has(route)) {
      ctx.set('Cache-Control', `public, max-age=${maxAge}`);
    }
  };
}
