import { randomBytes } from 'node:crypto';
import { authenticate } from '../src/accounts/authenticate.ts';
import { normalizeUsername } from '../src/accounts/types.ts';
import type { PendingLogin } from '../src/mfa/pending.ts';
import { AMR_PASSWORD } from '../src/policy/acr.ts';
import {
  clientName,
  type InteractionContext,
  type InteractionDeps,
  interactionUrls,
  type Step,
  seeOther,
} from './context.ts';
import { field } from './form.ts';

/** The one message for every failed sign-in: it must not tell which part was wrong. */
export const LOGIN_FAILED = 'Incorrect username or password.';

/** The lockout message: the same for every username, known or not. */
export const loginLockedMessage = (retryAt: Date) =>
  `Too many attempts. Try again after ${retryAt.toISOString().slice(11, 16)} UTC.`;

async function showForm(
  deps: InteractionDeps,
  ctx: InteractionContext,
  username: string,
  error?: string,
  status = error ? 401 : 200,
) {
  const { uid, params } = ctx.state.interaction;
  const urls = interactionUrls(uid, ctx.state.csrf);
  await deps.render(
    ctx,
    'login',
    {
      title: 'Sign in',
      clientName: await clientName(deps.provider, params.client_id),
      action: urls.login,
      abortUrl: urls.abort,
      csrf: ctx.state.csrf,
      username,
      error,
    },
    status,
  );
}

/** 429 with Retry-After and the generic lockout message; the password is not checked. */
async function showLocked(deps: InteractionDeps, ctx: InteractionContext, username: string, retryAt: Date) {
  ctx.set('Retry-After', String(Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 1000))));
  await showForm(deps, ctx, username, loginLockedMessage(retryAt), 429);
}

/** GET: the username/password form, prefilled from `login_hint`. */
export function showLogin(deps: InteractionDeps): Step {
  return async (ctx) => {
    const { params, session } = ctx.state.interaction;
    let username = typeof params.login_hint === 'string' ? params.login_hint.slice(0, 256) : '';
    // Re-authentication (prompt=login, max_age) of a signed-in user: their name is already known.
    if (!username && session?.accountId)
      username = (await deps.accounts.findById(session.accountId))?.username ?? '';
    await showForm(deps, ctx, username);
  };
}

/**
 * POST: checks the password. It is one factor: the second-factor step decides whether that
 * is enough, and only it finishes the login prompt. Failures get one generic message.
 */
export function submitPassword(deps: InteractionDeps): Step {
  return async (ctx) => {
    const username = field(ctx, 'username', 256)?.trim() ?? '';
    const password = field(ctx, 'password', 1024) ?? '';
    const client = ctx.state.interaction.params.client_id;
    // An empty field goes the same way as a wrong password (one argon2 verify, one counted
    // failure), so neither the answer nor its timing tells the cases apart (issue 12.8).
    // Limited per normalised username, known or not, so a lockout reveals nothing. The attempt
    // is taken before argon2 runs (src/security/attempts.ts), so parallel guesses cannot pass
    // the limit; a refused one is not checked.
    const key = normalizeUsername(username);
    const attempt = await deps.mfa.passwordRegulation.reserve(key, ctx.ip);
    if (!attempt.ok) {
      deps.logger.info(
        { event: 'login.locked', username, ip: ctx.ip, client, until: attempt.retryAt.toISOString() },
        'password sign-in refused: locked',
      );
      // Not checked, but a locked name costs the hash a check costs, so timing does not tell
      // it apart. A locked IP tells nothing about a name: it stays cheap under a flood.
      if (attempt.accountLocked) await deps.hasher.dummyVerify(password);
      return showLocked(deps, ctx, username, attempt.retryAt);
    }

    const result = await authenticate(deps.accounts, deps.hasher, username, password);
    if (!result.ok) {
      deps.logger.info(
        { event: 'login.failed', reason: result.reason, username, ip: ctx.ip, client },
        'password sign-in failed',
      );
      const after = await attempt.attempt.fail();
      if (after.locked) {
        deps.logger.warn(
          { event: 'lockout', scope: 'password', username, ip: ctx.ip, until: after.retryAt.toISOString() },
          'password sign-in locked',
        );
        return showLocked(deps, ctx, username, after.retryAt);
      }
      return showForm(deps, ctx, username, LOGIN_FAILED);
    }
    await attempt.attempt.succeed();
    deps.logger.info(
      { event: 'login.password_ok', account: result.account.id, ip: ctx.ip, client },
      'password accepted',
    );
    const pending: PendingLogin = {
      accountId: result.account.id,
      amr: [AMR_PASSWORD],
      stepUp: false,
      failures: 0,
      // A password proof starts a new second-factor challenge with its own attempt count.
      challenge: `pw:${randomBytes(12).toString('base64url')}`,
      factorState: {},
    };
    await deps.mfa.pending.set(ctx.state.interaction.uid, pending);
    // Post/redirect/get: the interaction page continues with the second-factor step.
    seeOther(ctx, interactionUrls(ctx.state.interaction.uid, ctx.state.csrf).page);
  };
}
