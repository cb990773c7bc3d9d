// The account page's way back to the app (issue 16.10), as Keycloak's account console offers it:
// an app links to /account?client_id=<its id>, and the page shows "Back to <app>" at the app's
// registered home (client_uri, else its first redirect origin), through the sign-in and every
// form the page posts. A URL from the request is never a link target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_FROM_COOKIE } from '../../interactions/account-back-link.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';

const PASSWORD = 'a long enough password';
const APP_HOME = 'https://app.example.test/home';

let redis: RedisServer;
let tg: RunningTollgate;

beforeAll(async () => {
  redis = await startRedis();
  tg = await startTollgate({
    redisUrl: redis.url,
    overrides: {
      clients: [
        {
          client_id: 'app',
          client_name: 'Test App',
          client_secret: APP_SECRET,
          redirect_uris: [RP_CALLBACK],
          client_uri: APP_HOME,
          first_party: true,
        },
        { client_id: 'plain-app', client_secret: APP_SECRET, redirect_uris: [RP_CALLBACK] },
      ],
    },
  });
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

/** The account page opened at `query`, signed in as a new user on the way. */
async function openAccount(username: string, query = ''): Promise<{ browser: Browser; page: Page }> {
  await addUser(tg, username, PASSWORD);
  const browser = new Browser();
  const login = await browser.get(`${tg.url}/account${query}`);
  expect(login.body).toContain('name="password"');
  const page = await browser.submit(login, { username, password: PASSWORD });
  expect(page.url).toBe(`${tg.url}/account`);
  expect(page.body).toContain('Sign-in methods');
  return { browser, page };
}

/** The page's links above the notices, as `text -> href`. */
function pageLinks(page: Page): Record<string, string> {
  const nav = /<nav class="page-links">([\s\S]*?)<\/nav>/.exec(page.body)?.[1] ?? '';
  return Object.fromEntries(
    [...nav.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)].map((m) => [m[2] as string, m[1] as string]),
  );
}

/** Posts the account page's form whose action is `action`. */
async function post(browser: Browser, page: Page, action: string, fields: Record<string, string>) {
  const actions = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1]);
  const index = actions.indexOf(action);
  expect(index, `no form posting to ${action}`).toBeGreaterThanOrEqual(0);
  return browser.submit(page, fields, undefined, index);
}

describe('"Back to <app>" on /account', () => {
  it('opened from an app: its client_uri, kept through the sign-in, reloads and posted forms', async () => {
    const { browser, page } = await openAccount('ada', '?client_id=app');
    expect(pageLinks(page)).toEqual({ 'Back to Test App': APP_HOME, 'Sign out': '/session/end' });
    // Opened again without the parameter, and after a form: the same way back.
    expect(pageLinks(await browser.get(`${tg.url}/account`))).toEqual(pageLinks(page));
    const wrong = await post(browser, page, '/account/password', {
      current_password: 'not the password',
      new_password: 'another long password',
      new_password_confirm: 'another long password',
    });
    expect(wrong.status).toBe(401);
    expect(pageLinks(wrong)['Back to Test App']).toBe(APP_HOME);
    // The cookie that keeps it: the client id only, for the account page only, out of scripts' reach.
    const set = (await new Browser().request(`${tg.url}/account?client_id=app`)).headers
      .getSetCookie()
      .find((c) => c.startsWith(`${ACCOUNT_FROM_COOKIE}=`));
    expect(set).toBe(`${ACCOUNT_FROM_COOKIE}=app; path=/account; samesite=lax; httponly`);
  });

  it('an app without client_uri: the origin of its first redirect URI', async () => {
    const { page } = await openAccount('bea', '?client_id=plain-app');
    expect(pageLinks(page)).toEqual({
      'Back to plain-app': 'http://127.0.0.1:9/',
      'Sign out': '/session/end',
    });
  });

  it('no app, an unknown one or the account page itself: only "Sign out"; a bad id keeps the app before', async () => {
    for (const [name, query] of [
      ['cid', ''],
      ['dan', '?client_id=nobody'],
      ['eve', '?client_id=tollgate-account'],
      ['fay', `?client_id=${encodeURIComponent('https://evil.example/')}`],
    ] as const) {
      const { page } = await openAccount(name, query);
      expect(pageLinks(page), query).toEqual({ 'Sign out': '/session/end' });
      expect(page.body).not.toContain('evil.example');
    }
    const { browser } = await openAccount('gus', '?client_id=app');
    await browser.get(`${tg.url}/account?client_id=nobody`);
    expect(pageLinks(await browser.get(`${tg.url}/account`))['Back to Test App']).toBe(APP_HOME);
  });

  it('a cookie the page did not set (unknown client, broken encoding) is no link and no error', async () => {
    const { browser } = await openAccount('hal');
    for (const value of ['nobody', '%E0%A4%A', 'tollgate-account']) {
      const i = browser.cookies.findIndex((c) => c.name === ACCOUNT_FROM_COOKIE);
      if (i >= 0) browser.cookies.splice(i, 1);
      browser.cookies.push({ name: ACCOUNT_FROM_COOKIE, value, path: '/account', origin: tg.url });
      const page = await browser.get(`${tg.url}/account`);
      expect(page.status, value).toBe(200);
      expect(pageLinks(page), value).toEqual({ 'Sign out': '/session/end' });
    }
  });
});
