import type { Factor, FactorView } from '../src/factors/types.ts';
import { translatorOf } from '../src/i18n/index.ts';
import {
  clientIdOf,
  clientName,
  type InteractionContext,
  type InteractionDeps,
  interactionUrls,
} from './context.ts';
import { factorPageTexts } from './factor-flow.ts';

/**
 * Renders a factor's page inside the login, with what every factor page shows. The page's `t`
 * knows the factor's own catalogues; the view's `error` and `notice` keys are translated here.
 */
export async function renderFactor(
  deps: InteractionDeps,
  ctx: InteractionContext,
  factor: Factor,
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
      ...factorPageTexts(factor, view, translatorOf(ctx), extra.error),
      title: extra.title,
      action: extra.action,
      csrf: ctx.state.csrf,
      abortUrl: interactionUrls(uid, ctx.state.csrf).abort,
      clientName: await clientName(deps.provider, params.client_id),
      otherFactors: extra.otherFactors ?? [],
      rememberBrowserDays: deps.mfa.policy.forClient(clientIdOf(ctx)).rememberBrowserDays,
    },
    status,
  );
}
