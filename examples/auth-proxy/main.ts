import { parseArgs } from 'node:util';
import { ConfigError, createLogger } from 'tollgate';
import { loadProxyConfig } from './config.ts';
import { startProxy } from './server.ts';

/**
 * The `tollgate-proxy` command:
 *
 *   tollgate-proxy [--config FILE]               run the proxy
 *   tollgate-proxy config check [--config FILE]  validate the file and exit
 *
 * The file is --config FILE, else $TOLLGATE_PROXY_CONFIG, else ./proxy.yaml. `LOG_LEVEL` sets
 * the log level (default info). Exit codes like tollgate's: 0 ok, 2 usage or configuration error.
 */

const HELP = `tollgate-proxy: the tollgate auth-proxy (reverse proxy and forward-auth)

usage:
  tollgate-proxy [--config FILE]               run the proxy
  tollgate-proxy config check [--config FILE]  validate the configuration and exit

The configuration file is --config FILE, else $TOLLGATE_PROXY_CONFIG, else ./proxy.yaml.
Exit codes: 0 ok, 2 usage or configuration error.
`;

/** Where the command writes: injectable so tests can run it in-process. */
export interface ProxyCliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

const USAGE = 2;

/**
 * Runs `tollgate-proxy`. `config check` resolves with its exit code; running the proxy resolves
 * with `undefined` once it listens (it stops on SIGINT/SIGTERM). Never calls process.exit itself.
 */
export async function runProxyCli(argv: string[], io: ProxyCliIo): Promise<number | undefined> {
  const check = argv[0] === 'config';
  if (check && argv[1] !== 'check') {
    io.stderr.write(`tollgate-proxy: unknown command "config ${argv[1] ?? ''}"\n\n${HELP}`);
    return USAGE;
  }
  let path: string;
  try {
    const { values } = parseArgs({
      args: check ? argv.slice(2) : argv,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
    if (values.help) {
      io.stdout.write(HELP);
      return 0;
    }
    path = values.config ?? io.env.TOLLGATE_PROXY_CONFIG ?? 'proxy.yaml';
  } catch (err) {
    io.stderr.write(`tollgate-proxy: ${(err as Error).message}\n\n${HELP}`);
    return USAGE;
  }
  let config: ReturnType<typeof loadProxyConfig>;
  try {
    config = loadProxyConfig(path, io.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`tollgate-proxy: ${err.message}\n`);
    return USAGE;
  }
  if (check) {
    const store = config.session.store ? 'redis' : 'in-process memory';
    io.stdout.write(
      `${path}: OK (issuer ${config.provider.issuer}, ${config.rules.length} rule(s), ${config.upstreams.length} upstream(s), sessions in ${store})\n`,
    );
    return 0;
  }
  const logger = createLogger(io.env.LOG_LEVEL ?? 'info');
  const proxy = await startProxy(config, { logger });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'auth-proxy: stopping');
      proxy.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  return undefined;
}

if (import.meta.main) {
  const code = await runProxyCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  if (code !== undefined) process.exitCode = code;
}
