import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import ejs from 'ejs';
import type { Context } from 'koa';
import { type Translate, translatorOf } from './i18n/index.ts';
import { VIEWS_DIR } from './paths.ts';
import type { Branding } from './ui/branding.ts';

/**
 * Renders an EJS page from views/ into a Koa response. `data.t`, when given, is the page's
 * translator (a factor's page: its own catalogues first); else the request's.
 */
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
  /**
   * The operator's branding (`loadBranding(config.ui)`): every page gets it as `brand`, and the
   * CSP allows its https logo and its stylesheet. @default the plain tollgate look
   */
  brand?: Branding;
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

/** The folders of the page being rendered, for {@link includeOverride}. */
let rendering: { viewsDir: string; overridesDir?: string } | undefined;

/**
 * Where an included template (`partials/head`, ...) is: the operator's file of the same name
 * under `overridesDir` when there is one, so partials are overridden like pages. EJS keeps a
 * compiled template (with the includer it was compiled with) in one cache per process, shared by
 * every renderer, so the includer is this one function, reading the folders of the page being
 * rendered: `rendering`, set around the synchronous render.
 */
function includeOverride(_path: string, resolved: string): { filename: string } {
  if (!rendering?.overridesDir) return { filename: resolved };
  const name = relative(rendering.viewsDir, resolved);
  if (name.startsWith(`..${sep}`) || isAbsolute(name)) return { filename: resolved };
  const override = join(rendering.overridesDir, name);
  return { filename: existsSync(override) ? override : resolved };
}

/**
 * Page renderer. Every page gets `Cache-Control: no-store` (they carry CSRF tokens, and later
 * secrets such as TOTP keys) and a strict CSP: no script at all, or only this origin's files on
 * pages whose data lists `scripts`.
 * @param viewsDir folder of the templates. @default the package's views/
 */
export function createRenderer(viewsDir: string = VIEWS_DIR, options: RenderOptions = {}): Render {
  const brand = options.brand?.view;
  const folders = { viewsDir, overridesDir: options.overridesDir };
  const imgSrc = ["'self'", 'data:', ...(options.brand?.csp.img ?? [])].join(' ');
  const styleSrc = ["'unsafe-inline'", ...(options.brand?.csp.style ?? [])].join(' ');
  return async (ctx, view, data, status) => {
    // Synchronous templates: with `async: true`, `<%- include() %>` yields a Promise and every
    // page would print "[object Promise]" instead of its <head> (styles, title) and footer.
    // `views` lets a factor's own templates include the shared partials as `partials/head`.
    // `resolveView` lets a page include a factor's fragment (the login page's passkey button)
    // through the same operator overrides as a whole page.
    const resolveView = (name: string) => templatePath(viewsDir, name, options.overridesDir);
    // Every page speaks the request's language (src/i18n): `t('key', vars)` in templates, and
    // `lang` for `<html lang>`. A factor's page brings its own `t`, in the same language, that
    // reads the factor's catalogues first (interactions/factor-flow.ts).
    const t = typeof data.t === 'function' ? (data.t as Translate) : translatorOf(ctx);
    // renderFile renders synchronously (async: false) inside the promise it returns, so no other
    // page's render runs between setting and clearing `rendering`.
    rendering = folders;
    let html: Promise<string>;
    try {
      html = ejs.renderFile(
        resolveView(view),
        { brand, ...data, t, lang: t.locale, resolveView },
        {
          async: false,
          cache: true,
          // `partials/` too: an operator's own copy of head.ejs includes `brand` as the shipped one does.
          views: [viewsDir, join(viewsDir, 'partials')],
          includer: includeOverride,
        },
      );
    } finally {
      rendering = undefined;
    }
    const body = await html;
    if (status !== undefined) ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    // Pages use no script, except factor pages that list their own static files in `scripts`
    // (passkeys): those may load scripts from this origin, never inline ones.
    const scripts = Array.isArray(data.scripts) && data.scripts.length > 0 ? " script-src 'self';" : '';
    ctx.set(
      'Content-Security-Policy',
      `default-src 'none';${scripts} style-src ${styleSrc}; img-src ${imgSrc}; frame-ancestors 'none'`,
    );
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Language', t.locale);
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = body;
  };
}
