import { randomBytes } from 'node:crypto';
import { authenticate } from '../src/accounts/authenticate.ts';
import { normalizeUsername } from '../src/accounts/types.ts';
import { InvalidRequest } from '../src/errors.ts';
import type { Factor, FactorView } from '../src/factors/types.ts';
import { t as tr, translatorOf } from '../src/i18n/index.ts';
import type { PendingLogin } from '../src/mfa/pending.ts';
import { AMR_PASSWORD } from '../src/policy/acr.ts';
import { acceptedFactors } from '../src/policy/decide.ts';
import { traitsOf } from '../src/policy/request.ts';
import { batchWrite, readAhead } from '../src/scope/request-scope.ts';
import { sharesReads } from '../src/scope/stores.ts';
import {
  clientIdOf,
  clientName,
  type InteractionContext,
  type InteractionDeps,
  interactionUrls,
  type ReadAhead,
  type Step,
  seeOther,
} from './context.ts';
import { factorTranslator, messageFor, readInput, renderLocked } from './factor-flow.ts';
import { field } from './form.ts';
import { loadPending } from './pending.ts';

/** The one message for every failed sign-in: it must not tell which part was wrong (English; pages use `login.failed`). */
export const LOGIN_FAILED = 'Incorrect username or password.';

/** The lockout message: the same for every username, known or not. */
export const loginLockedMessage = (retryAt: Date, t = translatorOf(undefined)) =>
  t('login.locked', { time: retryAt.toISOString().slice(11, 16) });

/** Factors this client accepts that can sign a user in on their own (passkeys). */
function signInFactors(deps: InteractionDeps, ctx: InteractionContext): Factor[] {
  const all = deps.mfa.factors.all().filter((f) => f.signIn);
  const accepted = new Set(
    acceptedFactors(deps.mfa.policy.forClient(clientIdOf(ctx)), all.map(traitsOf)).map((f) => f.id),
  );
  return all.filter((f) => accepted.has(f.id));
}

/** The login page's fragments of passwordless factors, each with a fresh challenge for this flow. */
async function signInOffers(deps: InteractionDeps, ctx: InteractionContext): Promise<FactorView[]> {
  const { uid } = ctx.state.interaction;
  const urls = interactionUrls(uid, ctx.state.csrf);
  return Promise.all(
    signInFactors(deps, ctx).map(async (f) => {
      const view = await (f.signIn as NonNullable<Factor['signIn']>).offer({ flowId: uid, ip: ctx.ip });
      // The fragment's `t` knows the factor's own catalogues, as on the factor's own pages.
      const t = factorTranslator(f, translatorOf(ctx));
      return { view: view.view, data: { ...view.data, t, action: urls.signIn(f.id), csrf: ctx.state.csrf } };
    }),
  );
}

interface FormOptions {
  error?: string;
  status?: number;
  /** Only the password is asked (a passkey without user verification proved the rest). */
  passwordOnly?: boolean;
}

async function showForm(
  deps: InteractionDeps,
  ctx: InteractionContext,
  username: string,
  opts: FormOptions = {},
) {
  const { error, status = error ? 401 : 200, passwordOnly = false } = opts;
  const { uid, params } = ctx.state.interaction;
  const urls = interactionUrls(uid, ctx.state.csrf);
  const offers = passwordOnly ? [] : await signInOffers(deps, ctx);
  await deps.render(
    ctx,
    'login',
    {
      title: tr(ctx, 'login.title'),
      clientName: await clientName(deps.provider, params.client_id),
      action: urls.login,
      abortUrl: urls.abort,
      csrf: ctx.state.csrf,
      username,
      error,
      passwordOnly,
      signIns: offers,
      // The username field also offers passkeys (conditional UI) when a fragment asks for it.
      autofill: offers.map((o) => o.data.autofill).filter((t): t is string => typeof t === 'string'),
      scripts: [...new Set(offers.flatMap((o) => (Array.isArray(o.data.scripts) ? o.data.scripts : [])))],
    },
    status,
  );
}

/** The password form after a passwordless sign-in that proved too little: the name is known. */
export async function showPasswordStep(deps: InteractionDeps, ctx: InteractionContext, accountId: string) {
  const username = (await deps.accounts.findById(accountId))?.username ?? '';
  await showForm(deps, ctx, username, { passwordOnly: true });
}

/** 429 with Retry-After and the generic lockout message; the password is not checked. */
async function showLocked(deps: InteractionDeps, ctx: InteractionContext, username: string, retryAt: Date) {
  ctx.set('Retry-After', String(Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 1000))));
  await showForm(deps, ctx, username, { error: loginLockedMessage(retryAt, translatorOf(ctx)), status: 429 });
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

/** Reads ahead the account of the username posted, with the interaction (one round trip fewer). */
export function readAccountAhead(deps: InteractionDeps): ReadAhead {
  return (ctx) => {
    const username = ctx.state.form?.username;
    if (!sharesReads(deps.accounts)) return;
    if (typeof username !== 'string' || username.length > 256 || !username.trim()) return;
    readAhead(() => deps.accounts.findByUsername(username.trim()));
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
      return showForm(deps, ctx, username, { error: tr(ctx, 'login.failed') });
    }
    // Giving the attempt back goes out with the pending login's write (src/scope/request-scope.ts).
    await batchWrite(attempt.attempt.succeed());
    deps.logger.info(
      { event: 'login.password_ok', account: result.account.id, ip: ctx.ip, client },
      'password accepted',
    );
    // After a passwordless sign-in of the same account the password adds to what it proved;
    // any other account starts over.
    const earlier = await loadPending(deps, ctx);
    const proven = earlier?.accountId === result.account.id ? earlier.amr : [];
    await startPending(deps, ctx, result.account.id, [...new Set([...proven, AMR_PASSWORD])], 'pw');
  };
}

/** Starts the pending login of a first factor and continues with the second-factor step. */
async function startPending(
  deps: InteractionDeps,
  ctx: InteractionContext,
  accountId: string,
  amr: string[],
  kind: string,
) {
  const pending: PendingLogin = {
    accountId,
    amr,
    stepUp: false,
    failures: 0,
    // A first-factor proof starts a new second-factor challenge with its own attempt count.
    challenge: `${kind}:${randomBytes(12).toString('base64url')}`,
    factorState: {},
  };
  await deps.mfa.pending.set(ctx.state.interaction.uid, pending);
  // Post/redirect/get: the interaction page continues with the second-factor step.
  seeOther(ctx, interactionUrls(ctx.state.interaction.uid, ctx.state.csrf).page);
}

/** Said when a passkey names no account here (removed, or made for another account or site). */
export const UNKNOWN_PASSKEY =
  'This passkey is not registered here. It may have been removed. Sign in with your password instead.';

/**
 * POST /sign-in/:factor: a passwordless first factor (a passkey from the button or autofill).
 * The answer names its account; a disabled account and a locked one are refused like a
 * password would be. What it proved decides the rest (src/policy/decide.ts): with user
 * verification a passkey is two factors, without it one, and the password is asked next.
 */
export function submitSignIn(deps: InteractionDeps): Step {
  return async (ctx) => {
    const factor = signInFactors(deps, ctx).find((f) => f.id === ctx.params.factor);
    if (!factor?.signIn) throw new InvalidRequest('This sign-in method is not available here.');
    const input = readInput(ctx.state.form, factor, 'login');
    const client = clientIdOf(ctx);
    const result = await factor.signIn.identify({ flowId: ctx.state.interaction.uid, ip: ctx.ip }, input);
    const record = result.ok ? await deps.accounts.findById(result.accountId) : undefined;
    if (!result.ok || !record || record.disabled) {
      const reason = result.ok ? 'disabled' : result.error;
      deps.logger.info(
        { event: 'login.failed', reason, factor: factor.id, ip: ctx.ip, client },
        'passwordless sign-in failed',
      );
      const error =
        reason === 'not_enrolled' || reason === 'disabled'
          ? tr(ctx, 'login.unknownPasskey')
          : messageFor(factor, reason, translatorOf(ctx));
      return showForm(deps, ctx, '', { error });
    }
    const status = await deps.mfa.regulation.status(record.id, ctx.ip);
    if (status.locked) return renderLocked(deps, ctx, status.retryAt);
    deps.logger.info(
      { event: 'login.passwordless_ok', account: record.id, factor: factor.id, ip: ctx.ip, client },
      'passwordless sign-in accepted',
    );
    await startPending(deps, ctx, record.id, result.amr, factor.id);
  };
}
