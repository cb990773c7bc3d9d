import type { PasswordHasher } from './password.ts';
import type { Account, AccountStore } from './types.ts';
import { toAccount } from './types.ts';

/** Why a password check failed: for logs only; users always see one generic message. */
export type AuthenticationFailure = 'unknown_user' | 'wrong_password' | 'disabled';

export type AuthenticationResult =
  | { ok: true; account: Account }
  | { ok: false; reason: AuthenticationFailure };

/**
 * Checks a username and password. Exactly one argon2 verify runs whatever the outcome, so
 * response time does not tell whether the username exists or is disabled.
 */
export async function authenticate(
  store: AccountStore,
  hasher: PasswordHasher,
  username: string,
  password: string,
): Promise<AuthenticationResult> {
  const record = await store.findByUsername(username);
  if (!record) {
    await hasher.dummyVerify(password);
    return { ok: false, reason: 'unknown_user' };
  }
  const valid = await hasher.verify(record.password_hash, password);
  if (!valid) return { ok: false, reason: 'wrong_password' };
  if (record.disabled) return { ok: false, reason: 'disabled' };
  return { ok: true, account: toAccount(record) };
}
