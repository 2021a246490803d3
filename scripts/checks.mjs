/* global process */
/**
 * `npm test`'s static checks (typecheck, lint, import layering) side by
 * side rather than one after another: each is a few seconds of one to two
 * cores, and together they took 27.7 s in turn against 23.1 s at once on the
 * 2-core machine (measured 2026-12-01). Each check's output is printed whole,
 * in this order, once all have ended; the exit code is non-zero when any
 * check failed, and says which.
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';

const CHECKS = ['typecheck', 'lint', 'layers'];

/** One `npm run -s NAME`: through the npm that runs this script when there is one (npm_execpath), else `npm` on the PATH. */
function run(name) {
  const npm = process.env.npm_execpath;
  const child = npm
    ? spawn(process.execPath, [npm, 'run', '-s', name], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('npm', ['run', '-s', name], { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
  const out = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => out.push(d));
  return new Promise((resolve) => {
    child.on('error', (err) => resolve({ name, code: 1, output: Buffer.from(`${err.message}\n`) }));
    child.on('close', (code) => resolve({ name, code: code ?? 1, output: Buffer.concat(out) }));
  });
}

const results = await Promise.all(CHECKS.map(run));
for (const r of results) process.stdout.write(r.output);
const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
if (failed.length > 0) {
  process.stderr.write(`checks failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
