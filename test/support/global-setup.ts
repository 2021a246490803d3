import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * CLI tests run the built binary, as a user would; build once before the run
 * (incremental). Type errors do not stop the emit here: `npm test` runs the
 * strict typecheck as its own step.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  try {
    execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`], { cwd: root, stdio: 'pipe' });
  } catch {
    // Emitted anyway; the typecheck step reports the errors.
  }
}
