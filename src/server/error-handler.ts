import type { Context, Middleware } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import { InteractionNotFound, InvalidRequest, ServiceUnavailable, TollgateError } from '../errors.ts';
import { t } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import type { PageLink } from '../provider/client-home.ts';
import type { Render } from '../render.ts';

/**
 * ioredis errors that mean "Redis is not there right now" rather than a bug of ours. "Command
 * timed out" is a Redis that accepts connections but does not answer (frozen, partitioned): the
 * `commandTimeout` of adapters/redis-client.ts gives up on it, and that is an outage too. So are a
 * failover in progress (a demoted master answers READONLY, a cluster without a master for some
 * slots CLUSTERDOWN) and a Cluster client that cannot reach any node.
 */
export function isStoreOutage(err: Error): boolean {
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    err.name === 'ClusterAllFailedError' ||
    // A security write its replicas did not acknowledge (adapters/redis-wait.ts).
    err.name === 'ReplicaWaitError' ||
    STORE_OUTAGE.test(err.message)
  );
}

const STORE_OUTAGE = new RegExp(
  [
    "Connection is closed|Stream isn't writeable|Command timed out",
    'ECONNREFUSED|ECONNRESET|connect ETIMEDOUT|EHOSTUNREACH|EPIPE',
    '^READONLY|^LOADING|^MASTERDOWN|^CLUSTERDOWN|^TRYAGAIN|^NOREPLICAS',
    'Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available',
    'All sentinels are unreachable|Cluster isn.t ready',
  ].join('|'),
);

/** Maps anything thrown by our routes to a {@link TollgateError}. */
export function toTollgateError(err: unknown): TollgateError {
  if (err instanceof TollgateError) return err;
  if (err instanceof oidcErrors.SessionNotFound) return new InteractionNotFound(err);
  if (!(err instanceof Error))
    return new TollgateError(500, 'server_error', 'Something went wrong on our side.');
  const status = (err as { status?: unknown }).status;
  // Body parser (co-body / raw-body) errors carry a status and a `type`.
  if (status === 413) {
    return new TollgateError(413, 'request_too_large', 'The submitted form is too large.', { cause: err });
  }
  if (status === 415) {
    return new TollgateError(415, 'unsupported_media_type', 'This content type is not accepted here.', {
      cause: err,
    });
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new InvalidRequest('The request could not be understood.', err);
  }
  if (isStoreOutage(err)) return new ServiceUnavailable(err);
  return new TollgateError(500, 'server_error', 'Something went wrong on our side. Please try again.', {
    cause: err,
  });
}

/** oidc-provider's endpoints that browsers navigate to; its others are called by programs. */
const BROWSER_ROUTES = new Set([
  'authorization',
  'resume',
  'end_session',
  'end_session_confirm',
  'end_session_success',
  'code_verification',
  'device_resume',
]);

/**
 * JSON for API paths, for oidc-provider's programmatic endpoints (token, introspection, userinfo,
 * ...: OAuth clients often send no Accept header at all), and for clients that prefer it over
 * HTML; browsers get a page.
 */
export function wantsJson(ctx: Context): boolean {
  if (ctx.path.startsWith('/api/')) return true;
  const route = (ctx as { oidc?: { route?: unknown } }).oidc?.route;
  if (typeof route === 'string' && !BROWSER_ROUTES.has(route)) return true;
  if (!ctx.get('accept')) return false;
  return ctx.accepts(['html', 'json']) === 'json';
}

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /** The page's way on: back to the app, start again, sign in again. @default none */
  links?: (ctx: Context) => Promise<PageLink[]>;
}

/**
 * The one place that turns errors into responses: a friendly HTML page with a way on, or
 * `{ error, error_description }` JSON with a stable code; never a stack trace.
 */
export function errorHandler(render: Render, logger: Logger, options: ErrorHandlerOptions = {}): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // oidc-provider answers its own endpoints' failures with a 500; a store outage it hit
      // (flagged by the server_error listener in app.ts) is a 503, so clients retry.
      if (ctx.state.storeOutage === true && ctx.status === 500) throw new ServiceUnavailable();
    } catch (thrown) {
      const err = toTollgateError(thrown);
      const cause = err.cause ?? thrown;
      if (err.status >= 500) logger.error({ err: cause, path: ctx.path, event: 'http.error' }, err.error);
      else logger.info({ path: ctx.path, error: err.error, event: 'http.rejected' }, err.description);
      const description = err.expose ? err.description : t(ctx, 'error.generic');
      ctx.set('Cache-Control', 'no-store');
      if (err.status === 503) ctx.set('Retry-After', '5');
      if (wantsJson(ctx)) {
        ctx.status = err.status;
        ctx.body = { error: err.error, error_description: description };
        return;
      }
      try {
        await render(
          ctx,
          'error',
          {
            title: t(ctx, 'error.title'),
            status: err.status,
            error: err.error,
            description,
            links: (await options.links?.(ctx).catch(() => undefined)) ?? [],
          },
          err.status,
        );
      } catch (renderErr) {
        logger.error({ err: renderErr, event: 'http.render_failed' }, 'error page failed to render');
        ctx.status = err.status;
        ctx.type = 'text';
        ctx.body = `${description} (${err.error})`;
      }
    }
  };
}
