import { randomUUID } from 'node:crypto';
import type { Credential, CredentialStore } from '../src/factors/types.ts';
import type { RedisClient } from './redis-client.ts';
import { accountKeys } from './redis-layout.ts';

/*
 * Key layout (adapters/redis-layout.ts, prefix omitted): cred:{accountId} is a hash, credential id -> JSON. One key per
 * account makes "every factor of this user" one HGETALL and "reset MFA" one DEL.
 * Single use of codes is not enforced here but with KeyValueStore.setIfAbsent, which is atomic.
 */

/**
 * Compare-and-set of one credential: KEYS[1] the account's hash, ARGV credential id, the JSON
 * the update was computed from, the new JSON. Writes only over exactly that JSON, so an update
 * never re-creates a credential deleted meanwhile (issue 15.7: regenerated recovery codes next
 * to the old set) nor overwrites a change it did not see. 1 written, 0 gone, -1 changed.
 */
const SWAP = `local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
if current ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

/** Compare-and-set rounds before an update gives up on a credential changing under it. */
const MAX_SWAP_ROUNDS = 16;

/** Credential store on Redis. */
export function createRedisCredentialStore(
  redis: RedisClient,
  options: { keyPrefix: string; now?: () => number },
): CredentialStore {
  const now = () => Math.floor((options.now ?? Date.now)() / 1000);
  const key = accountKeys(options.keyPrefix).credentials;
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
    async update(accountId, id, patch, options) {
      // The caller's copy is tried first: when it is what the hash holds (JSON.stringify of a
      // parsed record gives the stored text back), the update is one script and no read.
      let known = options?.current?.id === id ? JSON.stringify(options.current) : undefined;
      for (let round = 0; round < MAX_SWAP_ROUNDS; round++) {
        const raw = known ?? (await redis.hget(key(accountId), id));
        known = undefined;
        if (raw === null) return undefined;
        const next: Credential = { ...(JSON.parse(raw) as Credential), ...patch };
        const swapped = await redis.eval(SWAP, 1, key(accountId), id, raw, JSON.stringify(next));
        if (swapped === 1) return next;
        if (swapped === 0) return undefined;
      }
      throw new Error(`credential ${id} kept changing: update not applied`);
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
