import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
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

/** Options of {@link createRenderer}. */
export interface RenderOptions {
  /**
   * An operator's folder of templates: a file there with a view's name (`login.ejs`,
   * `factors/totp-enrol.ejs`, or for a factor's own view `factors/<folder>/<file>.ejs`) replaces
   * the shipped one. @default none
   */
  overridesDir?: string;
}

/**
 * Where a view's template is: the operator's override, else the view itself. A view is a name
 * under `viewsDir` or an absolute path into a factor's own `views/` folder, which is overridden
 * by `factors/<factor folder name>/<file>`.
 */
function templatePath(viewsDir: string, view: string, overridesDir?: string): string {
  const file = isAbsolute(view) ? `${view}.ejs` : join(viewsDir, `${view}.ejs`);
  if (!overridesDir) return file;
  // A factor's own view sits in `<factor folder>/views/<file>`.
  const name = isAbsolute(view)
    ? join('factors', basename(dirname(dirname(file))), basename(file))
    : `${view}.ejs`;
  const override = join(overridesDir, name);
  return existsSync(override) ? override : file;
}

/**
 * Page renderer. Every page gets `Cache-Control: no-store` (they carry CSRF tokens, and later
 * secrets such as TOTP keys) and a strict CSP: no script at all, or only this origin's files on
 * pages whose data lists `scripts`.
 * @param viewsDir folder of the templates. @default the package's views/
 */
export function createRenderer(viewsDir: string = VIEWS_DIR, options: RenderOptions = {}): Render {
  return async (ctx, view, data, status) => {
    // Synchronous templates: with `async: true`, `<%- include() %>` yields a Promise and every
    // page would print "[object Promise]" instead of its <head> (styles, title) and footer.
    // `views` lets a factor's own templates include the shared partials as `partials/head`.
    // `resolveView` lets a page include a factor's fragment (the login page's passkey button)
    // through the same operator overrides as a whole page.
    const resolveView = (name: string) => templatePath(viewsDir, name, options.overridesDir);
    const html = await ejs.renderFile(
      resolveView(view),
      { ...data, resolveView },
      {
        async: false,
        cache: true,
        views: [viewsDir],
      },
    );
    if (status !== undefined) ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    // Pages use no script, except factor pages that list their own static files in `scripts`
    // (passkeys): those may load scripts from this origin, never inline ones.
    const scripts = Array.isArray(data.scripts) && data.scripts.length > 0 ? " script-src 'self';" : '';
    ctx.set(
      'Content-Security-Policy',
      `default-src 'none';${scripts} style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'`,
    );
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = html;
  };
}
