import { join } from 'node:path';
import ejs from 'ejs';
import type { Context } from 'koa';
import { VIEWS_DIR } from './paths.ts';

/** Renders an EJS page from views/ into a Koa response. */
export type Render = (
  ctx: Context,
  view: string,
  data: Record<string, unknown>,
  status?: number,
) => Promise<void>;

/**
 * Page renderer. Every page gets `Cache-Control: no-store` (they carry CSRF tokens, and later
 * secrets such as TOTP keys) and a strict CSP: the pages use no script at all.
 * @param viewsDir folder of the templates. @default the package's views/
 */
export function createRenderer(viewsDir: string = VIEWS_DIR): Render {
  return async (ctx, view, data, status) => {
    // Synchronous templates: with `async: true`, `<%- include() %>` yields a Promise and every
    // page would print "[object Promise]" instead of its <head> (styles, title) and footer.
    const html = await ejs.renderFile(join(viewsDir, `${view}.ejs`), data, { async: false, cache: true });
    if (status !== undefined) ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    ctx.set(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    );
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = html;
  };
}
