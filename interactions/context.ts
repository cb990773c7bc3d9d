import type { Context, Next } from 'koa';
import type { Interaction } from 'oidc-provider';

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

/** URLs of one interaction's pages. */
export const interactionUrls = (uid: string, csrf: string) => ({
  page: `/interaction/${uid}`,
  login: `/interaction/${uid}/login`,
  consent: `/interaction/${uid}/consent`,
  abort: `/interaction/${uid}/abort?csrf=${encodeURIComponent(csrf)}`,
});
