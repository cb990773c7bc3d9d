// The README stays true (issue 16.9): every configuration field the schema accepts and every CLI
// command the usage texts offer is written down in it. A field added without a line in the
// configuration reference, or a command without a row in the CLI table, fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { runCli } from '../../src/cli/main.ts';
import { configSchema } from '../../src/config/schema.ts';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** zod's internal definition, as far as the walk needs it. */
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  getter?: () => z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  options?: z.ZodType[];
}
const defOf = (t: z.ZodType | undefined) => (t as unknown as { _zod?: { def: Def } } | undefined)?._zod?.def;
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

/** The schema under its wrappers (defaults, optional, preprocess). */
function unwrap(t: z.ZodType | undefined): z.ZodType | undefined {
  for (let def = defOf(t); def; def = defOf(t)) {
    if (WRAPPERS.has(def.type)) t = def.innerType;
    else if (def.type === 'pipe') t = defOf(def.in)?.type === 'transform' ? def.out : def.in;
    else if (def.type === 'lazy') t = def.getter?.();
    else return t;
  }
  return t;
}

/** Every field path of the schema (`mfa.regulation.ban_time`, `clients.mfa.policy`). */
function fieldPaths(t: z.ZodType | undefined, prefix = '', out: string[] = []): string[] {
  const def = defOf(unwrap(t));
  if (def?.type === 'object')
    for (const [key, child] of Object.entries(def.shape ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.push(path);
      fieldPaths(child, path, out);
    }
  else if (def?.type === 'array') fieldPaths(def.element, prefix, out);
  else if (def?.type === 'union') for (const o of def.options ?? []) fieldPaths(o, prefix, out);
  return [...new Set(out)];
}

/**
 * Whether the README documents `path`: a line names it (or a dotted tail of it, as the client
 * table's `mfa.policy` does) in backticks, or names its parent that way and lists the field in
 * the same line (`{ host, port: 587, ... }`), or a YAML sample sets it.
 */
function documented(path: string): boolean {
  const segments = path.split('.');
  const leaf = segments.at(-1) as string;
  const tails = (n: number) => new Set(segments.slice(0, n).map((_, i) => segments.slice(i, n).join('.')));
  const own = tails(segments.length);
  const parent = tails(segments.length - 1);
  const word = new RegExp(`\\b${leaf}\\b`);
  for (const line of README.split('\n')) {
    const spans = [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    if (spans.some((s) => own.has(s))) return true;
    if (segments.length > 1 && spans.some((s) => parent.has(s)) && word.test(line)) return true;
    if (new RegExp(`^\\s*-?\\s*${leaf}:`).test(line)) return true;
  }
  return false;
}

/** The commands `tollgate <group> --help`-style usage texts list, as `tollgate users add`. */
async function cliCommands(): Promise<string[]> {
  const usage = async (args: string[]) => {
    const chunks: string[] = [];
    const sink = { write: (s: string) => chunks.push(s) };
    await runCli(args, { stdout: sink, stderr: sink, stdin: process.stdin });
    return chunks.join('');
  };
  const commands = new Set<string>();
  for (const text of [await usage(['help']), await usage(['users']), await usage(['sessions'])])
    for (const m of text.matchAll(/tollgate ((?:users|sessions|keys|config) [a-z-]+(?:\|[a-z-]+)*|serve)/g))
      for (const part of (m[1] as string).split(' ')[1]?.split('|') ?? [''])
        commands.add(part ? `tollgate ${(m[1] as string).split(' ')[0]} ${part}` : `tollgate ${m[1]}`);
  return [...commands];
}

describe('README coverage', () => {
  it('documents every configuration field', () => {
    const all = fieldPaths(configSchema as unknown as z.ZodType);
    // A section (`store`, `mfa.totp`) is documented by its fields.
    const paths = all.filter((p) => !all.some((q) => q.startsWith(`${p}.`)));
    // The walk must see the schema, or this test would pass on nothing.
    expect(paths).toContain('mfa.regulation.ban_time');
    expect(paths).toContain('clients.mfa.policy');
    expect(paths).not.toContain('mfa.totp');
    expect(paths.filter((p) => !documented(p))).toEqual([]);
  });

  it('documents every CLI command', async () => {
    const commands = await cliCommands();
    expect(commands).toContain('tollgate users add');
    expect(commands).toContain('tollgate sessions revoke');
    // Named in full (`tollgate users add ...`), or as a sibling in the same row (`/ \`enable USERNAME\``).
    const lines = README.split('\n');
    const missing = commands.filter((c) => {
      const [, group, sub] = c.split(' ');
      return !lines.some(
        (l) =>
          l.includes(`\`${c}`) ||
          (sub !== undefined && l.includes(`\`tollgate ${group} `) && l.includes(`\`${sub} `)),
      );
    });
    expect(missing).toEqual([]);
  });
});
