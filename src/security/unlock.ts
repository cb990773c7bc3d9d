import type { AccountIndexedAdapter } from '../../adapters/account-index.ts';
import { normalizeUsername } from '../accounts/types.ts';
import { type Attempts, stepUpChallenge } from './attempts.ts';
import type { Regulation, Unlocked } from './regulation.ts';

/*
 * Lifts an account's lockouts (`tollgate users unlock`), exactly those and nothing else:
 *   - the password counters, kept per normalised username (the login keys them so);
 *   - the second-factor counters, kept per account id;
 *   - the step-up challenges of the account's live provider sessions (`session:{uid}`), which
 *     stay closed for the life of a login page once their attempts are used up.
 * Per-IP counts belong to an address, not to the account, and stay. A login challenge
 * (`pw:...`) dies with its login page: the next password starts a fresh one.
 */

/** The limiters the server uses (`createLimiters`, src/mfa/parts.ts), on the same store. */
export interface UnlockDeps {
  passwordRegulation: Regulation;
  regulation: Regulation;
  attempts: Attempts;
  /** Finds the account's sessions, whose step-up challenges are reopened. */
  adapter: AccountIndexedAdapter;
}

/** What {@link unlockAccount} cleared. */
export interface AccountUnlocked {
  password: Unlocked;
  mfa: Unlocked;
  /** Step-up challenges of the account's sessions that had a count. */
  stepUps: number;
}

/** Clears the account's password and second-factor lockouts and failure counts. */
export async function unlockAccount(
  deps: UnlockDeps,
  account: { id: string; username: string },
): Promise<AccountUnlocked> {
  const [password, mfa] = await Promise.all([
    deps.passwordRegulation.unlock(normalizeUsername(account.username)),
    deps.regulation.unlock(account.id),
  ]);
  const sessions = new deps.adapter('Session');
  let stepUps = 0;
  for (const entry of await deps.adapter.listByAccount(account.id)) {
    if (entry.model !== 'Session') continue;
    const session = (await sessions.find(entry.id)) as { accountId?: string; uid?: string } | undefined;
    // A stale entry: the session is gone, or the browser signed in as someone else since.
    if (session?.accountId !== account.id || typeof session.uid !== 'string') continue;
    if (await deps.attempts.reopen(stepUpChallenge(session.uid))) stepUps++;
  }
  return { password, mfa, stepUps };
}
