import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { BUILTIN_FACTOR_OPTIONS } from '../factors/builtin-options.ts';
import type { FactorDefinition } from '../factors/types.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { loadJwks } from '../provider/keys.ts';
import { loadBranding } from '../ui/branding.ts';
import { configSchema, createConfigSchema, type TollgateConfig } from './schema.ts';
import { loadYamlConfig, parseYamlConfig } from './yaml.ts';

/** Where the configuration comes from when neither `--config` nor `TOLLGATE_CONFIG` names a file. */
export const DEFAULT_CONFIG_PATH = 'examples/tollgate.yaml';

/** The demo's configuration as the package ships it. */
const SHIPPED_EXAMPLE = join(PACKAGE_ROOT, DEFAULT_CONFIG_PATH);

/**
 * Whether `path` is the shipped example (examples/tollgate.yaml of this package, by any path
 * or symlink), not a file of the operator's own, even a copy of it.
 */
export function isShippedExample(path: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(path) === real(SHIPPED_EXAMPLE);
}

/** Picks the config file: explicit path, then `TOLLGATE_CONFIG`, then the example config. */
export function resolveConfigPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit ?? env.TOLLGATE_CONFIG ?? DEFAULT_CONFIG_PATH;
}

/** The schema with plug-in factors registered beside the shipped ones. */
const schemaFor = (factors: readonly FactorDefinition[]) =>
  factors.length === 0 ? configSchema : createConfigSchema([...BUILTIN_FACTOR_OPTIONS, ...factors]);

/** Checks what one field's schema cannot see: client ids are unique across the list. */
function checkClients(config: TollgateConfig, source: string): TollgateConfig {
  const seen = new Set<string>();
  const dupes = config.clients.filter((c) => {
    const dupe = seen.has(c.client_id);
    seen.add(c.client_id);
    return dupe;
  });
  if (dupes.length > 0) {
    throw new ConfigError(
      source,
      dupes.map((c) => `clients: client_id ${c.client_id} is defined twice`),
    );
  }
  return config;
}

/** Parses and validates YAML text; throws {@link ConfigError} listing every bad field. */
export function parseConfig(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
  /** Plug-in factors whose options the file may hold. */
  factors: readonly FactorDefinition[] = [],
): TollgateConfig {
  return checkClients(parseYamlConfig(schemaFor(factors), text, source, env), source);
}

/** Reads, interpolates and validates the YAML configuration file. */
export function loadConfig(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  /** Plug-in factors whose options the file may hold. */
  factors: readonly FactorDefinition[] = [],
): TollgateConfig {
  return checkClients(loadYamlConfig(schemaFor(factors), path, env), path);
}

/**
 * Checks the files the configuration names (the private JWKS of `jwks.file`, the logo,
 * stylesheet and views folder of `ui`), so a missing or broken one stops start-up with a
 * {@link ConfigError} naming the field, not a stack trace.
 */
export function checkConfigFiles(config: TollgateConfig, source: string): void {
  loadBranding(config.ui, source);
  if (!config.jwks.file) return;
  try {
    loadJwks(config.jwks.file);
  } catch (err) {
    throw new ConfigError(source, [(err as Error).message]);
  }
}
