import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../src/config/schema.ts';

/**
 * Options for {@link createRedisClient}.
 */
export interface RedisClientOptions {
  /** Connect on the first command (or `connect()`) instead of at construction. @default false */
  lazyConnect?: boolean;
}

/** Longest pause between reconnect attempts, in ms. */
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * A command gives up after this many ms, queued or in flight. Fail closed (SECURITY.md): a login
 * that cannot reach Redis must get an error quickly, not hang until the proxy in front times out.
 */
const COMMAND_TIMEOUT_MS = 2000;

/** One connection attempt (TCP + handshake) may take this long before it counts as failed. */
const CONNECT_TIMEOUT_MS = 2000;

/**
 * No reply at all for this long while commands are pending: the socket is a zombie (frozen
 * server, dropped route) that TCP would notice only minutes later, so drop it and reconnect.
 */
const SOCKET_TIMEOUT_MS = 5000;

/**
 * Opens the Redis connection described by the `store.redis` configuration block.
 *
 * Commands issued before the connection is ready are queued. Once Redis goes away, queued and
 * in-flight commands fail within about 2 s while the client keeps
 * reconnecting on its own with a capped backoff. `key_prefix` is NOT applied here: adapters
 * prefix their keys themselves, so Lua scripts see full key names.
 *
 * Attach an `error` listener: ioredis prints unhandled connection errors to stderr otherwise.
 * Errors never contain the password; do not log the `url` yourself.
 */
export function createRedisClient(config: RedisConfig, opts: RedisClientOptions = {}): Redis {
  const common: RedisOptions = {
    lazyConnect: opts.lazyConnect ?? false,
    // Queued commands are flushed with an error after this many failed reconnects; together
    // with commandTimeout this keeps a dead Redis from parking requests forever.
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 100, MAX_RECONNECT_DELAY_MS),
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    connectionName: 'tollgate',
  };
  if (config.sentinel) {
    const { name, nodes, password, sentinel_password } = config.sentinel;
    return new Redis({
      ...common,
      name,
      sentinels: nodes.map(({ host, port }) => ({ host, port })),
      password,
      sentinelPassword: sentinel_password,
      sentinelRetryStrategy: (times) => Math.min(times * 100, MAX_RECONNECT_DELAY_MS),
    });
  }
  if (config.url) {
    return new Redis(config.url, common);
  }
  // The schema refuses this, but a hand-built config object could still get here.
  throw new Error('store.redis needs either `url` or `sentinel`');
}

/**
 * Joins a key prefix (which carries its own trailing separator, e.g. `tollgate:`) and key parts
 * with `:`: `redisKey('tollgate:', 'grant', id)` is `tollgate:grant:<id>`.
 */
export function redisKey(prefix: string, ...parts: string[]): string {
  return prefix + parts.join(':');
}
