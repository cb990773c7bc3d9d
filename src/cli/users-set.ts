import { z } from 'zod';
import type { Account, AccountPatch } from '../accounts/types.ts';
import type { Store } from '../server/store.ts';
import { check, emailSchema, groupSchema, phoneSchema } from './accounts.ts';
import { audit, CliError, type CliIo, EXIT } from './io.ts';

/*
 * `tollgate users set NAME ...`: changes an account's profile.
 *
 * Groups work both ways operators know: `--group G` (repeatable) replaces the whole list, as
 * `users add --group` and Authelia's users file do; `--add-group G` / `--remove-group G` join
 * and leave single groups, as Keycloak's "join group" / "leave" do, leaving the others alone.
 * The two ways do not mix in one command.
 *
 * `email_verified` is true only for an address someone proved: the email factor's enrolment,
 * or the operator's `--email-verified`. A new address (`--email`) is unproven, so it resets
 * `email_verified` to false unless `--email-verified` comes with it; a new phone number resets
 * `phone_verified` the same way. `--email ''`, `--phone ''` and `--name ''` remove the field.
 */

/** What `users set` was asked to change (the parsed options). */
export interface SetOptions {
  email?: string;
  'email-verified'?: boolean;
  name?: string;
  phone?: string;
  group?: string[];
  'add-group'?: string[];
  'remove-group'?: string[];
}

const nameSchema = z
  .string()
  .max(256)
  .regex(/^[^\p{C}]*$/u, 'no control characters');

/** Distinct values, first occurrence first. */
const distinct = (values: string[]) => [...new Set(values)];

function groupsOf(account: Account, opts: SetOptions): string[] | undefined {
  const replace = opts.group ?? [];
  const add = opts['add-group'] ?? [];
  const remove = opts['remove-group'] ?? [];
  if (replace.length > 0 && add.length + remove.length > 0)
    throw new CliError(
      '--group replaces the whole list: use it alone, or --add-group/--remove-group',
      EXIT.usage,
    );
  for (const g of [...replace, ...add, ...remove]) check(groupSchema, g, 'group');
  if (replace.length > 0) return distinct(replace);
  if (add.length + remove.length === 0) return undefined;
  const gone = new Set(remove);
  return distinct([...account.groups, ...add]).filter((g) => !gone.has(g));
}

function emailPatch(account: Account, opts: SetOptions): AccountPatch {
  const verified = opts['email-verified'];
  if (opts.email === '') {
    if (verified) throw new CliError('--email-verified needs an email address', EXIT.usage);
    return { email: undefined, email_verified: undefined };
  }
  if (opts.email !== undefined) {
    const email = check(emailSchema, opts.email, 'email');
    // A new address is unproven until the operator (or the email factor) says otherwise.
    if (email !== account.email) return { email, email_verified: verified ?? false };
  }
  if (verified === undefined) return {};
  if (verified && account.email === undefined)
    throw new CliError(`user ${account.username} has no email address to mark verified`);
  return { email_verified: verified };
}

/**
 * The patch `opts` asks for, holding only fields whose value changes (so an unchanged account
 * is not written). Throws a {@link CliError} for contradictory or invalid options.
 */
export function planUpdate(account: Account, opts: SetOptions): AccountPatch {
  const asked =
    opts.email !== undefined ||
    opts['email-verified'] !== undefined ||
    opts.name !== undefined ||
    opts.phone !== undefined ||
    [opts.group, opts['add-group'], opts['remove-group']].some((g) => (g?.length ?? 0) > 0);
  if (!asked)
    throw new CliError(
      'users set needs at least one of --email, --[no-]email-verified, --name, --phone, --group, --add-group, --remove-group',
      EXIT.usage,
    );
  const patch: AccountPatch = { ...emailPatch(account, opts) };
  if (opts.name !== undefined)
    patch.name = opts.name === '' ? undefined : check(nameSchema, opts.name, 'name');
  if (opts.phone === '') Object.assign(patch, { phone: undefined, phone_verified: undefined });
  else if (opts.phone !== undefined) {
    const phone = check(phoneSchema, opts.phone, 'phone');
    if (phone !== account.phone) Object.assign(patch, { phone, phone_verified: false });
  }
  const groups = groupsOf(account, opts);
  if (groups) patch.groups = groups;
  // Keep only real changes: a field set to what it already is, or removed while absent, is none.
  const current = account as unknown as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(patch).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(current[k])),
  ) as AccountPatch;
}

/** Applies `users set` to the account and reports the fields it changed. */
export async function setUser(store: Store, account: Account, opts: SetOptions, io: CliIo): Promise<number> {
  const patch = planUpdate(account, opts);
  const fields = Object.keys(patch);
  if (fields.length === 0) {
    io.stdout.write(`user ${account.username} unchanged\n`);
    return EXIT.ok;
  }
  const updated = await store.accounts.update(account.id, patch);
  audit(io, 'account.updated', { account: account.id, username: account.username, fields });
  const shown = fields.map((f) => {
    const value = (updated as unknown as Record<string, unknown>)[f];
    if (value === undefined) return `${f} removed`;
    return `${f}=${Array.isArray(value) ? value.join(',') || '(none)' : String(value)}`;
  });
  io.stdout.write(`updated user ${account.username}: ${shown.join(', ')}\n`);
  return EXIT.ok;
}
