import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { FactorRegistry } from '../factors/index.ts';
import { accountGoneCheck } from './account-gone.ts';
import type { MfaPolicy } from './mfa.ts';
import { decideFor } from './request.ts';

const { Check, base } = interactionPolicy;

/**
 * The MFA requirement as an oidc-provider Check on the login prompt. A session whose methods
 * fall short of what the client and request need (policy, default acr, acr_values, essential
 * acr) makes the login prompt required again; with `prompt=none` oidc-provider then answers
 * `login_required` instead of silently issuing a one-factor login.
 */
export function mfaCheck(policy: MfaPolicy, factors: FactorRegistry) {
  return new Check(
    'mfa_required',
    'a second authentication factor is required',
    'login_required',
    async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const accountId = oidc.session?.accountId;
      if (!accountId || !oidc.client) return Check.NO_NEED_TO_PROMPT;
      const decision = await decideFor(policy, factors, {
        clientId: oidc.client.clientId,
        params: oidc.params ?? {},
        accountId,
        proven: oidc.session?.amr ?? ['pwd'],
      });
      return decision.enough ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    },
  );
}

/** oidc-provider's default prompts with the account-gone and MFA Checks added to `login`. */
export function loginPolicy(policy: MfaPolicy, factors: FactorRegistry) {
  const prompts = base();
  prompts.get('login')?.checks.add(accountGoneCheck());
  prompts.get('login')?.checks.add(mfaCheck(policy, factors));
  return prompts;
}
