import type { KeyValueStore } from '../src/factors/types.ts';
import type { RedisClient } from './redis-client.ts';

/** Short-lived key-value state on Redis; every key under `{keyPrefix}kv:`. */
export function createRedisKeyValueStore(redis: RedisClient, options: { keyPrefix: string }): KeyValueStore {
  const k = (key: string) => `${options.keyPrefix}kv:${key}`;
  const ttl = (seconds: number) => Math.max(1, Math.ceil(seconds));
  return {
    async get(key) {
      return (await redis.get(k(key))) ?? undefined;
    },
    async set(key, value, ttlSeconds) {
      await redis.set(k(key), value, 'EX', ttl(ttlSeconds));
    },
    async setIfAbsent(key, value, ttlSeconds) {
      return (await redis.set(k(key), value, 'EX', ttl(ttlSeconds), 'NX')) === 'OK';
    },
    async delete(key) {
      await redis.del(k(key));
    },
  };
}
