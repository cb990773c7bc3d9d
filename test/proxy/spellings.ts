// Spellings of a header name that an upstream may read as the same name: any letter case, and
// `_` for `-` at any separator (CGI/WSGI/PHP read both as `HTTP_X_FORWARDED_USER`).

/** Per-word case: every mix of lower, Title and UPPER words, and each single-letter flip. */
export function caseVariants(name: string): string[] {
  const words = name.toLowerCase().split(/(?=[-_])/);
  const style = (w: string, s: number) =>
    s === 0 ? w : s === 1 ? w.replace(/[a-z]/, (c) => c.toUpperCase()) : w.toUpperCase();
  const out = new Set<string>();
  for (let mask = 0; mask < 3 ** words.length; mask++) {
    out.add(words.map((w, i) => style(w, Math.floor(mask / 3 ** i) % 3)).join(''));
  }
  const lower = name.toLowerCase();
  for (let i = 0; i < lower.length; i++) {
    out.add(lower.slice(0, i) + (lower[i] ?? '').toUpperCase() + lower.slice(i + 1));
  }
  return [...out];
}

/** Every mix of `-` and `_` at each separator position. */
export function separatorVariants(name: string): string[] {
  const parts = name.split(/[-_]/);
  const out: string[] = [];
  for (let mask = 0; mask < 2 ** (parts.length - 1); mask++) {
    out.push(
      parts.reduce((acc, part, i) => (i === 0 ? part : acc + ((mask >> (i - 1)) & 1 ? '_' : '-') + part), ''),
    );
  }
  return out;
}

/** Every separator mix in every case mix (hundreds per name: for in-process tests). */
export function spellings(name: string): string[] {
  return [...new Set(separatorVariants(name).flatMap(caseVariants))];
}

/**
 * Every separator mix in four case styles (lower, UPPER, Title-Case, aLtErNaTiNg): few enough
 * per name to send them all in one request through a real front proxy.
 */
export function frontSpellings(name: string): string[] {
  const alternating = (s: string) =>
    [...s].map((c, i) => (i % 2 === 0 ? c.toLowerCase() : c.toUpperCase())).join('');
  const title = (s: string) =>
    s.toLowerCase().replace(/(^|[-_])([a-z])/g, (_m, sep, c) => sep + c.toUpperCase());
  return [
    ...new Set(
      separatorVariants(name).flatMap((v) => [v.toLowerCase(), v.toUpperCase(), title(v), alternating(v)]),
    ),
  ];
}
