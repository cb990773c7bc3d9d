import { AsyncLocalStorage } from 'node:async_hooks';
import type { AccountStore } from '../src/accounts/types.ts';
import type { CredentialStore, KeyValueStore } from '../src/factors/types.ts';
import type { AccountIndexedAdapter } from './account-index.ts';
import { createRedisAdapter } from './redis.ts';
import { createRedisAccountStore } from './redis-accounts.ts';
import { isCluster, type RedisClient } from './redis-client.ts';
import { createRedisCredentialStore } from './redis-credentials.ts';
import { createRedisKeyValueStore } from './redis-kv.ts';
import { accountKeys, oidcKeys, POINTER } from './redis-layout.ts';
import { type ReplicaWaitOptions, writeAndWait } from './redis-wait.ts';

export { ReplicaWaitError, replicaWaitOf } from './redis-wait.ts';

/*
 * Which writes wait for replicas (adapters/redis-wait.ts): those whose loss in a failover would
 * give back access that was taken away. Each is sent on a connection of its own (`durable`),
 * through a store of the same kind, then WAITed for; reads and every other write stay on the
 * shared connection.
 *
 *   accounts     update (password, disabled, sessions_not_before, groups, addresses), delete
 *   credentials  create (an enrolled factor), update of `data` (a recovery code consumed, a
 *                passkey's sign counter), delete, deleteAll (a factor removed, MFA reset)
 *   oidc models  destroy of a Session (sign-out), Grant, AccessToken, RefreshToken or
 *                ClientCredentials (revocation), and revokeByGrantId (a grant's tokens)
 *   proxy kv     delete (a proxy session signed out, or ended by back-channel logout)
 *
 * A sign-in itself never waits ({@link duringSignIn}): what it deletes is state it replaces.
 *
 * Not waited for, on purpose: what every login writes (the interaction, codes, tokens issued,
 * consumed stamps, used TOTP steps, attempt counters and lockouts). A lost one costs a sign-in
 * or re-opens a window of seconds (a TOTP step, a code until it expires, a few more guesses);
 * waiting there would put the replica on every login's path.
 */

/** Models whose destroy waits: sign-outs and revocations. */
export const DURABLE_DESTROY_MODELS: ReadonlySet<string> = new Set([
  'Session',
  'Grant',
  'AccessToken',
  'RefreshToken',
  'ClientCredentials',
]);

const signingIn = new AsyncLocalStorage<true>();

/**
 * Runs `fn` (the handling of one sign-in request) where deletes do not wait for replicas. What a
 * sign-in deletes it replaces: oidc-provider saves a browser's Session under a new id at a sign-in
 * or step-up and destroys the old record, so an id known before never carries the sign-in; the
 * auth-proxy drops its one-use login state and the browser's previous ticket. Losing such a
 * delete in a failover leaves the old record as it was before the sign-in (no access it did not
 * have), and a sign-in that waited would depend on a replica. Sign-outs still wait.
 */
export function duringSignIn<T>(fn: () => T): T {
  return signingIn.run(true, fn);
}

/** Models of those stored in their grant's slot (adapters/redis.ts), whose grant WAIT must reach. */
const IN_GRANT_SLOT: ReadonlySet<string> = new Set(['AccessToken', 'RefreshToken']);

/** What the durable stores need: their own connection, the key prefix, how to wait. */
export interface DurableOptions {
  /** A connection used for nothing else (WAIT blocks it). */
  durable: RedisClient;
  keyPrefix: string;
  wait: ReplicaWaitOptions;
}

/** Account store whose update and delete wait for replicas; reads and create use `base`. */
export function durableAccountStore(base: AccountStore, options: DurableOptions): AccountStore {
  const { durable, keyPrefix, wait } = options;
  const writes = createRedisAccountStore(durable, { keyPrefix });
  const keys = accountKeys(keyPrefix);
  return {
    ...base,
    update: (id, patch) => writeAndWait(durable, [keys.account(id)], () => writes.update(id, patch), wait),
    delete: (id) => writeAndWait(durable, [keys.account(id), keys.usernames], () => writes.delete(id), wait),
  };
}

/** Credential store whose writes wait for replicas, but for `label` / `last_used_at` updates. */
export function durableCredentialStore(base: CredentialStore, options: DurableOptions): CredentialStore {
  const { durable, keyPrefix, wait } = options;
  const writes = createRedisCredentialStore(durable, { keyPrefix });
  const key = accountKeys(keyPrefix).credentials;
  return {
    ...base,
    create: (input) => writeAndWait(durable, [key(input.account_id)], () => writes.create(input), wait),
    update: (accountId, id, patch, options) =>
      patch.data === undefined
        ? base.update(accountId, id, patch, options)
        : writeAndWait(durable, [key(accountId)], () => writes.update(accountId, id, patch, options), wait),
    delete: (accountId, id) =>
      writeAndWait(durable, [key(accountId)], () => writes.delete(accountId, id), wait),
    deleteAll: (accountId, factor) =>
      writeAndWait(durable, [key(accountId)], () => writes.deleteAll(accountId, factor), wait),
  };
}

/**
 * oidc-provider adapter whose sign-outs and revocations ({@link DURABLE_DESTROY_MODELS},
 * revokeByGrantId) wait for replicas; everything else is `Base`'s.
 */
export function durableAdapter(Base: AccountIndexedAdapter, options: DurableOptions): AccountIndexedAdapter {
  const { durable, keyPrefix, wait } = options;
  const Writes = createRedisAdapter(durable, { keyPrefix });
  const keys = oidcKeys(keyPrefix);
  /** The keys a destroy changes that WAIT must cover: the home, and on a Cluster the grant's slot. */
  async function destroyed(model: string, id: string): Promise<string[]> {
    const home = keys.home(model, id);
    // One connection (not a Cluster): WAIT covers every write on it, whatever the key.
    if (!isCluster(durable) || !IN_GRANT_SLOT.has(model)) return [home];
    const raw = await durable.get(home);
    return raw?.startsWith(POINTER) ? [home, keys.grant(raw.slice(POINTER.length))] : [home];
  }
  return class DurableAdapter extends Base {
    readonly #model: string;
    readonly #writes: InstanceType<AccountIndexedAdapter>;

    constructor(model: string) {
      super(model);
      this.#model = model;
      this.#writes = new Writes(model);
    }

    override async destroy(id: string): Promise<void> {
      if (!DURABLE_DESTROY_MODELS.has(this.#model)) return super.destroy(id);
      if (this.#model === 'Session' && signingIn.getStore()) return super.destroy(id);
      const touched = await destroyed(this.#model, id);
      await writeAndWait(durable, touched, () => this.#writes.destroy(id), wait);
    }

    override async revokeByGrantId(grantId: string): Promise<void> {
      await writeAndWait(durable, [keys.grant(grantId)], () => this.#writes.revokeByGrantId(grantId), wait);
    }
  };
}

/**
 * Key-value store whose deletes wait for replicas (the auth-proxy's sign-outs and back-channel
 * logouts), but {@link duringSignIn}.
 */
export function durableKeyValueStore(base: KeyValueStore, options: DurableOptions): KeyValueStore {
  const { durable, keyPrefix, wait } = options;
  const writes = createRedisKeyValueStore(durable, { keyPrefix });
  return {
    ...base,
    delete: (key) =>
      signingIn.getStore()
        ? base.delete(key)
        : // The key as adapters/redis-kv.ts names it.
          writeAndWait(durable, [`${keyPrefix}kv:${key}`], () => writes.delete(key), wait),
  };
}

/** The stores {@link withDurableWrites} changes. */
export interface DurableStores {
  adapter: AccountIndexedAdapter;
  accounts: AccountStore;
  credentials: CredentialStore;
}

/** `stores` (built on the shared connection) with their security writes waiting for replicas. */
export function withDurableWrites<T extends DurableStores>(stores: T, options: DurableOptions): T {
  return {
    ...stores,
    adapter: durableAdapter(stores.adapter, options),
    accounts: durableAccountStore(stores.accounts, options),
    credentials: durableCredentialStore(stores.credentials, options),
  };
}
