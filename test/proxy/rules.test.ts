import { describe, expect, it } from 'vitest';
import {
  ACR_2FA,
  compileRules,
  decide,
  normalizePath,
  upstreamTarget,
} from '../../examples/auth-proxy/rules.ts';
import type { Identity, RequestTarget, Rule } from '../../examples/auth-proxy/types.ts';

/*
 * SECURITY.md, Auth-proxy: "Rules match the normalized path only, never the query or fragment
 * (CVE-2025-54576, CVE-2026-41059)". Fail closed on anything upstreams could read differently.
 */

describe('normalizePath', () => {
  it.each([
    ['/', '/', 'root'],
    ['/public', '/public', 'plain'],
    ['/public?/admin', '/public', 'CVE-2025-54576: the query is never part of the path'],
    ['/public#/admin', '/public', 'CVE-2026-41059: the fragment is never part of the path'],
    ['/public?x=1#/admin', '/public', 'query then fragment'],
    ['/public#x?/admin', '/public', 'fragment then query'],
    ['/admin/../public', '/public', 'dot-dot resolved'],
    ['/public/../admin', '/admin', 'dot-dot into a protected path'],
    ['/public/%2e%2e/admin', '/admin', 'encoded dot-dot decoded once, then resolved'],
    ['/public/%2E%2E/admin', '/admin', 'upper-case encoded dot-dot'],
    ['/public/.%2e/admin', '/admin', 'half-encoded dot-dot'],
    ['//admin', '/admin', 'duplicate leading slash'],
    ['/public//../admin', '/admin', 'empty segment is merged before dot-dot'],
    ['/./admin', '/admin', 'single dot'],
    ['/%61dmin', '/admin', 'encoded letter decoded once'],
    ['/../../admin', '/admin', 'never above root'],
    ['/..', '/', 'dot-dot at root'],
    ['/admin/', '/admin/', 'trailing slash kept'],
    ['/admin//', '/admin/', 'duplicate trailing slash merged'],
    ['/admin/.', '/admin/', 'trailing dot names the directory'],
    ['/admin/x/..', '/admin/', 'trailing dot-dot names the directory'],
    ['/Admin', '/Admin', 'case kept (matching folds it, the upstream gets it as sent)'],
    ['/caf%C3%A9', '/café', 'UTF-8 decoded'],
    ['/a%20b', '/a b', 'encoded space decoded'],
    ['/a%3Fb', '/a?b', 'encoded ? is a path character, not a query'],
  ])('%j -> %j (%s)', (raw, expected) => {
    expect(normalizePath(raw)).toBe(expected);
  });

  it.each([
    ['', 'empty'],
    ['admin', 'no leading slash'],
    ['?/admin', 'query only'],
    ['*', 'asterisk form'],
    ['http://host/admin', 'absolute form'],
    ['/admin%2f..', 'encoded slash: upstreams disagree on it'],
    ['/admin%2F..', 'encoded slash, upper case'],
    ['/public%2f..%2fadmin', 'encoded slashes around dot-dot'],
    ['/admin%5c..', 'encoded backslash'],
    ['/admin\\..\\public', 'raw backslash (IIS/Windows treat it as /)'],
    ['/public/%252e%252e/admin', 'double encoding: an upstream that decodes again sees ..'],
    ['/%252fadmin', 'double-encoded slash'],
    ['/%', 'truncated escape'],
    ['/%zz', 'invalid escape'],
    ['/%c3', 'invalid UTF-8'],
    ['/admin%00.html', 'encoded NUL'],
    ['/admin%0a', 'encoded newline'],
    ['/admin%09', 'encoded tab'],
    ['/admin\t', 'raw tab'],
    ['/admin%7f', 'encoded DEL'],
    // 12.2: `;` path parameters are refused, raw or encoded (Tomcat reads `..;` as `..`).
    ['/admin;x', 'path parameter'],
    ['/admin;/', 'empty path parameter before a slash'],
    ['/admin%3Bx', 'encoded path parameter'],
    ['/admin%3bx', 'encoded path parameter, lower case'],
    ['/public/..;/admin', 'Tomcat dot-dot with a parameter'],
    ['/public;/../admin', 'parameter then dot-dot'],
    ['/public/.;/admin', 'dot with a parameter'],
  ])('%j is refused (%s)', (raw) => {
    expect(normalizePath(raw)).toBeUndefined();
  });
});

const rules: Rule[] = [
  { host: 'app.example.com', path_prefix: '/public', policy: 'bypass' },
  { host: 'app.example.com', path_prefix: '/admin', policy: 'mfa', groups: ['admins'] },
  {
    host: 'app.example.com',
    path_regex: '^/api/v[0-9]+/',
    methods: ['POST', 'DELETE'],
    policy: 'authenticated',
    api: true,
  },
  { host: '*.internal.example.com', policy: 'authenticated', users: ['alice'] },
  { host: 'app.example.com', path_prefix: '/blocked/', policy: 'deny' },
  { host: 'app.example.com', path_regex: '\\.php$', policy: 'deny' },
  { host: 'app.example.com', policy: 'authenticated' },
];

function target(method: string, host: string, rawPath: string): RequestTarget {
  return { method, host, path: normalizePath(rawPath) ?? 'unreachable' };
}

describe('compileRules: matching', () => {
  const matcher = compileRules(rules);
  it.each([
    ['GET', 'app.example.com', '/public', 0],
    ['GET', 'app.example.com', '/public/', 0],
    ['GET', 'app.example.com', '/public/css/x.css', 0],
    ['GET', 'app.example.com', '/public?/admin', 0],
    ['GET', 'app.example.com', '/public#/admin', 0],
    ['GET', 'app.example.com', '/publicity', 6],
    ['GET', 'app.example.com', '/admin', 1],
    ['GET', 'app.example.com', '/admin/users', 1],
    ['GET', 'app.example.com', '/public/../admin', 1],
    ['GET', 'app.example.com', '/public/%2e%2e/admin', 1],
    ['GET', 'app.example.com', '//admin', 1],
    ['GET', 'app.example.com', '/%61dmin', 1],
    ['GET', 'app.example.com', '/administrator', 6],
    // 15.2: prefixes match regardless of letter case, on the same segment boundary.
    ['GET', 'app.example.com', '/Admin', 1],
    ['GET', 'app.example.com', '/ADMIN/users', 1],
    ['GET', 'app.example.com', '/aDmIn/', 1],
    ['GET', 'app.example.com', '/ADMINISTRATOR', 6],
    ['GET', 'app.example.com', '/PUBLIC/x', 0],
    ['POST', 'app.example.com', '/API/V2/items', 2],
    ['GET', 'app.example.com', '/BLOCKED/x', 4],
    ['GET', 'app.example.com', '/index.PHP', 5],
    ['POST', 'app.example.com', '/api/v2/items', 2],
    ['delete', 'app.example.com', '/api/v2/items', 2],
    ['GET', 'app.example.com', '/api/v2/items', 6],
    ['POST', 'app.example.com', '/x?/api/v2/', 6],
    ['GET', 'a.internal.example.com', '/', 3],
    ['GET', 'A.B.Internal.Example.com', '/', 3],
    ['GET', 'internal.example.com', '/', undefined],
    ['GET', 'badinternal.example.com', '/', undefined],
    ['GET', 'app.example.com', '/blocked', 4],
    ['GET', 'app.example.com', '/blocked/x', 4],
    ['GET', 'app.example.com', '/index.php', 5],
    ['GET', 'app.example.com', '/index.php?x=.html', 5],
    ['GET', 'app.example.com', '/index.html?x=.php', 6],
    ['GET', 'other.example.com', '/public', undefined],
    ['GET', 'app.example.com.evil.com', '/public', undefined],
  ])('%s %s %s -> rule %s', (method, host, raw, index) => {
    const rule = matcher.match(target(method, host, raw));
    expect(rule).toBe(index === undefined ? undefined : rules[index]);
  });

  it('a rule without conditions matches everything; first match wins', () => {
    const all: Rule = { policy: 'authenticated' };
    const m = compileRules([all, { policy: 'bypass' }]);
    expect(m.match({ method: 'GET', host: 'x', path: '/anything' })).toBe(all);
    expect(compileRules([]).match({ method: 'GET', host: 'x', path: '/' })).toBeUndefined();
  });

  it('case_sensitive: true matches the exact letter case only, deny rules included (15.2)', () => {
    const exact: Rule[] = [
      { path_prefix: '/Reports', policy: 'deny', case_sensitive: true },
      { path_regex: '^/API/', policy: 'deny', case_sensitive: true },
      { path_prefix: '/internal', policy: 'deny' },
      { policy: 'bypass' },
    ];
    const m = compileRules(exact);
    const at = (path: string) => m.match({ method: 'GET', host: 'x', path });
    expect(at('/Reports/q3')).toBe(exact[0]);
    expect(at('/reports/q3')).toBe(exact[3]);
    expect(at('/API/x')).toBe(exact[1]);
    expect(at('/api/x')).toBe(exact[3]);
    expect(at('/INTERNAL/x')).toBe(exact[2]);
    expect(at('/Internal')).toBe(exact[2]);
  });

  it('path_prefix "/" matches every path', () => {
    const m = compileRules([{ path_prefix: '/', policy: 'deny' }]);
    expect(m.match({ method: 'GET', host: 'x', path: '/a/b' })?.policy).toBe('deny');
  });
});

describe('compileRules: validation names the rule', () => {
  it.each<[Rule, RegExp]>([
    [{ path_regex: '(', policy: 'deny' }, /rules\[1\]: path_regex does not compile/],
    [{ host: 'exa mple.com', policy: 'deny' }, /rules\[1\]: invalid host/],
    [{ host: '*.*.example.com', policy: 'deny' }, /rules\[1\]: invalid host/],
    [{ host: 'example.com:8080', policy: 'deny' }, /rules\[1\]: invalid host/],
    [{ host: '*example.com', policy: 'deny' }, /rules\[1\]: invalid host/],
    [{ path_prefix: 'admin', policy: 'deny' }, /rules\[1\]: path_prefix/],
    [{ path_prefix: '/a/../b', policy: 'deny' }, /rules\[1\]: path_prefix/],
    [{ path_prefix: '/a?b', policy: 'deny' }, /rules\[1\]: path_prefix/],
    [{ methods: ['get'], policy: 'deny' }, /rules\[1\]: method "get"/],
    [{ methods: [], policy: 'deny' }, /rules\[1\]: methods/],
    [{ policy: 'open' as Rule['policy'] }, /rules\[1\]: unknown policy "open"/],
    [{ policy: 'bypass', groups: ['admins'] }, /rules\[1\]: groups\/users have no effect/],
    [{ policy: 'authenticated', groups: [] }, /rules\[1\]: groups\/users must not be empty/],
  ])('%j', (bad, message) => {
    expect(() => compileRules([{ policy: 'bypass' }, bad])).toThrow(message);
  });
});

const oneFactor: Identity = {
  sub: 's1',
  username: 'bob',
  groups: ['staff'],
  acr: 'urn:tollgate:acr:1fa',
  amr: ['pwd'],
};
const twoFactor: Identity = {
  sub: 's2',
  username: 'carol',
  groups: ['admins'],
  acr: ACR_2FA,
  amr: ['pwd', 'otp', 'mfa'],
};
const acrOnly: Identity = { ...twoFactor, amr: ['pwd'] };
const amrOnly: Identity = { ...twoFactor, acr: 'urn:tollgate:acr:1fa' };
const noAcr: Identity = { ...twoFactor, acr: undefined };
const alice: Identity = { sub: 'alice-sub', username: 'alice', groups: [], amr: ['pwd'] };

describe('decide', () => {
  const bypass: Rule = { policy: 'bypass' };
  const deny: Rule = { policy: 'deny' };
  const auth: Rule = { policy: 'authenticated' };
  const mfa: Rule = { policy: 'mfa' };
  const admins: Rule = { policy: 'mfa', groups: ['admins'] };
  const users: Rule = { policy: 'authenticated', users: ['alice', 's1'] };
  const either: Rule = { policy: 'authenticated', groups: ['admins'], users: ['alice'] };

  it.each<[string, Rule | undefined, Identity | undefined, string, string?]>([
    ['no rule, anonymous', undefined, undefined, 'forbidden', 'no_rule'],
    ['no rule, signed in', undefined, twoFactor, 'forbidden', 'no_rule'],
    ['deny, anonymous', deny, undefined, 'forbidden', 'deny_rule'],
    ['deny, signed in with 2fa', deny, twoFactor, 'forbidden', 'deny_rule'],
    ['bypass, anonymous', bypass, undefined, 'allow'],
    ['bypass, signed in', bypass, oneFactor, 'allow'],
    ['authenticated, anonymous', auth, undefined, 'login'],
    ['authenticated, one factor', auth, oneFactor, 'allow'],
    ['mfa, anonymous', mfa, undefined, 'login'],
    ['mfa, one factor', mfa, oneFactor, 'step_up'],
    ['mfa, 2fa acr but only pwd in amr', mfa, acrOnly, 'step_up'],
    ['mfa, otp in amr but 1fa acr', mfa, amrOnly, 'step_up'],
    ['mfa, no acr', mfa, noAcr, 'step_up'],
    ['mfa, two factors', mfa, twoFactor, 'allow'],
    ['mfa+group, anonymous', admins, undefined, 'login'],
    [
      'mfa+group, one factor outside group: refused before any step-up',
      admins,
      oneFactor,
      'forbidden',
      'not_in_group',
    ],
    ['mfa+group, in group with one factor', admins, acrOnly, 'step_up'],
    ['mfa+group, in group with two factors', admins, twoFactor, 'allow'],
    ['users by username', users, alice, 'allow'],
    ['users by sub', users, oneFactor, 'allow'],
    ['users, someone else', users, twoFactor, 'forbidden', 'not_in_group'],
    ['groups or users: by group', either, twoFactor, 'allow'],
    ['groups or users: by user', either, alice, 'allow'],
    ['groups or users: neither', either, oneFactor, 'forbidden', 'not_in_group'],
  ])('%s', (_name, rule, identity, kind, reason) => {
    const decision = decide(rule, identity);
    expect(decision.kind).toBe(kind);
    if (decision.kind === 'forbidden') expect(decision.reason).toBe(reason);
    if (decision.kind !== 'forbidden' || rule) expect(decision.rule).toBe(rule);
    if (decision.kind === 'step_up' || decision.kind === 'allow') expect(decision.identity).toBe(identity);
  });

  it('users entries match the username or the sub, nothing else', () => {
    const rule: Rule = { policy: 'authenticated', users: ['root'] };
    expect(decide(rule, { sub: 'x', groups: [], amr: [] }).kind).toBe('forbidden');
    expect(decide(rule, { sub: 'root', groups: [], amr: [] }).kind).toBe('allow');
  });
});

describe('upstreamTarget', () => {
  it.each([
    ['/x/z', '//x/./y/../z?a=1', '/x/z?a=1'],
    ['/admin/', '/admin/.', '/admin/'],
    ['/café', '/caf%c3%a9', '/caf%C3%A9'],
    ['/a b', '/a%20b', '/a%20b'],
    ['/a?b', '/a%3Fb?q=%3F', '/a%3Fb?q=%3F'],
    ['/a@b:c+d,e=f$g&h', '/a%40b:c+d,e=f$g&h', '/a@b:c+d,e=f$g&h'],
    ['/100%', '/100%25', '/100%25'],
    ['/p', '/p?x=1#frag', '/p?x=1'],
  ])('%j (from %j) is sent upstream as %j', (normal, raw, expected) => {
    expect(normalizePath(raw)).toBe(normal);
    expect(upstreamTarget(normal, raw)).toBe(expected);
    // What the upstream receives normalises to what the rules judged.
    expect(normalizePath(expected)).toBe(normal);
  });
});
