import type { Middleware } from 'koa';

/**
 * Works around a crash in oidc-provider's authorization error handler (9.13.3).
 *
 * A client with one registered redirect_uri may omit it (`allowOmittingSingleRegisteredRedirectUri`,
 * on by default), and oidc-provider fills it in. Its error handler for the authorization endpoint
 * and for resume (`/auth/:uid`) does the same for errors raised before the request's parameters
 * are read, and crashes there (a TypeError reading `redirect_uri` of undefined): a 500 instead of
 * the error. Two ways in: any failing `GET /auth/<uid>?client_id=<id>`, and a signed-in browser's
 * authorization request without redirect_uri while Redis is down (loading its session fails
 * first), which must be a 503.
 *
 * So, before oidc-provider sees the request: an authorization request that names a
 * single-redirect-URI client and omits redirect_uri gets it filled in (what oidc-provider would
 * do itself, so a valid request ends the same way), and the query of a resume request, which
 * oidc-provider does not read, is dropped.
 *
 * @param clients the configured clients.
 * @param authorizationPath the authorization endpoint. @default "/auth"
 */
export function fillSingleRedirectUri(
  clients: readonly { client_id: string; redirect_uris: string[] }[],
  authorizationPath = '/auth',
): Middleware {
  const single = new Map(
    clients
      .filter((c) => c.redirect_uris.length === 1)
      .map((c) => [c.client_id, c.redirect_uris[0] as string]),
  );
  return async (ctx, next) => {
    if ((ctx.method === 'GET' || ctx.method === 'HEAD') && ctx.querystring) {
      if (ctx.path.startsWith(`${authorizationPath}/`)) {
        ctx.querystring = '';
      } else if (ctx.path === authorizationPath) {
        const { client_id: clientId, redirect_uri: given, request, request_uri: requestUri } = ctx.query;
        const uri = typeof clientId === 'string' ? single.get(clientId) : undefined;
        if (uri && given === undefined && request === undefined && requestUri === undefined) {
          ctx.querystring = `${ctx.querystring}&redirect_uri=${encodeURIComponent(uri)}`;
        }
      }
    }
    await next();
  };
}
