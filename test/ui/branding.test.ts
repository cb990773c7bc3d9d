// ui.branding: the configuration is refused field by field (a bad colour, a missing or fake
// logo file), never with a stack trace; the logo and stylesheet are served with their type,
// caching and validators; pages carry the brand and a CSP that allows exactly its files.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { brandColours, loadBranding } from '../../src/ui/branding.ts';
import { contrast } from '../../src/ui/colour.ts';
import { runTollgate } from '../helpers/cli.ts';
import { type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-brand-'));
/** A 1x1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
const LOGO = join(dir, 'logo.png');
const SVG = join(dir, 'logo.svg');
const CSS = join(dir, 'brand.css');
const FAKE_PNG = join(dir, 'fake.png');
writeFileSync(LOGO, PNG);
writeFileSync(SVG, '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
writeFileSync(CSS, '.card { border-width: 2px; }\n');
writeFileSync(FAKE_PNG, 'GIF89a not a png');

const VIEWS = join(dir, 'views');
mkdirSync(join(VIEWS, 'partials'), { recursive: true });
writeFileSync(
  join(VIEWS, 'partials', 'brand.ejs'),
  '<% if (part === \'foot\') { %><p id="own">Own <%= brand.name %> footer</p><% } %>\n',
);

const base = `issuer: https://id.example.com\ncookies:\n  keys: ["${'c'.repeat(40)}"]\n`;
const parse = (ui: string) => parseConfig(`${base}ui:\n${ui}`, 'test.yaml', {});

/** The problems a configuration is refused with. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('ui.branding configuration', () => {
  it('takes a name, logo, colour, stylesheet and support line', () => {
    const config = parse(
      `  branding:\n    name: Acme ID\n    logo: ${LOGO}\n    primary_color: "#0B7A3E"\n    css: ${CSS}\n` +
        '    support: { text: "Help desk", href: "mailto:help@acme.test" }\n',
    );
    const b = loadBranding(config.ui);
    expect(b.view).toMatchObject({
      name: 'Acme ID',
      custom: true,
      support: { text: 'Help desk', href: 'mailto:help@acme.test' },
    });
    expect(b.view.logo).toMatch(/^\/branding\/logo\?v=[\w-]{12}$/);
    expect(b.view.css).toMatch(/^\/branding\/custom\.css\?v=[\w-]{12}$/);
    expect(b.view.colours).toMatchObject({ primary: '#0b7a3e', onPrimary: '#ffffff' });
    expect(b.csp).toEqual({ img: [], style: ["'self'"] });
  });

  it('defaults to the plain tollgate look', () => {
    const b = loadBranding(parseConfig(base, 'test.yaml', {}).ui);
    expect(b.view).toEqual({ name: 'tollgate', custom: false });
    expect(b.csp).toEqual({ img: [], style: [] });
  });

  it('a support line may be plain text; its link is mailto: or https: only', () => {
    expect(parse('  branding:\n    support: Call 555-0100\n').ui.branding?.support).toEqual({
      text: 'Call 555-0100',
    });
    expect(
      problems(() => parse('  branding:\n    support: { text: x, href: "javascript:alert(1)" }\n')),
    ).toEqual([expect.stringMatching(/^ui\.branding\.support\.href: /)]);
  });

  it('refuses a colour that is not hex, with the field and an example', () => {
    expect(problems(() => parse('  branding:\n    primary_color: green\n'))).toEqual([
      'ui.branding.primary_color: use a hex colour such as "#1d4ed8" or "#14b"',
    ]);
    expect(problems(() => parse('  branding:\n    primary_color: "#12345"\n'))).toHaveLength(1);
  });

  it('refuses a button text colour below 4.5:1 on the primary colour', () => {
    expect(
      problems(() => parse('  branding:\n    primary_color: "#ffcc00"\n    primary_text_color: "#ffffff"\n')),
    ).toEqual([
      'ui.branding.primary_text_color: contrast 1.51:1 against primary_color #ffcc00 is below 4.5:1; leave it out to get a readable one',
    ]);
  });

  it('computes a readable text colour on any primary colour', () => {
    for (const c of ['#ffcc00', '#0b7a3e', '#777777', '#767676', '#ffffff', '#000000', '#1d4ed8', '#f0f']) {
      const { primary, onPrimary, primaryHover } = brandColours(c);
      expect(contrast(primary, onPrimary), c).toBeGreaterThanOrEqual(4.5);
      expect(contrast(primaryHover, onPrimary), c).toBeGreaterThanOrEqual(contrast(primary, onPrimary));
    }
    expect(brandColours('#ffcc00').onPrimary).toBe('#000000');
    // Yellow does not read as link text on white: links keep the built-in colour there.
    expect(brandColours('#ffcc00').light).toEqual({});
    expect(brandColours('#0b7a3e').light).toMatchObject({ link: '#0b7a3e', focus: '#0b7a3e' });
  });

  it('refuses http logos and files of another kind by name', () => {
    expect(problems(() => parse('  branding:\n    logo: http://cdn.example.com/l.png\n'))).toEqual([
      'ui.branding.logo: use an https URL or a file path, never http',
    ]);
    expect(problems(() => parse('  branding:\n    logo: logo.bmp\n'))).toEqual([
      'ui.branding.logo: a logo file ends in .png, .svg, .jpg, .jpeg, .webp, .gif',
    ]);
  });

  it('a missing logo or stylesheet file, a fake PNG and a missing views folder are named', () => {
    const config = parse(
      `  views_dir: ${join(dir, 'nope')}\n  branding:\n    logo: ${join(dir, 'missing.png')}\n    css: ${join(dir, 'missing.css')}\n`,
    );
    expect(problems(() => loadBranding(config.ui, 'test.yaml'))).toEqual([
      `ui.views_dir: ${join(dir, 'nope')}: no such folder`,
      `ui.branding.logo: ${join(dir, 'missing.png')}: no such file`,
      `ui.branding.css: ${join(dir, 'missing.css')}: no such file`,
    ]);
    expect(problems(() => loadBranding(parse(`  branding:\n    logo: ${FAKE_PNG}\n`).ui))).toEqual([
      `ui.branding.logo: ${FAKE_PNG} is not a PNG image`,
    ]);
  });

  it('an https logo is allowed by the CSP exactly, and served by nobody', () => {
    const b = loadBranding(parse('  branding:\n    logo: https://cdn.example.com/acme/logo.svg\n').ui);
    expect(b.view.logo).toBe('https://cdn.example.com/acme/logo.svg');
    expect(b.csp.img).toEqual(['https://cdn.example.com/acme/logo.svg']);
    expect(b.logo).toBeUndefined();
    // The CSP names the path only: a query, `;` or `,` never ends up in the policy.
    const odd = loadBranding(
      parse('  branding:\n    logo: "https://cdn.example.com/a;b,c/logo.png?size=2"\n').ui,
    );
    expect(odd.view.logo).toBe('https://cdn.example.com/a;b,c/logo.png?size=2');
    expect(odd.csp.img).toEqual(['https://cdn.example.com/a%3Bb%2Cc/logo.png']);
  });

  it('`tollgate config check` says which file is missing, in one line, without a stack trace', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `${base}ui:\n  branding:\n    logo: ${join(dir, 'missing.png')}\n    primary_color: "#0b7a3e"\n`,
    );
    const r = await runTollgate(['config', 'check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ui.branding.logo: ${join(dir, 'missing.png')}: no such file`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

/** The login page /account leads a signed-out browser to. */
async function loginPage(running: RunningTollgate): Promise<Response> {
  let page = await fetch(`${running.url}/account`, { redirect: 'manual' });
  const cookies: string[] = [];
  for (let i = 0; i < 5 && page.status >= 300 && page.status < 400; i++) {
    cookies.push(...page.headers.getSetCookie().map((c) => c.split(';')[0] as string));
    page = await fetch(new URL(page.headers.get('location') as string, running.url), {
      redirect: 'manual',
      headers: { cookie: cookies.join('; ') },
    });
  }
  expect(page.status).toBe(200);
  return page;
}

describe('the logo and stylesheet over HTTP', () => {
  let tg: RunningTollgate;
  let svg: RunningTollgate;
  beforeAll(async () => {
    tg = await startTollgate({
      overrides: { ui: { branding: { name: 'Acme ID', logo: LOGO, css: CSS, primary_color: '#0b7a3e' } } },
    });
    svg = await startTollgate({
      overrides: { ui: { views_dir: VIEWS, branding: { logo: SVG, support: 'Call 555-0100' } } },
    });
  });
  afterAll(async () => {
    await tg?.stop();
    await svg?.stop();
  });

  it('serves the logo with its type, a day of caching and an ETag (304 when unchanged)', async () => {
    const res = await fetch(`${tg.url}/branding/logo`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
    const etag = res.headers.get('etag') as string;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const again = await fetch(`${tg.url}/branding/logo`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves the stylesheet as CSS', async () => {
    const res = await fetch(`${tg.url}/branding/custom.css?v=anything`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(await res.text()).toBe('.card { border-width: 2px; }\n');
    const head = await fetch(`${tg.url}/branding/custom.css`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('serves an SVG logo sandboxed, so it runs no script in this origin', async () => {
    const res = await fetch(`${svg.url}/branding/logo`);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    // No stylesheet configured: nothing there.
    expect((await fetch(`${svg.url}/branding/custom.css`)).status).toBe(404);
  });

  it("pages carry the brand, and their CSP allows this origin's stylesheet", async () => {
    const res = await fetch(`${tg.url}/account`, { redirect: 'manual' });
    // /account sends a signed-out browser to sign in: follow to the login page.
    let page = res;
    for (let i = 0; i < 5 && page.status >= 300 && page.status < 400; i++) {
      const cookie = page.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      page = await fetch(new URL(page.headers.get('location') as string, tg.url), {
        redirect: 'manual',
        headers: { cookie },
      });
    }
    const html = await page.text();
    expect(html).toContain('<title>Sign in · Acme ID</title>');
    expect(html).toContain('Secured by Acme ID');
    expect(html).toMatch(/<img class="brand-logo" src="\/branding\/logo\?v=[\w-]{12}"/);
    expect(html).toMatch(/<link rel="stylesheet" href="\/branding\/custom\.css\?v=[\w-]{12}">/);
    expect(html).toContain('--brand: #0b7a3e; --on-brand: #ffffff;');
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline' 'self'; img-src 'self' data:; frame-ancestors 'none'",
    );
  });

  it('ui.views_dir overrides a partial by name (partials/brand.ejs), and the rest stays shipped', async () => {
    const html = await (await loginPage(svg)).text();
    expect(html).toContain('<p id="own">Own tollgate footer</p>');
    expect(html).not.toContain('Call 555-0100');
    expect(html).toContain('<label for="password">');
  });
});
