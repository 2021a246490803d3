/**
 * How fast the machine is at the moment of a benchmark: the CPU time of a
 * fixed reference loop in a fresh node process. The 2-core machine is
 * shared, and the same code's client CPU a domain has measured 0.89 ms in
 * one hour and 1.5 ms in another; the loop, taken before and after the
 * runs, says which kind of hour a section of BENCHMARKS.md was made in.
 *
 * The loop does what the audit's CPU mostly goes to: JSON of a report-sized
 * object (about 7.7 KB) written and read back 20,000 times, the copies kept
 * in a Map of 5,000 (so that the collector has survivors to copy).
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

/** The reference loop's CPU time in ms, the median of `times` fresh processes. */
export function measureMachineSpeed(times = 3): number {
  const all: number[] = [];
  for (let i = 0; i < times; i++) all.push(Number(execFileSync(process.execPath, ['-e', LOOP], { encoding: 'utf8', timeout: 60_000 })));
  all.sort((a, b) => a - b);
  return all[Math.floor((all.length - 1) / 2)] as number;
}
