import { defineConfig } from 'vitest/config';

export default defineConfig({
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
