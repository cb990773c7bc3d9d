import type { AccountRecord } from '../accounts/types.ts';
import type { TollgateConfig } from '../config/schema.ts';
import { createLogger } from '../log.ts';
import type { Store } from '../server/store.ts';
import { endAccountSessions } from '../sessions/end-account-sessions.ts';
import { audit, type CliIo } from './io.ts';

/**
 * The second half of `users disable|passwd|reset-mfa|delete`: ends the account's sessions and
 * tokens and tells the relying parties. The logout tokens must verify against the running
 * server's JWKS, so they are signed by a Provider assembled here from the same configuration;
 * with throw-away keys (no `jwks.file`) none is sent and the command says so.
 *
 * @returns false when a back-channel logout failed (each failed client is named on stderr):
 * the command then exits with `EXIT.partial`, so a script sees that a relying party may still
 * hold a session.
 */
export async function endSessionsOf(
  store: Store,
  config: TollgateConfig,
  account: AccountRecord,
  io: CliIo,
  reason: string,
  /** End only this session (by id), keeping the account's others and its not-before stamp. */
  only?: string,
): Promise<boolean> {
  // Loaded only when a session has clients to tell: the rest of the CLI does without the server.
  const provider = config.jwks.file
    ? async () =>
        (await import('../server/app.ts')).createTollgate(config, createLogger('silent'), { store }).provider
    : undefined;
  const ended = await endAccountSessions(
    { adapter: store.adapter, accounts: store.accounts, provider },
    account.id,
    only === undefined ? {} : { only },
  );
  audit(io, 'account.sessions_ended', {
    account: account.id,
    username: account.username,
    reason,
    sessions: ended.sessions,
    grants: ended.grants,
    backchannel: ended.logouts.map((l) => ({
      client: l.clientId,
      ok: l.ok,
      ...(l.ok ? {} : { error: l.error }),
    })),
  });
  io.stdout.write(
    `ended ${ended.sessions} session(s) and revoked ${ended.grants} grant(s) with their tokens\n`,
  );
  // The same events the server logs for its own back-channel logouts.
  for (const l of ended.logouts) {
    audit(io, l.ok ? 'logout.backchannel_sent' : 'logout.backchannel_failed', {
      client: l.clientId,
      account: account.id,
      ...(l.ok ? {} : { error: l.error }),
    });
  }
  const failed = ended.logouts.filter((l) => !l.ok);
  for (const f of failed) {
    io.stderr.write(
      `tollgate: back-channel logout to ${f.clientId} failed: ${f.error}; ` +
        'it may keep its session until it next refreshes or introspects a token\n',
    );
  }
  const withLogout = new Set(config.clients.flatMap((c) => (c.backchannel_logout_uri ? [c.client_id] : [])));
  const untold = ended.unnotified.filter((c) => withLogout.has(c));
  if (untold.length > 0) {
    io.stderr.write(
      `tollgate: no jwks.file configured, so no back-channel logout was sent to ${untold.join(', ')}: ` +
        'their sessions end when they next refresh or introspect a token\n',
    );
  }
  return failed.length === 0;
}
