import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { ensureDemoUser } from '../accounts/demo-user.ts';
import { loadConfig, resolveConfigPath } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { startMetricsServer } from '../observability/metrics-server.ts';
import { createTollgate } from './app.ts';

/** `npm start` / `tollgate serve`: loads the config, opens the store, serves HTTP until SIGTERM. */
export async function serve(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' } },
    strict: true,
  });
  const path = resolveConfigPath(values.config);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tollgate: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.log_level);
  const port = process.env.PORT ? Number(process.env.PORT) : config.port;
  const tollgate = createTollgate(config, logger);
  const demoUser = await ensureDemoUser(config, tollgate.store.accounts, tollgate.hasher, logger);

  const server = createServer(tollgate.provider.callback());
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.host, resolve);
  });
  // Metrics never share the public port: their own listener, loopback unless configured.
  const metricsServer = config.metrics.enabled
    ? await startMetricsServer(tollgate.metrics, config.metrics, logger)
    : undefined;
  logger.info(
    { event: 'server.started', port, host: config.host, issuer: config.issuer, store: tollgate.store.kind },
    'listening',
  );
  process.stdout.write(
    `\ntollgate is running: ${config.issuer}/.well-known/openid-configuration (listening on ${config.host}:${port})\n` +
      (demoUser ? `Sign in as "${demoUser}" with the password in accounts.demo_user of ${path}.\n\n` : '\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'server.stopping', signal }, 'shutting down');
    // Stop accepting, let in-flight requests finish, then close Redis; force after 10 s.
    setTimeout(() => process.exit(1), 10_000).unref();
    metricsServer?.close();
    server.close(() => {
      tollgate.close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (import.meta.main) {
  await serve();
}
