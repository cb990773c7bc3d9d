import { z } from 'zod';
import type { AccountRecord } from '../accounts/types.ts';
import { loadConfig, resolveConfigPath } from '../config/load.ts';
import type { TollgateConfig } from '../config/schema.ts';
import { StoreLayoutError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { createStore, type Store } from '../server/store.ts';
import { CliError, EXIT } from './io.ts';

/** What the `users` commands share: the store, finding a user, checking what operators type. */

export const usernameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\s\p{C}:]+$/u, 'no spaces, control characters or ":"');
export const emailSchema = z.email();
export const phoneSchema = z.string().regex(/^\+[1-9]\d{6,14}$/, 'use E.164 form, e.g. +15551234567');
/** Group names as Keycloak and Authelia allow them (spaces too), minus what breaks `users list`. */
export const groupSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^,\p{C}]+$/u, 'no commas or control characters')
  .refine((g) => g.trim() === g, 'no leading or trailing spaces');

/** Parses `value` or ends the command with a usage error naming `what`. */
export function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new CliError(`invalid ${what}: ${r.error.issues[0]?.message ?? 'invalid'}`, EXIT.usage);
  return r.data;
}

/** Opens the configured Redis store; exit 2 without one, exit 3 when it does not answer. */
export async function openStore(
  configPath: string | undefined,
): Promise<{ store: Store; config: TollgateConfig }> {
  const config = loadConfig(resolveConfigPath(configPath));
  if (!config.store.redis) {
    throw new CliError(
      'users commands need store.redis in the configuration: the embedded memory store lives only inside a running server',
      EXIT.usage,
    );
  }
  const store = createStore(config, createLogger('silent'));
  try {
    await Promise.race([
      store.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000).unref()),
    ]);
  } catch (err) {
    await store.close().catch(() => {});
    throw new CliError(`cannot reach Redis: ${(err as Error).message}`, EXIT.unavailable);
  }
  try {
    // A store in another key layout: writing accounts into it would hide them from tollgate.
    await store.ensureLayout();
  } catch (err) {
    await store.close().catch(() => {});
    if (err instanceof StoreLayoutError) throw new CliError(err.message, EXIT.failed);
    throw new CliError(`cannot reach Redis: ${(err as Error).message}`, EXIT.unavailable);
  }
  return { store, config };
}

/** The account named `username` (any case); exit 1 with "no such user" when there is none. */
export async function mustFind(store: Store, username: string): Promise<AccountRecord> {
  const account = await store.accounts.findByUsername(username);
  if (!account) throw new CliError(`no such user: ${username}`);
  return account;
}
