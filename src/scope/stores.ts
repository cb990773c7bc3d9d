import type { AccountStore } from '../accounts/types.ts';
import { normalizeUsername } from '../accounts/types.ts';
import type { Credential, CredentialStore, KeyValueStore } from '../factors/types.ts';
import {
  batchWrite,
  forgetRead,
  inRequestScope,
  knownRead,
  replaceRead,
  sharedRead,
} from './request-scope.ts';

/*
 * The account, credential and key-value stores as one request sees them (src/scope/request-scope.ts):
 * a record read once per request however many steps ask for it, a write through the wrapper
 * seen by the reads after it. Callers get their own copies. Outside a request scope every call
 * goes to the store.
 */

/**
 * A namespace per store, so two stores never share a read, and every wrapper of one store does
 * (a write through any of them drops what the others read).
 */
const namespaces = new WeakMap<object, string>();
/** Each wrapper made here, with the namespace of the store it wraps. */
const wrappers = new WeakMap<object, string>();
let stores = 0;
function namespaceOf(store: object, kind: string): string {
  let ns = namespaces.get(store);
  if (!ns) {
    ns = `${kind}#${++stores}:`;
    namespaces.set(store, ns);
  }
  return ns;
}
function made<T extends object>(wrapper: T, ns: string): T {
  wrappers.set(wrapper, ns);
  return wrapper;
}

/**
 * Whether `store` shares its reads within a request (a wrapper made here): reading ahead
 * through any other store only reads twice.
 */
export const sharesReads = (store: object): boolean => wrappers.has(store);

const copy = <T>(value: Promise<T>): Promise<T> => value.then((v) => structuredClone(v));

/** Forgets `key` around a write, so neither a read started before it nor one during it is kept. */
async function around<T>(key: string, write: () => Promise<T>, prefix = false): Promise<T> {
  forgetRead(key, { prefix });
  try {
    return await write();
  } finally {
    forgetRead(key, { prefix });
  }
}

/** `kv` with `get` shared per request; a write stores what it wrote as the shared read. */
export function scopedKeyValue(kv: KeyValueStore): KeyValueStore {
  if (sharesReads(kv)) return kv;
  const ns = namespaceOf(kv, 'kv');
  return made<KeyValueStore>(
    {
      get: (key) => sharedRead(ns + key, () => kv.get(key)),
      async set(key, value, ttlSeconds) {
        await around(ns + key, () => kv.set(key, value, ttlSeconds));
        replaceRead(ns + key, Promise.resolve(value));
      },
      async setIfAbsent(key, value, ttlSeconds) {
        // The answer is the store's: never from a shared read.
        return around(ns + key, () => kv.setIfAbsent(key, value, ttlSeconds));
      },
      async delete(key) {
        await around(ns + key, () => kv.delete(key));
        replaceRead(ns + key, Promise.resolve(undefined));
      },
    },
    ns,
  );
}

/** `accounts` with `findById` and `findByUsername` shared per request; any write drops them all. */
export function scopedAccounts(accounts: AccountStore): AccountStore {
  if (sharesReads(accounts)) return accounts;
  const ns = namespaceOf(accounts, 'accounts');
  const write = <T>(fn: () => Promise<T>) => around(ns, fn, true);
  return made<AccountStore>(
    {
      findById: (id) => copy(sharedRead(`${ns}id:${id}`, () => accounts.findById(id))),
      findByUsername: (username) =>
        copy(sharedRead(`${ns}name:${normalizeUsername(username)}`, () => accounts.findByUsername(username))),
      create: (input) => write(() => accounts.create(input)),
      update: (id, patch) => write(() => accounts.update(id, patch)),
      delete: (id) => write(() => accounts.delete(id)),
      list: () => accounts.list(),
      count: () => accounts.count(),
    },
    ns,
  );
}

/** A patch that only stamps when a credential was last used: bookkeeping, shown on the account page. */
const isUseStamp = (patch: object) => Object.keys(patch).length === 1 && 'last_used_at' in patch;

/**
 * `store` with `list` shared per request (which factors are enrolled asks once per factor, the
 * remember-browser fingerprint and the factor's verify ask again). An update is compared and set
 * against the credential as this request read it (one command instead of a read and a script),
 * and replaces it in the shared list. A use stamp (`last_used_at` alone) is batched with the
 * request's other writes ({@link batchWrite}): nothing in the login depends on it, and a failure
 * still fails the request.
 */
export function scopedCredentials(store: CredentialStore): CredentialStore {
  if (sharesReads(store)) return store;
  const ns = namespaceOf(store, 'credentials');
  const listKey = (accountId: string) => ns + accountId;
  /** The shared list with `id` replaced by `next` (or dropped when it is gone). */
  const replaced = (list: Promise<Credential[]>, id: string, next: Credential | undefined) =>
    list.then((all) =>
      next ? all.map((c) => (c.id === id ? structuredClone(next) : c)) : all.filter((c) => c.id !== id),
    );
  return made<CredentialStore>(
    {
      list: (accountId) => copy(sharedRead(listKey(accountId), () => store.list(accountId))),
      get: (accountId, id) => store.get(accountId, id),
      create: (input) => around(listKey(input.account_id), () => store.create(input)),
      async update(accountId, id, patch, options) {
        const key = listKey(accountId);
        const shared = knownRead<Credential[]>(key);
        const current = options?.current ?? (await shared?.catch(() => undefined))?.find((c) => c.id === id);
        const hint = current ? { current } : undefined;
        if (current && shared && isUseStamp(patch) && inRequestScope()) {
          const next: Credential = { ...structuredClone(current), ...patch };
          await batchWrite(store.update(accountId, id, patch, hint));
          replaceRead(key, replaced(shared, id, next));
          return structuredClone(next);
        }
        const next = await around(key, () => store.update(accountId, id, patch, hint));
        if (shared && !knownRead(key)) replaceRead(key, replaced(shared, id, next));
        return next;
      },
      delete: (accountId, id) => around(listKey(accountId), () => store.delete(accountId, id)),
      deleteAll: (accountId, factor) => around(listKey(accountId), () => store.deleteAll(accountId, factor)),
    },
    ns,
  );
}
