/**
 * What a failed request means. Only a dependency that cannot be reached (a network error, a
 * timeout, the session store failing, the provider answering 5xx) is "temporarily unavailable"
 * (503, retry later). Anything else thrown while handling a request is a bug: it is a 500 with
 * an error log line carrying the stack, so it is seen and fixed instead of hiding among outages.
 * Both fail closed: nothing is passed upstream.
 */
import type { KeyValueStore, Logger } from 'tollgate';
import type { Locks } from './sessions.ts';

/** A dependency (session store, provider) failed; the request may succeed later. */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
  /** Which dependency: `session store` or `provider`. */
  readonly dependency: string;
  constructor(dependency: string, options?: ErrorOptions) {
    super(`${dependency} unavailable`, options);
    this.dependency = dependency;
  }
}

// Socket and DNS errors of node:net / undici: the peer is down or unreachable.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  // jose's remote JWKS fetch (back-channel logout tokens)
  'ERR_JWKS_TIMEOUT',
]);

/** The error and its `cause` chain (fetch wraps socket errors: `TypeError: fetch failed`). */
function* chain(err: unknown): Generator<Record<string, unknown>> {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    yield current as Record<string, unknown>;
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * True for a failure of a dependency, not of our code: {@link UnavailableError}, a network or
 * DNS error anywhere in the cause chain, a timeout or abort, or an HTTP 5xx answer.
 */
export function isUnavailable(err: unknown): boolean {
  for (const link of chain(err)) {
    if (link instanceof UnavailableError) return true;
    if (typeof link.code === 'string' && NETWORK_CODES.has(link.code)) return true;
    if (link.name === 'TimeoutError' || link.name === 'AbortError') return true;
    // openid-client's ResponseBodyError carries `status`; an unexpected answer has the Response as cause.
    if (typeof link.status === 'number' && link.status >= 500) return true;
  }
  return false;
}

/** Runs a store call; any failure of it is an {@link UnavailableError} (I/O, never our bug). */
async function storeCall<R>(run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (err) {
    throw new UnavailableError('session store', { cause: err });
  }
}

/** The same store, with every failure turned into an {@link UnavailableError}. */
export function guardStore(kv: KeyValueStore): KeyValueStore {
  return {
    get: (key) => storeCall(() => kv.get(key)),
    set: (key, value, ttl) => storeCall(() => kv.set(key, value, ttl)),
    setIfAbsent: (key, value, ttl) => storeCall(() => kv.setIfAbsent(key, value, ttl)),
    delete: (key) => storeCall(() => kv.delete(key)),
  };
}

/** The same locks, with every failure turned into an {@link UnavailableError}. */
export function guardLocks(locks: Locks): Locks {
  return {
    acquire: (key, ttlMs) => storeCall(() => locks.acquire(key, ttlMs)),
    release: (key, token) => storeCall(() => locks.release(key, token)),
  };
}

/**
 * The status for an error thrown while handling a request, logged: 503 for an unavailable
 * dependency (warn, message only), 500 for anything else (error, with the stack).
 */
export function failureStatus(
  err: unknown,
  logger: Logger,
  context: Record<string, unknown> = {},
): 500 | 503 {
  if (isUnavailable(err)) {
    logger.warn({ ...context, err: (err as Error)?.message }, 'auth-proxy: dependency unavailable');
    return 503;
  }
  logger.error({ ...context, err }, 'auth-proxy: internal error (a bug): answered 500');
  return 500;
}
