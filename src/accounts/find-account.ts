import type { FindAccount } from 'oidc-provider';
import { accountClaims } from './claims.ts';
import type { AccountStore } from './types.ts';
import { toAccount } from './types.ts';

/**
 * oidc-provider's `findAccount` over an {@link AccountStore}. A disabled or deleted account
 * resolves to `undefined`, which makes oidc-provider end its sessions and refuse its tokens.
 */
export function createFindAccount(store: AccountStore): FindAccount {
  return async (_ctx, sub) => {
    const record = await store.findById(sub);
    if (!record || record.disabled) return undefined;
    const account = toAccount(record);
    return {
      accountId: account.id,
      claims: async () => ({ ...accountClaims(account), sub: account.id }),
    };
  };
}
