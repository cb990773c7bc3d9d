import type { AccountRecord } from '../accounts/types.ts';
import type { TollgateConfig } from '../config/schema.ts';
import { createLimiters } from '../mfa/parts.ts';
import type { Unlocked } from '../security/regulation.ts';
import { type UnlockDeps, unlockAccount } from '../security/unlock.ts';
import type { Store } from '../server/store.ts';
import { audit, type CliIo, EXIT } from './io.ts';

/** The server's limiters on the store, built from the same configuration as the server's. */
export function limitersOf(store: Store, config: TollgateConfig): UnlockDeps {
  return {
    ...createLimiters({
      redis: store.redis,
      keyPrefix: store.keyPrefix,
      regulation: config.mfa?.regulation,
      interactionTtl: config.ttl.interaction,
    }),
    adapter: store.adapter,
  };
}

/** "locked until ..., 3 failure(s)" or "no failures". */
function described(u: Unlocked): string {
  const parts = [
    ...(u.lockedUntil ? [`locked until ${u.lockedUntil.toISOString()}`] : []),
    ...(u.failures > 0 ? [`${u.failures} recent failure(s)`] : []),
    ...(u.lockouts > 0 ? [`${u.lockouts} lockout(s) today`] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'nothing recorded';
}

/**
 * `tollgate users unlock NAME`: lifts the account's password and second-factor lockouts and
 * clears their failure counts (src/security/unlock.ts). Per-IP limits stay: they are an
 * address's, not the account's.
 */
export async function unlockUser(
  store: Store,
  config: TollgateConfig,
  account: AccountRecord,
  io: CliIo,
): Promise<number> {
  const cleared = await unlockAccount(limitersOf(store, config), account);
  audit(io, 'account.unlocked', {
    account: account.id,
    username: account.username,
    password_locked: cleared.password.lockedUntil !== undefined,
    mfa_locked: cleared.mfa.lockedUntil !== undefined,
    step_ups: cleared.stepUps,
  });
  io.stdout.write(
    `unlocked user ${account.username}: password (${described(cleared.password)}), ` +
      `second factor (${described(cleared.mfa)})` +
      (cleared.stepUps > 0 ? `, step-up attempts of ${cleared.stepUps} session(s) cleared` : '') +
      '\n',
  );
  return EXIT.ok;
}
