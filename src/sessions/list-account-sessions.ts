import type { AccountIndexedAdapter } from '../../adapters/account-index.ts';
import type { SessionActivity, SessionActivityStore } from './activity.ts';
import type { SessionPayload } from './end-account-sessions.ts';

/** One sign-in session of an account, as the account page and `tollgate sessions list` show it. */
export interface AccountSession {
  /** The session's storage id: what ending it takes (`endAccountSessions(..., { only })`). */
  id: string;
  /** Epoch seconds the user signed in. */
  login_at?: number;
  /** Epoch seconds the session ends at the latest. */
  expires_at?: number;
  /** Methods the sign-in proved (RFC 8176). */
  amr: string[];
  /** Clients signed in to with it. */
  clients: string[];
  /** Browser, IP, first and last use, when recorded (src/sessions/activity.ts). */
  activity?: SessionActivity;
  /** The stable uid the activity is kept under. */
  uid?: string;
}

/** The account's live sessions, most recently used first. */
export async function listAccountSessions(
  deps: { adapter: AccountIndexedAdapter; activity?: SessionActivityStore },
  accountId: string,
): Promise<AccountSession[]> {
  const sessions = new deps.adapter('Session');
  const out: AccountSession[] = [];
  for (const entry of await deps.adapter.listByAccount(accountId)) {
    if (entry.model !== 'Session') continue;
    const s = (await sessions.find(entry.id)) as SessionPayload | undefined;
    // Gone, or the browser signed in as someone else since.
    if (s?.accountId !== accountId) continue;
    const activity = s.uid ? await deps.activity?.get(s.uid) : undefined;
    out.push({
      id: entry.id,
      uid: s.uid,
      login_at: s.loginTs,
      expires_at: s.exp,
      amr: s.amr ?? [],
      clients: Object.keys(s.authorizations ?? {}),
      ...(activity ? { activity } : {}),
    });
  }
  const lastUse = (x: AccountSession) => x.activity?.last_seen ?? x.login_at ?? 0;
  return out.sort((a, b) => lastUse(b) - lastUse(a));
}
