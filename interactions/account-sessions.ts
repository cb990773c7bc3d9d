import type Provider from 'oidc-provider';
import type { AccountIndexedAdapter } from '../adapters/account-index.ts';
import type { Logger } from '../src/log.ts';
import type { SessionActivityStore } from '../src/sessions/activity.ts';
import { endAccountSessions } from '../src/sessions/end-account-sessions.ts';
import { listAccountSessions } from '../src/sessions/list-account-sessions.ts';

/*
 * "Where you are signed in" on the account page: the account's sessions with their browser, IP,
 * times and apps, and ending one or all others. Ending a session destroys it and its grants'
 * tokens and sends the back-channel logouts, as the operator's `tollgate sessions revoke` does.
 */

/** What the sessions part of the account page needs. */
export interface AccountSessionsDeps {
  adapter: AccountIndexedAdapter;
  activity?: SessionActivityStore;
}

/** One row of the page's session list. */
export interface SessionRow {
  id: string;
  current: boolean;
  device: string;
  ip?: string;
  signedIn?: string;
  lastUsed?: string;
  apps: string[];
}

const day = (seconds: number | undefined) =>
  seconds === undefined ? undefined : new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ');

/** The account's sessions for the page, this browser's first. */
export async function sessionRows(
  deps: AccountSessionsDeps,
  provider: Provider,
  accountId: string,
  currentId: string,
  /** The account page's own client: shown as "this page", not by its name. */
  ownClient: string,
  /** Shown for a session whose browser is not known. @default "Unknown browser" */
  unknownBrowser = 'Unknown browser',
): Promise<SessionRow[]> {
  const sessions = await listAccountSessions(deps, accountId);
  const names = new Map<string, string>();
  const nameOf = async (clientId: string) => {
    if (clientId === ownClient) return 'this account page';
    let name = names.get(clientId);
    if (name === undefined) {
      const client = await provider.Client.find(clientId);
      name = client?.clientName ?? clientId;
      names.set(clientId, name);
    }
    return name;
  };
  const rows = await Promise.all(
    sessions.map(async (s) => ({
      id: s.id,
      current: s.id === currentId,
      device: s.activity?.device ?? unknownBrowser,
      ip: s.activity?.ip,
      signedIn: day(s.login_at),
      lastUsed: day(s.activity?.last_seen),
      apps: await Promise.all(s.clients.map(nameOf)),
    })),
  );
  return rows.sort((a, b) => Number(b.current) - Number(a.current));
}

/**
 * Ends the account's sessions other than `currentId` (all of them when `id` is undefined, else
 * that one). Returns how many ended; the current one is never ended here (signing out is).
 */
export async function endOtherSessions(
  deps: AccountSessionsDeps,
  provider: Provider,
  logger: Logger,
  accountId: string,
  currentId: string,
  id?: string,
): Promise<number> {
  const targets =
    id === undefined
      ? (await listAccountSessions(deps, accountId)).map((s) => s.id).filter((s) => s !== currentId)
      : id === currentId
        ? []
        : [id];
  if (targets.length === 0) return 0;
  // One pass over the account's index for all of them.
  const result = await endAccountSessions(
    { adapter: deps.adapter, provider: async () => provider },
    accountId,
    { only: targets },
  );
  const ended = result.sessions;
  for (const l of result.logouts)
    logger[l.ok ? 'info' : 'warn'](
      {
        event: l.ok ? 'logout.backchannel_sent' : 'logout.backchannel_failed',
        client: l.clientId,
        account: accountId,
        ...(l.ok ? {} : { error: l.error }),
      },
      l.ok ? 'back-channel logout sent' : 'back-channel logout failed',
    );
  if (ended > 0)
    logger.info(
      { event: 'account.sessions_ended', account: accountId, sessions: ended, by: 'user' },
      'sessions ended',
    );
  return ended;
}
