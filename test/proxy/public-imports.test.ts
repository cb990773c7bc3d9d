// The auth-proxy is shipped as `tollgate-proxy` / `tollgate/proxy`: it may import its own files,
// node: built-ins, tollgate's public exports and the package's runtime dependencies. A deep
// `../../src/...` import would work in the repository and break in an installed copy, and so
// would a devDependency (openid-client once was one).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = 'examples/auth-proxy';
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
  dependencies: Record<string, string>;
  files: string[];
  bin: Record<string, string>;
};

/** Every module specifier of static imports, re-exports and dynamic imports. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g)) {
    found.push(m[1] as string);
  }
  for (const m of source.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1] as string);
  for (const m of source.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) found.push(m[1] as string);
  return found;
}

/** Why a specifier is not allowed in the shipped proxy, or undefined when it is. */
function refusal(specifier: string): string | undefined {
  if (/^\.\/[^/]+\.ts$/.test(specifier)) return undefined;
  if (specifier.startsWith('.')) return 'reaches outside examples/auth-proxy (use a public export)';
  if (specifier.startsWith('node:')) return undefined;
  if (specifier === pkg.name || specifier.startsWith(`${pkg.name}/`)) {
    return `.${specifier.slice(pkg.name.length)}` in pkg.exports ? undefined : 'not a package export';
  }
  const name = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : specifier.split('/')[0];
  return name && name in pkg.dependencies ? undefined : 'not a runtime dependency';
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));

describe('the shipped auth-proxy imports public exports and runtime dependencies only', () => {
  it('finds the imports it checks', () => {
    const all = files.flatMap((f) => specifiers(readFileSync(join(DIR, f), 'utf8')));
    expect(all).toContain('tollgate');
    expect(all).toContain('openid-client');
    expect(all.length).toBeGreaterThan(40);
  });

  it.each(files)('%s', (file) => {
    const bad = specifiers(readFileSync(join(DIR, file), 'utf8'))
      .map((s) => [s, refusal(s)])
      .filter(([, why]) => why !== undefined);
    expect(bad).toEqual([]);
  });

  it('refuses the deep imports the proxy used to have', () => {
    expect(refusal('../../src/log.ts')).toMatch(/outside/);
    expect(refusal('../../adapters/redis-kv.ts')).toMatch(/outside/);
    expect(refusal('tollgate/src/log.ts')).toMatch(/export/);
    expect(refusal('ws')).toMatch(/runtime dependency/);
    expect(refusal('tollgate/adapters/redis-client')).toBeUndefined();
  });

  it('ships the bin, the tollgate/proxy export and the sample configuration', () => {
    expect(pkg.bin['tollgate-proxy']).toBe('./bin/tollgate-proxy.js');
    expect(pkg.exports['./proxy']).toEqual({
      types: './dist/examples/auth-proxy/index.d.ts',
      default: './dist/examples/auth-proxy/index.js',
    });
    const build = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { include: string[] };
    expect(build.include).toContain(DIR);
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'bin', `${DIR}/proxy.yaml`]));
  });
});
