import { randomBytes } from 'node:crypto';
import { MAX_PASSWORD_LENGTH, passwordProblemMessage } from '../src/accounts/password-policy.ts';
import type { PasswordReset } from '../src/accounts/password-reset.ts';
import { t as tr, translatorOf } from '../src/i18n/index.ts';
import type { PendingLogin } from '../src/mfa/pending.ts';
import { AMR_PASSWORD } from '../src/policy/acr.ts';
import type { Render } from '../src/render.ts';
import {
  clientIdOf,
  clientName,
  type InteractionContext,
  type InteractionDeps,
  type InteractionState,
  interactionUrls,
  type Step,
  seeOther,
} from './context.ts';
import { field } from './form.ts';

/*
 * "Forgot password?" inside the login interaction, so it returns to the app:
 *   GET/POST /reset           the username -> a code to its verified address (the same answer for any name)
 *   GET/POST /reset/code      the code from the email
 *   GET/POST /reset/password  the new password -> the login goes on as after a password
 * The rules (limits, HMAC-stored codes, sessions ended, lockout lifted) are the service's
 * (src/accounts/password-reset.ts); these steps only read forms and pick pages.
 */

/** What the reset steps need besides the login's deps. */
export interface ResetDeps extends InteractionDeps {
  reset: PasswordReset;
}

/** URLs of one interaction's reset pages. */
export const resetUrls = (uid: string) => ({
  request: `/interaction/${uid}/reset`,
  code: `/interaction/${uid}/reset/code`,
  password: `/interaction/${uid}/reset/password`,
});

/** Said for a code that cannot be a code (letters, too short): nothing is checked or counted. */
const MALFORMED = 'reset.malformed';

/**
 * The login page's renderer with the "Forgot password?" link: the login step (interactions/login.ts)
 * stays unaware of the reset, and the link shows only where the reset is on.
 */
export function withResetLink(render: Render): Render {
  return (ctx, view, data, status) => {
    const uid = (ctx.state as Partial<InteractionState>).interaction?.uid;
    const extra = view === 'login' && uid ? { resetUrl: resetUrls(uid).request } : {};
    return render(ctx, view, { ...data, ...extra }, status);
  };
}

const who = (ctx: InteractionContext) => ({
  flowId: ctx.state.interaction.uid,
  ip: ctx.ip,
  clientId: clientIdOf(ctx),
});

/** The interaction's sign-in page (the login form, or the second factor after a reset). */
const signInPage = (ctx: InteractionContext) =>
  interactionUrls(ctx.state.interaction.uid, ctx.state.csrf).page;

async function renderRequest(
  deps: ResetDeps,
  ctx: InteractionContext,
  opts: { username: string; error?: string; status?: number },
) {
  const { uid, params } = ctx.state.interaction;
  await deps.render(
    ctx,
    'reset-request',
    {
      title: tr(ctx, 'reset.requestTitle'),
      clientName: await clientName(deps.provider, params.client_id),
      action: resetUrls(uid).request,
      csrf: ctx.state.csrf,
      username: opts.username,
      error: opts.error,
      backUrl: signInPage(ctx),
    },
    opts.status ?? (opts.error ? 400 : 200),
  );
}

async function renderCode(deps: ResetDeps, ctx: InteractionContext, error?: string, status = 200) {
  const urls = resetUrls(ctx.state.interaction.uid);
  await deps.render(
    ctx,
    'reset-code',
    {
      title: tr(ctx, 'reset.codeTitle'),
      action: urls.code,
      csrf: ctx.state.csrf,
      minutes: Math.floor(deps.reset.ttl / 60),
      error,
      againUrl: urls.request,
      backUrl: signInPage(ctx),
    },
    status,
  );
}

async function renderPassword(deps: ResetDeps, ctx: InteractionContext, error?: string) {
  await deps.render(
    ctx,
    'reset-password',
    {
      title: tr(ctx, 'reset.passwordTitle'),
      action: resetUrls(ctx.state.interaction.uid).password,
      csrf: ctx.state.csrf,
      minLength: deps.reset.minPasswordLength,
      maxLength: MAX_PASSWORD_LENGTH,
      error,
      backUrl: signInPage(ctx),
    },
    error ? 400 : 200,
  );
}

/** Where the reset stops, with the way on: a new code, or back to the sign-in. */
async function renderStartAgain(
  deps: ResetDeps,
  ctx: InteractionContext,
  heading: string,
  message: string,
  status: number,
) {
  await deps.render(
    ctx,
    'message',
    {
      title: heading,
      heading,
      message,
      link: { href: resetUrls(ctx.state.interaction.uid).request, text: tr(ctx, 'reset.askAgain') },
      links: [{ href: signInPage(ctx), text: tr(ctx, 'reset.back') }],
    },
    status,
  );
}

/** GET /reset: the username form, prefilled from `login_hint`. */
export function showResetRequest(deps: ResetDeps): Step {
  return async (ctx) => {
    const hint = ctx.state.interaction.params.login_hint;
    await renderRequest(deps, ctx, { username: typeof hint === 'string' ? hint.slice(0, 256) : '' });
  };
}

/**
 * POST /reset: asks for a code. Every name gets the same page (the code page) in the same
 * time; only the request limits, which count unknown names like real ones, answer otherwise.
 */
export function submitResetRequest(deps: ResetDeps): Step {
  return async (ctx) => {
    const username = field(ctx, 'username', 256)?.trim() ?? '';
    if (!username) return renderRequest(deps, ctx, { username, error: tr(ctx, 'reset.enterUsername') });
    const result = await deps.reset.request({
      ...who(ctx),
      username,
      appName: await clientName(deps.provider, ctx.state.interaction.params.client_id),
      locale: translatorOf(ctx).locale,
    });
    if (!result.ok) {
      const wait = Math.max(1, Math.ceil((result.retryAt.getTime() - Date.now()) / 1000));
      ctx.set('Retry-After', String(wait));
      return deps.render(
        ctx,
        'message',
        {
          title: tr(ctx, 'reset.tooManyTitle'),
          heading: tr(ctx, 'reset.tooManyTitle'),
          message: tr(ctx, 'reset.tooManyMessage', { time: result.retryAt.toISOString().slice(11, 16) }),
          link: { href: signInPage(ctx), text: tr(ctx, 'reset.back') },
        },
        429,
      );
    }
    seeOther(ctx, resetUrls(ctx.state.interaction.uid).code);
  };
}

/** GET /reset/code: the code form (or where this reset stands). */
export function showResetCode(deps: ResetDeps): Step {
  return async (ctx) => {
    const urls = resetUrls(ctx.state.interaction.uid);
    const state = await deps.reset.state(ctx.state.interaction.uid);
    if (!state) return seeOther(ctx, urls.request);
    if (state.verified) return seeOther(ctx, urls.password);
    await renderCode(deps, ctx);
  };
}

/** POST /reset/code: checks the code; wrong ones count against the code's attempts. */
export function submitResetCode(deps: ResetDeps): Step {
  return async (ctx) => {
    const urls = resetUrls(ctx.state.interaction.uid);
    const code = (field(ctx, 'code', 64) ?? '').replace(/\s+/g, '');
    if (!/^\d{6,10}$/.test(code)) return renderCode(deps, ctx, tr(ctx, MALFORMED), 400);
    const result = await deps.reset.verify(who(ctx), code);
    switch (result.outcome) {
      case 'verified':
        return seeOther(ctx, urls.password);
      case 'none':
        return seeOther(ctx, urls.request);
      case 'wrong': {
        return renderCode(deps, ctx, tr(ctx, 'reset.wrongCode', { count: result.left }), 401);
      }
      case 'closed':
        return renderStartAgain(deps, ctx, tr(ctx, 'reset.closedTitle'), tr(ctx, 'reset.closedMessage'), 429);
      case 'expired':
        return renderStartAgain(
          deps,
          ctx,
          tr(ctx, 'reset.expiredTitle'),
          tr(ctx, 'reset.expiredMessage'),
          400,
        );
    }
  };
}

/** GET /reset/password: the new-password form, once the code was right. */
export function showNewPassword(deps: ResetDeps): Step {
  return async (ctx) => {
    const urls = resetUrls(ctx.state.interaction.uid);
    const state = await deps.reset.state(ctx.state.interaction.uid);
    if (!state?.verified) return seeOther(ctx, state ? urls.code : urls.request);
    await renderPassword(deps, ctx);
  };
}

/**
 * POST /reset/password: sets the new password, then the login goes on exactly as after a
 * correct password (a pending login with `pwd`, as interactions/login.ts starts one): the
 * second-factor step decides what else is needed, and only it finishes the login.
 */
export function submitNewPassword(deps: ResetDeps): Step {
  return async (ctx) => {
    // Read beyond the policy's limit, so a long paste gets the policy's message, not a 400 page.
    const password = field(ctx, 'password', MAX_PASSWORD_LENGTH * 4) ?? '';
    const confirm = field(ctx, 'confirm', MAX_PASSWORD_LENGTH * 4) ?? '';
    if (password !== confirm) return renderPassword(deps, ctx, tr(ctx, 'reset.mismatch'));
    const result = await deps.reset.complete(who(ctx), password);
    if (!result.ok) {
      if (result.error === 'none') {
        return renderStartAgain(
          deps,
          ctx,
          tr(ctx, 'reset.invalidTitle'),
          tr(ctx, 'reset.invalidMessage'),
          400,
        );
      }
      const { key, vars } = passwordProblemMessage(result.error, deps.reset.minPasswordLength);
      return renderPassword(deps, ctx, tr(ctx, key, vars));
    }
    const uid = ctx.state.interaction.uid;
    const pending: PendingLogin = {
      accountId: result.accountId,
      amr: [AMR_PASSWORD],
      stepUp: false,
      failures: 0,
      // As a password proof does: a new second-factor challenge with its own attempt count.
      challenge: `pw:${randomBytes(12).toString('base64url')}`,
      factorState: {},
    };
    await deps.mfa.pending.set(uid, pending);
    seeOther(ctx, signInPage(ctx));
  };
}
