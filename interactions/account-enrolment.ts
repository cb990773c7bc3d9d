import type Provider from 'oidc-provider';
import type { Factor, FactorRequest } from '../src/factors/types.ts';
import { translatorOf } from '../src/i18n/index.ts';
import { decideFor } from '../src/policy/request.ts';
import type { Csrf } from '../src/security/csrf.ts';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATH } from './account-client.ts';
import { type AccountContext, enrolKey, enrolledKey, type Said } from './account-state.ts';
import type { InteractionDeps } from './context.ts';
import { backupPlural, type EnrolmentHost, enrolTitle, factorLabel, factorPageTexts } from './factor-flow.ts';

/** What the account page lends its enrolment host. */
export interface AccountEnrolmentEnv {
  provider: Provider;
  deps: InteractionDeps;
  csrf: Csrf;
  /** The account client's name, for messages that name the app. */
  appName: () => Promise<string | undefined>;
  /** Renders the account page with what it says. */
  showAccount: (ctx: AccountContext, said?: Said, status?: number) => Promise<void>;
}

/**
 * The account page as the host of the generic enrolment flow (interactions/factor-flow.ts):
 * factor state per session and factor in the key-value store; a new real factor makes the
 * session two-factor; the flow ends on the account page.
 */
export async function accountEnrolmentHost(
  ctx: AccountContext,
  env: AccountEnrolmentEnv,
): Promise<EnrolmentHost> {
  const { provider, deps, csrf, appName, showAccount } = env;
  const { mfa } = deps;
  const { me } = ctx.state;
  const states = new Map<string, Record<string, unknown>>();
  const stateOf = async (factor: Factor) => {
    let state = states.get(factor.id);
    if (!state) {
      state = JSON.parse((await mfa.kv.get(enrolKey(me.sessionUid, factor.id))) ?? '{}') as Record<
        string,
        unknown
      >;
      states.set(factor.id, state);
    }
    return state;
  };
  return {
    account: me.account,
    ip: ctx.ip,
    t: translatorOf(ctx),
    request: async (factor): Promise<FactorRequest> => ({
      account: me.account,
      clientId: ACCOUNT_CLIENT_ID,
      clientName: await appName(),
      locale: translatorOf(ctx).locale,
      flowId: me.sessionUid,
      ip: ctx.ip,
      state: await stateOf(factor),
    }),
    async save() {
      for (const [id, state] of states)
        await mfa.kv.set(enrolKey(me.sessionUid, id), JSON.stringify(state), 3600);
    },
    show: async (factor, view, error, status) =>
      deps.render(
        ctx,
        view.view,
        {
          ...view.data,
          ...factorPageTexts(factor, view, translatorOf(ctx), error),
          title: enrolTitle(factor, translatorOf(ctx)),
          action: `${ACCOUNT_PATH}/enrol/${factor.id}`,
          abortUrl: ACCOUNT_PATH,
          csrf: csrf.token(`account:${me.sessionUid}`),
          clientName: await appName(),
          otherFactors: [],
          rememberBrowserDays: 0,
        },
        status,
      ),
    refused: async () => {},
    async enrolled(factor, _credential, proven) {
      states.delete(factor.id);
      await mfa.kv.delete(enrolKey(me.sessionUid, factor.id));
      if (factor.backup) return;
      await mfa.kv.set(enrolledKey(me.sessionUid), factor.id, 3600);
      // The user just proved the new factor on top of the session's: the session now holds both.
      const amr = [...new Set([...me.amr, ...proven])];
      const decision = await decideFor(mfa.policy, mfa.factors, {
        clientId: ACCOUNT_CLIENT_ID,
        params: {},
        accountId: me.account.id,
        proven: amr,
      });
      const session = await provider.Session.get(ctx);
      if (decision.outcome === 'satisfied') {
        session.amr = decision.amr;
        session.acr = decision.acr;
      }
      await session.persist();
    },
    async done(factor) {
      // Recovery codes confirmed right after a new factor: say what was set up, and that the
      // codes are kept; confirmed alone, they replaced the old set.
      const added = mfa.factors.get((await mfa.kv.get(enrolledKey(me.sessionUid))) ?? '');
      await mfa.kv.delete(enrolledKey(me.sessionUid));
      const t = translatorOf(ctx);
      const plural = backupPlural(factor, t);
      if (!factor.backup)
        return showAccount(ctx, { success: t('account.setUp', { factor: factorLabel(factor, t) }) });
      if (added)
        return showAccount(ctx, {
          success: t('account.setUpWithBackup', { factor: factorLabel(added, t), backup: plural }),
        });
      return showAccount(ctx, { success: t('account.renewed', { backup: plural }) });
    },
  };
}
