import type { Account } from '../src/accounts/types.ts';
import { InteractionNotFound, InvalidRequest } from '../src/errors.ts';
import type { Factor, FactorRequest, FactorView, VerifyFailure } from '../src/factors/types.ts';
import type { PendingLogin } from '../src/mfa/pending.ts';
import { factorsFingerprint } from '../src/mfa/remember-browser.ts';
import { AMR_MFA } from '../src/policy/acr.ts';
import { decide } from '../src/policy/decide.ts';
import { decisionInput } from '../src/policy/request.ts';
import { challengeId, stepUpChallenge, UNCHECKED_FAILURES } from '../src/security/attempts.ts';
import {
  clientIdOf,
  clientName,
  type InteractionContext,
  type InteractionDeps,
  interactionUrls,
  type Step,
  seeOther,
} from './context.ts';
import { startEnrolment } from './enrol.ts';
import { finishLogin } from './finish.ts';
import { field } from './form.ts';

/** Reasons oidc-provider gives that a signed-in session can answer with a second factor alone. */
const STEP_UP_REASONS = new Set(['mfa_required', 'essential_acr', 'essential_acrs']);

/** Messages for refused codes; one per failure so users know what to do. */
const FAILURE_MESSAGES: Record<VerifyFailure, string> = {
  invalid_code: 'That code is not correct.',
  replayed_code: 'That code was already used. Wait for the next one.',
  expired_code: 'That code has expired. Ask for a new one.',
  not_enrolled: 'This method is not set up for your account.',
  malformed_code: 'Enter the code exactly as shown.',
};

const LAST_FACTOR_TTL = 400 * 86_400;
const lastFactorKey = (accountId: string) => `last-factor:${accountId}`;

/** True when the login prompt only wants more factors from an existing session (step-up). */
export function isStepUp(ctx: InteractionContext): boolean {
  const { prompt, session } = ctx.state.interaction;
  return Boolean(session?.accountId) && prompt.reasons.every((r) => STEP_UP_REASONS.has(r));
}

/** The pending login of this interaction, started from the session for a step-up. */
export async function loadPending(
  deps: InteractionDeps,
  ctx: InteractionContext,
): Promise<PendingLogin | undefined> {
  const { uid, session } = ctx.state.interaction;
  const pending = await deps.mfa.pending.get(uid);
  if (pending) return pending;
  if (!isStepUp(ctx) || !session?.accountId) return undefined;
  const started: PendingLogin = {
    accountId: session.accountId,
    amr: session.amr ?? ['pwd'],
    stepUp: true,
    failures: 0,
    // One challenge per session: re-asking (reload, a new step-up request) keeps its count.
    challenge: stepUpChallenge(session.uid),
    factorState: {},
  };
  await deps.mfa.pending.set(uid, started);
  return started;
}

/** The account of a pending login; a deleted or disabled one ends the flow. */
export async function pendingAccount(deps: InteractionDeps, pending: PendingLogin): Promise<Account> {
  const record = await deps.accounts.findById(pending.accountId);
  if (!record || record.disabled) throw new InteractionNotFound();
  const { password_hash: _omit, ...account } = record;
  return account;
}

/** A factor request whose `state` is the pending login's scratch state for that factor. */
export async function factorRequest(
  deps: InteractionDeps,
  ctx: InteractionContext,
  account: Account,
  pending: PendingLogin,
  factor: Factor,
): Promise<FactorRequest> {
  pending.factorState[factor.id] ??= {};
  return {
    account,
    clientId: clientIdOf(ctx),
    clientName: await clientName(deps.provider, ctx.state.interaction.params.client_id),
    flowId: ctx.state.interaction.uid,
    ip: ctx.ip,
    state: pending.factorState[factor.id] as Record<string, unknown>,
  };
}

/** The form fields a factor may read (every single-valued field but the CSRF token). */
export function factorInput(ctx: InteractionContext): Record<string, string> {
  const input: Record<string, string> = {};
  for (const name of Object.keys(ctx.state.form)) {
    if (name === 'csrf') continue;
    const value = field(ctx, name, 256);
    if (value !== undefined) input[name] = value;
  }
  return input;
}
/** Renders a factor's page with what every factor page shows. */
export async function renderFactor(
  deps: InteractionDeps,
  ctx: InteractionContext,
  view: FactorView,
  extra: { action: string; title: string; error?: string; otherFactors?: { label: string; href: string }[] },
  status = 200,
) {
  const { uid, params } = ctx.state.interaction;
  await deps.render(
    ctx,
    view.view,
    {
      ...view.data,
      title: extra.title,
      action: extra.action,
      // The step's message (wrong code, attempts left) and the factor's own (e.g. a failed
      // send) are both worth reading.
      error:
        [extra.error, view.data.error]
          .filter((m): m is string => typeof m === 'string' && m !== '')
          .join(' ') || undefined,
      csrf: ctx.state.csrf,
      abortUrl: interactionUrls(uid, ctx.state.csrf).abort,
      clientName: await clientName(deps.provider, params.client_id),
      otherFactors: extra.otherFactors ?? [],
      rememberBrowserDays: deps.mfa.policy.forClient(clientIdOf(ctx)).rememberBrowserDays,
    },
    status,
  );
}

/** 429: this challenge has used its attempts; the pending login ends (src/security/attempts.ts). */
async function renderChallengeClosed(deps: InteractionDeps, ctx: InteractionContext) {
  const uid = ctx.state.interaction.uid;
  await deps.mfa.pending.delete(uid);
  return deps.render(
    ctx,
    'message',
    {
      title: 'Too many wrong codes',
      heading: 'Too many wrong codes',
      message: 'This sign-in attempt has been stopped. Start again to get a new chance.',
      link: { href: interactionUrls(uid, ctx.state.csrf).page, text: 'Start again' },
    },
    429,
  );
}

async function renderLocked(deps: InteractionDeps, ctx: InteractionContext, retryAt: Date) {
  const minutes = Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 60_000));
  ctx.set('Retry-After', String(Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 1000))));
  await deps.render(
    ctx,
    'message',
    {
      title: 'Too many attempts',
      heading: 'Too many attempts',
      message: `For your security, sign-in codes are paused for this account. Try again after ${retryAt.toISOString().slice(11, 16)} UTC (in about ${minutes} minute${minutes === 1 ? '' : 's'}).`,
    },
    429,
  );
}

/**
 * The decision for this pending login; given the `account`, a remembered browser counts too (its
 * cookie is bound to the account's factors and last operator reset).
 */
async function decision(
  deps: InteractionDeps,
  ctx: InteractionContext,
  pending: PendingLogin,
  account?: Account,
) {
  const { mfa } = deps;
  const clientId = clientIdOf(ctx);
  const input = await decisionInput(mfa.policy, mfa.factors, {
    clientId,
    params: ctx.state.interaction.params,
    accountId: pending.accountId,
    proven: pending.amr,
  });
  const first = decide(input);
  const days = mfa.policy.forClient(clientId).rememberBrowserDays;
  if (!account || first.outcome !== 'challenge' || days <= 0) return first;
  const fingerprint = factorsFingerprint(
    await mfa.credentials.list(pending.accountId),
    account.sessions_not_before,
  );
  const remembered = mfa.remember.recall(ctx, pending.accountId, fingerprint, days);
  return remembered ? decide({ ...input, remembered }) : first;
}

/** Factors by id, in the order given. */
const factorsOf = (deps: InteractionDeps, ids: readonly string[]) =>
  ids.map((id) => deps.mfa.factors.get(id)).filter((f): f is Factor => f !== undefined);

/** Factors this login may answer now: enrolled and accepted; backup codes only beside a real factor. */
async function usableFactors(deps: InteractionDeps, ctx: InteractionContext, pending: PendingLogin) {
  const d = await decision(deps, ctx, pending);
  return d.outcome === 'challenge' ? factorsOf(deps, d.factors) : [];
}

async function showChallenge(
  deps: InteractionDeps,
  ctx: InteractionContext,
  pending: PendingLogin,
  account: Account,
  factor: Factor,
  usable: Factor[],
  error?: string,
  status = 200,
  /** What to show: the factor's challenge, or e.g. its resend. */
  produce: (req: FactorRequest) => Promise<FactorView> = (req) => factor.challenge(req),
) {
  const urls = interactionUrls(ctx.state.interaction.uid, ctx.state.csrf);
  const view = await produce(await factorRequest(deps, ctx, account, pending, factor));
  pending.factor = factor.id;
  await deps.mfa.pending.set(ctx.state.interaction.uid, pending);
  await renderFactor(
    deps,
    ctx,
    view,
    {
      title: 'Verify it is you',
      action: urls.factor(factor.id),
      error,
      otherFactors: usable
        .filter((f) => f.id !== factor.id)
        .map((f) => ({ label: f.label, href: urls.factor(f.id) })),
    },
    status,
  );
}

/**
 * The second-factor step: finish when nothing more is needed (or the browser is remembered),
 * send a user without a factor to enrolment, otherwise challenge the chosen factor.
 */
export async function showSecondFactor(
  deps: InteractionDeps,
  ctx: InteractionContext,
  pending: PendingLogin,
  choice?: string,
) {
  const { mfa } = deps;
  const clientId = clientIdOf(ctx);
  const account = await pendingAccount(deps, pending);
  const d = await decision(deps, ctx, pending, account);
  if (d.outcome === 'satisfied' && d.remembered) {
    deps.logger.info(
      { event: 'mfa.remembered_browser', account: account.id, client: clientId },
      'browser remembered',
    );
    pending.amr = d.amr.filter((m) => m !== AMR_MFA);
    return finishLogin(deps, ctx, pending);
  }
  if (d.outcome === 'satisfied' || d.outcome === 'unmet' || d.outcome === 'first_factor')
    return finishLogin(deps, ctx, pending);
  const status = await mfa.regulation.status(account.id, ctx.ip);
  if (status.locked) return renderLocked(deps, ctx, status.retryAt);
  if (await mfa.attempts.closed(challengeId(pending, ctx.state.interaction.uid)))
    return renderChallengeClosed(deps, ctx);

  if (d.outcome === 'elsewhere') {
    // The account has a second factor this request does not accept. A password alone never adds
    // one; the account page (which accepts it) can.
    const accepted = factorsOf(deps, d.accepted).map((f) => f.label);
    return deps.render(
      ctx,
      'message',
      {
        title: 'Another sign-in method needed',
        heading: 'Another sign-in method needed',
        message: `${await clientName(deps.provider, clientId)} accepts only: ${accepted.join(', ') || 'none of your methods'}. Set one up on your account page, then sign in again.`,
        link: { href: '/account', text: 'Go to your account' },
      },
      403,
    );
  }
  const urls = interactionUrls(ctx.state.interaction.uid, ctx.state.csrf);
  if (d.outcome === 'enrol') {
    const enrollable = factorsOf(deps, d.factors);
    if (enrollable.length === 1) return seeOther(ctx, urls.enrol((enrollable[0] as Factor).id));
    return deps.render(ctx, 'mfa-choose', {
      title: 'Set up a second factor',
      heading: 'Set up a second factor',
      message: `${await clientName(deps.provider, clientId)} asks for a second step when you sign in. Choose how:`,
      options: enrollable.map((f) => ({ label: f.label, href: urls.enrol(f.id) })),
      abortUrl: urls.abort,
    });
  }

  const usable = factorsOf(deps, d.factors);
  const last = await mfa.kv.get(lastFactorKey(account.id));
  const factor =
    usable.find((f) => f.id === choice) ??
    usable.find((f) => f.id === pending.factor) ??
    usable.find((f) => f.id === last) ??
    factorsOf(deps, d.primary)[0] ??
    (usable[0] as Factor);
  return showChallenge(deps, ctx, pending, account, factor, usable);
}

/** GET /mfa/:factor: "use another method". */
export function chooseFactor(deps: InteractionDeps): Step {
  return async (ctx) => {
    const pending = await loadPending(deps, ctx);
    if (!pending) return seeOther(ctx, interactionUrls(ctx.state.interaction.uid, ctx.state.csrf).page);
    await showSecondFactor(deps, ctx, pending, ctx.params.factor);
  };
}

/** POST /mfa/:factor: checks a code, counting failures per challenge, account and IP. */
export function verifyFactor(deps: InteractionDeps): Step {
  return async (ctx) => {
    const { mfa, logger } = deps;
    const uid = ctx.state.interaction.uid;
    const pending = await loadPending(deps, ctx);
    if (!pending) return seeOther(ctx, interactionUrls(uid, ctx.state.csrf).page);
    const account = await pendingAccount(deps, pending);
    const usable = await usableFactors(deps, ctx, pending);
    const factor = usable.find((f) => f.id === ctx.params.factor);
    if (!factor) throw new InvalidRequest('This sign-in method is not available here.');
    // The attempt is taken before the code is checked (src/security/attempts.ts).
    const attempt = await mfa.attempts.reserve({
      challenge: challengeId(pending, uid),
      account: account.id,
      ip: ctx.ip,
    });
    if (!attempt.ok)
      return attempt.reason === 'locked'
        ? renderLocked(deps, ctx, attempt.retryAt)
        : renderChallengeClosed(deps, ctx);

    const code = field(ctx, 'code', 64) ?? '';
    const result = await factor.verify(await factorRequest(deps, ctx, account, pending, factor), { code });
    const remember = field(ctx, 'remember', 8) === '1';
    if (result.ok) {
      await attempt.succeed();
      await mfa.kv.set(lastFactorKey(account.id), factor.id, LAST_FACTOR_TTL);
      pending.amr = [...pending.amr, ...factor.amr];
      pending.failures = 0;
      logger.info(
        { event: 'mfa.verified', account: account.id, factor: factor.id, ip: ctx.ip },
        'second factor ok',
      );
      if (factor.id === mfa.factors.recovery?.id && result.remaining === 0) {
        await mfa.pending.set(uid, pending);
        const urls = interactionUrls(uid, ctx.state.csrf);
        return renderFactor(
          deps,
          ctx,
          { view: 'factors/recovery-regenerate', data: {} },
          { title: 'Recovery codes', action: urls.regenerate },
        );
      }
      return finishLogin(deps, ctx, pending, { remember });
    }

    if (UNCHECKED_FAILURES.has(result.error)) {
      // Nothing was compared (no code delivered, malformed input): no attempt is spent.
      await attempt.release();
      const message = FAILURE_MESSAGES[result.error];
      return showChallenge(deps, ctx, pending, account, factor, usable, message, 401);
    }
    const after = await attempt.fail();
    if (!after.locked) pending.failures = mfa.maxAttemptsPerChallenge - after.challengeLeft;
    logger.info(
      {
        event: 'mfa.failed',
        account: account.id,
        factor: factor.id,
        reason: result.error,
        ip: ctx.ip,
        failures: pending.failures,
      },
      'second factor refused',
    );
    if (after.locked) {
      await mfa.pending.delete(uid);
      logger.warn(
        { event: 'lockout', account: account.id, ip: ctx.ip, until: after.retryAt.toISOString() },
        'second factor locked',
      );
      return renderLocked(deps, ctx, after.retryAt);
    }
    // The challenge closes: the user starts again from the password (or the app, on step-up).
    if (after.challengeLeft === 0) return renderChallengeClosed(deps, ctx);
    const left = after.challengeLeft;
    const message = `${FAILURE_MESSAGES[result.error]} ${left} attempt${left === 1 ? '' : 's'} left.`;
    await showChallenge(deps, ctx, pending, account, factor, usable, message, 401);
  };
}

/** POST /mfa/:factor/resend: a new code for factors that send one, within cooldown and cap. */
export function resendCode(deps: InteractionDeps): Step {
  return async (ctx) => {
    const uid = ctx.state.interaction.uid;
    const pending = await loadPending(deps, ctx);
    if (!pending) return seeOther(ctx, interactionUrls(uid, ctx.state.csrf).page);
    const account = await pendingAccount(deps, pending);
    const usable = await usableFactors(deps, ctx, pending);
    const factor = usable.find((f) => f.id === ctx.params.factor);
    if (!factor?.resend) throw new InvalidRequest('This sign-in method does not send codes.');
    const resend = factor.resend.bind(factor);
    await showChallenge(deps, ctx, pending, account, factor, usable, undefined, 200, resend);
  };
}

/** POST /recovery/regenerate: after the last recovery code, new codes now or later. */
export function regenerateRecovery(deps: InteractionDeps): Step {
  return async (ctx) => {
    const uid = ctx.state.interaction.uid;
    const pending = await deps.mfa.pending.get(uid);
    const recovery = deps.mfa.factors.recovery;
    if (!pending || !recovery || (await decision(deps, ctx, pending)).achieved < 2)
      throw new InteractionNotFound();
    if (field(ctx, 'regenerate', 8) === '1') return startEnrolment(deps, ctx, pending, recovery);
    await finishLogin(deps, ctx, pending);
  };
}
