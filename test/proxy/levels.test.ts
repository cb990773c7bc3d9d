// Phishing-resistant routes: an `mfa` rule with `require: phishing_resistant` sends a session
// without a passkey proof back to tollgate asking acr_values=urn:tollgate:acr:phr (the value of
// tollgate's seam branch, src/policy/acr.ts), and the sign-in callback refuses an ID token that
// does not prove it (acr and a hwk/swk amr), whatever else it proves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyConfig } from '../../examples/auth-proxy/config.ts';
import { DEFAULT_ACR, meetsLevel } from '../../examples/auth-proxy/levels.ts';
import { decide } from '../../examples/auth-proxy/rules.ts';
import { type RunningProxy, startProxy } from '../../examples/auth-proxy/server.ts';
import type { Identity, Rule } from '../../examples/auth-proxy/types.ts';
import { createLogger } from '../../src/log.ts';
import { Browser } from '../helpers/browser.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { addUser, type RunningTollgate } from '../helpers/tollgate.ts';
import { PASSWORD, signIn, stackConfig, startTollgateFor, startUpstream, type Upstream } from './helpers.ts';

const PHR = 'urn:tollgate:acr:phr';
const vault: Rule = { path_prefix: '/vault', policy: 'mfa', require: 'phishing_resistant' };
const admin: Rule = { path_prefix: '/admin', policy: 'mfa' };
const base = { sub: 's', groups: [] };
const totp: Identity = { ...base, acr: DEFAULT_ACR.two_factor, amr: ['pwd', 'otp', 'mfa'] };
const passkey: Identity = { ...base, acr: PHR, amr: ['pwd', 'hwk', 'user', 'mfa'] };
const syncedPasskey: Identity = { ...base, acr: PHR, amr: ['pwd', 'swk', 'mfa'] };
const phrClaimOnly: Identity = { ...base, acr: PHR, amr: ['pwd', 'otp', 'mfa'] };
const passkeyAt2fa: Identity = { ...base, acr: DEFAULT_ACR.two_factor, amr: ['pwd', 'hwk', 'mfa'] };

describe('the phishing_resistant level', () => {
  it('uses tollgate’s acr value for it', () => {
    expect(DEFAULT_ACR.phishing_resistant).toBe(PHR);
  });

  it('lets a passkey session through and sends every other one to step up to that level', () => {
    expect(decide(vault, passkey).kind).toBe('allow');
    expect(decide(vault, syncedPasskey).kind).toBe('allow');
    for (const identity of [totp, phrClaimOnly, passkeyAt2fa]) {
      expect(decide(vault, identity)).toMatchObject({ kind: 'step_up', level: 'phishing_resistant' });
    }
    expect(decide(vault, undefined).kind).toBe('login');
  });

  it('counts a passkey session as two factors on a plain mfa rule', () => {
    expect(decide(admin, passkey).kind).toBe('allow');
    expect(decide(admin, totp).kind).toBe('allow');
    expect(decide(admin, { ...base, acr: 'urn:tollgate:acr:1fa', amr: ['pwd'] })).toMatchObject({
      kind: 'step_up',
      level: 'two_factor',
    });
  });

  it('the callback test wants the acr and the amr both', () => {
    expect(meetsLevel('phishing_resistant', { acr: PHR, amr: ['pwd', 'hwk'] })).toBe(true);
    expect(meetsLevel('phishing_resistant', { acr: PHR, amr: ['pwd', 'otp'] })).toBe(false);
    expect(meetsLevel('phishing_resistant', { acr: DEFAULT_ACR.two_factor, amr: ['hwk'] })).toBe(false);
    expect(meetsLevel('phishing_resistant', { acr: undefined, amr: ['hwk'] })).toBe(false);
  });

  it('refuses require on a rule that is not mfa', () => {
    const raw = {
      public_url: 'http://127.0.0.1:4180',
      provider: { issuer: 'http://127.0.0.1:3000', client_id: 'p', client_secret: 'x'.repeat(16) },
      cookie: { secret: 'y'.repeat(32) },
      rules: [{ path_prefix: '/', policy: 'authenticated', require: 'phishing_resistant' }],
    };
    expect(() => proxyConfig(raw)).toThrow(/require is only for policy: mfa/);
  });
});

let redis: RedisServer;
let tg: RunningTollgate;
let upstream: Upstream;
let proxy: RunningProxy;
let url: string;

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  tg = await startTollgateFor(redis, url);
  await addUser(tg, 'alice', PASSWORD, { groups: [] });
  upstream = await startUpstream();
  const config = stackConfig({ port, tg, upstream });
  proxy = await startProxy(
    proxyConfig({ ...config, rules: [vault, { path_prefix: '/', policy: 'authenticated' }] }),
    {
      logger: createLogger('silent'),
    },
  );
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
  await tg?.stop();
  await redis?.stop();
});

describe('a phishing-resistant route behind the proxy, with a real tollgate', () => {
  it('sends a signed-in session to tollgate with acr_values for that level, and never lets it through without it', async () => {
    const browser = new Browser();
    await signIn(browser, { url }, 'alice', '/');
    const before = upstream.hits;
    const first = await browser.request(`${url}/vault/keys`);
    expect(first.status).toBe(302);
    const start = new URL(first.headers.get('location') ?? '');
    expect(start.pathname).toBe('/oauth2/start');
    expect(start.searchParams.get('acr')).toBe('phr');
    const toTollgate = await browser.request(start.href);
    const authorize = new URL(toTollgate.headers.get('location') ?? '');
    expect(authorize.origin).toBe(tg.url);
    expect(authorize.searchParams.get('acr_values')).toBe(PHR);
    // This tollgate has no passkeys: whatever it answers, the vault is never reached.
    const end = await browser.follow(toTollgate);
    expect(end.status).not.toBe(200);
    expect(upstream.hits).toBe(before);
  });
});
