/**
 * The proxy's own pages for a browser it turns away: not signed in any more, not allowed here,
 * sign-in cancelled or failed. Each is a styled page with a way on (sign in again, sign in as
 * someone else, the home page), never a plain-text dead end. API clients keep their JSON.
 */
import type { ServerResponse } from 'node:http';
import type { Translate } from 'tollgate';
import { LEVEL_PARAM, type Level } from './levels.ts';

/** A link a page offers as the way on. */
export interface PageLink {
  href: string;
  text: string;
}

/** What a page says, in the language `lang` (./language.ts). */
export interface ProxyPage {
  lang: string;
  title: string;
  message: string;
  /** The way on; the first is the main action. */
  links: PageLink[];
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

// The look of tollgate's pages (views/partials/head.ejs), small enough to inline: no assets.
const STYLE = `:root{color-scheme:light dark;--bg:#f3f4f6;--card:#fff;--text:#1b1f24;--muted:#5b6370;--line:#e3e6ea;--accent:#1d4ed8;--on-accent:#fff}
@media (prefers-color-scheme:dark){:root{--bg:#0e1116;--card:#161b22;--text:#e6edf3;--muted:#9da7b3;--line:#2a313c;--accent:#6ea8fe;--on-accent:#0e1116}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;padding:1.5rem 1rem;background:var(--bg);color:var(--text);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:100%;max-width:28rem;background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:2rem 1.75rem}
h1{margin:0 0 .5rem;font-size:1.375rem;line-height:1.3}p{margin:0 0 1rem;color:var(--muted)}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}.btn{flex:1 1 9rem;display:inline-block;padding:.625rem 1rem;border:1px solid var(--line);border-radius:.5rem;text-align:center;text-decoration:none;font-weight:600;color:var(--text)}
.btn-primary{background:var(--accent);border-color:var(--accent);color:var(--on-accent)}a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}`;

/** Sends `page` as HTML: never cached, never framed, no script. */
export function sendPage(res: ServerResponse, status: number, page: ProxyPage) {
  const links = page.links
    .map(
      (l, i) =>
        `<a class="btn${i === 0 ? ' btn-primary' : ''}" href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a>`,
    )
    .join('\n');
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-language': page.lang,
  });
  res.end(`<!doctype html>
<html lang="${escapeHtml(page.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(page.title)}</h1>
<p>${escapeHtml(page.message)}</p>
${links ? `<div class="actions">\n${links}\n</div>` : ''}
</main>
</body>
</html>
`);
}

/** `/oauth2/start` back to `rd` (the proxy validates it there), at `level` for a step-up. */
export function startUrl(publicUrl: string, rd?: string, level?: Level): string {
  const start = new URL('/oauth2/start', publicUrl);
  if (rd) start.searchParams.set('rd', rd);
  if (level) start.searchParams.set('acr', LEVEL_PARAM[level]);
  return start.href;
}

/**
 * 403 for a signed-in user a rule does not let in (a group they lack): sign in as someone else
 * (the sign-out page, back to `url` after), or the site's home page when `url` is not it.
 */
export function forbiddenPage(publicUrl: string, url: URL | undefined, t: Translate): ProxyPage {
  const signOut = new URL('/oauth2/sign_out', publicUrl);
  if (url) signOut.searchParams.set('rd', url.href);
  const home = url ? new URL('/', url) : undefined;
  return {
    lang: t.locale,
    title: t('proxy.forbiddenTitle'),
    message: t('proxy.forbiddenMessage'),
    links: [
      ...(home && url?.pathname !== '/' ? [{ href: home.href, text: t('proxy.home') }] : []),
      { href: signOut.href, text: t('proxy.switchUser') },
    ],
  };
}

/** A page that only explains (an unreadable address, nothing served here): no link would lead on. */
export function notice(t: Translate, title: string, message: string): ProxyPage {
  return { lang: t.locale, title: t(title), message: t(message), links: [] };
}
