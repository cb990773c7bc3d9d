// Forwarded headers count only from `trusted_proxies` (issue 15.4): the client address is the
// right-most X-Forwarded-For hop that is not a trusted proxy, so a client rotating the header
// cannot escape per-IP limits, and X-Forwarded-Proto from anyone else is ignored.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { clientAddress, normalizeAddress, trustedProxies } from '../../src/server/forwarded.ts';
import { Browser, parseForm } from '../helpers/browser.ts';
import { APP_SECRET, RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';

const events: Record<string, unknown>[] = [];
function capturingLogger(): Logger {
  let buffer = '';
  return createLogger('info', {
    write(chunk: string) {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        events.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
        buffer = buffer.slice(nl + 1);
      }
    },
  });
}

let behindProxy: RunningTollgate;
let notFromProxy: RunningTollgate;

beforeAll(async () => {
  const logger = capturingLogger();
  // The test's own connections come from 127.0.0.1: a proxy here, a stranger to the second.
  behindProxy = await startTollgate({
    logger,
    overrides: { proxy: true, trusted_proxies: ['127.0.0.1', '198.51.100.0/24'] },
  });
  notFromProxy = await startTollgate({ logger, overrides: { proxy: true, trusted_proxies: ['10.0.0.0/8'] } });
});

afterAll(async () => {
  await behindProxy?.stop();
  await notFromProxy?.stop();
});

describe('the client address', () => {
  const isTrusted = trustedProxies(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);

  it('is the right-most hop that is not a trusted proxy', () => {
    expect(clientAddress('127.0.0.1', '6.6.6.6, 203.0.113.9', isTrusted)).toBe('203.0.113.9');
    expect(clientAddress('127.0.0.1', '1.1.1.1, 203.0.113.9, 10.1.2.3', isTrusted)).toBe('203.0.113.9');
    expect(clientAddress('127.0.0.1', '2001:db8::7, fd00::1', isTrusted)).toBe('2001:db8::7');
    expect(clientAddress('127.0.0.1', '[2001:db8::8]:4711', isTrusted)).toBe('2001:db8::8');
    expect(clientAddress('127.0.0.1', '203.0.113.9:4711', isTrusted)).toBe('203.0.113.9');
  });

  it('is the peer when the peer is not a trusted proxy, whatever the header says', () => {
    expect(clientAddress('203.0.113.50', '6.6.6.6', isTrusted)).toBe('203.0.113.50');
  });

  it('stops at the last trusted hop on a hop that is not an address', () => {
    expect(clientAddress('127.0.0.1', '6.6.6.6, unknown, 10.0.0.2', isTrusted)).toBe('10.0.0.2');
    expect(clientAddress('127.0.0.1', undefined, isTrusted)).toBe('127.0.0.1');
  });

  it('reads IPv4-mapped IPv6 as IPv4', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(isTrusted(normalizeAddress('::FFFF:10.9.9.9') as string)).toBe(true);
    expect(normalizeAddress('not an ip')).toBeUndefined();
  });
});

describe('configuration', () => {
  const base = { issuer: 'https://id.example.test', cookies: { keys: ['k'.repeat(32)] } };
  it('needs trusted_proxies with proxy: true, and proxy: true with trusted_proxies', () => {
    expect(configSchema.safeParse({ ...base, proxy: true }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, trusted_proxies: ['10.0.0.0/8'] }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, proxy: true, trusted_proxies: ['10.0.0.0/33'] }).success).toBe(
      false,
    );
    const ok = configSchema.parse({
      ...base,
      proxy: true,
      trusted_proxies: ['10.0.0.0/8', '::1', 'fd00::/8'],
    });
    expect(ok.trusted_proxies).toHaveLength(3);
  });
});

/** A valid authorization request to `running` for the first-party app. */
async function authorizationUrl(running: RunningTollgate): Promise<string> {
  const config = await oidc.discovery(
    new URL(running.url),
    'app',
    undefined,
    oidc.ClientSecretBasic(APP_SECRET),
    { execute: [oidc.allowInsecureRequests] },
  );
  return oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  }).href;
}

/** Opens the login page of `running` and posts a wrong password with these extra headers. */
async function failLogin(running: RunningTollgate, headers: Record<string, string>) {
  const url = await authorizationUrl(running);
  const browser = new Browser();
  const login = await browser.get(url, RP_CALLBACK);
  const form = parseForm(login.body);
  const before = events.length;
  await browser.request(new URL(form.action, login.url).href, {
    form: { ...form.fields, username: 'rotator', password: 'not the password 123' },
    headers,
  });
  return events.slice(before).find((e) => e.event === 'login.failed');
}

describe('behind a trusted proxy', () => {
  it('a client rotating X-Forwarded-For stays one address', async () => {
    const seen = new Set<unknown>();
    for (const spoof of ['6.6.6.6', '7.7.7.7', '8.8.8.8, 9.9.9.9']) {
      const failed = await failLogin(behindProxy, {
        'x-forwarded-for': `${spoof}, 203.0.113.9, 198.51.100.7`,
      });
      seen.add(failed?.ip);
    }
    expect([...seen]).toEqual(['203.0.113.9']);
  });

  it('X-Forwarded-Proto from the proxy makes cookies Secure', async () => {
    const res = await fetch(await authorizationUrl(behindProxy), {
      headers: { 'x-forwarded-proto': 'https' },
      redirect: 'manual',
    });
    expect(res.headers.getSetCookie().some((c) => /;\s*secure/i.test(c))).toBe(true);
  });
});

describe('from a peer that is not a trusted proxy', () => {
  it('X-Forwarded-For is ignored: the peer is the client', async () => {
    const failed = await failLogin(notFromProxy, { 'x-forwarded-for': '6.6.6.6' });
    expect(failed?.ip).toBe('127.0.0.1');
  });

  it('X-Forwarded-Proto is ignored', async () => {
    const res = await fetch(await authorizationUrl(notFromProxy), {
      headers: { 'x-forwarded-proto': 'https' },
      redirect: 'manual',
    });
    const cookies = res.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    expect(cookies.some((c) => /;\s*secure/i.test(c))).toBe(false);
  });
});
