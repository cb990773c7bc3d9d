import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { generateJwks } from '../provider/keys.ts';
import { CliError, type CliIo, EXIT } from './io.ts';

/** `tollgate keys generate --out FILE [--force]`: writes a private JWKS (ES256 + RS256), mode 0600. */
export async function keysCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'generate')
    throw new CliError('usage: tollgate keys generate --out FILE [--force]', EXIT.usage);
  const { values } = parseArgs({
    args: rest,
    options: { out: { type: 'string', short: 'o' }, force: { type: 'boolean', default: false } },
    strict: true,
  });
  if (!values.out) throw new CliError('keys generate: --out FILE is required', EXIT.usage);
  if (existsSync(values.out) && !values.force) {
    throw new CliError(
      `keys generate: ${values.out} exists; pass --force to replace it (old tokens stop verifying)`,
    );
  }
  mkdirSync(dirname(values.out), { recursive: true });
  const jwks = generateJwks();
  // `mode` applies only when the file is created: tighten a replaced file before the keys go in.
  if (existsSync(values.out)) chmodSync(values.out, 0o600);
  writeFileSync(values.out, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600 });
  io.stdout.write(`wrote ${values.out} (${jwks.keys.map((k) => `${k.alg} ${k.kid}`).join(', ')})\n`);
  return EXIT.ok;
}
