import type { AdapterPayload } from 'oidc-provider';
import type { AccountStore } from '../accounts/types.ts';
import type { CredentialStore } from '../factors/types.ts';
import type { FoundBy } from './adapter.ts';
import { readAhead } from './request-scope.ts';

/** Models whose records name the account that the request then loads (`findAccount`). */
const ACCOUNT_BOUND: ReadonlySet<string> = new Set([
  'Session',
  'AuthorizationCode',
  'RefreshToken',
  'AccessToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/**
 * The account reads a record found by oidc-provider implies, for `requestScopedAdapter`'s
 * `readAhead` (src/scope/adapter.ts): a finished Interaction (the resume) and the Session of the
 * browser's cookie (an authorization request) are followed by `findAccount` and the MFA check,
 * which reads the account's credentials; a token, a code, or a session a token is bound to
 * (found by uid) by `findAccount` alone (token, userinfo, introspection).
 */
export function accountReadAhead(
  accounts: Pick<AccountStore, 'findById'>,
  credentials: Pick<CredentialStore, 'list'>,
): (model: string, payload: AdapterPayload, by: FoundBy) => void {
  return (model, payload, by) => {
    const login = (payload.result as { login?: { accountId?: unknown } } | undefined)?.login;
    const accountId = model === 'Interaction' ? login?.accountId : payload.accountId;
    if (typeof accountId !== 'string' || (model !== 'Interaction' && !ACCOUNT_BOUND.has(model))) return;
    readAhead(() => accounts.findById(accountId));
    if (model === 'Interaction' || (model === 'Session' && by === 'id'))
      readAhead(() => credentials.list(accountId));
  };
}
