import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Credential, CredentialStore } from '../src/factors/types.ts';

/*
 * Key layout (prefix omitted): cred:{accountId} is a hash, credential id -> JSON. One key per
 * account makes "every factor of this user" one HGETALL and "reset MFA" one DEL.
 * Single use of codes is not enforced here but with KeyValueStore.setIfAbsent, which is atomic.
 */

/** Credential store on Redis. */
export function createRedisCredentialStore(
  redis: Redis,
  options: { keyPrefix: string; now?: () => number },
): CredentialStore {
  const now = () => Math.floor((options.now ?? Date.now)() / 1000);
  const key = (accountId: string) => `${options.keyPrefix}cred:${accountId}`;
  const parse = (json: string | null | undefined) => (json ? (JSON.parse(json) as Credential) : undefined);

  const store: CredentialStore = {
    async create(input) {
      const credential: Credential = { ...input, id: randomUUID(), created_at: now() };
      await redis.hset(key(input.account_id), credential.id, JSON.stringify(credential));
      return credential;
    },
    async list(accountId) {
      const all = await redis.hgetall(key(accountId));
      return Object.values(all)
        .map((json) => JSON.parse(json) as Credential)
        .sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
    },
    async get(accountId, id) {
      return parse(await redis.hget(key(accountId), id));
    },
    async update(accountId, id, patch) {
      const current = await store.get(accountId, id);
      if (!current) return undefined;
      const next = { ...current, ...patch };
      await redis.hset(key(accountId), id, JSON.stringify(next));
      return next;
    },
    async delete(accountId, id) {
      return (await redis.hdel(key(accountId), id)) === 1;
    },
    async deleteAll(accountId, factor) {
      if (factor === undefined) {
        const n = await redis.hlen(key(accountId));
        await redis.del(key(accountId));
        return n;
      }
      const ids = (await store.list(accountId)).filter((c) => c.factor === factor).map((c) => c.id);
      if (ids.length === 0) return 0;
      return redis.hdel(key(accountId), ...ids);
    },
  };
  return store;
}
