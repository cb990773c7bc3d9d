import { describe, expect, it } from 'vitest';
import {
  ALWAYS_STRIPPED_HEADERS,
  type HeaderMap,
  headerValue,
  IDENTITY_HEADER_DEFAULTS,
  identityHeaderValues,
  stripIdentityHeaders,
} from '../../examples/auth-proxy/identity-headers.ts';
import type { Identity } from '../../examples/auth-proxy/types.ts';
import { spellings } from './spellings.ts';

/*
 * SECURITY.md, Auth-proxy: "Identity headers sent upstream are first deleted in every spelling
 * the upstream could read as the same name: any case, `_` for `-` (CVE-2025-64484, Traefik
 * CVE-2026-54763, Caddy CVE-2026-30851). Delete before you set, even when there is no value."
 */

const UNRELATED: HeaderMap = {
  'x-forwarded-for': '203.0.113.7',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'app.example.com',
  'x-forwarded-users': 'near miss, plural',
  'x-forwarded-user2': 'near miss, suffix',
  'x-forwardeduser': 'near miss, no separator',
  'remote-addr': 'not an identity header',
  cookie: 'a=b',
  authorization: 'Bearer x',
  'set-cookie': ['a', 'b'],
  accept: undefined,
};

const configured = Object.values(IDENTITY_HEADER_DEFAULTS);

describe('stripIdentityHeaders', () => {
  it('generates real variants (sanity check of the generator)', () => {
    const variants = spellings('X-Forwarded-User');
    for (const v of [
      'x_forwarded_user',
      'X-FORWARDED-USER',
      'x-Forwarded_User',
      'X_FORWARDED_USER',
      'x-forwarded-user',
    ]) {
      expect(variants).toContain(v);
    }
    expect(variants.length).toBeGreaterThan(50);
  });

  it.each([...new Set([...configured, ...ALWAYS_STRIPPED_HEADERS])])(
    'removes every spelling of %s',
    (name) => {
      const headers: HeaderMap = { ...UNRELATED };
      const variants = spellings(name);
      for (const variant of variants) headers[variant] = 'attacker';
      const stripped = stripIdentityHeaders(headers, configured);
      expect(stripped).toEqual(UNRELATED);
      expect(Object.keys(headers)).toHaveLength(Object.keys(UNRELATED).length + variants.length);
    },
  );

  it('removes every spelling of configured custom names too, and still the defaults', () => {
    const names = ['X-User', 'X-Mail', 'X-Roles', 'X-Jwt-Assertion'];
    const headers: HeaderMap = { ...UNRELATED };
    for (const name of [...names, 'X-Forwarded-User', 'Remote-User']) {
      for (const variant of spellings(name)) headers[variant] = 'attacker';
    }
    expect(stripIdentityHeaders(headers, names)).toEqual(UNRELATED);
  });

  it('does not modify the input', () => {
    const headers: HeaderMap = { 'x-forwarded-user': 'a', host: 'h' };
    stripIdentityHeaders(headers, configured);
    expect(headers).toEqual({ 'x-forwarded-user': 'a', host: 'h' });
  });

  it('removes spoofed headers even when nobody is signed in (bypass rule)', () => {
    const incoming: HeaderMap = { ...UNRELATED, x_forwarded_user: 'admin', 'X-Forwarded-Groups': 'admins' };
    const identity: Identity | undefined = undefined;
    const upstream = {
      ...stripIdentityHeaders(incoming, configured),
      ...(identity ? identityHeaderValues(identity) : {}),
    };
    expect(upstream).toEqual(UNRELATED);
  });
});

describe('identityHeaderValues', () => {
  const identity: Identity = {
    sub: 'sub-1',
    username: 'alice',
    email: 'alice@example.com',
    groups: ['admins', 'staff'],
    acr: 'urn:tollgate:acr:2fa',
    amr: ['pwd', 'otp'],
  };

  it('sets user, email, groups and the assertion', () => {
    expect(identityHeaderValues(identity, IDENTITY_HEADER_DEFAULTS, 'jwt')).toEqual({
      'X-Forwarded-User': 'alice',
      'X-Forwarded-Email': 'alice@example.com',
      'X-Forwarded-Groups': 'admins,staff',
      'X-Tollgate-Assertion': 'jwt',
    });
  });

  it('falls back to sub, omits what is unknown', () => {
    expect(identityHeaderValues({ sub: 'sub-2', groups: [], amr: [] })).toEqual({
      'X-Forwarded-User': 'sub-2',
    });
  });

  it('uses configured names', () => {
    const names = { user: 'X-User', email: 'X-Mail', groups: 'X-Roles', assertion: 'X-A' };
    expect(Object.keys(identityHeaderValues(identity, names))).toEqual(['X-User', 'X-Mail', 'X-Roles']);
  });

  it('strips CR/LF and other control characters (header injection)', () => {
    const evil: Identity = {
      sub: 's',
      username: 'alice\r\nX-Forwarded-Groups: admins',
      email: 'a@example.com\n',
      groups: ['staff\r\nX-Admin: 1', 'ok\x00'],
      amr: [],
    };
    const values = identityHeaderValues(evil);
    for (const value of Object.values(values)) expect(value).not.toMatch(/\p{Cc}/u);
    expect(values['X-Forwarded-User']).toBe('aliceX-Forwarded-Groups: admins');
    expect(values['X-Forwarded-Groups']).toBe('staffX-Admin: 1,ok');
  });

  it('leaves out group names that would split into several groups', () => {
    const values = identityHeaderValues({ sub: 's', groups: ['staff', 'x,admins', ''], amr: [] });
    expect(values['X-Forwarded-Groups']).toBe('staff');
  });

  it('sends non-ASCII as UTF-8 bytes that Node can write', () => {
    const value = headerValue('José 李');
    expect(Buffer.from(value, 'latin1').toString('utf8')).toBe('José 李');
    expect(() => new Headers({ 'x-forwarded-user': value })).not.toThrow();
  });
});
