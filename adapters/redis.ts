import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
import { CONSUMABLE_MODELS, DEFAULT_CLOCK_TOLERANCE, storageTtl } from './memory.ts';

/*
 * oidc-provider storage on Redis. Key layout (P = keyPrefix, e.g. "tollgate:"):
 *
 *   P{Model}:{id}             consumable models: hash {payload: JSON, consumed: epoch s}
 *                             other models: JSON string
 *   Puid:{Model}:{uid}        string -> id (Session), same TTL as the record
 *   PuserCode:{Model}:{code}  string -> id (DeviceCode), same TTL as the record
 *   Pgrant:{grantId}          sorted set of record keys scored by their expiry (epoch ms, Redis
 *                             clock); expires with its last member
 *
 * Every write and every multi-key read is one Lua script: atomic, one round trip, and the
 * scores use Redis's own clock, so several tollgate processes with skewed clocks cannot let a
 * grant index expire before its tokens (which would make revokeByGrantId miss them).
 *
 * Scripts touch keys they derive from stored data (index -> record, grant -> members), so this
 * layout is for standalone or Sentinel Redis, not Redis Cluster.
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
 * `now`: milliseconds since the epoch on the Redis server's clock. `int()`: Lua turns numbers
 * into strings with 14 significant digits, which would round epoch milliseconds one day.
 */
const LUA_NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function int(n) return string.format('%d', n) end`;

/**
 * KEYS: record, then ARGV[5] index keys, then the grant key when ARGV[6] == '1'.
 * ARGV: payload JSON, id, ttl seconds ('0' = none), 'hash' | 'string', index key count, has grant.
 */
const UPSERT = script(`${LUA_NOW_MS}
local record, payload, id, ttl, kind = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
if kind == 'hash' then
  -- HSET keeps an existing 'consumed' field: a save racing a consume must not un-consume.
  redis.call('HSET', record, 'payload', payload)
  if ttl > 0 then redis.call('EXPIRE', record, ttl) else redis.call('PERSIST', record) end
elseif ttl > 0 then
  redis.call('SET', record, payload, 'EX', ttl)
else
  redis.call('SET', record, payload)
end
local indexes = tonumber(ARGV[5])
for i = 2, indexes + 1 do
  if ttl > 0 then redis.call('SET', KEYS[i], id, 'EX', ttl) else redis.call('SET', KEYS[i], id) end
end
if ARGV[6] == '1' then
  local grant = KEYS[indexes + 2]
  local score = '+inf'
  if ttl > 0 then score = int(now + ttl * 1000) end
  redis.call('ZADD', grant, score, record)
  redis.call('ZREMRANGEBYSCORE', grant, '-inf', '(' .. int(now))
  local last = redis.call('ZRANGE', grant, -1, -1, 'WITHSCORES')
  if last[2] == 'inf' then
    redis.call('PERSIST', grant)
  elseif last[2] then
    redis.call('PEXPIREAT', grant, int(math.ceil(tonumber(last[2]))))
  end
end
return 1`);

/** KEYS: record. Stamps 'consumed' once, and only on a record that exists (no TTL-less stub). */
const CONSUME = script(`if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local t = redis.call('TIME')
return redis.call('HSETNX', KEYS[1], 'consumed', t[1])`);

/** KEYS: index key. ARGV: record key prefix, 'hash' | 'string'. Returns {payload[, consumed]}. */
const FIND_BY_INDEX = script(`local id = redis.call('GET', KEYS[1])
if not id then return nil end
local record = ARGV[1] .. id
if ARGV[2] == 'hash' then
  local found = redis.call('HMGET', record, 'payload', 'consumed')
  if not found[1] then return nil end
  if found[2] then return { found[1], found[2] } end
  return { found[1] }
end
local payload = redis.call('GET', record)
if not payload then return nil end
return { payload }`);

/**
 * KEYS: record. ARGV: 'hash' | 'string', id, uid index prefix, userCode index prefix, grant
 * prefix. Reads the payload to find its index entries; an index is deleted only while it still
 * points at this id, because a newer record (a regenerated Session) may own it now.
 */
const DESTROY = script(`local raw
if ARGV[1] == 'hash' then raw = redis.call('HGET', KEYS[1], 'payload') else raw = redis.call('GET', KEYS[1]) end
redis.call('DEL', KEYS[1])
if not raw then return 0 end
local ok, p = pcall(cjson.decode, raw)
if not ok or type(p) ~= 'table' then return 1 end
local function drop(key)
  if redis.call('GET', key) == ARGV[2] then redis.call('DEL', key) end
end
if type(p.uid) == 'string' then drop(ARGV[3] .. p.uid) end
if type(p.userCode) == 'string' then drop(ARGV[4] .. p.userCode) end
if type(p.grantId) == 'string' then redis.call('ZREM', ARGV[5] .. p.grantId, KEYS[1]) end
return 1`);

/** KEYS: grant key. Deletes every member record and the set; unpack() is bounded, so batches. */
const REVOKE = script(`local members = redis.call('ZRANGE', KEYS[1], 0, -1)
for i = 1, #members, 1000 do
  redis.call('DEL', unpack(members, i, math.min(i + 999, #members)))
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

/** Rebuilds a payload from a stored JSON string and the separately stored `consumed` stamp. */
function parse(raw: unknown, consumed?: unknown): AdapterPayload | undefined {
  if (typeof raw !== 'string') return undefined;
  const payload = JSON.parse(raw) as AdapterPayload;
  if (consumed !== undefined && consumed !== null) payload.consumed = Number(consumed);
  return payload;
}

/**
 * Creates an oidc-provider adapter class that stores every model in Redis under
 * `options.keyPrefix`. Pass a client from `createRedisClient` (adapters/redis-client.ts); the
 * adapter neither connects nor closes it. `consume()` on a model outside CONSUMABLE_MODELS rejects
 * with a TypeError rather than silently not consuming.
 */
export function createRedisAdapter(redis: Redis, options: RedisAdapterOptions): AdapterConstructor {
  const prefix = options.keyPrefix;
  const clockTolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  const grantPrefix = `${prefix}grant:`;

  return class RedisAdapter implements Adapter {
    readonly #model: string;
    readonly #kind: 'hash' | 'string';
    readonly #recordPrefix: string;
    readonly #uidPrefix: string;
    readonly #userCodePrefix: string;

    constructor(model: string) {
      this.#model = model;
      this.#kind = CONSUMABLE_MODELS.has(model) ? 'hash' : 'string';
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
      await run(redis, UPSERT, keys, [
        JSON.stringify(payload),
        id,
        ttl,
        this.#kind,
        indexes,
        hasGrant ? '1' : '0',
      ]);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const key = this.#recordPrefix + id;
      if (this.#kind === 'string') return parse(await redis.get(key));
      const [raw, consumed] = await redis.hmget(key, 'payload', 'consumed');
      return parse(raw, consumed);
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
      const found = await run(redis, FIND_BY_INDEX, [indexKey], [this.#recordPrefix, this.#kind]);
      if (!Array.isArray(found)) return undefined;
      return parse(found[0], found[1]);
    }

    async consume(id: string): Promise<void> {
      if (this.#kind !== 'hash') throw new TypeError(`${this.#model} records cannot be consumed`);
      await run(redis, CONSUME, [this.#recordPrefix + id], []);
    }

    async destroy(id: string): Promise<void> {
      await run(
        redis,
        DESTROY,
        [this.#recordPrefix + id],
        [this.#kind, id, this.#uidPrefix, this.#userCodePrefix, grantPrefix],
      );
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await run(redis, REVOKE, [grantPrefix + grantId], []);
    }
  };
}
