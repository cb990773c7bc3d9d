// Property: no malformed request to the OTP API or to the OpenID Connect endpoints gets a 5xx,
// hangs, or crashes the process. Requests start from well-formed ones (real client credentials,
// real tokens, real OTP ids, a signed-in browser's cookies) and are broken a few ways each, so
// they get past authentication into the endpoints' own parsing.
import * as fc from 'fast-check';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { API_SECRET } from '../helpers/tollgate.ts';
import {
  accept,
  BAD_ESCAPES,
  bodyBytes,
  contentType,
  encoded,
  evilShort,
  evilString,
  extraHeaders,
  headerSafe,
  hostileCookies,
  mayHaveBody,
  method,
  PARAM_NAMES,
  sometimes,
} from './arbitraries.ts';
import { basic, endpoints, type LiveMaterial } from './endpoints.ts';
import {
  BATCH,
  type FuzzRequest,
  type FuzzServer,
  fuzz,
  fuzzTimeout,
  requestTarget,
  SVC_SECRET,
  startFuzzServer,
  Tally,
  watchProcess,
} from './harness.ts';
import { issueTokens, PASSWORD } from './stages.ts';

/** 600 batches of 8: 4,800 requests (FUZZ_RUNS=n for a longer local run, FUZZ_SEED / FUZZ_PATH to replay). */
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 600);
/** Refresh tokens rotate, codes get approved or closed: renew the live material this often. */
const REFRESH_EVERY = 60;

let server: FuzzServer;
const watch = watchProcess();
let live: LiveMaterial = {
  accessToken: '',
  refreshToken: '',
  idToken: '',
  apiToken: '',
  sessionCookie: '',
  xsrf: '',
  otpIds: [],
  challenge: '',
  verifier: oidc.randomPKCECodeVerifier(),
  metricsToken: 'metrics-token-0123456789abcdef',
};

beforeAll(async () => {
  server = await startFuzzServer({ metrics: { bearer_token: live.metricsToken } });
  live.challenge = await oidc.calculatePKCECodeChallenge(live.verifier);
  await server.tg.tollgate.store.accounts.create({
    username: 'api-user',
    password_hash: await server.tg.tollgate.hasher.hash(PASSWORD),
    email: 'api-user@example.test',
  });
});

afterAll(async () => {
  watch.dispose();
  await server?.stop();
});

/** Issues OTPs through the API itself (by email and SMS), as a calling service would. */
async function issueOtps(): Promise<string[]> {
  const ids: string[] = [];
  for (const [channel, to] of [
    ['email', 'otp-user@example.test'],
    ['sms', '+15557654321'],
    ['email', 'other@example.test'],
  ]) {
    const res = await fetch(`${server.tg.url}/api/otp`, {
      method: 'POST',
      headers: { authorization: basic('svc', SVC_SECRET), 'content-type': 'application/json' },
      body: JSON.stringify({ to, channel, external_id: 'fuzz', metadata: { a: 'b' } }),
    });
    if (res.status !== 201) throw new Error(`OTP issue: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

async function refresh() {
  const tokens = await issueTokens(server.tg, 'api-user');
  live = { ...live, ...tokens, otpIds: await issueOtps() };
}

const endpoint = fc.oneof(
  ...endpoints(() => live).map((e) => ({ weight: e.weight, arbitrary: fc.constant(e) })),
);

/** Values for a parameter: a JSON-typed one (numbers, objects) too, for the JSON API. */
const paramValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: evilString },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      0,
      -1,
      1e21,
      1.5,
      601,
      29,
      true,
      null,
      [],
      {},
      ['a'],
      { a: 1 },
      '+15551234567',
    ),
  },
  { weight: 1, arbitrary: fc.dictionary(evilShort, evilShort, { maxKeys: 20 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** One change to the well-formed parameters. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('dup' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: paramValue }),
  fc.record({
    op: fc.constant('add' as const),
    key: fc.oneof(fc.constantFrom(...PARAM_NAMES), evilShort),
    value: paramValue,
  }),
);

/** What the Authorization header is: the right one, another client's, broken, or none. */
const authMode = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ kind: 'right' as const }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('other' as const),
      value: fc.oneof(
        fc.constantFrom(
          basic('nosvc', SVC_SECRET),
          basic('svc', 'wrong-secret'),
          basic('api', API_SECRET),
          basic('public-app', ''),
          'Basic',
          'Basic ',
          'Basic ====',
          'Basic %%%',
          `Basic ${Buffer.from('no-colon').toString('base64')}`,
          `Basic ${Buffer.from(':').toString('base64')}`,
          `Basic ${Buffer.from('svc:').toString('base64')}`,
          `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x80]).toString('base64')}`,
          `${basic('svc', SVC_SECRET)}, ${basic('api', API_SECRET)}`,
          'Bearer',
          'Bearer x.y.z',
          'Digest username="x"',
          'basic   c3ZjOng=',
        ),
        fc.tuple(evilShort, evilShort).map(([id, secret]) => basic(id, secret)),
        evilShort.map((s) => `Basic ${s}`),
        evilShort.map((s) => `Bearer ${s}`),
      ),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
);

const value = fc.record({
  endpoint,
  mutations: fc.array(mutation, { maxLength: 4 }),
  /** For `:id`: a real OTP id (which), an id-shaped one, or garbage. */
  id: fc.oneof(
    { weight: 5, arbitrary: fc.nat().map((n) => ({ real: n })) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{22}$/).map((s) => ({ fake: s })) },
    { weight: 2, arbitrary: encoded(evilShort).map((s) => ({ fake: s })) },
  ),
  method: sometimes(method, 20),
  where: sometimes(fc.constantFrom('query' as const, 'form' as const, 'json' as const, 'other' as const), 20),
  other: bodyBytes(fc.constant(''), fc.jsonValue({ maxDepth: 3 })),
  rawValues: fc.constantFrom(false, false, false, true),
  /** Raw latin1 bytes put invalid UTF-8 (0x80-0xFF outside a sequence) into the body. */
  charset: fc.constantFrom<BufferEncoding>('utf8', 'utf8', 'utf8', 'latin1'),
  extraQuery: sometimes(
    fc.array(fc.tuple(fc.constantFrom(...PARAM_NAMES), fc.constantFrom(...BAD_ESCAPES)), { maxLength: 3 }),
    15,
  ),
  auth: authMode,
  contentType: sometimes(contentType, 15),
  accept,
  cookies: fc.constantFrom('session', 'session', 'session+hostile', 'hostile', 'none'),
  hostile: hostileCookies,
  headers: sometimes(extraHeaders, 20),
});

type Value = typeof value extends fc.Arbitrary<infer V> ? V : never;

function applyMutations(params: [string, unknown][], v: Value): [string, unknown][] {
  const out = [...params];
  for (const m of v.mutations) {
    if (m.op === 'add') out.push([m.key, m.value]);
    else if (out.length > 0) {
      const i = m.at % out.length;
      const entry = out[i] as [string, unknown];
      if (m.op === 'drop') out.splice(i, 1);
      else if (m.op === 'dup') out.splice(i, 0, [entry[0], entry[1]]);
      else out[i] = [entry[0], m.value];
    }
  }
  return out;
}

const text = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

function build(v: Value): FuzzRequest {
  const e = v.endpoint;
  const id =
    'real' in v.id ? (live.otpIds[v.id.real % live.otpIds.length] ?? 'AAAAAAAAAAAAAAAAAAAAAA') : v.id.fake;
  let path = e.path.replace(':id', id);
  const m = v.method ?? e.method;
  const params = applyMutations(e.params(), v);
  const where = mayHaveBody(m) ? (v.where ?? e.in) : 'query';

  const enc = (s: string) => (v.rawValues ? s : encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x')));
  const urlencoded = params.map(([k, val]) => `${enc(k)}=${enc(text(val))}`).join('&');
  const query = [
    where === 'query' ? urlencoded : '',
    ...(v.extraQuery ?? []).map(([k, bad]) => `${k}=${bad}`),
  ]
    .filter(Boolean)
    .join('&');
  if (query) path += `?${query}`;

  const headers: Record<string, string> = { ...(v.headers ?? {}) };
  if (v.accept !== undefined) headers.accept = v.accept;
  if (v.auth.kind === 'right' && e.auth) headers.authorization = e.auth();
  if (v.auth.kind === 'other') headers.authorization = v.auth.value;
  const cookies: string[] = [];
  if (v.cookies.startsWith('session') && e.session) cookies.push(live.sessionCookie);
  if (v.cookies.includes('hostile')) cookies.push(...v.hostile);
  if (cookies.length > 0) headers.cookie = cookies.join('; ');

  let body: Uint8Array | undefined;
  if (where === 'form') {
    body = Buffer.from(urlencoded, v.charset);
    headers['content-type'] = v.contentType ?? 'application/x-www-form-urlencoded';
  } else if (where === 'json') {
    // Numbers stay numbers; a duplicated key comes out once, as JSON objects have it.
    const object: Record<string, unknown> = {};
    for (const [k, val] of params) object[k] = /^\d+$/.test(text(val)) && k !== 'code' ? Number(val) : val;
    body = Buffer.from(JSON.stringify(object), v.charset);
    headers['content-type'] = v.contentType ?? 'application/json';
  } else if (where === 'other') {
    body = v.other;
    if (v.contentType !== null && v.contentType !== undefined) headers['content-type'] = v.contentType;
  }
  for (const [k, val] of Object.entries(headers)) headers[k] = headerSafe(val);
  if (headers['content-type'] === '') delete headers['content-type'];
  return { method: m, path: requestTarget(path), headers, body, label: `${e.method} ${e.path}` };
}

it(
  'answers every malformed API and OpenID Connect request below 500, without crashing',
  async () => {
    const tally = new Tally();
    const started = Date.now();
    const runs = await fuzz({
      file: 'test/fuzz/api.fuzz.test.ts',
      base: () => server.tg.url,
      arbitrary: value,
      build,
      numRuns: NUM_RUNS,
      tally,
      diagnose: () => JSON.stringify(server.errors.slice(0, 3), null, 1).slice(0, 3000),
      beforeBatch: async (run) => {
        if (run % REFRESH_EVERY === 0) await refresh();
      },
    });
    console.info(
      `api fuzz: ${tally.total} requests (${runs} runs) in ${Date.now() - started} ms; ${tally}\n${tally.routes()}`,
    );
    expect(tally.total).toBe(runs * BATCH);
    expect(watch.events).toEqual([]);
    expect(server.errors).toEqual([]);
    expect((await fetch(`${server.tg.url}/healthz`)).status).toBe(200);
    // Still serving real clients: a token, and a fresh OTP.
    await refresh();
    expect(live.accessToken).not.toBe('');
  },
  fuzzTimeout(NUM_RUNS),
);
