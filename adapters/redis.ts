import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import {
  ACCOUNT_INDEX_MAX,
  ACCOUNT_INDEXED_MODELS,
  type AccountIndexEntry,
  type AccountIndexedAdapter,
  indexEntry,
} from './account-index.ts';
import { CONSUMABLE_MODELS, DEFAULT_CLOCK_TOLERANCE, storageTtl } from './memory.ts';

/*
 * oidc-provider storage on Redis. Key layout (P = keyPrefix, e.g. "tollgate:"):
 *
 *   P{Model}:{id}             JSON string of the payload; consumable models carry their consumed
 *                             stamp as its first key: {"consumed":<epoch s>,...}
 *   Puid:{Model}:{uid}        string -> id (Session), same TTL as the record
 *   PuserCode:{Model}:{code}  string -> id (DeviceCode), same TTL as the record
 *   Pgrant:{grantId}          sorted set of record keys without P ("AccessToken:{id}") scored by
 *                             their expiry (epoch ms, Redis clock); expires with its last member
 *   PbyAccount:{accountId}    sorted set of the account's Session and Grant record keys without P,
 *                             scored the same way, at most ACCOUNT_INDEX_MAX (adapters/account-index.ts)
 *
 * Records leave out what their key already says: a payload whose `kind` is the model name and
 * whose `jti` is the id (every payload oidc-provider saves) is stored without both, followed by a
 * newline, and read back with both. Any other payload is stored as given, without the newline.
 *
 * Every write and every multi-key read is one Lua script: atomic, one round trip, and the
 * scores use Redis's own clock, so several tollgate processes with skewed clocks cannot let a
 * grant index expire before its tokens (which would make revokeByGrantId miss them).
 *
 * Scripts touch keys they derive from stored data (index -> record, grant -> members), so this
 * layout is for standalone or Sentinel Redis, not Redis Cluster. Consume needs SET KEEPTTL
 * (Redis >= 6).
 */

/** Options for {@link createRedisAdapter}. */
export interface RedisAdapterOptions {
  /** Prepended to every key; carries its own separator. */
  keyPrefix: string;
  /** Seconds a record outlives its `expiresIn`. @default 15 */
  clockTolerance?: number;
}

interface LuaScript {
  lua: string;
  sha: string;
}

function script(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Ends a record stored without its `kind` and `jti`. JSON allows trailing whitespace, so the
 * value still decodes as is (JSON.parse, cjson in DESTROY).
 */
const STRIPPED = '\n';

/** The consumed stamp at the head of a stored record: the only `consumed` that counts. */
const STAMP = /^\{"consumed":(\d+)[,}]/;

/**
 * `now`: milliseconds since the epoch on the Redis server's clock. `int()`: Lua turns numbers
 * into strings with 14 significant digits, which would round epoch milliseconds one day.
 */
const LUA_NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function int(n) return string.format('%d', n) end`;

/**
 * `STAMP`: matches the consumed stamp of a stored record (as {@link STAMP}). `stamped(raw, s)`:
 * the record JSON `raw` with stamp `s` as its first key, replacing a stamp it already has; an
 * empty object `{}` gets no trailing comma.
 */
const LUA_STAMP = `local STAMP = '^{"consumed":(%d+)[,}]'
local function stamped(raw, s)
  local rest = string.match(raw, '^{"consumed":%d+([,}].*)$')
  if not rest then
    rest = string.sub(raw, 2)
    if string.sub(rest, 1, 1) ~= '}' then rest = ',' .. rest end
  end
  return '{"consumed":' .. s .. rest
end`;

/**
 * KEYS: record, then ARGV[5] index keys, then the grant key when ARGV[6] == '1', then the account
 * index key when ARGV[8] == '1'.
 * ARGV: record JSON, id, ttl seconds ('0' = none), consumable '1' | '0', index key count, has
 * grant, member (the record key without the prefix), has account index, account index cap.
 */
const UPSERT = script(`${LUA_NOW_MS}
${LUA_STAMP}
local record, payload, id, ttl = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
if ARGV[4] == '1' then
  -- Keep an existing stamp: a save racing a consume must not un-consume.
  local old = redis.call('GET', record)
  local stamp = old and string.match(old, STAMP)
  if stamp then payload = stamped(payload, stamp) end
end
if ttl > 0 then redis.call('SET', record, payload, 'EX', ttl) else redis.call('SET', record, payload) end
local indexes = tonumber(ARGV[5])
for i = 2, indexes + 1 do
  if ttl > 0 then redis.call('SET', KEYS[i], id, 'EX', ttl) else redis.call('SET', KEYS[i], id) end
end
-- Adds the record to a sorted set scored by its expiry, drops expired members (and, past max,
-- the soonest-expiring ones), and lets the set expire with its last member.
local function track(set, max)
  local score = '+inf'
  if ttl > 0 then score = int(now + ttl * 1000) end
  redis.call('ZADD', set, score, ARGV[7])
  redis.call('ZREMRANGEBYSCORE', set, '-inf', '(' .. int(now))
  if max > 0 then
    local over = redis.call('ZCARD', set) - max
    if over > 0 then redis.call('ZREMRANGEBYRANK', set, 0, over - 1) end
  end
  local last = redis.call('ZRANGE', set, -1, -1, 'WITHSCORES')
  if last[2] == 'inf' then
    redis.call('PERSIST', set)
  elseif last[2] then
    redis.call('PEXPIREAT', set, int(math.ceil(tonumber(last[2]))))
  end
end
local at = indexes + 2
if ARGV[6] == '1' then
  track(KEYS[at], 0)
  at = at + 1
end
if ARGV[8] == '1' then track(KEYS[at], tonumber(ARGV[9])) end
return 1`);

/**
 * KEYS: record. Stamps 'consumed' once, and only on a record that exists (no TTL-less stub);
 * KEEPTTL leaves the record's expiry as it was.
 */
const CONSUME = script(`${LUA_STAMP}
local raw = redis.call('GET', KEYS[1])
if not raw or string.match(raw, STAMP) then return 0 end
local t = redis.call('TIME')
redis.call('SET', KEYS[1], stamped(raw, t[1]), 'KEEPTTL')
return 1`);

/** KEYS: index key. ARGV: record key prefix. Returns {record JSON, id}. */
const FIND_BY_INDEX = script(`local id = redis.call('GET', KEYS[1])
if not id then return nil end
local raw = redis.call('GET', ARGV[1] .. id)
if not raw then return nil end
return { raw, id }`);

/**
 * KEYS: record. ARGV: id, uid index prefix, userCode index prefix, grant prefix, member, account
 * index prefix ('' = this model is not indexed by account).
 * Reads the payload to find its index entries; an index is deleted only while it still points
 * at this id, because a newer record (a regenerated Session) may own it now.
 */
const DESTROY = script(`local raw = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
if not raw then return 0 end
local ok, p = pcall(cjson.decode, raw)
if not ok or type(p) ~= 'table' then return 1 end
local function drop(key)
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
if type(p.uid) == 'string' then drop(ARGV[2] .. p.uid) end
if type(p.userCode) == 'string' then drop(ARGV[3] .. p.userCode) end
if type(p.grantId) == 'string' then redis.call('ZREM', ARGV[4] .. p.grantId, ARGV[5]) end
if ARGV[6] ~= '' and type(p.accountId) == 'string' then redis.call('ZREM', ARGV[6] .. p.accountId, ARGV[5]) end
return 1`);

/**
 * KEYS: grant key. ARGV: key prefix. Deletes every member record and the set; unpack() is
 * bounded, so batches.
 */
const REVOKE = script(`local members = redis.call('ZRANGE', KEYS[1], 0, -1)
for i = 1, #members, 1000 do
  local keys = {}
  for j = i, math.min(i + 999, #members) do keys[#keys + 1] = ARGV[1] .. members[j] end
  redis.call('DEL', unpack(keys))
end
redis.call('DEL', KEYS[1])
return #members`);

async function run(redis: Redis, s: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    // First use after a Redis (re)start: the script cache is empty. EVALSHA did nothing, so
    // sending the body is safe and still atomic.
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
      return redis.eval(s.lua, keys.length, ...keys, ...args);
    }
    throw err;
  }
}

/** The stored form of `payload` (see the layout above). */
function serialize(payload: AdapterPayload, model: string, id: string): string {
  if (payload.kind !== model || payload.jti !== id) return JSON.stringify(payload);
  const { kind: _kind, jti: _jti, ...rest } = payload;
  return JSON.stringify(rest) + STRIPPED;
}

/**
 * Rebuilds a payload from its stored form: `kind` and `jti` back from the key when they were
 * left out, and for a consumable model the head stamp over any `consumed` the saved payload
 * carried itself (a stale copy re-saved after the consume).
 */
function parse(raw: unknown, model: string, id: string, consumable: boolean): AdapterPayload | undefined {
  if (typeof raw !== 'string') return undefined;
  const payload = JSON.parse(raw) as AdapterPayload;
  const stamp = consumable ? STAMP.exec(raw) : null;
  if (stamp) payload.consumed = Number(stamp[1]);
  if (raw.endsWith(STRIPPED)) {
    payload.kind = model;
    payload.jti = id;
  }
  return payload;
}

/**
 * Creates an oidc-provider adapter class that stores every model in Redis under
 * `options.keyPrefix`. Pass a client from `createRedisClient` (adapters/redis-client.ts); the
 * adapter neither connects nor closes it. `consume()` on a model outside CONSUMABLE_MODELS rejects
 * with a TypeError rather than silently not consuming.
 */
export function createRedisAdapter(redis: Redis, options: RedisAdapterOptions): AccountIndexedAdapter {
  const prefix = options.keyPrefix;
  const clockTolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  const grantPrefix = `${prefix}grant:`;
  const accountPrefix = `${prefix}byAccount:`;

  return class RedisAdapter implements Adapter {
    static async listByAccount(accountId: string): Promise<AccountIndexEntry[]> {
      const flat = await redis.zrange(accountPrefix + accountId, '0', '-1', 'WITHSCORES');
      const entries: AccountIndexEntry[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const score = flat[i + 1] === 'inf' ? undefined : Number(flat[i + 1]);
        const entry = indexEntry(flat[i] as string, score);
        if (entry) entries.push(entry);
      }
      return entries;
    }

    readonly #model: string;
    readonly #accountIndexed: boolean;
    readonly #consumable: boolean;
    readonly #recordPrefix: string;
    readonly #uidPrefix: string;
    readonly #userCodePrefix: string;

    constructor(model: string) {
      this.#model = model;
      this.#consumable = CONSUMABLE_MODELS.has(model);
      this.#accountIndexed = ACCOUNT_INDEXED_MODELS.has(model);
      this.#recordPrefix = `${prefix}${model}:`;
      this.#uidPrefix = `${prefix}uid:${model}:`;
      this.#userCodePrefix = `${prefix}userCode:${model}:`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const ttl = storageTtl(expiresIn, clockTolerance) ?? 0;
      const keys = [this.#recordPrefix + id];
      if (typeof payload.uid === 'string') keys.push(this.#uidPrefix + payload.uid);
      if (typeof payload.userCode === 'string') keys.push(this.#userCodePrefix + payload.userCode);
      const indexes = keys.length - 1;
      const hasGrant = typeof payload.grantId === 'string';
      if (hasGrant) keys.push(grantPrefix + payload.grantId);
      const byAccount = this.#accountIndexed && typeof payload.accountId === 'string';
      if (byAccount) keys.push(accountPrefix + payload.accountId);
      await run(redis, UPSERT, keys, [
        serialize(payload, this.#model, id),
        id,
        ttl,
        this.#consumable ? '1' : '0',
        indexes,
        hasGrant ? '1' : '0',
        this.#member(id),
        byAccount ? '1' : '0',
        ACCOUNT_INDEX_MAX,
      ]);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return parse(await redis.get(this.#recordPrefix + id), this.#model, id, this.#consumable);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const payload = await this.#findByIndex(this.#uidPrefix + uid);
      // A record re-upserted with another uid leaves the old index behind until it expires.
      return payload?.uid === uid ? payload : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const payload = await this.#findByIndex(this.#userCodePrefix + userCode);
      return payload?.userCode === userCode ? payload : undefined;
    }

    async #findByIndex(indexKey: string): Promise<AdapterPayload | undefined> {
      const found = await run(redis, FIND_BY_INDEX, [indexKey], [this.#recordPrefix]);
      if (!Array.isArray(found)) return undefined;
      return parse(found[0], this.#model, String(found[1]), this.#consumable);
    }

    async consume(id: string): Promise<void> {
      if (!this.#consumable) throw new TypeError(`${this.#model} records cannot be consumed`);
      await run(redis, CONSUME, [this.#recordPrefix + id], []);
    }

    async destroy(id: string): Promise<void> {
      await run(
        redis,
        DESTROY,
        [this.#recordPrefix + id],
        [
          id,
          this.#uidPrefix,
          this.#userCodePrefix,
          grantPrefix,
          this.#member(id),
          this.#accountIndexed ? accountPrefix : '',
        ],
      );
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await run(redis, REVOKE, [grantPrefix + grantId], [prefix]);
    }

    /** This record's entry in a grant index: its key without the prefix. */
    #member(id: string): string {
      return `${this.#model}:${id}`;
    }
  };
}
