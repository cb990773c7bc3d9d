import type { AdapterConstructor } from 'oidc-provider';

/*
 * The account index: per account, the Session and Grant records that belong to it, so an
 * operator can end every session of a user and revoke every grant (and with it every token).
 * Both adapters keep it in the same write as the record; an entry expires with its record.
 */

/** Models whose records carry an `accountId` worth finding by account. Tokens hang off grants. */
export const ACCOUNT_INDEXED_MODELS: ReadonlySet<string> = new Set(['Session', 'Grant']);

/**
 * Entries kept per account. Past it the soonest-expiring entries leave the index; they stay
 * valid records, and the account's not-before stamp (src/accounts/find-account.ts) is what
 * still ends them.
 */
export const ACCOUNT_INDEX_MAX = 500;

/** One indexed record of an account. */
export interface AccountIndexEntry {
  model: 'Session' | 'Grant';
  id: string;
  /** Epoch ms; undefined = no expiry. The record may be gone already: load it to be sure. */
  expiresAt?: number;
}

/** An adapter class that can also list an account's sessions and grants. */
export type AccountIndexedAdapter = AdapterConstructor & {
  /** The account's Session and Grant records, as indexed; a stale entry may name a gone record. */
  listByAccount(accountId: string): Promise<AccountIndexEntry[]>;
};

/** Splits an index member (`{Model}:{id}`) back into model and id; undefined for other models. */
export function indexEntry(member: string, expiresAt: number | undefined): AccountIndexEntry | undefined {
  const at = member.indexOf(':');
  const model = member.slice(0, at);
  if (at < 0 || (model !== 'Session' && model !== 'Grant')) return undefined;
  return { model, id: member.slice(at + 1), ...(expiresAt === undefined ? {} : { expiresAt }) };
}
