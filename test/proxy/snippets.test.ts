// 15.1: the nginx, Caddy and Traefik snippets strip exactly the identity headers of the one list
// in identity-headers.ts. A name added to the list and not to a snippet fails here; run
// `npx node examples/auth-proxy/snippets.ts --write` to regenerate the blocks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALWAYS_STRIPPED_HEADERS } from '../../examples/auth-proxy/identity-headers.ts';
import {
  renderSnippet,
  SNIPPET_FILES,
  type SnippetKind,
  staleSnippets,
} from '../../examples/auth-proxy/snippets.ts';

describe('forward-auth snippets', () => {
  it('hold exactly the generated identity-header block', () => {
    expect(staleSnippets()).toEqual([]);
  });

  it.each(Object.keys(SNIPPET_FILES) as SnippetKind[])('%s names every header of the list', (kind) => {
    const text = readFileSync(SNIPPET_FILES[kind], 'utf8');
    expect(renderSnippet(kind, text)).toBe(text);
    for (const name of ALWAYS_STRIPPED_HEADERS) {
      const spelled = kind === 'traefik' ? name.toLowerCase().replaceAll('-', '[-_]') : name;
      expect(text, name).toContain(spelled);
    }
  });

  it('notices a snippet that lost a line', () => {
    const text = readFileSync(SNIPPET_FILES.nginx, 'utf8');
    const edited = text.replace(/^\s*proxy_set_header Remote-User "";\n/m, '');
    expect(edited).not.toBe(text);
    expect(renderSnippet('nginx', edited)).toBe(text);
  });
});
