import { parseArgs } from 'node:util';
import { checkRedis, createRedisClient } from '../../adapters/redis-client.ts';
import { LAYOUT_VERSION } from '../../adapters/redis-layout.ts';
import { type MigrationReport, migrateLayout } from '../../adapters/redis-migrate.ts';
import { loadConfig, resolveConfigPath } from '../config/load.ts';
import { StoreLayoutError } from '../errors.ts';
import type { CliIo } from './io.ts';
import { CliError, EXIT } from './io.ts';

const USAGE = 'usage: tollgate store migrate [--config FILE] [--apply]';

/**
 * `tollgate store migrate [--config FILE] [--apply]`: moves the data of the configured Redis
 * prefix from the previous key layout to this one (adapters/redis-migrate.ts). Without `--apply`
 * a dry run: it lists what it would move and writes nothing. Stop every tollgate on the prefix
 * before `--apply`; running it again after an interruption finishes the move.
 */
export async function storeCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'migrate') throw new CliError(USAGE, EXIT.usage);
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string', short: 'c' }, apply: { type: 'boolean' } },
    strict: true,
  });
  const config = loadConfig(resolveConfigPath(values.config));
  const redisConfig = config.store.redis;
  if (!redisConfig) {
    throw new CliError('store migrate needs store.redis in the configuration', EXIT.usage);
  }
  const prefix = redisConfig.key_prefix;
  const redis = createRedisClient(redisConfig, { connectionName: 'tollgate-migrate' });
  redis.on('error', () => {});
  try {
    try {
      await checkRedis(redis);
    } catch (err) {
      throw new CliError(`cannot reach Redis: ${(err as Error).message}`, EXIT.unavailable);
    }
    let report: MigrationReport;
    try {
      report = await migrateLayout(redis, prefix, { apply: values.apply === true });
    } catch (err) {
      if (err instanceof StoreLayoutError) throw new CliError(err.message, EXIT.failed);
      throw err;
    }
    io.stdout.write(describe(report, prefix));
    return EXIT.ok;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** The report as the operator reads it. */
function describe(report: MigrationReport, prefix: string): string {
  const total = Object.values(report.found).reduce((a, b) => a + b, 0);
  const lines: string[] = [];
  const from = report.from === undefined ? 'no layout version (layout 1)' : `layout ${report.from}`;
  lines.push(`key prefix "${prefix}": ${from}; this tollgate writes layout ${LAYOUT_VERSION}`);
  if (total === 0) {
    lines.push('no key in the previous layout');
  } else {
    lines.push(`${total} key(s) in the previous layout${report.applied ? ', moved' : ' to move'}:`);
    for (const [kind, n] of Object.entries(report.found)) if (n > 0) lines.push(`  ${kind}: ${n}`);
  }
  if (report.unknownCount > 0) {
    lines.push(`${report.unknownCount} key(s) in no known layout, left as they are:`);
    for (const key of report.unknown) lines.push(`  ${key}`);
  }
  if (report.applied) {
    lines.push(`layout ${LAYOUT_VERSION} recorded: tollgate can start on this store`);
  } else {
    lines.push('dry run: nothing written. Stop every tollgate on this prefix, then run it with --apply');
  }
  return `${lines.join('\n')}\n`;
}
