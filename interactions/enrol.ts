import type { Account } from '../src/accounts/types.ts';
import { InteractionNotFound, InvalidRequest } from '../src/errors.ts';
import type { Factor } from '../src/factors/types.ts';
import { translatorOf } from '../src/i18n/index.ts';
import type { PendingLogin } from '../src/mfa/pending.ts';
import { acceptedFactors, decide } from '../src/policy/decide.ts';
import { decisionInput } from '../src/policy/request.ts';
import {
  clientIdOf,
  type InteractionContext,
  type InteractionDeps,
  interactionUrls,
  type Step,
  seeOther,
} from './context.ts';
import {
  backupPlural,
  type EnrolmentHost,
  enrolTitle,
  factorLabel,
  startEnrolment,
  submitEnrolment,
} from './factor-flow.ts';
import { renderFactor } from './factor-page.ts';
import { finishLogin } from './finish.ts';
import { field } from './form.ts';
import { factorRequest, loadPending, pendingAccount } from './pending.ts';

/**
 * Enrolment during login (Keycloak's "Configure OTP" required action), driven through the
 * generic factor flow (interactions/factor-flow.ts) with the pending login as its host.
 */

/** The login as the host of an enrolment: state in the pending login, then finish. */
export function loginEnrolmentHost(
  deps: InteractionDeps,
  ctx: InteractionContext,
  pending: PendingLogin,
  account: Account,
): EnrolmentHost {
  const uid = ctx.state.interaction.uid;
  const save = () => deps.mfa.pending.set(uid, pending);
  const t = translatorOf(ctx);
  return {
    account,
    ip: ctx.ip,
    t,
    request: (factor) => factorRequest(deps, ctx, account, pending, factor),
    save,
    show: (factor, view, error, status) =>
      renderFactor(
        deps,
        ctx,
        factor,
        view,
        {
          title: enrolTitle(factor, t),
          action: interactionUrls(uid, ctx.state.csrf).enrol(factor.id),
          error,
        },
        status,
      ),
    async refused() {
      pending.failures += 1;
      if (pending.failures >= deps.mfa.maxAttemptsPerChallenge * 2) {
        await deps.mfa.pending.delete(uid);
        throw new InteractionNotFound();
      }
    },
    async enrolled(factor, _credential, amr) {
      // Held apart until the enrolment is over (its recovery codes confirmed): a page reopened
      // in between must not find the new factor proven and finish the login without them.
      if (!factor.backup) {
        pending.enrolledAmr = [...(pending.enrolledAmr ?? []), ...amr];
        pending.enrolledFactor = factor.id;
      }
      pending.failures = 0;
      await save();
    },
    done: () => finishLogin(deps, ctx, withEnrolled(pending)),
  };
}

/** The pending login with what its enrolment proved counted in, the enrolment over. */
function withEnrolled(pending: PendingLogin): PendingLogin {
  const { enrolledAmr = [], enrolledFactor: _done, ...rest } = pending;
  return { ...rest, amr: [...pending.amr, ...enrolledAmr] };
}

/** Methods the login has proven, a factor enrolled in it included (its backup codes may follow). */
const provenWithEnrolled = (pending: PendingLogin) => withEnrolled(pending).amr;

/**
 * The factor a login may set up now. A password alone may only set up a first factor for an
 * account that has none: otherwise whoever knows the password could add their own
 * authenticator and skip the real one. Backup factors need the second factor proven first.
 */
async function enrolmentTarget(deps: InteractionDeps, ctx: InteractionContext, pending: PendingLogin) {
  const { mfa } = deps;
  const factor = mfa.factors.get(ctx.params.factor ?? '');
  const input = await decisionInput(mfa.policy, mfa.factors, {
    clientId: clientIdOf(ctx),
    params: ctx.state.interaction.params,
    accountId: pending.accountId,
    // The factor just enrolled here counts for its backup codes, and for nothing else.
    proven: factor?.backup ? provenWithEnrolled(pending) : pending.amr,
  });
  const allowed = acceptedFactors(input.client, input.factors).map((f) => f.id);
  if (!factor?.enrollable || (!factor.backup && !allowed.includes(factor.id))) {
    throw new InvalidRequest('This sign-in method cannot be set up here.');
  }
  const d = decide(input);
  if (factor.backup ? d.achieved < 2 : !d.mayEnrol)
    throw new InvalidRequest('Sign in with your existing second factor first.');
  const account = await pendingAccount(deps, pending);
  return { pending, factor, host: loginEnrolmentHost(deps, ctx, pending, account) };
}

/**
 * The pending login of a set-up step, or `undefined` after a 303 to the login's page when a
 * factor was already set up in this flow (a reopened page, a double submit): that page shows
 * what is left (its recovery codes), never a new secret.
 */
async function pendingEnrolment(deps: InteractionDeps, ctx: InteractionContext) {
  const pending = await loadPending(deps, ctx);
  if (!pending) throw new InteractionNotFound();
  const backup = deps.mfa.factors.get(ctx.params.factor ?? '')?.backup === true;
  if (!pending.enrolledAmr || backup) return pending;
  seeOther(ctx, interactionUrls(ctx.state.interaction.uid, ctx.state.csrf).page);
  return undefined;
}

/** GET /enrol/:factor: the set-up page; a reopened page resumes with the same pending secret. */
export function showEnrolment(deps: InteractionDeps): Step {
  return async (ctx) => {
    const pending = await pendingEnrolment(deps, ctx);
    if (!pending) return;
    const { factor, host } = await enrolmentTarget(deps, ctx, pending);
    // Starting backup codes replaces the old set: only ever from a POST (CSRF-checked), never a
    // GET that a prefetch or another site could trigger.
    if (factor.backup) throw new InvalidRequest('Recovery codes are created from the sign-in steps only.');
    await startEnrolment(host, factor);
  };
}

/** POST /enrol/:factor: one step of the set-up, through the generic flow. */
export function submitEnrolmentStep(deps: InteractionDeps): Step {
  return async (ctx) => {
    const pending = await pendingEnrolment(deps, ctx);
    if (!pending) return;
    const { factor, host } = await enrolmentTarget(deps, ctx, pending);
    await submitEnrolment(deps, host, factor, ctx.state.form);
  };
}

/** POST /recovery/regenerate: after the last backup code, a new set now or later. */
export function renewBackup(deps: InteractionDeps): Step {
  return async (ctx) => {
    const pending = await deps.mfa.pending.get(ctx.state.interaction.uid);
    const backup: Factor | undefined = deps.mfa.factors.backup();
    if (!pending || !backup) throw new InteractionNotFound();
    const input = await decisionInput(deps.mfa.policy, deps.mfa.factors, {
      clientId: clientIdOf(ctx),
      params: ctx.state.interaction.params,
      accountId: pending.accountId,
      proven: provenWithEnrolled(pending),
    });
    if (decide(input).achieved < 2) throw new InteractionNotFound();
    if (field(ctx, 'regenerate', 8) !== '1') {
      // "Not now" is for a login that used its last code; a new factor's codes must be confirmed.
      if (pending.enrolledAmr)
        return seeOther(ctx, interactionUrls(ctx.state.interaction.uid, ctx.state.csrf).page);
      return finishLogin(deps, ctx, pending);
    }
    const account = await pendingAccount(deps, pending);
    await startEnrolment(loginEnrolmentHost(deps, ctx, pending, account), backup);
  };
}

/**
 * The login's page between a new factor and the confirmation of its recovery codes (the codes
 * page was closed or reloaded, the login's URL reopened). The codes cannot be shown again, as no
 * plain copy is kept: the user confirms they saved them, or asks for a new set. It never
 * finishes the login by itself.
 */
export async function showBackupPending(
  deps: InteractionDeps,
  ctx: InteractionContext,
  pending: PendingLogin,
) {
  const backup = deps.mfa.factors.backup();
  // No backup factor to wait for (any more): the enrolment is over.
  if (!backup) return finishLogin(deps, ctx, withEnrolled(pending));
  const urls = interactionUrls(ctx.state.interaction.uid, ctx.state.csrf);
  const added = deps.mfa.factors.get(pending.enrolledFactor ?? '');
  const t = translatorOf(ctx);
  await renderFactor(
    deps,
    ctx,
    backup,
    {
      view: 'backup-pending',
      data: {
        added: added && factorLabel(added, t),
        backup: backup.label,
        backupPlural: backupPlural(backup, t),
        regenerate: urls.regenerate,
      },
    },
    { title: enrolTitle(backup, t), action: urls.enrol(backup.id) },
  );
}
