import type { Redis } from 'ioredis';
import type {
  Account,
  AccountPatch,
  AccountRecord,
  AccountStore,
  NewAccount,
} from '../src/accounts/types.ts';
import { newAccountRecord, normalizeUsername, toAccount } from '../src/accounts/types.ts';
import { AccountError } from '../src/errors.ts';

/*
 * Key layout (prefix omitted):
 *   account:{id}         hash, one field per account attribute (groups as JSON)
 *   account:usernames    hash, normalised username -> id (uniqueness and listing)
 * A hash per account lets an update touch only the fields it changes, atomically.
 */

// Creates the account only if the username is free: KEYS[1]=usernames, KEYS[2]=account key.
const CREATE = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
return 1`;

// Patches an existing account: ARGV = n_set, field, value, ..., fields to delete...
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[1])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + n * 2)) end
if #ARGV > 1 + n * 2 then redis.call('HDEL', KEYS[1], unpack(ARGV, 2 + n * 2)) end
return 1`;

// Removes an account and its username entry, if the entry still names it: KEYS[1]=usernames,
// KEYS[2]=account key, ARGV[1]=id.
const DELETE = `
local username = redis.call('HGET', KEYS[2], 'username')
if not username then return 0 end
if redis.call('HGET', KEYS[1], username) == ARGV[1] then redis.call('HDEL', KEYS[1], username) end
redis.call('DEL', KEYS[2])
return 1`;

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
  redis: Redis,
  options: { keyPrefix: string; now?: () => number },
): AccountStore {
  const now = () => Math.floor((options.now ?? Date.now)() / 1000);
  const usernamesKey = `${options.keyPrefix}account:usernames`;
  const accountKey = (id: string) => `${options.keyPrefix}account:${id}`;

  async function findById(id: string) {
    return decode(await redis.hgetall(accountKey(id)));
  }

  return {
    async create(input: NewAccount): Promise<Account> {
      const record = newAccountRecord(input, now());
      const { username } = record;
      const created = await redis.eval(
        CREATE,
        2,
        usernamesKey,
        accountKey(record.id),
        username,
        record.id,
        ...flatten({ ...record }),
      );
      if (created !== 1) throw new AccountError('account_exists', `account ${username} already exists`);
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
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hgetall(accountKey(id));
      const results = (await pipeline.exec()) ?? [];
      return results
        .map(([err, fields]) => (err ? undefined : decode(fields as Record<string, string>)))
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
      return (await redis.eval(DELETE, 2, usernamesKey, accountKey(id), id)) === 1;
    },
    async count() {
      return redis.hlen(usernamesKey);
    },
  };
}
