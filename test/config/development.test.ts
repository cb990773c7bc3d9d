// The list of development defaults `tollgate config check` warns about and `--strict` refuses,
// field by field: each one found alone, none in a configuration fit for real use.
import { describe, expect, it } from 'vitest';
import { developmentDefaults, isLoopbackHost } from '../../src/config/development.ts';
import { parseConfig } from '../../src/config/load.ts';

const KEY = Buffer.alloc(32, 3).toString('base64');
const DEV_KEY = Buffer.from('dev-only-mfa-key-change-me-01234').toString('base64');

/** A configuration with no development default; `extra` is appended as more top-level YAML. */
function config(
  extra = '',
  base = 'store:\n  redis:\n    url: redis://127.0.0.1:6379\njwks:\n  file: k.json\n',
) {
  return parseConfig(
    `issuer: https://id.example.com\ncookies:\n  keys: ["${'c'.repeat(40)}"]\n${base}${extra}`,
    'test.yaml',
    {},
  );
}

const codes = (extra: string, base?: string) => developmentDefaults(config(extra, base)).map((d) => d.code);

describe('developmentDefaults', () => {
  it('finds none in a configuration fit for real use', () => {
    expect(developmentDefaults(config())).toEqual([]);
  });

  it('the embedded store and throw-away keys', () => {
    expect(developmentDefaults(config('', ''))).toMatchObject([
      { code: 'embedded_store', field: 'store.redis' },
      { code: 'ephemeral_jwks', field: 'jwks.file' },
    ]);
  });

  it('a demo user, named without its password', () => {
    const found = developmentDefaults(
      config('accounts:\n  demo_user: { username: demo, password: tollgate-demo }\n'),
    );
    expect(found).toMatchObject([{ code: 'demo_user', field: 'accounts.demo_user' }]);
    expect(found[0]?.message).toContain('"demo"');
    expect(found[0]?.message).not.toContain('tollgate-demo');
  });

  it("the example's cookie, MFA and OTP keys, each by its position", () => {
    const yaml = config(
      `mfa:\n  encryption_keys: [{ id: new, key: "${KEY}" }, { id: old, key: "${DEV_KEY}" }]\n` +
        `otp:\n  hmac_key: "${DEV_KEY}"\n` +
        'delivery:\n  email:\n    webhook: { url: https://hooks.example.com/e, secret: whsec_MDEyMzQ1Njc4OWFiY2RlZmdo }\n',
    );
    yaml.cookies.keys.push('insecure-dev-cookie-key-0123456789abcdef');
    expect(developmentDefaults(yaml).map((d) => [d.code, d.field])).toEqual([
      ['dev_cookie_key', 'cookies.keys.1'],
      ['dev_mfa_key', 'mfa.encryption_keys.1.key'],
      ['dev_otp_key', 'otp.hmac_key'],
    ]);
  });

  it('the file outbox, configured or as the fallback of codes with no email transport', () => {
    const otp = `otp:\n  hmac_key: "${KEY}"\n`;
    expect(codes(`${otp}delivery:\n  email:\n    outbox: { dir: /tmp/box }\n`)).toEqual(['file_outbox']);
    expect(codes(otp)).toEqual(['file_outbox']);
    // Without an otp section nothing sends codes, so no outbox is made.
    expect(codes('')).toEqual([]);
  });

  it('metrics beyond loopback without a bearer token', () => {
    expect(codes('metrics:\n  enabled: true\n  listen: 0.0.0.0:9464\n')).toEqual(['public_metrics']);
    expect(
      codes('metrics:\n  enabled: true\n  listen: 0.0.0.0:9464\n  bearer_token: 0123456789abcdef\n'),
    ).toEqual([]);
    expect(codes('metrics:\n  enabled: true\n  listen: "[::1]:9464"\n')).toEqual([]);
    expect(codes('metrics:\n  enabled: false\n  listen: 0.0.0.0:9464\n')).toEqual([]);
  });

  it('placeholder client secrets', () => {
    const found = developmentDefaults(
      config(
        'clients:\n  - { client_id: a, client_secret: a-secret-change-me-please, grant_types: [client_credentials] }\n' +
          '  - { client_id: b, client_secret: b-random-secret-0123456789, grant_types: [client_credentials] }\n',
      ),
    );
    expect(found.map((d) => d.field)).toEqual(['clients.0.client_secret']);
  });

  it('loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
