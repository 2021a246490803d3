import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * CLI tests run the built binary, as a user would; build once before the run
 * (incremental). Type errors do not stop the emit here: `npm test` runs the
 * strict typecheck as its own step.
 */
export default function setup(): () => void {
  // Where the loopback guard of each worker's CLI children reports (test/support/loopback-setup.ts); gone after the run.
  const guardDir = mkdtempSync(join(tmpdir(), 'm365audit-loopback-'));
  process.env.M365AUDIT_LOOPBACK_DIR = guardDir;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  try {
    execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`], { cwd: root, stdio: 'pipe' });
  } catch {
    // Emitted anyway; the typecheck step reports the errors.
  }
  return () => rmSync(guardDir, { recursive: true, force: true });
}
