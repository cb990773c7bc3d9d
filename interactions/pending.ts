import type { Account } from '../src/accounts/types.ts';
import { InteractionNotFound } from '../src/errors.ts';
import type { Factor, FactorRequest } from '../src/factors/types.ts';
import { translatorOf } from '../src/i18n/index.ts';
import type { PendingLogin } from '../src/mfa/pending.ts';
import { readAhead } from '../src/scope/request-scope.ts';
import { sharesReads } from '../src/scope/stores.ts';
import { stepUpChallenge } from '../src/security/attempts.ts';
import {
  clientIdOf,
  clientName,
  type InteractionContext,
  type InteractionDeps,
  type ReadAhead,
} from './context.ts';

/** Reasons oidc-provider gives that a signed-in session can answer with a second factor alone. */
const STEP_UP_REASONS = new Set(['mfa_required', 'essential_acr', 'essential_acrs']);

/** True when the login prompt only wants more factors from an existing session (step-up). */
export function isStepUp(ctx: InteractionContext): boolean {
  const { prompt, session } = ctx.state.interaction;
  return Boolean(session?.accountId) && prompt.reasons.every((r) => STEP_UP_REASONS.has(r));
}

/**
 * Reads ahead the pending login of the interaction in the path and, once it is known, its
 * account and credentials: what the second-factor steps read first. Only through stores that
 * share their reads (src/scope/stores.ts; the server's do), else it would only read twice.
 */
export function readPendingAhead(deps: InteractionDeps): ReadAhead {
  const { accounts, mfa } = deps;
  return (ctx) => {
    const uid = ctx.params.uid;
    if (!uid || !sharesReads(mfa.kv)) return;
    readAhead(async () => {
      const pending = await mfa.pending.get(uid);
      if (!pending) return;
      if (sharesReads(accounts)) readAhead(() => accounts.findById(pending.accountId));
      if (sharesReads(mfa.credentials)) readAhead(() => mfa.credentials.list(pending.accountId));
    });
  };
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

/**
 * The pending login as stored, with the factor states that hold nothing left out: equal
 * snapshots mean a step changed nothing worth a write.
 */
export function pendingSnapshot(pending: PendingLogin): string {
  return JSON.stringify(pending, (key, value: unknown) =>
    key === 'factorState' && value && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value).filter(([, state]) => Object.keys(state ?? {}).length > 0))
      : value,
  );
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
    locale: translatorOf(ctx).locale,
    state: pending.factorState[factor.id] as Record<string, unknown>,
  };
}
