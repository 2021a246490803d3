import { defineConfig } from 'vitest/config';

/**
 * Files that run in a process of their own: those that replace modules
 * (vi.mock), and one that reads the process's peak RSS (a worker shared with
 * earlier files has theirs in it).
 */
const ISOLATED = ['test/cli/batch-output.test.ts', 'test/dns/channel-failure.test.ts', 'test/hostile/hostile.test.ts'];

export default defineConfig({
  test: {
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
    projects: [
      {
        // A worker keeps its imported modules from one test file to the next: importing src/ again for
        // each of 145 files was 69 s of the suite's 126 s and most of its CPU on 2 cores (user 250 s);
        // without it 89 s and 144 s (2026-12-02). Tests keep no state in modules they share.
        extends: true,
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false },
      },
      { extends: true, test: { name: 'isolated', include: ISOLATED, isolate: true } },
    ],
  },
});
