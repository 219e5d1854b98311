import { defineConfig } from 'vitest/config';

// Every run also writes a JSON report (path set per script with --outputFile.json) so .ci/run
// can print one "N passed, N failed" line over all suites.

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/cluster/**', 'test/stress/**', 'node_modules/**'],
          environment: 'node',
          testTimeout: 20_000,
          hookTimeout: 20_000,
          pool: 'forks',
        },
      },
      {
        // Long runs against the built CLI (slow readers, the long fuzz): npm run test:stress.
        test: {
          name: 'stress',
          include: ['test/stress/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 60_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        // Real redis-server processes and several server processes: `npm run test:cluster`.
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/unit.json' },
  },
});
