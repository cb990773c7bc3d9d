import type { Adapter, AdapterPayload } from 'oidc-provider';
import {
  ACCOUNT_INDEX_MAX,
  ACCOUNT_INDEXED_MODELS,
  type AccountIndexEntry,
  type AccountIndexedAdapter,
  indexEntry,
} from './account-index.ts';
import { CONSUMABLE_MODELS, DEFAULT_CLOCK_TOLERANCE, storageTtl } from './memory.ts';
import type { RedisClient } from './redis-client.ts';
import { assertKeyPrefix, oidcKeys, POINTER } from './redis-layout.ts';
import { CONSUME, DESTROY, DROP_POINTER, REVOKE, TRACK, UPSERT } from './redis-oidc-scripts.ts';
import { runScript } from './redis-script.ts';

/*
 * oidc-provider storage on Redis; the key layout is in adapters/redis-layout.ts. In short: a
 * record lives at its home P<Model>:{<id>}, unless it belongs to a grant: then it lives in the
 * grant's slot, P<Model>:{<grantId>}:<id>, beside the grant's index and the Grant record, and its
 * home holds "@grantId". So a grant's records and its index change in one script, and
 * revocation deletes them in one script too, on a Cluster as on one server.
 *
 * Records leave out what their key already says: a payload whose `kind` is the model name and
 * whose `jti` is the id (every payload oidc-provider saves) is stored without both, followed by a
 * newline, and read back with both. Any other payload is stored as given, without the newline.
 * Consumable models carry their consumed stamp as the first member: {"consumed":<epoch s>,...}.
 *
 * Round trips: find() of a record without a grant is one GET; of a grant's record two (home,
 * then the record), one when this process has seen that token's grant before. findByUid() and
 * findByUserCode() add the pointer's GET; findByUid() reads the pointer and the record it named
 * when this process last saw that uid together, so a session it saved or read costs one. upsert() sends its few commands together (one round
 * trip); destroy() takes two. Needs Redis >= 6.2 (GETDEL, SET GET, SET KEEPTTL).
 */

/** Options for {@link createRedisAdapter}. */
export interface RedisAdapterOptions {
  /** Prepended to every key; carries its own separator, and no `{` or `}`. */
  keyPrefix: string;
  /** Seconds a record outlives its `expiresIn`. @default 15 */
  clockTolerance?: number;
}

/**
 * Ends a record stored without its `kind` and `jti`. JSON allows trailing whitespace, so the
 * value still decodes as is.
 */
const STRIPPED = '\n';

/** The consumed stamp at the head of a stored record: the only `consumed` that counts. */
const STAMP = /^\{"consumed":(\d+)[,}]/;

/** Grants remembered per process for records seen. */
const GRANT_CACHE_MAX = 10_000;

/** Ids remembered per process behind uids seen (sessions). */
const UID_CACHE_MAX = 10_000;

/**
 * Models whose grantId, once a record has one, never changes (oidc-provider sets it at issue, or
 * at approval for device codes and CIBA requests): only their grant is remembered.
 */
const GRANT_BOUND_MODELS: ReadonlySet<string> = new Set([
  'AuthorizationCode',
  'AccessToken',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** Members deleted per revocation script. */
const REVOKE_BATCH = 1000;

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
  if (typeof raw !== 'string' || raw.startsWith(POINTER)) return undefined;
  const payload = JSON.parse(raw) as AdapterPayload;
  const stamp = consumable ? STAMP.exec(raw) : null;
  if (stamp) payload.consumed = Number(stamp[1]);
  if (raw.endsWith(STRIPPED)) {
    payload.kind = model;
    payload.jti = id;
  }
  return payload;
}

/** Sets a pointer with the record's lifetime ('0' = none). */
function setPointer(redis: RedisClient, key: string, value: string, ttl: number): Promise<unknown> {
  return ttl > 0 ? redis.set(key, value, 'EX', ttl) : redis.set(key, value);
}

/**
 * Creates an oidc-provider adapter class that stores every model in Redis under
 * `options.keyPrefix`. Pass a client from `createRedisClient` (adapters/redis-client.ts): one
 * server, Sentinel or Cluster; the adapter neither connects nor closes it. `consume()` on a model
 * outside CONSUMABLE_MODELS rejects with a TypeError rather than silently not consuming.
 */
export function createRedisAdapter(redis: RedisClient, options: RedisAdapterOptions): AccountIndexedAdapter {
  assertKeyPrefix(options.keyPrefix);
  const keys = oidcKeys(options.keyPrefix);
  const clockTolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  // "Model:id" -> grantId, oldest first: saves reading the home of a record seen before.
  const grants = new Map<string, string>();
  const remember = (member: string, grantId: string) => {
    if (!GRANT_BOUND_MODELS.has(member.slice(0, member.indexOf(':')))) return;
    if (grants.get(member) === grantId) return;
    grants.set(member, grantId);
    if (grants.size > GRANT_CACHE_MAX) grants.delete(grants.keys().next().value as string);
  };
  // "Model:uid" -> the id this process last saw behind that uid, oldest first: findByUid reads
  // that record beside the pointer, and keeps it only when the pointer names it.
  const uids = new Map<string, string>();
  const rememberUid = (model: string, uid: string, id: string) => {
    const at = `${model}:${uid}`;
    uids.delete(at);
    uids.set(at, id);
    if (uids.size > UID_CACHE_MAX) uids.delete(uids.keys().next().value as string);
  };

  return class RedisAdapter implements Adapter {
    static async listByAccount(accountId: string): Promise<AccountIndexEntry[]> {
      const flat = await redis.zrange(keys.byAccount(accountId), '0', '-1', 'WITHSCORES');
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

    constructor(model: string) {
      this.#model = model;
      this.#consumable = CONSUMABLE_MODELS.has(model);
      this.#accountIndexed = ACCOUNT_INDEXED_MODELS.has(model);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const model = this.#model;
      const ttl = storageTtl(expiresIn, clockTolerance) ?? 0;
      const member = this.#member(id);
      const record = serialize(payload, model, id);
      const consumable = this.#consumable ? '1' : '0';
      const grantId = typeof payload.grantId === 'string' ? payload.grantId : undefined;
      // Sent together, answered in one round trip; each command is on its own slot.
      const writes: Promise<unknown>[] = [];
      let home: Promise<string | null> | undefined;
      if (grantId === undefined) {
        grants.delete(member);
        writes.push(runScript(redis, UPSERT, [keys.home(model, id)], [record, ttl, consumable, member]));
      } else {
        const at = keys.member(model, grantId, id);
        writes.push(runScript(redis, UPSERT, [at, keys.grant(grantId)], [record, ttl, consumable, member]));
        // The home points at the grant. What it held before tells whether the record lived
        // there, consumed, before it joined its grant (a device code the user approved).
        const pointer = POINTER + grantId;
        home =
          ttl > 0
            ? redis.set(keys.home(model, id), pointer, 'EX', ttl, 'GET')
            : redis.set(keys.home(model, id), pointer, 'GET');
        remember(member, grantId);
      }
      if (typeof payload.uid === 'string') {
        writes.push(setPointer(redis, keys.uid(model, payload.uid), id, ttl));
        rememberUid(model, payload.uid, id);
      }
      if (typeof payload.userCode === 'string') {
        writes.push(setPointer(redis, keys.userCode(model, payload.userCode), id, ttl));
      }
      if (this.#accountIndexed && typeof payload.accountId === 'string') {
        writes.push(
          runScript(redis, TRACK, [keys.byAccount(payload.accountId)], [member, ttl, ACCOUNT_INDEX_MAX]),
        );
      }
      const [before] = await Promise.all([home, ...writes]);
      const stamp = this.#consumable && typeof before === 'string' ? STAMP.exec(before) : null;
      if (grantId !== undefined && stamp) {
        await runScript(redis, CONSUME, [keys.member(model, grantId, id)], [stamp[1] as string]);
      }
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const model = this.#model;
      const known = grants.get(this.#member(id));
      if (known !== undefined) return this.#parse(await redis.get(keys.member(model, known, id)), id);
      const raw = await redis.get(keys.home(model, id));
      if (raw === null || !raw.startsWith(POINTER)) return this.#parse(raw, id);
      const grantId = raw.slice(POINTER.length);
      remember(this.#member(id), grantId);
      return this.#parse(await redis.get(keys.member(model, grantId, id)), id);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const model = this.#model;
      // The record this uid named last time is read with the pointer (one round trip); the
      // pointer alone decides whether it is the one.
      const guess = uids.get(`${model}:${uid}`);
      const [id, guessed] = await Promise.all([
        redis.get(keys.uid(model, uid)),
        guess === undefined ? undefined : this.find(guess).catch(() => undefined),
      ]);
      if (id === null) return undefined;
      const payload = id === guess && guessed !== undefined ? guessed : await this.find(id);
      // A record re-upserted with another uid leaves the old pointer behind until it expires.
      if (payload?.uid !== uid) return undefined;
      rememberUid(model, uid, id);
      return payload;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await redis.get(keys.userCode(this.#model, userCode));
      const payload = id === null ? undefined : await this.find(id);
      return payload?.userCode === userCode ? payload : undefined;
    }

    async consume(id: string): Promise<void> {
      const model = this.#model;
      if (!this.#consumable) throw new TypeError(`${model} records cannot be consumed`);
      const known = grants.get(this.#member(id));
      const first = known === undefined ? keys.home(model, id) : keys.member(model, known, id);
      const result = await runScript(redis, CONSUME, [first], ['']);
      if (typeof result === 'string' && result.startsWith(POINTER)) {
        const grantId = result.slice(POINTER.length);
        remember(this.#member(id), grantId);
        await runScript(redis, CONSUME, [keys.member(model, grantId, id)], ['']);
      }
    }

    async destroy(id: string): Promise<void> {
      const model = this.#model;
      const member = this.#member(id);
      // The home first: once it is gone, nothing finds the record any more.
      let raw: string | null = await redis.getdel(keys.home(model, id));
      const grantId = raw?.startsWith(POINTER) ? raw.slice(POINTER.length) : grants.get(member);
      if (grantId !== undefined && (raw === null || raw.startsWith(POINTER))) {
        const found = await runScript(
          redis,
          DESTROY,
          [keys.member(model, grantId, id), keys.grant(grantId)],
          [member],
        );
        raw = typeof found === 'string' ? found : null;
      }
      grants.delete(member);
      if (raw === null) return;
      let p: AdapterPayload;
      try {
        p = JSON.parse(raw) as AdapterPayload;
      } catch {
        return;
      }
      // Pointers are dropped only while they still name this id: a newer record (a regenerated
      // Session) may own them now.
      const drops: Promise<unknown>[] = [];
      if (typeof p.uid === 'string') {
        drops.push(runScript(redis, DROP_POINTER, [keys.uid(model, p.uid)], [id]));
        if (uids.get(`${model}:${p.uid}`) === id) uids.delete(`${model}:${p.uid}`);
      }
      if (typeof p.userCode === 'string') {
        drops.push(runScript(redis, DROP_POINTER, [keys.userCode(model, p.userCode)], [id]));
      }
      if (this.#accountIndexed && typeof p.accountId === 'string') {
        drops.push(redis.zrem(keys.byAccount(p.accountId), member));
      }
      await Promise.all(drops);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const index = keys.grant(grantId);
      // Batches until the index is empty; a record saved meanwhile is in the next batch.
      for (;;) {
        const members = await redis.zrange(index, '0', String(REVOKE_BATCH - 1));
        if (members.length === 0) return;
        const records: string[] = [];
        const homes: string[] = [];
        for (const m of members) {
          const at = m.indexOf(':');
          records.push(keys.member(m.slice(0, at), grantId, m.slice(at + 1)));
          homes.push(keys.home(m.slice(0, at), m.slice(at + 1)));
          grants.delete(m);
        }
        await runScript(redis, REVOKE, [index, ...records], members);
        // Each home is a slot of its own; a home left behind (a crash here) points at nothing.
        await Promise.all(homes.map((home) => redis.del(home)));
      }
    }

    #parse(raw: unknown, id: string): AdapterPayload | undefined {
      return parse(raw, this.#model, id, this.#consumable);
    }

    /** This record's entry in an index: "<Model>:<id>". */
    #member(id: string): string {
      return `${this.#model}:${id}`;
    }
  };
}
