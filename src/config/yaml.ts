import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';

/**
 * Generic YAML + `${ENV}` configuration loading for any zod schema: tollgate's own
 * configuration (load.ts) and the auth-proxy's both read their files through it.
 */

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` inside string values. Done on the parsed tree, not the
 * raw text, so a secret containing YAML syntax cannot change the document's shape.
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

/** Parses YAML text, interpolates the environment and validates; throws {@link ConfigError} listing every bad field. */
export function parseYamlConfig<S extends z.ZodType>(
  schema: S,
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    throw new ConfigError(
      source,
      doc.errors.map((e) => e.message),
    );
  const missing: string[] = [];
  const raw = interpolate(doc.toJS() ?? {}, env, [], missing);
  if (missing.length > 0) throw new ConfigError(source, missing);
  return validateConfig(schema, raw, source);
}

/** Validates an already-built object (tests, embedding); same errors as the file loader. */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, source: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

/** Reads a YAML file and hands it to {@link parseYamlConfig}. */
export function loadYamlConfig<S extends z.ZodType>(
  schema: S,
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return parseYamlConfig(schema, text, path, env);
}
