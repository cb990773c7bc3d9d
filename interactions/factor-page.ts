import type { FactorView } from '../src/factors/types.ts';
import {
  clientIdOf,
  clientName,
  type InteractionContext,
  type InteractionDeps,
  interactionUrls,
} from './context.ts';

/** Renders a factor's page inside the login, with what every factor page shows. */
export async function renderFactor(
  deps: InteractionDeps,
  ctx: InteractionContext,
  view: FactorView,
  extra: { action: string; title: string; error?: string; otherFactors?: { label: string; href: string }[] },
  status = 200,
) {
  const { uid, params } = ctx.state.interaction;
  await deps.render(
    ctx,
    view.view,
    {
      ...view.data,
      title: extra.title,
      action: extra.action,
      // The step's message (wrong code, attempts left) and the factor's own (e.g. a failed
      // send) are both worth reading.
      error:
        [extra.error, view.data.error]
          .filter((m): m is string => typeof m === 'string' && m !== '')
          .join(' ') || undefined,
      csrf: ctx.state.csrf,
      abortUrl: interactionUrls(uid, ctx.state.csrf).abort,
      clientName: await clientName(deps.provider, params.client_id),
      otherFactors: extra.otherFactors ?? [],
      rememberBrowserDays: deps.mfa.policy.forClient(clientIdOf(ctx)).rememberBrowserDays,
    },
    status,
  );
}
