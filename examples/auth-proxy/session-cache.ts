import type { Logger } from 'tollgate';
import { duplicateForSubscriber, type RedisClient } from 'tollgate/adapters/redis-client';

/**
 * A per-process cache of decoded sessions, so a proxied request needs no Redis round trip.
 * Every process subscribes to one invalidation channel; whoever changes a session publishes its
 * ticket hash there after the Redis write, and every process (itself included) evicts it.
 *
 * Fail closed: the cache answers only while the subscription is live. When the subscriber
 * connection drops, the cache is emptied and bypassed (every read goes to Redis, which answers
 * or fails as without a cache); once subscribed again it is emptied once more, because messages
 * sent meanwhile are lost, and used again. A subscriber that hangs without disconnecting cannot
 * be told apart from a quiet channel: entries then live at most `ttlMs` from their Redis read.
 */

/** Options of {@link createSessionCache}. */
export interface SessionCacheOptions {
  /** The proxy's Redis client: it publishes, and is duplicated for the subscriber connection. */
  redis: RedisClient;
  /** Prefix of the proxy's Redis keys; the channel is `{keyPrefix}proxy-session-invalidate`. */
  keyPrefix: string;
  /** Longest time an entry is used after the Redis read that produced it, in ms. */
  ttlMs: number;
  /** Most entries kept; the least recently used go first. @default 10000 */
  maxEntries?: number;
  /** @default Date.now */
  now?: () => number;
  logger?: Logger;
}

/** Decoded sessions by ticket hash, kept in step with every process through Redis pub/sub. */
export interface SessionCache<T> {
  /** True while invalidations are received, i.e. while the cache is used. */
  readonly ready: boolean;
  /** The cached value, else `fetch()`'s result, cached when no invalidation raced the fetch. */
  read(hash: string, fetch: () => Promise<T | undefined>): Promise<T | undefined>;
  /** Evicts `hash` here now (call after a failed write too: it may have happened anyway). */
  evict(hash: string): void;
  /** Evicts `hash` here and in every other process; call after the Redis write. Never throws. */
  changed(hash: string): Promise<void>;
  /** Closes the subscriber connection. */
  close(): Promise<void>;
}

export function createSessionCache<T>(options: SessionCacheOptions): SessionCache<T> {
  const { redis, ttlMs, logger } = options;
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const channel = `${options.keyPrefix}proxy-session-invalidate`;
  const entries = new Map<string, { value: T; until: number }>();
  // Why an epoch: a read may fetch old data from Redis, then an invalidation for it arrives (or is
  // made here) before the read finishes. Inserting that result would pin stale data that no
  // message will ever evict again. Every invalidation, and every change of subscription state,
  // bumps the epoch; a read inserts only when the epoch is the one it started under. So either
  // the Redis write came before the GET (the read saw it), or its message arrives after the
  // insert and evicts it, or it arrived during the read and the insert is skipped. That holds
  // because Redis delivers, in order, every message published while the subscription is live,
  // and a lost subscription also bumps the epoch.
  let epoch = 0;
  let ready = false;
  // Counts connections, so a SUBSCRIBE answered on a connection that is gone meanwhile is ignored.
  let connection = 0;
  let closed = false;

  const reset = () => {
    epoch++;
    entries.clear();
  };
  const evict = (hash: string) => {
    epoch++;
    entries.delete(hash);
  };
  const drop = (err?: Error) => {
    connection++;
    if (ready && !closed) {
      logger?.warn({ err: err?.message }, 'auth-proxy: session cache off until it is subscribed again');
    }
    ready = false;
    reset();
  };

  // Auto-resubscription is ours (on 'ready'), so the cache knows exactly when messages flow again.
  const subscriber = duplicateForSubscriber(redis, 'tollgate-proxy-invalidate');
  subscriber.on('message', (from: string, hash: string) => {
    if (from === channel) evict(hash);
  });
  subscriber.on('ready', () => {
    const mine = ++connection;
    subscriber.subscribe(channel).then(
      () => {
        if (mine !== connection || closed) return;
        reset();
        ready = true;
        logger?.info({ channel }, 'auth-proxy: session cache on (subscribed to invalidations)');
      },
      (err: Error) => logger?.warn({ err: err.message }, 'auth-proxy: session cache cannot subscribe'),
    );
  });
  // Connection errors are logged once, as the cache turns off (the client logs its own as well).
  subscriber.on('error', (err: Error) => drop(err));
  subscriber.on('close', () => drop());
  subscriber.on('end', () => drop());

  return {
    get ready() {
      return ready;
    },
    async read(hash, fetch) {
      if (ready) {
        const hit = entries.get(hash);
        if (hit && hit.until > now()) {
          // Map order is insertion order: re-inserting makes this the most recently used.
          entries.delete(hash);
          entries.set(hash, hit);
          return hit.value;
        }
        if (hit) entries.delete(hash);
      }
      const started = epoch;
      const readAt = now();
      const value = await fetch();
      if (value !== undefined && ready && epoch === started) {
        entries.delete(hash);
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(hash, { value: deepFreeze(value), until: readAt + ttlMs });
      }
      return value;
    },
    evict,
    async changed(hash) {
      evict(hash);
      // Best effort: the Redis write already happened, and a sign-out or back-channel logout
      // must finish its cleanup. A lost message leaves other processes stale for <= ttlMs.
      await redis
        .publish(channel, hash)
        .catch((err: Error) =>
          logger?.warn({ err: err.message }, 'auth-proxy: session change not published'),
        );
    },
    async close() {
      closed = true;
      drop();
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

/** Cached values are shared by every request: freeze them so no caller can change another's. */
function deepFreeze<V>(value: V): V {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
