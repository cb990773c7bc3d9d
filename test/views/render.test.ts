import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import { describe, expect, it } from 'vitest';
import { defaultI18n } from '../../src/i18n/index.ts';

const viewsDir = new URL('../../views/', import.meta.url);

type Data = Record<string, unknown>;

async function render(view: string, data: Data): Promise<string> {
  const file = fileURLToPath(new URL(`${view}.ejs`, viewsDir));
  // What createRenderer gives every page: the English translator and its language.
  const t = defaultI18n().translator('en');
  return await ejs.renderFile(file, { t, lang: t.locale, ...data }, { async: false });
}

type Tag = { raw: string; index: number; attrs: Map<string, string> };

/** Every start tag `<name ...>` in `html`, with its attributes (names lower-cased, values unescaped of quotes only). */
function tags(html: string, name: string): Tag[] {
  const out: Tag[] = [];
  const re = new RegExp(`<${name}\\b((?:[^>"']|"[^"]*"|'[^']*')*)>`, 'gi');
  for (const m of html.matchAll(re)) {
    const attrs = new Map<string, string>();
    const attrRe = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
    for (const a of (m[1] ?? '').matchAll(attrRe)) {
      const key = a[1];
      if (key === undefined) continue;
      attrs.set(key.toLowerCase(), a[2] ?? a[3] ?? a[4] ?? '');
    }
    out.push({ raw: m[0], index: m.index ?? 0, attrs });
  }
  return out;
}

function one(html: string, name: string, pred: (t: Tag) => boolean): Tag {
  const found = tags(html, name).filter(pred);
  expect(found, `expected exactly one matching <${name}>`).toHaveLength(1);
  return found[0] as Tag;
}

function byId(html: string, name: string, id: string): Tag {
  return one(html, name, (t) => t.attrs.get('id') === id);
}

const HOSTILE_NAME = '<script>alert(1)</script>';
const HOSTILE_ATTR = '"><img src=x onerror=alert(1)>';

const LOGOUT_FORM =
  '<form id="op.logoutForm" method="post" action="https://id.example.com/session/end/confirm">' +
  '<input type="hidden" name="xsrf" value="b4e2f1"/></form>';

const loginData = (over: Data = {}): Data => ({
  title: 'Sign in',
  clientName: 'Acme Dashboard',
  action: '/interaction/i-123/login',
  abortUrl: '/interaction/i-123/abort',
  csrf: 'csrf-token-123',
  username: '',
  error: undefined,
  ...over,
});

const consentData = (over: Data = {}): Data => ({
  title: 'Authorize',
  clientName: 'Acme Dashboard',
  action: '/interaction/i-123/confirm',
  abortUrl: '/interaction/i-123/abort',
  csrf: 'csrf-token-456',
  scopes: [
    { name: 'openid', description: 'Confirm who you are' },
    { name: 'email', description: 'See your email address' },
  ],
  claims: ['email', 'email_verified'],
  accountName: 'alice@example.com',
  ...over,
});

const errorData = (over: Data = {}): Data => ({
  title: 'Something went wrong',
  status: 400,
  error: 'invalid_request',
  description: 'The sign-in request was malformed or has expired.',
  backUrl: '/start',
  ...over,
});

const logoutData = (over: Data = {}): Data => ({
  title: 'Sign out',
  host: 'id.example.com',
  form: LOGOUT_FORM,
  clientName: 'Acme Dashboard',
  ...over,
});

const logoutSuccessData = (over: Data = {}): Data => ({
  title: 'Signed out',
  clientName: 'Acme Dashboard',
  ...over,
});

const messageData = (over: Data = {}): Data => ({
  title: 'Done',
  heading: 'All set',
  message: 'Your device is now connected.',
  link: { href: '/continue', text: 'Continue' },
  ...over,
});

const resetRequestData = (over: Data = {}): Data => ({
  title: 'Reset your password',
  clientName: 'Acme Dashboard',
  action: '/interaction/i-123/reset',
  csrf: 'csrf-token-789',
  username: '',
  backUrl: '/interaction/i-123',
  ...over,
});

const resetCodeData = (over: Data = {}): Data => ({
  title: 'Enter the code',
  action: '/interaction/i-123/reset/code',
  csrf: 'csrf-token-789',
  minutes: 15,
  againUrl: '/interaction/i-123/reset',
  backUrl: '/interaction/i-123',
  ...over,
});

const resetPasswordData = (over: Data = {}): Data => ({
  title: 'Choose a new password',
  action: '/interaction/i-123/reset/password',
  csrf: 'csrf-token-789',
  minLength: 8,
  maxLength: 1024,
  backUrl: '/interaction/i-123',
  ...over,
});

const cases: Array<{ view: string; data: Data; title: string }> = [
  { view: 'login', data: loginData(), title: 'Sign in' },
  {
    view: 'login',
    data: loginData({ username: 'alice', error: 'Invalid username or password.' }),
    title: 'Sign in',
  },
  { view: 'consent', data: consentData(), title: 'Authorize' },
  { view: 'consent', data: consentData({ scopes: [], claims: [] }), title: 'Authorize' },
  { view: 'error', data: errorData(), title: 'Something went wrong' },
  { view: 'error', data: errorData({ backUrl: undefined }), title: 'Something went wrong' },
  { view: 'logout', data: logoutData(), title: 'Sign out' },
  { view: 'logout', data: logoutData({ clientName: undefined }), title: 'Sign out' },
  { view: 'logout-success', data: logoutSuccessData(), title: 'Signed out' },
  { view: 'logout-success', data: logoutSuccessData({ clientName: undefined }), title: 'Signed out' },
  { view: 'message', data: messageData(), title: 'Done' },
  { view: 'message', data: messageData({ link: undefined }), title: 'Done' },
  {
    view: 'account',
    data: {
      title: 'Your account',
      account: { username: 'alice', email: 'alice@example.com' },
      csrf: 'csrf-token-value',
      message: 'Authenticator app is set up.',
      error: undefined,
      credentials: [
        {
          id: 'c1',
          label: 'Authenticator app',
          factor: 'totp',
          created: '2026-11-24',
          lastUsed: '2026-11-24',
        },
        { id: 'c2', label: 'Recovery code', factor: 'recovery', created: '2026-11-24' },
      ],
      verifiers: [
        { id: 'totp', label: 'Authenticator app' },
        { id: 'recovery', label: 'Recovery code' },
      ],
      addable: [],
      recoveryRemaining: 9,
      canRegenerate: true,
    },
    title: 'Your account',
  },
  {
    view: 'backup-pending',
    data: {
      title: 'Save your recovery codes',
      added: 'Authenticator app',
      backup: 'Recovery code',
      action: '/interaction/u/enrol/recovery',
      regenerate: '/interaction/u/recovery/regenerate',
      abortUrl: '/interaction/u/abort?csrf=x',
      csrf: 'csrf-token-value',
    },
    title: 'Save your recovery codes',
  },
  {
    view: 'mfa-choose',
    data: {
      title: 'Set up a second factor',
      heading: 'Set up a second factor',
      message: 'Acme asks for a second step when you sign in. Choose how:',
      options: [
        { label: 'Authenticator app', href: '/interaction/u/enrol/totp' },
        { label: 'Email code', href: '/interaction/u/enrol/email' },
      ],
      abortUrl: '/interaction/u/abort?csrf=x',
    },
    title: 'Set up a second factor',
  },
  { view: 'login', data: loginData({ resetUrl: '/interaction/i-123/reset' }), title: 'Sign in' },
  { view: 'reset-request', data: resetRequestData(), title: 'Reset your password' },
  {
    view: 'reset-request',
    data: resetRequestData({ error: 'Enter your username.' }),
    title: 'Reset your password',
  },
  { view: 'reset-code', data: resetCodeData(), title: 'Enter the code' },
  {
    view: 'reset-code',
    data: resetCodeData({ error: 'That code is not correct.' }),
    title: 'Enter the code',
  },
  { view: 'reset-password', data: resetPasswordData(), title: 'Choose a new password' },
  {
    view: 'reset-password',
    data: resetPasswordData({ error: 'Use at least 8 characters.' }),
    title: 'Choose a new password',
  },
];

describe('views: common structure and accessibility', () => {
  it('covers every top-level template', () => {
    const files = readdirSync(viewsDir)
      .filter((f) => f.endsWith('.ejs'))
      .map((f) => f.replace(/\.ejs$/, ''))
      .sort();
    expect(files).toEqual([...new Set(cases.map((c) => c.view))].sort());
  });

  it.each(cases)('$view renders an accessible, self-contained page (%#)', async ({ view, data, title }) => {
    const html = await render(view, data);

    expect(html.trimStart().toLowerCase().startsWith('<!doctype html>')).toBe(true);
    expect(tags(html, 'html')).toHaveLength(1);
    expect(tags(html, 'html')[0]?.attrs.get('lang')).toBe('en');
    one(html, 'meta', (t) => t.attrs.has('charset'));
    const viewport = one(html, 'meta', (t) => t.attrs.get('name') === 'viewport');
    expect(viewport.attrs.get('content')).toBe('width=device-width, initial-scale=1');
    const referrer = one(html, 'meta', (t) => t.attrs.get('name') === 'referrer');
    expect(referrer.attrs.get('content')).toBe('no-referrer');
    expect(html).toContain(`<title>${title} · tollgate</title>`);

    // Exactly one h1, one main landmark, and the footer.
    expect(tags(html, 'h1')).toHaveLength(1);
    expect(tags(html, 'main')).toHaveLength(1);
    expect(html).toMatch(/<footer\b[^>]*>[\s\S]*Secured by tollgate[\s\S]*<\/footer>/);

    // Every visible input has an id with a matching <label for>, and ids are unique.
    const ids = tags(html, '[a-z][a-z0-9]*')
      .map((t) => t.attrs.get('id'))
      .filter((id): id is string => id !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
    const labelFors = tags(html, 'label').map((l) => l.attrs.get('for'));
    for (const input of tags(html, 'input')) {
      if (input.attrs.get('type') === 'hidden') continue;
      const id = input.attrs.get('id');
      expect(id, `input without id: ${input.raw}`).toBeTruthy();
      expect(labelFors, `no <label for="${id}">`).toContain(id);
    }
    // Every aria-describedby points at an element that exists.
    for (const t of tags(html, '[a-z][a-z0-9]*')) {
      const ref = t.attrs.get('aria-describedby');
      if (ref === undefined) continue;
      for (const part of ref.split(/\s+/)) expect(ids).toContain(part);
    }

    // No JavaScript and no external assets: a single inline <style>.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
    expect(tags(html, 'style')).toHaveLength(1);
    // The only <link> is an empty data: favicon, so browsers do not ask the server for one.
    expect(html.match(/<link\b[^>]*>/g) ?? []).toEqual(['<link rel="icon" href="data:,">']);
    expect(tags(html, 'img')).toHaveLength(0);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toMatch(/@media \(prefers-color-scheme: dark\)/);
    expect(html).toMatch(/:focus-visible\s*\{[^}]*outline:\s*3px solid/);
  });
});

describe('views/login.ejs', () => {
  it('renders the form with CSRF token, labelled fields and autocomplete hints', async () => {
    const html = await render('login', loginData());

    expect(tags(html, 'h1')[0]?.raw).toBe('<h1>');
    expect(html).toMatch(/<h1>Sign in to Acme Dashboard<\/h1>/);
    const form = one(html, 'form', () => true);
    expect(form.attrs.get('method')).toBe('post');
    expect(form.attrs.get('action')).toBe('/interaction/i-123/login');

    const csrf = one(html, 'input', (t) => t.attrs.get('name') === 'csrf');
    expect(csrf.attrs.get('type')).toBe('hidden');
    expect(csrf.attrs.get('value')).toBe('csrf-token-123');
    expect(csrf.index).toBeGreaterThan(form.index);

    const username = byId(html, 'input', 'username');
    expect(username.attrs.get('name')).toBe('username');
    expect(username.attrs.get('autocomplete')).toBe('username');
    expect(username.attrs.has('required')).toBe(true);
    expect(username.attrs.get('value')).toBe('');
    expect(username.attrs.has('autofocus')).toBe(true);

    const password = byId(html, 'input', 'password');
    expect(password.attrs.get('type')).toBe('password');
    expect(password.attrs.get('name')).toBe('password');
    expect(password.attrs.get('autocomplete')).toBe('current-password');
    expect(password.attrs.has('required')).toBe(true);
    expect(password.attrs.has('autofocus')).toBe(false);
    expect(password.attrs.has('value')).toBe(false);

    expect(tags(html, '[a-z][a-z0-9]*').filter((t) => t.attrs.has('autofocus'))).toHaveLength(1);

    const submit = one(html, 'button', (t) => t.attrs.get('type') === 'submit');
    expect(html.slice(submit.index)).toMatch(/^<button[^>]*>Sign in<\/button>/);
    const cancel = one(html, 'a', (t) => t.attrs.get('href') === '/interaction/i-123/abort');
    expect(cancel.attrs.get('class')).toContain('btn-secondary');
    expect(html.slice(cancel.index)).toMatch(/^<a[^>]*>Cancel<\/a>/);

    // No error: no alert, no describedby.
    expect(html).not.toContain('role="alert"');
    expect(html).not.toContain('aria-describedby');
  });

  it('shows the error in role=alert, referenced by the inputs, and focuses the password when prefilled', async () => {
    const html = await render(
      'login',
      loginData({ username: 'alice', error: 'Invalid username or password.' }),
    );

    const alert = one(html, '[a-z]+', (t) => t.attrs.get('role') === 'alert');
    const alertId = alert.attrs.get('id');
    expect(alertId).toBeTruthy();
    expect(html.slice(alert.index)).toMatch(/^<[a-z]+[^>]*>Invalid username or password\.</);
    expect(alert.index).toBeLessThan(one(html, 'form', () => true).index);

    const username = byId(html, 'input', 'username');
    const password = byId(html, 'input', 'password');
    expect(username.attrs.get('aria-describedby')?.split(/\s+/)).toContain(alertId);
    expect(password.attrs.get('aria-describedby')?.split(/\s+/)).toContain(alertId);

    expect(username.attrs.get('value')).toBe('alice');
    expect(username.attrs.has('autofocus')).toBe(false);
    expect(password.attrs.has('autofocus')).toBe(true);
  });

  it('works when optional values are omitted entirely', async () => {
    const { error: _e, username: _u, ...data } = loginData();
    const html = await render('login', data);
    expect(byId(html, 'input', 'username').attrs.get('value')).toBe('');
    expect(html).not.toContain('role="alert"');
  });

  it('escapes hostile values', async () => {
    const html = await render(
      'login',
      loginData({
        clientName: HOSTILE_NAME,
        error: HOSTILE_ATTR,
        username: HOSTILE_ATTR,
        csrf: HOSTILE_ATTR,
        action: HOSTILE_ATTR,
        abortUrl: HOSTILE_ATTR,
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // The attribute values survive intact once parsed, i.e. quotes were escaped rather than breaking out.
    expect(byId(html, 'input', 'username').attrs.get('value')).toBe(
      '&#34;&gt;&lt;img src=x onerror=alert(1)&gt;',
    );
  });
});

describe('views/consent.ejs', () => {
  it('lists scopes and claims and posts Allow with the CSRF token', async () => {
    const html = await render('consent', consentData());

    expect(html).toMatch(/<h1>Acme Dashboard wants to access your account<\/h1>/);
    expect(html).toContain('alice@example.com');
    for (const text of ['Confirm who you are', 'openid', 'See your email address', 'email_verified']) {
      expect(html).toMatch(new RegExp(`<li>[\\s\\S]*?${text}[\\s\\S]*?</li>`));
    }

    const form = one(html, 'form', () => true);
    expect(form.attrs.get('method')).toBe('post');
    expect(form.attrs.get('action')).toBe('/interaction/i-123/confirm');
    const csrf = one(html, 'input', (t) => t.attrs.get('name') === 'csrf');
    expect(csrf.attrs.get('type')).toBe('hidden');
    expect(csrf.attrs.get('value')).toBe('csrf-token-456');

    const allow = one(html, 'button', () => true);
    expect(allow.attrs.get('type')).toBe('submit');
    expect(allow.index).toBeGreaterThan(form.index);
    expect(allow.index).toBeLessThan(html.indexOf('</form>'));
    expect(html.slice(allow.index)).toMatch(/^<button[^>]*>Allow<\/button>/);
    const deny = one(html, 'a', (t) => t.attrs.get('href') === '/interaction/i-123/abort');
    expect(html.slice(deny.index)).toMatch(/^<a[^>]*>Deny<\/a>/);
  });

  it('handles empty scopes and claims', async () => {
    const html = await render('consent', consentData({ scopes: [], claims: [] }));
    expect(tags(html, 'li')).toHaveLength(0);
    expect(html).toContain('csrf-token-456');
  });

  it('escapes hostile values', async () => {
    const html = await render(
      'consent',
      consentData({
        clientName: HOSTILE_NAME,
        accountName: HOSTILE_ATTR,
        scopes: [{ name: HOSTILE_NAME, description: HOSTILE_ATTR }],
        claims: [HOSTILE_NAME, HOSTILE_ATTR],
        csrf: HOSTILE_ATTR,
        abortUrl: HOSTILE_ATTR,
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; wants to access your account');
    expect(one(html, 'input', (t) => t.attrs.get('name') === 'csrf').attrs.get('value')).toBe(
      '&#34;&gt;&lt;img src=x onerror=alert(1)&gt;',
    );
  });
});

describe('views/error.ejs', () => {
  it('shows the description prominently, the code small, and a Start again link', async () => {
    const html = await render('error', errorData());
    expect(html).toMatch(/<h1>Something went wrong<\/h1>/);
    expect(html).toContain('The sign-in request was malformed or has expired.');
    expect(html).toContain('Error code: invalid_request');
    expect(html.indexOf('The sign-in request')).toBeLessThan(html.indexOf('Error code:'));
    const back = one(html, 'a', (t) => t.attrs.get('href') === '/start');
    expect(html.slice(back.index)).toMatch(/^<a[^>]*>Start again<\/a>/);
  });

  it('omits the link when backUrl is undefined or missing', async () => {
    expect(await render('error', errorData({ backUrl: undefined }))).not.toContain('Start again');
    const { backUrl: _b, ...data } = errorData();
    expect(await render('error', data)).not.toContain('Start again');
  });

  it('escapes hostile values', async () => {
    const html = await render(
      'error',
      errorData({
        title: HOSTILE_NAME,
        error: HOSTILE_ATTR,
        description: HOSTILE_NAME,
        backUrl: HOSTILE_ATTR,
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('Error code: &#34;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt; · tollgate</title>');
  });
});

describe('the way on (error.ejs, message.ejs)', () => {
  const links = [
    { href: '/interaction/u', text: 'Start again' },
    { href: 'https://app.example.com/', text: 'Back to Acme' },
  ];

  it('offers every link, the first as the main action', async () => {
    for (const html of [
      await render('error', errorData({ backUrl: undefined, links })),
      await render('message', messageData({ link: undefined, links })),
    ]) {
      const [first, second] = tags(html, 'a') as [Tag, Tag];
      expect(tags(html, 'a')).toHaveLength(2);
      expect(first.attrs.get('href')).toBe('/interaction/u');
      expect(first.attrs.get('class')).toBe('btn btn-primary');
      expect(html.slice(first.index)).toMatch(/^<a[^>]*>Start again<\/a>/);
      expect(second.attrs.get('href')).toBe('https://app.example.com/');
      expect(second.attrs.get('class')).toBe('btn btn-secondary');
    }
    // message.ejs's single `link` comes first.
    const both = await render('message', messageData({ links }));
    expect(tags(both, 'a').map((a) => a.attrs.get('href'))).toEqual([
      '/continue',
      '/interaction/u',
      'https://app.example.com/',
    ]);
  });

  it('escapes hostile links', async () => {
    const html = await render('error', errorData({ links: [{ href: HOSTILE_ATTR, text: HOSTILE_NAME }] }));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
  });
});

describe('views/backup-pending.ejs', () => {
  it('asks to confirm the codes shown before, or to get a new set, with no code on the page', async () => {
    const data = cases.find((c) => c.view === 'backup-pending')?.data as Data;
    const html = await render('backup-pending', data);
    expect(html).toContain('<h1>Save your recovery codes</h1>');
    expect(html).toContain('Authenticator app is set up.');
    expect(html).not.toContain('<code>');
    const forms = tags(html, 'form');
    expect(forms.map((f) => f.attrs.get('action'))).toEqual([
      '/interaction/u/enrol/recovery',
      '/interaction/u/recovery/regenerate',
    ]);
    const confirm = byId(html, 'input', 'confirm');
    expect(confirm.attrs.get('name')).toBe('confirm');
    expect(confirm.attrs.has('required')).toBe(true);
    const regenerate = one(html, 'button', (b) => b.attrs.get('name') === 'regenerate');
    expect(regenerate.attrs.get('value')).toBe('1');
    expect(tags(html, 'input').filter((i) => i.attrs.get('name') === 'csrf')).toHaveLength(2);
  });
});

describe('views/logout.ejs', () => {
  it('embeds the provider form raw and puts both buttons outside it, referencing op.logoutForm', async () => {
    const html = await render('logout', logoutData());
    expect(html).toMatch(/<h1>Sign out of id\.example\.com\?<\/h1>/);
    expect(html).toContain(LOGOUT_FORM);
    expect(html).toContain('Acme Dashboard');

    const formEnd = html.indexOf(LOGOUT_FORM) + LOGOUT_FORM.length;
    const buttons = tags(html, 'button');
    expect(buttons).toHaveLength(2);
    for (const b of buttons) {
      expect(b.attrs.get('type')).toBe('submit');
      expect(b.attrs.get('form')).toBe('op.logoutForm');
      expect(b.index).toBeGreaterThan(formEnd);
    }
    const [yes, no] = buttons as [Tag, Tag];
    expect(yes.attrs.get('name')).toBe('logout');
    expect(yes.attrs.get('value')).toBe('yes');
    expect(yes.attrs.has('autofocus')).toBe(true);
    expect(html.slice(yes.index)).toMatch(/^<button[^>]*>Yes, sign me out<\/button>/);
    expect(no.attrs.has('name')).toBe(false);
    expect(no.attrs.get('class')).toContain('btn-secondary');
    expect(html.slice(no.index)).toMatch(/^<button[^>]*>No, stay signed in<\/button>/);
  });

  it('escapes host and clientName (but not the form)', async () => {
    const html = await render('logout', logoutData({ host: HOSTILE_NAME, clientName: HOSTILE_ATTR }));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('Sign out of &lt;script&gt;alert(1)&lt;/script&gt;?');
    expect(html).toContain(LOGOUT_FORM);
  });
});

describe('views/logout-success.ejs', () => {
  it('names the client when given', async () => {
    expect(await render('logout-success', logoutSuccessData())).toMatch(
      /You have been signed out of Acme Dashboard\./,
    );
    const { clientName: _c, ...data } = logoutSuccessData();
    expect(await render('logout-success', data)).toMatch(/You have been signed out\./);
  });

  it('escapes clientName', async () => {
    const html = await render('logout-success', logoutSuccessData({ clientName: HOSTILE_NAME }));
    expect(html).not.toContain('<script');
    expect(html).toContain('signed out of &lt;script&gt;alert(1)&lt;/script&gt;.');
  });
});

describe('views/message.ejs', () => {
  it('renders heading, message and the optional link', async () => {
    const html = await render('message', messageData());
    expect(html).toMatch(/<h1>All set<\/h1>/);
    expect(html).toContain('Your device is now connected.');
    const link = one(html, 'a', (t) => t.attrs.get('href') === '/continue');
    expect(html.slice(link.index)).toMatch(/^<a[^>]*>Continue<\/a>/);

    const { link: _l, ...data } = messageData();
    expect(tags(await render('message', data), 'a')).toHaveLength(0);
  });

  it('escapes hostile values', async () => {
    const html = await render(
      'message',
      messageData({
        title: HOSTILE_NAME,
        heading: HOSTILE_NAME,
        message: HOSTILE_ATTR,
        link: { href: HOSTILE_ATTR, text: HOSTILE_NAME },
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
  });
});

describe('the password reset views', () => {
  it('links "Forgot password?" under the login form only when the reset is on', async () => {
    const withReset = await render('login', loginData({ resetUrl: '/interaction/i-123/reset' }));
    const link = one(withReset, 'a', (t) => t.attrs.get('href') === '/interaction/i-123/reset');
    expect(withReset.slice(link.index)).toMatch(/^<a[^>]*>Forgot password\?<\/a>/);
    expect(link.index).toBeGreaterThan(withReset.indexOf('</form>'));
    expect(await render('login', loginData())).not.toContain('Forgot password?');
    expect(await render('login', loginData({ resetUrl: '/r', passwordOnly: true }))).not.toContain(
      'Forgot password?',
    );
  });

  it.each([
    ['reset-request', resetRequestData(), 'username', '/interaction/i-123/reset'],
    ['reset-code', resetCodeData(), 'code', '/interaction/i-123/reset/code'],
    ['reset-password', resetPasswordData(), 'password', '/interaction/i-123/reset/password'],
  ])('%s posts its field with the CSRF token', async (view, data, name, action) => {
    const html = await render(view, data);
    const form = one(html, 'form', () => true);
    expect(form.attrs.get('method')).toBe('post');
    expect(form.attrs.get('action')).toBe(action);
    expect(one(html, 'input', (t) => t.attrs.get('name') === 'csrf').attrs.get('value')).toBe(
      'csrf-token-789',
    );
    expect(one(html, 'input', (t) => t.attrs.get('name') === name).attrs.has('required')).toBe(true);
  });

  it('asks for the new password twice, with new-password autocomplete and the policy length', async () => {
    const html = await render('reset-password', resetPasswordData());
    for (const name of ['password', 'confirm']) {
      const input = one(html, 'input', (t) => t.attrs.get('name') === name);
      expect(input.attrs.get('type')).toBe('password');
      expect(input.attrs.get('autocomplete')).toBe('new-password');
      expect(input.attrs.get('minlength')).toBe('8');
    }
    expect(html).toContain('Use at least 8 characters.');
  });

  it('escapes hostile values', async () => {
    const html = await render(
      'reset-request',
      resetRequestData({ clientName: HOSTILE_NAME, username: HOSTILE_ATTR, error: HOSTILE_NAME }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
  });
});
