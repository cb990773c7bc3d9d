// `accounts.password_reset`: its defaults, its bounds, and when the server offers the reset
// ("default true when an email delivery is configured").
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';

const COOKIE_KEY = 'test-cookie-key-0123456789abcdef0123456789';
const minimal = (extra = '') =>
  `issuer: http://127.0.0.1:3999\ncookies:\n  keys: ["${COOKIE_KEY}"]\n${extra}`;
const SMTP =
  'delivery:\n  email:\n    smtp: { host: 127.0.0.1, port: 2525, security: none, from: a@b.test }\n';

function problems(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml', {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('accounts.password_reset', () => {
  it('has the documented defaults, with enabled left to the server', () => {
    expect(parseConfig(minimal(), 'test.yaml', {}).accounts).toMatchObject({
      min_password_length: 8,
      password_reset: { ttl: 900, digits: 8, max_attempts: 5, per_address: 3, per_ip: 20 },
    });
    expect(parseConfig(minimal(), 'test.yaml', {}).accounts.password_reset.enabled).toBeUndefined();
  });

  it('refuses enabled: true with no way to send email, and values out of bounds', () => {
    expect(problems(minimal('accounts:\n  password_reset: { enabled: true }\n'))).toEqual([
      'accounts.password_reset.enabled: the password reset sends its code by email: configure delivery.email',
    ]);
    expect(
      parseConfig(minimal(`${SMTP}accounts:\n  password_reset: { enabled: true }\n`), 't', {}),
    ).toBeTruthy();
    const bad = problems(
      minimal('accounts:\n  password_reset: { ttl: 30, digits: 4, per_ip: 0, extra: 1 }\n'),
    );
    expect(bad.join('\n')).toMatch(/password_reset\.ttl/);
    expect(bad.join('\n')).toMatch(/password_reset\.digits/);
    expect(bad.join('\n')).toMatch(/password_reset\.per_ip/);
    expect(bad.join('\n')).toMatch(/extra/);
  });
});

describe('whether the server offers the reset', () => {
  let tg: RunningTollgate | undefined;
  afterEach(async () => {
    await tg?.stop();
    tg = undefined;
  });
  const smtp = { smtp: { host: '127.0.0.1', port: 2525, security: 'none', from: 'a@b.test' } };
  const otp = { hmac_key: randomBytes(32).toString('base64') };

  it.each([
    ['no email transport, no otp section', {}, false],
    ['delivery.email', { delivery: { email: smtp } }, true],
    ['the otp section (the demo outbox)', { otp }, true],
    [
      'delivery.email, enabled: false',
      { delivery: { email: smtp }, accounts: { password_reset: { enabled: false } } },
      false,
    ],
  ])('%s', async (_what, overrides, offered) => {
    tg = await startTollgate({ overrides });
    expect(tg.tollgate.passwordReset !== undefined).toBe(offered);
  });
});
