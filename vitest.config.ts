import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    // No test leaves loopback, in the worker or in the CLI processes it starts.
    setupFiles: ['test/support/loopback-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
