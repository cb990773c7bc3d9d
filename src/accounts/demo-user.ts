import { isShippedExample } from '../config/load.ts';
import type { TollgateConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { PasswordHasher } from './password.ts';
import type { AccountStore } from './types.ts';

/** Options of {@link ensureDemoUser}. */
export interface DemoUserOptions {
  /**
   * The configuration file. When it is the shipped example (examples/tollgate.yaml), its
   * `accounts.demo_user` is left to the demo (`npm start`, which omits this option): a server
   * started on the example, say with a real Redis, never creates `demo`. Omitted: created.
   */
  source?: string;
}

/**
 * Creates `accounts.demo_user` when the store holds no account at all, so the demo can be
 * signed in to right away. Returns the username when it created one.
 */
export async function ensureDemoUser(
  config: TollgateConfig,
  accounts: AccountStore,
  hasher: PasswordHasher,
  logger: Logger,
  options: DemoUserOptions = {},
): Promise<string | undefined> {
  const demo = config.accounts.demo_user;
  if (!demo) return undefined;
  if (options.source !== undefined && isShippedExample(options.source)) {
    logger.warn(
      { event: 'accounts.demo_user_skipped', username: demo.username, source: options.source },
      `accounts.demo_user of ${options.source} is for the demo (npm start) only: not created. Add users with \`tollgate users add\`, or set accounts.demo_user in a file of your own.`,
    );
    return undefined;
  }
  if ((await accounts.count()) > 0) return undefined;
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
