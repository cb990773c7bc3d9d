import Router from '@koa/router';
import type { Logger } from '../log.ts';

/** `/healthz`: the process answers. `/readyz`: it can reach its store (503 when not). */
export function healthRouter(ping: () => Promise<void>, logger: Logger): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await ping();
      ctx.body = { status: 'ready' };
    } catch (err) {
      logger.warn({ event: 'readyz.failed', message: (err as Error).message }, 'store not reachable');
      ctx.status = 503;
      ctx.body = { status: 'unavailable', error: 'service_unavailable' };
    }
  });
  return router;
}
