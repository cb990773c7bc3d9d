// A provider restart with Redis kept: browser sessions, refresh tokens and access tokens
// all survive, because every bit of state lives in Redis and the keys come from a file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateJwks } from '../../src/provider/keys.ts';
import { Browser } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let jwksFile: string;
let tg: RunningTollgate | undefined;

beforeAll(async () => {
  redis = await startRedis();
  jwksFile = join(mkdtempSync(join(tmpdir(), 'tollgate-restart-')), 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(generateJwks()));
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

async function client(url: string) {
  return oidc.discovery(new URL(url), 'app', undefined, oidc.ClientSecretBasic(APP_SECRET), {
    execute: [oidc.allowInsecureRequests],
  });
}

async function authorize(browser: Browser, config: oidc.Configuration) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 's',
  });
  return { page: await browser.get(url.href, RP_CALLBACK), verifier };
}

it('keeps sessions and refresh tokens valid across a provider restart', async () => {
  tg = await startTollgate({ redisUrl: redis.url, jwksFile });
  const port = tg.port;
  await addUser(tg, 'dora', 'dora password 1', { email: 'dora@example.com' });
  const browser = new Browser();
  const first = await client(tg.url);
  const { page: login, verifier } = await authorize(browser, first);
  const callback = await browser.submit(
    login,
    { username: 'dora', password: 'dora password 1' },
    RP_CALLBACK,
  );
  const tokens = await oidc.authorizationCodeGrant(first, new URL(callback.url), {
    pkceCodeVerifier: verifier,
    expectedState: 's',
  });
  const sub = tokens.claims()?.sub as string;

  await tg.stop();
  tg = await startTollgate({ redisUrl: redis.url, jwksFile, port });
  const second = await client(tg.url);

  // The access token issued before the restart still works.
  expect((await oidc.fetchUserInfo(second, tokens.access_token, sub)).email).toBe('dora@example.com');
  // So does the refresh token, and the new ID token verifies against the same keys.
  const refreshed = await oidc.refreshTokenGrant(second, tokens.refresh_token as string);
  expect(refreshed.claims()?.sub).toBe(sub);
  // And the browser session: no password asked, straight back to the client with a code.
  const again = await authorize(browser, second);
  expect(again.page.url.startsWith(RP_CALLBACK)).toBe(true);
  const code = await oidc.authorizationCodeGrant(second, new URL(again.page.url), {
    pkceCodeVerifier: again.verifier,
    expectedState: 's',
  });
  expect(code.claims()?.sub).toBe(sub);
});
