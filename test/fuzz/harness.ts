// Shared plumbing of the fuzz tests: a memory-store tollgate with every feature on (MFA with
// all four factors, the account page, the OTP API), a watch on the process for crashes, and a
// sender that runs a batch of malformed requests with bounded concurrency.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Writable } from 'node:stream';
import * as fc from 'fast-check';
import { createLogger } from '../../src/log.ts';
import {
  API_SECRET,
  APP_SECRET,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

export const SVC_SECRET = 'svc-secret-0123456789abcdef';
export const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

/** How many requests each property run sends at once (the concurrency bound). */
export const BATCH = 8;

/** One malformed request, as fetch will send it. */
export interface FuzzRequest {
  method: string;
  /** Path and query, possibly with invalid percent-escapes; resolved against the server URL. */
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Which route template it came from, for the per-route summary. */
  label?: string;
}

/** A server-side error logged at level error or above (a 5xx hidden behind a 4xx would show here). */
export interface LoggedError {
  event?: string;
  path?: string;
  msg?: string;
  err?: { message?: string; stack?: string };
}

export interface FuzzServer {
  tg: RunningTollgate;
  /** Receives email and SMS codes (answers 200 at once). */
  hooks: WebhookReceiver;
  errors: LoggedError[];
  stop(): Promise<void>;
}

const client = (client_id: string, mfa: unknown, extra: Record<string, unknown> = {}) => ({
  client_id,
  client_secret: APP_SECRET,
  redirect_uris: [RP_CALLBACK],
  first_party: true,
  mfa,
  ...extra,
});

/** tollgate on the memory store with every route live; error-level logs are collected. */
export async function startFuzzServer(overrides: Record<string, unknown> = {}): Promise<FuzzServer> {
  const errors: LoggedError[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        const entry = JSON.parse(line) as LoggedError & { level: number };
        if (entry.level >= 50) errors.push(entry);
      }
      callback();
    },
  });
  const hooks = await startWebhookReceiver(WEBHOOK_SECRET, [200]);
  const webhook = { url: hooks.url, secret: WEBHOOK_SECRET, timeout_ms: 1000, max_retries: 0 };
  const tg = await startTollgate({
    logger: createLogger('error', sink),
    overrides: {
      delivery: { email: { webhook }, sms: { webhook } },
      otp: {
        hmac_key: randomBytes(32).toString('base64'),
        resend_cooldown: 5,
        api_limits: { per_address: 1000, per_ip: 100_000, per_client: 100_000 },
      },
      mfa: {
        factors: ['totp', 'recovery', 'email', 'sms'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
        // Fuzzing sends many wrong codes from one IP: keep the IP limit from closing every route.
        regulation: { max_failures: 99, max_failures_per_ip: 1000 },
      },
      clients: [
        client('app', 'off', { post_logout_redirect_uris: ['http://127.0.0.1:9/logged-out'] }),
        client('mfa-app', { policy: 'required', remember_browser_days: 30 }),
        client('optional-app', 'optional'),
        {
          client_id: 'third-party',
          client_secret: APP_SECRET,
          redirect_uris: [RP_CALLBACK],
        },
        { client_id: 'public-app', redirect_uris: [RP_CALLBACK] },
        {
          client_id: 'api',
          client_secret: API_SECRET,
          grant_types: ['client_credentials'],
          resource_server: true,
        },
        { client_id: 'svc', client_secret: SVC_SECRET, grant_types: ['client_credentials'], otp_api: true },
        { client_id: 'nosvc', client_secret: SVC_SECRET, grant_types: ['client_credentials'] },
      ],
      ...overrides,
    },
  });
  return {
    tg,
    hooks,
    errors,
    async stop() {
      await tg.stop();
      await hooks.stop();
    },
  };
}

/** Records every unhandledRejection / uncaughtException while the tests run. */
export function watchProcess() {
  const events: { kind: string; error: unknown }[] = [];
  const onRejection = (error: unknown) => events.push({ kind: 'unhandledRejection', error });
  const onException = (error: unknown) => events.push({ kind: 'uncaughtException', error });
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    events,
    dispose() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/** What one request got: a status, or a transport error (a reset, or no answer in time). */
export interface Outcome {
  status: number;
  error?: string;
}

/** How long one request may take before it counts as a hang. */
const REQUEST_TIMEOUT_MS = 10_000;

/** Sends one request without following redirects and reads the whole response body. */
export async function send(base: string, req: FuzzRequest): Promise<Outcome> {
  try {
    const res = await fetch(new URL(req.path, base), {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return { status: res.status };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    // undici refuses response headers over 16 KB. A redirect can carry that much (oidc-provider
    // echoes `state`, percent-encoded, into Location): that is not a failure, so read the status
    // with a client that takes bigger headers.
    if (cause?.code === 'UND_ERR_HEADERS_OVERFLOW') return sendWithLargeHeaders(base, req);
    return {
      status: 0,
      error: `${(err as Error).name}: ${(err as Error).message} ${cause?.code ?? ''} ${cause?.message ?? ''}`,
    };
  }
}

/** {@link send} over node:http, which accepts up to 1 MB of response headers. */
function sendWithLargeHeaders(base: string, req: FuzzRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    const url = new URL(req.path, base);
    const request = http.request(
      url,
      { method: req.method, headers: req.headers, maxHeaderSize: 1 << 20, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (err) => resolve({ status: 0, error: `node:http ${err.message}` }));
    request.end(req.body);
  });
}

/** Counts of what the fuzzer got back, for the test's own summary. */
export class Tally {
  total = 0;
  readonly byStatus = new Map<number, number>();
  readonly byLabel = new Map<string, Map<number, number>>();
  add(status: number, label = '') {
    this.total += 1;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    const row = this.byLabel.get(label) ?? new Map<number, number>();
    row.set(status, (row.get(status) ?? 0) + 1);
    this.byLabel.set(label, row);
  }
  /** One line per route template: how its requests were answered. */
  routes() {
    const line = (m: Map<number, number>) =>
      [...m.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}:${n}`)
        .join(' ');
    return [...this.byLabel.entries()].map(([label, m]) => `  ${label.padEnd(44)} ${line(m)}`).join('\n');
  }
  toString() {
    return [...this.byStatus.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}:${n}`)
      .join(' ');
  }
}

/** A short description of a request for failure messages (bodies and long values cut). */
export function describeRequest(req: FuzzRequest): string {
  // Head and tail: a long path still shows its query.
  const cut = (s: string) =>
    s.length > 300 ? `${s.slice(0, 150)}...(${s.length} chars)...${s.slice(-150)}` : s;
  const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${cut(v)}`);
  const body = req.body ? cut(Buffer.from(req.body).toString('latin1')) : '(none)';
  return `${req.method} ${cut(req.path)}\n  ${headers.join('\n  ')}\n  body: ${body}`;
}

/** Methods HTTP defines for origin servers like this one (RFC 9110 section 9 and RFC 5789). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/**
 * Below 500, with one exception HTTP prescribes: a method the server does not recognise at all
 * (MKCOL, FOO) "SHOULD" get 501 Not Implemented (RFC 9110 section 9.1); koa-router does that.
 */
export function acceptable(req: FuzzRequest, status: number): boolean {
  if (status === 501 && !KNOWN_METHODS.has(req.method)) return true;
  return status > 0 && status < 500;
}

/**
 * The fuzz property: every request of a batch (sent all at once) gets an HTTP answer below 500,
 * within the timeout. `build` turns a generated value into a request (it may read live state).
 */
export async function fuzz<T>(options: {
  base: () => string;
  arbitrary: fc.Arbitrary<T>;
  build: (value: T) => FuzzRequest;
  numRuns: number;
  tally: Tally;
  /** Extra detail for a failure message (the server's error log, say). */
  diagnose?: () => string;
  /** Called before each batch, e.g. to refresh interactions the fuzzer used up. */
  beforeBatch?: (run: number) => Promise<void>;
  seed?: number;
}): Promise<void> {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(options.arbitrary, { minLength: BATCH, maxLength: BATCH }), async (values) => {
      await options.beforeBatch?.(run++);
      const requests = values.map(options.build);
      const outcomes = await Promise.all(requests.map((r) => send(options.base(), r)));
      outcomes.forEach((outcome, i) => {
        options.tally.add(outcome.status, requests[i]?.label);
        if (!acceptable(requests[i] as FuzzRequest, outcome.status)) {
          throw new Error(
            `${outcome.status} ${outcome.error ?? ''} for\n${describeRequest(requests[i] as FuzzRequest)}`,
          );
        }
      });
    }),
    {
      numRuns: options.numRuns,
      // Each run is a batch of live HTTP requests against a server whose state moves on:
      // shrinking would replay thousands of them and would not reproduce the same state.
      endOnFailure: true,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      // The default report prints the whole counterexample (values of up to 100 KB): say what
      // failed instead, with the seed to replay it (FUZZ_SEED).
      asyncReporter: async (details) => {
        if (!details.failed) return;
        const cause =
          details.errorInstance instanceof Error
            ? details.errorInstance.message
            : String(details.errorInstance);
        throw new Error(
          `fuzz run ${details.numRuns} failed (seed ${details.seed}, path ${details.counterexamplePath}):\n${cause}\n${options.diagnose?.() ?? ''}`,
        );
      },
    },
  );
}
