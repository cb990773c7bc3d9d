import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import { sessionPredatesReset } from '../src/accounts/find-account.ts';
import type { Account } from '../src/accounts/types.ts';
import { InvalidCsrfToken, InvalidRequest } from '../src/errors.ts';
import type { Factor, FactorRequest, FactorView } from '../src/factors/types.ts';
import { ACR_TWO_FACTOR } from '../src/policy/acr.ts';
import { decideFor } from '../src/policy/request.ts';
import { UNCHECKED_FAILURES } from '../src/security/attempts.ts';
import type { Csrf } from '../src/security/csrf.ts';
import type { InteractionDeps } from './context.ts';
import { parseForm } from './form.ts';

/** The built-in first-party client the account page signs in through. */
export const ACCOUNT_CLIENT_ID = 'tollgate-account';

/** Client metadata of the account page's own client (public, code + PKCE). */
export function accountClient(issuer: string) {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Your account',
    redirect_uris: [`${issuer}/account/callback`],
    grant_types: ['authorization_code' as const],
    first_party: true,
    mfa: { policy: 'optional' as const },
  };
}

interface AccountCtx {
  account: Account;
  sessionUid: string;
  amr: string[];
  /** The session may bind a new factor (src/policy/decide.ts). */
  mayEnrol: boolean;
}

type AccountContext = Context & {
  state: { me: AccountCtx; form: Record<string, unknown> };
  params: Record<string, string>;
};
type AccountStep = (ctx: AccountContext, next: Next) => Promise<unknown>;

const enrolKey = (sessionUid: string, factor: string) => `account-enrol:${sessionUid}:${factor}`;
/** Where the code a removal is confirmed with was sent (e.g. the email factor's OTP session). */
const confirmKey = (sessionUid: string, factor: string) => `account-confirm:${sessionUid}:${factor}`;

/**
 * The signed-in user's own page: list second factors, add one, create new recovery codes,
 * remove one. Adding needs a two-factor session once the user has a factor (else the password
 * alone could add an authenticator); removing needs a fresh code from a factor the user has.
 */
export function createAccountRouter(
  provider: Provider,
  deps: InteractionDeps,
  csrf: Csrf,
  issuer: string,
): Router {
  const router = new Router({ prefix: '/account' });
  const { mfa } = deps;
  const route = (...steps: AccountStep[]) => steps as unknown as Middleware[];

  /** Starts a sign-in through the account client; `twoFactor` asks for the second factor too. */
  const signIn = (ctx: Context, twoFactor = false) => {
    const url = new URL(`${issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${issuer}/account/callback`,
      // The page only needs the provider's session, not tokens: the code is never redeemed.
      code_challenge: randomBytes(32).toString('base64url'),
      code_challenge_method: 'S256',
      state: randomBytes(16).toString('base64url'),
      ...(twoFactor ? { acr_values: ACR_TWO_FACTOR } : {}),
    }).toString();
    ctx.redirect(url.href);
  };

  const loadSession = async (ctx: AccountContext, next: Next) => {
    ctx.set('Cache-Control', 'no-store');
    const session = await provider.Session.get(ctx);
    const record = session.accountId ? await deps.accounts.findById(session.accountId) : undefined;
    const stale = !record || record.disabled || sessionPredatesReset(record, session.loginTs);
    if (!record || stale || !session.uid) return signIn(ctx);
    const { password_hash: _omit, ...account } = record;
    const amr = session.amr ?? ['pwd'];
    // The page holds to its own client's policy, whichever client the session came from:
    // a user with a second factor sees it only after proving that factor.
    const decision = await decideFor(mfa.policy, mfa.factors, {
      clientId: ACCOUNT_CLIENT_ID,
      params: {},
      accountId: account.id,
      proven: amr,
    });
    if (!decision.enough) return signIn(ctx, true);
    ctx.state.me = { account, sessionUid: session.uid, amr, mayEnrol: decision.mayEnrol };
    await next();
  };

  const checkCsrf = async (ctx: AccountContext, next: Next) => {
    if (!csrf.verify(`account:${ctx.state.me.sessionUid}`, ctx.state.form.csrf)) throw new InvalidCsrfToken();
    await next();
  };

  const formField = (ctx: AccountContext, name: string) => {
    const v = ctx.state.form[name];
    if (v !== undefined && typeof v !== 'string')
      throw new InvalidRequest(`The field "${name}" was sent more than once.`);
    return v?.slice(0, 128);
  };

  /** Adding a factor to an account that has one needs a two-factor session. */
  const mayChangeFactors = async (me: AccountCtx) => me.mayEnrol;

  async function showAccount(ctx: AccountContext, message?: string, error?: string, status = 200) {
    const { account, sessionUid } = ctx.state.me;
    const credentials = await mfa.credentials.list(account.id);
    const enrolled = await mfa.factors.enrolled(
      account.id,
      mfa.factors.all().map((f) => f.id),
    );
    const recovery = mfa.factors.recovery;
    await deps.render(
      ctx,
      'account',
      {
        title: 'Your account',
        account,
        csrf: csrf.token(`account:${sessionUid}`),
        message,
        error,
        credentials: credentials.map((c) => ({
          id: c.id,
          label: c.label ?? mfa.factors.get(c.factor)?.label ?? c.factor,
          factor: c.factor,
          created: new Date(c.created_at * 1000).toISOString().slice(0, 10),
          lastUsed: c.last_used_at ? new Date(c.last_used_at * 1000).toISOString().slice(0, 10) : undefined,
        })),
        // Factors that send their code (email, SMS) get a "send me a code" button.
        verifiers: enrolled.map((f) => ({ id: f.id, label: f.label, sends: f.resend !== undefined })),
        addable: mfa.factors
          .all()
          .filter((f) => f.enrollable && !f.backup && !enrolled.includes(f))
          .map((f) => ({ id: f.id, label: f.label })),
        recoveryRemaining:
          recovery && (await recovery.isEnrolled(account.id))
            ? await recovery.remaining(account.id)
            : undefined,
        canRegenerate: Boolean(recovery) && enrolled.some((f) => !f.backup),
      },
      status,
    );
  }

  const factorParam = (id: string | undefined): Factor => {
    const factor = mfa.factors.get(id ?? '');
    if (!factor?.enrollable) throw new InvalidRequest('This sign-in method cannot be set up here.');
    return factor;
  };

  const renderEnrol = async (
    ctx: AccountContext,
    factor: Factor,
    view: FactorView,
    error?: string,
    status = 200,
  ) => {
    await deps.render(
      ctx,
      view.view,
      {
        ...view.data,
        title: `Set up ${factor.label.toLowerCase()}`,
        action: `/account/enrol/${factor.id}`,
        abortUrl: '/account',
        csrf: csrf.token(`account:${ctx.state.me.sessionUid}`),
        clientName: 'Your account',
        error:
          [error, view.data.error].filter((m): m is string => typeof m === 'string' && m !== '').join(' ') ||
          undefined,
        otherFactors: [],
        rememberBrowserDays: 0,
      },
      status,
    );
  };

  /**
   * A factor request of this page whose state lives in the store under `key` (per session and
   * factor) for `ttl` seconds, so a multi-step exchange (a pending secret, a sent code) resumes.
   */
  async function storedRequest(ctx: AccountContext, key: string, ttl: number) {
    const state = JSON.parse((await mfa.kv.get(key)) ?? '{}') as Record<string, unknown>;
    const req: FactorRequest = {
      account: ctx.state.me.account,
      clientId: ACCOUNT_CLIENT_ID,
      clientName: 'Your account',
      flowId: ctx.state.me.sessionUid,
      ip: ctx.ip,
      state,
    };
    return {
      req,
      save: () => mfa.kv.set(key, JSON.stringify(state), ttl),
      forget: () => mfa.kv.delete(key),
    };
  }

  /** The factor request of an enrolment on this page. */
  const enrolmentRequest = (ctx: AccountContext, factor: Factor) =>
    storedRequest(ctx, enrolKey(ctx.state.me.sessionUid, factor.id), 3600);

  /** The factor request a removal is confirmed with (holds the code sent for it). */
  const confirmRequest = (ctx: AccountContext, factor: Factor) =>
    storedRequest(ctx, confirmKey(ctx.state.me.sessionUid, factor.id), 600);

  /** Shows a factor's set-up page; a TOTP page reopened in this session keeps its secret. */
  async function startEnrolment(ctx: AccountContext, factor: Factor) {
    const { req, save } = await enrolmentRequest(ctx, factor);
    const view = await factor.startEnrolment(req);
    await save();
    await renderEnrol(ctx, factor, view);
  }

  router.get('/callback', (ctx) => ctx.redirect('/account'));
  router.get('/', ...route(loadSession, (ctx) => showAccount(ctx)));

  // Starting an enrolment is a POST with a CSRF token: for recovery codes it replaces the old set.
  router.post(
    '/enrol/:factor/start',
    ...route(loadSession, parseForm as unknown as AccountStep, checkCsrf, async (ctx) => {
      const factor = factorParam(ctx.params.factor);
      if (!(await mayChangeFactors(ctx.state.me))) return signIn(ctx, true);
      await startEnrolment(ctx, factor);
    }),
  );

  router.post(
    '/enrol/:factor',
    ...route(loadSession, parseForm as unknown as AccountStep, checkCsrf, async (ctx) => {
      const factor = factorParam(ctx.params.factor);
      // Confirming backup codes changes nothing (they were saved when shown); adding a real factor is gated.
      if (!factor.backup && !(await mayChangeFactors(ctx.state.me))) return signIn(ctx, true);
      const { req, save, forget } = await enrolmentRequest(ctx, factor);
      const input = {
        code: formField(ctx, 'code') ?? '',
        confirm: formField(ctx, 'confirm') ?? '',
        address: formField(ctx, 'address') ?? '',
      };
      const result = await factor.finishEnrolment(req, input);
      if (!result.ok && result.continue) {
        await save();
        return renderEnrol(ctx, factor, result.view);
      }
      if (!result.ok) {
        await save();
        return renderEnrol(ctx, factor, result.view, 'That code is not correct.', 400);
      }
      await forget();
      if (!factor.backup) {
        // The user just proved the new factor on top of the session's: the session is now two-factor.
        const session = await provider.Session.get(ctx);
        session.amr = [...new Set([...ctx.state.me.amr, ...factor.amr, 'mfa'])];
        session.acr = ACR_TWO_FACTOR;
        await session.persist();
      }
      deps.logger.info(
        { event: 'factor.enrolled', account: ctx.state.me.account.id, factor: factor.id, ip: ctx.ip },
        'factor enrolled',
      );
      const recovery = mfa.factors.recovery;
      if (!factor.backup && recovery && !(await recovery.isEnrolled(ctx.state.me.account.id))) {
        return startEnrolment(ctx, recovery);
      }
      await showAccount(ctx, `${factor.label} is set up.`);
    }),
  );

  // A code to confirm a removal with, for factors that send one (email, SMS). A failed send
  // costs nothing (src/factors/address): the page says so and the user can try again.
  router.post(
    '/confirm/:factor/send',
    ...route(loadSession, parseForm as unknown as AccountStep, checkCsrf, async (ctx) => {
      const factor = (
        await mfa.factors.enrolled(
          ctx.state.me.account.id,
          mfa.factors.all().map((f) => f.id),
        )
      ).find((f) => f.id === ctx.params.factor);
      if (!factor?.resend) throw new InvalidRequest('This sign-in method does not send codes.');
      const { req, save } = await confirmRequest(ctx, factor);
      const view = await factor.challenge(req);
      await save();
      const error = typeof view.data.error === 'string' ? view.data.error : undefined;
      if (error) return showAccount(ctx, undefined, error);
      await showAccount(ctx, `A code is on its way to ${String(view.data.sentTo ?? 'you')}.`);
    }),
  );

  router.post(
    '/factors/:id/remove',
    ...route(loadSession, parseForm as unknown as AccountStep, checkCsrf, async (ctx) => {
      const { account } = ctx.state.me;
      const id = ctx.params.id ?? '';
      const credential = await mfa.credentials.get(account.id, id);
      if (!credential) throw new InvalidRequest('No such sign-in method.');
      // Re-authentication with a second factor: a fresh code from any factor the user has.
      const verifier = (
        await mfa.factors.enrolled(
          account.id,
          mfa.factors.all().map((f) => f.id),
        )
      ).find((f) => f.id === formField(ctx, 'verify_with'));
      if (!verifier)
        return showAccount(
          ctx,
          undefined,
          'Confirm with a current code from one of your sign-in methods.',
          400,
        );
      // The attempt is taken before the code is checked (src/security/attempts.ts); one
      // challenge per session, so reloading the page does not reset it.
      const attempt = await mfa.attempts.reserve({
        challenge: `account:${ctx.state.me.sessionUid}`,
        account: account.id,
        ip: ctx.ip,
      });
      if (!attempt.ok)
        return showAccount(
          ctx,
          undefined,
          'Too many wrong codes. Try again later; nothing was removed.',
          429,
        );
      const confirm = await confirmRequest(ctx, verifier);
      const result = await verifier.verify(confirm.req, { code: formField(ctx, 'code') ?? '' });
      await confirm.save();
      if (!result.ok) {
        await (UNCHECKED_FAILURES.has(result.error) ? attempt.release() : attempt.fail());
        return showAccount(ctx, undefined, 'That code is not correct; nothing was removed.', 401);
      }
      await attempt.succeed();
      await mfa.credentials.delete(account.id, id);
      // Recovery codes only back up a real factor: with none left, they go too.
      const remaining = await mfa.factors.enrolled(
        account.id,
        mfa.factors.all().map((f) => f.id),
      );
      if (mfa.factors.recovery && !remaining.some((f) => !f.backup)) {
        await mfa.credentials.deleteAll(account.id, mfa.factors.recovery.id);
      }
      deps.logger.info(
        { event: 'factor.removed', account: account.id, factor: credential.factor, ip: ctx.ip },
        'factor removed',
      );
      await showAccount(ctx, `${credential.label ?? credential.factor} was removed.`);
    }),
  );

  return router;
}
