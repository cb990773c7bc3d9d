// Shared plumbing of the fuzz tests: a memory-store tollgate with every feature on (MFA with
// all four factors, the account page, the OTP API), a watch on the process for crashes, and a
// sender that runs a batch of malformed requests with bounded concurrency.
import { randomBytes } from 'node:crypto';
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
import { describeRequest, type FuzzRequest, HarnessBug, send } from './send.ts';

export { describeRequest, type FuzzRequest, HarnessBug, type Outcome, requestTarget, send } from './send.ts';

export const SVC_SECRET = 'svc-secret-0123456789abcdef';
export const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

/** How many requests each property run sends at once (the concurrency bound). */
export const BATCH = 8;

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
  // The receiver answers at once, but a fuzz batch lands all at once on a loaded 2-core machine:
  // with 1 s the webhook sometimes timed out, tollgate rightly answered 503 "could not send" and
  // the run failed for the harness's own reason (seed -778091443, path 252). 10 s is twice the
  // webhook default (5 s), headroom for a loaded machine.
  const webhook = { url: hooks.url, secret: WEBHOOK_SECRET, timeout_ms: 10_000, max_retries: 0 };
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

/** How long an exploring fuzz test keeps starting runs (`FUZZ_BUDGET_MS`), in ms. */
export const FUZZ_BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 40_000);

/**
 * The vitest timeout of a fuzz test: the time budget plus setup and the checks after it; a replay
 * makes every run, so it gets time by the run count.
 */
export const fuzzTimeout = (numRuns: number) =>
  process.env.FUZZ_SEED ? Math.max(120_000, numRuns * 300) : FUZZ_BUDGET_MS + 90_000;

/** Where a fuzz run starts: `FUZZ_SEED` (and `FUZZ_PATH`, one run of it) replay one. */
export interface FuzzStart {
  seed: number;
  /** fast-check's counterexample path: replays just that run (its batch) of the seed. */
  path?: string;
}

/** The seed from `FUZZ_SEED`, else a fresh random one (CI explores); `FUZZ_PATH` if set. */
export function fuzzStart(env: NodeJS.ProcessEnv = process.env): FuzzStart {
  const seed = env.FUZZ_SEED === undefined || env.FUZZ_SEED === '' ? randomSeed() : Number(env.FUZZ_SEED);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${env.FUZZ_SEED}`);
  return env.FUZZ_PATH ? { seed, path: env.FUZZ_PATH } : { seed };
}

/** A 32-bit signed seed, the kind fast-check prints. */
const randomSeed = () => randomBytes(4).readInt32LE(0);

/** The command that replays a run (of `file`, from the repository root). */
export const replayCommand = (file: string, start: FuzzStart) =>
  `FUZZ_SEED=${start.seed}${start.path ? ` FUZZ_PATH=${start.path}` : ''} npx vitest run ${file}`;

/**
 * The fuzz property: every request of a batch (sent all at once) gets an HTTP answer below 500,
 * within the timeout. `build` turns a generated value into a request (it may read live state).
 * The run prints its seed first; a failure says how to replay it. Returns how many runs it made
 * (fewer than `numRuns` when the time budget ran out first). A {@link HarnessBug} fails
 * the run as what it is, never as the server's answer.
 */
export async function fuzz<T>(options: {
  /** The test file, for the replay command. */
  file: string;
  base: () => string;
  arbitrary: fc.Arbitrary<T>;
  build: (value: T) => FuzzRequest;
  numRuns: number;
  tally: Tally;
  /** Extra detail for a failure message (the server's error log, say). */
  diagnose?: () => string;
  /** Called before each batch, e.g. to refresh interactions the fuzzer used up. */
  beforeBatch?: (run: number) => Promise<void>;
  /** Default: {@link fuzzStart} (the environment). */
  start?: FuzzStart;
  /**
   * Stop starting new runs after this long (a run that fails still fails). Exploring runs only:
   * a replay (`FUZZ_SEED` set, or `start` given) makes every run, so it reaches the same one.
   * @default FUZZ_BUDGET_MS, else {@link FUZZ_BUDGET_MS}
   */
  budgetMs?: number;
}): Promise<number> {
  const replay = options.start !== undefined || Boolean(process.env.FUZZ_SEED);
  const start = options.start ?? fuzzStart();
  // A path replays that one run (batch) of the seed, against a fresh server.
  const numRuns = start.path === undefined ? options.numRuns : 1;
  const budget = replay ? undefined : (options.budgetMs ?? FUZZ_BUDGET_MS);
  console.info(
    `fuzz ${options.file}: seed ${start.seed}, path ${start.path ?? `(up to ${numRuns} runs${budget ? ` or ${budget} ms` : ''})`}; replay: ${replayCommand(options.file, start)}`,
  );
  let run = 0;
  // On a loaded machine the run count, not the suite, gives way: past the budget the remaining
  // runs are generated but not sent (fast-check's own time limit would abandon a batch in flight).
  const deadline = budget === undefined ? undefined : Date.now() + budget;
  await fc.assert(
    fc.asyncProperty(fc.array(options.arbitrary, { minLength: BATCH, maxLength: BATCH }), async (values) => {
      if (deadline !== undefined && Date.now() > deadline) return;
      await options.beforeBatch?.(run++);
      const requests = values.map((v) => {
        try {
          return options.build(v);
        } catch (err) {
          throw new HarnessBug(`build() threw on a generated value: ${(err as Error).stack}`);
        }
      });
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
      numRuns,
      // Each run is a batch of live HTTP requests against a server whose state moves on:
      // shrinking would replay thousands of them and would not reproduce the same state.
      endOnFailure: true,
      seed: start.seed,
      ...(start.path === undefined ? {} : { path: start.path }),
      // The default report prints the whole counterexample (values of up to 100 KB): say what
      // failed instead, and how to replay it.
      asyncReporter: async (details) => {
        if (!details.failed) return;
        const error = details.errorInstance;
        const harness = error instanceof HarnessBug;
        const cause = error instanceof Error ? error.message : String(error);
        const replay = replayCommand(options.file, {
          seed: details.seed,
          path: details.counterexamplePath ?? undefined,
        });
        throw new Error(
          [
            harness
              ? `HARNESS BUG in test/fuzz (not a finding about the server), fuzz run ${details.numRuns}:`
              : `fuzz run ${details.numRuns} failed:`,
            `seed ${details.seed}, path ${details.counterexamplePath}; replay: ${replay}`,
            cause,
            harness ? '' : (options.diagnose?.() ?? ''),
          ].join('\n'),
        );
      },
    },
  );
  return run;
}
