import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { UiConfig } from '../config/schema-ui.ts';
import { ConfigError } from '../errors.ts';
import { contrast, luminance, MIN_TEXT_CONTRAST, mix, parseHex, readableOn, toHex } from './colour.ts';

/** Where tollgate serves the operator's logo file. */
export const LOGO_PATH = '/branding/logo';
/** Where tollgate serves the operator's extra stylesheet. */
export const CSS_PATH = '/branding/custom.css';

/** Largest logo file served (bytes). */
const MAX_LOGO_BYTES = 512 * 1024;
/** Largest stylesheet served (bytes). */
const MAX_CSS_BYTES = 256 * 1024;

/** A file tollgate serves from memory, read once at start. */
export interface BrandAsset {
  body: Buffer;
  type: string;
  /** Strong validator from the content, also the `?v=` of the pages' URLs. */
  etag: string;
}

/** What every page's template gets as `brand` (see views/partials/brand.ejs). */
export interface BrandView {
  /** Product name: titles, the footer and above the heading. */
  name: string;
  /** Whether `ui.branding` is set at all; without it the pages keep the plain tollgate look. */
  custom: boolean;
  /** The logo's URL (a versioned `/branding/logo` or the operator's https URL). */
  logo?: string;
  /** The extra stylesheet's URL. */
  css?: string;
  /** What the primary colour sets; see brand.ejs. */
  colours?: BrandColours;
  /** The footer's support line. */
  support?: { text: string; href?: string };
}

/**
 * The primary colour on buttons (with its readable text colour), and on links and focus rings
 * in each colour scheme only where it reads there: 4.5:1 for links, 3:1 for a focus ring
 * against both the card and the page around it (WCAG 1.4.3, 1.4.11). Elsewhere the built-in colours stay.
 */
export interface BrandColours {
  primary: string;
  onPrimary: string;
  primaryHover: string;
  light: SchemeColours;
  dark: SchemeColours;
}

/** Links and focus ring of one colour scheme, when the primary colour reads there. */
export interface SchemeColours {
  link?: string;
  linkHover?: string;
  focus?: string;
}

/** The surfaces text sits on in each scheme: the card and the page (views/partials/head.ejs `--card`, `--bg`). */
const SURFACES = { light: ['#ffffff', '#f3f4f6'], dark: ['#161b22', '#0e1116'] } as const;

function schemeColours(primary: string, scheme: keyof typeof SURFACES): SchemeColours {
  const worst = Math.min(...SURFACES[scheme].map((surface) => contrast(primary, surface)));
  const out: SchemeColours = {};
  if (worst >= MIN_TEXT_CONTRAST) {
    out.link = primary;
    out.linkHover = mix(primary, scheme === 'light' ? '#000000' : '#ffffff', 0.2);
  }
  if (worst >= 3) out.focus = primary;
  return out;
}

/** Button, link and focus colours from the configured primary (and optional text) colour. */
export function brandColours(primaryColour: string, textColour?: string): BrandColours {
  const primary = toHex(parseHex(primaryColour));
  const onPrimary = toHex(parseHex(textColour ?? readableOn(primary)));
  // Hover moves away from the text colour, so it only ever gains contrast.
  const primaryHover = mix(primary, luminance(onPrimary) > 0.5 ? '#000000' : '#ffffff', 0.15);
  return {
    primary,
    onPrimary,
    primaryHover,
    light: schemeColours(primary, 'light'),
    dark: schemeColours(primary, 'dark'),
  };
}

/** Branding resolved at start: the pages' view, the files to serve and what the CSP must allow. */
export interface Branding {
  view: BrandView;
  logo?: BrandAsset;
  css?: BrandAsset;
  /** Sources beyond the pages' defaults: the https logo for `img-src`, `'self'` for `style-src`. */
  csp: { img: string[]; style: string[] };
  /** `ui.views_dir`, checked to be a folder. */
  viewsDir?: string;
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  svg: 'image/svg+xml',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

/** Whether the file's first bytes are the format its extension names. */
function looksLike(ext: string, body: Buffer): boolean {
  const starts = (hex: string) => body.subarray(0, hex.length / 2).equals(Buffer.from(hex, 'hex'));
  switch (ext) {
    case 'png':
      return starts('89504e470d0a1a0a');
    case 'jpg':
    case 'jpeg':
      return starts('ffd8ff');
    case 'gif':
      return starts('474946383761') || starts('474946383961');
    case 'webp':
      return starts('52494646') && body.subarray(8, 12).toString('latin1') === 'WEBP';
    case 'svg':
      return /<svg[\s>]/.test(body.subarray(0, 4096).toString('utf8'));
    default:
      return false;
  }
}

const etagOf = (body: Buffer) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
const version = (asset: BrandAsset) => `?v=${asset.etag.slice(1, 13)}`;

/** Reads a file of the configuration, or says in one line why it cannot. */
function readConfigFile(field: string, path: string, max: number): Buffer {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw Object.assign(new Error(), { code: 'ENOTFILE' });
    size = stat.size;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'ENOTFILE' ? 'not a file' : `cannot read it (${code})`;
    throw new Error(`${field}: ${path}: ${why}`);
  }
  if (size > max) throw new Error(`${field}: ${path} is ${size} bytes, more than the ${max} allowed`);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${field}: ${path}: cannot read it (${(err as { code?: string }).code})`);
  }
}

/**
 * Resolves `ui` at start: reads the logo and stylesheet files (relative paths from the working
 * directory, like `jwks.file`), checks `views_dir`, and works out the colours. A file that is
 * missing, too large or not what its name says is a {@link ConfigError} naming the field.
 */
export function loadBranding(ui: UiConfig, source = 'the configuration'): Branding {
  const problems: string[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const b = ui.branding;
  const branding: Branding = {
    view: { name: b?.name ?? 'tollgate', custom: b !== undefined },
    csp: { img: [], style: [] },
  };
  if (ui.views_dir) {
    const dir = ui.views_dir;
    attempt(() => {
      let isDir = false;
      try {
        isDir = statSync(dir).isDirectory();
      } catch {}
      if (!isDir) throw new Error(`ui.views_dir: ${dir}: no such folder`);
      branding.viewsDir = dir;
    });
  }
  if (b?.logo && /^https:\/\//i.test(b.logo)) {
    const url = new URL(b.logo);
    branding.view.logo = url.href;
    // A CSP source is an origin and a path: no query (matching ignores it anyway), and `;` and
    // `,` (which end a directive or a policy) percent-encoded, as the browser decodes both sides.
    branding.csp.img.push(`${url.origin}${url.pathname.replace(/;/g, '%3B').replace(/,/g, '%2C')}`);
  } else if (b?.logo) {
    const file = b.logo;
    attempt(() => {
      const ext = file.split('.').pop()?.toLowerCase() ?? '';
      const body = readConfigFile('ui.branding.logo', file, MAX_LOGO_BYTES);
      if (!looksLike(ext, body))
        throw new Error(`ui.branding.logo: ${file} is not a ${ext.toUpperCase()} image`);
      const asset = { body, type: IMAGE_TYPES[ext] as string, etag: etagOf(body) };
      branding.logo = asset;
      branding.view.logo = LOGO_PATH + version(asset);
    });
  }
  if (b?.css) {
    const file = b.css;
    attempt(() => {
      const body = readConfigFile('ui.branding.css', file, MAX_CSS_BYTES);
      const asset = { body, type: 'text/css; charset=utf-8', etag: etagOf(body) };
      branding.css = asset;
      branding.view.css = CSS_PATH + version(asset);
      branding.csp.style.push("'self'");
    });
  }
  if (b?.primary_color) {
    branding.view.colours = brandColours(b.primary_color, b.primary_text_color);
  }
  if (b?.support) branding.view.support = { ...b.support };
  if (problems.length > 0) throw new ConfigError(source, problems);
  return branding;
}
