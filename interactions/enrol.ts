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
import { finishLogin } from './finish.ts';
import { factorInput, factorRequest, loadPending, pendingAccount, renderFactor } from './mfa.ts';

/**
 * Enrolment during login (Keycloak's "Configure OTP" required action). A password alone may
 * only set up a first factor for an account that has none: otherwise whoever knows the
 * password could add their own authenticator and skip the real one. Backup codes need the
 * second factor already proven in this flow.
 */
async function enrolmentTarget(
  deps: InteractionDeps,
  ctx: InteractionContext,
): Promise<{ pending: PendingLogin; factor: Factor }> {
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
  return { pending, factor };
}

const titleFor = (factor: Factor) =>
  factor.backup ? 'Save your recovery codes' : `Set up ${factor.label.toLowerCase()}`;

/** GET /enrol/:factor: the set-up page; a reopened page resumes with the same pending secret. */
export function showEnrolment(deps: InteractionDeps): Step {
  return async (ctx) => {
    const { pending, factor } = await enrolmentTarget(deps, ctx);
    // Starting backup codes replaces the old set: only ever from a POST (CSRF-checked), never a
    // GET that a prefetch or another site could trigger.
    if (factor.backup) throw new InvalidRequest('Recovery codes are created from the sign-in steps only.');
    await startEnrolment(deps, ctx, pending, factor);
  };
}

/** Shows a factor's set-up page (and keeps its pending state). */
export async function startEnrolment(
  deps: InteractionDeps,
  ctx: InteractionContext,
  pending: PendingLogin,
  factor: Factor,
) {
  const account = await pendingAccount(deps, pending);
  const view = await factor.startEnrolment(await factorRequest(deps, ctx, account, pending, factor));
  await deps.mfa.pending.set(ctx.state.interaction.uid, pending);
  const urls = interactionUrls(ctx.state.interaction.uid, ctx.state.csrf);
  await renderFactor(deps, ctx, view, { title: titleFor(factor), action: urls.enrol(factor.id) });
}

/**
 * POST /enrol/:factor: saves the credential once the user proved it works, then offers
 * recovery codes after a first real factor, then finishes the login.
 */
export function submitEnrolment(deps: InteractionDeps): Step {
  return async (ctx) => {
    const uid = ctx.state.interaction.uid;
    const { pending, factor } = await enrolmentTarget(deps, ctx);
    const account = await pendingAccount(deps, pending);
    const input = factorInput(ctx);
    const result = await factor.finishEnrolment(
      await factorRequest(deps, ctx, account, pending, factor),
      input,
    );
    const urls = interactionUrls(uid, ctx.state.csrf);
    if (!result.ok && result.continue) {
      await deps.mfa.pending.set(uid, pending);
      return renderFactor(deps, ctx, result.view, { title: titleFor(factor), action: urls.enrol(factor.id) });
    }
    if (!result.ok) {
      pending.failures += 1;
      if (pending.failures >= deps.mfa.maxAttemptsPerChallenge * 2) {
        await deps.mfa.pending.delete(uid);
        throw new InteractionNotFound();
      }
      await deps.mfa.pending.set(uid, pending);
      // The factor may say what went wrong itself; otherwise a generic hint for its kind.
      const error =
        typeof result.view.data.error === 'string'
          ? undefined
          : factor.backup
            ? 'Tick the box once you have saved the codes.'
            : 'That code is not correct. Check the time on your device and try again.';
      return renderFactor(
        deps,
        ctx,
        result.view,
        { title: titleFor(factor), action: urls.enrol(factor.id), error },
        400,
      );
    }
    deps.logger.info(
      { event: 'factor.enrolled', account: account.id, factor: factor.id, ip: ctx.ip },
      'factor enrolled',
    );
    if (!factor.backup) pending.amr = [...pending.amr, ...factor.amr];
    pending.failures = 0;
    const recovery = deps.mfa.factors.recovery;
    if (!factor.backup && recovery && !(await recovery.isEnrolled(account.id))) {
      await deps.mfa.pending.set(uid, pending);
      return startEnrolment(deps, ctx, pending, recovery);
    }
    await finishLogin(deps, ctx, pending);
  };
}
