// Generators of malformed HTTP input: hostile strings, queries, bodies (with the wrong content
// type on purpose), cookies and headers. Header values are kept sendable (byte strings without
// CR/LF/NUL); paths go through `requestTarget` (send.ts) at the end of each test's `build`.
import * as fc from 'fast-check';

/** Percent-escapes that do not decode: truncated, non-hex, invalid or overlong UTF-8, surrogates. */
export const BAD_ESCAPES = [
  '%',
  '%%',
  '%zz',
  '%E0%A4%A',
  '%C3%28',
  '%C0%AF',
  '%ED%A0%80',
  '%F4%90%80%80',
  '%FF%FE',
  '%00',
  '%u0041',
  '%2',
  '%%41',
  '%E2%82',
  '%80',
];

/** Values that mean something somewhere (type confusion, injection, nulls, paths, numbers). */
const MEANINGFUL = [
  '',
  ' ',
  '0',
  '-1',
  '1e309',
  'NaN',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '[object Object]',
  '__proto__',
  'constructor',
  '../../../etc/passwd',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' OR 1=1 --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as text
  '${7*7}',
  '<%= 7*7 %>',
  '\u0000',
  '\u202e',
  '\ud800',
  '\uffff',
  '123456',
  '00000000',
  'AAAA-BBBB-CCCC-DDDD',
  'openid',
  'openid offline_access',
  'code',
  'none',
  'login consent',
  'app',
  'mfa-app',
  'svc',
  'totp',
  'recovery',
  'email',
  'sms',
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'http://127.0.0.1:9/callback',
  'https://evil.example/',
  'javascript:alert(1)',
  '+15551234567',
  'a@example.test',
];

/** A string up to ~100 KB (rarely) that is hostile in some way. */
export const evilString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...MEANINGFUL) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...BAD_ESCAPES), fc.string({ maxLength: 4 })), { maxLength: 6 })
      .map((parts) => parts.join('')),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^\d{6,8}$/) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('a', '%', 'é', '\u{1f600}', '0', '[', '&'),
        fc.integer({ min: 300, max: 100_000 }),
      )
      .map(([c, n]) => c.repeat(n)),
  },
);

/** A short evil string (for names, ids, path segments). */
export const evilShort: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...MEANINGFUL),
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.constantFrom(...BAD_ESCAPES),
  fc
    .tuple(fc.constantFrom('A', '%2F', '../', '%'), fc.integer({ min: 50, max: 3000 }))
    .map(([c, n]) => c.repeat(n)),
);

/**
 * Encodes a string for a URL or form: properly, raw (so `&`, `=`, `%` and spaces land as they
 * are), or with one bad escape spliced in.
 */
export const encoded = (value: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(value, fc.constantFrom('encode', 'raw', 'splice'), fc.constantFrom(...BAD_ESCAPES), fc.nat())
    .map(([v, how, bad, at]) => {
      if (how === 'encode') return encodeURIComponent(v.replace(/[\ud800-\udfff]/g, 'x'));
      if (how === 'raw') return v;
      const i = v.length === 0 ? 0 : at % v.length;
      return v.slice(0, i) + bad + v.slice(i);
    });

/** Names of parameters tollgate and oidc-provider read, plus junk and prototype keys. */
export const PARAM_NAMES = [
  'csrf',
  'username',
  'password',
  'code',
  'remember',
  'confirm',
  'address',
  'regenerate',
  'verify_with',
  'client_id',
  'client_secret',
  'response_type',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'prompt',
  'max_age',
  'acr_values',
  'claims',
  'login_hint',
  'id_token_hint',
  'post_logout_redirect_uri',
  'code_challenge',
  'code_challenge_method',
  'code_verifier',
  'grant_type',
  'refresh_token',
  'token',
  'token_type_hint',
  'request',
  'request_uri',
  'resource',
  'logout',
  'xsrf',
  'ui_locales',
  'username[]',
  'code[]',
  'csrf[]',
  'csrf[a]',
  'a[b][c]',
  '__proto__',
  '__proto__[x]',
  'constructor[prototype][x]',
  'hasOwnProperty',
  'toString',
  '',
];

const paramName: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...PARAM_NAMES) },
  { weight: 1, arbitrary: evilShort },
);

/** `a=1&a=2&...`: known and junk names, duplicates, missing `=`, encoded every which way. */
export const queryString = (extra: fc.Arbitrary<[string, string]>[] = []): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: fc.tuple(paramName, evilString) },
        ...extra.map((arbitrary) => ({ weight: 4, arbitrary })),
      ),
      { maxLength: 8 },
    )
    .chain((pairs) =>
      fc.tuple(
        fc.constant(pairs),
        fc.array(fc.constantFrom('encode', 'raw', 'noeq', 'dup'), {
          minLength: pairs.length,
          maxLength: pairs.length,
        }),
      ),
    )
    .map(([pairs, modes]) =>
      pairs
        .map(([k, v], i) => {
          const mode = modes[i];
          const key = encodeURIComponent(k.replace(/[\ud800-\udfff]/g, 'x'));
          if (mode === 'raw') return `${k}=${v}`;
          if (mode === 'noeq') return key;
          const value = encodeURIComponent(v.replace(/[\ud800-\udfff]/g, 'x'));
          return mode === 'dup' ? `${key}=${value}&${key}=${value}x` : `${key}=${value}`;
        })
        .join('&'),
    );

const FORM = 'application/x-www-form-urlencoded';

/** Content types: right, wrong, broken charsets, several at once, garbage. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(FORM) },
  { weight: 4, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      undefined,
      '',
      `${FORM}; charset=utf-8`,
      `${FORM}; charset=latin1`,
      `${FORM}; charset=utf-16le`,
      `${FORM}; charset=bogus`,
      `${FORM}; charset=`,
      `${FORM}, application/json`,
      'application/json; charset=utf-16',
      'application/json; charset=bogus',
      'application/merge-patch+json',
      'application/jose',
      'application/xml',
      'text/xml',
      'text/plain',
      'text/html',
      'multipart/form-data; boundary=XyZ',
      'multipart/form-data',
      'application/octet-stream',
      '*/*',
      'application/',
      ';;;',
      'form',
    ),
  },
  { weight: 1, arbitrary: evilShort },
);

/** Body bytes: forms, JSON (valid, truncated, hostile), XML, multipart, invalid UTF-8, huge. */
export const bodyBytes = (
  form: fc.Arbitrary<string>,
  json: fc.Arbitrary<unknown>,
): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 6, arbitrary: form.map((s) => Buffer.from(s, 'utf8')) },
    { weight: 2, arbitrary: form.map((s) => Buffer.from(s, 'latin1')) },
    { weight: 4, arbitrary: json.map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')) },
    {
      weight: 2,
      arbitrary: json.map((v) => {
        const s = JSON.stringify(v) ?? 'null';
        return Buffer.from(s.slice(0, Math.max(1, s.length - 2)), 'utf8');
      }),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? '')) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '{"__proto__":{"polluted":true},"code":"123456"}',
          '{"constructor":{"prototype":{"polluted":true}}}',
          `${'['.repeat(3000)}${']'.repeat(3000)}`,
          '{"code":1e400}',
          '{"a":1,"a":2}',
          '\ufeff{"code":"123456"}',
          '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><x>&b;</x>',
          '--XyZ\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name="code"\r\n\r\n123456\r\n--XyZ--\r\n',
          '--XyZ\r\nContent-Disposition: form-data; name="x"; filename="a.txt"\r\n\r\n',
          'a=1&a=2&a=3',
          '=&=&&==',
          '&&&&',
        )
        .map((s) => Buffer.from(s, 'utf8')),
    },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('code=', 'csrf=', '{"code":"', 'x'), fc.integer({ min: 10_000, max: 100_000 }))
        .map(([prefix, n]) => Buffer.from(prefix + 'A'.repeat(n))),
    },
  );

/** Header values node:http can send: no control characters (but tab), nothing above U+00FF. */
export function headerSafe(value: string): string {
  return value
    .replace(/[\r\n]/g, '')
    .replaceAll(String.fromCharCode(0), '')
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, '?')
    .trim();
}

/** A header value: short junk mostly, now and then a few KB. */
const headerValue: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 8, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
    { weight: 4, arbitrary: fc.constantFrom(...BAD_ESCAPES) },
    { weight: 1, arbitrary: fc.integer({ min: 500, max: 4000 }).map((n) => 'x'.repeat(n)) },
  )
  .map(headerSafe);

/** Garbage for a cookie value: junk, base64-looking, JSON, latin1 bytes, overlong. */
export const cookieGarbage: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 60 }),
  fc.base64String({ maxLength: 80 }),
  fc.constantFrom('', '""', '%', '%E0%A4%A', 'eyJhIjoiYiJ9.c2ln', 'x.y.z', '{"a":1}', '..', '=', 'a=b=c'),
  // Mostly under Node's 16 KB header limit (so the app sees them), sometimes over it (431).
  fc
    .oneof(
      { weight: 5, arbitrary: fc.integer({ min: 500, max: 6000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 6000, max: 20_000 }) },
    )
    .map((n) => 'A'.repeat(n)),
);

/** Names of the cookies tollgate and oidc-provider read (and their signature companions). */
export const COOKIE_NAMES = [
  '_interaction',
  '_interaction.sig',
  '_interaction_resume',
  '_interaction_resume.sig',
  '_session',
  '_session.sig',
  '_session.legacy',
  'tollgate_remember',
  'tollgate_remember.sig',
];

/** A hostile cookie header part: garbage values for real names, many cookies, junk names. */
export const hostileCookies: fc.Arbitrary<string[]> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom(...COOKIE_NAMES), cookieGarbage), { maxLength: 4 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 50, max: 400 })
      .map((n) => Array.from({ length: n }, (_, i) => `${COOKIE_NAMES[i % COOKIE_NAMES.length]}=${i}`)),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(evilShort, cookieGarbage), { maxLength: 3 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<string[]>([';;;'], ['='], ['=x'], ['_session'], ['_session=a; _session=b']),
  },
);

/** Methods: mostly GET/POST, then others, lower case (invalid on the wire), and junk tokens. */
export const method: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'POST') },
  { weight: 3, arbitrary: fc.constantFrom('HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('patch', 'get', 'PROPFIND', 'MKCOL', 'FOO', 'SEARCH', 'PURGE', 'X'),
  },
);

/** Accept headers: browser, API client, both, none, garbage. */
export const accept: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    undefined,
    'text/html',
    'application/json',
    '*/*',
    'application/json;q=0.1, text/html',
    'text/html;q=abc',
    'application/xml',
    '',
    ';;',
  ),
  headerValue,
);

/** Other request headers that parsers read: encodings, languages, origins, forwarding. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'zstd', 'identity', 'bogus', 'gzip, gzip'),
    'accept-language': fc.oneof(fc.constantFrom('de', '*', 'en;q=x', ''), evilShort.map(headerSafe)),
    origin: fc.oneof(
      fc.constantFrom('null', 'http://127.0.0.1:9', 'https://evil.example'),
      evilShort.map(headerSafe),
    ),
    'x-forwarded-for': fc.oneof(
      fc.constantFrom('1.2.3.4', '::1, 2.2.2.2', 'garbage'),
      evilShort.map(headerSafe),
    ),
    'x-forwarded-proto': fc.constantFrom('https', 'http', 'gopher'),
    'if-none-match': fc.constantFrom('*', '"x"', 'W/"y"'),
    range: fc.constantFrom('bytes=0-1', 'bytes=-1', 'bytes=x'),
  },
  { requiredKeys: [] },
);

/** `arbitrary`'s value in about `percent`% of cases, else `null`. */
export const sometimes = <T>(arbitrary: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: 100 - percent, arbitrary: fc.constant(null) }, { weight: percent, arbitrary });

/** Whether a request of this method gets a body (GET and HEAD never do in browsers). */
export const mayHaveBody = (m: string) => !['GET', 'HEAD', 'get'].includes(m);
