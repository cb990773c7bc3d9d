import { parseArgs } from 'node:util';
import { loadConfig, resolveConfigPath } from '../config/load.ts';
import { loadJwks } from '../provider/keys.ts';
import { CliError, type CliIo, EXIT } from './io.ts';

/** `tollgate config check [--config FILE]`: validates the file and the JWKS it names. */
export async function configCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'check') throw new CliError('usage: tollgate config check [--config FILE]', EXIT.usage);
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string', short: 'c' } },
    strict: true,
  });
  const path = resolveConfigPath(values.config);
  const config = loadConfig(path);
  if (config.jwks.file) {
    try {
      loadJwks(config.jwks.file);
    } catch (err) {
      throw new CliError(`invalid configuration in ${path}:\n  - ${(err as Error).message}`, EXIT.usage);
    }
  }
  const store = config.store.redis ? 'redis' : 'embedded memory store';
  io.stdout.write(`${path}: OK (issuer ${config.issuer}, ${config.clients.length} client(s), ${store})\n`);
  return EXIT.ok;
}
