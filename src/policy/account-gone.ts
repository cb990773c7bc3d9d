import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

const { Check } = interactionPolicy;

/**
 * A session whose account no longer resolves (disabled, deleted, or signed in before the
 * account's last reset: src/accounts/find-account.ts) asks for a fresh sign-in. Without it
 * oidc-provider goes on to the consent checks with no grant and answers 500 (issue 15.6).
 * With `prompt=none` the client gets `login_required`.
 */
export function accountGoneCheck() {
  return new Check(
    'account_gone',
    'the signed-in account is no longer available',
    'login_required',
    (ctx: KoaContextWithOIDC) =>
      ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
  );
}
