import type { AccountRecord } from '../accounts/types.ts';
import type { TollgateConfig } from '../config/schema.ts';
import { createLogger } from '../log.ts';
import type { Store } from '../server/store.ts';
import { endAccountSessions } from '../sessions/end-account-sessions.ts';
import type { CliIo } from './io.ts';

/**
 * The second half of `users disable|passwd|reset-mfa`: ends the account's sessions and tokens
 * and tells the relying parties. The logout tokens must verify against the running server's
 * JWKS, so they are signed by a Provider assembled here from the same configuration; with
 * throw-away keys (no `jwks.file`) none is sent and the command says so.
 */
export async function endSessionsOf(
  store: Store,
  config: TollgateConfig,
  account: AccountRecord,
  io: CliIo,
  reason: string,
): Promise<void> {
  // Loaded only when a session has clients to tell: the rest of the CLI does without the server.
  const provider = config.jwks.file
    ? async () =>
        (await import('../server/app.ts')).createTollgate(config, createLogger('silent'), { store }).provider
    : undefined;
  const ended = await endAccountSessions(
    { adapter: store.adapter, accounts: store.accounts, provider },
    account.id,
  );
  io.stderr.write(
    `${JSON.stringify({
      event: 'account.sessions_ended',
      account: account.id,
      username: account.username,
      reason,
      sessions: ended.sessions,
      grants: ended.grants,
      backchannel: ended.logouts.map((l) => ({ client: l.clientId, ok: l.ok })),
      at: new Date().toISOString(),
    })}\n`,
  );
  io.stdout.write(
    `ended ${ended.sessions} session(s) and revoked ${ended.grants} grant(s) with their tokens\n`,
  );
  for (const failed of ended.logouts.filter((l) => !l.ok)) {
    io.stderr.write(`tollgate: back-channel logout to ${failed.clientId} failed: ${failed.error}\n`);
  }
  const withLogout = new Set(config.clients.flatMap((c) => (c.backchannel_logout_uri ? [c.client_id] : [])));
  const untold = ended.unnotified.filter((c) => withLogout.has(c));
  if (untold.length > 0) {
    io.stderr.write(
      `tollgate: no jwks.file configured, so no back-channel logout was sent to ${untold.join(', ')}: ` +
        'their sessions end when they next refresh or introspect a token\n',
    );
  }
}
