import type { Context } from 'koa';
import type { Factor, FactorView } from '../src/factors/types.ts';
import { type Translate, translatorOf } from '../src/i18n/index.ts';
import { ACCOUNT_PATH } from './account-client.ts';
import type { InteractionDeps } from './context.ts';
import { factorLabel, factorPageTexts, factorTranslator } from './factor-flow.ts';

/*
 * Confirming a removal on /account with a factor that answers on its own page, not with a typed
 * code (a passkey: a WebAuthn assertion). The account page offers it beside the code form; the
 * offer opens the factor's login challenge, bound to the account page's flow (the session uid,
 * the flow id of every removal proof), and its form posts the answer to the generic removal
 * (`/account/factors/:id/remove`), which checks it through `factor.verify` like a typed code.
 */

/** A factor with its own removal input (`inputs.remove`) confirms on its own challenge page. */
export const confirmsOnOwnPage = (factor: Factor): boolean => factor.inputs?.remove !== undefined;

/** What the account page offers per own-page factor: a button ("Confirm with a passkey"). */
export function ownPageConfirmers(enrolled: readonly Factor[], t: Translate) {
  return enrolled.filter(confirmsOnOwnPage).map((f) => ({
    id: f.id,
    // The factor's own words when it has them, else "Confirm with <its name>".
    offer:
      factorTranslator(f, t).opt('remove.offer') ?? t('account.confirmWith', { method: factorLabel(f, t) }),
  }));
}

/**
 * Renders the factor's challenge page as the confirmation of removing `removing.label`: the form
 * posts the answer to that credential's removal, with `verify_with` naming the factor. The
 * template gets `removing` (the method's name) to say so, and `hidden` (the fields to post back).
 */
export async function renderRemovalConfirm(
  deps: InteractionDeps,
  ctx: Context,
  factor: Factor,
  view: FactorView,
  removing: { id: string; label: string; csrf: string; clientName: string },
) {
  const t = translatorOf(ctx);
  await deps.render(ctx, view.view, {
    ...view.data,
    ...factorPageTexts(factor, view, t),
    title: t('account.removeMethod', { method: removing.label }),
    action: `${ACCOUNT_PATH}/factors/${encodeURIComponent(removing.id)}/remove`,
    hidden: { verify_with: factor.id },
    removing: removing.label,
    abortUrl: ACCOUNT_PATH,
    csrf: removing.csrf,
    clientName: removing.clientName,
    otherFactors: [],
    rememberBrowserDays: 0,
  });
}
