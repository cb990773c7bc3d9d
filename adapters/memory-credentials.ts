import { randomUUID } from 'node:crypto';
import type { Credential, CredentialStore } from '../src/factors/types.ts';

/** Credential store in process memory: the embedded default. */
export function createMemoryCredentialStore(options: { now?: () => number } = {}): CredentialStore {
  const now = () => Math.floor((options.now ?? Date.now)() / 1000);
  const byAccount = new Map<string, Map<string, Credential>>();
  const bucket = (accountId: string) => {
    const existing = byAccount.get(accountId);
    if (existing) return existing;
    const created = new Map<string, Credential>();
    byAccount.set(accountId, created);
    return created;
  };

  return {
    async create(input) {
      const credential: Credential = { ...structuredClone(input), id: randomUUID(), created_at: now() };
      bucket(input.account_id).set(credential.id, credential);
      return structuredClone(credential);
    },
    async list(accountId) {
      return [...(byAccount.get(accountId)?.values() ?? [])]
        .map((c) => structuredClone(c))
        .sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
    },
    async get(accountId, id) {
      const c = byAccount.get(accountId)?.get(id);
      return c && structuredClone(c);
    },
    // No await between the read and the write: atomic, and a deleted credential stays deleted.
    async update(accountId, id, patch) {
      const b = byAccount.get(accountId);
      const c = b?.get(id);
      if (!b || !c) return undefined;
      const next = { ...c, ...structuredClone(patch) };
      b.set(id, next);
      return structuredClone(next);
    },
    async delete(accountId, id) {
      return byAccount.get(accountId)?.delete(id) ?? false;
    },
    async deleteAll(accountId, factor) {
      const b = byAccount.get(accountId);
      if (!b) return 0;
      let n = 0;
      for (const [id, c] of b) {
        if (factor === undefined || c.factor === factor) {
          b.delete(id);
          n++;
        }
      }
      return n;
    },
  };
}
