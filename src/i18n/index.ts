import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context, Middleware } from 'koa';
import { ConfigError } from '../errors.ts';
import { de } from './locales/de.ts';
import { type Catalogue, en, type MessageKey, type PluralKey } from './locales/en.ts';
import { es } from './locales/es.ts';
import { fr } from './locales/fr.ts';

export type { Catalogue, MessageKey, PluralKey };

/** Variables filled into a message's `{name}` placeholders. */
export type MessageVars = Record<string, string | number>;

/**
 * Translates a key into the chosen language. A `count` variable picks `<key>_one` (count 1) or
 * `<key>_other` when the catalogue has them. Unknown keys fall back to English, then to the key.
 */
export interface Translate {
  (key: MessageKey | (string & {}), vars?: MessageVars): string;
  /** The language tag the page is in (`<html lang>`). */
  readonly locale: string;
  /** The message in this language only, or undefined when its catalogue lacks the key. */
  opt(key: string, vars?: MessageVars): string | undefined;
  /**
   * The message as HTML: text and variables escaped, `**x**` shown as `<strong>x</strong>`.
   * For sentences with an emphasised part ("Signed in as **{name}**").
   */
  html(key: MessageKey | (string & {}), vars?: MessageVars): string;
  /** Like {@link Translate.html}, with the `**x**` part as a link to `href` ("or **ask for a new code**"). */
  link(key: MessageKey | (string & {}), href: string, vars?: MessageVars): string;
}

/** The languages shipped with tollgate, complete for every key. */
export const SHIPPED_CATALOGUES: Readonly<Record<string, Catalogue>> = { en, de, fr, es };

/** Options of {@link createI18n}. */
export interface I18nOptions {
  /** Language when neither `ui_locales` nor `Accept-Language` names one we have. @default 'en' */
  defaultLocale?: string;
  /**
   * An operator's folder of `<lang>.json` files (flat `{ "key": "text" }`), merged over the
   * shipped catalogues: a file for a new language adds it, a file for a shipped one overrides
   * some of its texts. @default none
   */
  localesDir?: string;
  /**
   * Catalogues of factor plug-ins, by language, merged under the shipped and operator texts
   * (a factor's keys are `factor.<id>.<code>`, see README "Pages in the user's language").
   */
  extra?: readonly Readonly<Record<string, Readonly<Record<string, string>>>>[];
}

/** Where a request's Accept-Language is read from (a Koa context). */
export interface LanguageSource {
  acceptsLanguages(): string[] | string | false;
}

/** The catalogues in force and how a request's language is chosen. */
export interface I18n {
  /** Languages with a catalogue, the default first. */
  readonly locales: readonly string[];
  readonly defaultLocale: string;
  /** The best language for a request: `ui_locales` (space-separated) first, then Accept-Language. */
  negotiate(ctx: LanguageSource | undefined, uiLocales?: unknown): string;
  /** The translator for one language (unknown languages get the default). */
  translator(locale: string): Translate;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function fill(text: string, vars: MessageVars | undefined, wrap: (v: string) => string = (v) => v): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? wrap(String(vars[name])) : whole,
  );
}

/**
 * Where a translator finds the text of one exact key: `own` asks for the translator's language
 * only, without the fallback to English. Plural forms are asked for first, as `<key>_one` or
 * `<key>_other`.
 */
export type TextSource = (key: string, own: boolean) => string | undefined;

/** The text source of each translator built here, for {@link extendTranslator}. */
const sources = new WeakMap<Translate, TextSource>();

/** A translator for `locale` reading `find`: plural forms, `{variables}`, HTML and links. */
function translatorOver(locale: string, find: TextSource): Translate {
  const lookup = (key: string, vars?: MessageVars, own = false): string | undefined => {
    if (vars && typeof vars.count === 'number') {
      const plural = find(`${key}_${vars.count === 1 ? 'one' : 'other'}`, own);
      if (plural !== undefined) return plural;
    }
    return find(key, own);
  };
  const t = ((key: string, vars?: MessageVars) => fill(lookup(key, vars) ?? key, vars)) as Translate;
  Object.defineProperty(t, 'locale', { value: locale });
  t.opt = (key, vars) => {
    const text = lookup(key, vars, true);
    return text === undefined ? undefined : fill(text, vars);
  };
  // Emphasis first, variables after: a value's own asterisks (a masked address) stay text.
  t.html = (key, vars) =>
    fill(
      escapeHtml(lookup(key, vars) ?? key).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>'),
      vars,
      escapeHtml,
    );
  t.link = (key, href, vars) =>
    fill(
      escapeHtml(lookup(key, vars) ?? key).replace(/\*\*(.+?)\*\*/g, `<a href="${escapeHtml(href)}">$1</a>`),
      vars,
      escapeHtml,
    );
  sources.set(t, find);
  return t;
}

/**
 * A translator in `t`'s language that finds texts with `find`, which is given `t`'s own source to
 * fall back on: a factor's texts over tollgate's catalogues (`factorTranslator`,
 * interactions/factor-flow.ts).
 */
export function extendTranslator(
  t: Translate,
  find: (key: string, own: boolean, base: TextSource) => string | undefined,
): Translate {
  const base: TextSource = sources.get(t) ?? ((key) => t.opt(key));
  return translatorOver(t.locale, (key, own) => find(key, own, base));
}

/** Reads `<lang>.json` files of an operator's folder; a bad file stops start-up naming it. */
function readLocalesDir(dir: string): Record<string, Record<string, string>> {
  if (!existsSync(dir)) throw new ConfigError('ui.locales_dir', [`${dir}: no such folder`]);
  const out: Record<string, Record<string, string>> = {};
  for (const file of readdirSync(dir)) {
    const m = /^([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.json$/.exec(file);
    if (!m?.[1]) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (err) {
      throw new ConfigError('ui.locales_dir', [`${file}: ${(err as Error).message}`]);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError('ui.locales_dir', [`${file}: expected an object of "key": "text"`]);
    }
    const texts: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== 'string')
        throw new ConfigError('ui.locales_dir', [`${file}: "${key}" is not a string`]);
      texts[key] = value;
    }
    out[m[1].toLowerCase()] = texts;
  }
  return out;
}

/** Builds the catalogues: factor catalogues, then the shipped ones, then the operator's folder. */
export function createI18n(options: I18nOptions = {}): I18n {
  const merged: Record<string, Record<string, string>> = {};
  const add = (lang: string, texts: Readonly<Record<string, string>>) => {
    const key = lang.toLowerCase();
    merged[key] = { ...merged[key], ...texts };
  };
  for (const extra of options.extra ?? [])
    for (const [lang, texts] of Object.entries(extra)) add(lang, texts);
  for (const [lang, texts] of Object.entries(SHIPPED_CATALOGUES)) add(lang, texts);
  if (options.localesDir)
    for (const [lang, texts] of Object.entries(readLocalesDir(options.localesDir))) add(lang, texts);
  const defaultLocale = (options.defaultLocale ?? 'en').toLowerCase();
  if (!merged[defaultLocale]) {
    throw new ConfigError('ui.default_locale', [
      `no catalogue for "${defaultLocale}" (have: ${Object.keys(merged).join(', ')})`,
    ]);
  }
  const locales = [defaultLocale, ...Object.keys(merged).filter((l) => l !== defaultLocale)];
  const english = merged.en ?? {};
  const translators = new Map<string, Translate>();

  /** The catalogue language for a tag: exact (`pt-br`), else its primary language (`de-AT` -> `de`). */
  const match = (tag: string): string | undefined => {
    const t = tag.trim().toLowerCase();
    if (!t || t === '*') return undefined;
    if (merged[t]) return t;
    const primary = t.split('-')[0] ?? '';
    return merged[primary] ? primary : undefined;
  };

  const translator = (locale: string): Translate => {
    const lang = match(locale) ?? defaultLocale;
    const cached = translators.get(lang);
    if (cached) return cached;
    const texts = merged[lang] ?? {};
    const t = translatorOver(lang, (key, own) => texts[key] ?? (own ? undefined : english[key]));
    translators.set(lang, t);
    return t;
  };

  const negotiate: I18n['negotiate'] = (ctx, uiLocales) => {
    if (typeof uiLocales === 'string') {
      for (const tag of uiLocales.split(/\s+/)) {
        const lang = match(tag);
        if (lang) return lang;
      }
    }
    const accepted = ctx?.acceptsLanguages?.() ?? [];
    for (const tag of Array.isArray(accepted) ? accepted : [accepted]) {
      const lang = typeof tag === 'string' ? match(tag) : undefined;
      if (lang) return lang;
    }
    return defaultLocale;
  };

  return { locales, defaultLocale, negotiate, translator };
}

let shipped: I18n | undefined;
/** The shipped catalogues with English as the default (for parts mounted without options). */
export const defaultI18n = (): I18n => {
  shipped ??= createI18n();
  return shipped;
};

/** What {@link localeMiddleware} leaves on `ctx.state`. */
export interface LocaleState {
  i18n?: I18n;
  locale?: string;
}

/**
 * Chooses each request's language from `Accept-Language` (else the default) and keeps the
 * catalogues on `ctx.state`; the login pages refine it with the interaction's `ui_locales`
 * ({@link useUiLocales}).
 */
export function localeMiddleware(i18n: I18n): Middleware {
  return async (ctx, next) => {
    const state = ctx.state as LocaleState;
    state.i18n = i18n;
    state.locale = i18n.negotiate(ctx);
    await next();
  };
}

/** Sets the request's language from an OIDC `ui_locales` value, when it names one we have. */
export function useUiLocales(ctx: Context, uiLocales: unknown): void {
  const state = ctx.state as LocaleState;
  const i18n = state.i18n ?? defaultI18n();
  state.i18n = i18n;
  state.locale = i18n.negotiate(ctx, uiLocales);
}

/** The translator of a request's language (Accept-Language with the shipped catalogues if no middleware ran). */
export function translatorOf(ctx: Context | undefined): Translate {
  const state = (ctx?.state ?? {}) as LocaleState;
  const i18n = state.i18n ?? defaultI18n();
  return i18n.translator(state.locale ?? i18n.negotiate(ctx));
}

/** Shorthand: `t(ctx, 'login.title')`. */
export const t = (ctx: Context, key: MessageKey | (string & {}), vars?: MessageVars): string =>
  translatorOf(ctx)(key, vars);
