import { parseArgs } from 'node:util';
import { createPasswordHasher } from '../accounts/password.ts';
import { MAX_PASSWORD_LENGTH, passwordProblem } from '../accounts/password-policy.ts';
import type { Account } from '../accounts/types.ts';
import type { Credential } from '../factors/types.ts';
import {
  check,
  emailSchema,
  groupSchema,
  mustFind,
  openStore,
  phoneSchema,
  usernameSchema,
} from './accounts.ts';
import { endSessionsOf } from './end-sessions.ts';
import { audit, CliError, type CliIo, EXIT, readPassword } from './io.ts';
import { deleteUser } from './users-delete.ts';
import { setUser } from './users-set.ts';
import { unlockUser } from './users-unlock.ts';

const USAGE = `usage:
  tollgate users add USERNAME [--email E [--email-verified]] [--phone +E164] [--name N] [--group G]...   (password on stdin)
  tollgate users list [--json]
  tollgate users set USERNAME [--email E|''] [--[no-]email-verified] [--name N|''] [--phone +E164|'']
                     [--group G]... | [--add-group G]... [--remove-group G]...   (--group replaces the list)
  tollgate users disable USERNAME   (ends the user's sessions and tokens)
  tollgate users enable USERNAME
  tollgate users passwd USERNAME   (password on stdin; ends the user's sessions and tokens)
  tollgate users unlock USERNAME   (lifts password and second-factor lockouts)
  tollgate users factors USERNAME [--json]   (second factors, never their secrets)
  tollgate users reset-mfa USERNAME   (removes every second factor, ends sessions; audit line on stderr)
  tollgate users delete USERNAME   (removes the account, its factors, sessions and tokens)
common option: --config FILE`;

/** Exit code of a command that ended the user's sessions: partial when a relying party was not told. */
const afterLogout = (told: boolean) => (told ? EXIT.ok : EXIT.partial);

async function newPassword(io: CliIo, minLength: number): Promise<string> {
  const password = await readPassword(io);
  const problem = passwordProblem(password, minLength);
  if (problem === 'too_short') throw new CliError(`password too short: use at least ${minLength} characters`);
  if (problem === 'too_long')
    throw new CliError(`password too long: at most ${MAX_PASSWORD_LENGTH} characters`);
  return password;
}

function row(a: Account): string {
  const flags = a.disabled ? 'disabled' : 'active';
  return [a.username, a.email ?? '-', a.name ?? '-', a.groups.join(',') || '-', flags].join('\t');
}

/** Epoch seconds -> ISO 8601; '-' when absent. */
function isoOrDash(seconds: number | undefined): string {
  return seconds === undefined ? '-' : new Date(seconds * 1000).toISOString();
}

/** What `users factors` shows of a credential: metadata only, never `data` (secrets live there). */
interface FactorSummary {
  id: string;
  factor: string;
  label: string | null;
  created_at: string;
  last_used_at: string | null;
  /** Recovery codes only: entries without `used_at`, and the size of the set. */
  codes?: { unused: number; total: number };
}

function summarise(c: Credential): FactorSummary {
  const summary: FactorSummary = {
    id: c.id,
    factor: c.factor,
    label: c.label ?? null,
    created_at: isoOrDash(c.created_at),
    last_used_at: c.last_used_at === undefined ? null : isoOrDash(c.last_used_at),
  };
  if (c.factor === 'recovery') {
    const codes = Array.isArray(c.data.codes) ? (c.data.codes as unknown[]) : [];
    const unused = codes.filter(
      (e) => typeof e === 'object' && e !== null && (e as { used_at?: unknown }).used_at === undefined,
    ).length;
    summary.codes = { unused, total: codes.length };
  }
  return summary;
}

function factorRow(f: FactorSummary): string {
  const codes = f.codes ? `${f.codes.unused} unused of ${f.codes.total}` : '-';
  return [f.factor, f.label ?? '-', f.created_at, f.last_used_at ?? '-', codes].join('\t');
}

/** `tollgate users ...`: manages accounts in the configured Redis store. */
export async function usersCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    allowNegative: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      email: { type: 'string' },
      'email-verified': { type: 'boolean' },
      phone: { type: 'string' },
      name: { type: 'string' },
      group: { type: 'string', multiple: true, default: [] },
      'add-group': { type: 'string', multiple: true, default: [] },
      'remove-group': { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
    },
  });
  const known = [
    'add',
    'list',
    'set',
    'disable',
    'enable',
    'passwd',
    'unlock',
    'factors',
    'reset-mfa',
    'delete',
  ];
  if (!sub || !known.includes(sub)) throw new CliError(USAGE, EXIT.usage);
  const needsUser = sub !== 'list';
  if (needsUser && positionals.length !== 1) throw new CliError(USAGE, EXIT.usage);
  const username = needsUser ? check(usernameSchema, positionals[0], 'username') : '';

  const { store, config } = await openStore(values.config);
  try {
    const hasher = createPasswordHasher(config.accounts.password_hash);
    switch (sub) {
      case 'add': {
        const email = values.email === undefined ? undefined : check(emailSchema, values.email, 'email');
        const phone = values.phone === undefined ? undefined : check(phoneSchema, values.phone, 'phone');
        const verified = values['email-verified'];
        if (verified && email === undefined) throw new CliError('--email-verified needs --email', EXIT.usage);
        const groups = [...new Set((values.group ?? []).map((g) => check(groupSchema, g, 'group')))];
        if (await store.accounts.findByUsername(username))
          throw new CliError(`user ${username} already exists`);
        const password = await newPassword(io, config.accounts.min_password_length);
        const account = await store.accounts.create({
          username,
          email,
          // Only the operator's word (or the email factor's proof) makes an address verified.
          email_verified: email === undefined ? undefined : (verified ?? false),
          phone,
          name: values.name,
          groups,
          password_hash: await hasher.hash(password),
        });
        io.stdout.write(`created user ${account.username} (sub ${account.id})\n`);
        return EXIT.ok;
      }
      case 'list': {
        const accounts = await store.accounts.list();
        if (values.json) io.stdout.write(`${JSON.stringify(accounts, null, 2)}\n`);
        else
          io.stdout.write(`${['USERNAME\tEMAIL\tNAME\tGROUPS\tSTATUS', ...accounts.map(row)].join('\n')}\n`);
        return EXIT.ok;
      }
      case 'set':
        return await setUser(store, await mustFind(store, username), values, io);
      case 'disable':
      case 'enable': {
        const account = await mustFind(store, username);
        await store.accounts.update(account.id, { disabled: sub === 'disable' });
        io.stdout.write(`user ${account.username} ${sub}d\n`);
        if (sub === 'disable')
          return afterLogout(await endSessionsOf(store, config, account, io, 'disabled'));
        return EXIT.ok;
      }
      case 'unlock':
        return await unlockUser(store, config, await mustFind(store, username), io);
      case 'delete':
        return await deleteUser(store, config, await mustFind(store, username), io);
      case 'factors': {
        const account = await mustFind(store, username);
        const factors = (await store.credentials.list(account.id)).map(summarise);
        if (values.json) io.stdout.write(`${JSON.stringify(factors, null, 2)}\n`);
        else if (factors.length === 0) io.stdout.write(`user ${account.username} has no second factors\n`);
        else
          io.stdout.write(
            `${['FACTOR\tLABEL\tCREATED\tLAST USED\tCODES', ...factors.map(factorRow)].join('\n')}\n`,
          );
        return EXIT.ok;
      }
      case 'reset-mfa': {
        const account = await mustFind(store, username);
        const removed = await store.credentials.deleteAll(account.id);
        // Remembered browsers end with the sessions (sessions_not_before, set below).
        audit(io, 'factor.reset', { account: account.id, username: account.username, removed });
        io.stdout.write(
          `removed ${removed} second factor(s) of ${account.username}: they enrol again at their next sign-in that requires MFA\n`,
        );
        return afterLogout(await endSessionsOf(store, config, account, io, 'mfa_reset'));
      }
      default: {
        const account = await mustFind(store, username);
        const password = await newPassword(io, config.accounts.min_password_length);
        await store.accounts.update(account.id, { password_hash: await hasher.hash(password) });
        io.stdout.write(`password of ${account.username} changed\n`);
        return afterLogout(await endSessionsOf(store, config, account, io, 'password_changed'));
      }
    }
  } finally {
    await store.close();
  }
}
