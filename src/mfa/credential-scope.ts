import { AsyncLocalStorage } from 'node:async_hooks';
import type { Credential, CredentialStore } from '../factors/types.ts';

/*
 * One login step asks for the same account's credentials several times: which factors are
 * enrolled (once per factor), the remember-browser fingerprint, the factor's own verify. Inside
 * a request scope those share one store read; any write in the scope drops the shared copy, so
 * a read after a write sees the write. Outside a scope every call goes to the store.
 */

const scope = new AsyncLocalStorage<Map<string, Promise<Credential[]>>>();

/** Runs `fn` (one HTTP request) with its own credential read cache. */
export function withCredentialScope<T>(fn: () => Promise<T>): Promise<T> {
  return scope.run(new Map(), fn);
}

/** `store` with `list` shared within a {@link withCredentialScope}; callers get their own copies. */
export function scopedCredentials(store: CredentialStore): CredentialStore {
  const forget = (accountId: string) => scope.getStore()?.delete(accountId);
  const afterWrite = async <T>(accountId: string, write: Promise<T>): Promise<T> => {
    forget(accountId);
    try {
      return await write;
    } finally {
      forget(accountId);
    }
  };
  return {
    async list(accountId) {
      const shared = scope.getStore();
      if (!shared) return store.list(accountId);
      let read = shared.get(accountId);
      if (!read) {
        read = store.list(accountId);
        shared.set(accountId, read);
        // A failed read is not remembered: the next caller tries again.
        read.catch(() => shared.get(accountId) === read && shared.delete(accountId));
      }
      return structuredClone(await read);
    },
    get: (accountId, id) => store.get(accountId, id),
    create: (input) => afterWrite(input.account_id, store.create(input)),
    update: (accountId, id, patch) => afterWrite(accountId, store.update(accountId, id, patch)),
    delete: (accountId, id) => afterWrite(accountId, store.delete(accountId, id)),
    deleteAll: (accountId, factor) => afterWrite(accountId, store.deleteAll(accountId, factor)),
  };
}
