import type { Middleware } from 'koa';
import { type BrandAsset, type Branding, CSS_PATH, LOGO_PATH } from './branding.ts';

/** A day: pages ask for `?v=<content hash>`, so a new file is seen at once anyway. */
const MAX_AGE = 86_400;

/**
 * GET/HEAD `/branding/logo` and `/branding/custom.css`: the operator's logo and stylesheet,
 * from memory, with their content type, a day of public caching and a strong ETag (304 on
 * `If-None-Match`). The files are sandboxed (an SVG opened on its own runs no script in this
 * origin) and never sniffed. Paths without a configured file fall through (404).
 */
export function brandingAssets(branding: Branding): Middleware {
  const files = new Map<string, BrandAsset>();
  if (branding.logo) files.set(LOGO_PATH, branding.logo);
  if (branding.css) files.set(CSS_PATH, branding.css);
  return async (ctx, next) => {
    const file = files.get(ctx.path);
    if (!file || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.set('Cache-Control', `public, max-age=${MAX_AGE}`);
    ctx.set('ETag', file.etag);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    const match = ctx.get('If-None-Match');
    if (match?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag)) {
      ctx.status = 304;
      return;
    }
    ctx.type = file.type;
    ctx.body = file.body;
  };
}
