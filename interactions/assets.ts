import { readFile } from 'node:fs/promises';
import type { Middleware } from 'koa';
import type { InteractionDeps } from './context.ts';

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * GET /assets/:factor/:name: a static file a factor's pages load (`Factor.assets`). Only names
 * the factor lists are served, so no path from the URL ever reaches the file system.
 */
export function factorAsset(deps: InteractionDeps): Middleware {
  const cache = new Map<string, Promise<Buffer>>();
  return async (ctx, next) => {
    const factor = deps.mfa.factors.get(String(ctx.params.factor));
    const name = String(ctx.params.name);
    const file = factor?.assets && Object.hasOwn(factor.assets, name) ? factor.assets[name] : undefined;
    if (!file) return next();
    let body = cache.get(file);
    if (!body) {
      body = readFile(file);
      cache.set(file, body);
      body.catch(() => cache.delete(file));
    }
    ctx.body = await body;
    ctx.type = TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('X-Content-Type-Options', 'nosniff');
  };
}
