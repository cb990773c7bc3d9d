import { parseArgs } from 'node:util';
import { createSessionActivity } from '../sessions/activity.ts';
import { type AccountSession, listAccountSessions } from '../sessions/list-account-sessions.ts';
import { check, mustFind, openStore, usernameSchema } from './accounts.ts';
import { endSessionsOf } from './end-sessions.ts';
import { CliError, type CliIo, EXIT } from './io.ts';

const USAGE = `usage:
  tollgate sessions list USERNAME [--json]   (where the user is signed in: browser, IP, times, apps)
  tollgate sessions revoke USERNAME (--all | ID)   (ends sessions, their tokens; back-channel logouts)
common option: --config FILE`;

const iso = (seconds: number | undefined) =>
  seconds === undefined ? '-' : new Date(seconds * 1000).toISOString();

/** What `sessions list --json` prints of a session. */
const view = (s: AccountSession) => ({
  id: s.id,
  device: s.activity?.device ?? null,
  ip: s.activity?.ip ?? null,
  signed_in_at: s.login_at === undefined ? null : iso(s.login_at),
  last_used_at: s.activity ? iso(s.activity.last_seen) : null,
  expires_at: s.expires_at === undefined ? null : iso(s.expires_at),
  amr: s.amr,
  clients: s.clients,
});

const row = (s: AccountSession) =>
  [
    s.id,
    s.activity?.device ?? '-',
    s.activity?.ip ?? '-',
    iso(s.login_at),
    s.activity ? iso(s.activity.last_seen) : '-',
    s.clients.join(',') || '-',
  ].join('\t');

/** `tollgate sessions ...`: lists and ends a user's sign-in sessions in the configured Redis. */
export async function sessionsCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
    },
  });
  if (sub !== 'list' && sub !== 'revoke') throw new CliError(USAGE, EXIT.usage);
  const [name, id, ...extra] = positionals;
  if (name === undefined || extra.length > 0) throw new CliError(USAGE, EXIT.usage);
  if (sub === 'list' && id !== undefined) throw new CliError(USAGE, EXIT.usage);
  // Exactly one of --all and an ID: a bare `revoke USERNAME` must not end everything by accident.
  if (sub === 'revoke' && values.all === (id !== undefined)) throw new CliError(USAGE, EXIT.usage);
  const username = check(usernameSchema, name, 'username');

  const { store, config } = await openStore(values.config);
  try {
    const account = await mustFind(store, username);
    const activity = createSessionActivity(store.kv, config.ttl.session);
    const sessions = await listAccountSessions({ adapter: store.adapter, activity }, account.id);
    if (sub === 'list') {
      if (values.json) io.stdout.write(`${JSON.stringify(sessions.map(view), null, 2)}\n`);
      else if (sessions.length === 0) io.stdout.write(`user ${account.username} has no sessions\n`);
      else
        io.stdout.write(
          `${['ID\tDEVICE\tIP\tSIGNED IN\tLAST USED\tCLIENTS', ...sessions.map(row)].join('\n')}\n`,
        );
      return EXIT.ok;
    }
    if (id !== undefined && !sessions.some((s) => s.id === id))
      throw new CliError(`no such session of ${account.username}: ${id}`);
    const told = await endSessionsOf(store, config, account, io, 'sessions_revoked', id);
    return told ? EXIT.ok : EXIT.partial;
  } finally {
    await store.close();
  }
}
