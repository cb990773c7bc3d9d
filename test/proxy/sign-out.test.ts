// How proxy sessions end: sign-out at the proxy (chained to tollgate's end-session), sign-out at
// tollgate (its back-channel logout token ends the proxy session), and WebSockets closing with them.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { hashTicket } from '../../examples/auth-proxy/sessions.ts';
import { Browser, parseForm } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { addUser } from '../helpers/tollgate.ts';
import {
  COOKIE,
  cookieHeader,
  PASSWORD,
  rawGet,
  type Stack,
  signIn,
  startStack,
  ticketOf,
} from './helpers.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let stack: Stack;

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack(redis, { sessionRedis: redis.url });
  await addUser(stack.tg, 'dora', PASSWORD, { groups: ['staff'] });
});

afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

const wsUrl = () => `${stack.url.replace('http:', 'ws:')}/ws`;

/** Opens a WebSocket through the proxy; resolves once open, rejects with the refusal status. */
const closeCodes = new WeakMap<WebSocket, Promise<number>>();

async function openSocket(cookie?: string): Promise<WebSocket> {
  const ws = new WebSocket(wsUrl(), { headers: cookie ? { cookie } : {} });
  closeCodes.set(ws, new Promise((resolve) => ws.once('close', (code) => resolve(code))));
  return await new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Resolves once closed; every way a session ends closes with 4401 (websocket-proxy.ts). */
const closed = async (ws: WebSocket) => expect(await closeCodes.get(ws)).toBe(4401);

async function echo(ws: WebSocket, text: string): Promise<string> {
  const reply = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
  ws.send(text);
  return reply;
}

/** Confirms tollgate's "sign out?" page. */
async function confirmLogout(browser: Browser, page: { body: string; url: string }) {
  const form = parseForm(page.body);
  return browser.request(new URL(form.action, page.url).href, { form: { ...form.fields, logout: 'yes' } });
}

describe('auth-proxy: sign-out', () => {
  it('destroys the session, clears the cookie and chains to tollgate end-session', async () => {
    const browser = new Browser();
    await signIn(browser, stack, 'dora');
    const oldCookie = cookieHeader(browser);
    const ws = await openSocket(oldCookie);
    expect(await echo(ws, 'hello')).toBe('hello');

    // 12.3: GET only asks; the form on the page posts the session's token.
    const ask = await browser.request(`${stack.url}/oauth2/sign_out`);
    expect(ask.status).toBe(200);
    expect(await stack.proxy.sessions.load(ticketOf(browser))).toBeDefined();
    const form = parseForm(ask.body);
    const out = await browser.request(new URL(form.action, ask.url).href, { form: form.fields });
    expect(out.status).toBe(303);
    expect(out.headers.get('cache-control')).toBe('no-store');
    expect(out.headers.getSetCookie()).toContainEqual(
      expect.stringMatching(new RegExp(`^${COOKIE}=; .*Max-Age=0`)),
    );
    const endSession = new URL(out.headers.get('location') ?? '');
    expect(endSession.origin).toBe(stack.tg.url);
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^ey/);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${stack.url}/`);

    // The WebSocket is closed as the session is destroyed, and the old ticket opens nothing.
    await closed(ws);
    const replay = await rawGet(`${stack.url}/x`, { cookie: oldCookie, accept: 'application/json' });
    expect(replay.status).toBe(401);
    await expect(openSocket(oldCookie)).rejects.toThrow('status 401');

    // tollgate asks for confirmation, signs out, and sends the browser back to the proxy.
    const confirm = await browser.follow(out);
    const back = await confirmLogout(browser, confirm);
    expect(back.headers.get('location')).toBe(`${stack.url}/`);
    // Signed out at tollgate too: the next visit needs the password again.
    const again = await browser.get(`${stack.url}/`);
    expect(again.body).toContain('name="password"');
  });

  it('GET shows an accessible confirmation page that is never cached, and signs nobody out (12.3)', async () => {
    const browser = new Browser();
    await signIn(browser, stack, 'dora');
    const page = await browser.request(
      `${stack.url}/oauth2/sign_out?rd=${encodeURIComponent(`${stack.url}/x`)}`,
    );
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.body).toMatch(/<html lang="en">/);
    expect(page.body).toMatch(/<title>Sign out\?<\/title>/);
    expect(page.body).toMatch(/<h1>Sign out\?<\/h1>/);
    expect(page.body).toContain('<button type="submit">Sign out</button>');
    expect(page.body).toContain('signed in as <strong>dora</strong>');
    const form = parseForm(page.body);
    expect(form.action).toBe('/oauth2/sign_out');
    expect(form.fields.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(form.fields.rd).toBe(`${stack.url}/x`);
    // A GET (a link, an <img>, a preview bot) ends nothing.
    const still = await rawGet(`${stack.url}/x`, {
      cookie: cookieHeader(browser),
      accept: 'application/json',
    });
    expect(still.status).toBe(200);
  });

  it('refuses a POST without the token bound to this session: missing, wrong or another session (12.3)', async () => {
    const [victim, attacker] = [new Browser(), new Browser()];
    await signIn(victim, stack, 'dora');
    await signIn(attacker, stack, 'dora');
    const attackerPage = await attacker.request(`${stack.url}/oauth2/sign_out`);
    const attackerToken = parseForm(attackerPage.body).fields.csrf ?? '';
    for (const fields of [
      {} as Record<string, string>,
      { csrf: 'x'.repeat(43) },
      { csrf: attackerToken },
      { csrf: '' },
    ]) {
      // What a cross-site form can do: post with the victim's cookie, without the victim's page.
      const res = await victim.request(`${stack.url}/oauth2/sign_out`, { form: { rd: '/', ...fields } });
      expect(res.status, JSON.stringify(fields)).toBe(403);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toContain('still signed in');
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    expect(await stack.proxy.sessions.load(ticketOf(victim))).toBeDefined();
    // The attacker's own token still works for the attacker's own session.
    const attackerTicket = ticketOf(attacker);
    const own = await attacker.request(`${stack.url}/oauth2/sign_out`, { form: { csrf: attackerToken } });
    expect(own.status).toBe(303);
    expect(await stack.proxy.sessions.load(attackerTicket)).toBeUndefined();
  });

  it('ends the proxy session when tollgate sends a back-channel logout token', async () => {
    const browser = new Browser();
    await signIn(browser, stack, 'dora');
    const cookie = cookieHeader(browser);
    const ws = await openSocket(cookie);
    const session = await stack.proxy.sessions.load(ticketOf(browser));
    expect(session?.sid).toBeTypeOf('string');
    // The same tollgate session behind a second proxy session (the browser on another proxy origin).
    if (!session) throw new Error('no session');
    const { ends_at: _ends, ...fields } = session;
    const twin = await stack.proxy.sessions.create(fields);

    // Signed out at tollgate directly (another app's sign-out link, say): not through the proxy.
    let delivered = 0;
    stack.tg.tollgate.provider.on('backchannel.success', () => delivered++);
    const confirm = await browser.get(`${stack.tg.url}/session/end?client_id=proxy`);
    const done = await confirmLogout(browser, confirm);
    expect(done.status).toBeLessThan(400);
    expect(delivered).toBe(1);
    expect(await stack.proxy.sessions.load(ticketOf(browser))).toBeUndefined();
    expect(await stack.proxy.sessions.load(twin.ticket)).toBeUndefined();
    await closed(ws);
    const res = await rawGet(`${stack.url}/x`, { cookie, accept: 'application/json' });
    expect(res.status).toBe(401);
  });

  it('refuses logout tokens that are missing, malformed or not signed by tollgate (400)', async () => {
    const post = (body: string) =>
      fetch(`${stack.url}/oauth2/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    expect((await post('')).status).toBe(400);
    expect((await post('logout_token=not.a.jwt')).status).toBe(400);
    // A well-formed token from someone else's key: the signature check must refuse it.
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = (await exportJWK(publicKey)).n?.slice(0, 8);
    const forged = await new SignJWT({
      sid: 'any',
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'logout+jwt' })
      .setIssuer(stack.tg.url)
      .setAudience('proxy')
      .setIssuedAt()
      .setJti('x')
      .sign(privateKey);
    expect((await post(`logout_token=${forged}`)).status).toBe(400);
  });

  it('refuses WebSockets without a session, and closes them when the session ends elsewhere', async () => {
    await expect(openSocket()).rejects.toThrow('status 401');
    const browser = new Browser();
    await signIn(browser, stack, 'dora');
    const ws = await openSocket(cookieHeader(browser));
    expect(await echo(ws, 'still here')).toBe('still here');
    // Another proxy process ends it (same Redis): this one notices at its next check (200 ms here).
    const other = createRedisClient({ url: redis.url, key_prefix: 'proxy:' });
    const hash = hashTicket(ticketOf(browser));
    await other.del(`proxy:kv:proxy-session:${hash}`);
    await other.publish('proxy:proxy-session-invalidate', hash);
    await other.quit();
    await closed(ws);
  });
});
