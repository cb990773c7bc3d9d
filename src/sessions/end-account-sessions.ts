import type Provider from 'oidc-provider';
import type { AccountIndexedAdapter } from '../../adapters/account-index.ts';
import type { AccountStore } from '../accounts/types.ts';
import { failureReason } from '../provider/audit-events.ts';

/*
 * Ends everything an account is signed in with: its provider sessions, its grants and every
 * token of those grants, and (through back-channel logout) the relying parties' sessions that
 * came from them. Used by the operator resets (`tollgate users disable|passwd|reset-mfa|delete`), in
 * the CLI's own process: it needs only the store and, for the logout tokens, a Provider built
 * from the same configuration (same issuer and signing keys) as the running server.
 */

/** What {@link endAccountSessions} needs. */
export interface EndSessionsDeps {
  adapter: AccountIndexedAdapter;
  /** Stamps `sessions_not_before` when every session ends; not needed to end one (`only`). */
  accounts?: Pick<AccountStore, 'update'>;
  /**
   * Signs and sends the back-channel logout tokens (`Client#backchannelLogout`); called only
   * when a session had a client to tell. Without it the sessions and tokens still end, and
   * {@link EndedSessions.unnotified} lists the clients.
   */
  provider?: () => Promise<Provider>;
  /** @default Date.now */
  now?: () => number;
}

/** One back-channel logout sent to a client. */
export interface LogoutDelivery {
  clientId: string;
  ok: boolean;
  /** Why it failed; never holds the logout token. */
  error?: string;
}

/** What {@link endAccountSessions} ended. */
export interface EndedSessions {
  sessions: number;
  grants: number;
  logouts: LogoutDelivery[];
  /** Clients a session was authorised for that were not told (no provider given). */
  unnotified: string[];
}

/** The fields of a stored Session this reads. */
export interface SessionPayload {
  accountId?: string;
  uid?: string;
  /** Epoch seconds. */
  loginTs?: number;
  /** Epoch seconds. */
  exp?: number;
  amr?: string[];
  authorizations?: Record<string, { sid?: string; grantId?: string }>;
}

/**
 * Stamps the account's `sessions_not_before` (so anything the index misses is refused too),
 * then destroys each indexed session and grant of the account, revokes every token of those
 * grants, and sends a back-channel logout (sub + sid) for each client a session was authorised
 * for. With `only`, ends those sessions (by id) and their grants, and stamps nothing: the
 * account's other sessions stay.
 */
export async function endAccountSessions(
  deps: EndSessionsDeps,
  accountId: string,
  options: { only?: string | readonly string[] } = {},
): Promise<EndedSessions> {
  const now = deps.now ?? Date.now;
  const only = options.only === undefined ? undefined : new Set([options.only].flat());
  if (only === undefined) {
    // The stamp is what ends anything the index missed: ending "all" without it would not.
    if (!deps.accounts) throw new Error('endAccountSessions: ending every session needs `accounts`');
    await deps.accounts.update(accountId, { sessions_not_before: Math.floor(now() / 1000) });
  }
  const sessions = new deps.adapter('Session');
  const grants = new deps.adapter('Grant');
  const grantIds = new Set<string>();
  /** client id -> sids to log out there */
  const sids = new Map<string, Set<string>>();
  let ended = 0;
  for (const entry of await deps.adapter.listByAccount(accountId)) {
    if (entry.model === 'Grant') {
      if (only !== undefined) continue;
      const grant = await grants.find(entry.id);
      if (grant?.accountId === accountId) grantIds.add(entry.id);
      continue;
    }
    if (only !== undefined && !only.has(entry.id)) continue;
    const session = (await sessions.find(entry.id)) as SessionPayload | undefined;
    // A stale entry: the session is gone, or the browser signed in as someone else since.
    if (session?.accountId !== accountId) continue;
    for (const [clientId, auth] of Object.entries(session.authorizations ?? {})) {
      if (auth.grantId) grantIds.add(auth.grantId);
      if (auth.sid) sids.set(clientId, (sids.get(clientId) ?? new Set()).add(auth.sid));
    }
    await sessions.destroy(entry.id);
    ended++;
  }
  for (const grantId of grantIds) {
    // Every model shares one grant index per adapter: this removes all of the grant's tokens.
    await grants.revokeByGrantId(grantId);
    await grants.destroy(grantId);
  }
  return { sessions: ended, grants: grantIds.size, ...(await logOut(deps.provider, accountId, sids)) };
}

/** The part of oidc-provider's Client this uses (its typings leave `backchannelLogout` out). */
interface BackchannelClient {
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

/** Sends the back-channel logouts, after the sessions are gone, so a racing refresh fails. */
async function logOut(
  getProvider: (() => Promise<Provider>) | undefined,
  accountId: string,
  sids: Map<string, Set<string>>,
): Promise<Pick<EndedSessions, 'logouts' | 'unnotified'>> {
  const logouts: LogoutDelivery[] = [];
  const unnotified: string[] = [];
  const provider = getProvider && sids.size > 0 ? await getProvider() : undefined;
  for (const [clientId, clientSids] of sids) {
    if (!provider) {
      unnotified.push(clientId);
      continue;
    }
    // oidc-provider's own sender: logout token signed with the provider's keys, its fetch.
    const client = (await provider.Client.find(clientId)) as BackchannelClient | undefined;
    if (!client?.backchannelLogoutUri) continue;
    for (const sid of clientSids) {
      try {
        await client.backchannelLogout(accountId, sid);
        logouts.push({ clientId, ok: true });
      } catch (err) {
        logouts.push({ clientId, ok: false, error: failureReason(err) });
      }
    }
  }
  return { logouts, unnotified };
}
