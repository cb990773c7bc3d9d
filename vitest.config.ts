import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// `tollgate` and `tollgate/*` (the auth-proxy imports only these) mean the sources in tests,
// like tsconfig.json's `paths`: each package.json export `./dist/X.js` is `./X.ts`.
const pkg = JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8')) as {
  name: string;
  exports: Record<string, { default?: string } | string>;
};
const sourceAliases = Object.entries(pkg.exports).flatMap(([subpath, target]) => {
  const file = typeof target === 'string' ? undefined : target.default;
  if (!file?.startsWith('./dist/')) return [];
  const find = new RegExp(`^${pkg.name}${subpath.slice(1).replaceAll('/', '\\/')}$`);
  const replacement = new URL(file.slice('./dist/'.length).replace(/\.js$/, '.ts'), import.meta.url).pathname;
  return [{ find, replacement }];
});

export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    include: ['test/**/*.test.ts'],
    // A bound for hangs, not a speed check: on a loaded 2-core machine (CI with a CPU burner beside
    // it) tests that start several processes legitimately take tens of seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file starts its own redis-server/HTTP servers on free loopback ports; two workers fit 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
