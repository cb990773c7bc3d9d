import type { Context, Next } from 'koa';
import type { Account } from '../src/accounts/types.ts';

/*
 * What the account page's handlers share: the signed-in user as the page loaded it, what the
 * page says after a change, and the key-value keys of its flows (all per provider session).
 */

export interface AccountCtx {
  account: Account;
  sessionUid: string;
  /** The session's storage id (what ending it takes). */
  sessionId: string;
  amr: string[];
  /** The session may bind a new factor (src/policy/decide.ts). */
  mayEnrol: boolean;
}

export type AccountContext = Context & {
  state: { me: AccountCtx; form: Record<string, unknown> };
  params: Record<string, string>;
};
export type AccountStep = (ctx: AccountContext, next: Next) => Promise<unknown>;

export const enrolKey = (sessionUid: string, factor: string) => `account-enrol:${sessionUid}:${factor}`;
/** Where the code a removal is confirmed with was sent (e.g. the email factor's OTP session). */
export const confirmKey = (sessionUid: string, factor: string) => `account-confirm:${sessionUid}:${factor}`;
/** One removal challenge per session, so reloading the page does not reset its attempts. */
export const removalChallenge = (sessionUid: string) => `account:${sessionUid}`;
/** The real factor just added in this session whose recovery codes await their confirmation. */
export const enrolledKey = (sessionUid: string) => `account-enrolled:${sessionUid}`;

/**
 * What the page says above its sections: a `success` (something was set up, removed, changed or
 * signed out: the green box), a neutral `note` (a code on its way), or an `error`.
 */
export type Said = { success: string; note?: never } | { note: string; success?: never } | { error: string };
