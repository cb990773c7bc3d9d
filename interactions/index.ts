import Router from '@koa/router';
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { createMemoryCredentialStore } from '../adapters/memory-credentials.ts';
import { createMemoryKeyValueStore } from '../adapters/memory-kv.ts';
import type { PasswordHasher } from '../src/accounts/password.ts';
import type { PasswordReset } from '../src/accounts/password-reset.ts';
import type { AccountStore } from '../src/accounts/types.ts';
import { ConfigError, InteractionNotFound } from '../src/errors.ts';
import type { Logger } from '../src/log.ts';
import { type MfaParts, noMfaParts } from '../src/mfa/parts.ts';
import { interactionPath } from '../src/provider/configuration.ts';
import { createRenderer, type Render } from '../src/render.ts';
import { withRequestScope } from '../src/scope/request-scope.ts';
import { createCsrf } from '../src/security/csrf.ts';
import { abort } from './abort.ts';
import { createAccountRouter } from './account.ts';
import type { AccountSessionsDeps } from './account-sessions.ts';
import { factorAsset } from './assets.ts';
import { confirmConsent, showConsent } from './consent.ts';
import { type InteractionDeps, type Step, seeOther } from './context.ts';
import { renewBackup, showEnrolment, submitEnrolmentStep } from './enrol.ts';
import { parseForm } from './form.ts';
import { checkCsrf, expectPrompt, loadInteraction } from './load.ts';
import { readAccountAhead, showLogin, submitPassword, submitSignIn } from './login.ts';
import { chooseFactor, resendCode, showSecondFactor, verifyFactor } from './mfa.ts';
import { loadPending, readPendingAhead } from './pending.ts';
import {
  type ResetDeps,
  showNewPassword,
  showResetCode,
  showResetRequest,
  submitNewPassword,
  submitResetCode,
  submitResetRequest,
  withResetLink,
} from './reset.ts';

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
  /** Second factors (`createMfaParts`). @default none: every login ends after the password */
  mfa?: MfaParts;
  /**
   * "Forgot password?" on the login page: a code to the account's verified email address
   * (`createPasswordReset`, src/accounts/password-reset.ts). @default undefined: no reset
   */
  passwordReset?: PasswordReset;
  /** Serve the account page at /account (needs the `tollgate-account` client). @default undefined: off */
  accountPage?: { issuer: string; sessions?: AccountSessionsDeps; minPasswordLength?: number };
  /**
   * Accept pending logins and attempt counters in this process's memory: without `mfa` built on
   * Redis (`assembleMfa({ kv, redis, ... })`) the router refuses to start, because a restart
   * forgets them and every process behind a load balancer would count attempts on its own.
   * For a single-process demo or test only; a warning is logged once. @default false
   */
  unsafeMemoryStore?: boolean;
}

let warnedInMemory = false;

/** Refuses process-local login state unless asked for, and then says so once per process. */
function checkStore(mfa: MfaParts, options: InteractionOptions): void {
  if (mfa.inMemory.length === 0) return;
  const what = mfa.inMemory.join(' and ');
  if (!options.unsafeMemoryStore) {
    throw new ConfigError('createInteractionRouter', [
      `${what} would live in this process's memory: pass \`mfa\` from assembleMfa() with a Redis \`kv\` and \`redis\` client, or \`unsafeMemoryStore: true\` for a single-process demo or test`,
    ]);
  }
  if (warnedInMemory) return;
  warnedInMemory = true;
  options.logger.warn(
    { event: 'interactions.memory_store', in_memory: mfa.inMemory },
    `IN-MEMORY LOGIN STATE: ${what} are lost on restart and not shared between processes.`,
  );
}

/**
 * The login pages as a Koa router to `provider.use(router.routes())`. Read each route top to
 * bottom: it is the pipeline that request goes through. The login pipeline is
 * load interaction -> first factor (password) -> pending-MFA state -> choose factor ->
 * challenge -> verify -> finish (interactions/finish.ts), with enrolment on demand.
 */
export function createInteractionRouter(provider: Provider, options: InteractionOptions): Router {
  const csrf = createCsrf(options.csrfSecret);
  const render = options.render ?? createRenderer();
  const deps: InteractionDeps = {
    provider,
    // With the reset on, the login page links to it.
    render: options.passwordReset ? withResetLink(render) : render,
    accounts: options.accounts,
    hasher: options.hasher,
    logger: options.logger,
    mfa:
      options.mfa ??
      noMfaParts(
        { credentials: createMemoryCredentialStore(), kv: createMemoryKeyValueStore() },
        options.csrfSecret,
      ),
  };
  checkStore(deps.mfa, options);
  // The interaction, its pending login and that login's account and credentials: one read ahead.
  const load = loadInteraction(provider, csrf, readPendingAhead(deps));
  // The password step also reads the account of the name posted.
  const loadForPassword = loadInteraction(provider, csrf, readPendingAhead(deps), readAccountAhead(deps));
  const verified = checkCsrf(csrf);
  const atLogin = expectPrompt('login');
  const router = new Router();
  // The steps of a request share their reads and send their writes together
  // (src/scope/request-scope.ts); the server opens the scope earlier, a hand-built provider here.
  router.use((_ctx, next) => withRequestScope(next));
  const route = (...steps: Step[]) => steps as unknown as Middleware[];

  const showPrompt: Step = async (ctx, next) => {
    switch (ctx.state.interaction.prompt.name) {
      case 'login': {
        const pending = await loadPending(deps, ctx);
        return pending ? showSecondFactor(deps, ctx, pending) : showLogin(deps)(ctx, next);
      }
      case 'consent':
        return showConsent(deps)(ctx, next);
      default:
        throw new InteractionNotFound();
    }
  };

  router.get('/assets/:factor/:name', factorAsset(deps));
  router.get('/interaction/:uid', ...route(load, showPrompt));
  router.post(
    '/interaction/:uid/login',
    ...route(parseForm, loadForPassword, verified, atLogin, submitPassword(deps)),
  );
  router.post(
    '/interaction/:uid/sign-in/:factor',
    ...route(parseForm, load, verified, atLogin, submitSignIn(deps)),
  );
  router.get('/interaction/:uid/mfa/:factor', ...route(load, atLogin, chooseFactor(deps)));
  router.post(
    '/interaction/:uid/mfa/:factor',
    ...route(parseForm, load, verified, atLogin, verifyFactor(deps)),
  );
  router.post(
    '/interaction/:uid/mfa/:factor/resend',
    ...route(parseForm, load, verified, atLogin, resendCode(deps)),
  );
  router.get('/interaction/:uid/enrol/:factor', ...route(load, atLogin, showEnrolment(deps)));
  router.post(
    '/interaction/:uid/enrol/:factor',
    ...route(parseForm, load, verified, atLogin, submitEnrolmentStep(deps)),
  );
  router.post(
    '/interaction/:uid/recovery/regenerate',
    ...route(parseForm, load, verified, atLogin, renewBackup(deps)),
  );
  router.post(
    '/interaction/:uid/consent',
    ...route(parseForm, load, verified, expectPrompt('consent'), confirmConsent(deps)),
  );
  router.get('/interaction/:uid/abort', ...route(load, verified, abort()));
  // A page that answers a POST, reopened (a reload, a bookmark, a new tab): back to the
  // interaction's own page, which shows the step the login is at. It changes nothing.
  const reopened: Step = async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    seeOther(ctx, interactionPath(encodeURIComponent(ctx.params.uid ?? '')));
  };
  for (const page of ['login', 'sign-in/:factor', 'mfa/:factor/resend', 'recovery/regenerate', 'consent'])
    router.get(`/interaction/:uid/${page}`, ...route(reopened));
  if (options.passwordReset) {
    // "Forgot password?": username -> code by email -> new password -> back to the second-factor step.
    const reset: ResetDeps = { ...deps, reset: options.passwordReset };
    router.get('/interaction/:uid/reset', ...route(load, atLogin, showResetRequest(reset)));
    router.post(
      '/interaction/:uid/reset',
      ...route(parseForm, load, verified, atLogin, submitResetRequest(reset)),
    );
    router.get('/interaction/:uid/reset/code', ...route(load, atLogin, showResetCode(reset)));
    router.post(
      '/interaction/:uid/reset/code',
      ...route(parseForm, load, verified, atLogin, submitResetCode(reset)),
    );
    router.get('/interaction/:uid/reset/password', ...route(load, atLogin, showNewPassword(reset)));
    router.post(
      '/interaction/:uid/reset/password',
      ...route(parseForm, load, verified, atLogin, submitNewPassword(reset)),
    );
  }
  if (options.accountPage) {
    const { issuer, sessions, minPasswordLength } = options.accountPage;
    const account = createAccountRouter(provider, deps, csrf, issuer, sessions, minPasswordLength);
    router.use(account.routes(), account.allowedMethods());
  }
  return router;
}
