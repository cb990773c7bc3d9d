import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryCredentialStore } from '../../adapters/memory-credentials.ts';
import { createMemoryKeyValueStore } from '../../adapters/memory-kv.ts';
import { createRedisCredentialStore } from '../../adapters/redis-credentials.ts';
import { createRedisKeyValueStore } from '../../adapters/redis-kv.ts';
import type { Account } from '../../src/accounts/types.ts';
import { createTotpFactor } from '../../src/factors/totp/index.ts';
import { keyUri, qrSvg } from '../../src/factors/totp/key-uri.ts';
import type { TotpOptions } from '../../src/factors/totp/options.ts';
import {
  base32Encode,
  generateSecret,
  hotp,
  matchTotp,
  type OtpAlgorithm,
  totp,
} from '../../src/factors/totp/otp.ts';
import type { CredentialStore, Factor, FactorRequest, KeyValueStore } from '../../src/factors/types.ts';
import { defaultI18n } from '../../src/i18n/index.ts';
import { createSecretBox, type SecretBox } from '../../src/security/secret-box.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';

/** What createRenderer gives every page: the English translator and its language. */
const ENGLISH = { t: defaultI18n().translator('en'), lang: 'en' };

type TotpConfig = TotpOptions;
const ascii = (s: string) => Buffer.from(s, 'ascii');
const SEEDS: Record<OtpAlgorithm, Buffer> = {
  SHA1: ascii('12345678901234567890'),
  SHA256: ascii('12345678901234567890123456789012'),
  SHA512: ascii(`${'1234567890'.repeat(6)}1234`),
};

// RFC 4226 Appendix D, counters 0..9.
const HOTP_VECTORS = '755224 287082 359152 969429 338314 254676 287922 162583 399871 520489'.split(' ');
// RFC 6238 Appendix B: T (s), SHA1, SHA256, SHA512 (8 digits, 30 s).
const TOTP_VECTORS: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];
const ALGS: OtpAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];
const RFC6238 = TOTP_VECTORS.flatMap(([t, ...codes]) =>
  ALGS.map((alg, i) => ({ t, alg, code: codes[i] as string })),
);

describe('HOTP/TOTP code path: RFC test vectors', () => {
  it.each(HOTP_VECTORS.map((code, counter) => ({ code, counter })))(
    'RFC 4226 counter $counter -> $code',
    ({ code, counter }) => {
      expect(hotp(SEEDS.SHA1, counter, { algorithm: 'SHA1', digits: 6 })).toBe(code);
    },
  );

  it.each(RFC6238)('RFC 6238 $alg T=$t -> $code (totp and matchTotp)', ({ t, alg, code }) => {
    const params = { algorithm: alg, digits: 8, period: 30 };
    expect(totp(SEEDS[alg], t * 1000, params)).toBe(code);
    expect(matchTotp(SEEDS[alg], code, { ...params, window: 1 }, t * 1000)).toBe(Math.floor(t / 30));
  });

  it('has all 28 vectors', () => {
    expect(HOTP_VECTORS).toHaveLength(10);
    expect(RFC6238).toHaveLength(18);
  });
});

describe('matchTotp', () => {
  const secret = generateSecret();
  const p = { algorithm: 'SHA1' as const, digits: 6, period: 30 };
  const T = 1_800_000_015_000;
  const step = Math.floor(T / 30_000);
  const codeAt = (d: number) => hotp(secret, step + d, p);

  it('window 1 accepts steps -1..+1 and refuses +/-2', () => {
    for (const d of [-1, 0, 1]) expect(matchTotp(secret, codeAt(d), { ...p, window: 1 }, T)).toBe(step + d);
    for (const d of [-2, 2]) expect(matchTotp(secret, codeAt(d), { ...p, window: 1 }, T)).toBeUndefined();
  });

  it('window 0 accepts only the current step', () => {
    expect(matchTotp(secret, codeAt(0), { ...p, window: 0 }, T)).toBe(step);
    for (const d of [-1, 1]) expect(matchTotp(secret, codeAt(d), { ...p, window: 0 }, T)).toBeUndefined();
  });

  it('refuses non-digit and wrong-length codes', () => {
    const good = codeAt(0);
    for (const bad of [
      '',
      good.slice(1),
      `${good}0`,
      ` ${good.slice(1)}`,
      'abcdef',
      '１２３４５６',
      '12345e',
    ]) {
      expect(matchTotp(secret, bad, { ...p, window: 1 }, T)).toBeUndefined();
    }
  });

  it('generates secrets of >= 20 CSPRNG bytes; base32 has no padding', () => {
    expect(() => generateSecret(19)).toThrow();
    expect(generateSecret()).toHaveLength(20);
    expect(generateSecret(20).equals(generateSecret(20))).toBe(false);
    expect(base32Encode(SEEDS.SHA1)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Encode(Buffer.from('f'))).toBe('MY');
    expect(base32Encode(randomBytes(21))).toMatch(/^[A-Z2-7]{34}$/);
  });
});

describe('key URI and QR code', () => {
  const base = { secret: SEEDS.SHA1, algorithm: 'SHA1' as const, digits: 6, period: 30 };
  it('has the exact Google Authenticator format', () => {
    expect(keyUri({ ...base, issuer: 'tollgate', account: 'alice' })).toBe(
      'otpauth://totp/tollgate:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=tollgate&algorithm=SHA1&digits=6&period=30',
    );
  });
  it('percent-encodes issuer and account', () => {
    const uri = keyUri({ ...base, issuer: 'Acme Corp', account: 'bob@example.com', digits: 8, period: 60 });
    expect(uri).toMatch(
      /^otpauth:\/\/totp\/Acme%20Corp:bob%40example\.com\?secret=[A-Z2-7]+&issuer=Acme%20Corp&/,
    );
    expect(uri).toMatch(/&digits=8&period=60$/);
  });
  it('refuses ":" in the issuer and strips it from the account', () => {
    expect(() => keyUri({ ...base, issuer: 'a:b', account: 'alice' })).toThrow(/":"/);
    expect(keyUri({ ...base, issuer: 'x', account: 'ali:ce' })).toMatch(/^otpauth:\/\/totp\/x:alice\?/);
  });
  it('renders an accessible SVG', async () => {
    const svg = await qrSvg(keyUri({ ...base, issuer: 'tollgate', account: 'alice' }));
    expect(svg.startsWith('<svg role="img" aria-label="')).toBe(true);
    expect(svg).toMatch(/<\/svg>$/);
  });
});

// --- the factor ----------------------------------------------------------------------------

const T0 = Date.UTC(2026, 2, 1, 12, 0, 5); // 5 s into a step
const account: Account = {
  ...{ id: 'acc-1', username: 'alice', groups: [], disabled: false },
  ...{ created_at: 0, updated_at: 0 },
};
const keyA = { id: 'A', key: randomBytes(32) };
const boxA = createSecretBox([keyA]);
const keyB = { id: 'B', key: randomBytes(32) };

interface Rig {
  factor: Factor;
  credentials: CredentialStore;
  kv: KeyValueStore;
  clock: { t: number };
}
function rig(
  over: {
    config?: Partial<TotpConfig>;
    box?: SecretBox;
    from?: Pick<Rig, 'clock' | 'credentials' | 'kv'>;
  } = {},
): Rig {
  const clock = over.from?.clock ?? { t: T0 };
  const credentials = over.from?.credentials ?? createMemoryCredentialStore();
  const kv = over.from?.kv ?? createMemoryKeyValueStore({ now: () => clock.t });
  const config: TotpConfig = {
    ...{ issuer: 'tollgate', algorithm: 'SHA1', digits: 6, period: 30, window: 1, secret_bytes: 20 },
    ...over.config,
  };
  const factor = createTotpFactor({ config, credentials, kv, box: over.box ?? boxA, now: () => clock.t });
  return { factor, credentials, kv, clock };
}
const request = (state: Record<string, unknown> = {}, flowId = 'flow-1'): FactorRequest => ({
  ...{ account, clientId: 'app', flowId, ip: '127.0.0.1', state },
});

/** A code from the real oathtool at time `ms`. */
function oath(
  base32: string,
  ms: number,
  o: { algorithm?: OtpAlgorithm; digits?: number; period?: number } = {},
) {
  const alg = o.algorithm ?? 'SHA1';
  const mode = alg === 'SHA1' ? '--totp' : `--totp=${alg.toLowerCase()}`;
  const args = [mode, '-b', `--digits=${o.digits ?? 6}`, '-s', `${o.period ?? 30}s`];
  return execFileSync('oathtool', [...args, '-N', `@${Math.floor(ms / 1000)}`, base32], {
    encoding: 'utf8',
  }).trim();
}
const keyOf = (data: Record<string, unknown>) => String(data.secret).replaceAll(' ', '');

/** Enrols through startEnrolment/finishEnrolment with an oathtool code; returns the base32 key. */
async function enrol(r: Rig, o: Parameters<typeof oath>[2] = {}) {
  const req = request();
  const key = keyOf((await r.factor.startEnrolment(req)).data);
  const code = oath(key, r.clock.t, o);
  const result = await r.factor.finishEnrolment(req, { code });
  if (result.outcome !== 'enrolled') throw new Error(`enrolment failed: ${result.outcome}`);
  return { key, code, credential: result.credential, req };
}

describe('TOTP factor', () => {
  it('has the metadata of an authenticator app', () => {
    const { factor } = rig();
    expect(factor).toMatchObject({
      id: 'totp',
      label: 'Authenticator app',
      restricted: false,
      backup: false,
    });
    expect([factor.amr, factor.enrollable]).toEqual([['otp'], true]);
  });

  it.each([
    { name: 'defaults (SHA1/6/30)', o: {} },
    { name: 'SHA256/8/30', o: { algorithm: 'SHA256' as const, digits: 8 as const } },
  ])('accepts oathtool codes, $name: enrol, then sign in at a later step', async ({ o }) => {
    const r = rig({ config: o });
    expect(await r.factor.isEnrolled(account.id)).toBe(false);
    const { key, credential, req } = await enrol(r, o);
    expect(req.state.pendingSecret).toBeUndefined();
    expect(credential).toMatchObject({ factor: 'totp', label: 'Authenticator app', account_id: account.id });
    expect(await r.factor.isEnrolled(account.id)).toBe(true);
    r.clock.t += 150_000;
    const res = await r.factor.verify(request(), { code: oath(key, r.clock.t, o) });
    expect(res).toEqual({ ok: true, credentialId: credential.id });
    expect((await r.credentials.get(account.id, credential.id))?.last_used_at).toBe(
      Math.floor(r.clock.t / 1000),
    );
    // The issuer names the entry the app shows the code under.
    expect((await r.factor.challenge(request())).data).toEqual({ digits: o.digits ?? 6, issuer: 'tollgate' });
  });

  it('accepts +/-1 step and refuses +/-2 (window 1); window 0 accepts only now', async () => {
    const r = rig();
    const { key } = await enrol(r);
    r.clock.t += 600_000;
    const at = (d: number) => ({ code: oath(key, r.clock.t + d * 30_000) });
    for (const d of [-2, 2])
      expect(await r.factor.verify(request(), at(d))).toEqual({ ok: false, error: 'invalid_code' });
    for (const d of [-1, 0, 1]) expect((await r.factor.verify(request(), at(d))).ok).toBe(true);
    const strict = rig({ from: r, config: { window: 0 } });
    strict.clock.t += 600_000;
    for (const d of [-1, 1]) expect((await strict.factor.verify(request(), at(d))).ok).toBe(false);
    expect((await strict.factor.verify(request(), at(0))).ok).toBe(true);
  });

  it('accepts a code once; the enrolment code cannot sign in', async () => {
    const r = rig();
    const { key, code } = await enrol(r);
    expect(await r.factor.verify(request(), { code })).toEqual({ ok: false, error: 'replayed_code' });
    r.clock.t += 60_000;
    const next = { code: oath(key, r.clock.t) };
    expect((await r.factor.verify(request(), next)).ok).toBe(true);
    r.clock.t += 25_000; // still inside the window of that step
    expect(await r.factor.verify(request(), next)).toEqual({ ok: false, error: 'replayed_code' });
  });

  it('refuses malformed input, unknown accounts and wrong codes with typed errors', async () => {
    const r = rig();
    expect(await r.factor.verify(request(), { code: '123456' })).toEqual({
      ok: false,
      error: 'not_enrolled',
    });
    const { key } = await enrol(r);
    for (const code of ['', '12345', '1234567', 'abcdef', '12 34 5x']) {
      expect(await r.factor.verify(request(), { code })).toEqual({ ok: false, error: 'malformed_code' });
    }
    expect(await r.factor.verify(request(), {})).toEqual({ ok: false, error: 'malformed_code' });
    const wrong = String((Number(oath(key, r.clock.t + 60_000)) + 1) % 1e6).padStart(6, '0');
    r.clock.t += 60_000;
    expect(await r.factor.verify(request(), { code: wrong })).toEqual({ ok: false, error: 'invalid_code' });
    const spaced = oath(key, r.clock.t).replace(/^(\d{3})/, '$1 ');
    expect((await r.factor.verify(request(), { code: spaced })).ok).toBe(true);
  });

  it('resumes a closed enrolment page with the same secret; a failed code keeps it', async () => {
    const r = rig();
    const state: Record<string, unknown> = {};
    const first = await r.factor.startEnrolment(request(state));
    expect(first.view).toBe('factors/totp-enrol');
    const again = await r.factor.startEnrolment(request(state));
    expect(keyOf(again.data)).toBe(keyOf(first.data));
    expect(keyOf((await r.factor.startEnrolment(request({}, 'flow-2'))).data)).not.toBe(keyOf(first.data));
    for (const [code, error] of [
      ['12a456', 'malformed_code'],
      ['000000', 'invalid_code'],
    ] as const) {
      const res = await r.factor.finishEnrolment(request(state), { code });
      if (res.outcome !== 'refused') throw new Error('expected a failure');
      expect(res.error).toBe(error);
      expect(keyOf(res.view.data)).toBe(keyOf(first.data));
    }
    expect(await r.factor.isEnrolled(account.id)).toBe(false);
    const done = await r.factor.finishEnrolment(request(state), { code: oath(keyOf(first.data), r.clock.t) });
    expect(done.outcome).toBe('enrolled');
  });

  it('keeps the seed only encrypted, bound to the account; tampering is detected', async () => {
    const r = rig();
    const { key, credential, req } = await enrol(r);
    const seed = Buffer.from(
      execFileSync('oathtool', ['--totp', '-v', '-b', key], { encoding: 'utf8' }).match(
        /Hex secret: ([0-9a-f]+)/,
      )?.[1] ?? '',
      'hex',
    );
    expect(seed).toHaveLength(20);
    expect(base32Encode(seed)).toBe(key);
    const stored = JSON.stringify(await r.credentials.list(account.id));
    for (const form of [
      key,
      key.toLowerCase(),
      seed.toString('hex'),
      seed.toString('base64'),
      seed.toString('base64url'),
    ]) {
      expect(stored).not.toContain(form);
    }
    expect(stored).not.toContain(JSON.stringify(seed.toString('latin1')).slice(1, -1));
    expect(JSON.stringify(req.state)).not.toContain(key);
    const sealed = String(credential.data.secret);
    expect(sealed.startsWith('v1.A.')).toBe(true);
    expect(boxA.open(sealed, 'totp:acc-1').equals(seed)).toBe(true);
    expect(() => boxA.open(sealed, 'totp:acc-2')).toThrow();
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3] ?? '', 'base64url');
    ct[0] = (ct[0] ?? 0) ^ 1;
    expect(() =>
      boxA.open([...parts.slice(0, 3), ct.toString('base64url'), parts[4]].join('.'), 'totp:acc-1'),
    ).toThrow();
  });

  it('survives key rotation: old seeds open under [B, A], new ones are sealed with B', async () => {
    const old = rig();
    const { key } = await enrol(old);
    const rotated = rig({ from: old, box: createSecretBox([keyB, keyA]) });
    rotated.clock.t += 60_000;
    expect((await rotated.factor.verify(request(), { code: oath(key, rotated.clock.t) })).ok).toBe(true);
    await rotated.credentials.deleteAll(account.id);
    const { credential } = await enrol(rotated);
    expect(String(credential.data.secret).startsWith('v1.B.')).toBe(true);
    const withoutB = rig({ from: rotated });
    rotated.clock.t += 60_000;
    await expect(withoutB.factor.verify(request(), { code: oath(key, rotated.clock.t) })).rejects.toThrow();
  });

  it('stores parameters per credential: a config change does not break old enrolments', async () => {
    const old = rig();
    const { key, credential } = await enrol(old);
    expect(credential.data).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 30 });
    const changed = rig({ from: old, config: { algorithm: 'SHA256', digits: 8, period: 60 } });
    changed.clock.t += 120_000;
    const res = await changed.factor.verify(request(), { code: oath(key, changed.clock.t) });
    expect(res).toEqual({ ok: true, credentialId: credential.id });
    const view = await changed.factor.startEnrolment(request({}, 'flow-new'));
    expect(view.data).toMatchObject({ algorithm: 'SHA256', digits: 8, period: 60 });
    expect(String(view.data.uri)).toMatch(/&algorithm=SHA256&digits=8&period=60$/);
  });
});

describe('TOTP factor on a shared Redis', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
    await server?.stop();
  });

  it('two processes verifying the same code concurrently: exactly one succeeds', async () => {
    const clock = { t: T0 };
    const processes = [0, 1].map(() => {
      const redis = new Redis(server.url);
      clients.push(redis);
      const keyPrefix = 'tg-test:';
      return rig({
        from: {
          clock,
          credentials: createRedisCredentialStore(redis, { keyPrefix }),
          kv: createRedisKeyValueStore(redis, { keyPrefix }),
        },
      });
    });
    const [p1, p2] = processes as [Rig, Rig];
    const { key } = await enrol(p1);
    for (let i = 1; i <= 5; i++) {
      clock.t += 60_000;
      const code = oath(key, clock.t);
      const results = await Promise.all([p1, p2].map((p) => p.factor.verify(request(), { code })));
      expect(results.filter((x) => x.ok)).toHaveLength(1);
      expect(results.filter((x) => !x.ok)).toEqual([{ ok: false, error: 'replayed_code' }]);
    }
  });
});

describe('TOTP views', () => {
  const viewsDir = new URL('../../views/', import.meta.url);
  const render = async (view: string, data: Record<string, unknown>) =>
    await ejs.renderFile(
      fileURLToPath(new URL(`${view}.ejs`, viewsDir)),
      { ...ENGLISH, ...data },
      { async: false },
    );
  const common = (over: Record<string, unknown> = {}) => ({
    ...{ title: 'Two-step verification', csrf: 'csrf-123', action: '/interaction/i-1/factor/totp' },
    ...{ abortUrl: '/interaction/i-1/abort', clientName: '<script>alert(1)</script>', error: undefined },
    ...{ issuer: '<script>alert(1)</script>' },
    ...{ otherFactors: [], rememberBrowserDays: 0 },
    ...over,
  });
  const pages = async (over: Record<string, unknown> = {}) => {
    const r = rig();
    const enrolView = await r.factor.startEnrolment(request());
    const challenge = await r.factor.challenge(request());
    return {
      key: String(enrolView.data.secret),
      enrol: await render(enrolView.view, { ...enrolView.data, ...common(over) }),
      challenge: await render(challenge.view, { ...challenge.data, ...common(over) }),
    };
  };

  it('renders a labelled one-time-code field and escapes the client and issuer names', async () => {
    const { enrol, challenge, key } = await pages();
    for (const html of [enrol, challenge]) {
      expect(html).toContain('<label for="code">6-digit code</label>');
      expect(html).toMatch(
        /<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="\[0-9\]\*" maxlength="6"[^>]* required autofocus/,
      );
      expect(html).toContain('<input type="hidden" name="csrf" value="csrf-123">');
      expect(html).toContain('action="/interaction/i-1/factor/totp"');
      expect(html).toMatch(/<button type="submit"[^>]*>Verify<\/button>/);
      expect(html).not.toContain('<script');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).not.toContain('name="remember"');
      expect(html).not.toContain('role="alert"');
      expect(html).not.toContain('Use another method');
    }
    expect(key).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(enrol).toContain(`<code id="totp-key"`);
    expect(enrol).toContain(`>${key}</code>`);
    expect(enrol).toContain('1. Scan this QR code with your authenticator app');
    expect(enrol).toContain('scan it? Enter this key:'); // EJS escapes the apostrophe of "Can't"
    expect(enrol).toMatch(/<svg role="img" aria-label="[^"]+"/);
    expect(enrol).toMatch(
      /<details>\s*<summary>[^<]+<\/summary>\s*<p><code[^>]*>otpauth:\/\/totp\/tollgate:alice\?secret=/,
    );
  });

  it('shows the remember-browser checkbox, errors and other methods only when asked', async () => {
    const { enrol, challenge } = await pages({
      rememberBrowserDays: 30,
      error: 'That code is not valid <b>',
      otherFactors: [{ label: 'Recovery code <i>', href: '/interaction/i-1/factor/recovery' }],
    });
    for (const html of [enrol, challenge]) {
      expect(html).toContain('<input type="checkbox" id="remember" name="remember" value="1"');
      expect(html).toMatch(/<label for="remember"[^>]*>Remember this browser for 30 days<\/label>/);
      expect(html).toContain(
        '<div class="alert" id="code-error" role="alert">That code is not valid &lt;b&gt;</div>',
      );
      expect(html).toMatch(/id="code"[^>]*aria-describedby="code-hint code-error"[^>]* aria-invalid="true"/);
      expect(html).toContain('Use another method');
      expect(html).toContain('<a href="/interaction/i-1/factor/recovery">Recovery code &lt;i&gt;</a>');
    }
  });
});
