import { randomUUID } from 'node:crypto';

/** A user as the rest of tollgate sees it: never carries the password hash. */
export interface Account {
  /** Stable opaque id; the `sub` claim. */
  id: string;
  /** Login name, stored normalised (see {@link normalizeUsername}). */
  username: string;
  email?: string;
  email_verified?: boolean;
  phone?: string;
  phone_verified?: boolean;
  name?: string;
  groups: string[];
  disabled: boolean;
  /**
   * Epoch seconds: sessions begun, tokens issued and browsers remembered before this are void.
   * Set by the operator resets (src/sessions/end-account-sessions.ts); absent = never reset.
   */
  sessions_not_before?: number;
  /** Epoch seconds. */
  created_at: number;
  /** Epoch seconds. */
  updated_at: number;
}

/** What the store keeps: the account plus its argon2id hash. */
export interface AccountRecord extends Account {
  password_hash: string;
}

/** Fields given when creating an account. */
export type NewAccount = Omit<AccountRecord, 'id' | 'created_at' | 'updated_at' | 'disabled' | 'groups'> & {
  groups?: string[];
  disabled?: boolean;
};

/** Fields an update may change. */
export type AccountPatch = Partial<Omit<AccountRecord, 'id' | 'username' | 'created_at' | 'updated_at'>>;

/**
 * Persistence of accounts. Implementations: `adapters/redis-accounts.ts` and
 * `adapters/memory-accounts.ts`; both pass `test/adapters/accounts.contract.test.ts`.
 */
export interface AccountStore {
  /** Creates an account; throws `AccountError('account_exists')` when the username is taken. */
  create(input: NewAccount): Promise<Account>;
  findById(id: string): Promise<AccountRecord | undefined>;
  /** Looks up by login name (normalised by the store). */
  findByUsername(username: string): Promise<AccountRecord | undefined>;
  /** Every account, ordered by username. */
  list(): Promise<Account[]>;
  /** Applies a patch; throws `AccountError('account_not_found')` for an unknown id. */
  update(id: string, patch: AccountPatch): Promise<Account>;
  /**
   * Removes the account and frees its username, atomically; says whether it existed. Its
   * credentials, sessions and lockout state are the caller's to remove (`tollgate users delete`).
   */
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
}

/**
 * Usernames compare case-insensitively and after Unicode NFKC folding, so `Alice` and
 * `alice` (or a full-width look-alike) can never be two accounts.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

/** A new account's full record: fresh id, normalised username, defaults, timestamps (epoch s). */
export function newAccountRecord(input: NewAccount, nowSeconds: number): AccountRecord {
  return {
    ...input,
    id: randomUUID(),
    username: normalizeUsername(input.username),
    groups: input.groups ?? [],
    disabled: input.disabled ?? false,
    created_at: nowSeconds,
    updated_at: nowSeconds,
  };
}

/** Drops the password hash before an account leaves the store layer. */
export function toAccount(record: AccountRecord): Account {
  const { password_hash: _omit, ...account } = record;
  return account;
}
