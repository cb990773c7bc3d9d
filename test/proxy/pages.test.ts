// The auth-proxy's refusals in a browser are styled pages with a way on (issue #16.2): a user
// outside a route's groups, a sign-in cancelled at tollgate (at the password or on the
// recovery-codes page), a callback that expired. API clients keep their JSON. The pages are in
// the browser's language (Accept-Language) with tollgate's catalogues (issue 13.1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedLanguages } from '../../examples/auth-proxy/language.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { addUser } from '../helpers/tollgate.ts';
import { Authenticator } from '../helpers/totp.ts';
import { keyFromPage, recoveryCodesFromPage } from '../mfa/helpers.ts';
import { PASSWORD, type Stack, signIn, startStack } from './helpers.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let stack: Stack;

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack(redis);
  await addUser(stack.tg, 'bob', PASSWORD, { groups: ['staff'] });
  await addUser(stack.tg, 'carol', PASSWORD, { groups: ['admins'] });
});

afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

/** The page's way on, as `text -> href`. */
function links(page: Page): Record<string, string> {
  return Object.fromEntries(
    [...page.body.matchAll(/<a class="btn[^"]*" href="([^"]*)">([^<]*)<\/a>/g)].map((m) => [
      m[2] as string,
      (m[1] as string).replaceAll('&amp;', '&'),
    ]),
  );
}

function expectPage(page: Page, status: number, title: string) {
  expect(page.status, page.body.slice(0, 300)).toBe(status);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(page.body).toContain(`<h1>${title}</h1>`);
  expect(page.body).toContain('<style>');
}

/** Follows the Cancel link of a tollgate page back to the proxy's callback. */
async function cancel(browser: Browser, page: Page): Promise<Page> {
  const href = /<a class="btn btn-secondary" href="([^"]*\/abort\?csrf=[^"]*)">Cancel<\/a>/.exec(
    page.body,
  )?.[1];
  if (!href) throw new Error(`no Cancel link on:\n${page.body.slice(0, 600)}`);
  return browser.get(new URL(href.replaceAll('&amp;', '&'), page.url).href);
}

describe('a request the gate cannot judge or route', () => {
  it("an unreadable path: a 400 page in the browser's language, JSON for an API client", async () => {
    const browser = new Browser({ 'accept-language': 'de' });
    const page = await browser.request(`${stack.url}/public/..;/admin`);
    expectPage(page, 400, 'Diese Adresse ist nicht lesbar');
    expect(page.body).not.toContain('Bad request');
    const json = await browser.request(`${stack.url}/public/..;/admin`, {
      headers: { accept: 'application/json' },
    });
    expect(json.status).toBe(400);
    expect(JSON.parse(json.body)).toEqual({ error: 'bad_request' });
  });

  it('a public path on a host no upstream serves: a 404 page, JSON for an API client', async () => {
    const browser = new Browser();
    const url = `${stack.url.replace('127.0.0.1', 'localhost')}/public/x`;
    const page = await browser.request(url);
    expectPage(page, 404, 'Nothing is served here');
    const json = await browser.request(url, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(JSON.parse(json.body)).toEqual({ error: 'no_upstream' });
  });
});

describe('a signed-in user outside the route groups', () => {
  it('gets a page to sign in as someone else or go home, not a plain "Forbidden"', async () => {
    const bob = new Browser();
    await signIn(bob, stack, 'bob');
    const page = await bob.request(`${stack.url}/admin/panel?x=1`);
    expectPage(page, 403, 'You do not have access to this page');
    const signOut = new URL(`${stack.url}/oauth2/sign_out`);
    signOut.searchParams.set('rd', `${stack.url}/admin/panel?x=1`);
    expect(links(page)).toEqual({
      'Go to the home page': `${stack.url}/`,
      'Sign in as someone else': signOut.href,
    });
    // The sign-out link leads to the proxy's sign-out page.
    const confirm = await bob.get(signOut.href);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Sign out?');

    // An API client still gets JSON.
    const json = await bob.request(`${stack.url}/admin/panel`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(403);
    expect(JSON.parse(json.body)).toEqual({ error: 'forbidden' });
  });
});

describe('a sign-in cancelled at tollgate', () => {
  it('at the password: "Sign-in cancelled" with a way to sign in again to the same page', async () => {
    const browser = new Browser();
    const login = await browser.get(`${stack.url}/reports?q=1`);
    expect(login.body).toContain('name="password"');
    const page = await cancel(browser, login);
    expect(page.url.startsWith(`${stack.url}/oauth2/callback?`)).toBe(true);
    expect(new URL(page.url).searchParams.get('error')).toBe('access_denied');
    expectPage(page, 403, 'Sign-in cancelled');
    const again = new URL(`${stack.url}/oauth2/start`);
    again.searchParams.set('rd', `${stack.url}/reports?q=1`);
    expect(links(page)).toEqual({ 'Sign in again': again.href });
    const form = await browser.get(again.href);
    expect(form.body).toContain('name="password"');
  });

  it('on the recovery-codes page of a step-up: the same page, not plain text', async () => {
    const browser = new Browser();
    await signIn(browser, stack, 'carol');
    const enrol = await browser.get(`${stack.url}/admin/panel`);
    const codes = await browser.submit(enrol, { code: await new Authenticator(keyFromPage(enrol)).code() });
    expect(recoveryCodesFromPage(codes)).toHaveLength(10);
    const page = await cancel(browser, codes);
    expectPage(page, 403, 'Sign-in cancelled');
    expect(Object.keys(links(page))).toEqual(['Sign in again']);
    expect(new URL(links(page)['Sign in again'] as string).searchParams.get('rd')).toBe(
      `${stack.url}/admin/panel`,
    );
  });
});

describe('a callback the proxy cannot use', () => {
  it('an unknown or used state: "Sign-in expired" with a way to sign in again', async () => {
    const page = await new Browser().request(`${stack.url}/oauth2/callback?state=nope&code=x`);
    expectPage(page, 400, 'Sign-in expired');
    expect(links(page)).toEqual({ 'Sign in again': `${stack.url}/oauth2/start` });
  });
});

describe("the proxy's pages in the browser's language", () => {
  it('reads Accept-Language by its q-values, dropping q=0', () => {
    expect(acceptedLanguages('en;q=0.5, de-CH, fr;q=0.8, es;q=0')).toEqual(['de-CH', 'fr', 'en']);
    expect(acceptedLanguages(undefined)).toEqual([]);
  });

  it('German: not allowed, and the sign-out page; Spanish: an expired callback; English gone', async () => {
    const bob = new Browser({ 'accept-language': 'de-DE, en;q=0.5' });
    await signIn(bob, stack, 'bob');
    const page = await bob.request(`${stack.url}/admin/panel`);
    expectPage(page, 403, 'Sie haben keinen Zugriff auf diese Seite');
    expect(page.headers.get('content-language')).toBe('de');
    expect(page.body).toContain('<html lang="de">');
    expect(Object.keys(links(page))).toEqual(['Zur Startseite', 'Als jemand anderes anmelden']);
    expect(page.body).not.toMatch(/You do not have access|Sign in as someone else|Go to the home page/);

    const confirm = await bob.get(links(page)['Als jemand anderes anmelden'] as string);
    expect(confirm.body).toContain('<html lang="de">');
    expect(confirm.body).toContain('<h1>Abmelden?</h1>');
    expect(confirm.body).toContain('Sie sind als <strong>bob</strong> angemeldet.');
    expect(confirm.body).toContain('<button type="submit">Abmelden</button>');
    expect(confirm.body).not.toMatch(/Sign out|signed in as|Cancel, stay/);

    const expired = await new Browser({ 'accept-language': 'es' }).request(
      `${stack.url}/oauth2/callback?state=nope&code=x`,
    );
    expectPage(expired, 400, 'Inicio de sesión caducado');
    expect(links(expired)).toEqual({ 'Volver a iniciar sesión': `${stack.url}/oauth2/start` });
    expect(expired.body).not.toMatch(/Sign-in expired|Sign in again/);
  });
});
