import type { FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import { accountClaims } from './claims.ts';
import type { AccountRecord, AccountStore } from './types.ts';
import { toAccount } from './types.ts';

/**
 * Whether what asks for the account began before the account's `sessions_not_before` stamp:
 * a token (code, refresh or access token) by its `iat`, else the browser session by its login
 * time. The operator resets delete what the account index finds; this catches anything it
 * missed (an index past its cap, a token minted while the reset ran), as Keycloak's not-before.
 */
function predates(record: AccountRecord, ctx: KoaContextWithOIDC | undefined, token: unknown): boolean {
  if (record.sessions_not_before === undefined) return false;
  const iat = (token as { iat?: unknown } | undefined)?.iat;
  if (typeof iat === 'number') return iat < record.sessions_not_before;
  const session = ctx?.oidc?.session;
  return session?.accountId === record.id && sessionPredatesReset(record, session.loginTs);
}

/** Whether a session that signed in at `loginTs` (epoch s) began before the account's last reset. */
export function sessionPredatesReset(
  record: Pick<AccountRecord, 'sessions_not_before'>,
  loginTs: number | undefined,
): boolean {
  return record.sessions_not_before !== undefined && (loginTs ?? 0) < record.sessions_not_before;
}

/**
 * oidc-provider's `findAccount` over an {@link AccountStore}. A disabled or deleted account, or
 * a session or token from before the account's last reset, resolves to `undefined`, which makes
 * oidc-provider refuse the token and the login prompt ask again (src/policy/account-gone.ts).
 */
export function createFindAccount(store: AccountStore): FindAccount {
  return async (ctx, sub, token) => {
    const record = await store.findById(sub);
    if (!record || record.disabled || predates(record, ctx, token)) return undefined;
    const account = toAccount(record);
    return {
      accountId: account.id,
      claims: async () => ({ ...accountClaims(account), sub: account.id }),
    };
  };
}
