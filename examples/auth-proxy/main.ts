import { parseArgs } from 'node:util';
import { ConfigError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { loadProxyConfig } from './config.ts';
import { startProxy } from './server.ts';

/**
 * Starts the auth-proxy: `node examples/auth-proxy/main.ts --config examples/auth-proxy/proxy.yaml`.
 * `LOG_LEVEL` sets the log level (default info).
 */

const { values } = parseArgs({
  options: { config: { type: 'string', short: 'c', default: 'examples/auth-proxy/proxy.yaml' } },
});

const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
try {
  const config = loadProxyConfig(values.config ?? 'examples/auth-proxy/proxy.yaml');
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
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
