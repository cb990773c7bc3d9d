import type { Context } from 'koa';
import { z } from 'zod';
import type { Account } from '../src/accounts/types.ts';
import { InvalidRequest } from '../src/errors.ts';
import type {
  Credential,
  Factor,
  FactorInputs,
  FactorMessage,
  FactorRequest,
  FactorView,
  VerifyFailure,
  VerifyResult,
} from '../src/factors/types.ts';
import { defaultI18n, extendTranslator, type Translate, translatorOf } from '../src/i18n/index.ts';
import { batchWrite } from '../src/scope/request-scope.ts';
import { UNCHECKED_FAILURES } from '../src/security/attempts.ts';
import type { InteractionDeps } from './context.ts';
import { waysOn } from './ways-on.ts';

/*
 * The one factor flow. The login (interactions/enrol.ts, interactions/mfa.ts) and the account
 * page (interactions/account.ts) both drive factors through these functions; each supplies a
 * small host saying where the factor's state lives, how a page is rendered and what happens
 * after. Nothing here knows a factor by id: backup codes, multi-step enrolments and delivery
 * failures are outcomes and traits of the factor interface.
 */

/**
 * The page's translator for a factor's own pages and messages. A key is found in the factor's
 * `catalogues` for the page's language (in English also its `messages`), then in tollgate's
 * catalogue of that language (shipped or the operator's) as `factor.<id>.<key>` and as itself,
 * then in the factor's English (`catalogues.en`, `messages`), then in tollgate's English.
 */
export function factorTranslator(factor: Factor, t: Translate): Translate {
  const own = factor.catalogues?.[t.locale];
  const english = (key: string) => factor.catalogues?.en?.[key] ?? factor.messages?.[key];
  const scoped = (key: string) => `factor.${factor.id}.${key}`;
  return extendTranslator(
    t,
    (key, only, base) =>
      own?.[key] ??
      (t.locale === 'en' ? english(key) : undefined) ??
      base(scoped(key), true) ??
      base(key, true) ??
      (only ? undefined : (english(key) ?? base(scoped(key), false) ?? base(key, false))),
  );
}

/** A factor's message in the page's language (see {@link factorTranslator}). */
export function factorMessage(factor: Factor, message: FactorMessage, t: Translate): string {
  return factorTranslator(factor, t)(message.key, message.vars);
}

/**
 * What a factor's page shows besides the factor's data: its translator as `t`, and its `error`
 * and `notice` in the page's language. The step's message (wrong code, attempts left) comes
 * before the factor's own (a failed send): both are worth reading.
 */
export function factorPageTexts(factor: Factor, view: FactorView, t: Translate, stepError?: string) {
  const ft = factorTranslator(factor, t);
  const say = (m: FactorMessage | undefined) => (m ? ft(m.key, m.vars) : undefined);
  return {
    t: ft,
    error: [stepError, say(view.error)].filter((m) => m !== undefined && m !== '').join(' ') || undefined,
    notice: say(view.notice),
  };
}

/**
 * The user-facing message for a failure code in the page's language: the factor's own text for
 * it (see {@link factorTranslator}), else tollgate's `failure.<code>`.
 */
export function messageFor(factor: Factor, code: VerifyFailure, t?: Translate): string {
  const tr = t ?? defaultI18n().translator('en');
  return factorTranslator(factor, tr).opt(code) ?? tr(`failure.${code}`);
}

/** A factor's name in the page's language (see {@link messageFor} for the order). */
export function factorLabel(factor: Factor, t: Translate): string {
  const own = factor.catalogues?.[t.locale]?.label;
  if (own) return own;
  if (t.locale === 'en') return factor.label;
  return t.opt(`factor.${factor.id}.label`) ?? factor.label;
}

const CODE_INPUT = z.object({ code: z.string().max(64).default('') });
const DEFAULT_INPUTS: Required<FactorInputs> = {
  login: CODE_INPUT,
  remove: CODE_INPUT,
  enrol: z.record(z.string(), z.string().max(256)),
};

/**
 * The posted form as the factor's schema for `step` reads it (CSRF token dropped). A field
 * sent twice, or a form the schema refuses, is a 400 page: the factor is never called with it.
 */
export function readInput(
  form: Record<string, unknown>,
  factor: Factor,
  step: keyof FactorInputs,
): Record<string, string> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(form)) {
    if (name === 'csrf') continue;
    if (typeof value !== 'string') throw new InvalidRequest(`The field "${name}" was sent more than once.`);
    fields[name] = value;
  }
  const parsed = (factor.inputs?.[step] ?? DEFAULT_INPUTS[step]).safeParse(fields);
  if (!parsed.success) throw new InvalidRequest('The form fields are not valid for this step.');
  return parsed.data;
}

/**
 * How a proof went, after the challenge, account and IP limits had their say. `unchecked` is the
 * proof-side twin of an enrolment's `undelivered`: the factor compared nothing (no code was
 * delivered, or it expired; malformed input), so no attempt was spent.
 */
export type ProofOutcome =
  | { kind: 'proved'; result: Extract<VerifyResult, { ok: true }> }
  /** `left`: wrong answers this challenge still allows (0: it has just closed). */
  | { kind: 'refused'; error: VerifyFailure; left: number }
  | { kind: 'unchecked'; error: VerifyFailure }
  /** The challenge had no attempt left: nothing was checked. */
  | { kind: 'closed' }
  | { kind: 'locked'; retryAt: Date; error?: VerifyFailure };

/**
 * Checks a factor's proof under the per-challenge, account and per-IP limits. The attempt is
 * taken before the factor runs (src/security/attempts.ts), so parallel guesses cannot pass the
 * cap; a refused reservation is not checked at all, a wrong answer stays counted, an unchecked
 * one is given back and a success clears the account's failures.
 */
export async function prove(
  deps: InteractionDeps,
  /** `challenge`: the id whose attempts this proof spends (`challengeId`, src/security/attempts.ts). */
  where: { account: Account; ip: string; flow: 'login' | 'account'; challenge: string },
  factor: Factor,
  req: FactorRequest,
  input: Record<string, string>,
): Promise<ProofOutcome> {
  const { attempts, maxAttemptsPerChallenge } = deps.mfa;
  const { account, ip, flow, challenge } = where;
  const attempt = await attempts.reserve({ challenge, account: account.id, ip });
  if (!attempt.ok)
    return attempt.reason === 'locked' ? { kind: 'locked', retryAt: attempt.retryAt } : { kind: 'closed' };
  const result = await factor.verify(req, input);
  if (result.ok) {
    // Giving the attempt back is sent with the step's other writes (src/scope/request-scope.ts).
    await batchWrite(attempt.succeed());
    deps.logger.info(
      { event: 'mfa.verified', account: account.id, factor: factor.id, ip, flow },
      'second factor ok',
    );
    return { kind: 'proved', result };
  }
  if (UNCHECKED_FAILURES.has(result.error)) {
    await attempt.release();
    return { kind: 'unchecked', error: result.error };
  }
  const after = await attempt.fail();
  deps.logger.info(
    {
      event: 'mfa.failed',
      account: account.id,
      factor: factor.id,
      reason: result.error,
      ip,
      flow,
      // This challenge's wrong answers including this one.
      failures: after.locked ? undefined : maxAttemptsPerChallenge - after.challengeLeft,
    },
    'second factor refused',
  );
  if (after.locked) {
    deps.logger.warn(
      { event: 'lockout', account: account.id, ip, until: after.retryAt.toISOString() },
      'second factor locked',
    );
    return { kind: 'locked', retryAt: after.retryAt, error: result.error };
  }
  return { kind: 'refused', error: result.error, left: after.challengeLeft };
}

/** The 429 page of a locked account, with when to retry and the way back to the app; the same for every account. */
export async function renderLocked(deps: InteractionDeps, ctx: Context, retryAt: Date) {
  const seconds = Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 1000));
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  ctx.set('Retry-After', String(seconds));
  const t = translatorOf(ctx);
  await deps.render(
    ctx,
    'message',
    {
      title: t('mfa.pausedTitle'),
      heading: t('mfa.pausedTitle'),
      message: t('mfa.pausedMessage', { time: retryAt.toISOString().slice(11, 16), count: minutes }),
      links: await waysOn(deps.provider, ctx),
    },
    429,
  );
}

/** Where an enrolment runs: the login's pending state or the account page's session. */
export interface EnrolmentHost {
  account: Account;
  ip: string;
  /** The page's language. @default English */
  t?: Translate;
  /** The factor's request, its `state` bound to this flow. */
  request(factor: Factor): Promise<FactorRequest>;
  /** Persists the factors' state after a step. */
  save(): Promise<void>;
  /** Renders a factor's set-up page. */
  show(factor: Factor, view: FactorView, error?: string, status?: number): Promise<unknown>;
  /** Counts a refused step (it may end the flow by throwing). */
  refused(factor: Factor): Promise<void>;
  /** Binds what the new credential proved to the flow (pending login or session). */
  enrolled(factor: Factor, credential: Credential, amr: readonly string[]): Promise<void>;
  /** What follows a finished enrolment (finish the login, show the account page). */
  done(factor: Factor): Promise<unknown>;
}

/** Shows a factor's first set-up page; a reopened page resumes with the state kept in the flow. */
export async function startEnrolment(host: EnrolmentHost, factor: Factor) {
  const view = await factor.startEnrolment(await host.request(factor));
  await host.save();
  return host.show(factor, view);
}

/**
 * Submits one enrolment step. Further steps and failed deliveries show the next page without
 * counting; a refusal counts; a new real factor is followed by the backup factor when the
 * account has none.
 */
export async function submitEnrolment(
  deps: InteractionDeps,
  host: EnrolmentHost,
  factor: Factor,
  form: Record<string, unknown>,
) {
  const input = readInput(form, factor, 'enrol');
  const result = await factor.finishEnrolment(await host.request(factor), input);
  switch (result.outcome) {
    case 'next':
      await host.save();
      return host.show(factor, result.view);
    case 'undelivered':
      await host.save();
      // Too many codes is the user's to wait out (429); a channel that failed is ours (503).
      return host.show(factor, result.view, undefined, result.limited ? 429 : 503);
    case 'refused': {
      await host.refused(factor);
      await host.save();
      // A factor that explains the failure on its page says it once.
      const own = result.view.error !== undefined;
      return host.show(factor, result.view, own ? undefined : messageFor(factor, result.error, host.t), 400);
    }
    case 'enrolled': {
      deps.logger.info(
        { event: 'factor.enrolled', account: host.account.id, factor: factor.id, ip: host.ip },
        'factor enrolled',
      );
      await host.enrolled(factor, result.credential, result.amr ?? factor.amr);
      const backup = deps.mfa.factors.backup();
      if (!factor.backup && backup && !(await backup.isEnrolled(host.account.id))) {
        return startEnrolment(host, backup);
      }
      return host.done(factor);
    }
  }
}

/** Title of a factor's set-up page, in the page's language. */
export function enrolTitle(factor: Factor, t?: Translate): string {
  if (!t || t.locale === 'en') {
    return factor.backup
      ? `Save your ${factor.label.toLowerCase()}s`
      : `Set up ${factor.label.toLowerCase()}`;
  }
  if (factor.backup) return t('enrol.saveBackup', { factor: backupPlural(factor, t) });
  return t('enrol.setUp', { factor: factorLabel(factor, t) });
}

/** A backup factor's name in the plural ("recovery codes"), in the page's language. */
/** A credential's name in the page's language (see {@link Factor.credentialName}). */
export function credentialName(factor: Factor | undefined, credential: Credential, t: Translate): string {
  if (!factor) return credential.label ?? credential.factor;
  const label = factorLabel(factor, t);
  const named = factor.credentialName?.(credential, { label, plural: backupPlural(factor, t) });
  return named ?? credential.label ?? label;
}

export function backupPlural(factor: Factor, t: Translate): string {
  const own =
    factor.catalogues?.[t.locale]?.plural ??
    (t.locale === 'en' ? undefined : t.opt(`factor.${factor.id}.plural`));
  return own ?? `${factor.label.toLowerCase()}s`;
}
