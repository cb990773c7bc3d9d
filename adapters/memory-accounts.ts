import type {
  Account,
  AccountPatch,
  AccountRecord,
  AccountStore,
  NewAccount,
} from '../src/accounts/types.ts';
import { newAccountRecord, normalizeUsername, toAccount } from '../src/accounts/types.ts';
import { AccountError } from '../src/errors.ts';

/** Account store held in process memory: the embedded default, lost on restart. */
export function createMemoryAccountStore(options: { now?: () => number } = {}): AccountStore {
  const now = () => Math.floor((options.now ?? Date.now)() / 1000);
  const byId = new Map<string, AccountRecord>();
  const idByUsername = new Map<string, string>();

  return {
    async create(input: NewAccount) {
      const record = newAccountRecord(input, now());
      const { username } = record;
      if (idByUsername.has(username))
        throw new AccountError('account_exists', `account ${username} already exists`);
      byId.set(record.id, record);
      idByUsername.set(username, record.id);
      return toAccount(structuredClone(record));
    },
    async findById(id) {
      const record = byId.get(id);
      return record && structuredClone(record);
    },
    async findByUsername(username) {
      const id = idByUsername.get(normalizeUsername(username));
      return id === undefined ? undefined : this.findById(id);
    },
    async list(): Promise<Account[]> {
      return [...byId.values()]
        .map((r) => toAccount(structuredClone(r)))
        .sort((a, b) => a.username.localeCompare(b.username));
    },
    async update(id, patch: AccountPatch) {
      const record = byId.get(id);
      if (!record) throw new AccountError('account_not_found', `no account with id ${id}`);
      const next = { ...record, ...structuredClone(patch), updated_at: now() } as AccountRecord;
      for (const key of Object.keys(patch) as (keyof AccountPatch)[]) {
        if (patch[key] === undefined) delete next[key];
      }
      byId.set(id, next);
      return toAccount(structuredClone(next));
    },
    async delete(id) {
      const record = byId.get(id);
      if (!record) return false;
      byId.delete(id);
      if (idByUsername.get(record.username) === id) idByUsername.delete(record.username);
      return true;
    },
    async count() {
      return byId.size;
    },
  };
}
