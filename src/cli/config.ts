import { parseArgs } from 'node:util';
import { developmentDefaults } from '../config/development.ts';
import { checkConfigFiles, loadConfig, resolveConfigPath } from '../config/load.ts';
import type { CliIo } from './io.ts';
import { CliError, EXIT } from './io.ts';

const USAGE = 'usage: tollgate config check [--config FILE] [--strict]';

/**
 * `tollgate config check [--config FILE] [--strict]`: validates the file and the JWKS it names,
 * and lists every development default left in it (demo user, development keys, throw-away
 * JWKS, file outbox, public metrics...). Those are warnings; with `--strict` they fail the check
 * (exit 1), so a deployment pipeline can refuse a configuration that is only fit for the demo.
 */
export async function configCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'check') throw new CliError(USAGE, EXIT.usage);
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string', short: 'c' }, strict: { type: 'boolean' } },
    strict: true,
  });
  const path = resolveConfigPath(values.config);
  const config = loadConfig(path);
  checkConfigFiles(config, path);
  const defaults = developmentDefaults(config);
  const list = defaults.map((d) => `  - ${d.field}: ${d.message}\n`).join('');
  if (values.strict && defaults.length > 0) {
    io.stderr.write(
      `tollgate: ${path} is valid but keeps ${defaults.length} development default(s), refused by --strict:\n${list}`,
    );
    return EXIT.failed;
  }
  const store = config.store.redis ? 'redis' : 'embedded memory store';
  io.stdout.write(`${path}: OK (issuer ${config.issuer}, ${config.clients.length} client(s), ${store})\n`);
  if (defaults.length > 0) {
    io.stderr.write(
      `tollgate: warning: ${defaults.length} development default(s) in ${path}, fine for the demo, not for real use (--strict refuses them):\n${list}`,
    );
  }
  return EXIT.ok;
}
