/**
 * What a new password must be, wherever one is set: `tollgate users add|passwd` and the
 * password reset. Length only, as NIST SP 800-63B asks (no composition rules): at least
 * `accounts.min_password_length` characters, at most {@link MAX_PASSWORD_LENGTH}.
 */

/** Longest password accepted (the login form reads at most this much). */
export const MAX_PASSWORD_LENGTH = 1024;

/** Why a new password is refused. */
export type PasswordProblem = 'too_short' | 'too_long';

/** The problem with `password` as a new password, or `undefined` when it is acceptable. */
export function passwordProblem(password: string, minLength: number): PasswordProblem | undefined {
  if (password.length < minLength) return 'too_short';
  if (password.length > MAX_PASSWORD_LENGTH) return 'too_long';
  return undefined;
}

/** The message that explains a {@link PasswordProblem} to whoever chose the password: a catalogue key and its variables. */
export function passwordProblemMessage(
  problem: PasswordProblem,
  minLength: number,
): { key: 'password.tooShort' | 'password.tooLong'; vars: Record<string, number> } {
  return problem === 'too_short'
    ? { key: 'password.tooShort', vars: { min: minLength } }
    : { key: 'password.tooLong', vars: { max: MAX_PASSWORD_LENGTH } };
}
