import type { Channel } from '../src/delivery/types.ts';
import type {
  ClaimStatus,
  OtpMessageContext,
  OtpRecord,
  OtpRecordPatch,
  OtpStore,
} from '../src/otp/store.ts';
import type { OtpStatus } from '../src/otp/types.ts';
import type { RedisClient } from './redis-client.ts';

/*
 * Key layout (prefix omitted): otp:{id} is a hash, one field per record attribute (metadata and
 * message as JSON), plus `closed` = the claimed final status. Attempts are a HINCRBY on the hash and the
 * claim a HSETNX of `closed`, each inside a script that first checks the key still exists, so
 * neither can re-create a deleted or expired session as a key without a TTL.
 */

// KEYS[1] = record. Returns the new attempt count, 0 when the record is gone.
const INCREMENT_ATTEMPTS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'attempts', 1)`;

// KEYS[1] = record, ARGV[1] = final status. 1 only for the first claim.
const CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'closed', ARGV[1])`;

// KEYS[1] = record, ARGV = field, value, ... Patches only an existing record.
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 1`;

const NUMBER_FIELDS = ['attempts', 'maxAttempts', 'sends', 'createdAt', 'expiresAt', 'lastSentAt'] as const;

function flatten(fields: Record<string, unknown>): string[] {
  return Object.entries(fields).flatMap(([k, v]) => {
    if (v === undefined) return [];
    if (typeof v === 'object') return [k, JSON.stringify(v)];
    return [k, String(v)];
  });
}

function decode(fields: Record<string, string>): OtpRecord | undefined {
  const { id, owner, channel, toMasked, status, codeHash, addressHash, message } = fields;
  if (!id || !owner || !channel || !toMasked || !status || !codeHash || !addressHash || !message) {
    return undefined;
  }
  const num = (name: (typeof NUMBER_FIELDS)[number]) => {
    const v = fields[name];
    return v === undefined ? undefined : Number(v);
  };
  const record: OtpRecord = {
    id,
    owner,
    channel: channel as Channel,
    toMasked,
    status: (fields.closed ?? status) as OtpStatus,
    attempts: num('attempts') ?? 0,
    maxAttempts: num('maxAttempts') ?? 0,
    sends: num('sends') ?? 0,
    createdAt: num('createdAt') ?? 0,
    expiresAt: num('expiresAt') ?? 0,
    codeHash,
    addressHash,
    message: JSON.parse(message) as OtpMessageContext,
  };
  const lastSentAt = num('lastSentAt');
  if (lastSentAt !== undefined) record.lastSentAt = lastSentAt;
  if (fields.externalId !== undefined) record.externalId = fields.externalId;
  if (fields.metadata !== undefined) record.metadata = JSON.parse(fields.metadata) as Record<string, string>;
  return record;
}

/**
 * OTP sessions on Redis, under `{keyPrefix}otp:{id}`.
 * @param options.keyPrefix the deployment's prefix, with its separator (`tollgate:`).
 */
export function createRedisOtpStore(redis: RedisClient, options: { keyPrefix: string }): OtpStore {
  const key = (id: string) => `${options.keyPrefix}otp:${id}`;
  return {
    async create(record, ttlSeconds) {
      const { status: _ignored, ...rest } = record;
      // A new record is always pending: a final status only ever comes from claim().
      const results = await redis
        .multi()
        .del(key(record.id))
        .hset(key(record.id), ...flatten({ ...rest, status: 'pending' }))
        .expire(key(record.id), Math.max(1, Math.ceil(ttlSeconds)))
        .exec();
      // MULTI reports a failed command in its results instead of rejecting.
      const failed = results?.find(([err]) => err)?.[0];
      if (failed) throw failed;
    },
    async get(id) {
      return decode(await redis.hgetall(key(id)));
    },
    async update(id, patch: OtpRecordPatch) {
      return (await redis.eval(UPDATE, 1, key(id), ...flatten(patch))) === 1;
    },
    async incrementAttempts(id) {
      return Number(await redis.eval(INCREMENT_ATTEMPTS, 1, key(id)));
    },
    async claim(id, status: ClaimStatus = 'approved') {
      return (await redis.eval(CLAIM, 1, key(id), status)) === 1;
    },
    async delete(id) {
      await redis.del(key(id));
    },
  };
}
