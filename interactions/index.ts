import Router from '@koa/router';
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { PasswordHasher } from '../src/accounts/password.ts';
import type { AccountStore } from '../src/accounts/types.ts';
import { InteractionNotFound } from '../src/errors.ts';
import type { Logger } from '../src/log.ts';
import { createRenderer, type Render } from '../src/render.ts';
import { createCsrf } from '../src/security/csrf.ts';
import { abort } from './abort.ts';
import { confirmConsent, showConsent } from './consent.ts';
import type { Step } from './context.ts';
import { parseForm } from './form.ts';
import { checkCsrf, expectPrompt, loadInteraction } from './load.ts';
import { showLogin, submitPassword } from './login.ts';

/** Options of {@link createInteractionRouter}. */
export interface InteractionOptions {
  /** Where accounts live (`adapters/redis-accounts.ts` or `adapters/memory-accounts.ts`). */
  accounts: AccountStore;
  /** argon2id hasher (`createPasswordHasher`). */
  hasher: PasswordHasher;
  /** Secret the CSRF tokens derive from; use the first cookie key. */
  csrfSecret: string;
  logger: Logger;
  /** Page renderer. @default the package's EJS views */
  render?: Render;
}

/**
 * The login/consent pages as a Koa router to `provider.use(router.routes())`. Read each route
 * top to bottom: it is the pipeline that request goes through.
 */
export function createInteractionRouter(provider: Provider, options: InteractionOptions): Router {
  const render = options.render ?? createRenderer();
  const csrf = createCsrf(options.csrfSecret);
  const deps = {
    provider,
    render,
    accounts: options.accounts,
    hasher: options.hasher,
    logger: options.logger,
  };
  const load = loadInteraction(provider, csrf);
  const router = new Router();
  const route = (...steps: Step[]) => steps as unknown as Middleware[];

  const showPrompt: Step = async (ctx, next) => {
    switch (ctx.state.interaction.prompt.name) {
      case 'login':
        return showLogin(deps)(ctx, next);
      case 'consent':
        return showConsent(deps)(ctx, next);
      default:
        throw new InteractionNotFound();
    }
  };

  router.get('/interaction/:uid', ...route(load, showPrompt));
  router.post(
    '/interaction/:uid/login',
    ...route(parseForm, load, checkCsrf(csrf), expectPrompt('login'), submitPassword(deps)),
  );
  router.post(
    '/interaction/:uid/consent',
    ...route(parseForm, load, checkCsrf(csrf), expectPrompt('consent'), confirmConsent(deps)),
  );
  router.get('/interaction/:uid/abort', ...route(load, checkCsrf(csrf), abort(provider)));
  return router;
}
