import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { ensureDemoUser } from '../accounts/demo-user.ts';
import { checkConfigFiles, isShippedExample, loadConfig, resolveConfigPath } from '../config/load.ts';
import { ConfigError, StoreLayoutError } from '../errors.ts';
import { createLogger, type Logger } from '../log.ts';
import { startMetricsServer } from '../observability/metrics-server.ts';
import { createTollgate } from './app.ts';
import { isStoreOutage } from './error-handler.ts';
import type { Store } from './store.ts';

/** The listen port: `PORT` from the environment when set, else the configuration's. */
function listenPort(env: string | undefined, configured: number): number {
  if (env === undefined || env === '') return configured;
  const port = Number(env);
  if (!/^\d+$/.test(env) || port > 65535) {
    throw new ConfigError('the environment', [
      `PORT: must be a TCP port (0-65535), got ${JSON.stringify(env)}`,
    ]);
  }
  return port;
}

/** Listen errors a person can fix, said in words. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another tollgate, or the demo?)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'no such address on this machine',
};

/**
 * Ends start-up on an error an operator can fix (bad configuration, arguments, a port in use)
 * with one clear line and exit code 2 (configuration) or 1, never a stack trace.
 */
function exitOnStartupError(err: unknown, listening?: string): never {
  const code = (err as { code?: unknown }).code;
  if (err instanceof ConfigError) {
    process.stderr.write(`tollgate: ${err.message}\n`);
    process.exit(2);
  }
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`tollgate: ${(err as Error).message}\nusage: tollgate serve [--config FILE]\n`);
    process.exit(2);
  }
  if (listening && typeof code === 'string' && LISTEN_ERRORS[code]) {
    process.stderr.write(`tollgate: cannot listen on ${listening}: ${LISTEN_ERRORS[code]}\n`);
    process.exit(1);
  }
  throw err;
}

/** Pause between checks of a store that does not answer yet at start-up. */
const LAYOUT_RETRY_MS = 1000;

/**
 * Before serving: the store must be in the key layout this code writes. A store in another one
 * ends start-up with one line (exit 1); a Redis that does not answer yet is waited for.
 */
async function checkStoreLayout(store: Store, logger: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await store.ensureLayout();
      return;
    } catch (err) {
      if (err instanceof StoreLayoutError) {
        process.stderr.write(`tollgate: ${err.message}\n`);
        await store.close().catch(() => {});
        process.exit(1);
      }
      if (!(err instanceof Error) || !isStoreOutage(err)) throw err;
      if (attempt % 10 === 0) {
        logger.warn(
          { event: 'store.layout_waiting', message: (err as Error).message },
          'waiting for Redis to check its key layout before serving',
        );
      }
      await new Promise((r) => setTimeout(r, LAYOUT_RETRY_MS));
    }
  }
}

/** `npm run serve` / `tollgate serve`: loads the config, opens the store, serves HTTP until SIGTERM. */
export async function serve(argv: string[] = process.argv.slice(2)): Promise<void> {
  let path: string;
  let config: ReturnType<typeof loadConfig>;
  let port: number;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' } },
      strict: true,
    });
    path = resolveConfigPath(values.config);
    config = loadConfig(path);
    checkConfigFiles(config, path);
    port = listenPort(process.env.PORT, config.port);
  } catch (err) {
    exitOnStartupError(err);
  }
  const logger = createLogger(config.log_level);
  const tollgate = createTollgate(config, logger);
  await checkStoreLayout(tollgate.store, logger);
  const demoUser = await ensureDemoUser(config, tollgate.store.accounts, tollgate.hasher, logger, {
    source: path,
  });

  const server = createServer(tollgate.provider.callback());
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: config.host, reusePort: config.reuse_port }, resolve);
  }).catch((err) => exitOnStartupError(err, `${config.host}:${port}`));
  // Metrics never share the public port: their own listener, loopback unless configured.
  const metricsServer = config.metrics.enabled
    ? await startMetricsServer(tollgate.metrics, config.metrics, logger).catch((err) =>
        exitOnStartupError(err, `metrics.listen ${config.metrics.listen.host}:${config.metrics.listen.port}`),
      )
    : undefined;
  logger.info(
    { event: 'server.started', port, host: config.host, issuer: config.issuer, store: tollgate.store.kind },
    'listening',
  );
  process.stdout.write(
    `\ntollgate is running: ${config.issuer}/.well-known/openid-configuration (listening on ${config.host}:${port})\n` +
      (demoUser
        ? `Sign in as "${demoUser}" with the password in accounts.demo_user of ${path}.\n\n`
        : config.accounts.demo_user && isShippedExample(path)
          ? `No demo account: accounts.demo_user of ${path} is created by the demo (npm start) only.\n\n`
          : '\n'),
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
