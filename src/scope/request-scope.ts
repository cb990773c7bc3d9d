import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, Middleware, Next } from 'koa';

/*
 * One HTTP request's view of the store, so a login step waits for Redis as few times as it can:
 *
 * - Reads are shared. A step asks for the same account, credentials, pending login or record
 *   several times; inside a scope the first read is shared by every later one ({@link sharedRead}).
 *   A write through the same store drops (or replaces) the shared copy, so a read after a write
 *   sees the write. Reads a later step will need can be started early ({@link readAhead}), so
 *   they travel with the ones under way: commands sent while others are in flight share a round
 *   trip.
 * - Writes whose answer nothing in the request needs are sent at once and awaited together
 *   before the response leaves ({@link batchWrite}): oidc-provider's saves, a taken attempt given
 *   back, the factor used last. A failed one fails the request (fail closed, as an awaited write
 *   would), and the response built so far is dropped with the headers it set. Security state
 *   that decides the request (an attempt taken, a replay marker, a consumed code) is never
 *   batched: its callers await it where it is written.
 *
 * Outside a scope (the CLI, unit tests) reads go to the store every time and writes are awaited
 * where they are made.
 */

interface Scope {
  reads: Map<string, Promise<unknown>>;
  writes: Set<Promise<unknown>>;
}

const storage = new AsyncLocalStorage<Scope>();
const ignore = () => {};

/**
 * Runs `fn` (one HTTP request) in a request scope, or in the one already open: its shared reads,
 * and its batched writes awaited before it resolves. A failed write rejects it, after every
 * other write has settled.
 */
export function withRequestScope<T>(fn: () => Promise<T>): Promise<T> {
  return inScope(fn, ignore);
}

/** Runs `fn` in a new scope (or the open one); `onWriteFailure` runs before a failed write rejects. */
function inScope<T>(fn: () => Promise<T>, onWriteFailure: () => void): Promise<T> {
  if (storage.getStore()) return fn();
  const scope: Scope = { reads: new Map(), writes: new Set() };
  return storage.run(scope, async () => {
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      // The request's own error wins; its writes still settle before it is answered.
      await settleWrites(scope).catch(ignore);
      throw err;
    }
    try {
      await settleWrites(scope);
    } catch (err) {
      onWriteFailure();
      throw err;
    }
    return result;
  });
}

/** Awaits every batched write, those batched meanwhile too; rethrows the first failure. */
async function settleWrites(scope: Scope): Promise<void> {
  let failure: { reason: unknown } | undefined;
  while (scope.writes.size > 0) {
    const batch = [...scope.writes];
    scope.writes.clear();
    for (const r of await Promise.allSettled(batch)) {
      if (r.status === 'rejected') failure ??= { reason: r.reason };
    }
  }
  if (failure) throw failure.reason;
}

/**
 * Koa middleware: each request in its own scope. Place it inside the error handler, which then
 * renders a failed batched write like any other error; the headers the request had set by then
 * (a redirect carrying a code, a session cookie) are dropped first.
 */
export function requestScope(): Middleware {
  return (ctx: Context, next: Next) => {
    if (storage.getStore()) return next();
    const before = ctx.response.headers;
    return inScope(
      () => next(),
      () => {
        for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
        for (const [name, value] of Object.entries(before)) {
          if (value !== undefined) ctx.set(name, typeof value === 'number' ? String(value) : value);
        }
      },
    );
  };
}

/** True inside a request scope. */
export const inRequestScope = () => storage.getStore() !== undefined;

/**
 * `read()`, shared by every caller in this request that asks for the same `key`. A failed read is
 * not kept: the next caller tries again. Callers must not change what it resolves to.
 */
export function sharedRead<T>(key: string, read: () => Promise<T>): Promise<T> {
  const scope = storage.getStore();
  if (!scope) return read();
  const known = scope.reads.get(key) as Promise<T> | undefined;
  if (known) return known;
  const started = read();
  scope.reads.set(key, started);
  started.catch(() => {
    if (scope.reads.get(key) === started) scope.reads.delete(key);
  });
  return started;
}

/** The shared read of `key` under way or done in this request, if any. */
export function knownRead<T>(key: string): Promise<T> | undefined {
  return storage.getStore()?.reads.get(key) as Promise<T> | undefined;
}

/** Replaces the shared read of `key` with what a write of this request just stored. */
export function replaceRead(key: string, value: Promise<unknown>): void {
  const scope = storage.getStore();
  if (!scope) return;
  value.catch(ignore);
  scope.reads.set(key, value);
}

/** Drops the shared reads of `key`, or of every key starting with `key` when `prefix` is set. */
export function forgetRead(key: string, options: { prefix?: boolean } = {}): void {
  const reads = storage.getStore()?.reads;
  if (!reads) return;
  if (!options.prefix) {
    reads.delete(key);
    return;
  }
  for (const k of reads.keys()) if (k.startsWith(key)) reads.delete(k);
}

/**
 * Starts reads a later step of this request will ask for (through a {@link sharedRead}), so they
 * share the round trip of the reads under way. Does nothing outside a scope; a failure is left
 * to the step that asks.
 */
export function readAhead(start: () => Promise<unknown>): void {
  if (!storage.getStore()) return;
  start().catch(ignore);
}

/**
 * `read`, started now for a step that may await it later, or not at all: a failure surfaces where
 * it is awaited, and nowhere when it is not.
 */
export function earlyRead<T>(read: Promise<T>): Promise<T> {
  read.catch(ignore);
  return read;
}

/**
 * Sends `write` with the request's other writes: it is under way now, and the request awaits it
 * before its response leaves. Resolves at once inside a scope; outside, once `write` is done.
 * Only for writes whose outcome nothing later in the request depends on.
 */
export async function batchWrite(write: Promise<unknown>): Promise<void> {
  const scope = storage.getStore();
  if (!scope) {
    await write;
    return;
  }
  write.catch(ignore);
  scope.writes.add(write);
}
