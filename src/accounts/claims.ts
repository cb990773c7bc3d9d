import type { Account } from './types.ts';

/**
 * Scope -> claims, in oidc-provider's `claims` configuration shape. `groups` is not a
 * standard claim; it is released with the `groups` scope so proxies can authorise on it.
 */
export const SCOPE_CLAIMS = {
  // acr/amr/auth_time ride on `openid` so every ID token says how the user signed in.
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['name', 'preferred_username', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  groups: ['groups'],
} as const satisfies Record<string, readonly string[]>;

/** Every claim tollgate can release for an account; oidc-provider filters by scope. */
export function accountClaims(account: Account): Record<string, unknown> {
  return {
    sub: account.id,
    preferred_username: account.username,
    name: account.name,
    updated_at: account.updated_at,
    email: account.email,
    email_verified: account.email === undefined ? undefined : (account.email_verified ?? false),
    phone_number: account.phone,
    phone_number_verified: account.phone === undefined ? undefined : (account.phone_verified ?? false),
    groups: account.groups,
  };
}
