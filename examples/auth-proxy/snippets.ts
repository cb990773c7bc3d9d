/**
 * The identity-header lines of the nginx, Caddy and Traefik snippets, generated from the one list
 * in identity-headers.ts, so the fronts strip exactly what the reverse proxy strips.
 *
 *   npx node examples/auth-proxy/snippets.ts          # exits 1 naming each stale file
 *   npx node examples/auth-proxy/snippets.ts --write  # rewrites the generated blocks
 *
 * Each snippet holds one block between `BEGIN identity headers` and `END identity headers`
 * comment lines; only that block is generated, the rest is written by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ALWAYS_STRIPPED_HEADERS, IDENTITY_HEADER_DEFAULTS } from './identity-headers.ts';

/** The snippet files and how each one's block is rendered. */
export const SNIPPET_FILES = {
  nginx: 'examples/nginx/tollgate.conf',
  caddy: 'examples/caddy/Caddyfile',
  traefik: 'examples/traefik/dynamic.yml',
} as const;

export type SnippetKind = keyof typeof SNIPPET_FILES;

const BEGIN = 'BEGIN identity headers (generated from identity-headers.ts by snippets.ts)';
const END = 'END identity headers';

// The nginx variables the snippet's auth_request_set lines fill from the proxy's answer.
const NGINX_VALUES: Record<string, string> = {
  [IDENTITY_HEADER_DEFAULTS.user]: '$tollgate_user',
  [IDENTITY_HEADER_DEFAULTS.email]: '$tollgate_email',
  [IDENTITY_HEADER_DEFAULTS.groups]: '$tollgate_groups',
  [IDENTITY_HEADER_DEFAULTS.assertion]: '$tollgate_assertion',
};

/** The generated lines of one snippet, without indentation or the BEGIN/END comments. */
export function snippetLines(kind: SnippetKind): string[] {
  switch (kind) {
    case 'nginx':
      // proxy_set_header replaces the client's copies of a name in any letter case; an empty
      // value sends none. Names with "_" never get this far (underscores_in_headers off).
      return ALWAYS_STRIPPED_HEADERS.map((name) => `proxy_set_header ${name} ${NGINX_VALUES[name] ?? '""'};`);
    case 'caddy':
      // Caddy's delete folds letter case but not "_": drop every "_" name as nginx does, then
      // each dash name.
      return ['request_header -*_*', ...ALWAYS_STRIPPED_HEADERS.map((name) => `request_header -${name}`)];
    case 'traefik': {
      const alternatives = ALWAYS_STRIPPED_HEADERS.map((name) => name.toLowerCase().replaceAll('-', '[-_]'));
      return [`authResponseHeadersRegex: "^(?i)(?:${alternatives.join('|')})$"`];
    }
  }
}

/** `text` with its generated block replaced by {@link snippetLines}; throws when it has none. */
export function renderSnippet(kind: SnippetKind, text: string): string {
  const lines = text.split('\n');
  const begin = lines.findIndex((line) => line.includes(BEGIN));
  const end = lines.findIndex((line, i) => i > begin && line.includes(END));
  if (begin === -1 || end === -1) throw new Error(`${SNIPPET_FILES[kind]}: no "${BEGIN}" ... "${END}" block`);
  const indent = /^\s*/.exec(lines[begin] ?? '')?.[0] ?? '';
  const generated = snippetLines(kind).map((line) => `${indent}${line}`);
  return [...lines.slice(0, begin + 1), ...generated, ...lines.slice(end)].join('\n');
}

/** The snippet files whose generated block differs from the list (after writing them, with `write`). */
export function staleSnippets(options: { write?: boolean } = {}): string[] {
  const stale: string[] = [];
  for (const kind of Object.keys(SNIPPET_FILES) as SnippetKind[]) {
    const file = SNIPPET_FILES[kind];
    const text = readFileSync(file, 'utf8');
    const fresh = renderSnippet(kind, text);
    if (fresh === text) continue;
    stale.push(file);
    if (options.write) writeFileSync(file, fresh);
  }
  return stale;
}

if (import.meta.main) {
  const write = process.argv.includes('--write');
  const stale = staleSnippets({ write });
  for (const file of stale) process.stdout.write(`${write ? 'rewrote' : 'stale'}: ${file}\n`);
  if (stale.length > 0 && !write) process.exit(1);
}
