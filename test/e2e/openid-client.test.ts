// The whole foundation through an independent, certified RP library (openid-client) over real
// HTTP, against a provider backed by a real redis-server.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateJwks } from '../../src/provider/keys.ts';
import { Browser } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import {
  API_SECRET,
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  RP_LOGGED_OUT,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let tg: RunningTollgate;
let app: oidc.Configuration;
let api: oidc.Configuration;

const insecure = { execute: [oidc.allowInsecureRequests] };

/** Runs authorize -> login form -> callback in `browser`, returns the callback URL and checks. */
async function signIn(
  browser: Browser,
  config: oidc.Configuration,
  username: string,
  password: string,
  extra: Record<string, string> = {},
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid profile email groups',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  let page = await browser.get(url.href, RP_CALLBACK);
  if (page.status === 200 && page.body.includes('name="password"')) {
    page = await browser.submit(page, { username, password }, RP_CALLBACK);
  }
  return { page, verifier, state, nonce };
}

beforeAll(async () => {
  redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-'));
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(generateJwks()));
  tg = await startTollgate({ redisUrl: redis.url, jwksFile });
  await addUser(tg, 'alice', 'correct horse battery', {
    email: 'alice@example.com',
    name: 'Alice',
    groups: ['admins', 'users'],
  });
  app = await oidc.discovery(new URL(tg.url), 'app', undefined, oidc.ClientSecretBasic(APP_SECRET), insecure);
  api = await oidc.discovery(new URL(tg.url), 'api', undefined, oidc.ClientSecretBasic(API_SECRET), insecure);
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

describe('openid-client against tollgate on Redis', () => {
  it('discovery advertises code + PKCE S256 and the endpoints', () => {
    const meta = app.serverMetadata();
    expect(meta.issuer).toBe(tg.url);
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.introspection_endpoint).toBe(`${tg.url}/token/introspection`);
    expect(meta.revocation_endpoint).toBe(`${tg.url}/token/revocation`);
    expect(meta.end_session_endpoint).toBe(`${tg.url}/session/end`);
    expect(meta.acr_values_supported).toEqual([
      'urn:tollgate:acr:1fa',
      'urn:tollgate:acr:2fa',
      'urn:tollgate:acr:phr',
    ]);
    expect(meta.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'phone', 'groups']),
    );
  });

  it('runs code + PKCE, userinfo, refresh with rotation, introspection, revocation and logout', async () => {
    const browser = new Browser();
    const { page, verifier, state, nonce } = await signIn(browser, app, 'alice', 'correct horse battery');
    expect(page.url.startsWith(RP_CALLBACK)).toBe(true);

    const tokens = await oidc.authorizationCodeGrant(app, new URL(page.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims?.iss).toBe(tg.url);
    expect(claims?.aud).toBe('app');
    expect(claims?.acr).toBe('urn:tollgate:acr:1fa');
    expect(claims?.amr).toEqual(['pwd']);
    expect(tokens.refresh_token).toBeTruthy();
    const sub = claims?.sub as string;

    const userinfo = await oidc.fetchUserInfo(app, tokens.access_token, sub);
    expect(userinfo).toMatchObject({
      sub,
      preferred_username: 'alice',
      name: 'Alice',
      email: 'alice@example.com',
      groups: ['admins', 'users'],
    });

    // Rotation: a new refresh token each time, carrying the same acr/amr.
    const refreshed = await oidc.refreshTokenGrant(app, tokens.refresh_token as string);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()).toMatchObject({ sub, acr: 'urn:tollgate:acr:1fa', amr: ['pwd'] });

    // Only the resource server may introspect.
    const introspected = await oidc.tokenIntrospection(api, refreshed.access_token);
    expect(introspected).toMatchObject({ active: true, sub, client_id: 'app' });
    const byApp = await oidc.tokenIntrospection(app, refreshed.access_token);
    expect(byApp.active).toBe(false);

    await oidc.tokenRevocation(app, refreshed.access_token);
    expect((await oidc.tokenIntrospection(api, refreshed.access_token)).active).toBe(false);
    await expect(oidc.fetchUserInfo(app, refreshed.access_token, sub)).rejects.toBeTruthy();

    // RP-initiated logout: confirmation page, then back to the registered URI with state.
    const endSession = oidc.buildEndSessionUrl(app, {
      id_token_hint: refreshed.id_token as string,
      post_logout_redirect_uri: RP_LOGGED_OUT,
      state: 'bye',
    });
    const confirm = await browser.get(endSession.href);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('op.logoutForm');
    expect(confirm.headers.get('cache-control')).toBe('no-store');
    const done = await browser.submit(confirm, { logout: 'yes' }, RP_LOGGED_OUT);
    expect(done.url).toBe(`${RP_LOGGED_OUT}?state=bye`);

    // The session is gone: authorizing again asks for the password.
    const again = await browser.get(
      oidc.buildAuthorizationUrl(app, {
        redirect_uri: RP_CALLBACK,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }).href,
      RP_CALLBACK,
    );
    expect(again.body).toContain('name="password"');
  });

  it('treats reuse of a rotated refresh token as theft and revokes the whole grant', async () => {
    const { page, verifier, state, nonce } = await signIn(
      new Browser(),
      app,
      'alice',
      'correct horse battery',
    );
    const tokens = await oidc.authorizationCodeGrant(app, new URL(page.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const refreshed = await oidc.refreshTokenGrant(app, tokens.refresh_token as string);
    expect((await oidc.tokenIntrospection(api, refreshed.access_token)).active).toBe(true);
    await expect(oidc.refreshTokenGrant(app, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // The grant index in Redis found and removed every token of the grant.
    expect((await oidc.tokenIntrospection(api, refreshed.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(app, refreshed.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('replays of an authorization code fail', async () => {
    const { page, verifier, state, nonce } = await signIn(
      new Browser(),
      app,
      'alice',
      'correct horse battery',
    );
    const checks = { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce };
    await oidc.authorizationCodeGrant(app, new URL(page.url), checks);
    await expect(oidc.authorizationCodeGrant(app, new URL(page.url), checks)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('requires PKCE even from a confidential client', async () => {
    const browser = new Browser();
    const url = oidc.buildAuthorizationUrl(app, { redirect_uri: RP_CALLBACK, scope: 'openid', state: 'x' });
    const page = await browser.get(url.href, RP_CALLBACK);
    const params = new URL(page.url).searchParams;
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('error_description')).toMatch(/PKCE/);
  });

  it('matches redirect_uri exactly', async () => {
    const browser = new Browser();
    const url = oidc.buildAuthorizationUrl(app, {
      redirect_uri: `${RP_CALLBACK}/evil`,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const page = await browser.get(url.href);
    expect(page.status).toBe(400);
    expect(page.body).toContain('redirect_uri');
    expect(page.headers.get('content-type')).toMatch(/html/);
  });

  it('shows a consent page to third-party clients and honours Deny and Allow', async () => {
    const third = await oidc.discovery(
      new URL(tg.url),
      'third-party',
      undefined,
      oidc.ClientSecretBasic(APP_SECRET),
      insecure,
    );
    const browser = new Browser();
    const { page } = await signIn(browser, third, 'alice', 'correct horse battery');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Third Party');
    expect(page.body).toContain('Your email address');
    const denyHref = /href="([^"]*\/abort[^"]*)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
    expect(denyHref).toBeTruthy();
    const denied = await browser.get(new URL(denyHref as string, tg.url).href, RP_CALLBACK);
    expect(new URL(denied.url).searchParams.get('error')).toBe('access_denied');

    const {
      page: consent,
      verifier,
      state,
      nonce,
    } = await signIn(browser, third, 'alice', 'correct horse battery');
    const allowed = await browser.submit(consent, {}, RP_CALLBACK);
    const tokens = await oidc.authorizationCodeGrant(third, new URL(allowed.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.claims()?.aud).toBe('third-party');
  });

  it('lets a public client sign in with PKCE and no secret', async () => {
    const pub = await oidc.discovery(new URL(tg.url), 'public-app', undefined, oidc.None(), insecure);
    const browser = new Browser();
    const { page, verifier, state, nonce } = await signIn(browser, pub, 'alice', 'correct horse battery');
    // A public client is not first-party: consent first.
    const allowed = await browser.submit(page, {}, RP_CALLBACK);
    const tokens = await oidc.authorizationCodeGrant(pub, new URL(allowed.url), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.access_token).toBeTruthy();
  });

  it('issues client_credentials tokens to the API client', async () => {
    const tokens = await oidc.clientCredentialsGrant(api, {});
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect((await oidc.tokenIntrospection(api, tokens.access_token)).active).toBe(true);
  });

  it('refuses a wrong password with the same message as an unknown user', async () => {
    const wrong = await signIn(new Browser(), app, 'alice', 'wrong password!!');
    const unknown = await signIn(new Browser(), app, 'nobody', 'wrong password!!');
    for (const { page } of [wrong, unknown]) {
      expect(page.status).toBe(401);
      expect(page.body).toContain('Incorrect username or password.');
    }
  });

  it('refuses a disabled account', async () => {
    const account = await addUser(tg, 'bob', 'bob password 123');
    await tg.tollgate.store.accounts.update(account.id, { disabled: true });
    const { page } = await signIn(new Browser(), app, 'bob', 'bob password 123');
    expect(page.status).toBe(401);
    expect(page.body).toContain('Incorrect username or password.');
  });
});
