import type Provider from 'oidc-provider';
import type { AccountStore } from '../src/accounts/types.ts';
import { translatorOf } from '../src/i18n/index.ts';
import type { Logger } from '../src/log.ts';
import type { Render } from '../src/render.ts';
import { finishInteraction, interactionUrls, type Step } from './context.ts';

/** What the consent step needs. */
export interface ConsentDeps {
  provider: Provider;
  accounts: AccountStore;
  render: Render;
  logger: Logger;
}

interface ConsentDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** GET: what the client asks for, with Allow / Deny. */
export function showConsent(deps: ConsentDeps): Step {
  return async (ctx) => {
    const { uid, params, prompt, session } = ctx.state.interaction;
    const details = prompt.details as ConsentDetails;
    const client = await deps.provider.Client.find(String(params.client_id));
    const account = session?.accountId ? await deps.accounts.findById(session.accountId) : undefined;
    const urls = interactionUrls(uid, ctx.state.csrf);
    // Words for the scopes a user is asked to grant (catalogue keys `scope.<name>`); unknown
    // scopes are shown by name.
    const t = translatorOf(ctx);
    const scopes = (details.missingOIDCScope ?? []).map((name) => ({
      name,
      description: t.opt(`scope.${name}`) ?? name,
    }));
    await deps.render(ctx, 'consent', {
      title: t('consent.title'),
      clientName: client?.clientName ?? client?.clientId ?? t('common.anApplication'),
      action: urls.consent,
      abortUrl: urls.abort,
      csrf: ctx.state.csrf,
      scopes,
      claims: (details.missingOIDCClaims ?? []).filter(
        (c) => !['sub', 'sid', 'auth_time', 'acr', 'amr'].includes(c),
      ),
      accountName: account?.name ?? account?.username ?? '',
    });
  };
}

/** POST: grants exactly what the consent prompt listed as missing, then resumes authorization. */
export function confirmConsent(deps: ConsentDeps): Step {
  return async (ctx) => {
    const { interaction } = ctx.state;
    const { params, prompt, session } = interaction;
    const details = prompt.details as ConsentDetails;
    const accountId = session?.accountId;
    const clientId = String(params.client_id);
    const grant = interaction.grantId
      ? await deps.provider.Grant.find(interaction.grantId)
      : new deps.provider.Grant({ accountId, clientId });
    if (!grant) throw new Error('grant referenced by the interaction no longer exists');
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    deps.logger.info({ event: 'consent.granted', account: accountId, client: clientId }, 'consent granted');
    await finishInteraction(
      ctx,
      { consent: interaction.grantId ? {} : { grantId } },
      { mergeWithLastSubmission: true },
    );
  };
}
