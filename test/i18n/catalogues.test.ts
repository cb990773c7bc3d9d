// The shipped catalogues are complete, and a request's language is chosen as documented:
// ui_locales, then Accept-Language, then ui.default_locale; an operator's folder adds or overrides.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryCredentialStore } from '../../adapters/memory-credentials.ts';
import { createMemoryKeyValueStore } from '../../adapters/memory-kv.ts';
import { factorLabel, factorMessage, factorTranslator, messageFor } from '../../interactions/factor-flow.ts';
import { BUILTIN_FACTORS } from '../../src/factors/builtin.ts';
import { createFactors } from '../../src/factors/index.ts';
import type { Factor } from '../../src/factors/types.ts';
import { createI18n, SHIPPED_CATALOGUES } from '../../src/i18n/index.ts';
import type { OtpService } from '../../src/otp/service.ts';
import { createSecretBox } from '../../src/security/secret-box.ts';

const varsOf = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

/** Every factor tollgate ships, built on memory stores (only their texts are read here). */
const shippedFactors = (): Factor[] =>
  createFactors(
    { factors: BUILTIN_FACTORS.map((d) => d.id) },
    {
      credentials: createMemoryCredentialStore(),
      kv: createMemoryKeyValueStore(),
      box: createSecretBox([{ id: 'k', key: Buffer.alloc(32, 1) }]),
      otp: {} as OtpService,
      issuer: 'https://id.example.test',
    },
  ).all();

const accepting = (header: string) => ({
  acceptsLanguages: () =>
    header
      .split(',')
      .map((part) => part.split(';')[0]?.trim() ?? '')
      .filter(Boolean),
});

describe('shipped catalogues', () => {
  const english = Object.keys(SHIPPED_CATALOGUES.en ?? {}).sort();

  it('ship English, German, French and Spanish', () => {
    expect(Object.keys(SHIPPED_CATALOGUES).sort()).toEqual(['de', 'en', 'es', 'fr']);
  });

  for (const [lang, catalogue] of Object.entries(SHIPPED_CATALOGUES)) {
    it(`${lang} has every key English has, and none English lacks`, () => {
      const keys = Object.keys(catalogue).sort();
      expect({ lang, missing: english.filter((k) => !keys.includes(k)) }).toEqual({ lang, missing: [] });
      expect({ lang, extra: keys.filter((k) => !english.includes(k)) }).toEqual({ lang, extra: [] });
    });

    it(`${lang} keeps every {variable} of the English text, and has no empty text`, () => {
      for (const [key, text] of Object.entries(catalogue)) {
        expect({ key, vars: varsOf(text) }).toEqual({
          key,
          vars: varsOf(SHIPPED_CATALOGUES.en?.[key as never] ?? ''),
        });
        expect({ key, empty: text.trim() === '' }).toEqual({ key, empty: false });
      }
    });
  }
});

describe('choosing the language', () => {
  const i18n = createI18n();

  it('takes the first ui_locales tag with a catalogue, before Accept-Language', () => {
    expect(i18n.negotiate(accepting('fr'), 'pt de-AT en')).toBe('de');
  });

  it('falls back to Accept-Language (primary language of a regional tag), then the default', () => {
    expect(i18n.negotiate(accepting('pt-BR, es-MX;q=0.8'), undefined)).toBe('es');
    expect(i18n.negotiate(accepting('pt-BR'), 'ja')).toBe('en');
    expect(createI18n({ defaultLocale: 'fr' }).negotiate(accepting(''), undefined)).toBe('fr');
  });

  it('fills variables, picks _one/_other by count, escapes HTML and shows **emphasis**', () => {
    const de = i18n.translator('de');
    expect(de('login.heading', { app: 'Web' })).toBe('Bei Web anmelden');
    expect(de('recovery.left', { count: 1 })).toBe('Noch 1 Code übrig');
    expect(de('recovery.left', { count: 3 })).toBe('Noch 3 Codes übrig');
    expect(de.html('consent.signedInAs', { name: '<b>x</b>' })).toBe(
      'Angemeldet als <strong>&lt;b&gt;x&lt;/b&gt;</strong>',
    );
  });

  it('refuses a default language it has no catalogue for', () => {
    expect(() => createI18n({ defaultLocale: 'xx' })).toThrow(/ui.default_locale/);
  });
});

describe('ui.locales_dir', () => {
  it('adds a language and overrides texts of a shipped one; missing keys fall back to English', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-locales-'));
    writeFileSync(join(dir, 'it.json'), JSON.stringify({ 'login.title': 'Accedi' }));
    writeFileSync(join(dir, 'de.json'), JSON.stringify({ 'login.title': 'Einloggen' }));
    const i18n = createI18n({ localesDir: dir });
    expect(i18n.locales).toContain('it');
    expect(i18n.translator('it')('login.title')).toBe('Accedi');
    expect(i18n.translator('it')('login.submit')).toBe('Sign in');
    expect(i18n.translator('de')('login.title')).toBe('Einloggen');
    expect(i18n.translator('de')('login.submit')).toBe('Anmelden');
    expect(i18n.negotiate(accepting('it-IT'), undefined)).toBe('it');
  });

  it('stops start-up on a file that is not a flat object of texts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-locales-'));
    writeFileSync(join(dir, 'nl.json'), JSON.stringify({ 'login.title': 3 }));
    expect(() => createI18n({ localesDir: dir })).toThrow(/nl.json/);
  });
});

describe('factor plug-ins', () => {
  // Only what messageFor and factorLabel read: a plug-in with English messages and a German catalogue.
  const plugin = {
    id: 'hwkey',
    label: 'Hardware key',
    messages: { invalid_code: 'That key did not answer.' },
    catalogues: {
      de: { label: 'Hardware-Schlüssel', invalid_code: 'Dieser Schlüssel hat nicht geantwortet.' },
    },
  } as unknown as Factor;
  const i18n = createI18n();

  it("uses the factor's catalogue for its language, its messages in English, tollgate's catalogue elsewhere", () => {
    expect(messageFor(plugin, 'invalid_code', i18n.translator('de'))).toBe(
      'Dieser Schlüssel hat nicht geantwortet.',
    );
    expect(factorLabel(plugin, i18n.translator('de'))).toBe('Hardware-Schlüssel');
    expect(messageFor(plugin, 'invalid_code', i18n.translator('en'))).toBe('That key did not answer.');
    expect(factorLabel(plugin, i18n.translator('en'))).toBe('Hardware key');
    // No French of its own: the generic French message, and the factor's own label.
    expect(messageFor(plugin, 'invalid_code', i18n.translator('fr'))).toBe('Ce code est incorrect.');
    expect(factorLabel(plugin, i18n.translator('fr'))).toBe('Hardware key');
  });

  it("a factor message key: its own catalogue, then tollgate's `factor.<id>.<key>` and the key, then its English", () => {
    const withTexts = {
      ...plugin,
      catalogues: {
        en: { TOO_SLOW_one: 'Too slow: {count} second.', TOO_SLOW_other: 'Too slow: {count} seconds.' },
        de: { TOO_SLOW_other: 'Zu langsam: {count} Sekunden.', 'page.heading': 'Schlüssel verwenden' },
      },
    } as unknown as Factor;
    const slow = { key: 'TOO_SLOW', vars: { count: 3 } };
    expect(factorMessage(withTexts, slow, i18n.translator('de'))).toBe('Zu langsam: 3 Sekunden.');
    expect(factorMessage(withTexts, slow, i18n.translator('en'))).toBe('Too slow: 3 seconds.');
    // No Spanish of its own: its English, never the bare key.
    expect(factorMessage(withTexts, slow, i18n.translator('es'))).toBe('Too slow: 3 seconds.');
    // Keys it does not have are tollgate's, in the page's language.
    const de = factorTranslator(withTexts, i18n.translator('de'));
    expect(de('page.heading')).toBe('Schlüssel verwenden');
    expect(de('common.cancel')).toBe('Abbrechen');
    expect(factorMessage(withTexts, { key: 'address.tooManySends' }, i18n.translator('fr'))).toBe(
      'Trop de codes ont été envoyés. Réessayez plus tard.',
    );
    // A shipped factor's own message in tollgate's catalogue, as `factor.<id>.<code>`.
    const totp = shippedFactors().find((f) => f.id === 'totp') as Factor;
    expect(messageFor(totp, 'invalid_code', i18n.translator('es'))).toBe(
      'Ese código no es correcto. Comprueba la hora de tu dispositivo e inténtalo de nuevo.',
    );
  });

  // A shipped factor's own texts (label, messages, its pages' keys) exist in every shipped
  // language, with the same variables: a key added to its English only fails here.
  for (const factor of shippedFactors()) {
    const english = { ...factor.messages, ...factor.catalogues?.en };
    if (Object.keys(english).length === 0) continue;
    for (const lang of Object.keys(SHIPPED_CATALOGUES)) {
      it(`the ${factor.id} factor's own texts are complete in ${lang}`, () => {
        const t = factorTranslator(factor, i18n.translator(lang));
        const own = factor.catalogues?.[lang] ?? {};
        const missing = Object.keys(english).filter((k) => t.opt(k) === undefined);
        const extra = Object.keys(own).filter((k) => !(k in english));
        expect({ lang, missing, extra }).toEqual({ lang, missing: [], extra: [] });
        for (const [key, text] of Object.entries(own))
          expect({ key, vars: varsOf(text) }).toEqual({ key, vars: varsOf(english[key] ?? '') });
      });
    }
  }
});
