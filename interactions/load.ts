import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { InteractionNotFound, InvalidCsrfToken } from '../src/errors.ts';
import { useUiLocales } from '../src/i18n/index.ts';
import type { Csrf } from '../src/security/csrf.ts';
import type { ReadAhead, Step } from './context.ts';

/**
 * Loads the interaction named in the path. The interaction cookie must point at that same uid:
 * oidc-provider reads the cookie only, so a mismatch means a stale tab or a forged link.
 * `readAhead` start in the same round trip.
 */
export function loadInteraction(provider: Provider, csrf: Csrf, ...readAhead: ReadAhead[]): Step {
  return async (ctx, next) => {
    // Every interaction response, redirects included, is private to this browser and this moment.
    ctx.set('Cache-Control', 'no-store');
    for (const read of readAhead) read(ctx);
    let interaction: Awaited<ReturnType<Provider['interactionDetails']>>;
    try {
      interaction = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) throw new InteractionNotFound(err);
      throw err;
    }
    if (interaction.uid !== ctx.params.uid) throw new InteractionNotFound();
    ctx.state.interaction = interaction;
    // The sign-in's pages speak the language the app asked for (ui_locales), else the browser's.
    useUiLocales(ctx, interaction.params.ui_locales);
    ctx.state.csrf = csrf.token(interaction.uid);
    await next();
  };
}

/** Refuses a form POST (or abort link) whose CSRF token does not belong to this interaction. */
export function checkCsrf(csrf: Csrf): Step {
  return async (ctx, next) => {
    // Only POST routes parse a form; GET (and the HEAD koa-router answers for it) use the query.
    const token = ctx.method === 'POST' ? ctx.state.form.csrf : ctx.query.csrf;
    if (!csrf.verify(ctx.state.interaction.uid, token)) throw new InvalidCsrfToken();
    await next();
  };
}

/** Guards a step that only makes sense at one prompt (a login POST while at consent, say). */
export function expectPrompt(name: string): Step {
  return async (ctx, next) => {
    if (ctx.state.interaction.prompt.name !== name) throw new InteractionNotFound();
    await next();
  };
}
