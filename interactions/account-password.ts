import type Provider from 'oidc-provider';
import { passwordProblem, passwordProblemMessage } from '../src/accounts/password-policy.ts';
import { normalizeUsername } from '../src/accounts/types.ts';
import { defaultI18n, type Translate } from '../src/i18n/index.ts';
import { type AccountSessionsDeps, endOtherSessions } from './account-sessions.ts';
import type { InteractionDeps } from './context.ts';

/*
 * "Change password" on the account page. The page itself is only open to a session that proved
 * what the account client asks (the second factor, when the user has one); on top, the current
 * password is asked again, under the same per-name and per-IP limits as the login, so a
 * borrowed unlocked browser cannot take the account. A change signs out the user's other
 * sessions, with their back-channel logouts; this one stays.
 */

/** How a change went: the page shows `message` or `error` with `status`. */
export type PasswordChange = { ok: true; message: string } | { ok: false; error: string; status: number };

/** What the form posts. */
export interface PasswordForm {
  current: string;
  next: string;
  confirm: string;
}

/** Checks the current password, then sets the new one and ends the other sessions. */
export async function changePassword(
  deps: InteractionDeps,
  who: { accountId: string; username: string; sessionId: string; ip: string },
  form: PasswordForm,
  /** `t`: the page's language. @default English */
  options: { minLength: number; sessions?: AccountSessionsDeps; provider: Provider; t?: Translate },
): Promise<PasswordChange> {
  const t = options.t ?? defaultI18n().translator('en');
  const attempt = await deps.mfa.passwordRegulation.reserve(normalizeUsername(who.username), who.ip);
  if (!attempt.ok) {
    if (attempt.accountLocked) await deps.hasher.dummyVerify(form.current);
    return {
      ok: false,
      error: t('login.locked', { time: attempt.retryAt.toISOString().slice(11, 16) }),
      status: 429,
    };
  }
  const record = await deps.accounts.findById(who.accountId);
  if (!record || !(await deps.hasher.verify(record.password_hash, form.current))) {
    await attempt.attempt.fail();
    deps.logger.info(
      { event: 'password.change_failed', account: who.accountId, ip: who.ip },
      'password change refused: current password wrong',
    );
    return { ok: false, error: t('account.pwWrong'), status: 401 };
  }
  await attempt.attempt.succeed();
  const problem = passwordProblem(form.next, options.minLength);
  if (problem) {
    const { key, vars } = passwordProblemMessage(problem, options.minLength);
    return { ok: false, error: t(key, vars), status: 400 };
  }
  if (form.next !== form.confirm) return { ok: false, error: t('account.pwMismatch'), status: 400 };
  await deps.accounts.update(who.accountId, { password_hash: await deps.hasher.hash(form.next) });
  const ended = options.sessions
    ? await endOtherSessions(options.sessions, options.provider, deps.logger, who.accountId, who.sessionId)
    : 0;
  deps.logger.info(
    { event: 'password.changed', account: who.accountId, ip: who.ip, other_sessions_ended: ended },
    'password changed',
  );
  return {
    ok: true,
    message: ended > 0 ? t('account.pwChangedEnded', { count: ended }) : t('account.pwChanged'),
  };
}
