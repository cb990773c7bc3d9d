import type { Account } from '../src/accounts/types.ts';
import { InteractionNotFound, InvalidRequest } from '../src/errors.ts';
import type { Factor } from '../src/factors/types.ts';
import type { PendingLogin } from '../src/mfa/pending.ts';
import { acceptedFactors, decide } from '../src/policy/decide.ts';
import { decisionInput } from '../src/policy/request.ts';
import {
  clientIdOf,
  type InteractionContext,
  type InteractionDeps,
  interactionUrls,
  type Step,
} from './context.ts';
import { type EnrolmentHost, enrolTitle, startEnrolment, submitEnrolment } from './factor-flow.ts';
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
  return {
    account,
    ip: ctx.ip,
    request: (factor) => factorRequest(deps, ctx, account, pending, factor),
    save,
    show: (factor, view, error, status) =>
      renderFactor(
        deps,
        ctx,
        view,
        { title: enrolTitle(factor), action: interactionUrls(uid, ctx.state.csrf).enrol(factor.id), error },
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
      if (!factor.backup) pending.amr = [...pending.amr, ...amr];
      pending.failures = 0;
      await save();
    },
    done: () => finishLogin(deps, ctx, pending),
  };
}

/**
 * The factor a login may set up now. A password alone may only set up a first factor for an
 * account that has none: otherwise whoever knows the password could add their own
 * authenticator and skip the real one. Backup factors need the second factor proven first.
 */
async function enrolmentTarget(deps: InteractionDeps, ctx: InteractionContext) {
  const pending = await loadPending(deps, ctx);
  if (!pending) throw new InteractionNotFound();
  const { mfa } = deps;
  const input = await decisionInput(mfa.policy, mfa.factors, {
    clientId: clientIdOf(ctx),
    params: ctx.state.interaction.params,
    accountId: pending.accountId,
    proven: pending.amr,
  });
  const allowed = acceptedFactors(input.client, input.factors).map((f) => f.id);
  const factor = mfa.factors.get(ctx.params.factor ?? '');
  if (!factor?.enrollable || (!factor.backup && !allowed.includes(factor.id))) {
    throw new InvalidRequest('This sign-in method cannot be set up here.');
  }
  const d = decide(input);
  if (factor.backup ? d.achieved < 2 : !d.mayEnrol)
    throw new InvalidRequest('Sign in with your existing second factor first.');
  const account = await pendingAccount(deps, pending);
  return { pending, factor, host: loginEnrolmentHost(deps, ctx, pending, account) };
}

/** GET /enrol/:factor: the set-up page; a reopened page resumes with the same pending secret. */
export function showEnrolment(deps: InteractionDeps): Step {
  return async (ctx) => {
    const { factor, host } = await enrolmentTarget(deps, ctx);
    // Starting backup codes replaces the old set: only ever from a POST (CSRF-checked), never a
    // GET that a prefetch or another site could trigger.
    if (factor.backup) throw new InvalidRequest('Recovery codes are created from the sign-in steps only.');
    await startEnrolment(host, factor);
  };
}

/** POST /enrol/:factor: one step of the set-up, through the generic flow. */
export function submitEnrolmentStep(deps: InteractionDeps): Step {
  return async (ctx) => {
    const { factor, host } = await enrolmentTarget(deps, ctx);
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
      proven: pending.amr,
    });
    if (decide(input).achieved < 2) throw new InteractionNotFound();
    if (field(ctx, 'regenerate', 8) !== '1') return finishLogin(deps, ctx, pending);
    const account = await pendingAccount(deps, pending);
    await startEnrolment(loginEnrolmentHost(deps, ctx, pending, account), backup);
  };
}
