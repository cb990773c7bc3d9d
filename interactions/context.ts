import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { Interaction, InteractionResults } from 'oidc-provider';
import type { PasswordHasher } from '../src/accounts/password.ts';
import type { AccountStore } from '../src/accounts/types.ts';
import type { Logger } from '../src/log.ts';
import type { MfaParts } from '../src/mfa/parts.ts';
import { interactionPath } from '../src/provider/configuration.ts';
import type { Render } from '../src/render.ts';

/** What the interaction steps leave on `ctx.state` for the next one. */
export interface InteractionState {
  interaction: Interaction;
  csrf: string;
  form: Record<string, unknown>;
}

/** A Koa context inside the interaction router. */
export type InteractionContext = Context & { state: InteractionState; params: Record<string, string> };

/** One step of the interaction pipeline. */
export type Step = (ctx: InteractionContext, next: Next) => Promise<unknown>;

/**
 * Starts reads a route's later steps will make (`readAhead`, src/scope/request-scope.ts), so they
 * travel with the interaction's own. Runs before the interaction and the CSRF token are
 * checked: reads only.
 */
export type ReadAhead = (ctx: InteractionContext) => void;

/** Everything the steps share. */
export interface InteractionDeps {
  provider: Provider;
  accounts: AccountStore;
  hasher: PasswordHasher;
  render: Render;
  logger: Logger;
  mfa: MfaParts;
}

/** URLs of one interaction's pages. */
export const interactionUrls = (uid: string, csrf: string) => ({
  page: interactionPath(uid),
  login: `/interaction/${uid}/login`,
  consent: `/interaction/${uid}/consent`,
  abort: `/interaction/${uid}/abort?csrf=${encodeURIComponent(csrf)}`,
  factor: (id: string) => `/interaction/${uid}/mfa/${encodeURIComponent(id)}`,
  enrol: (id: string) => `/interaction/${uid}/enrol/${encodeURIComponent(id)}`,
  signIn: (id: string) => `/interaction/${uid}/sign-in/${encodeURIComponent(id)}`,
  regenerate: `/interaction/${uid}/recovery/regenerate`,
});

/** Display name of the client the user signs in to. */
export async function clientName(provider: Provider, clientId: unknown): Promise<string> {
  const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
  return client?.clientName ?? client?.clientId ?? 'this application';
}

/** The interaction's client id. */
export const clientIdOf = (ctx: InteractionContext) => String(ctx.state.interaction.params.client_id);

/** 303 to a page of this interaction (after a POST, so a reload does not resubmit). */
export function seeOther(ctx: InteractionContext, url: string) {
  ctx.status = 303;
  ctx.redirect(url);
}

/**
 * Stores the interaction's result and sends the browser back to oidc-provider (303): what
 * `provider.interactionFinished` does, but on the interaction this request already loaded, so a
 * login step costs one store read fewer.
 */
export async function finishInteraction(
  ctx: InteractionContext,
  result: InteractionResults,
  options: { mergeWithLastSubmission: boolean },
) {
  const { interaction } = ctx.state;
  interaction.result =
    options.mergeWithLastSubmission && !('error' in result)
      ? { ...interaction.lastSubmission, ...result }
      : result;
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  seeOther(ctx, interaction.returnTo);
}
