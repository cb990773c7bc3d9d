import type {
  Account,
  AccountPatch,
  AccountRecord,
  AccountStore,
  NewAccount,
} from '../src/accounts/types.ts';
import { newAccountRecord, normalizeUsername, toAccount } from '../src/accounts/types.ts';
import { AccountError } from '../src/errors.ts';
import type { RedisClient } from './redis-client.ts';
import { accountKeys, assertKeyPrefix } from './redis-layout.ts';

/*
 * Key layout (adapters/redis-layout.ts, prefix omitted):
 *   account:{id}         hash, one field per account attribute (groups as JSON)
 *   account:usernames    hash, normalised username -> id (uniqueness and listing)
 * A hash per account lets an update touch only the fields it changes, atomically. The account
 * hash and the username entry are on different Cluster slots, so no script touches both:
 * create writes the account, then claims the username (HSETNX); delete removes the account,
 * then frees its username. A username whose account is gone (a crash between the two steps)
 * is free again: the next create takes it over.
 */

// Patches an existing account: ARGV = n_set, field, value, ..., fields to delete...
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[1])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + n * 2)) end
if #ARGV > 1 + n * 2 then redis.call('HDEL', KEYS[1], unpack(ARGV, 2 + n * 2)) end
return 1`;

// Removes an account: KEYS[1]=account key. Returns its username, false when there was none.
const DELETE = `
local username = redis.call('HGET', KEYS[1], 'username')
if not username then return false end
redis.call('DEL', KEYS[1])
return username`;

// Sets a hash field only while it holds the expected value: KEYS[1]=usernames, ARGV = field,
// expected, new value ('' = delete the field). 1 when changed.
const SWAP_FIELD = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[3] == '' then return redis.call('HDEL', KEYS[1], ARGV[1]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

/** Rounds of "the username's account is gone, take it over" before create gives up. */
const MAX_CLAIM_ROUNDS = 4;

function encode(value: unknown): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

const BOOLEAN_FIELDS = new Set(['disabled', 'email_verified', 'phone_verified']);
const NUMBER_FIELDS = new Set(['created_at', 'updated_at', 'sessions_not_before']);

function decode(fields: Record<string, string>): AccountRecord | undefined {
  if (!fields.id) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (BOOLEAN_FIELDS.has(k)) out[k] = v === '1';
    else if (NUMBER_FIELDS.has(k)) out[k] = Number(v);
    else if (k === 'groups') out[k] = JSON.parse(v) as string[];
    else out[k] = v;
  }
  return out as unknown as AccountRecord;
}

function flatten(obj: Record<string, unknown>): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (v === undefined ? [] : [k, encode(v)]));
}

/** Account store on Redis; `keyPrefix` is the deployment's prefix (e.g. `tollgate:`). */
export function createRedisAccountStore(
  redis: RedisClient,
  options: { keyPrefix: string; now?: () => number },
): AccountStore {
  const now = () => Math.floor((options.now ?? Date.now)() / 1000);
  assertKeyPrefix(options.keyPrefix);
  const keys = accountKeys(options.keyPrefix);
  const usernamesKey = keys.usernames;
  const accountKey = keys.account;

  /** Claims `username` for `id`: true when it is ours, false when a live account has it. */
  async function claim(username: string, id: string): Promise<boolean> {
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      if ((await redis.hsetnx(usernamesKey, username, id)) === 1) return true;
      const owner = await redis.hget(usernamesKey, username);
      if (owner === null) continue;
      if ((await redis.exists(accountKey(owner))) === 1) return false;
      if ((await redis.eval(SWAP_FIELD, 1, usernamesKey, username, owner, id)) === 1) return true;
    }
    return false;
  }

  async function findById(id: string) {
    return decode(await redis.hgetall(accountKey(id)));
  }

  return {
    async create(input: NewAccount): Promise<Account> {
      const record = newAccountRecord(input, now());
      const { username } = record;
      // The account first, under its fresh id: a username never names a half-written account.
      await redis.hset(accountKey(record.id), ...flatten({ ...record }));
      if (!(await claim(username, record.id))) {
        await redis.del(accountKey(record.id));
        throw new AccountError('account_exists', `account ${username} already exists`);
      }
      return toAccount(record);
    },
    findById,
    async findByUsername(username) {
      const id = await redis.hget(usernamesKey, normalizeUsername(username));
      return id ? findById(id) : undefined;
    },
    async list() {
      const ids = Object.values(await redis.hgetall(usernamesKey));
      if (ids.length === 0) return [];
      // One HGETALL per account, sent together (on a Cluster, grouped per node).
      const results = await Promise.all(
        ids.map((id) => redis.hgetall(accountKey(id)).catch(() => undefined)),
      );
      return results
        .map((fields) => (fields ? decode(fields) : undefined))
        .filter((r): r is AccountRecord => r !== undefined)
        .map(toAccount)
        .sort((a, b) => a.username.localeCompare(b.username));
    },
    async update(id, patch: AccountPatch) {
      const set = { ...patch, updated_at: now() } as Record<string, unknown>;
      const toDelete = Object.keys(patch).filter((k) => patch[k as keyof AccountPatch] === undefined);
      const pairs = flatten(set);
      const ok = await redis.eval(UPDATE, 1, accountKey(id), pairs.length / 2, ...pairs, ...toDelete);
      if (ok !== 1) throw new AccountError('account_not_found', `no account with id ${id}`);
      const record = await findById(id);
      if (!record) throw new AccountError('account_not_found', `no account with id ${id}`);
      return toAccount(record);
    },
    async delete(id) {
      const username = await redis.eval(DELETE, 1, accountKey(id));
      if (typeof username !== 'string') return false;
      // Frees the username only while it still names this account.
      await redis.eval(SWAP_FIELD, 1, usernamesKey, username, id, '');
      return true;
    },
    async count() {
      return redis.hlen(usernamesKey);
    },
  };
}
