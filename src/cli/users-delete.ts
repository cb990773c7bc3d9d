import type { AccountRecord } from '../accounts/types.ts';
import type { TollgateConfig } from '../config/schema.ts';
import { channelSendLimits } from '../factors/address/definition.ts';
import { unlockAccount } from '../security/unlock.ts';
import type { Store } from '../server/store.ts';
import { endSessionsOf } from './end-sessions.ts';
import { audit, type CliIo, EXIT } from './io.ts';
import { limitersOf } from './users-unlock.ts';

/**
 * `tollgate users delete NAME`: removes the account and everything stored for it, in an order
 * that never leaves a way back in:
 *   1. disable it, so no sign-in starts while the rest goes;
 *   2. drop its lockout and send counters, so a new account with the same name starts clean;
 *   3. end its sessions, revoke its grants and tokens, send the back-channel logouts;
 *   4. delete its second factors (credentials);
 *   5. delete the account and free its username.
 * Short-lived state bound to a login page (pending logins, used codes) expires with that page,
 * and a session past the account index's cap is refused at its next use: its account is gone.
 */
export async function deleteUser(
  store: Store,
  config: TollgateConfig,
  account: AccountRecord,
  io: CliIo,
): Promise<number> {
  await store.accounts.update(account.id, { disabled: true });
  // Before the sessions go: the step-up counts are found through them.
  await unlockAccount(limitersOf(store, config), account);
  for (const channel of ['email', 'sms'] as const) {
    await channelSendLimits(channel, store).perAccount.forget?.(account.id);
  }
  const told = await endSessionsOf(store, config, account, io, 'deleted');
  const credentials = await store.credentials.deleteAll(account.id);
  await store.accounts.delete(account.id);
  audit(io, 'account.deleted', { account: account.id, username: account.username, credentials });
  io.stdout.write(
    `deleted user ${account.username} (sub ${account.id}) and ${credentials} second factor(s)\n`,
  );
  return told ? EXIT.ok : EXIT.partial;
}
