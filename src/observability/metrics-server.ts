import { timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import Koa, { type Middleware } from 'koa';
import { isLoopbackHost } from '../config/development.ts';
import type { TollgateConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from './metrics.ts';

/** `/metrics`, optionally behind a bearer token (compared in constant time). */
export function metricsEndpoint(metrics: Metrics, token: string | undefined): Middleware {
  const serve = metrics.handler();
  const expected = token ? Buffer.from(`Bearer ${token}`) : undefined;
  return async (ctx, next) => {
    if (ctx.path !== '/metrics') {
      ctx.status = 404;
      ctx.body = { error: 'not_found', error_description: 'Only /metrics is served here.' };
      return;
    }
    const given = Buffer.from(ctx.get('authorization'));
    if (expected && !(given.length === expected.length && timingSafeEqual(given, expected))) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="tollgate-metrics"');
      ctx.body = { error: 'invalid_token', error_description: 'A bearer token is required for /metrics.' };
      return;
    }
    await serve(ctx, next);
  };
}

/**
 * The metrics listener (`metrics.listen`), apart from the public port so the provider's users
 * never reach it. Not on loopback and without a token it still starts (scrapers on a private
 * network are common) but says so loudly.
 */
export async function startMetricsServer(
  metrics: Metrics,
  config: TollgateConfig['metrics'],
  logger: Logger,
): Promise<Server> {
  const app = new Koa();
  app.use(metricsEndpoint(metrics, config.bearer_token));
  const server = createServer(app.callback());
  server.listen(config.listen.port, config.listen.host);
  await once(server, 'listening');
  if (!isLoopbackHost(config.listen.host) && !config.bearer_token) {
    logger.warn(
      { event: 'metrics.unprotected', host: config.listen.host },
      'METRICS LISTEN BEYOND LOOPBACK WITHOUT metrics.bearer_token: anyone who reaches it can scrape.',
    );
  }
  return server;
}
