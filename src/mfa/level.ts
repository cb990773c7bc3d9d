import { AMR_MFA, AMR_PASSWORD, AMR_USER_PRESENCE_VERIFIED } from '../policy/acr.ts';

/**
 * The second-factor methods in an amr list (what a remembered browser may vouch for): everything
 * but the password, the verified-user flag and the `mfa` marker.
 */
export function secondFactorMethods(amr: readonly string[]): string[] {
  return amr.filter((m) => m !== AMR_PASSWORD && m !== AMR_MFA && m !== AMR_USER_PRESENCE_VERIFIED);
}
