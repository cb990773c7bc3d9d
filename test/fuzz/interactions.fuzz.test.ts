// Property: no malformed request to the login pages or the account page gets a 5xx, hangs, or
// crashes the process. Most requests carry a real interaction's uid and cookies (and often its
// CSRF token), so they get past the cookie check into the steps behind it.
import * as fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  accept,
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
  queryString,
  sometimes,
} from './arbitraries.ts';
import {
  BATCH,
  type FuzzRequest,
  type FuzzServer,
  fuzz,
  fuzzTimeout,
  requestTarget,
  startFuzzServer,
  Tally,
  watchProcess,
} from './harness.ts';
import { type AccountStage, buildStages, cookiesFor, PASSWORD, type Stage } from './stages.ts';

/** 800 batches of 8: 6,400 requests (FUZZ_RUNS=n for a longer local run, FUZZ_SEED / FUZZ_PATH to replay). */
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 800);
/** Interactions get used up (finished, aborted, closed after wrong codes): renew them this often. */
const REFRESH_EVERY = 40;

let server: FuzzServer;
const watch = watchProcess();
let pool: { stages: Stage[]; accounts: AccountStage[] } = { stages: [], accounts: [] };

beforeAll(async () => {
  server = await startFuzzServer();
});

afterAll(async () => {
  watch.dispose();
  await server?.stop();
});

type StageKind = Stage['kind'];

interface Route {
  /** `:uid`, `:factor` and `:cred` get filled in. */
  path: string;
  /** The method it usually gets. */
  method: string;
  /** Account pages use a signed-in session; the rest an interaction. */
  account?: boolean;
  /** Interactions at these steps get past the route's prompt check. */
  at?: StageKind[];
  /** How often it is picked, relative to 1. */
  weight: number;
}

const SECOND_FACTOR: StageKind[] = ['mfa', 'step-up', 'enrol'];

const ROUTES: Route[] = [
  { path: '/interaction/:uid', method: 'GET', weight: 4 },
  { path: '/interaction/:uid/login', method: 'POST', at: ['login'], weight: 5 },
  { path: '/interaction/:uid/consent', method: 'POST', at: ['consent'], weight: 4 },
  { path: '/interaction/:uid/abort', method: 'GET', weight: 1 },
  { path: '/interaction/:uid/mfa/:factor', method: 'GET', at: SECOND_FACTOR, weight: 3 },
  { path: '/interaction/:uid/mfa/:factor', method: 'POST', at: SECOND_FACTOR, weight: 6 },
  { path: '/interaction/:uid/mfa/:factor/resend', method: 'POST', at: SECOND_FACTOR, weight: 3 },
  { path: '/interaction/:uid/enrol/:factor', method: 'GET', at: ['enrol'], weight: 3 },
  { path: '/interaction/:uid/enrol/:factor', method: 'POST', at: ['enrol'], weight: 5 },
  { path: '/interaction/:uid/recovery/regenerate', method: 'POST', at: SECOND_FACTOR, weight: 2 },
  { path: '/interaction/:uid/reset', method: 'GET', at: ['login'], weight: 1 },
  { path: '/interaction/:uid/reset', method: 'POST', at: ['login'], weight: 2 },
  { path: '/interaction/:uid/reset/code', method: 'POST', at: ['login'], weight: 2 },
  { path: '/interaction/:uid/reset/password', method: 'POST', at: ['login'], weight: 2 },
  { path: '/auth/:uid', method: 'GET', weight: 2 },
  { path: '/account', method: 'GET', account: true, weight: 2 },
  { path: '/account/callback', method: 'GET', account: true, weight: 1 },
  { path: '/account/enrol/:factor/start', method: 'POST', account: true, weight: 3 },
  { path: '/account/enrol/:factor', method: 'POST', account: true, weight: 4 },
  { path: '/account/factors/:cred/remove', method: 'POST', account: true, weight: 4 },
  // Near-misses of real routes.
  { path: '/interaction', method: 'GET', weight: 0.25 },
  { path: '/interaction/', method: 'POST', weight: 0.25 },
  { path: '/interaction//login', method: 'POST', weight: 0.25 },
  { path: '/interaction/:uid/mfa', method: 'POST', weight: 0.25 },
  { path: '/interaction/:uid/mfa/:factor/resend/x', method: 'POST', weight: 0.25 },
  { path: '/interaction/:uid/../:uid/login', method: 'POST', at: ['login'], weight: 0.5 },
  { path: '/interaction/:uid/login/', method: 'POST', at: ['login'], weight: 0.5 },
  { path: '/account/factors//remove', method: 'POST', account: true, weight: 0.25 },
];

const route = fc.oneof(
  ...ROUTES.map((r) => ({ weight: Math.round(r.weight * 4), arbitrary: fc.constant(r) })),
);

/** Form fields with values that often make sense (codes, the real user) and often do not. */
const formPair: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constant('code'), fc.oneof(fc.stringMatching(/^\d{6}$/), evilString)) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('username'), fc.oneof(fc.constant('USER'), evilString)) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('password'), fc.oneof(fc.constant(PASSWORD), evilString)) },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom('remember', 'confirm', 'regenerate'),
      fc.oneof(fc.constant('1'), evilShort),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant('address'),
      fc.oneof(fc.constantFrom('+15551234567', 'x@example.test', '+1'), evilString),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant('verify_with'),
      fc.oneof(fc.constantFrom('totp', 'email', 'sms'), evilShort),
    ),
  },
  { weight: 2, arbitrary: fc.tuple(evilShort, evilString) },
);

const form = fc.array(formPair, { maxLength: 6 });

const value = fc.record({
  route,
  /** Use a live interaction / account session (and which), or garbage. */
  real: fc.integer({ min: 0, max: 9 }).map((n) => n < 7),
  stage: fc.nat(),
  /** Pick an interaction at the step the route expects (else any live one). */
  fitting: fc.integer({ min: 0, max: 9 }).map((n) => n < 8),
  uid: encoded(evilShort),
  factor: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('totp', 'recovery', 'email', 'sms') },
    { weight: 1, arbitrary: encoded(evilShort) },
  ),
  credential: fc.oneof(fc.constant(''), encoded(evilShort)),
  /** Mostly the route's own method. */
  method: sometimes(method, 25),
  query: sometimes(queryString(), 40),
  csrf: fc.constantFrom('valid', 'valid', 'valid', 'none', 'garbage', 'twice', 'array'),
  pairs: form,
  encodeMode: fc.constantFrom('encode', 'encode', 'raw'),
  /** Raw latin1 bytes put invalid UTF-8 (0x80-0xFF outside a sequence) into the body. */
  charset: fc.constantFrom<BufferEncoding>('utf8', 'utf8', 'utf8', 'latin1'),
  body: fc.constantFrom('form', 'form', 'form', 'form', 'form', 'form', 'form', 'form', 'json', 'other'),
  other: bodyBytes(fc.constant(''), fc.jsonValue({ maxDepth: 3 })),
  /** Mostly the type that matches the body. */
  contentType: sometimes(contentType, 15),
  accept,
  cookies: fc.constantFrom('real', 'real', 'real+hostile', 'hostile', 'none'),
  /** Send the live browser's cookies of every path (stale interactions' included). */
  allCookies: fc.boolean(),
  hostile: hostileCookies,
  headers: sometimes(extraHeaders, 25),
});

type Value = typeof value extends fc.Arbitrary<infer V> ? V : never;

function build(v: Value): FuzzRequest {
  const route = v.route;
  const fitting = pool.stages.filter((st) => route.at?.includes(st.kind));
  const stages = v.fitting && fitting.length > 0 ? fitting : pool.stages;
  const live = route.account
    ? pool.accounts[v.stage % pool.accounts.length]
    : stages[v.stage % stages.length];
  const real = v.real && live !== undefined;
  const uid = real && 'uid' in live ? live.uid : v.uid;
  const credentialIds = real && 'credentialIds' in live ? live.credentialIds : [];
  const credential =
    credentialIds.length > 0 && v.credential === ''
      ? (credentialIds[v.stage % credentialIds.length] as string)
      : v.credential;
  const fill: Record<string, string> = { ':uid': uid, ':factor': v.factor, ':cred': credential };
  let path = route.path.replace(/:uid|:factor|:cred/g, (m) => fill[m] ?? m);
  const csrf = real && live ? live.csrf : 'x';
  const m = v.method ?? route.method;

  const fields = v.pairs.map(([k, val]) => [
    k,
    k === 'username' && val === 'USER' && live ? live.username : val,
  ]);
  if (v.csrf === 'valid' || v.csrf === 'twice') fields.unshift(['csrf', csrf]);
  if (v.csrf === 'twice') fields.push(['csrf', csrf]);
  if (v.csrf === 'garbage') fields.unshift(['csrf', 'A'.repeat(43)]);
  if (v.csrf === 'array') fields.unshift(['csrf[]', csrf]);
  const enc = (s: string) =>
    v.encodeMode === 'raw' ? s : encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'));
  const formText = fields.map(([k, val]) => `${enc(k as string)}=${enc(val as string)}`).join('&');

  // The abort link carries its CSRF token in the query.
  const query = [
    route.path.endsWith('/abort') && v.csrf === 'valid' ? `csrf=${encodeURIComponent(csrf)}` : '',
    v.query ?? '',
  ]
    .filter(Boolean)
    .join('&');
  if (query) path += `?${query}`;

  const headers: Record<string, string> = { ...(v.headers ?? {}) };
  if (v.accept !== undefined) headers.accept = v.accept;
  const cookies: string[] = [];
  if (real && live && v.cookies.startsWith('real'))
    cookies.push(cookiesFor(live.cookies, path, v.allCookies));
  if (v.cookies === 'hostile' || v.cookies === 'real+hostile') cookies.push(...v.hostile);
  if (cookies.length > 0) headers.cookie = headerSafe(cookies.join('; '));

  let body: Uint8Array | undefined;
  if (mayHaveBody(m)) {
    if (v.body === 'form') {
      body = Buffer.from(formText, v.charset);
      headers['content-type'] = v.contentType ?? 'application/x-www-form-urlencoded';
    } else if (v.body === 'json') {
      body = Buffer.from(JSON.stringify(Object.fromEntries(fields)), v.charset);
      headers['content-type'] = v.contentType ?? 'application/json';
    } else {
      body = v.other;
      if (v.contentType !== null && v.contentType !== undefined) headers['content-type'] = v.contentType;
    }
  }
  for (const [k, val] of Object.entries(headers)) headers[k] = headerSafe(val);
  if (headers['content-type'] === '') delete headers['content-type'];
  return { method: m, path: requestTarget(path), headers, body, label: `${route.method} ${route.path}` };
}

it(
  'answers every malformed interaction and account request below 500, without crashing',
  async () => {
    const tally = new Tally();
    let generation = 0;
    const started = Date.now();
    const runs = await fuzz({
      file: 'test/fuzz/interactions.fuzz.test.ts',
      base: () => server.tg.url,
      arbitrary: value,
      build,
      numRuns: NUM_RUNS,
      tally,
      diagnose: () => JSON.stringify(server.errors.slice(0, 3), null, 1).slice(0, 3000),
      beforeBatch: async (run) => {
        if (run % REFRESH_EVERY === 0) pool = await buildStages(server.tg, generation++);
      },
    });
    // Visible in the test output: how many requests, and what they got.
    console.info(
      `interaction fuzz: ${tally.total} requests (${runs} runs) in ${Date.now() - started} ms; ${tally}\n${tally.routes()}`,
    );
    expect(tally.total).toBe(runs * BATCH);
    expect(watch.events).toEqual([]);
    expect(server.errors).toEqual([]);
    const health = await fetch(`${server.tg.url}/healthz`);
    expect(health.status).toBe(200);
    // The pipeline still works end to end after the barrage.
    const fresh = await buildStages(server.tg, generation);
    expect(fresh.stages).toHaveLength(6);
  },
  fuzzTimeout(NUM_RUNS),
);
