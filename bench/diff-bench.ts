/**
 * `m365audit diff` of two 10,000-domain jsonl runs, for `npm run bench`:
 * wall time and the diff process's peak RSS. OLD is a real batch run (the
 * batch benchmark's output); NEW is OLD edited as a week of migration work
 * would: a fix on every 10th domain (its first error or warning resolved,
 * the score up), a changed DMARC record on every 25th, every 97th domain
 * gone, and 1% new domains. Measured twice: NEW in OLD's order (the walk
 * side by side, memory flat) and NEW reversed (matched by domain: the
 * unmatched reports held).
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { join } from 'node:path';

/** One measured diff. */
export interface DiffRun {
  what: string;
  domains: { before: number; after: number };
  seconds: number;
  peakRssMiB: number;
  verdicts: Record<string, number>;
  order: string;
  held: number;
}

type Line = Record<string, unknown> & { domain: string | null; input: string; score: number | null; findings: { code: string; severity: string }[]; dmarc: { record?: string | null } | null };

/** Writes NEW from OLD (see the module comment); `reversed` writes its reports in the opposite order. */
async function writeNewRun(oldFile: string, newFile: string, reversed: boolean): Promise<void> {
  const lines: string[] = [];
  let i = 0;
  let tail: { probe: unknown; run: unknown } | null = null;
  for await (const text of createInterface({ input: createReadStream(oldFile), crlfDelay: Infinity })) {
    if (text.trim() === '') continue;
    const { probe, run, ...report } = JSON.parse(text) as Line & { probe?: unknown; run?: unknown };
    if (run !== undefined) tail = { probe, run };
    const n = i++;
    if (n % 97 === 5) continue;
    // The synthetic list repeats five kinds of tenant (bench/synthetic.ts); kind 3 has no DKIM, an error to fix.
    if (n % 10 === 3) {
      const at = report.findings.findIndex((f) => f.severity === 'warning' || f.severity === 'error');
      if (at >= 0) {
        const [fixed] = report.findings.splice(at, 1);
        // README "Score": 20 points an error, 5 a warning.
        if (typeof report.score === 'number') report.score = Math.min(100, report.score + (fixed?.severity === 'error' ? 20 : 5));
      }
    }
    if (n % 25 === 0 && report.dmarc) report.dmarc.record = 'v=DMARC1; p=reject; rua=mailto:dmarc@example.net';
    lines.push(JSON.stringify(report));
    if (n % 100 === 50 && report.domain) lines.push(JSON.stringify({ ...report, domain: `new-${report.domain}`, input: `new-${report.input}` }));
  }
  if (reversed) lines.reverse();
  const out = createWriteStream(newFile);
  for (const [k, l] of lines.entries()) {
    const text = k === lines.length - 1 && tail ? `${l.slice(0, -1)},"probe":${JSON.stringify(tail.probe)},"run":${JSON.stringify(tail.run)}}` : l;
    if (!out.write(`${text}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Runs the built CLI's diff of OLD and NEW to a file; peak RSS from the process itself (an --import hook at exit). */
async function timeDiff(cli: string, oldFile: string, newFile: string, outFile: string): Promise<{ seconds: number; peakRssMiB: number }> {
  const hook = 'data:text/javascript,process.on("exit",()=>process.stderr.write("bench-maxrss "+process.resourceUsage().maxRSS+"\\n"))';
  const t0 = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, ['--import', hook, cli, 'diff', oldFile, newFile, '--format', 'json', '--output', outFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`diff exited ${code}: ${stderr}`);
  const rss = /bench-maxrss (\d+)/.exec(stderr);
  return { seconds, peakRssMiB: rss ? Math.round(Number(rss[1]) / 1024) : NaN };
}

/** The diff benchmark over one batch run's jsonl (OLD): same order, then reversed. */
export async function measureDiff(cli: string, oldFile: string, dir: string): Promise<DiffRun[]> {
  const runs: DiffRun[] = [];
  for (const reversed of [false, true]) {
    const newFile = join(dir, reversed ? 'new-reversed.jsonl' : 'new.jsonl');
    await writeNewRun(oldFile, newFile, reversed);
    const outFile = join(dir, 'diff.json');
    const t = await timeDiff(cli, oldFile, newFile, outFile);
    const summary = await readSummary(outFile);
    runs.push({ what: reversed ? 'NEW reversed (matched by domain)' : 'same order (walked side by side)', domains: { before: summary.before, after: summary.after }, ...t, verdicts: summary.verdicts, order: summary.order, held: summary.held });
  }
  return runs;
}

async function readSummary(file: string): Promise<{ before: number; after: number; verdicts: Record<string, number>; order: string; held: number }> {
  // The summary comes before the domains: read the document's head only.
  let head = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 })) {
    head += chunk;
    if (head.includes('"domains": [')) break;
  }
  const json = `${head.slice(0, head.indexOf(',\n  "domains": ['))}\n}`;
  return (JSON.parse(json) as { summary: { before: number; after: number; verdicts: Record<string, number>; order: string; held: number } }).summary;
}

/** The figures as a Markdown section of the benchmark report. */
export function renderDiff(runs: DiffRun[]): string {
  return [
    '`m365audit diff OLD NEW --format json --output FILE` of two jsonl runs: OLD the batch run above, NEW the same edited (a fix on every 10th domain, a DMARC record changed on every 25th, every 97th domain removed, 1% added). Wall time of the whole command; peak RSS of the diff process.',
    '',
    '| NEW | domains before / after | time (s) | peak RSS (MiB) | regressed | improved | changed | unchanged | added | removed | reports held at most |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.map((r) => `| ${r.what} | ${r.domains.before} / ${r.domains.after} | ${r.seconds.toFixed(1)} | ${r.peakRssMiB} | ${r.verdicts.regressed ?? 0} | ${r.verdicts.improved ?? 0} | ${r.verdicts.changed ?? 0} | ${r.verdicts.unchanged ?? 0} | ${r.verdicts.added ?? 0} | ${r.verdicts.removed ?? 0} | ${r.held} |`),
    '',
  ].join('\n');
}
