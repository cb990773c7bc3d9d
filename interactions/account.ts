import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type Provider from 'oidc-provider';
import { sessionPredatesReset } from '../src/accounts/find-account.ts';
import { MAX_PASSWORD_LENGTH } from '../src/accounts/password-policy.ts';
import { InvalidCsrfToken, InvalidRequest } from '../src/errors.ts';
import type { Factor, FactorRequest } from '../src/factors/types.ts';
import { translatorOf } from '../src/i18n/index.ts';
import { ACR_TWO_FACTOR } from '../src/policy/acr.ts';
import { decideFor } from '../src/policy/request.ts';
import type { Csrf } from '../src/security/csrf.ts';
import { backToApp, rememberReferringApp } from './account-back-link.ts';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATH } from './account-client.ts';
import { confirmsOnOwnPage, ownPageConfirmers, renderRemovalConfirm } from './account-confirm.ts';
import { accountEnrolmentHost } from './account-enrolment.ts';
import { changePassword } from './account-password.ts';
import { type AccountSessionsDeps, endOtherSessions, sessionRows } from './account-sessions.ts';
import {
  type AccountContext,
  type AccountStep,
  confirmKey,
  enrolKey,
  removalChallenge,
  type Said,
} from './account-state.ts';
import { clientName, type InteractionDeps } from './context.ts';
import {
  backupPlural,
  credentialName,
  factorLabel,
  factorMessage,
  messageFor,
  prove,
  readInput,
  startEnrolment,
  submitEnrolment,
} from './factor-flow.ts';
import { field, parseForm } from './form.ts';

export { ACCOUNT_CLIENT_ID, accountClient } from './account-client.ts';

/**
 * The signed-in user's own page: list second factors, add one, create new recovery codes,
 * remove one. Adding needs a two-factor session once the user has a factor (else the password
 * alone could add an authenticator); removing needs a fresh proof from a factor the user has: a
 * typed code, or a factor's answer on its own page (a passkey, interactions/account-confirm.ts).
 */
export function createAccountRouter(
  provider: Provider,
  deps: InteractionDeps,
  csrf: Csrf,
  issuer: string,
  /** Lists and ends the user's sessions on the page; without it the page shows none. */
  sessions?: AccountSessionsDeps,
  /** The shortest new password the page accepts (`accounts.min_password_length`). */
  minPasswordLength = 12,
): Router {
  const router = new Router({ prefix: ACCOUNT_PATH });
  const { mfa } = deps;
  const route = (...steps: AccountStep[]) => steps as unknown as Middleware[];
  /** The account client's name (the service's own), for messages that name the app. */
  const appName = () => clientName(provider, ACCOUNT_CLIENT_ID);
  /** Back to the account page (303: after a POST, or a reopened POST-only URL). */
  const seeAccount = (ctx: Context) => {
    ctx.status = 303;
    ctx.redirect(ACCOUNT_PATH);
  };

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
    ctx.state.me = {
      account,
      sessionUid: session.uid,
      sessionId: session.jti,
      amr,
      mayEnrol: decision.mayEnrol,
    };
    await next();
  };

  const checkCsrf = async (ctx: AccountContext, next: Next) => {
    if (!csrf.verify(`account:${ctx.state.me.sessionUid}`, ctx.state.form.csrf)) throw new InvalidCsrfToken();
    await next();
  };

  const allFactorIds = () => mfa.factors.all().map((f) => f.id);

  async function showAccount(ctx: AccountContext, said?: Said, status = 200) {
    const { account, sessionUid } = ctx.state.me;
    const credentials = await mfa.credentials.list(account.id);
    const enrolled = await mfa.factors.enrolled(account.id, allFactorIds());
    const backup = mfa.factors.backup();
    const remaining =
      backup?.remaining && (await backup.isEnrolled(account.id))
        ? await backup.remaining(account.id)
        : undefined;
    // Factor names in running text: lower-cased in English ("Add authenticator app").
    const t = translatorOf(ctx);
    const nameOf = (f: Factor) => (t.locale === 'en' ? f.label.toLowerCase() : factorLabel(f, t));
    await deps.render(
      ctx,
      'account',
      {
        title: t('account.title'),
        account,
        csrf: csrf.token(`account:${sessionUid}`),
        message: said && 'error' in said ? undefined : (said?.success ?? said?.note),
        success: said !== undefined && 'success' in said,
        error: said && 'error' in said ? said.error : undefined,
        backToApp: await backToApp(provider, ctx),
        credentials: credentials.map((c) => ({
          id: c.id,
          label: credentialName(mfa.factors.get(c.factor), c, t),
          factor: c.factor,
          remaining: c.factor === backup?.id ? remaining : undefined,
          created: new Date(c.created_at * 1000).toISOString().slice(0, 10),
          lastUsed: c.last_used_at ? new Date(c.last_used_at * 1000).toISOString().slice(0, 10) : undefined,
        })),
        // A removal is confirmed with a typed code (factors with the default removal input);
        // factors that send their code (email, SMS) get a "send me a code" button.
        verifiers: enrolled
          .filter((f) => !confirmsOnOwnPage(f))
          .map((f) => ({
            id: f.id,
            label: factorLabel(f, t),
            name: nameOf(f),
            sends: f.resend !== undefined,
          })),
        // ...or on the factor's own page (a passkey): "Confirm with a passkey".
        confirmers: ownPageConfirmers(enrolled, t),
        addable: mfa.factors
          .all()
          .filter((f) => f.enrollable && !f.backup && (f.multiple || !enrolled.includes(f)))
          .map((f) => ({ id: f.id, label: factorLabel(f, t), name: nameOf(f) })),
        renewable:
          backup && enrolled.some((f) => !f.backup)
            ? { id: backup.id, label: factorLabel(backup, t), plural: backupPlural(backup, t) }
            : undefined,
        sessions: sessions
          ? await sessionRows(
              sessions,
              provider,
              account.id,
              ctx.state.me.sessionId,
              ACCOUNT_CLIENT_ID,
              t('account.unknownBrowser'),
            )
          : [],
      },
      status,
    );
  }

  const factorParam = (id: string | undefined): Factor => {
    const factor = mfa.factors.get(id ?? '');
    if (!factor?.enrollable) throw new InvalidRequest('This sign-in method cannot be set up here.');
    return factor;
  };

  /** The factor request a removal is confirmed with; its state (the code sent) lives 10 minutes. */
  async function confirmRequest(ctx: AccountContext, factor: Factor) {
    const { me } = ctx.state;
    const key = confirmKey(me.sessionUid, factor.id);
    const state = JSON.parse((await mfa.kv.get(key)) ?? '{}') as Record<string, unknown>;
    const req: FactorRequest = {
      account: me.account,
      clientId: ACCOUNT_CLIENT_ID,
      clientName: await appName(),
      locale: translatorOf(ctx).locale,
      flowId: me.sessionUid,
      ip: ctx.ip,
      state,
    };
    return { req, save: () => mfa.kv.set(key, JSON.stringify(state), 600) };
  }

  /** An enrolled factor of the signed-in user, by id. */
  const enrolledFactor = async (ctx: AccountContext, id: unknown) =>
    (await mfa.factors.enrolled(ctx.state.me.account.id, allFactorIds())).find((f) => f.id === id);

  const enrolmentHost = (ctx: AccountContext) =>
    accountEnrolmentHost(ctx, { provider, deps, csrf, appName, showAccount });

  router.get('/callback', (ctx) => ctx.redirect(ACCOUNT_PATH));
  router.get(
    '/',
    ...route(
      async (ctx, next) => {
        await rememberReferringApp(provider, ctx);
        await next();
      },
      loadSession,
      (ctx) => showAccount(ctx),
    ),
  );

  // A reopened set-up page (a reload, the confirm page's "Change email address" link) resumes
  // what this session kept; with nothing kept, or for backup codes (a GET never issues them),
  // the account page. Never a new secret: starting is the POST below.
  router.get(
    '/enrol/:factor',
    ...route(loadSession, async (ctx) => {
      const factor = factorParam(ctx.params.factor);
      if (!ctx.state.me.mayEnrol) return signIn(ctx, true);
      const kept = factor.backup ? undefined : await mfa.kv.get(enrolKey(ctx.state.me.sessionUid, factor.id));
      if (!kept || kept === '{}') return seeAccount(ctx);
      await startEnrolment(await enrolmentHost(ctx), factor);
    }),
  );
  // The other pages answer a POST; reopening their URL goes back to the account page.
  for (const path of [
    '/enrol/:factor/start',
    '/confirm/:factor/send',
    '/factors/:id/confirm/:factor',
    '/factors/:id/remove',
  ])
    router.get(path, seeAccount);

  // Starting an enrolment is a POST with a CSRF token: for backup codes it replaces the old set.
  router.post(
    '/enrol/:factor/start',
    ...route(loadSession, parseForm as unknown as AccountStep, checkCsrf, async (ctx) => {
      const factor = factorParam(ctx.params.factor);
      if (!ctx.state.me.mayEnrol) return signIn(ctx, true);
      await startEnrolment(await enrolmentHost(ctx), factor);
    }),
  );

  router.post(
    '/enrol/:factor',
    ...route(loadSession, parseForm as unknown as AccountStep, checkCsrf, async (ctx) => {
      const factor = factorParam(ctx.params.factor);
      // Confirming backup codes changes nothing (they were saved when shown); adding a real factor is gated.
      if (!factor.backup && !ctx.state.me.mayEnrol) return signIn(ctx, true);
      await submitEnrolment(deps, await enrolmentHost(ctx), factor, ctx.state.form);
    }),
  );

  // A code to confirm a removal with, for factors that send one (email, SMS). A failed send
  // costs nothing (src/factors/address): the page says so and the user can try again.
  router.post(
    '/confirm/:factor/send',
    ...route(loadSession, parseForm as unknown as AccountStep, checkCsrf, async (ctx) => {
      const factor = await enrolledFactor(ctx, ctx.params.factor);
      if (!factor?.resend) throw new InvalidRequest('This sign-in method does not send codes.');
      const { req, save } = await confirmRequest(ctx, factor);
      const view = await factor.challenge(req);
      await save();
      const t = translatorOf(ctx);
      if (view.error) return showAccount(ctx, { error: factorMessage(factor, view.error, t) });
      await showAccount(ctx, {
        note: t('account.codeSent', { to: String(view.data.sentTo ?? t('account.you')) }),
      });
    }),
  );

  // A removal confirmed on the factor's own page (a passkey): its login challenge, bound to this
  // session's flow like the removal's other proofs; the answer is posted to the removal below.
  router.post(
    '/factors/:id/confirm/:factor',
    ...route(loadSession, parseForm as unknown as AccountStep, checkCsrf, async (ctx) => {
      const { me } = ctx.state;
      const credential = await mfa.credentials.get(me.account.id, ctx.params.id ?? '');
      if (!credential) throw new InvalidRequest('No such sign-in method.');
      const factor = await enrolledFactor(ctx, ctx.params.factor);
      if (!factor || !confirmsOnOwnPage(factor))
        throw new InvalidRequest('This sign-in method does not confirm on its own page.');
      const { req, save } = await confirmRequest(ctx, factor);
      const view = await factor.challenge(req);
      await save();
      const t = translatorOf(ctx);
      await renderRemovalConfirm(deps, ctx, factor, view, {
        id: credential.id,
        label: credentialName(mfa.factors.get(credential.factor), credential, t),
        csrf: csrf.token(`account:${me.sessionUid}`),
        clientName: await appName(),
      });
    }),
  );

  // Ending another session of the user's (or all others): a POST with the page's CSRF token.
  if (sessions) {
    const end = (all: boolean) =>
      route(loadSession, parseForm as unknown as AccountStep, checkCsrf, async (ctx) => {
        const { me } = ctx.state;
        const ended = await endOtherSessions(
          sessions,
          provider,
          deps.logger,
          me.account.id,
          me.sessionId,
          all ? undefined : ctx.params.id,
        );
        const t = translatorOf(ctx);
        await showAccount(
          ctx,
          all
            ? { success: t('account.endedOthers', { count: ended }) }
            : ended > 0
              ? { success: t('account.ended') }
              : { note: t('account.alreadyEnded') },
        );
      });
    router.post('/sessions/end-others', ...end(true));
    router.post('/sessions/:id/end', ...end(false));
  }

  // A new password: the current one again, then the new one twice.
  router.post(
    '/password',
    ...route(loadSession, parseForm as unknown as AccountStep, checkCsrf, async (ctx) => {
      const { me } = ctx.state;
      // The current password as the login reads it; the new one as the reset does: room past the
      // longest password, so the length rule answers a long one on the page.
      const text = (name: string, max = MAX_PASSWORD_LENGTH * 4) => field(ctx, name, max) ?? '';
      const result = await changePassword(
        deps,
        { accountId: me.account.id, username: me.account.username, sessionId: me.sessionId, ip: ctx.ip },
        {
          current: text('current_password', MAX_PASSWORD_LENGTH),
          next: text('new_password'),
          confirm: text('new_password_confirm'),
        },
        { minLength: minPasswordLength, sessions, provider, t: translatorOf(ctx) },
      );
      if (result.ok) return showAccount(ctx, { success: result.message });
      await showAccount(ctx, { error: result.error }, result.status);
    }),
  );

  router.post(
    '/factors/:id/remove',
    ...route(loadSession, parseForm as unknown as AccountStep, checkCsrf, async (ctx) => {
      const { account } = ctx.state.me;
      const id = ctx.params.id ?? '';
      const credential = await mfa.credentials.get(account.id, id);
      if (!credential) throw new InvalidRequest('No such sign-in method.');
      // Re-authentication with a second factor: a fresh proof from any factor the user has.
      const { verify_with: verifyWith, ...form } = ctx.state.form;
      const verifier = await enrolledFactor(ctx, verifyWith);
      if (!verifier) return showAccount(ctx, { error: translatorOf(ctx)('account.confirmRemoval') }, 400);
      const input = readInput(form, verifier, 'remove');
      const confirm = await confirmRequest(ctx, verifier);
      const challenge = removalChallenge(ctx.state.me.sessionUid);
      const where = { account, ip: ctx.ip, flow: 'account' as const, challenge };
      const outcome = await prove(deps, where, verifier, confirm.req, input);
      await confirm.save();
      if (outcome.kind === 'locked' || outcome.kind === 'closed')
        return showAccount(ctx, { error: translatorOf(ctx)('account.tooManyRemoval') }, 429);
      if (outcome.kind === 'refused' || outcome.kind === 'unchecked')
        return showAccount(
          ctx,
          {
            error: translatorOf(ctx)('account.notRemoved', {
              reason: messageFor(verifier, outcome.error, translatorOf(ctx)).replace(/\.$/, ''),
            }),
          },
          401,
        );
      await mfa.credentials.delete(account.id, id);
      // Backup codes only back up a real factor: with none left, they go too.
      const backup = mfa.factors.backup();
      const remaining = await mfa.factors.enrolled(account.id, allFactorIds());
      const orphaned =
        backup && !remaining.some((f) => !f.backup)
          ? await mfa.credentials.deleteAll(account.id, backup.id)
          : 0;
      deps.logger.info(
        { event: 'factor.removed', account: account.id, factor: credential.factor, ip: ctx.ip },
        'factor removed',
      );
      const removed = mfa.factors.get(credential.factor);
      const t = translatorOf(ctx);
      const label = credentialName(removed, credential, t);
      let message = t('account.removed', { method: label });
      if (removed?.backup) message = t('account.backupRemoved', { backup: backupPlural(removed, t) });
      else if (backup && orphaned > 0)
        message = t('account.removedWithBackup', { method: label, backup: backupPlural(backup, t) });
      await showAccount(ctx, { success: message });
    }),
  );

  return router;
}
