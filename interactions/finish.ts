import { secondFactorMethods } from '../src/mfa/level.ts';
import type { PendingLogin } from '../src/mfa/pending.ts';
import { factorsFingerprint } from '../src/mfa/remember-browser.ts';
import { decideFor } from '../src/policy/request.ts';
import { batchWrite } from '../src/scope/request-scope.ts';
import { clientIdOf, finishInteraction, type InteractionContext, type InteractionDeps } from './context.ts';

/**
 * Ends the login prompt: only here, after every required factor passed, does the interaction
 * result get a `login`, with the acr and amr of what the user actually proved.
 */
export async function finishLogin(
  deps: InteractionDeps,
  ctx: InteractionContext,
  pending: PendingLogin,
  options: { remember?: boolean } = {},
): Promise<void> {
  const { interaction } = ctx.state;
  const clientId = clientIdOf(ctx);
  const { mfa } = deps;
  const decision = await decideFor(mfa.policy, mfa.factors, {
    clientId,
    params: interaction.params,
    accountId: pending.accountId,
    proven: pending.amr,
  });
  // Sent with the interaction's save (src/scope/request-scope.ts): both before the redirect leaves.
  await batchWrite(mfa.pending.delete(interaction.uid));
  if (decision.outcome !== 'satisfied') {
    deps.logger.info(
      { event: 'login.unmet', account: pending.accountId, client: clientId },
      'acr cannot be met',
    );
    return finishInteraction(
      ctx,
      {
        error: 'unmet_authentication_requirements',
        error_description: 'The requested authentication level cannot be met',
      },
      { mergeWithLastSubmission: false },
    );
  }
  const { acr, amr } = decision;
  const days = mfa.policy.forClient(clientId).rememberBrowserDays;
  if (options.remember && decision.achieved >= 2 && days > 0) {
    const account = await deps.accounts.findById(pending.accountId);
    const fingerprint = factorsFingerprint(
      await mfa.credentials.list(pending.accountId),
      account?.sessions_not_before,
    );
    mfa.remember.remember(ctx, pending.accountId, fingerprint, days, secondFactorMethods(pending.amr));
  }
  // The factor proven last (metrics label it): `webauthn` after a passkey, none after a password alone.
  const factor = [...pending.amr]
    .reverse()
    .map((m) => mfa.factors.all().find((f) => f.amr.includes(m)))
    .find((f) => f !== undefined)?.id;
  deps.logger.info(
    { event: 'login.succeeded', account: pending.accountId, client: clientId, factor, acr, amr, ip: ctx.ip },
    'signed in',
  );
  await finishInteraction(
    ctx,
    { login: { accountId: pending.accountId, acr, amr, remember: true } },
    { mergeWithLastSubmission: false },
  );
}
