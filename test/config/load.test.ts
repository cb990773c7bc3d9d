import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isShippedExample, loadConfig, parseConfig, resolveConfigPath } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/tollgate.yaml', import.meta.url));
const COOKIE_KEY = 'test-cookie-key-0123456789abcdef0123456789';

/** A minimal valid file; `extra` is appended as more top-level YAML. */
function minimal(extra = ''): string {
  return `issuer: http://127.0.0.1:3999\ncookies:\n  keys: ["${COOKIE_KEY}"]\n${extra}`;
}

/** Runs `fn`, expects a ConfigError, and returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

describe('examples/tollgate.yaml', () => {
  it('parses with an empty environment: embedded store, built-in defaults', () => {
    const config = loadConfig(EXAMPLE, {});
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.store.redis).toBeUndefined();
    expect(config.jwks.file).toBeUndefined();
    expect(config.cookies.keys).toEqual(['insecure-dev-cookie-key-0123456789abcdef']);
    expect(config.clients.map((c) => c.client_id)).toEqual([
      'demo-app',
      'demo-spa',
      'demo-api',
      'proxy',
      'demo-service',
    ]);
    const spa = config.clients.find((c) => c.client_id === 'demo-spa');
    expect(spa?.client_secret).toBeUndefined();
    expect(spa?.require_pkce).toBe(true);
    expect(config.accounts.demo_user?.password).toBe('tollgate-demo');
  });

  it('fills store.redis.url from TOLLGATE_REDIS_URL', () => {
    const config = loadConfig(EXAMPLE, {
      TOLLGATE_REDIS_URL: 'redis://:pw@redis.internal:6380/2',
      TOLLGATE_ISSUER: 'https://id.example.com',
      DEMO_APP_SECRET: 'from-env-0123456789abcdef',
    });
    expect(config.store.redis).toEqual({ url: 'redis://:pw@redis.internal:6380/2', key_prefix: 'tollgate:' });
    expect(config.issuer).toBe('https://id.example.com');
    expect(config.clients[0]?.client_secret).toBe('from-env-0123456789abcdef');
  });
});

describe('environment interpolation', () => {
  it('an unset $VAR reference without default is an error naming the field and the variable', () => {
    const err = configError(() =>
      parseConfig(minimal(`jwks:\n  file: \${TOLLGATE_TEST_JWKS}\n`), 'inline.yaml', { OTHER: 'x' }),
    );
    expect(err.problems).toEqual(['jwks.file: environment variable TOLLGATE_TEST_JWKS is not set']);
    expect(err.source).toBe('inline.yaml');
    expect(err.message).toContain('inline.yaml');
  });

  it('names array positions in the path', () => {
    const yaml = `issuer: http://127.0.0.1:3999\ncookies:\n  keys: ["\${K1}", "\${K2}"]\n`;
    const err = configError(() => parseConfig(yaml, 'x', { K1: COOKIE_KEY }));
    expect(err.problems).toEqual(['cookies.keys.1: environment variable K2 is not set']);
  });

  it('a $VAR reference with :-default uses the default when unset and the variable when set (even when empty)', () => {
    const yaml = minimal(`host: \${TG_HOST:-0.0.0.0}\n`);
    expect(parseConfig(yaml, 'x', {}).host).toBe('0.0.0.0');
    expect(parseConfig(yaml, 'x', { TG_HOST: '10.1.2.3' }).host).toBe('10.1.2.3');
    expect(parseConfig(yaml, 'x', { TG_HOST: '' }).host).toBe('');
  });

  it('interpolates inside a longer string', () => {
    const yaml = `issuer: https://\${TG_DOMAIN:-id.example.com}/oidc\ncookies:\n  keys: ["${COOKIE_KEY}"]\n`;
    expect(parseConfig(yaml, 'x', {}).issuer).toBe('https://id.example.com/oidc');
    expect(parseConfig(yaml, 'x', { TG_DOMAIN: 'login.test' }).issuer).toBe('https://login.test/oidc');
  });

  it('happens after YAML parsing: a secret with YAML syntax does not change the document', () => {
    const secret = `evil"\n: [x, {issuer: http://attacker}] # '-0123456789abcdef`;
    const yaml =
      `issuer: http://127.0.0.1:3999\ncookies:\n  keys:\n    - \${TG_COOKIE}\nclients:\n` +
      `  - client_id: app\n    client_secret: \${TG_SECRET}\n    redirect_uris: [http://127.0.0.1:9/cb]\n`;
    const config = parseConfig(yaml, 'x', { TG_COOKIE: secret, TG_SECRET: secret });
    expect(config.issuer).toBe('http://127.0.0.1:3999');
    expect(config.cookies.keys).toEqual([secret]);
    expect(config.clients).toHaveLength(1);
    expect(config.clients[0]?.client_secret).toBe(secret);
  });
});

describe('validation', () => {
  it('reports one problem per bad field, each with its path', () => {
    const yaml = `
port: 3000
bogus_top_level: 1
cookies:
  keys: [too-short]
store:
  redis:
    url: redis://127.0.0.1:6379
    sentinel: { name: mymaster, nodes: [{ host: 10.0.0.1, port: 26379 }] }
accounts:
  password_hash: { memory_cost: 19455 }
clients:
  - client_id: no-redirects
  - client_id: public-no-pkce
    require_pkce: false
    redirect_uris: [http://127.0.0.1:9/cb]
  - client_id: cc-no-secret
    grant_types: [client_credentials]
`;
    const err = configError(() => parseConfig(yaml, 'bad.yaml', {}));
    const problems = err.problems;
    const byPath = (path: string) => problems.filter((p) => p.startsWith(`${path}: `));
    expect(byPath('issuer')).toHaveLength(1);
    expect(byPath('cookies.keys.0')).toEqual(['cookies.keys.0: use at least 32 characters']);
    expect(byPath('store.redis')).toEqual(['store.redis: set one of url, sentinel or cluster']);
    expect(byPath('accounts.password_hash.memory_cost')).toHaveLength(1);
    expect(byPath('accounts.password_hash.memory_cost')[0]).toContain('19456');
    expect(byPath('clients.0.redirect_uris')).toEqual([
      'clients.0.redirect_uris: authorization_code needs at least one redirect URI',
    ]);
    expect(byPath('clients.1.require_pkce')).toEqual([
      'clients.1.require_pkce: a public client must use PKCE',
    ]);
    expect(byPath('clients.2.client_secret')).toEqual([
      'clients.2.client_secret: client_credentials needs a client_secret',
    ]);
    expect(problems.filter((p) => p.includes('bogus_top_level'))).toHaveLength(1);
    expect(problems).toHaveLength(8);
    for (const p of problems) expect(err.message).toContain(p);
  });

  it('refuses an issuer with a trailing slash', () => {
    const err = configError(() =>
      parseConfig(`issuer: http://127.0.0.1:3999/\ncookies:\n  keys: ["${COOKIE_KEY}"]\n`, 'x', {}),
    );
    expect(err.problems).toEqual(['issuer: no trailing slash']);
  });

  it('refuses a cookie key of 31 characters and accepts one of 32', () => {
    const yaml = (key: string) => `issuer: http://127.0.0.1:3999\ncookies:\n  keys: ["${key}"]\n`;
    const err = configError(() => parseConfig(yaml('a'.repeat(31)), 'x', {}));
    expect(err.problems).toEqual(['cookies.keys.0: use at least 32 characters']);
    expect(parseConfig(yaml('a'.repeat(32)), 'x', {}).cookies.keys).toEqual(['a'.repeat(32)]);
  });

  it('is strict about unknown keys in a client', () => {
    const err = configError(() =>
      parseConfig(
        minimal('clients:\n  - client_id: a\n    redirect_uris: [http://x.test/cb]\n    redirect_uri: y\n'),
        'x',
        {},
      ),
    );
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^clients\.0: .*redirect_uri/);
  });

  it('refuses a client_id defined twice', () => {
    const twice =
      'clients:\n  - client_id: twin\n    redirect_uris: [http://x.test/cb]\n' +
      '  - client_id: twin\n    redirect_uris: [http://y.test/cb]\n';
    const err = configError(() => parseConfig(minimal(twice), 'x', {}));
    expect(err.problems).toEqual(['clients: client_id twin is defined twice']);
  });

  it('accepts argon2 memory_cost at the minimum 19456', () => {
    const config = parseConfig(minimal('accounts:\n  password_hash:\n    memory_cost: 19456\n'), 'x', {});
    expect(config.accounts.password_hash.memory_cost).toBe(19456);
  });

  it('turns a YAML syntax error into a ConfigError', () => {
    const err = configError(() =>
      parseConfig('issuer: "http://127.0.0.1:3999\ncookies: [\n', 'broken.yaml', {}),
    );
    expect(err.problems.length).toBeGreaterThan(0);
    expect(err.source).toBe('broken.yaml');
  });

  it('an empty file reports the missing required fields', () => {
    const err = configError(() => parseConfig('', 'empty.yaml', {}));
    expect(err.problems.some((p) => p.startsWith('issuer: '))).toBe(true);
    expect(err.problems.some((p) => p.startsWith('cookies: '))).toBe(true);
  });
});

describe('defaults', () => {
  it('fills every default of a minimal file', () => {
    const config = parseConfig(
      minimal(
        'clients:\n  - client_id: app\n    client_secret: app-secret-0123456789\n    redirect_uris: [http://x.test/cb]\n',
      ),
      'x',
      {},
    );
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.proxy).toBe(false);
    expect(config.store.redis).toBeUndefined();
    expect(config.log_level).toBe('info');
    expect(config.ttl).toEqual({
      access_token: 3600,
      authorization_code: 60,
      id_token: 3600,
      refresh_token: 1209600,
      client_credentials: 600,
      session: 1209600,
      interaction: 3600,
      grant: 1209600,
    });
    expect(config.accounts.password_hash).toEqual({ memory_cost: 19456, time_cost: 2, parallelism: 1 });
    expect(config.accounts.min_password_length).toBe(8);
    const client = config.clients[0];
    expect(client?.require_pkce).toBe(true);
    expect(client?.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(client?.grant_types).toEqual(['authorization_code', 'refresh_token']);
    expect(client?.first_party).toBe(false);
    expect(client?.resource_server).toBe(false);
  });

  it('fills ttl defaults for fields left out of a partial ttl block', () => {
    const config = parseConfig(minimal('ttl:\n  access_token: 600\n'), 'x', {});
    expect(config.ttl.access_token).toBe(600);
    expect(config.ttl.authorization_code).toBe(60);
    expect(config.ttl.session).toBe(1209600);
  });

  it('applies the default key_prefix to a redis store', () => {
    const config = parseConfig(minimal('store:\n  redis:\n    url: redis://127.0.0.1:6379\n'), 'x', {});
    expect(config.store.redis).toEqual({ url: 'redis://127.0.0.1:6379', key_prefix: 'tollgate:' });
  });
});

describe('loadConfig and resolveConfigPath', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a file from disk and names it in errors', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'issuer: http://127.0.0.1:3999/\n');
    const err = configError(() => loadConfig(path, {}));
    expect(err.source).toBe(path);
    expect(err.message).toContain(path);
    expect(err.problems).toContain('issuer: no trailing slash');
  });

  it('an unreadable file is a ConfigError mentioning the path', () => {
    const missing = join(dir, 'does-not-exist.yaml');
    const err = configError(() => loadConfig(missing, {}));
    expect(err.message).toContain(missing);
    expect(err.problems).toEqual(['cannot read the file (ENOENT)']);
    const asDir = configError(() => loadConfig(dir, {}));
    expect(asDir.message).toContain(dir);
    expect(asDir.problems).toEqual(['cannot read the file (EISDIR)']);
  });

  it('picks --config, then TOLLGATE_CONFIG, then the example', () => {
    expect(resolveConfigPath('a.yaml', { TOLLGATE_CONFIG: 'b.yaml' })).toBe('a.yaml');
    expect(resolveConfigPath(undefined, { TOLLGATE_CONFIG: 'b.yaml' })).toBe('b.yaml');
    expect(resolveConfigPath(undefined, {})).toBe('examples/tollgate.yaml');
  });

  it('tells the shipped example (by any path or symlink) from a file of your own, even a copy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-example-'));
    const link = join(dir, 'link.yaml');
    const copy = join(dir, 'copy.yaml');
    symlinkSync(EXAMPLE, link);
    copyFileSync(EXAMPLE, copy);
    expect(isShippedExample(EXAMPLE)).toBe(true);
    expect(isShippedExample(link)).toBe(true);
    expect(isShippedExample(copy)).toBe(false);
    expect(isShippedExample(join(dir, 'missing.yaml'))).toBe(false);
  });
});
