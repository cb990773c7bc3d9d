import type { FactorRegistry } from '../factors/index.ts';
import type { Level, MfaPolicy } from '../policy/mfa.ts';

/**
 * The amr values that count as a second factor for one client: those of the factors it accepts.
 * A session signed in elsewhere with a factor this client forbids (say an email code where
 * only an authenticator app is accepted) is one-factor here.
 */
export function acceptedMethods(policy: MfaPolicy, factors: FactorRegistry, clientId: string): Set<string> {
  const accepted = new Set<string>();
  for (const id of policy.forClient(clientId).factors) {
    for (const method of factors.get(id)?.amr ?? []) accepted.add(method);
  }
  return accepted;
}

/** Level that `amr` proves for a client accepting `accepted` second-factor methods. */
export function levelForClient(amr: readonly string[], accepted: ReadonlySet<string>): Level {
  return amr.some((m) => accepted.has(m)) ? 2 : 1;
}

/** The second-factor methods in an amr list (everything but the password and the `mfa` marker). */
export function secondFactorMethods(amr: readonly string[]): string[] {
  return amr.filter((m) => m !== 'pwd' && m !== 'mfa');
}
