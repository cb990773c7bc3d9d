import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryCredentialStore } from '../../adapters/memory-credentials.ts';
import { createMemoryKeyValueStore } from '../../adapters/memory-kv.ts';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { createRedisCredentialStore } from '../../adapters/redis-credentials.ts';
import { createRedisKeyValueStore } from '../../adapters/redis-kv.ts';
import type { Account } from '../../src/accounts/types.ts';
import {
  CONFIRM_REQUIRED,
  createRecoveryFactor,
  normaliseRecoveryCode,
  type RecoveryFactor,
  type RecoveryFactorOptions,
} from '../../src/factors/recovery/index.ts';
import type { CredentialStore, FactorRequest, KeyValueStore } from '../../src/factors/types.ts';
import { defaultI18n } from '../../src/i18n/index.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';

/** What createRenderer gives every page: the English translator and its language. */
const ENGLISH = { t: defaultI18n().translator('en'), lang: 'en' };

/*
 * SECURITY.md, one-time codes: "Recovery codes: >= 64 bits each, salted and hashed, single use".
 * The same cases run on the in-memory stores and on Redis stores over a real redis-server.
 */

const T0 = Date.UTC(2030, 0, 15, 12, 0, 0);
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPED = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

/** Stores as one process sees them. */
interface Stores {
  credentials: CredentialStore;
  kv: KeyValueStore;
}

interface Harness {
  /** Stores of "process A". */
  a: Stores;
  /** Stores of "process B": separate Redis connections on the Redis backend. */
  b: Stores;
  /** Every byte the backend holds, as text: to prove no plain code is stored. */
  dump(): Promise<string>;
}

interface Backend {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  fresh(): Promise<Harness>;
}

function memoryBackend(): Backend {
  return {
    name: 'memory stores',
    async start() {},
    async stop() {},
    async fresh() {
      const credentials = createMemoryCredentialStore({ now: () => T0 });
      const kv = createMemoryKeyValueStore({ now: () => T0 });
      const stores = { credentials, kv };
      return {
        a: stores,
        b: stores,
        dump: async () => JSON.stringify(await credentials.list(ACCOUNT.id)),
      };
    },
  };
}

function redisBackend(): Backend {
  const prefix = 'rc:';
  let server: RedisServer | undefined;
  let clientA: Redis | undefined;
  let clientB: Redis | undefined;
  const storesOn = (redis: Redis): Stores => ({
    credentials: createRedisCredentialStore(redis, { keyPrefix: prefix, now: () => T0 }),
    kv: createRedisKeyValueStore(redis, { keyPrefix: prefix }),
  });
  return {
    name: 'Redis stores',
    async start() {
      server = await startRedis();
      clientA = createRedisClient({ url: server.url, key_prefix: prefix });
      clientB = createRedisClient({ url: server.url, key_prefix: prefix });
    },
    async stop() {
      await clientA?.quit();
      await clientB?.quit();
      await server?.stop();
    },
    async fresh() {
      const a = clientA;
      const b = clientB;
      if (!a || !b) throw new Error('start() first');
      await a.flushall();
      return {
        a: storesOn(a),
        b: storesOn(b),
        async dump() {
          const out: string[] = [];
          for (const key of await a.keys('*')) {
            const type = await a.type(key);
            out.push(key);
            if (type === 'hash') out.push(JSON.stringify(await a.hgetall(key)));
            else if (type === 'string') out.push((await a.get(key)) ?? '');
          }
          return out.join('\n');
        },
      };
    },
  };
}

const ACCOUNT: Account = {
  id: 'acc-1',
  username: 'alice',
  groups: [],
  disabled: false,
  created_at: T0 / 1000,
  updated_at: T0 / 1000,
};

const request = (account: Account = ACCOUNT): FactorRequest => ({
  account,
  clientId: 'app',
  flowId: 'flow-1',
  ip: '127.0.0.1',
  state: {},
});

/** Decodes 16 Crockford symbols into the 10 bytes that produce them. */
function crockfordBytes(code: string): Buffer {
  let bits = 0n;
  for (const ch of code) bits = (bits << 5n) | BigInt(CROCKFORD.indexOf(ch));
  return Buffer.from(bits.toString(16).padStart(20, '0'), 'hex');
}

const strip = (code: string) => code.replaceAll('-', '');

function suite(backend: Backend): void {
  describe(`recovery factor on ${backend.name}`, () => {
    let h: Harness;
    let factor: RecoveryFactor;
    const make = (stores: Stores, extra: Partial<RecoveryFactorOptions> = {}) =>
      createRecoveryFactor({ count: 10, ...stores, now: () => T0, ...extra });

    beforeAll(() => backend.start());
    afterAll(() => backend.stop());
    beforeEach(async () => {
      h = await backend.fresh();
      factor = make(h.a);
    });

    it('declares its metadata: its own recovery amr, a backup factor, not restricted', () => {
      expect(factor.id).toBe('recovery');
      expect(factor.label).toBe('Recovery code');
      expect(factor.amr).toEqual(['recovery']);
      expect(factor.restricted).toBe(false);
      expect(factor.enrollable).toBe(true);
      expect(factor.backup).toBe(true);
    });

    it('generates 10 distinct grouped Crockford codes of 16 symbols (80 bits >= 64)', async () => {
      const codes = await factor.generate(ACCOUNT.id);
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) {
        expect(code).toMatch(GROUPED);
        const symbols = strip(code);
        expect(symbols).toHaveLength(16);
        for (const ch of symbols) expect(CROCKFORD).toContain(ch);
      }
      // 32 symbols = 5 bits each.
      expect(new Set(CROCKFORD).size).toBe(32);
      expect(16 * Math.log2(CROCKFORD.length)).toBeGreaterThanOrEqual(64);
      // A second set shares nothing with the first.
      const again = await factor.generate(ACCOUNT.id);
      expect(again.filter((c) => codes.includes(c))).toEqual([]);
    });

    it('stores one credential of salted hashes and never a plain code', async () => {
      const codes = await factor.generate(ACCOUNT.id);
      await expect(factor.verify(request(), { code: codes[0] ?? '' })).resolves.toMatchObject({ ok: true });
      const creds = await h.a.credentials.list(ACCOUNT.id);
      expect(creds).toHaveLength(1);
      const cred = creds[0];
      expect(cred?.factor).toBe('recovery');
      const stored = cred?.data.codes as Array<{ salt: string; hash: string; used_at?: number }>;
      expect(stored).toHaveLength(10);
      for (const entry of stored) {
        expect(Object.keys(entry).sort()).toEqual(
          entry.used_at === undefined ? ['hash', 'salt'] : ['hash', 'salt', 'used_at'],
        );
        expect(Buffer.from(entry.salt, 'base64url')).toHaveLength(16);
        expect(Buffer.from(entry.hash, 'base64url')).toHaveLength(32);
      }
      expect(new Set(stored.map((e) => e.salt)).size).toBe(10);
      expect(stored[0]?.used_at).toBe(T0 / 1000);

      const everything = (await h.dump()).toUpperCase();
      for (const code of codes) {
        expect(everything).not.toContain(code);
        expect(everything).not.toContain(strip(code));
        expect(everything).not.toContain(strip(code).slice(0, 8));
      }
    });

    it('accepts codes in lower case, with spaces or without dashes', async () => {
      const codes = await factor.generate(ACCOUNT.id);
      const [c0, c1, c2, c3] = codes as [string, string, string, string];
      const variants = [
        c0.toLowerCase(),
        strip(c1),
        `  ${c2.replaceAll('-', ' ')}  `,
        strip(c3).split('').join(' - ').toLowerCase(),
      ];
      for (const code of variants) {
        await expect(factor.verify(request(), { code })).resolves.toMatchObject({ ok: true });
      }
      expect(await factor.remaining(ACCOUNT.id)).toBe(6);
    });

    it('reads O as 0 and I/L as 1', async () => {
      const fixed = '01AB0CD1EFG1HJ10';
      let pending = true;
      const seeded = make(h.a, {
        randomBytes: (size) => {
          if (size === 10 && pending) {
            pending = false;
            return crockfordBytes(fixed);
          }
          return randomBytes(size);
        },
      });
      const codes = await seeded.generate(ACCOUNT.id);
      expect(codes[0]).toBe('01AB-0CD1-EFG1-HJ10');
      const verify = (code: string) => seeded.verify(request(), { code });
      // Looks-alike typed by the user: o/O for 0, i/I/l/L for 1.
      await expect(verify('oIab-OcdL-efgi-hjlo')).resolves.toMatchObject({ ok: true, remaining: 9 });

      expect(normaliseRecoveryCode('oIab-OcdL-efgi-hjlo')).toBe(fixed);
      expect(normaliseRecoveryCode(' 01ab 0cd1 efg1 hj10 ')).toBe(fixed);
      expect(normaliseRecoveryCode('01AB-0CD1-EFG1-HJ1U')).toBeUndefined(); // U is not Crockford
      expect(normaliseRecoveryCode('01AB-0CD1-EFG1-HJ1')).toBeUndefined();
      expect(normaliseRecoveryCode('01AB-0CD1-EFG1-HJ100')).toBeUndefined();
    });

    it('accepts each code once: a second use is refused as invalid_code', async () => {
      const [code] = (await factor.generate(ACCOUNT.id)) as [string];
      const first = await factor.verify(request(), { code });
      const cred = (await h.a.credentials.list(ACCOUNT.id))[0];
      expect(first).toEqual({ ok: true, credentialId: cred?.id, remaining: 9 });
      // Sequentially the used code is no longer among the codes compared at all.
      await expect(factor.verify(request(), { code })).resolves.toEqual({ ok: false, error: 'invalid_code' });
      await expect(factor.verify(request(), { code: code.toLowerCase() })).resolves.toEqual({
        ok: false,
        error: 'invalid_code',
      });
      expect(await factor.remaining(ACCOUNT.id)).toBe(9);
    });

    it('refuses a code already claimed in the KV store as replayed_code and repairs used_at', async () => {
      // As after a lost update: the atomic claim exists but used_at never reached the credential.
      const codes = await factor.generate(ACCOUNT.id);
      const cred = (await h.a.credentials.list(ACCOUNT.id))[0];
      if (!cred) throw new Error('no credential');
      expect(await h.a.kv.setIfAbsent(`recovery-used:${cred.id}:3`, '1', 60)).toBe(true);
      expect(await factor.remaining(ACCOUNT.id)).toBe(9);
      await expect(factor.verify(request(), { code: codes[3] ?? '' })).resolves.toEqual({
        ok: false,
        error: 'replayed_code',
      });
      const after = await h.a.credentials.get(ACCOUNT.id, cred.id);
      if (!after) throw new Error('credential gone');
      expect((after.data.codes as Array<{ used_at?: number }>)[3]?.used_at).toBe(T0 / 1000);
      expect(after.last_used_at).toBeUndefined();
    });

    it('lets exactly one of two processes use the same code at the same time', async () => {
      const codes = await factor.generate(ACCOUNT.id);
      const other = make(h.b);
      for (const code of codes.slice(0, 5)) {
        const results = await Promise.all([
          factor.verify(request(), { code }),
          other.verify(request(), { code }),
        ]);
        const ok = results.filter((r) => r.ok);
        expect(ok, JSON.stringify(results)).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, error: 'replayed_code' }]);
      }
      expect(await factor.remaining(ACCOUNT.id)).toBe(5);
      expect(await other.remaining(ACCOUNT.id)).toBe(5);
    });

    it('counts two different codes used at the same time, even if one used_at write is lost', async () => {
      const codes = await factor.generate(ACCOUNT.id);
      const other = make(h.b);
      const [r1, r2] = await Promise.all([
        factor.verify(request(), { code: codes[0] ?? '' }),
        other.verify(request(), { code: codes[1] ?? '' }),
      ]);
      expect(r1.ok && r2.ok).toBe(true);
      expect(await factor.remaining(ACCOUNT.id)).toBe(8);
      // Neither code works again, whichever credential write won.
      for (const code of codes.slice(0, 2)) {
        const again = await factor.verify(request(), { code });
        expect(again.ok).toBe(false);
      }
      expect(await factor.remaining(ACCOUNT.id)).toBe(8);
    });

    it('counts down to 0, then the account is no longer enrolled', async () => {
      expect(await factor.isEnrolled(ACCOUNT.id)).toBe(false);
      const codes = await factor.generate(ACCOUNT.id);
      expect(await factor.isEnrolled(ACCOUNT.id)).toBe(true);
      expect(await factor.remaining(ACCOUNT.id)).toBe(10);
      let expected = 10;
      for (const code of codes) {
        expected--;
        await expect(factor.verify(request(), { code })).resolves.toMatchObject({
          ok: true,
          remaining: expected,
        });
        expect(await factor.remaining(ACCOUNT.id)).toBe(expected);
      }
      expect(await factor.isEnrolled(ACCOUNT.id)).toBe(false);
      await expect(factor.challenge(request())).resolves.toEqual({
        view: 'factors/recovery-challenge',
        data: { remaining: 0 },
      });
      await expect(factor.verify(request(), { code: codes[9] ?? '' })).resolves.toEqual({
        ok: false,
        error: 'invalid_code',
      });
    });

    it('generate() replaces the previous set: old codes are refused, new ones work', async () => {
      const old = await factor.generate(ACCOUNT.id);
      await factor.verify(request(), { code: old[0] ?? '' });
      const fresh = await factor.generate(ACCOUNT.id);
      const creds = await h.a.credentials.list(ACCOUNT.id);
      expect(creds.filter((c) => c.factor === 'recovery')).toHaveLength(1);
      expect(await factor.remaining(ACCOUNT.id)).toBe(10);
      for (const code of old) {
        await expect(factor.verify(request(), { code })).resolves.toEqual({
          ok: false,
          error: 'invalid_code',
        });
      }
      await expect(factor.verify(request(), { code: fresh[4] ?? '' })).resolves.toMatchObject({
        ok: true,
        remaining: 9,
      });
    });

    it('leaves the credentials of other factors alone', async () => {
      await h.a.credentials.create({ account_id: ACCOUNT.id, factor: 'totp', data: { seed: 'x' } });
      await factor.generate(ACCOUNT.id);
      await factor.generate(ACCOUNT.id);
      const factors = (await h.a.credentials.list(ACCOUNT.id)).map((c) => c.factor).sort();
      expect(factors).toEqual(['recovery', 'totp']);
    });

    it('refuses a well-formed wrong code, and codes of another account, as invalid_code', async () => {
      await factor.generate(ACCOUNT.id);
      const bob: Account = { ...ACCOUNT, id: 'acc-2', username: 'bob' };
      const bobCodes = await factor.generate(bob.id);
      await expect(factor.verify(request(), { code: 'ABCD-EFGH-JKMN-PQRS' })).resolves.toEqual({
        ok: false,
        error: 'invalid_code',
      });
      await expect(factor.verify(request(), { code: bobCodes[0] ?? '' })).resolves.toEqual({
        ok: false,
        error: 'invalid_code',
      });
      expect(await factor.remaining(ACCOUNT.id)).toBe(10);
      expect(await factor.remaining(bob.id)).toBe(10);
    });

    it('refuses empty or garbage input as malformed_code', async () => {
      await factor.generate(ACCOUNT.id);
      const garbage = [
        '',
        '   ',
        '----',
        'hello',
        '123456',
        'ABCD-EFGH-JKMN-PQR',
        'ABCD-EFGH-JKMN-PQRST',
        'ABCD-EFGH-JKMN-PQRU',
        'ABCD_EFGH_JKMN_PQRS',
        '<script>alert(1)</script>',
        'ÀBCD-EFGH-JKMN-PQRS',
      ];
      for (const code of garbage) {
        await expect(factor.verify(request(), { code }), code).resolves.toEqual({
          ok: false,
          error: 'malformed_code',
        });
      }
      await expect(factor.verify(request(), {})).resolves.toEqual({ ok: false, error: 'malformed_code' });
    });

    it('answers not_enrolled for an account without recovery codes', async () => {
      await expect(factor.verify(request(), { code: 'ABCD-EFGH-JKMN-PQRS' })).resolves.toEqual({
        ok: false,
        error: 'not_enrolled',
      });
      expect(await factor.remaining(ACCOUNT.id)).toBe(0);
    });

    it('startEnrolment shows a new set once, with a download link naming the account and date', async () => {
      const first = await factor.startEnrolment(request());
      expect(first.view).toBe('factors/recovery-codes');
      const codes = first.data.codes as string[];
      expect(codes).toHaveLength(10);
      expect(first.data.count).toBe(10);
      // The page writes the file, headed in its language: the factor gives what the heading names.
      const html = await render('factors/recovery-codes', common({ title: 'Recovery codes', ...first.data }));
      const href = one(html, 'a', (t) => t.attrs.has('download')).attrs.get('href') as string;
      const prefix = 'data:text/plain;charset=utf-8,';
      expect(href.startsWith(prefix)).toBe(true);
      const text = decodeURIComponent(href.slice(prefix.length));
      const lines = text.trimEnd().split('\n');
      expect(lines[0]).toBe(
        'Recovery codes for alice at tollgate, created 2030-01-15. Each code works once.',
      );
      expect(lines.slice(1)).toEqual(codes);
      expect(await factor.remaining(ACCOUNT.id)).toBe(10);

      // Opening the page again issues a new set and retires the one shown before.
      const second = await factor.startEnrolment(request());
      const newCodes = second.data.codes as string[];
      expect(newCodes.filter((c) => codes.includes(c))).toEqual([]);
      await expect(factor.verify(request(), { code: codes[0] ?? '' })).resolves.toMatchObject({ ok: false });
      await expect(factor.verify(request(), { code: newCodes[0] ?? '' })).resolves.toMatchObject({
        ok: true,
      });
    });

    it('finishEnrolment needs the "I have saved these codes" box, else shows a new set and keeps no plain codes', async () => {
      const req = request();
      const shown = (await factor.startEnrolment(req)).data.codes as string[];
      expect(req.state).toEqual({});

      const refused = await factor.finishEnrolment(req, { confirm: '' });
      if (refused.outcome !== 'refused') throw new Error('expected a refusal');
      expect(refused.error).toBe('malformed_code');
      expect(refused.view.view).toBe('factors/recovery-codes');
      expect(refused.view.error).toEqual(CONFIRM_REQUIRED);
      const reshown = refused.view.data.codes as string[];
      expect(reshown).toHaveLength(10);
      expect(reshown.filter((c) => shown.includes(c))).toEqual([]);
      expect(JSON.stringify(req.state)).toBe('{}');
      await expect(factor.verify(request(), { code: shown[0] ?? '' })).resolves.toMatchObject({ ok: false });

      const missing = await factor.finishEnrolment(req, {});
      if (missing.outcome !== 'refused') throw new Error('expected a refusal');
      const latest = missing.view.data.codes as string[];

      const done = await factor.finishEnrolment(req, { confirm: '1' });
      if (done.outcome !== 'enrolled') throw new Error('expected success');
      const creds = await h.a.credentials.list(ACCOUNT.id);
      expect(creds).toHaveLength(1);
      expect(done.credential.id).toBe(creds[0]?.id);
      expect(done.credential.factor).toBe('recovery');
      await expect(factor.verify(request(), { code: latest[0] ?? '' })).resolves.toMatchObject({ ok: true });
    });

    it('challenge shows how many codes are left', async () => {
      const codes = await factor.generate(ACCOUNT.id);
      await factor.verify(request(), { code: codes[2] ?? '' });
      await expect(factor.challenge(request())).resolves.toEqual({
        view: 'factors/recovery-challenge',
        data: { remaining: 9 },
      });
    });
  });
}

suite(memoryBackend());
suite(redisBackend());

describe('createRecoveryFactor options', () => {
  it('defaults to 10 codes and honours another count', async () => {
    const stores = { credentials: createMemoryCredentialStore(), kv: createMemoryKeyValueStore() };
    expect(await createRecoveryFactor(stores).generate('x')).toHaveLength(10);
    expect(await createRecoveryFactor({ ...stores, count: 12 }).generate('x')).toHaveLength(12);
    expect(() => createRecoveryFactor({ ...stores, count: 0 })).toThrow(RangeError);
    expect(() => createRecoveryFactor({ ...stores, count: 2.5 })).toThrow(RangeError);
  });
});

// ---- views ----

const viewsDir = new URL('../../views/', import.meta.url);

async function render(view: string, data: Record<string, unknown>): Promise<string> {
  return await ejs.renderFile(
    fileURLToPath(new URL(`${view}.ejs`, viewsDir)),
    { ...ENGLISH, ...data },
    { async: false },
  );
}

type Tag = { raw: string; index: number; attrs: Map<string, string> };

/** Start tags named `name` (a regexp source) with their attributes. */
function tags(html: string, name: string): Tag[] {
  const out: Tag[] = [];
  const re = new RegExp(`<(?:${name})\\b((?:[^>"']|"[^"]*"|'[^']*')*)>`, 'gi');
  for (const m of html.matchAll(re)) {
    const attrs = new Map<string, string>();
    for (const a of (m[1] ?? '').matchAll(/([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g)) {
      if (a[1] !== undefined) attrs.set(a[1].toLowerCase(), a[2] ?? a[3] ?? a[4] ?? '');
    }
    out.push({ raw: m[0], index: m.index ?? 0, attrs });
  }
  return out;
}

function one(html: string, name: string, pred: (t: Tag) => boolean): Tag {
  const found = tags(html, name).filter(pred);
  expect(found, `expected exactly one matching <${name}>`).toHaveLength(1);
  return found[0] as Tag;
}

const HOSTILE_NAME = '<script>alert(1)</script>';
const HOSTILE_ATTR = '"><img src=x onerror=alert(1)>';
const HOSTILE_ATTR_PARSED = '&#34;&gt;&lt;img src=x onerror=alert(1)&gt;';

const common = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  title: 'Recovery code',
  csrf: 'csrf-token-789',
  action: '/interaction/i-1/factor/recovery',
  abortUrl: '/interaction/i-1/abort',
  clientName: 'Acme Dashboard',
  error: undefined,
  otherFactors: [],
  rememberBrowserDays: 0,
  ...over,
});

const SAMPLE_CODES = ['ABCD-EFGH-JKMN-PQRS', '0123-4567-89AB-CDEF'];

/** Checks every page shares: one h1, labelled inputs, CSRF in the form, no script at all. */
function expectSoundPage(html: string, csrf = 'csrf-token-789'): void {
  expect(html.trimStart().toLowerCase().startsWith('<!doctype html>')).toBe(true);
  expect(tags(html, 'h1')).toHaveLength(1);
  expect(html).toContain('Secured by tollgate');
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  expect(html).not.toMatch(/javascript:/i);
  const ids = tags(html, '[a-z][a-z0-9]*')
    .map((t) => t.attrs.get('id'))
    .filter((id): id is string => id !== undefined);
  expect(new Set(ids).size).toBe(ids.length);
  const labelFors = tags(html, 'label').map((l) => l.attrs.get('for'));
  for (const input of tags(html, 'input')) {
    if (input.attrs.get('type') === 'hidden') continue;
    expect(labelFors, `no <label> for ${input.raw}`).toContain(input.attrs.get('id'));
  }
  for (const t of tags(html, '[a-z][a-z0-9]*')) {
    for (const ref of t.attrs.get('aria-describedby')?.split(/\s+/) ?? []) expect(ids).toContain(ref);
  }
  const form = one(html, 'form', () => true);
  expect(form.attrs.get('method')).toBe('post');
  const csrfInput = one(html, 'input', (t) => t.attrs.get('name') === 'csrf');
  expect(csrfInput.attrs.get('type')).toBe('hidden');
  expect(csrfInput.attrs.get('value')).toBe(csrf);
  expect(csrfInput.index).toBeGreaterThan(form.index);
}

describe('views/factors/recovery-codes.ejs', () => {
  const data = (over: Record<string, unknown> = {}) =>
    common({
      title: 'Recovery codes',
      codes: SAMPLE_CODES,
      count: 2,
      downloadHref: 'data:text/plain;charset=utf-8,codes%0AABCD',
      ...over,
    });

  it('lists the codes, offers a download and requires the "saved" checkbox', async () => {
    const html = await render('factors/recovery-codes', data());
    expectSoundPage(html);
    expect(html).toMatch(/<h1>Save your recovery codes<\/h1>/);
    expect(html).toMatch(/only once/);
    expect(html).toMatch(/shown only now/);
    expect(html).toMatch(
      /<ol\b[^>]*>\s*<li><code>ABCD-EFGH-JKMN-PQRS<\/code><\/li>\s*<li><code>0123-4567-89AB-CDEF<\/code><\/li>\s*<\/ol>/,
    );
    const link = one(html, 'a', (t) => t.attrs.has('download'));
    expect(link.attrs.get('download')).toBe('tollgate-recovery-codes.txt');
    expect(link.attrs.get('href')).toBe('data:text/plain;charset=utf-8,codes%0AABCD');
    expect(one(html, 'form', () => true).attrs.get('action')).toBe('/interaction/i-1/factor/recovery');
    const box = one(html, 'input', (t) => t.attrs.get('type') === 'checkbox');
    expect(box.attrs.get('name')).toBe('confirm');
    expect(box.attrs.get('value')).toBe('1');
    expect(box.attrs.has('required')).toBe(true);
    expect(html).toMatch(
      new RegExp(`<label for="${box.attrs.get('id')}"[^>]*>I have saved these codes</label>`),
    );
    const submit = one(html, 'button', (t) => t.attrs.get('type') === 'submit');
    expect(html.slice(submit.index)).toMatch(/^<button[^>]*>Continue<\/button>/);
    expect(html).not.toContain('role="alert"');
  });

  it('shows the error in role=alert, referenced by the checkbox', async () => {
    const html = await render('factors/recovery-codes', data({ error: ENGLISH.t(CONFIRM_REQUIRED.key) }));
    expectSoundPage(html);
    const alert = one(html, 'div', (t) => t.attrs.get('role') === 'alert');
    const box = one(html, 'input', (t) => t.attrs.get('type') === 'checkbox');
    expect(box.attrs.get('aria-describedby')).toBe(alert.attrs.get('id'));
    expect(html).toContain('Tick &#34;I have saved these codes&#34; to continue.');
  });

  it('escapes hostile values', async () => {
    const html = await render(
      'factors/recovery-codes',
      data({
        codes: [HOSTILE_NAME],
        downloadHref: HOSTILE_ATTR,
        error: HOSTILE_NAME,
        csrf: HOSTILE_ATTR,
        action: HOSTILE_ATTR,
        title: HOSTILE_NAME,
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>');
    expect(one(html, 'a', (t) => t.attrs.has('download')).attrs.get('href')).toBe(HOSTILE_ATTR_PARSED);
    expect(one(html, 'input', (t) => t.attrs.get('name') === 'csrf').attrs.get('value')).toBe(
      HOSTILE_ATTR_PARSED,
    );
  });

  it('renders the data a real enrolment produces', async () => {
    const f = createRecoveryFactor({
      credentials: createMemoryCredentialStore(),
      kv: createMemoryKeyValueStore(),
    });
    const page = await f.startEnrolment(request({ ...ACCOUNT, username: HOSTILE_NAME }));
    const html = await render(page.view, { ...common({ title: 'Recovery codes' }), ...page.data });
    expectSoundPage(html);
    expect(tags(html, 'code')).toHaveLength(10);
    const href = one(html, 'a', (t) => t.attrs.has('download')).attrs.get('href') ?? '';
    expect(href).toMatch(/^data:text\/plain;charset=utf-8,[A-Za-z0-9%._~!*()&#;-]+$/);
    expect(html).not.toContain('<script');
  });
});

describe('views/factors/recovery-challenge.ejs', () => {
  const data = (over: Record<string, unknown> = {}) => common({ remaining: 7, ...over });

  it('asks for the code with one-time-code hints and shows how many are left', async () => {
    const html = await render('factors/recovery-challenge', data());
    expectSoundPage(html);
    const input = one(html, 'input', (t) => t.attrs.get('name') === 'code');
    expect(input.attrs.get('type')).toBe('text');
    expect(input.attrs.get('autocomplete')).toBe('one-time-code');
    expect(input.attrs.get('autocapitalize')).toBe('characters');
    expect(input.attrs.get('spellcheck')).toBe('false');
    expect(input.attrs.has('required')).toBe(true);
    expect(html).toMatch(new RegExp(`<label for="${input.attrs.get('id')}">Recovery code</label>`));
    expect(html).toContain('7 codes left');
    expect(html).toContain('Acme Dashboard');
    expect(html).not.toContain('role="alert"');
    expect(tags(html, 'input').filter((t) => t.attrs.get('type') === 'checkbox')).toHaveLength(0);
    expect(html).not.toContain('Use another method');
    one(html, 'a', (t) => t.attrs.get('href') === '/interaction/i-1/abort');
    expect(await render('factors/recovery-challenge', data({ remaining: 1 }))).toContain('1 code left');
  });

  it('shows the error in role=alert, referenced by the input', async () => {
    const html = await render('factors/recovery-challenge', data({ error: 'That code did not work.' }));
    expectSoundPage(html);
    const alert = one(html, 'div', (t) => t.attrs.get('role') === 'alert');
    expect(html.slice(alert.index)).toMatch(/^<div[^>]*>That code did not work\.<\/div>/);
    const input = one(html, 'input', (t) => t.attrs.get('name') === 'code');
    expect(input.attrs.get('aria-describedby')?.split(/\s+/)).toContain(alert.attrs.get('id'));
    expect(input.attrs.get('aria-invalid')).toBe('true');
  });

  it('offers "Remember this browser" and other methods when the router passes them', async () => {
    const html = await render(
      'factors/recovery-challenge',
      data({
        rememberBrowserDays: 30,
        otherFactors: [
          { label: 'Authenticator app', href: '/interaction/i-1/factor/totp' },
          { label: 'Email code', href: '/interaction/i-1/factor/email' },
        ],
      }),
    );
    expectSoundPage(html);
    const box = one(html, 'input', (t) => t.attrs.get('type') === 'checkbox');
    expect(box.attrs.get('name')).toBe('remember');
    expect(box.attrs.get('value')).toBe('1');
    expect(html).toMatch(
      new RegExp(`<label for="${box.attrs.get('id')}"[^>]*>Remember this browser for 30 days</label>`),
    );
    expect(html).toContain('Use another method');
    const totp = one(html, 'a', (t) => t.attrs.get('href') === '/interaction/i-1/factor/totp');
    expect(html.slice(totp.index)).toMatch(/^<a[^>]*>Authenticator app<\/a>/);
    one(html, 'a', (t) => t.attrs.get('href') === '/interaction/i-1/factor/email');
  });

  it('escapes hostile values', async () => {
    const html = await render(
      'factors/recovery-challenge',
      data({
        clientName: HOSTILE_NAME,
        error: HOSTILE_NAME,
        csrf: HOSTILE_ATTR,
        action: HOSTILE_ATTR,
        abortUrl: HOSTILE_ATTR,
        remaining: HOSTILE_NAME,
        rememberBrowserDays: HOSTILE_NAME,
        otherFactors: [{ label: HOSTILE_NAME, href: HOSTILE_ATTR }],
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(one(html, 'input', (t) => t.attrs.get('name') === 'csrf').attrs.get('value')).toBe(
      HOSTILE_ATTR_PARSED,
    );
    expect(one(html, 'form', () => true).attrs.get('action')).toBe(HOSTILE_ATTR_PARSED);
  });
});

describe('views/factors/recovery-regenerate.ejs', () => {
  it('offers "Create new codes" and a secondary "Not now"', async () => {
    const html = await render('factors/recovery-regenerate', common({ title: 'Recovery codes' }));
    expectSoundPage(html);
    expect(html).toMatch(/<h1>You have used your last recovery code<\/h1>/);
    const buttons = tags(html, 'button');
    expect(buttons).toHaveLength(2);
    const [create, later] = buttons as [Tag, Tag];
    for (const b of buttons) {
      expect(b.attrs.get('type')).toBe('submit');
      expect(b.attrs.get('name')).toBe('regenerate');
    }
    expect(create.attrs.get('value')).toBe('1');
    expect(html.slice(create.index)).toMatch(/^<button[^>]*>Create new codes<\/button>/);
    expect(later.attrs.get('value')).toBe('0');
    expect(later.attrs.get('class')).toContain('btn-secondary');
    expect(html.slice(later.index)).toMatch(/^<button[^>]*>Not now<\/button>/);
  });

  it('escapes hostile values', async () => {
    const html = await render(
      'factors/recovery-regenerate',
      common({ title: HOSTILE_NAME, csrf: HOSTILE_ATTR, action: HOSTILE_ATTR }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(one(html, 'input', (t) => t.attrs.get('name') === 'csrf').attrs.get('value')).toBe(
      HOSTILE_ATTR_PARSED,
    );
  });
});
