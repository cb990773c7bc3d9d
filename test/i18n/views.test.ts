// Pages rendered in German through the real renderer: <html lang>, Content-Language, and no
// English left on pages outside the browser journey (account page, sign-out, error page).
import { describe, expect, it } from 'vitest';
import { createI18n, localeMiddleware } from '../../src/i18n/index.ts';
import { createRenderer } from '../../src/render.ts';

/** A Koa-like context asking for `acceptLanguage`, run through the locale middleware. */
async function contextFor(acceptLanguage: string) {
  const headers: Record<string, string> = {};
  const ctx = {
    state: {} as Record<string, unknown>,
    acceptsLanguages: () => acceptLanguage.split(',').map((s) => s.split(';')[0]?.trim() ?? ''),
    set: (k: string, v: string) => {
      headers[k.toLowerCase()] = v;
    },
    status: 200,
    type: '',
    body: '' as unknown,
  };
  await localeMiddleware(createI18n())(ctx as never, async () => undefined);
  return { ctx, headers };
}

const ENGLISH =
  /\b(Sign-in methods|Remove|Add |Send a code|Sign out|Where you are|Your account|Secured by|Something went wrong|Error code)\b/;

async function renderDe(view: string, data: Record<string, unknown>) {
  const { ctx, headers } = await contextFor('de-CH, en;q=0.5');
  await createRenderer()(ctx as never, view, data);
  return { html: String(ctx.body), headers };
}

describe('pages in German', () => {
  it('the account page, with its factors and sessions', async () => {
    const { html, headers } = await renderDe('account', {
      title: 'Ihr Konto',
      account: { username: 'alice', email: 'alice@example.com' },
      csrf: 'x',
      credentials: [
        { id: 'c1', label: 'Authenticator-App', factor: 'totp', created: '2026-01-01', remaining: undefined },
      ],
      verifiers: [{ id: 'totp', label: 'Authenticator-App', name: 'Authenticator-App', sends: false }],
      addable: [{ id: 'email', label: 'Code per E-Mail', name: 'Code per E-Mail' }],
      renewable: { id: 'recovery', label: 'Wiederherstellungscode', plural: 'Wiederherstellungscodes' },
      sessions: [
        {
          id: 's1',
          current: true,
          device: 'Firefox',
          ip: '127.0.0.1',
          signedIn: '2026-01-01 10:00',
          apps: ['App'],
        },
        { id: 's2', current: false, device: 'Chrome', signedIn: undefined, apps: [] },
      ],
    });
    expect(headers['content-language']).toBe('de');
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('Angemeldet als <strong>alice</strong> (alice@example.com).');
    expect(html).toContain('Code per E-Mail hinzufügen');
    expect(html).toContain('Überall sonst abmelden');
    expect(ENGLISH.exec(html.replace(/<style>[\s\S]*?<\/style>/, ''))?.[0]).toBeUndefined();
  });

  it('the error and sign-out pages', async () => {
    const error = await renderDe('error', {
      title: 'Etwas ist schiefgelaufen',
      error: 'interaction_not_found',
      description: 'The login session was not found.',
      status: 404,
      links: [],
    });
    expect(error.html).toContain('<html lang="de">');
    expect(error.html).toContain('Diese Anmeldung ist abgelaufen oder wurde bereits abgeschlossen.');
    expect(error.html).toContain('Fehlercode: interaction_not_found');
    const logout = await renderDe('logout', {
      title: 'Abmelden',
      host: 'id.example',
      form: '<form id="op.logoutForm"></form>',
    });
    expect(logout.html).toContain('Von id.example abmelden?');
    expect(logout.html).toContain('Ja, abmelden');
    for (const page of [error.html, logout.html])
      expect(ENGLISH.exec(page.replace(/<style>[\s\S]*?<\/style>/, ''))?.[0]).toBeUndefined();
  });

  it('the password reset pages, the way on a link inside the sentence', async () => {
    const code = await renderDe('reset-code', {
      title: 'Code eingeben',
      minutes: 10,
      action: '/r',
      csrf: 'x',
      backUrl: '/back',
      againUrl: '/again?a=1&b=2',
    });
    expect(code.html).toContain('Er ist 10 Minuten lang gültig.');
    expect(code.html).toContain('oder <a href="/again?a=1&amp;b=2">fordern Sie einen neuen Code an</a>.');
    expect(code.html).toContain('Zurück zur Anmeldung');
    expect(ENGLISH.exec(code.html.replace(/<style>[\s\S]*?<\/style>/, ''))?.[0]).toBeUndefined();
  });
});
