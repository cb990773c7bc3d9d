import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { configSchema, type TollgateConfig } from './schema.ts';

/** Where the configuration comes from when neither `--config` nor `TOLLGATE_CONFIG` names a file. */
export const DEFAULT_CONFIG_PATH = 'examples/tollgate.yaml';

/** Picks the config file: explicit path, then `TOLLGATE_CONFIG`, then the example config. */
export function resolveConfigPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit ?? env.TOLLGATE_CONFIG ?? DEFAULT_CONFIG_PATH;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` inside string values. Done on the parsed tree, not
 * on the raw text, so a secret containing YAML syntax cannot change the document's shape.
 */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: string[], missing: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      missing.push(`${path.join('.') || '(root)'}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, String(i)], missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...path, k], missing)]),
    );
  }
  return value;
}

function describeIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** Parses and validates YAML text; throws {@link ConfigError} listing every bad field. */
export function parseConfig(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): TollgateConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => e.message),
    );
  }
  const missing: string[] = [];
  const raw = interpolate(doc.toJS() ?? {}, env, [], missing);
  if (missing.length > 0) throw new ConfigError(source, missing);
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues));
  const seen = new Set<string>();
  const dupes = result.data.clients.filter((c) => {
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
  return result.data;
}

/** Reads, interpolates and validates the YAML configuration file. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): TollgateConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return parseConfig(text, path, env);
}
