import { describe, expect, it } from 'vitest';
import { createRedirectValidator, MAX_REDIRECT_LENGTH } from '../../examples/auth-proxy/redirect.ts';

/*
 * SECURITY.md, Auth-proxy: every rd/return/logout target goes through one validator with a real
 * URL parser and a host allow-list matched on label boundaries. Each hostile row names the
 * advisory or trick it pins.
 */

const base = new URL('https://auth.example.com/oauth2/callback');
const validate = createRedirectValidator({
  allowedHosts: ['app.example.com', '.corp.example.com', 'example.com', '.example.net', '10.0.0.5', '[::2]'],
});
const validateHttp = createRedirectValidator({ allowedHosts: ['localhost', '.dev.test'], allowHttp: true });

const hostile: Array<[target: string, trick: string]> = [
  ['', 'empty target'],
  ['/\\evil.com', 'oauth2-proxy CVE-2020-5233: /\\ is read as // by browsers'],
  ['/\\/evil.com', 'CVE-2020-5233 variant'],
  ['/%09/evil.com', 'oauth2-proxy CVE-2020-11053: encoded tab dropped after decoding'],
  ['/\t/evil.com', 'CVE-2020-11053 raw tab: the URL parser strips it, leaving //evil.com'],
  ['/%0a/evil.com', 'CVE-2020-11053 style: encoded newline'],
  ['/%0d/evil.com', 'CVE-2020-11053 style: encoded carriage return'],
  ['/%00/evil.com', 'encoded NUL'],
  ['/\n/evil.com', 'raw newline'],
  ['//evil.com', 'oauth2-proxy CVE-2020-4037: protocol-relative'],
  ['///evil.com', 'triple slash, still protocol-relative to browsers'],
  ['////evil.com', 'many slashes'],
  ['https://badexample.com', 'oauth2-proxy CVE-2021-21291: suffix without label boundary (apex)'],
  ['https://badcorp.example.com', 'CVE-2021-21291: suffix without label boundary (.corp.example.com)'],
  ['https://evilexample.net/', 'CVE-2021-21291 against a .example.net entry'],
  ['https://example.com.evil.com', 'allowed name as a prefix of an attacker domain'],
  ['https://corp.example.com.evil.com/', 'suffix entry as a prefix of an attacker domain'],
  ['https://app.example.com.', 'trailing dot: decided to refuse, a distinct cookie/TLS name'],
  ['https://EXAMPLE.COM.', 'trailing dot, upper case'],
  ['https://example.com@evil.com', 'userinfo: the host is evil.com'],
  ['https://example.com:443@evil.com', 'userinfo that looks like a port'],
  ['https://:@evil.com', 'empty userinfo'],
  ['https://user:pass@app.example.com/', 'userinfo even on an allowed host (credential smuggling)'],
  ['https://evil.com#@example.com', 'fragment that looks like userinfo'],
  ['https://evil.com?@example.com', 'query that looks like userinfo'],
  ['https:evil.com', 'special scheme without slashes, parsed as https://evil.com'],
  ['https:/evil.com', 'one slash, parsed as https://evil.com'],
  ['https:///evil.com', 'three slashes, parsed as https://evil.com'],
  ['https:\\\\evil.com', 'backslashes after the scheme'],
  ['javascript:alert(1)', 'script scheme'],
  ['JaVaScRiPt:alert(1)', 'script scheme, mixed case'],
  ['java\tscript:alert(1)', 'tab inside the scheme, stripped by the parser'],
  ['jav&#x09;ascript:alert(1)', 'HTML-entity tab in the scheme'],
  ['data:text/html,<script>alert(1)</script>', 'data scheme'],
  ['vbscript:msgbox(1)', 'other script scheme'],
  ['ftp://app.example.com/', 'non-http scheme on an allowed host'],
  ['ht\ttps://evil.com', 'tab inside https scheme'],
  ['ht\ntps://app.example.com', 'newline inside https scheme'],
  ['https://evil.com\\.example.com', 'backslash ends the host for the parser: host evil.com'],
  ['https://evil.com\\@app.example.com', 'backslash plus userinfo confusion'],
  ['https://evil.com%2f.example.com', 'encoded slash in the authority'],
  ['https://evil.com%5c.example.com', 'encoded backslash in the authority'],
  ['https://evil%2ecom', 'percent-decoded host (WHATWG decodes %2e to .)'],
  ['https://app.example.com%09.evil.com', 'encoded tab in the authority'],
  ['https://app.example.com%20.evil.com', 'encoded space in the authority'],
  ['https://app.example.com%252f.evil.com', 'double-encoded slash in the authority'],
  ['%2F%2Fevil.com', 'encoded protocol-relative'],
  ['/%2F%2Fevil.com', 'encoded slashes after one real slash'],
  ['/%5cevil.com', 'encoded backslash after the slash'],
  ['/%255cevil.com', 'double-encoded backslash'],
  ['/%252F%252Fevil.com', 'double-encoded slashes'],
  ['/.//evil.com', 'dot segment that yields a //evil.com path'],
  ['/..//evil.com', 'dot-dot segment that yields a //evil.com path'],
  ['https://app.example.com//evil.com', 'allowed host whose path is protocol-relative'],
  ['https://exаmple.com', 'Cyrillic а look-alike (punycode xn--exmple-4nf.com)'],
  ['https://ｅｖｉｌ.com', 'full-width letters in the authority'],
  ['https://exa\u00admple.com', 'soft hyphen, dropped by IDNA mapping'],
  ['https://app.example.com\u200b/', 'zero-width space'],
  ['/\u2028/evil.com', 'Unicode line separator'],
  ['/\u202e/moc.live', 'bidi override'],
  ['http://app.example.com/', 'http when only https is allowed'],
  ['HTTP://app.example.com/', 'http in upper case'],
  ['https://[::1]/', 'IPv6 loopback not listed'],
  ['https://127.0.0.1/', 'IPv4 loopback not listed'],
  ['https://0x7f.1/', 'IPv4 in hex, normalised to 127.0.0.1'],
  ['https://2130706433/', 'IPv4 as one integer'],
  ['https://10.0.0.6/', 'IP literal next to a listed one'],
  ['https://[::2].example.net/', 'IPv6 literal glued to a suffix domain'],
  ['\\\\evil.com', 'UNC-style backslashes'],
  [' https://evil.com', 'leading space'],
  ['https://evil.com ', 'trailing space'],
  ['\u00a0https://app.example.com/', 'leading non-breaking space'],
  ['\x00https://app.example.com/', 'leading NUL'],
  ['https://app.example.com/\x7f', 'DEL'],
  ['evil.com', 'bare host, neither absolute nor a path'],
  ['?next=//evil.com', 'query-only relative'],
  ['#//evil.com', 'fragment-only relative'],
  ['app.example.com/x', 'scheme-less allowed host'],
  [`/${'a'.repeat(MAX_REDIRECT_LENGTH)}`, 'longer than 2048'],
  ['https://*.example.com/', 'wildcard in the target'],
  ['https://evil.com', 'plain attacker host'],
];

describe('redirect validator: hostile targets are refused', () => {
  it('has a big enough table', () => {
    expect(hostile.length).toBeGreaterThanOrEqual(40);
  });

  it.each(hostile)('%j (%s)', (target) => {
    expect(validate(target, base)).toBeUndefined();
  });

  it.each([
    ['http://evil.test/', 'http allowed but the host is not'],
    ['http://localhost.evil.com/', 'allowed name as a prefix'],
    ['http://baddev.test/', 'suffix without label boundary'],
    ['//localhost/', 'protocol-relative even to an allowed host'],
    ['http://127.0.0.1/', 'loopback IP is not the name localhost'],
  ])('with allowHttp: %j (%s)', (target) => {
    expect(validateHttp(target, base)).toBeUndefined();
  });
});

const allowed: Array<[target: string, href: string, why: string]> = [
  ['https://app.example.com', 'https://app.example.com/', 'exact host'],
  [
    'https://app.example.com/a/b?c=1#d',
    'https://app.example.com/a/b?c=1#d',
    'exact host with path, query, fragment',
  ],
  ['HTTPS://APP.Example.COM/x', 'https://app.example.com/x', 'scheme and host case-folded'],
  ['https://example.com/', 'https://example.com/', 'exact apex entry'],
  ['https://corp.example.com/', 'https://corp.example.com/', 'apex via .corp.example.com'],
  ['https://wiki.corp.example.com/p', 'https://wiki.corp.example.com/p', 'subdomain via .corp.example.com'],
  ['https://a.b.example.net/', 'https://a.b.example.net/', 'deep subdomain via .example.net'],
  ['https://app.example.com:8443/x', 'https://app.example.com:8443/x', 'any port on an allowed host'],
  ['https://app.example.com:443/x', 'https://app.example.com/x', 'default port dropped'],
  ['https://10.0.0.5/', 'https://10.0.0.5/', 'IP literal listed exactly'],
  ['https://[::2]:9000/', 'https://[::2]:9000/', 'IPv6 literal listed exactly'],
  [
    'https://app.example.com/s?q=a%20b&next=%2Fhome',
    'https://app.example.com/s?q=a%20b&next=%2Fhome',
    'encodings in the query are left alone',
  ],
  ['https://app.example.com/my%20docs/', 'https://app.example.com/my%20docs/', 'encoded space in the path'],
  ['/path?q=1', 'https://auth.example.com/path?q=1', 'relative path on the proxy origin'],
  ['/', 'https://auth.example.com/', 'root of the proxy origin'],
  ['/a/../b', 'https://auth.example.com/b', 'dot segments resolved by the parser'],
  ['/caf%C3%A9', 'https://auth.example.com/caf%C3%A9', 'UTF-8 in the path'],
];

describe('redirect validator: allowed targets', () => {
  it.each(allowed)('%j -> %s (%s)', (target, href) => {
    expect(validate(target, base)?.href).toBe(href);
  });

  it('accepts http only with allowHttp', () => {
    expect(validateHttp('http://localhost:3000/x', base)?.href).toBe('http://localhost:3000/x');
    expect(validateHttp('http://app.dev.test/', base)?.href).toBe('http://app.dev.test/');
    expect(validateHttp('https://dev.test/', base)?.href).toBe('https://dev.test/');
  });

  it('resolves relative targets against the base it is given', () => {
    const local = new URL('http://localhost:4180/');
    expect(validateHttp('/x', local)?.href).toBe('http://localhost:4180/x');
  });
});

describe('redirect validator: allow-list entries', () => {
  it.each([
    ['*.example.com', 'wildcards are not the syntax'],
    ['.', 'empty suffix'],
    ['', 'empty'],
    ['example.com.', 'trailing dot'],
    ['app.example.com:8443', 'port'],
    ['[::1]:8443', 'IPv6 with port'],
    ['https://app.example.com', 'URL instead of host'],
    ['.0.1', 'suffix that parses as an IPv4 address'],
    ['.127.0.0.1', 'IP as a suffix'],
    ['user@example.com', 'userinfo'],
  ])('refuses %j at start (%s)', (entry) => {
    expect(() => createRedirectValidator({ allowedHosts: [entry] })).toThrow(/allowedHosts\[0\]/);
  });

  it('normalises case and bare IPv6', () => {
    const v = createRedirectValidator({ allowedHosts: ['App.Example.COM', '::1', '.Example.ORG'] });
    expect(v('https://app.example.com/', base)?.hostname).toBe('app.example.com');
    expect(v('https://[::1]/', base)?.hostname).toBe('[::1]');
    expect(v('https://x.example.org/', base)?.hostname).toBe('x.example.org');
  });

  it('with an empty list only relative paths pass', () => {
    const v = createRedirectValidator({ allowedHosts: [] });
    expect(v('https://auth.example.com/', base)).toBeUndefined();
    expect(v('/x', base)?.href).toBe('https://auth.example.com/x');
  });
});
