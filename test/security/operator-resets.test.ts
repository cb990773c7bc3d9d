// Operator resets take effect everywhere (issue 12.4, 15.9): `tollgate users reset-mfa`,
// `disable` and `passwd`, run as the real CLI in its own process against the real Redis, end the
// user's provider sessions, revoke their refresh and access tokens, end the auth-proxy's session
// through a back-channel logout (sub + sid, signed with the server's keys), and forget
// remembered browsers.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyConfig } from '../../examples/auth-proxy/config.ts';
import { type RunningProxy, startProxy } from '../../examples/auth-proxy/server.ts';
import { createLogger } from '../../src/log.ts';
import { generateJwks } from '../../src/provider/keys.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { cleanEnv, runTollgate } from '../helpers/cli.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import {
  API_SECRET,
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
  TEST_COOKIE_KEY,
} from '../helpers/tollgate.ts';
import { authorize, exchange, keyFromPage, oathtool, rp, submit } from '../mfa/helpers.ts';
import {
  COOKIE_SECRET,
  PASSWORD,
  PROXY_SECRET,
  proxyClient,
  RULES,
  signIn,
  startUpstream,
  type Upstream,
} from '../proxy/helpers.ts';
import { expectFreshSignIn } from './fresh-sign-in.ts';

const NEW_PASSWORD = 'another long enough password';
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

let redis: RedisServer;
let tg: RunningTollgate;
let upstream: Upstream;
let proxy: RunningProxy;
let receiver: Server;
let proxyUrl: string;
let configFile: string;
let dir: string;
let app: oidc.Configuration;
let mfaApp: oidc.Configuration;
let api: oidc.Configuration;
/** Logout tokens the `app` client's back-channel endpoint received. */
const logoutTokens: string[] = [];

/** A user's authenticator: hands out codes for time steps not used yet (each is accepted once). */
function authenticator(key: string) {
  const used = new Set<number>();
  return () => {
    const now = Math.floor(Date.now() / 30_000);
    const offset = [0, 1, -1].find((o) => !used.has(now + o));
    if (offset === undefined) throw new Error('no unused time step in the window');
    used.add(now + offset);
    return oathtool(key, offset);
  };
}

/** The CLI, in its own process, on the same configuration file as the server. */
async function cli(command: string, username: string, stdin?: string) {
  const run = await runTollgate(['users', command, username, '--config', configFile], {
    stdin,
    env: cleanEnv(),
  });
  expect(run.code, run.stderr).toBe(0);
  return run;
}

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-resets-'));
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(generateJwks()));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) logoutTokens.push(token);
      res.writeHead(200).end();
    });
  }).listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/backchannel`;

  const [port, proxyPort] = [await freePort(), await freePort()];
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  // One configuration for the server and the CLI: JSON is YAML.
  const raw = {
    issuer: `http://127.0.0.1:${port}`,
    port,
    cookies: { keys: [TEST_COOKIE_KEY] },
    store: { redis: { url: redis.url, key_prefix: 'tg:' } },
    jwks: { file: jwksFile },
    log_level: 'silent',
    mfa: {
      factors: ['totp', 'recovery'],
      encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
    },
    clients: [
      proxyClient(proxyUrl),
      {
        client_id: 'app',
        client_secret: APP_SECRET,
        redirect_uris: [RP_CALLBACK],
        backchannel_logout_uri: receiverUrl,
        first_party: true,
        mfa: { policy: 'optional' },
      },
      {
        client_id: 'mfa-app',
        client_secret: APP_SECRET,
        redirect_uris: [RP_CALLBACK],
        first_party: true,
        mfa: { policy: 'required', remember_browser_days: 30 },
      },
      {
        client_id: 'api',
        client_secret: API_SECRET,
        grant_types: ['client_credentials'],
        resource_server: true,
      },
    ],
  };
  configFile = join(dir, 'tollgate.yaml');
  writeFileSync(configFile, JSON.stringify(raw));
  tg = await startTollgate({ redisUrl: redis.url, jwksFile, port, overrides: raw });
  upstream = await startUpstream();
  proxy = await startProxy(
    proxyConfig({
      listen: { host: '127.0.0.1', port: proxyPort },
      public_url: proxyUrl,
      provider: { issuer: tg.url, client_id: 'proxy', client_secret: PROXY_SECRET },
      cookie: { secret: COOKIE_SECRET },
      session: { key_prefix: 'proxy:' },
      trusted_proxies: [],
      redirect_hosts: ['.example.org'],
      upstreams: [{ host: '127.0.0.1', url: upstream.url }],
      rules: RULES,
    }),
    { logger: createLogger('silent') },
  );
  [app, mfaApp, api] = await Promise.all([rp(tg, 'app'), rp(tg, 'mfa-app'), rp(tg, 'api', API_SECRET)]);
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
  await tg?.stop();
  receiver?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Signs `username` in at the proxy, then (silently, same browser) at `app` with tokens. */
async function signedInEverywhere(username: string) {
  const account = await addUser(tg, username, PASSWORD);
  const browser = new Browser();
  expect((await signIn(browser, { url: proxyUrl }, username)).status).toBe(200);
  const { page, verifier } = await authorize(browser, app);
  const { tokens, claims } = await exchange(app, page, verifier);
  expect(tokens.refresh_token).toBeTruthy();
  return { account, browser, tokens, sid: claims.sid as string };
}

describe('operator resets end sessions, tokens and proxy sessions', () => {
  it.each([
    ['reset-mfa', undefined],
    ['disable', undefined],
    ['passwd', `${NEW_PASSWORD}\n`],
  ])('users %s', async (command, stdin) => {
    const username = `reset-${command}`;
    const { account, browser, tokens, sid } = await signedInEverywhere(username);
    expect((await browser.request(`${proxyUrl}/`)).status).toBe(200);
    const before = logoutTokens.length;

    const run = await cli(command, username, stdin);
    expect(run.stdout).toContain('ended 1 session(s)');
    expect(run.stderr).toContain('"event":"account.sessions_ended"');

    // Refresh and access tokens are refused.
    await expect(oidc.refreshTokenGrant(app, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(oidc.fetchUserInfo(app, tokens.access_token, account.id)).rejects.toThrow();
    expect((await oidc.tokenIntrospection(api, tokens.access_token)).active).toBe(false);

    // The browser is no longer signed in: the provider asks for a password, never a 5xx.
    await expectFreshSignIn(browser, tg.url, app);

    // The proxy's session ended by back-channel logout: the next request is sent to sign in.
    expect((await browser.request(`${proxyUrl}/`)).status).toBe(302);

    // The relying party received a logout token for this user's session, signed by the server.
    expect(logoutTokens.length).toBe(before + 1);
    const { payload } = await jwtVerify(
      logoutTokens.at(-1) as string,
      createRemoteJWKSet(new URL(`${tg.url}/jwks`)),
      { issuer: tg.url, audience: 'app' },
    );
    expect(payload).toMatchObject({ sub: account.id, sid, events: { [BACKCHANNEL_EVENT]: {} } });
  });
});

describe('remembered browsers end with operator resets', () => {
  const dropSession = (browser: Browser) => {
    for (let i = browser.cookies.length - 1; i >= 0; i--) {
      if (browser.cookies[i]?.name.startsWith('_session')) browser.cookies.splice(i, 1);
    }
  };
  const password = async (browser: Browser, pass: string): Promise<{ page: Page; verifier: string }> => {
    const { page, verifier } = await authorize(browser, mfaApp);
    expect(page.body).toContain('name="password"');
    return { page: await submit(browser, page, { username: 'remy', password: pass }), verifier };
  };
  const isChallenge = (page: Page) =>
    page.status === 200 && page.body.includes('name="code"') && !page.body.includes('name="password"');

  it('a password change and reset-mfa each forget the remembered browser', async () => {
    await addUser(tg, 'remy', PASSWORD);
    const browser = new Browser();
    const enrol = await password(browser, PASSWORD);
    const code = authenticator(keyFromPage(enrol.page));
    const codes = await submit(browser, enrol.page, { code: code() });
    await exchange(mfaApp, await submit(browser, codes, { confirm: '1' }), enrol.verifier);

    dropSession(browser);
    const challenge = await password(browser, PASSWORD);
    expect(isChallenge(challenge.page)).toBe(true);
    await exchange(
      mfaApp,
      await submit(browser, challenge.page, { code: code(), remember: '1' }),
      challenge.verifier,
    );
    dropSession(browser);
    const remembered = await password(browser, PASSWORD);
    expect(remembered.page.url.startsWith(RP_CALLBACK)).toBe(true);

    // A new password: the remembered browser must prove the second factor again.
    await cli('passwd', 'remy', `${NEW_PASSWORD}\n`);
    dropSession(browser);
    const afterPasswd = await password(browser, NEW_PASSWORD);
    expect(isChallenge(afterPasswd.page)).toBe(true);
    await submit(browser, afterPasswd.page, { code: code(), remember: '1' });
    dropSession(browser);
    expect((await password(browser, NEW_PASSWORD)).page.url.startsWith(RP_CALLBACK)).toBe(true);

    // reset-mfa: no factor left, so the browser is sent to enrol, not through.
    await cli('reset-mfa', 'remy');
    dropSession(browser);
    const afterReset = await password(browser, NEW_PASSWORD);
    expect(afterReset.page.url.startsWith(RP_CALLBACK)).toBe(false);
    expect(afterReset.page.body).toContain('id="totp-key"');
  });
});
