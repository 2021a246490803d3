/**
 * vitest setupFiles: the loopback guard (test/support/loopback-guard.ts) in
 * every test worker and, through NODE_OPTIONS, in every node process a test
 * starts (the built CLI). A test that tried to leave loopback fails after it
 * ran, with what it tried, even when the code under test caught the error.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { installLoopbackGuard } from './loopback-guard.js';

const STATE = Symbol.for('m365audit.loopbackViolations');
const g = globalThis as { [STATE]?: string[] };
const violations = (g[STATE] ??= []);
installLoopbackGuard((message) => violations.push(message));

/** Built by the global setup (tsconfig.build.json includes test/support). */
const CHILD_GUARD = new URL('../../dist/test/support/loopback-guard-child.js', import.meta.url);
// One file per worker, in the run's directory (the global setup makes it and removes it after the run).
const LOG = join(process.env.M365AUDIT_LOOPBACK_DIR ?? tmpdir(), `worker-${process.pid}.log`);
if (!existsSync(LOG)) writeFileSync(LOG, '');
process.env.M365AUDIT_LOOPBACK_LOG = LOG;
// A file URL: NODE_OPTIONS splits at spaces, a URL has none.
const flag = `--import=${CHILD_GUARD.href}`;
if (!(process.env.NODE_OPTIONS ?? '').includes(flag)) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${flag}`.trim();

/** The violations seen so far, in this worker and its children; clears them (for the test that proves the guard). */
export function takeLoopbackViolations(): string[] {
  const children = existsSync(LOG) ? readFileSync(LOG, 'utf8').split('\n').filter(Boolean) : [];
  writeFileSync(LOG, '');
  return [...violations.splice(0), ...children];
}

afterEach(() => {
  const seen = takeLoopbackViolations();
  if (seen.length > 0) throw new Error(`left loopback:\n${seen.join('\n')}`);
});
