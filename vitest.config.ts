import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Most tests wait on sockets and timers, not the CPU: vitest's default (CPUs - 1 = one worker on
    // this 2-core machine) left a core idle and took 106 s; four workers take 48 s (measured).
    maxWorkers: 4,
    globalSetup: ['test/support/global-setup.ts'],
    // No test leaves loopback, in the worker or in the CLI processes it starts.
    setupFiles: ['test/support/loopback-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
