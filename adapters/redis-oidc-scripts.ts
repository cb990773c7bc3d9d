import { type LuaScript, script } from './redis-script.ts';

/*
 * The Lua scripts of the oidc-provider adapter (adapters/redis.ts). Each is given every key it
 * touches in KEYS, and those keys share one hash tag (adapters/redis-layout.ts), so each runs on
 * one Cluster slot, atomically, in one round trip.
 */

/**
 * `now`: milliseconds since the epoch on the Redis server's clock, so several tollgate processes
 * with skewed clocks cannot let a grant index expire before its tokens. `int()`: Lua turns
 * numbers into strings with 14 significant digits, which would round epoch milliseconds one day.
 */
const LUA_NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function int(n) return string.format('%d', n) end`;

/**
 * `STAMP`: matches the consumed stamp at the head of a stored record. `stamped(raw, s)`: the
 * record JSON `raw` with stamp `s` as its first key, replacing a stamp it already has; an empty
 * object `{}` gets no trailing comma.
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
 * `track(set, member, ttl, max)`: adds the member to a sorted set scored by its expiry (`ttl`
 * seconds from now, 0 = never), drops expired members (and, past `max` > 0, the soonest to
 * expire), and lets the set expire with its last member.
 */
const LUA_TRACK = `local function track(set, member, ttl, max)
  local score = '+inf'
  if ttl > 0 then score = int(now + ttl * 1000) end
  redis.call('ZADD', set, score, member)
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
end`;

/**
 * KEYS: the record, then its grant index when it has a grant.
 * ARGV: record JSON, ttl seconds ('0' = none), consumable '1' | '0', index member.
 * A consumable record keeps the stamp it has: a save racing a consume must not un-consume.
 */
export const UPSERT: LuaScript = script(`${LUA_NOW_MS}
${LUA_STAMP}
${LUA_TRACK}
local record, payload, ttl = KEYS[1], ARGV[1], tonumber(ARGV[2])
if ARGV[3] == '1' then
  local old = redis.call('GET', record)
  local stamp = old and string.match(old, STAMP)
  if stamp then payload = stamped(payload, stamp) end
end
if ttl > 0 then redis.call('SET', record, payload, 'EX', ttl) else redis.call('SET', record, payload) end
if KEYS[2] then track(KEYS[2], ARGV[4], ttl, 0) end
return 1`);

/** KEYS: a sorted-set index (an account's). ARGV: member, ttl seconds ('0' = none), most members kept. */
export const TRACK: LuaScript = script(`${LUA_NOW_MS}
${LUA_TRACK}
track(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
return 1`);

/**
 * KEYS: the record (its home, or its place in its grant). ARGV: the stamp, '' = now.
 * Stamps once, and only a record that exists (no TTL-less stub); KEEPTTL leaves its expiry.
 * Returns 1 when stamped, 0 when missing or stamped already, or the pointer a home holds
 * instead of the record ("@<grantId>"): the caller consumes there.
 */
export const CONSUME: LuaScript = script(`${LUA_STAMP}
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
if string.sub(raw, 1, 1) == '@' then return raw end
if string.match(raw, STAMP) then return 0 end
local s = ARGV[1]
if s == '' then s = redis.call('TIME')[1] end
redis.call('SET', KEYS[1], stamped(raw, s), 'KEEPTTL')
return 1`);

/** KEYS: the record in its grant, the grant index. ARGV: index member. Returns what was stored. */
export const DESTROY: LuaScript = script(`local raw = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return raw`);

/** KEYS: a pointer. ARGV: the value it must still hold to be deleted (a newer owner keeps it). */
export const DROP_POINTER: LuaScript = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`);

/**
 * KEYS: a grant index, then records of the grant. ARGV: their index members, in the same order.
 * Deletes the records and their members; an emptied sorted set is gone with its last member.
 */
export const REVOKE: LuaScript = script(`if #KEYS > 1 then redis.call('DEL', unpack(KEYS, 2)) end
if #ARGV > 0 then redis.call('ZREM', KEYS[1], unpack(ARGV)) end
return #ARGV`);
