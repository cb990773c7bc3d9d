/*
 * The Redis key layout of every tollgate store, in one place (P = key prefix, e.g. "tollgate:").
 * It is Cluster-safe: keys that one script or MULTI touches together share a hash tag (the part
 * in braces, which alone picks the Cluster slot), every script is given all its keys in KEYS,
 * and a lookup that does not know a record's tag goes through a single-key pointer. The same
 * layout runs unchanged on a standalone server, behind Sentinel and on a Cluster.
 *
 *   P layout                         the layout version of this prefix ({@link LAYOUT_VERSION})
 *
 *   oidc-provider models (adapters/redis.ts)
 *   P<Model>:{<id>}                  "home" of a record: its JSON, or "@<grantId>" when the record
 *                                    belongs to a grant and is stored with it (below)
 *   P<Model>:{<grantId>}:<id>        a record with a grantId (codes, tokens...), in its grant's slot
 *   Pgrant:{<grantId>}               sorted set of the grant's records ("AccessToken:<id>"), scored
 *                                    by expiry; the Grant record itself is PGrant:{<grantId>}, so a
 *                                    grant, its records and its index share one slot
 *   Puid:<Model>:{<uid>}             pointer uid -> id (Session)
 *   PuserCode:<Model>:{<userCode>}   pointer user code -> id (DeviceCode)
 *   PbyAccount:{<accountId>}         sorted set of the account's Session and Grant records
 *
 *   accounts and factors (adapters/redis-accounts.ts, adapters/redis-credentials.ts)
 *   Paccount:{<accountId>}           hash of the account's attributes
 *   Pcred:{<accountId>}              hash credential id -> JSON, in the account's slot
 *   Paccount:usernames               hash normalised username -> account id (a pointer per name)
 *
 *   single-key state, unchanged since layout 1
 *   Pkv:<key>                        short-lived values (adapters/redis-kv.ts)
 *   Potp:<id>                        OTP API sessions (adapters/redis-otp.ts)
 *   Prl:<limiter>:<key>              rate limiters (rate-limiter-flexible, one key each)
 *   Plock:<key>                      the auth-proxy's refresh locks (its own prefix)
 *
 * Layout 1 (before this one) had the same names without braces, consumable and grant records
 * at P<Model>:<id>, and scripts that reached keys they read from data: fine on one server, not
 * on a Cluster. `tollgate store migrate` (src/cli/store.ts) moves a layout 1 store to this one.
 */

/** The layout this code reads and writes. */
export const LAYOUT_VERSION = 2;

/** First character of a home key that points at a record stored in its grant's slot. */
export const POINTER = '@';

/** A hash tag: Redis Cluster hashes only what is between the braces. */
export function tag(value: string): string {
  return `{${value}}`;
}

/** Refuses a prefix that would carry a hash tag of its own (every key would land in one slot). */
export function assertKeyPrefix(prefix: string): void {
  if (prefix.includes('{') || prefix.includes('}')) {
    throw new Error(`the Redis key prefix must not contain { or }: ${JSON.stringify(prefix)}`);
  }
}

/** The key that holds the layout version of `prefix`. */
export function layoutKey(prefix: string): string {
  return `${prefix}layout`;
}

/** Key names of the oidc-provider adapter under one prefix. */
export interface OidcKeys {
  home(model: string, id: string): string;
  member(model: string, grantId: string, id: string): string;
  grant(grantId: string): string;
  uid(model: string, uid: string): string;
  userCode(model: string, userCode: string): string;
  byAccount(accountId: string): string;
}

/** The oidc-provider adapter's keys under `prefix`. */
export function oidcKeys(prefix: string): OidcKeys {
  return {
    home: (model, id) => `${prefix}${model}:${tag(id)}`,
    member: (model, grantId, id) => `${prefix}${model}:${tag(grantId)}:${id}`,
    grant: (grantId) => `${prefix}grant:${tag(grantId)}`,
    uid: (model, uid) => `${prefix}uid:${model}:${tag(uid)}`,
    userCode: (model, userCode) => `${prefix}userCode:${model}:${tag(userCode)}`,
    byAccount: (accountId) => `${prefix}byAccount:${tag(accountId)}`,
  };
}

/** Key names of the account and credential stores under one prefix. */
export function accountKeys(prefix: string): {
  account(id: string): string;
  credentials(accountId: string): string;
  usernames: string;
} {
  return {
    account: (id) => `${prefix}account:${tag(id)}`,
    credentials: (accountId) => `${prefix}cred:${tag(accountId)}`,
    usernames: `${prefix}account:usernames`,
  };
}
