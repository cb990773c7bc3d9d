import type { Adapter, AdapterPayload } from 'oidc-provider';
import {
  ACCOUNT_INDEX_MAX,
  ACCOUNT_INDEXED_MODELS,
  type AccountIndexEntry,
  type AccountIndexedAdapter,
  indexEntry,
} from './account-index.ts';

/*
 * In-memory oidc-provider storage for the embedded demo store and for tests. It keeps the same
 * contract as adapters/redis.ts, under these names, which the shared contract suite
 * (test/adapters/contract.test.ts) uses for both (on Redis it maps them onto
 * adapters/redis-layout.ts, whose names add hash tags):
 *
 *   {Model}:{id}             record: payload, `consumed` (consumable models), expiry
 *   uid:{Model}:{uid}        index -> id (Session)
 *   userCode:{Model}:{code}  index -> id (DeviceCode)
 *   grant:{grantId}          member record key -> member expiry (ms), one entry per token
 *   byAccount:{accountId}    the same for the account's Session and Grant records, at most
 *                            ACCOUNT_INDEX_MAX (adapters/account-index.ts)
 *
 * Expired entries are invisible at once and deleted lazily: when read, and by a sweep of the
 * whole map at most once per SWEEP_INTERVAL_MS, run from a write. No timer keeps the process up.
 */

/**
 * Models whose records can be consumed once (`consume(id)` stamps `consumed`). Shared with
 * adapters/redis.ts, which keeps their consumed stamp inside the record so consume is one atomic script.
 */
export const CONSUMABLE_MODELS: ReadonlySet<string> = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
  'PreAuthorizedCode',
]);

/**
 * Seconds a record outlives its `expiresIn`, so a token the provider still accepts within its own
 * clock tolerance is never missing from storage.
 */
export const DEFAULT_CLOCK_TOLERANCE = 15;

/**
 * Seconds a record with this `expiresIn` is kept (at least 1), or undefined for no expiry.
 * Shared by both adapters so their TTLs agree.
 */
export function storageTtl(expiresIn: number | undefined, clockTolerance: number): number | undefined {
  if (expiresIn === undefined) return undefined;
  if (!Number.isFinite(expiresIn)) throw new TypeError(`expiresIn must be a finite number, got ${expiresIn}`);
  // An already expired upsert (e.g. Interaction#persist late) is kept briefly rather than rejected.
  return Math.max(1, Math.ceil(expiresIn + clockTolerance));
}

/** Options for {@link createMemoryAdapter}. */
export interface MemoryAdapterOptions {
  /** Current time in ms since the epoch; injected by tests. @default Date.now */
  now?: () => number;
  /** Seconds added to every `expiresIn`. @default 15 */
  clockTolerance?: number;
}

/** One stored value; `expiresAt` is in ms, undefined = never. */
export type MemoryEntry =
  | { kind: 'record'; payload: AdapterPayload; consumed?: number; expiresAt?: number }
  | { kind: 'index'; id: string; expiresAt?: number }
  | { kind: 'grant'; members: Map<string, number>; expiresAt?: number }
  | { kind: 'account'; members: Map<string, number>; expiresAt?: number };

type MemberSet = Extract<MemoryEntry, { kind: 'grant' | 'account' }>;

/** The adapter class, plus its storage map, read-only, for tests and debugging. */
export type MemoryAdapterConstructor = AccountIndexedAdapter & {
  /** Every entry of this adapter, keyed as in the layout above; may still hold expired entries. */
  readonly storage: ReadonlyMap<string, MemoryEntry>;
};

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Creates an oidc-provider adapter class that keeps everything in this process's memory. All
 * models of one created class share one storage; create another class for an isolated store.
 * Payloads are copied on the way in and out, so callers cannot change stored data by mutation.
 */
export function createMemoryAdapter(options: MemoryAdapterOptions = {}): MemoryAdapterConstructor {
  const now = options.now ?? Date.now;
  const clockTolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  const storage = new Map<string, MemoryEntry>();
  let lastSweep = now();

  const live = (entry: MemoryEntry | undefined, at: number): boolean =>
    entry !== undefined && (entry.expiresAt === undefined || entry.expiresAt > at);

  function read(key: string): MemoryEntry | undefined {
    const entry = storage.get(key);
    if (entry === undefined) return undefined;
    if (live(entry, now())) return entry;
    storage.delete(key);
    return undefined;
  }

  function sweep(): void {
    const at = now();
    if (at - lastSweep < SWEEP_INTERVAL_MS) return;
    lastSweep = at;
    for (const [key, entry] of storage) {
      if (!live(entry, at)) storage.delete(key);
      else if (entry.kind === 'grant' || entry.kind === 'account') trimMembers(entry, at);
    }
  }

  function trimMembers(entry: MemberSet, at: number): void {
    for (const [member, expiresAt] of entry.members) {
      if (expiresAt <= at) entry.members.delete(member);
    }
  }

  /**
   * Adds `member` to the set at `key` (created as `kind`), drops expired members and, past
   * `max`, the soonest-expiring ones; the set expires with its last member.
   */
  function track(
    key: string,
    kind: MemberSet['kind'],
    member: string,
    memberExpiresAt: number,
    at: number,
    max = 0,
  ): void {
    const existing = read(key);
    const entry: MemberSet = existing?.kind === kind ? existing : { kind, members: new Map() };
    entry.members.set(member, memberExpiresAt);
    trimMembers(entry, at);
    if (max > 0 && entry.members.size > max) {
      const soonest = [...entry.members].sort((a, b) => a[1] - b[1]);
      for (const [m] of soonest.slice(0, entry.members.size - max)) entry.members.delete(m);
    }
    const last = Math.max(...entry.members.values());
    entry.expiresAt = last === Number.POSITIVE_INFINITY ? undefined : last;
    storage.set(key, entry);
  }

  /** Removes `member` from the set at `key`, and the set once empty. */
  function untrack(key: string, member: string): void {
    const set = read(key);
    if (set?.kind !== 'grant' && set?.kind !== 'account') return;
    set.members.delete(member);
    if (set.members.size === 0) storage.delete(key);
  }

  function recordOf(key: string): Extract<MemoryEntry, { kind: 'record' }> | undefined {
    const entry = read(key);
    return entry?.kind === 'record' ? entry : undefined;
  }

  /** Deletes an index entry only while it still points at `id`: a newer record may own it now. */
  function dropIndex(key: string, id: string): void {
    const entry = read(key);
    if (entry?.kind === 'index' && entry.id === id) storage.delete(key);
  }

  function output(entry: Extract<MemoryEntry, { kind: 'record' }>): AdapterPayload {
    const copy = structuredClone(entry.payload);
    return entry.consumed === undefined ? copy : { ...copy, consumed: entry.consumed };
  }

  class MemoryAdapter implements Adapter {
    static readonly storage: ReadonlyMap<string, MemoryEntry> = storage;

    static async listByAccount(accountId: string): Promise<AccountIndexEntry[]> {
      const set = read(`byAccount:${accountId}`);
      if (set?.kind !== 'account') return [];
      const at = now();
      return [...set.members]
        .filter(([, expiresAt]) => expiresAt > at)
        .sort((a, b) => a[1] - b[1])
        .flatMap(([member, expiresAt]) => {
          const entry = indexEntry(member, Number.isFinite(expiresAt) ? expiresAt : undefined);
          return entry ? [entry] : [];
        });
    }

    readonly #model: string;
    readonly #consumable: boolean;
    readonly #accountIndexed: boolean;

    constructor(model: string) {
      this.#model = model;
      this.#consumable = CONSUMABLE_MODELS.has(model);
      this.#accountIndexed = ACCOUNT_INDEXED_MODELS.has(model);
    }

    #key(id: string): string {
      return `${this.#model}:${id}`;
    }

    #uidKey(uid: string): string {
      return `uid:${this.#model}:${uid}`;
    }

    #userCodeKey(userCode: string): string {
      return `userCode:${this.#model}:${userCode}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      sweep();
      const at = now();
      const ttl = storageTtl(expiresIn, clockTolerance);
      const expiresAt = ttl === undefined ? undefined : at + ttl * 1000;
      const key = this.#key(id);
      // `consumed` survives a re-upsert: a save racing a consume must not make a code reusable.
      const consumed = this.#consumable ? recordOf(key)?.consumed : undefined;
      storage.set(key, {
        kind: 'record',
        payload: structuredClone(payload),
        ...(consumed === undefined ? {} : { consumed }),
        expiresAt,
      });
      if (typeof payload.uid === 'string') {
        storage.set(this.#uidKey(payload.uid), { kind: 'index', id, expiresAt });
      }
      if (typeof payload.userCode === 'string') {
        storage.set(this.#userCodeKey(payload.userCode), { kind: 'index', id, expiresAt });
      }
      const memberExpiresAt = expiresAt ?? Number.POSITIVE_INFINITY;
      if (typeof payload.grantId === 'string') {
        track(`grant:${payload.grantId}`, 'grant', key, memberExpiresAt, at);
      }
      if (this.#accountIndexed && typeof payload.accountId === 'string') {
        track(`byAccount:${payload.accountId}`, 'account', key, memberExpiresAt, at, ACCOUNT_INDEX_MAX);
      }
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const entry = recordOf(this.#key(id));
      return entry === undefined ? undefined : output(entry);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.#findByIndex(this.#uidKey(uid), (p) => p.uid === uid);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.#findByIndex(this.#userCodeKey(userCode), (p) => p.userCode === userCode);
    }

    #findByIndex(indexKey: string, matches: (p: AdapterPayload) => boolean): AdapterPayload | undefined {
      const index = read(indexKey);
      if (index?.kind !== 'index') return undefined;
      const entry = recordOf(this.#key(index.id));
      // The record may have been re-upserted with another uid/userCode; the stale index must not
      // resolve to it.
      if (entry === undefined || !matches(entry.payload)) return undefined;
      return output(entry);
    }

    async consume(id: string): Promise<void> {
      if (!this.#consumable) throw new TypeError(`${this.#model} records cannot be consumed`);
      const entry = recordOf(this.#key(id));
      // First consumption wins, so every reader sees one and the same timestamp.
      if (entry !== undefined && entry.consumed === undefined) entry.consumed = Math.floor(now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      const key = this.#key(id);
      const entry = recordOf(key);
      storage.delete(key);
      if (entry === undefined) return;
      const { uid, userCode, grantId, accountId } = entry.payload;
      if (typeof uid === 'string') dropIndex(this.#uidKey(uid), id);
      if (typeof userCode === 'string') dropIndex(this.#userCodeKey(userCode), id);
      if (typeof grantId === 'string') untrack(`grant:${grantId}`, key);
      if (this.#accountIndexed && typeof accountId === 'string') untrack(`byAccount:${accountId}`, key);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const grantKey = `grant:${grantId}`;
      const grant = read(grantKey);
      storage.delete(grantKey);
      if (grant?.kind !== 'grant') return;
      for (const member of grant.members.keys()) storage.delete(member);
    }
  }

  return MemoryAdapter;
}
