/**
 * vitest setupFiles: the loopback guard (test/support/loopback-guard.ts) in
 * every test worker and, through NODE_OPTIONS, in every node process a test
 * starts (the built CLI). A test that tried to leave loopback fails after it
 * ran, with what it tried, even when the code under test caught the error.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach } from 'vitest';
import { installLoopbackGuard } from './loopback-guard.js';

const STATE = Symbol.for('m365audit.loopbackViolations');
const g = globalThis as { [STATE]?: string[] };
const violations = (g[STATE] ??= []);
installLoopbackGuard((message) => violations.push(message));

/** Built by the global setup (tsconfig.build.json includes test/support). */
const CHILD_GUARD = new URL('../../dist/test/support/loopback-guard-child.js', import.meta.url);
const LOG = join(tmpdir(), `m365audit-loopback-${process.pid}.log`);
if (!existsSync(LOG)) writeFileSync(LOG, '');
process.env.M365AUDIT_LOOPBACK_LOG = LOG;
const flag = `--import=${pathToFileURL(CHILD_GUARD.pathname).href}`;
if (!(process.env.NODE_OPTIONS ?? '').includes(flag)) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${flag}`.trim();

/** The violations seen so far, in this worker and its children; clears them (for the test that proves the guard). */
export function takeLoopbackViolations(): string[] {
  const children = readFileSync(LOG, 'utf8').split('\n').filter(Boolean);
  writeFileSync(LOG, '');
  return [...violations.splice(0), ...children];
}

afterEach(() => {
  const seen = takeLoopbackViolations();
  if (seen.length > 0) throw new Error(`left loopback:\n${seen.join('\n')}`);
});
