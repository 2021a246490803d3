/**
 * A reading of how fast the machine is at the moment of a benchmark: the
 * CPU time of a fixed loop in a fresh node process. The 2-core machine is
 * shared: the same code's client CPU a domain measured 0.89 ms in one hour
 * and 1.5 ms in another (2026-12-01). Whether this loop tracks the audit's
 * figures is not yet shown (within one bench it has drifted by 15 %); it is
 * read before and after the runs so that sections can be compared once it
 * has been.
 *
 * The loop is JSON and allocation, not the audit's profile: a report-sized
 * object (about 7.7 KB of JSON) written and read back 20,000 times, the
 * copies kept in a Map of 5,000 (so that the collector has survivors to
 * copy).
 */
import { execFileSync } from 'node:child_process';

const LOOP = [
  'const t0 = process.cpuUsage();',
  "const doc = { domain: 'tenant1.bench.test', grade: 'ready', findings: Array.from({ length: 40 }, (_, i) => ({ code: `SPF_${i}`, severity: 'info', message: `${'x'.repeat(80)}${i}`, evidence: 'v=spf1 include:spf.protection.outlook.com -all' })) };",
  'let n = 0;',
  'const m = new Map();',
  'for (let i = 0; i < 20000; i++) { const s = JSON.stringify(doc); n += s.length; m.set(`k${i % 5000}`, JSON.parse(s)); }',
  'const c = process.cpuUsage(t0);',
  'if (n !== 153600000) throw new Error(`reference loop wrote ${n} characters`);',
  'process.stdout.write(String((c.user + c.system) / 1000));',
].join('\n');

/**
 * The loop's CPU time in ms, the median of `times` fresh processes; NaN when
 * a reading fails (a timeout, a wrong count), so that the bench still writes
 * its figures.
 */
export function measureMachineSpeed(times: number): number {
  const all: number[] = [];
  for (let i = 0; i < times; i++) {
    try {
      all.push(Number(execFileSync(process.execPath, ['-e', LOOP], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] })));
    } catch (err) {
      process.stderr.write(`bench: the machine-speed loop failed: ${(err as Error).message.split('\n')[0]}\n`);
      return NaN;
    }
  }
  if (all.some((x) => !Number.isFinite(x))) return NaN;
  all.sort((a, b) => a - b);
  return all[Math.floor((all.length - 1) / 2)] as number;
}
