import { AccountError, ConfigError } from '../errors.ts';
import { configCommand } from './config.ts';
import { CliError, type CliIo, EXIT } from './io.ts';
import { keysCommand } from './keys.ts';
import { sessionsCommand } from './sessions.ts';
import { storeCommand } from './store.ts';
import { usersCommand } from './users.ts';

const HELP = `tollgate: OpenID Connect provider with multi-factor login

usage:
  tollgate serve [--config FILE]          run the server (same as npm run serve)
  tollgate users add|list|set|disable|enable|passwd|unlock|factors|reset-mfa|delete ...
  tollgate sessions list USERNAME [--json] | revoke USERNAME (--all | ID)
  tollgate keys generate --out FILE [--force]
  tollgate config check [--config FILE] [--strict]
                                          validate; --strict also refuses development defaults
  tollgate store migrate [--config FILE] [--apply]
                                          move Redis data of the previous key layout (dry run
                                          without --apply)

The configuration file is --config FILE, else $TOLLGATE_CONFIG, else examples/tollgate.yaml.
Exit codes: 0 ok, 1 refused (config check --strict: development defaults left), 2 usage or
configuration error, 3 store unreachable, 4 done but a back-channel logout failed (the client
is named on stderr).
`;

/** Runs one CLI command and returns its exit code; never calls process.exit itself. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'users':
        return await usersCommand(args, io);
      case 'sessions':
        return await sessionsCommand(args, io);
      case 'keys':
        return await keysCommand(args, io);
      case 'config':
        return await configCommand(args, io);
      case 'store':
        return await storeCommand(args, io);
      case 'serve': {
        const { serve } = await import('../server/main.ts');
        await serve(args);
        return EXIT.ok;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(HELP);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        io.stderr.write(`tollgate: unknown command "${command}"\n\n${HELP}`);
        return EXIT.usage;
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`tollgate: ${err.message}\n`);
      return err.exitCode;
    }
    // The account changed under the command (deleted or created meanwhile by another one).
    if (err instanceof AccountError) {
      io.stderr.write(`tollgate: ${err.message}\n`);
      return EXIT.failed;
    }
    if (err instanceof ConfigError) {
      io.stderr.write(`tollgate: ${err.message}\n`);
      return EXIT.usage;
    }
    // parseArgs raises TypeErrors with a code for unknown or malformed options.
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`tollgate: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2), process);
  if (code !== EXIT.ok || process.argv[2] !== 'serve') process.exitCode = code;
}
