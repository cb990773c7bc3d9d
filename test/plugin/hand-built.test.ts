// tollgate as a plugin set: a provider built by hand from the package's exports (not the
// bundled server) signs a user in with tollgate's Redis adapter, account store, pages, factors
// and MFA Check.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { freePort, startRedis } from '../helpers/redis-server.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let child: ChildProcess;
let url: string;

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['test/fixtures/hand-built-provider.mjs'], {
    env: { ...process.env, PORT: String(port), REDIS_URL: redis.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d) => String(d).includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${stderr}`)));
  });
});

afterAll(async () => {
  child?.kill('SIGTERM');
  await redis?.stop();
});

it('signs in through a hand-built Provider mounting the exported parts', async () => {
  const config = await oidc.discovery(
    new URL(url),
    'mine',
    undefined,
    oidc.ClientSecretBasic('mine-secret-0123456789'),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const authUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: 'http://127.0.0.1:9/cb',
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
  });
  const browser = new Browser();
  const login = await browser.get(authUrl.href);
  expect(login.body).toContain('name="password"');
  // MFA is required for this client: the hand-built provider walks carol through TOTP enrolment.
  const enrol = await browser.submit(login, { username: 'carol', password: 'carol password 1' });
  const key = (/<code id="totp-key"[^>]*>([^<]+)<\/code>/.exec(enrol.body)?.[1] ?? '').replace(/\s+/g, '');
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  const code = execFileSync('oathtool', ['--totp', '-b', key], { encoding: 'utf8' }).trim();
  const codes = await browser.submit(enrol, { code });
  expect(codes.body).toContain('Save your recovery codes');
  const consent = await browser.submit(codes, { confirm: '1' });
  expect(consent.status).toBe(200);
  expect(consent.body).toContain('Your email address');
  const callback = await browser.submit(consent, {}, 'http://127.0.0.1:9/cb');
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.url), {
    pkceCodeVerifier: verifier,
    expectedState: 'st',
  });
  expect(tokens.claims()).toMatchObject({ acr: 'urn:tollgate:acr:2fa', amr: ['pwd', 'otp', 'mfa'] });
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()?.sub as string);
  expect(userinfo.email).toBe('carol@example.com');
  // The account and the tokens really are in Redis under the team's prefix.
  const { Redis } = await import('ioredis');
  const r = new Redis(redis.url);
  const keys = await r.keys('mine:*');
  await r.quit();
  expect(keys.some((k) => k.startsWith('mine:account:'))).toBe(true);
  expect(keys.some((k) => k.startsWith('mine:AccessToken:'))).toBe(true);
});
