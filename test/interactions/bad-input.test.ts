// Hostile and broken input to the interaction pages: every case must end in a clear 4xx with a
// stable error code (an HTML page for browsers, JSON for clients that prefer it), never a 5xx.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_FAILED } from '../../interactions/login.ts';
import { Browser, type Page, parseForm } from '../helpers/browser.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';

let tg: RunningTollgate;
const configs = new Map<string, oidc.Configuration>();

const HTML = { accept: 'text/html' };
const JSON_ACCEPT = { accept: 'application/json' };
const FORM = 'application/x-www-form-urlencoded';

beforeAll(async () => {
  tg = await startTollgate();
  await addUser(tg, 'alice', 'correct horse battery', { name: 'Alice' });
  for (const clientId of ['app', 'third-party']) {
    configs.set(
      clientId,
      await oidc.discovery(new URL(tg.url), clientId, undefined, oidc.ClientSecretBasic(APP_SECRET), {
        execute: [oidc.allowInsecureRequests],
      }),
    );
  }
});

afterAll(async () => {
  await tg?.stop();
});

/** An interaction started by hand: the browser holding its cookies, its login page and uid. */
interface Started {
  browser: Browser;
  page: Page;
  uid: string;
  csrf: string;
  /** The response of the authorization endpoint itself (sets the interaction cookies). */
  authorize: Page;
}

async function startLogin(clientId = 'app', extra: Record<string, string> = {}): Promise<Started> {
  const config = configs.get(clientId);
  if (!config) throw new Error(`no discovery for ${clientId}`);
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    ...extra,
  });
  const browser = new Browser();
  const authorize = await browser.request(url.href);
  expect(authorize.status).toBe(303);
  const page = await browser.follow(authorize);
  expect(page.status).toBe(200);
  const uid = /\/interaction\/([^/?#]+)$/.exec(new URL(page.url).pathname)?.[1];
  if (!uid) throw new Error(`not on an interaction page: ${page.url}`);
  const csrf = parseForm(page.body).fields.csrf;
  if (!csrf) throw new Error('login page without a CSRF field');
  return { browser, page, uid, csrf, authorize };
}

/** Signs in with the third-party client, which stops at the consent page. */
async function startConsent(): Promise<Started> {
  const started = await startLogin('third-party');
  const page = await started.browser.submit(started.page, {
    username: 'alice',
    password: 'correct horse battery',
  });
  expect(page.status).toBe(200);
  expect(page.body).toContain('action="/interaction/');
  expect(page.body).toContain('/consent"');
  const uid = /\/interaction\/([^/?#]+)$/.exec(new URL(page.url).pathname)?.[1];
  if (!uid) throw new Error(`not on an interaction page: ${page.url}`);
  const csrf = parseForm(page.body).fields.csrf;
  if (!csrf) throw new Error('consent page without a CSRF field');
  return { ...started, page, uid, csrf };
}

/** Asserts an HTML error page: status, stable code, and the headers every page carries. */
function expectErrorPage(page: Page, status: number, code: string) {
  expect(page.status, page.body.slice(0, 300)).toBe(status);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(page.body).toContain(`Error code: ${code}`);
  expect(page.body).toContain(`(HTTP ${status})`);
  expect(page.body).not.toMatch(/at .*\.ts:\d+|Error: /);
  expectWholePage(page);
}

/**
 * A complete page: head (styles, title) and footer included. Regression: the renderer ran EJS
 * with `async: true`, so every `<%- include() %>` printed "[object Promise]" instead.
 */
function expectWholePage(page: Page) {
  expect(page.body).not.toContain('[object Promise]');
  expect(page.body.trimStart().toLowerCase().startsWith('<!doctype html>')).toBe(true);
  expect(page.body).toMatch(/<title>[^<]+ · tollgate<\/title>/);
  expect(page.body).toContain('<style>');
  expect(page.body.trimEnd().toLowerCase().endsWith('</html>')).toBe(true);
}

/** Asserts a JSON error: status, `error` code, a description, and no-store. */
function expectErrorJson(page: Page, status: number, code: string) {
  expect(page.status, page.body.slice(0, 300)).toBe(status);
  expect(page.headers.get('content-type')).toMatch(/^application\/json/);
  expect(page.headers.get('cache-control')).toBe('no-store');
  const body = JSON.parse(page.body) as { error?: unknown; error_description?: unknown };
  expect(body.error).toBe(code);
  expect(typeof body.error_description).toBe('string');
}

/** POSTs a raw body to the login route of `s` with the given accept header. */
function postLogin(
  s: Started,
  body: string,
  accept: Record<string, string>,
  contentType = FORM,
): Promise<Page> {
  return s.browser.request(`${tg.url}/interaction/${s.uid}/login`, {
    method: 'POST',
    body,
    headers: { ...accept, 'content-type': contentType },
  });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('CSRF', () => {
  it('refuses a login POST with a wrong CSRF token (403 invalid_csrf_token)', async () => {
    const s = await startLogin();
    const wrong = `${s.csrf.slice(0, -2)}${s.csrf.endsWith('AA') ? 'BB' : 'AA'}`;
    const body = form({ csrf: wrong, username: 'alice', password: 'correct horse battery' });
    expectErrorPage(await postLogin(s, body, HTML), 403, 'invalid_csrf_token');
    expectErrorJson(await postLogin(s, body, JSON_ACCEPT), 403, 'invalid_csrf_token');
    // The token of another interaction does not fit either.
    const other = await startLogin();
    const foreign = form({ csrf: other.csrf, username: 'alice', password: 'correct horse battery' });
    expectErrorPage(await postLogin(s, foreign, HTML), 403, 'invalid_csrf_token');
  });

  it('refuses a login POST without a CSRF token (403)', async () => {
    const s = await startLogin();
    const body = form({ username: 'alice', password: 'correct horse battery' });
    expectErrorPage(await postLogin(s, body, HTML), 403, 'invalid_csrf_token');
    expectErrorJson(await postLogin(s, body, JSON_ACCEPT), 403, 'invalid_csrf_token');
    // The interaction is still usable with the right token afterwards: nothing was consumed.
    const done = await s.browser.submit(
      s.page,
      { username: 'alice', password: 'correct horse battery' },
      RP_CALLBACK,
    );
    expect(done.url.startsWith(`${RP_CALLBACK}?code=`)).toBe(true);
  });

  it('refuses the abort link with a wrong csrf (403) and accepts the right one', async () => {
    const s = await startLogin();
    const abortUrl = `${tg.url}/interaction/${s.uid}/abort`;
    expectErrorPage(
      await s.browser.request(`${abortUrl}?csrf=nope`, { headers: HTML }),
      403,
      'invalid_csrf_token',
    );
    expectErrorJson(await s.browser.request(abortUrl, { headers: JSON_ACCEPT }), 403, 'invalid_csrf_token');
    const ok = await s.browser.get(`${abortUrl}?csrf=${encodeURIComponent(s.csrf)}`, RP_CALLBACK);
    expect(new URL(ok.url).searchParams.get('error')).toBe('access_denied');
  });
});

describe('unknown or mismatched interactions', () => {
  it('GET /interaction/unknown-uid without a cookie is 400 interaction_not_found', async () => {
    const browser = new Browser();
    expectErrorPage(
      await browser.request(`${tg.url}/interaction/unknown-uid`, { headers: HTML }),
      400,
      'interaction_not_found',
    );
    expectErrorJson(
      await browser.request(`${tg.url}/interaction/unknown-uid`, { headers: JSON_ACCEPT }),
      400,
      'interaction_not_found',
    );
    const post = await browser.request(`${tg.url}/interaction/unknown-uid/login`, {
      form: { csrf: 'x', username: 'alice', password: 'correct horse battery' },
    });
    expectErrorPage(post, 400, 'interaction_not_found');
  });

  it('a path uid different from the interaction cookie uid is 400', async () => {
    const s = await startLogin();
    // The interaction cookie is scoped to /interaction/<uid>: send it by hand to another path.
    const cookie = s.browser.cookies
      .filter((c) => c.path === `/interaction/${s.uid}`)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    expect(cookie).toContain('_interaction=');
    const other = await startLogin();
    for (const path of [`/interaction/${other.uid}`, '/interaction/forged-uid']) {
      const page = await new Browser().request(`${tg.url}${path}`, { headers: { ...HTML, cookie } });
      expectErrorPage(page, 400, 'interaction_not_found');
      const json = await new Browser().request(`${tg.url}${path}`, { headers: { ...JSON_ACCEPT, cookie } });
      expectErrorJson(json, 400, 'interaction_not_found');
    }
    const post = await new Browser().request(`${tg.url}/interaction/${other.uid}/login`, {
      method: 'POST',
      body: form({ csrf: s.csrf, username: 'alice', password: 'correct horse battery' }),
      headers: { ...HTML, cookie, 'content-type': FORM },
    });
    expectErrorPage(post, 400, 'interaction_not_found');
  });

  it('a login POST while at the consent prompt is 400 (expectPrompt guard)', async () => {
    const s = await startConsent();
    const body = form({ csrf: s.csrf, username: 'alice', password: 'correct horse battery' });
    expectErrorPage(await postLogin(s, body, HTML), 400, 'interaction_not_found');
    expectErrorJson(await postLogin(s, body, JSON_ACCEPT), 400, 'interaction_not_found');
    // ... and the consent POST at the login prompt likewise.
    const l = await startLogin();
    const consent = await l.browser.request(`${tg.url}/interaction/${l.uid}/consent`, {
      method: 'POST',
      body: form({ csrf: l.csrf }),
      headers: { ...HTML, 'content-type': FORM },
    });
    expectErrorPage(consent, 400, 'interaction_not_found');
    // The consent page itself still works afterwards.
    const granted = await s.browser.submit(s.page, {}, RP_CALLBACK);
    expect(granted.url.startsWith(`${RP_CALLBACK}?code=`)).toBe(true);
  });
});

describe('malformed bodies', () => {
  it('a 100 KB POST body is 413 request_too_large', async () => {
    const s = await startLogin();
    const body = form({ csrf: s.csrf, username: 'alice', password: 'x'.repeat(100 * 1024) });
    expectErrorPage(await postLogin(s, body, HTML), 413, 'request_too_large');
    expectErrorJson(await postLogin(s, body, JSON_ACCEPT), 413, 'request_too_large');
  });

  it('JSON and text/plain bodies are 415 unsupported_media_type', async () => {
    const s = await startLogin();
    const json = JSON.stringify({ csrf: s.csrf, username: 'alice', password: 'correct horse battery' });
    expectErrorPage(await postLogin(s, json, HTML, 'application/json'), 415, 'unsupported_media_type');
    expectErrorJson(await postLogin(s, json, JSON_ACCEPT, 'application/json'), 415, 'unsupported_media_type');
    const text = form({ csrf: s.csrf, username: 'alice', password: 'correct horse battery' });
    expectErrorPage(await postLogin(s, text, HTML, 'text/plain'), 415, 'unsupported_media_type');
    expectErrorJson(
      await postLogin(s, text, JSON_ACCEPT, 'text/plain;charset=UTF-8'),
      415,
      'unsupported_media_type',
    );
    const consent = await s.browser.request(`${tg.url}/interaction/${s.uid}/consent`, {
      method: 'POST',
      body: json,
      headers: { ...JSON_ACCEPT, 'content-type': 'application/json' },
    });
    expectErrorJson(consent, 415, 'unsupported_media_type');
  });

  it('a duplicated username field is 400 invalid_request', async () => {
    const s = await startLogin();
    const body = `csrf=${encodeURIComponent(s.csrf)}&username=alice&username=mallory&password=correct+horse+battery`;
    expectErrorPage(await postLogin(s, body, HTML), 400, 'invalid_request');
    expectErrorJson(await postLogin(s, body, JSON_ACCEPT), 400, 'invalid_request');
    // Bracket syntax must not smuggle an object or array past the string check either.
    for (const smuggled of [
      'username[]=alice',
      'username[a]=alice',
      'password[]=correct+horse+battery&username=alice',
    ]) {
      const page = await postLogin(
        s,
        `csrf=${encodeURIComponent(s.csrf)}&${smuggled}&password=x`,
        JSON_ACCEPT,
      );
      expect(page.status, `${smuggled}: ${page.body}`).toBe(400);
      expect(JSON.parse(page.body).error).toBe('invalid_request');
    }
  });

  it('malformed percent-encoding is a 4xx, never a 5xx', async () => {
    const s = await startLogin();
    const csrf = `csrf=${encodeURIComponent(s.csrf)}`;
    for (const bad of [
      'username=%E0%A4%A',
      'username=%',
      'username=%zz&password=%',
      'password=%C3%28&username=alice',
      `${'%'.repeat(50)}=x`,
    ]) {
      for (const accept of [HTML, JSON_ACCEPT]) {
        const page = await postLogin(s, `${csrf}&${bad}`, accept);
        expect(page.status, `${bad}: ${page.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(page.status, `${bad}: ${page.body.slice(0, 200)}`).toBeLessThan(500);
      }
    }
    // A malformed csrf in the query of the abort link is refused too.
    const abort = await s.browser.request(`${tg.url}/interaction/${s.uid}/abort?csrf=%E0%A4%A`, {
      headers: JSON_ACCEPT,
    });
    expectErrorJson(abort, 403, 'invalid_csrf_token');
  });

  it('a field of 10,000 characters is 400 invalid_request', async () => {
    const s = await startLogin();
    for (const name of ['username', 'password']) {
      const fields = {
        csrf: s.csrf,
        username: 'alice',
        password: 'correct horse battery',
        [name]: 'a'.repeat(10_000),
      };
      expectErrorPage(await postLogin(s, form(fields), HTML), 400, 'invalid_request');
      expectErrorJson(await postLogin(s, form(fields), JSON_ACCEPT), 400, 'invalid_request');
    }
  });

  it('an empty form shows the login page again with the generic message (401)', async () => {
    const s = await startLogin();
    const forms: Record<string, string>[] = [
      {},
      { username: '', password: '' },
      { username: '   ', password: 'x' },
      { username: 'alice' },
    ];
    for (const fields of forms) {
      const page = await postLogin(s, form({ csrf: s.csrf, ...fields }), HTML);
      expect(page.status, JSON.stringify(fields)).toBe(401);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.body).toContain(LOGIN_FAILED);
      expect(page.body).toContain('name="password"');
      expect(parseForm(page.body).fields.csrf).toBe(s.csrf);
      expectWholePage(page);
    }
  });
});

describe('methods', () => {
  it('HEAD/PUT/DELETE on interaction routes are 405 or 404, never 5xx', async () => {
    const s = await startLogin();
    const routes = ['', '/login', '/consent', '/abort'].map((r) => `${tg.url}/interaction/${s.uid}${r}`);
    for (const url of routes) {
      for (const method of ['PUT', 'DELETE', 'PATCH']) {
        const res = await s.browser.request(url, { method, headers: HTML });
        expect([404, 405], `${method} ${url}`).toContain(res.status);
      }
    }
    // HEAD answers like GET: a reopened POST-only page goes back to the interaction's page.
    for (const url of routes.slice(1, 3)) {
      const head = await s.browser.request(url, { method: 'HEAD', headers: HTML });
      expect(head.status, `HEAD ${url}`).toBe(303);
      expect(head.headers.get('location')).toBe(`/interaction/${s.uid}`);
    }
    // koa-router answers HEAD for the GET abort route: it must check the query's csrf like GET
    // does. Regression: checkCsrf read the (absent) parsed form for every method but GET -> 500.
    const abortUrl = `${tg.url}/interaction/${s.uid}/abort`;
    for (const url of [abortUrl, `${abortUrl}?csrf=wrong`]) {
      const head = await s.browser.request(url, { method: 'HEAD', headers: HTML });
      expect(head.status, `HEAD ${url}`).toBe(403);
    }
    // HEAD of a page answers like its GET, without a body, and without a 5xx.
    const head = await s.browser.request(routes[0] as string, { method: 'HEAD', headers: HTML });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const unknownHead = await new Browser().request(`${tg.url}/interaction/unknown-uid`, {
      method: 'HEAD',
      headers: HTML,
    });
    expect(unknownHead.status).toBe(400);
  });
});

describe('pages and cookies', () => {
  it('the login page is no-store, carries a CSRF hidden input and labelled fields', async () => {
    const { page, csrf } = await startLogin();
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expectWholePage(page);
    expect(page.body).toContain('<title>Sign in · tollgate</title>');
    expect(csrf).toMatch(/^[\w-]{43}$/);
    expect(page.body).toMatch(/<input type="hidden" name="csrf" value="[\w-]{43}">/);
    expect(page.body).toContain('<label for="username">');
    expect(page.body).toContain('<label for="password">');
    expect(page.body).toMatch(/<input type="text" id="username" name="username"/);
    expect(page.body).toMatch(/<input type="password" id="password" name="password"/);
  });

  it('every cookie the provider sets is HttpOnly and SameSite=Lax', async () => {
    const s = await startLogin();
    const setCookies = [...s.authorize.headers.getSetCookie()];
    const login = await s.browser.request(`${tg.url}/interaction/${s.uid}/login`, {
      form: { csrf: s.csrf, username: 'alice', password: 'correct horse battery' },
    });
    expect(login.status).toBe(303);
    setCookies.push(...login.headers.getSetCookie());
    // Password -> the interaction page (second-factor step, nothing needed here) -> resume -> client.
    let location = login.headers.get('location') as string;
    for (let hop = 0; hop < 5 && !location.startsWith(RP_CALLBACK); hop++) {
      const next = await s.browser.request(new URL(location, tg.url).href);
      expect(next.status).toBe(303);
      setCookies.push(...next.headers.getSetCookie());
      location = next.headers.get('location') as string;
    }
    expect(location.startsWith(`${RP_CALLBACK}?code=`)).toBe(true);
    const names = new Set(setCookies.map((c) => c.split('=')[0]));
    expect([...names]).toEqual(expect.arrayContaining(['_interaction', '_interaction_resume', '_session']));
    for (const cookie of setCookies) {
      expect(cookie.toLowerCase(), cookie).toContain('; httponly');
      expect(cookie.toLowerCase(), cookie).toContain('; samesite=lax');
    }
  });

  it('a hostile login_hint is escaped on the login page', async () => {
    const hint = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
    const { page } = await startLogin('app', { login_hint: hint });
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<script>');
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).toContain('value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('unknown account and wrong password get the identical page (but for CSRF and username echo)', async () => {
    const s = await startLogin();
    const unknown = await postLogin(
      s,
      form({ csrf: s.csrf, username: 'nobody', password: 'correct horse battery' }),
      HTML,
    );
    const wrong = await postLogin(
      s,
      form({ csrf: s.csrf, username: 'alice', password: 'wrong password!' }),
      HTML,
    );
    const other = await startLogin();
    const wrongElsewhere = await postLogin(
      other,
      form({ csrf: other.csrf, username: 'alice', password: 'nope nope' }),
      HTML,
    );
    for (const page of [unknown, wrong, wrongElsewhere]) {
      expect(page.status).toBe(401);
      expect(page.body).toContain(LOGIN_FAILED);
    }
    const normalize = (p: Page, username: string, started: Started) =>
      p.body
        .replaceAll(`value="${username}"`, 'value="USERNAME"')
        .replaceAll(started.csrf, 'CSRF')
        .replaceAll(encodeURIComponent(started.csrf), 'CSRF')
        .replaceAll(started.uid, 'UID');
    expect(normalize(unknown, 'nobody', s)).toBe(normalize(wrong, 'alice', s));
    expect(normalize(wrongElsewhere, 'alice', other)).toBe(normalize(wrong, 'alice', s));
    const headerNames = (p: Page) =>
      [...p.headers.keys()].filter((k) => !['date', 'content-length', 'set-cookie'].includes(k)).sort();
    expect(headerNames(unknown)).toEqual(headerNames(wrong));
    expect(unknown.headers.getSetCookie()).toEqual(wrong.headers.getSetCookie());
  });
});
