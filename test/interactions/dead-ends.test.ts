// No dead ends (issue #16.2): every page that refuses or ends something is a styled page with a
// way on - back to the app (its client_uri, else its first redirect origin) or sign in again -
// and no URL a browser reopens answers a bare "Method Not Allowed". The auth-proxy's own pages
// are in test/proxy/pages.test.ts.
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page, parseForm } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { Authenticator } from '../helpers/totp.ts';
import { keyFromPage, PASSWORD, password, recoveryCodesFromPage, rp } from '../mfa/helpers.ts';

const APP_HOME = 'https://app.example.test/home';

let redis: Awaited<ReturnType<typeof startRedis>>;
let smtp: TestSmtpServer;
let tg: RunningTollgate;

const client = (
  client_id: string,
  client_name: string,
  mfa: unknown,
  extra: Record<string, unknown> = {},
) => ({
  client_id,
  client_name,
  client_secret: APP_SECRET,
  redirect_uris: [RP_CALLBACK],
  first_party: true,
  mfa,
  ...extra,
});

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtp();
  tg = await startTollgate({
    redisUrl: redis.url,
    overrides: {
      delivery: {
        email: {
          smtp: {
            host: '127.0.0.1',
            port: smtp.port,
            security: 'none',
            from: 'x <x@example.test>',
            timeout_ms: 2000,
          },
        },
      },
      otp: { hmac_key: randomBytes(32).toString('base64') },
      mfa: {
        factors: ['totp', 'recovery', 'email'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
        regulation: { max_failures: 3 },
      },
      clients: [
        client('app', 'Test App', { policy: 'required', factors: ['totp'] }, { client_uri: APP_HOME }),
        client('plain-app', 'Plain App', 'off'),
        client('mail-app', 'Mail App', { policy: 'required', factors: ['email'] }),
      ],
    },
  });
});

afterAll(async () => {
  await tg?.stop();
  await smtp?.stop();
  await redis?.stop();
});

/** The links of a page's way on, as `text -> href`. */
function links(page: Page): Record<string, string> {
  const actions = /<div class="actions">([\s\S]*?)<\/div>/.exec(page.body)?.[1] ?? '';
  return Object.fromEntries(
    [...actions.matchAll(/<a class="btn[^"]*" href="([^"]*)">([^<]*)<\/a>/g)].map((m) => [
      m[2] as string,
      (m[1] as string).replaceAll('&amp;', '&'),
    ]),
  );
}

/** A styled page of ours: whole, HTML, with the shared head and footer. */
function expectStyled(page: Page, status: number) {
  expect(page.status, page.body.slice(0, 400)).toBe(status);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.body).toMatch(/<title>[^<]+ · tollgate<\/title>/);
  expect(page.body).toContain('Secured by tollgate');
}

const codeIn = (mail: ParsedMail) => /\b(\d{6})\b/.exec(mail.text ?? '')?.[1] as string;

/** An authorization request of `clientId`, as its app would send the browser. */
async function authorizeUrl(clientId: string): Promise<string> {
  return oidc.buildAuthorizationUrl(await rp(tg, clientId), {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  }).href;
}

/** Submits the form of `page` whose action ends with `suffix`. */
function submitTo(browser: Browser, page: Page, suffix: string, fields: Record<string, string>) {
  const actions = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1] as string);
  const index = actions.findIndex((a) => a.endsWith(suffix));
  if (index < 0) throw new Error(`no form posting to ${suffix}:\n${page.body.slice(0, 600)}`);
  return browser.submit(page, fields, RP_CALLBACK, index);
}

describe('error pages', () => {
  it('a sign-in that has expired (the app unknown) offers to sign in again', async () => {
    const page = await new Browser().get(`${tg.url}/interaction/no-such-interaction`);
    expectStyled(page, 400);
    expect(links(page)).toEqual({ 'Sign in again': '/account' });
  });

  it("oidc-provider's own error page goes back to the app: its client_uri, else its redirect origin", async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const badRedirect = async (clientId: string) => {
      const url = new URL(`${tg.url}/auth`);
      url.search = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: 'https://elsewhere.example.test/cb',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).toString();
      return new Browser().get(url.href);
    };
    const page = await badRedirect('app');
    expectStyled(page, 400);
    expect(page.body).toContain('redirect_uri');
    // The registered home page, never the redirect_uri the request named.
    expect(links(page)).toEqual({ 'Back to Test App': APP_HOME });
    expect(links(await badRedirect('plain-app'))).toEqual({ 'Back to Plain App': 'http://127.0.0.1:9/' });
    // An unknown client: nothing to go back to, so sign in again.
    expect(links(await badRedirect('nobody'))).toEqual({ 'Sign in again': '/account' });
  });

  it('a refused step inside a sign-in offers to start again and to go back to the app', async () => {
    const browser = new Browser();
    const page = await browser.get(await authorizeUrl('app'));
    const form = parseForm(page.body);
    const refused = await browser.request(new URL(form.action, page.url).href, {
      form: { csrf: 'not-the-token', username: 'x', password: 'y' },
    });
    expectStyled(refused, 403);
    expect(refused.body).toContain('invalid_csrf_token');
    const uid = /\/interaction\/([^/]+)\/login$/.exec(form.action)?.[1];
    expect(links(refused)).toEqual({ 'Start again': `/interaction/${uid}`, 'Back to Test App': APP_HOME });
  });
});

describe('the lockout page', () => {
  it('says when to retry and goes back to the app', async () => {
    await addUser(tg, 'lock', PASSWORD);
    const app = await rp(tg, 'app');
    const first = new Browser();
    const { page: enrol } = await password(first, app, 'lock');
    const authenticator = new Authenticator(keyFromPage(enrol));
    const codes = await first.submit(enrol, { code: await authenticator.code() }, RP_CALLBACK);
    await first.submit(codes, { confirm: '1' }, RP_CALLBACK);

    const browser = new Browser();
    let { page } = await password(browser, app, 'lock');
    const right = await authenticator.code();
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i++) page = await browser.submit(page, { code: wrong }, RP_CALLBACK);
    expectStyled(page, 429);
    expect(page.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(page.body).toContain('Try again after');
    expect(links(page)).toEqual({ 'Back to Test App': APP_HOME });
  });
});

describe('cancel', () => {
  it('at sign-in and on the recovery-codes page: the app gets access_denied', async () => {
    const atSignIn = new Browser();
    const login = await atSignIn.get(await authorizeUrl('app'));
    const cancel = /href="([^"]*\/abort\?csrf=[^"]*)"/.exec(login.body)?.[1] as string;
    const back = await atSignIn.get(new URL(cancel.replaceAll('&amp;', '&'), login.url).href, RP_CALLBACK);
    expect(back.url.startsWith(RP_CALLBACK)).toBe(true);
    expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');

    await addUser(tg, 'quit', PASSWORD);
    const onCodes = new Browser();
    const { page: enrol } = await password(onCodes, await rp(tg, 'app'), 'quit');
    const codes = await onCodes.submit(
      enrol,
      { code: await new Authenticator(keyFromPage(enrol)).code() },
      RP_CALLBACK,
    );
    expect(recoveryCodesFromPage(codes)).toHaveLength(10);
    const cancelCodes = /href="([^"]*\/abort\?csrf=[^"]*)"/.exec(codes.body)?.[1] as string;
    const out = await onCodes.get(new URL(cancelCodes.replaceAll('&amp;', '&'), codes.url).href, RP_CALLBACK);
    expect(new URL(out.url).searchParams.get('error')).toBe('access_denied');
  });
});

describe('reopened URLs', () => {
  it('the email-confirm URL and its "Change email address" link show the address form, at login and on the account page', async () => {
    await addUser(tg, 'vera', PASSWORD, { email: 'vera@example.test' });
    const login = new Browser();
    const { page: enrol } = await password(login, await rp(tg, 'mail-app'), 'vera');
    const confirm = await login.submit(enrol, { address: 'vera@example.test' }, RP_CALLBACK);
    expect(confirm.body).toContain('Enter the code we sent');
    await smtp.waitForMessage();
    const reopened = await login.get(confirm.url, RP_CALLBACK);
    expectStyled(reopened, 200);
    expect(reopened.body).toContain('value="vera@example.test"');

    // The account page: the confirm page's URL and its link were POST-only (405, plain text).
    await addUser(tg, 'walt', PASSWORD, { email: 'walt@example.test' });
    const browser = new Browser();
    const home = await browser.submit(await browser.get(`${tg.url}/account`), {
      username: 'walt',
      password: PASSWORD,
    });
    const start = await submitTo(browser, home, '/account/enrol/email/start', {});
    const sent = await browser.submit(start, { address: 'walt@example.test' });
    await smtp.waitForMessage();
    expect(sent.url).toBe(`${tg.url}/account/enrol/email`);
    const change = /<a class="btn btn-secondary" href="([^"]*)">Change email address<\/a>/.exec(
      sent.body,
    )?.[1];
    expect(change).toBe('/account/enrol/email');
    for (const url of [sent.url, `${tg.url}${change}`]) {
      const page = await browser.get(url);
      expectStyled(page, 200);
      expect(page.body).toContain('value="walt@example.test"');
      expect(page.body).toContain('name="address"');
    }
    // And the changed address goes on from there.
    const changed = await browser.submit(await browser.get(sent.url), { address: 'walt.other@example.test' });
    const code = codeIn(await smtp.waitForMessage());
    const codes = await browser.submit(changed, { code });
    expect(recoveryCodesFromPage(codes)).toHaveLength(10);
    const done = await browser.submit(codes, { confirm: '1' });
    expect(done.url).toBe(`${tg.url}/account/enrol/recovery`);
    expect(done.body).toContain('Email code (w***@example.test)');
  });

  it('a POST-only page reopened goes back to its own page, never 405', async () => {
    const browser = new Browser();
    const login = await browser.get(await authorizeUrl('plain-app'));
    const wrong = await browser.submit(
      login,
      { username: 'nobody', password: 'wrong password' },
      RP_CALLBACK,
    );
    expect(wrong.status).toBe(401);
    // The wrong-password page's URL is the form's action: reopening it shows the login again.
    const reopened = await browser.request(wrong.url);
    expect(reopened.status).toBe(303);
    expect(await browser.follow(reopened)).toMatchObject({ status: 200 });

    await addUser(tg, 'xena', PASSWORD);
    const account = new Browser();
    await account.submit(await account.get(`${tg.url}/account`), { username: 'xena', password: PASSWORD });
    for (const path of [
      '/account/enrol/totp/start',
      '/account/confirm/email/send',
      '/account/factors/x/remove',
    ]) {
      const page = await account.request(`${tg.url}${path}`);
      expect(page.status, path).toBe(303);
      expect(page.headers.get('location')).toBe('/account');
    }
  });
});
