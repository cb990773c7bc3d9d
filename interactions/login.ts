import type Provider from 'oidc-provider';
import { authenticate } from '../src/accounts/authenticate.ts';
import type { PasswordHasher } from '../src/accounts/password.ts';
import type { AccountStore } from '../src/accounts/types.ts';
import type { Logger } from '../src/log.ts';
import { ACR_ONE_FACTOR, AMR_PASSWORD } from '../src/policy/acr.ts';
import type { Render } from '../src/render.ts';
import { type InteractionContext, interactionUrls, type Step } from './context.ts';
import { field } from './form.ts';

/** What the password step needs. */
export interface LoginDeps {
  provider: Provider;
  accounts: AccountStore;
  hasher: PasswordHasher;
  render: Render;
  logger: Logger;
}

/** The one message for every failed sign-in: it must not tell which part was wrong. */
export const LOGIN_FAILED = 'Incorrect username or password.';

async function clientName(provider: Provider, clientId: unknown): Promise<string> {
  const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
  return client?.clientName ?? client?.clientId ?? 'this application';
}

async function showForm(deps: LoginDeps, ctx: InteractionContext, username: string, error?: string) {
  const { uid, params } = ctx.state.interaction;
  const urls = interactionUrls(uid, ctx.state.csrf);
  await deps.render(
    ctx,
    'login',
    {
      title: 'Sign in',
      clientName: await clientName(deps.provider, params.client_id),
      action: urls.login,
      abortUrl: urls.abort,
      csrf: ctx.state.csrf,
      username,
      error,
    },
    error ? 401 : 200,
  );
}

/** GET: the username/password form, prefilled from `login_hint`. */
export function showLogin(deps: LoginDeps): Step {
  return async (ctx) => {
    const hint = ctx.state.interaction.params.login_hint;
    await showForm(deps, ctx, typeof hint === 'string' ? hint.slice(0, 256) : '');
  };
}

/**
 * POST: checks the password. On success the login prompt is finished with the account, the
 * password amr and the one-factor acr; on failure the form comes back with one generic message.
 */
export function submitPassword(deps: LoginDeps): Step {
  return async (ctx) => {
    const username = field(ctx, 'username', 256)?.trim() ?? '';
    const password = field(ctx, 'password', 1024) ?? '';
    if (!username || !password) return showForm(deps, ctx, username, LOGIN_FAILED);

    const result = await authenticate(deps.accounts, deps.hasher, username, password);
    if (!result.ok) {
      deps.logger.info(
        {
          event: 'login.failed',
          reason: result.reason,
          username,
          ip: ctx.ip,
          client: ctx.state.interaction.params.client_id,
        },
        'password sign-in failed',
      );
      return showForm(deps, ctx, username, LOGIN_FAILED);
    }
    deps.logger.info(
      {
        event: 'login.password_ok',
        account: result.account.id,
        ip: ctx.ip,
        client: ctx.state.interaction.params.client_id,
      },
      'password accepted',
    );
    await deps.provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId: result.account.id, acr: ACR_ONE_FACTOR, amr: [AMR_PASSWORD], remember: true } },
      { mergeWithLastSubmission: false },
    );
    ctx.respond = false;
  };
}
