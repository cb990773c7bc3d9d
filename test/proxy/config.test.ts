// The proxy's YAML configuration: the demo file loads, defaults depend on public_url, and every
// bad field is named in one error (like tollgate's own configuration).
import { describe, expect, it } from 'vitest';
import { loadProxyConfig, parseProxyConfig } from '../../examples/auth-proxy/config.ts';
import { ConfigError } from '../../src/errors.ts';

const minimal = (extra = '') => `
public_url: https://proxy.example.org
provider: { issuer: https://id.example.org, client_id: proxy, client_secret: "\${SECRET}" }
cookie: { secret: 0123456789abcdef0123456789abcdef }
${extra}`;

const problems = (text: string): string[] => {
  try {
    parseProxyConfig(text, 'test.yaml', { SECRET: 'a-secret-of-enough-length' });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('auth-proxy configuration', () => {
  it('loads the demo proxy.yaml with the environment filled in', () => {
    const config = loadProxyConfig('examples/auth-proxy/proxy.yaml', {
      PROXY_CLIENT_SECRET: 'from-the-env-0123456789',
    });
    expect(config.provider).toMatchObject({
      issuer: 'http://localhost:3000',
      client_id: 'proxy',
      client_secret: 'from-the-env-0123456789',
    });
    expect(config.provider.scopes).toEqual(['openid', 'profile', 'email', 'groups', 'offline_access']);
    expect(config.cookie.name).toBe('tollgate_proxy');
    expect(config.session).toEqual({
      ttl: 28800,
      store: undefined,
      key_prefix: 'tollgate-proxy:',
      cache_ms: 5000,
      refresh_identity: 300,
    });
    expect(config.rules.map((r) => r.policy)).toEqual(['bypass', 'mfa', 'authenticated']);
    expect(config.upstreams).toEqual([{ host: '127.0.0.1', url: 'http://127.0.0.1:8081' }]);
  });

  it('fills defaults, with the __Host- cookie prefix on https', () => {
    const config = parseProxyConfig(minimal(), 'test.yaml', { SECRET: 'a-secret-of-enough-length' });
    expect(config.cookie.name).toBe('__Host-tollgate_proxy');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 4180 });
    expect(config.trusted_proxies).toEqual([]);
    expect(config.headers).toEqual({
      user: 'X-Forwarded-User',
      email: 'X-Forwarded-Email',
      groups: 'X-Forwarded-Groups',
      assertion: 'X-Tollgate-Assertion',
    });
    expect(config.assertion.ttl).toBe(60);
    expect(config.acr.two_factor).toBe('urn:tollgate:acr:2fa');
    expect(config.upstream_timeouts).toEqual({ connect_ms: 5000, response_ms: 60_000, idle_ms: 60_000 });
  });

  it('takes CIDR trusted_proxies, case_sensitive rules and audience-only upstreams; refuses an upstream with neither', () => {
    const config = parseProxyConfig(
      minimal(`trusted_proxies: [10.0.0.0/8, 192.168.1.7, "fd00::/8"]
upstreams: [{ host: app.example.org, audience: https://app.example.org }]
rules: [{ path_prefix: /Reports, case_sensitive: true, policy: deny }]`),
      'test.yaml',
      { SECRET: 'a-secret-of-enough-length' },
    );
    expect(config.trusted_proxies).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    expect(config.rules[0]?.case_sensitive).toBe(true);
    expect(config.upstreams[0]).toEqual({ host: 'app.example.org', audience: 'https://app.example.org' });
    expect(problems(minimal('upstreams: [{ host: app.example.org }]'))).toEqual([
      expect.stringMatching(/^upstreams\.0: .*url .*audience/),
    ]);
    expect(problems(minimal('trusted_proxies: [10.0.0.0/33]'))).toEqual([
      expect.stringMatching(/^trusted_proxies\.0: .*CIDR/),
    ]);
  });

  it('names every bad field in one error', () => {
    const found = problems(`
public_url: https://proxy.example.org/some/path
provider: { issuer: ftp://id.example.org, client_id: proxy, client_secret: short }
cookie: { secret: too-short }
session: { store: mysql://db }
trusted_proxies: [10.0.0.1, not-an-ip]
headers: { user: "X Forwarded User" }
upstreams: [{ host: App.Example.org, url: http://127.0.0.1:1 }]
rules:
  - { path_prefix: /a, policy: allow }
  - { path_regex: "(", policy: deny }
unknown_key: 1
`);
    for (const field of [
      'public_url',
      'provider.issuer',
      'provider.client_secret',
      'cookie.secret',
      'session.store',
      'trusted_proxies.1',
      'headers.user',
      'upstreams.0.host',
      'rules.0.policy',
      'rules.1.path_regex',
      '(root)',
    ]) {
      expect(
        found.some((p) => p.startsWith(`${field}:`)),
        `${field} in ${found.join('\n')}`,
      ).toBe(true);
    }
  });

  it('refuses a __Host- cookie without https, rules the proxy would refuse, odd redirect hosts, and unset variables', () => {
    expect(
      problems(
        minimal().replace('https://proxy', 'http://proxy').replace('cookie: {', 'cookie: { name: __Host-x,'),
      ),
    ).toEqual([expect.stringMatching(/^cookie\.name: .*https/)]);
    expect(problems(minimal('rules: [{ policy: bypass, groups: [admins] }]'))).toEqual([
      expect.stringMatching(/^rules: .*no effect on a bypass rule/),
    ]);
    expect(problems(minimal('redirect_hosts: ["*.example.org"]'))).toEqual([
      expect.stringMatching(/^redirect_hosts: /),
    ]);
    expect(() => parseProxyConfig(minimal(), 'test.yaml', {})).toThrow(
      /environment variable SECRET is not set/,
    );
  });
});
