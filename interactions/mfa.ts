import type { Account } from '../src/accounts/types.ts';
import { InvalidRequest } from '../src/errors.ts';
import type { Factor, FactorRequest, FactorView } from '../src/factors/types.ts';
import { translatorOf } from '../src/i18n/index.ts';
import type { PendingLogin } from '../src/mfa/pending.ts';
import { factorsFingerprint } from '../src/mfa/remember-browser.ts';
import { AMR_MFA } from '../src/policy/acr.ts';
import { decide } from '../src/policy/decide.ts';
import { decisionInput } from '../src/policy/request.ts';
import { batchWrite, earlyRead } from '../src/scope/request-scope.ts';
import { challengeId } from '../src/security/attempts.ts';
import type { RegulationStatus } from '../src/security/regulation.ts';
import {
  clientIdOf,
  clientName,
  type InteractionContext,
  type InteractionDeps,
  interactionUrls,
  type Step,
  seeOther,
} from './context.ts';
import { showBackupPending } from './enrol.ts';
import { factorLabel, messageFor, prove, readInput, renderLocked } from './factor-flow.ts';
import { renderFactor } from './factor-page.ts';
import { finishLogin } from './finish.ts';
import { field } from './form.ts';
import { showPasswordStep } from './login.ts';
import { factorRequest, loadPending, pendingAccount, pendingSnapshot } from './pending.ts';
import { waysOn } from './ways-on.ts';

/*
 * The second-factor step of the login: decide (src/policy/decide.ts), then finish, enrol or
 * challenge; verification goes through the generic factor flow (interactions/factor-flow.ts).
 */

const LAST_FACTOR_TTL = 400 * 86_400;
const lastFactorKey = (accountId: string) => `last-factor:${accountId}`;

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
  const before = pendingSnapshot(pending);
  const view = await produce(await factorRequest(deps, ctx, account, pending, factor));
  pending.factor = factor.id;
  // Written only when this page changed the login: a reload of the same challenge writes nothing.
  if (pendingSnapshot(pending) !== before) await deps.mfa.pending.set(ctx.state.interaction.uid, pending);
  await renderFactor(
    deps,
    ctx,
    factor,
    view,
    {
      title: translatorOf(ctx)('mfa.verifyTitle'),
      action: urls.factor(factor.id),
      error,
      otherFactors: usable
        .filter((f) => f.id !== factor.id)
        .map((f) => ({ label: factorLabel(f, translatorOf(ctx)), href: urls.factor(f.id) })),
    },
    status,
  );
}

/** 429: this challenge has used its attempts; the pending login ends (src/security/attempts.ts). */
async function renderChallengeClosed(deps: InteractionDeps, ctx: InteractionContext) {
  const uid = ctx.state.interaction.uid;
  await deps.mfa.pending.delete(uid);
  const t = translatorOf(ctx);
  return deps.render(
    ctx,
    'message',
    {
      title: t('mfa.tooManyTitle'),
      heading: t('mfa.tooManyTitle'),
      message: t('mfa.tooManyMessage'),
      link: { href: interactionUrls(uid, ctx.state.csrf).page, text: t('common.startAgain') },
      links: await waysOn(deps.provider, ctx),
    },
    429,
  );
}

/**
 * What the challenge page checks before it asks (lockout, a closed challenge) and the factor used
 * last, started with the account's reads so they share their round trip. Left unread when the
 * login finishes or enrols instead; not started early for a client that never asks for a second
 * factor.
 */
function challengeChecks(deps: InteractionDeps, ctx: InteractionContext, pending: PendingLogin) {
  const { mfa } = deps;
  let reads: {
    status: Promise<RegulationStatus>;
    closed: Promise<boolean>;
    last: Promise<string | undefined>;
  };
  const start = () => {
    reads ??= {
      status: earlyRead(mfa.regulation.status(pending.accountId, ctx.ip)),
      closed: earlyRead(mfa.attempts.closed(challengeId(pending, ctx.state.interaction.uid))),
      last: earlyRead(mfa.kv.get(lastFactorKey(pending.accountId))),
    };
    return reads;
  };
  if (mfa.policy.forClient(clientIdOf(ctx)).policy !== 'off') start();
  return start;
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
  const clientId = clientIdOf(ctx);
  const checks = challengeChecks(deps, ctx, pending);
  const account = await pendingAccount(deps, pending);
  // A factor was set up in this flow and its recovery codes await confirmation.
  if (pending.enrolledAmr) return showBackupPending(deps, ctx, pending);
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
  if (d.outcome === 'password') return showPasswordStep(deps, ctx, account.id);
  const status = await checks().status;
  if (status.locked) return renderLocked(deps, ctx, status.retryAt);
  if (await checks().closed) return renderChallengeClosed(deps, ctx);

  if (d.outcome === 'elsewhere') {
    // The account has a second factor this request does not accept. A password alone never adds
    // one; the account page (which accepts it) can.
    const t = translatorOf(ctx);
    const accepted = factorsOf(deps, d.accepted).map((f) => factorLabel(f, t));
    return deps.render(
      ctx,
      'message',
      {
        title: t('mfa.otherNeededTitle'),
        heading: t('mfa.otherNeededTitle'),
        message: t('mfa.otherNeededMessage', {
          app: await clientName(deps.provider, clientId),
          methods: accepted.join(', ') || t('mfa.noneOfYours'),
        }),
        link: { href: '/account', text: t('common.goToAccount') },
        links: await waysOn(deps.provider, ctx),
      },
      403,
    );
  }
  const urls = interactionUrls(ctx.state.interaction.uid, ctx.state.csrf);
  if (d.outcome === 'enrol') {
    const enrollable = factorsOf(deps, d.factors);
    if (enrollable.length === 1) return seeOther(ctx, urls.enrol((enrollable[0] as Factor).id));
    const t = translatorOf(ctx);
    return deps.render(ctx, 'mfa-choose', {
      title: t('mfa.chooseTitle'),
      heading: t('mfa.chooseTitle'),
      message: t('mfa.chooseMessage', { app: await clientName(deps.provider, clientId) }),
      options: enrollable.map((f) => ({ label: factorLabel(f, t), href: urls.enrol(f.id) })),
      abortUrl: urls.abort,
    });
  }

  const usable = factorsOf(deps, d.factors);
  const last = await checks().last;
  const byDefault =
    usable.find((f) => f.id === pending.factor) ??
    usable.find((f) => f.id === last) ??
    factorsOf(deps, d.primary)[0] ??
    (usable[0] as Factor);
  const factor = usable.find((f) => f.id === choice) ?? byDefault;
  // A reload finds the factor shown by default again: only another choice needs storing.
  if (factor === byDefault) pending.factor ??= factor.id;
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

/** POST /mfa/:factor: checks a proof, counting failures per challenge, account and IP. */
export function verifyFactor(deps: InteractionDeps): Step {
  return async (ctx) => {
    const { mfa } = deps;
    const uid = ctx.state.interaction.uid;
    const pending = await loadPending(deps, ctx);
    if (!pending) return seeOther(ctx, interactionUrls(uid, ctx.state.csrf).page);
    const account = await pendingAccount(deps, pending);
    const usable = await usableFactors(deps, ctx, pending);
    const factor = usable.find((f) => f.id === ctx.params.factor);
    if (!factor) throw new InvalidRequest('This sign-in method is not available here.');
    const input = readInput(ctx.state.form, factor, 'login');
    const remember = field(ctx, 'remember', 8) === '1';
    const req = await factorRequest(deps, ctx, account, pending, factor);
    const where = { account, ip: ctx.ip, flow: 'login' as const, challenge: challengeId(pending, uid) };
    const outcome = await prove(deps, where, factor, req, input);
    if (outcome.kind === 'proved') {
      // Which factor to offer first next time: sent with the login's other writes.
      await batchWrite(mfa.kv.set(lastFactorKey(account.id), factor.id, LAST_FACTOR_TTL));
      pending.amr = [...pending.amr, ...(outcome.result.amr ?? factor.amr)];
      pending.failures = 0;
      if (outcome.result.renewal) {
        // A backup factor used its last code: offer a new supply before going on.
        await mfa.pending.set(uid, pending);
        return renderFactor(deps, ctx, factor, outcome.result.renewal, {
          title: factorLabel(factor, translatorOf(ctx)),
          action: interactionUrls(uid, ctx.state.csrf).regenerate,
        });
      }
      return finishLogin(deps, ctx, pending, { remember });
    }
    if (outcome.kind === 'locked') {
      if (outcome.error) await mfa.pending.delete(uid);
      return renderLocked(deps, ctx, outcome.retryAt);
    }
    // The challenge closes: the user starts again from the password (or the app, on step-up).
    if (outcome.kind === 'closed' || (outcome.kind === 'refused' && outcome.left === 0))
      return renderChallengeClosed(deps, ctx);
    if (outcome.kind === 'unchecked') {
      // Nothing was compared (no code delivered, malformed input): no attempt is spent.
      const message = messageFor(factor, outcome.error, translatorOf(ctx));
      return showChallenge(deps, ctx, pending, account, factor, usable, message, 401);
    }
    const { left } = outcome;
    pending.failures = mfa.maxAttemptsPerChallenge - left;
    const t = translatorOf(ctx);
    const message = `${messageFor(factor, outcome.error, t)} ${t('mfa.attemptsLeft', { count: left })}`;
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
