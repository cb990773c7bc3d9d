import type { TollgateConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { PasswordHasher } from './password.ts';
import type { AccountStore } from './types.ts';

/**
 * Creates `accounts.demo_user` when the store holds no account at all, so the demo can be
 * signed in to right away. Returns the username when it created one.
 */
export async function ensureDemoUser(
  config: TollgateConfig,
  accounts: AccountStore,
  hasher: PasswordHasher,
  logger: Logger,
): Promise<string | undefined> {
  const demo = config.accounts.demo_user;
  if (!demo || (await accounts.count()) > 0) return undefined;
  await accounts.create({
    username: demo.username,
    email: demo.email,
    email_verified: demo.email !== undefined,
    name: demo.name,
    groups: demo.groups,
    password_hash: await hasher.hash(demo.password),
  });
  logger.warn({ event: 'accounts.demo_user_created', username: demo.username }, 'demo user created');
  return demo.username;
}
