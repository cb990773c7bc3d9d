/**
 * The language of the proxy's own pages (sign-out, not allowed, sign-in cancelled, the upstream
 * down): the browser's Accept-Language, with tollgate's shipped catalogues (`proxy.*` keys),
 * English when it names none of them.
 */
import type { IncomingMessage } from 'node:http';
import { createI18n, type I18n, type Translate } from 'tollgate';

let catalogues: I18n | undefined;

/** The tags of an Accept-Language header, most wanted first (`q=0` left out). */
export function acceptedLanguages(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((l) => l.tag !== '' && l.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((l) => l.tag);
}

/** The translator of a request's language. */
export function translatorFor(req: Pick<IncomingMessage, 'headers'>): Translate {
  catalogues ??= createI18n();
  const header = req.headers['accept-language'];
  const accepted = acceptedLanguages(Array.isArray(header) ? header.join(',') : header);
  return catalogues.translator(catalogues.negotiate({ acceptsLanguages: () => accepted }));
}
