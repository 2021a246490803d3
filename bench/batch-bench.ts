/**
 * npm run bench: the batch audit over N synthetic tenant domains served by
 * the loopback DNS server with a fixed added latency, measured against the
 * lower bound (unique queries x latency / concurrency), and mailauth's SPF
 * check over the same domains and server, side by side with ours.
 *
 * Then the dead-resolver figures: one domain and 256 domains against a UDP
 * port that reads every query and never answers (--no-dead skips them);
 * `diff` of two 10,000-domain jsonl runs (bench/diff-bench.ts; --no-diff
 * skips it); the HTML report of a 5,000-domain run, its size and the page
 * in headless Chromium (bench/html-bench.ts; --no-html skips it).
 *
 * Beside them (--no-extra skips): the client's CPU time per domain at 0 ms
 * latency, a CPU profile of the 10,000-domain run summarised by area (top
 * self-time functions written to bench/out/), and --concurrency 1024 against
 * a resolver that falls behind (at most MAX_PENDING answers waiting; the
 * rest dropped), whose grades must equal the run at 256.
 *
 * The table's runs up to 10,000 domains and the 0 ms runs are repeated
 * (--repeat, 5) and the median by time kept; the others run once. The
 * loopback server runs 19 steps of niceness below the audit (--server-nice
 * N; 0 for the same priority): see SERVER_NICE. Each section opens with the
 * machine's speed before and after the runs (bench/machine-speed.ts).
 *
 *   npm run bench -- --sizes 2000,10000,100000 --latency 20 --concurrency 256
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createReadStream, readdirSync, readFileSync, writeFileSync, mkdtempSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { cpus, getPriority, setPriority, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticDomain } from './synthetic.js';
import { compareSpf, type SpfComparison } from './spf-compare.js';
import { measureStartup, renderStartup } from './startup-bench.js';
import { summariseProfile } from './profile-summary.js';
import { measureDiff, renderDiff } from './diff-bench.js';
import { measureHtml, renderHtmlBench } from './html-bench.js';
import { measureMachineSpeed } from './machine-speed.js';
import { DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../src/dns/client.js';
import { DEFAULT_CONCURRENCY } from '../src/audit/batch.js';

interface Args { sizes: number[]; latency: number; concurrency: number; repeat: number; serverNice: number; write: boolean; mailauth: boolean; dead: boolean; extra: boolean; diff: boolean; html: boolean }

/**
 * How many steps of niceness the loopback server runs below the audit
 * (--server-nice N, 0..19; 0 for the same priority, as every section before
 * this option). The server stands in for a resolver on another machine, but
 * here it shares the audit's two cores: at the same priority its 3.9-5.0 s
 * of CPU in a 10,000-domain run at 20 ms kept the audit's main thread
 * waiting for a core 1.0-1.8 s (/proc/PID/task/TID/schedstat, run delay);
 * at nice 19, 0.4-1.0 s. Nice 19 is a small share of a busy core, not only
 * idle time: the server still competes, and answers later rather than
 * sooner when it gets too little (the measured latency can only grow).
 */
const SERVER_NICE = 19;

function parseArgs(argv: string[]): Args {
  const a: Args = { sizes: [2000, 10000, 100000], latency: 20, concurrency: 256, repeat: 5, serverNice: SERVER_NICE, write: true, mailauth: true, dead: true, extra: true, diff: true, html: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1] ?? '';
    if (k === '--sizes') {
      a.sizes = v.split(',').map(Number);
      i++;
    } else if (k === '--latency') {
      a.latency = Number(v);
      i++;
    } else if (k === '--concurrency') {
      a.concurrency = Number(v);
      i++;
    } else if (k === '--repeat') {
      a.repeat = Math.max(1, Number(v) || 1);
      i++;
    } else if (k === '--server-nice') {
      const nice = Number(v);
      if (!Number.isInteger(nice) || nice < 0 || nice > 19) {
        process.stderr.write(`bench: --server-nice takes a whole number from 0 to 19, not ${JSON.stringify(v)}\n`);
        process.exit(2);
      }
      a.serverNice = nice;
      i++;
    } else if (k === '--no-write') a.write = false;
    else if (k === '--no-mailauth') a.mailauth = false;
    else if (k === '--no-dead') a.dead = false;
    else if (k === '--no-extra') a.extra = false;
    else if (k === '--no-diff') a.diff = false;
    else if (k === '--no-html') a.html = false;
  }
  return a;
}

const root = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const childScript = join(root, 'dist/bench/dns-server-child.js');

interface ServerStats { udpQueries: number; tcpQueries: number; truncated: number; unique: number; dropped?: number; cpuMs?: number }

function ask<T>(child: ChildProcess, msg: object, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>): void => {
      if (key in m) {
        child.off('message', on);
        resolve(m[key] as T);
      }
    };
    child.on('message', on);
    child.send(msg);
  });
}

interface BatchRun {
  n: number;
  latency: number;
  concurrency: number;
  /** The loopback server's niceness as applied (appliedNice), null when unknown. */
  serverNice: number | null;
  /** The audit process's own CPU per domain (its --stats line: process.cpuUsage over the run). */
  cpuMsPerDomain: number;
  /** domain grade, one a line, in input order. */
  grades: string;
  unknown: number;
  seconds: number;
  /** Every repeat's time and client CPU when the run was repeated (this one is the median by time). */
  repeats: { seconds: number; cpuMsPerDomain: number }[];
  domainsPerSec: number;
  server: ServerStats;
  ratio: number;
  lowerBoundSec: number;
  peakRssMiB: number;
  clientLine: string;
  spf: SpfComparison | null;
  /** The run's jsonl output and its folder (the diff benchmark reads it). */
  out: string;
  dir: string;
}

interface RunOptions {
  latency: number;
  /** Steps of niceness the loopback server runs below the audit (SERVER_NICE). */
  serverNice: number;
  concurrency: number;
  mailauth: boolean;
  /** The server falls behind: at most this many answers waiting. */
  maxPending?: number;
  /** Write a CPU profile of the audit process here. */
  profileDir?: string;
}

async function runSize(n: number, o: RunOptions): Promise<BatchRun> {
  const child = fork(childScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  lowerPriority(child, o.serverNice);
  const server = await ask<string>(child, { n, latencyMs: o.latency, ...(o.maxPending !== undefined ? { maxPending: o.maxPending } : {}) }, 'server');
  const serverNice = child.pid === undefined ? null : appliedNice(child.pid);
  const dir = mkdtempSync(join(tmpdir(), 'm365audit-bench-'));
  const list = join(dir, 'domains.txt');
  writeFileSync(list, Array.from({ length: n }, (_, i) => syntheticDomain(i)).join('\n'));
  await ask(child, { reset: true }, 'reset');
  const t0 = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const prof = o.profileDir ? ['--cpu-prof', '--cpu-prof-dir', o.profileDir] : [];
    const p = spawn(process.execPath, [...prof, cli, 'batch', list, '--dns-server', server, '--format', 'jsonl', '--output', join(dir, 'out.jsonl'),
      '--concurrency', String(o.concurrency), '--no-probe', '--stats', '--timeout', '2000', '--retries', '2', '--fail-on', 'never'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`batch exited ${code}: ${stderr}`);
  // Read a line at a time: 100,000 rows are most of a gigabyte.
  const graded: string[] = [];
  for await (const l of createInterface({ input: createReadStream(join(dir, 'out.jsonl')), crlfDelay: Infinity })) {
    if (l === '') continue;
    const r = JSON.parse(l) as { domain: string; grade: string };
    graded.push(`${r.domain} ${r.grade}`);
  }
  if (graded.length !== n) throw new Error(`batch wrote ${graded.length} rows for ${n} domains`);
  // The 10,000-domain output stays for the diff benchmark; a larger one is most of a gigabyte.
  if (n > 10_000) rmSync(dir, { recursive: true, force: true });
  const stats = await ask<ServerStats>(child, { stats: true }, 'stats');
  const rss = /peak RSS (\d+) MiB/.exec(stderr);
  let spf: SpfComparison | null = null;
  if (o.mailauth) {
    const domains = Array.from({ length: n }, (_, i) => syntheticDomain(i));
    spf = await compareSpf(domains, server, o.concurrency, async () => {
      await ask(child, { reset: true }, 'reset');
    }, async () => ask<ServerStats>(child, { stats: true }, 'stats'));
  }
  child.disconnect();
  const cpu = /CPU ([\d.]+) ms a domain/.exec(stderr);
  return {
    n,
    latency: o.latency,
    concurrency: o.concurrency,
    cpuMsPerDomain: cpu ? Number(cpu[1]) : NaN,
    grades: graded.join('\n'),
    unknown: graded.filter((g) => g.endsWith(' unknown')).length,
    seconds,
    repeats: [{ seconds, cpuMsPerDomain: cpu ? Number(cpu[1]) : NaN }],
    domainsPerSec: n / seconds,
    server: stats,
    ratio: stats.udpQueries / stats.unique,
    lowerBoundSec: (stats.unique * o.latency) / 1000 / o.concurrency,
    serverNice,
    peakRssMiB: rss ? Number(rss[1]) : NaN,
    clientLine: stderr.trim().split('\n').find((l) => l.includes('stats:')) ?? '',
    spf,
    out: join(dir, 'out.jsonl'),
    dir,
  };
}

let priorityRefused = false;
/** The server process `steps` of niceness below this one (at most 19); a system that refuses says so once on stderr. What was applied is read back (appliedNice). */
function lowerPriority(child: ChildProcess, steps: number): void {
  if (child.pid === undefined || steps === 0) return;
  try {
    setPriority(child.pid, Math.min(19, getPriority() + steps));
  } catch (err) {
    if (!priorityRefused) process.stderr.write(`bench: the server stays at the audit's priority: ${(err as Error).message}\n`);
    priorityRefused = true;
  }
}

/**
 * The server's niceness as applied, once it is listening: the least of its
 * threads' (Linux, /proc/PID/task/TID/stat field 19; setpriority on a pid
 * renices its main thread, and threads made before that keep their own),
 * else its main thread's; null when neither can be read.
 */
function appliedNice(pid: number): number | null {
  try {
    let least = Infinity;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      // Fields after the command's closing parenthesis start at field 3 (state); nice is field 19.
      least = Math.min(least, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    }
    if (Number.isInteger(least)) return least;
  } catch {
    // Not Linux: the main thread's.
  }
  try {
    return getPriority(pid);
  } catch {
    return null;
  }
}

/**
 * The run `times` times, the median by time kept (with every repeat's time
 * and CPU): on a shared 2-core machine one run of 10,000 domains varies by
 * ±10 %, about the margin of the targets. Only the kept run's output stays.
 */
async function runMedian(n: number, o: RunOptions, times: number): Promise<BatchRun> {
  const all: BatchRun[] = [];
  for (let i = 0; i < times; i++) all.push(await runSize(n, { ...o, mailauth: o.mailauth && i === 0 }));
  const sorted = [...all].sort((x, y) => x.seconds - y.seconds);
  const kept = sorted[Math.floor((sorted.length - 1) / 2)] as BatchRun;
  for (const r of all) if (r !== kept && r.n <= 10_000) rmSync(r.dir, { recursive: true, force: true });
  return { ...kept, spf: all[0]?.spf ?? null, repeats: all.map((r) => ({ seconds: r.seconds, cpuMsPerDomain: r.cpuMsPerDomain })) };
}

/** `10.1 (9.6-10.4)`: the median and the range of the repeats, or the one value. */
function spread(value: number, all: readonly number[], digits: number): string {
  if (all.length < 2) return value.toFixed(digits);
  return `${value.toFixed(digits)} (${Math.min(...all).toFixed(digits)}-${Math.max(...all).toFixed(digits)})`;
}

interface DeadRun {
  what: string;
  seconds: number;
  target: string;
  met: boolean;
  code: number | null;
  rows: number;
  queries: number;
  stderr: string;
}

/** `check` of one domain and `batch` of 256 against a bound UDP socket that reads and drops every query; default timeout and retries. */
async function runDead(): Promise<DeadRun[]> {
  const socket = createSocket('udp4');
  let queries = 0;
  socket.on('message', () => void queries++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const server = `127.0.0.1:${socket.address().port}`;
  const dir = mkdtempSync(join(tmpdir(), 'm365audit-bench-dead-'));
  const list = join(dir, 'domains.txt');
  writeFileSync(list, Array.from({ length: 256 }, (_, i) => syntheticDomain(i)).join('\n'));
  const deadline = DEFAULT_TIMEOUT_MS * (DEFAULT_RETRIES + 1) / 1000;
  const run = async (args: string[]): Promise<{ seconds: number; code: number | null; stdout: string; stderr: string; queries: number }> => {
    queries = 0;
    const t0 = performance.now();
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [cli, ...args, '--dns-server', server, '--no-probe'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      p.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    return { ...r, seconds: (performance.now() - t0) / 1000, queries };
  };
  const one = await run(['check', syntheticDomain(0), '--format', 'json']);
  const many = await run(['batch', list, '--format', 'jsonl']);
  socket.close();
  return [
    { what: '`check`, 1 domain', seconds: one.seconds, target: `≤ ${deadline} (timeout × (retries + 1))`, met: one.seconds <= deadline, code: one.code,
      rows: (JSON.parse(one.stdout) as { domains: unknown[] }).domains.length, queries: one.queries, stderr: one.stderr.trim() },
    { what: `\`batch\`, 256 domains (--concurrency ${DEFAULT_CONCURRENCY})`, seconds: many.seconds, target: '< 15', met: many.seconds < 15, code: many.code,
      rows: many.stdout.trim().split('\n').filter(Boolean).length, queries: many.queries, stderr: many.stderr.trim() },
  ];
}

function renderDead(runs: DeadRun[]): string {
  return [
    `Dead resolver: a loopback UDP port that reads every query and never answers; --timeout ${DEFAULT_TIMEOUT_MS} --retries ${DEFAULT_RETRIES} (the defaults), --no-probe. Wall time of the whole command.`,
    '',
    '| run | time (s) | target (s) | met | exit | rows written | queries received | stderr |',
    '|---|---:|---|---|---:|---:|---:|---|',
    ...runs.map((r) => `| ${r.what} | ${r.seconds.toFixed(1)} | ${r.target} | ${r.met ? 'yes' : 'NO'} | ${r.code} | ${r.rows} | ${r.queries} | ${r.stderr ? `\`${r.stderr}\`` : ''} |`),
    '',
  ].join('\n');
}

/** `1057 ms`, or `?` when the reading failed. */
function ms(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(0)} ms` : '?';
}

/** The server's priority as applied in the runs (the niceness read back from each), against the audit's. */
function serverPriority(runs: readonly BatchRun[]): string {
  const own = getPriority();
  const applied = [...new Set(runs.map((r) => r.serverNice))];
  const shown = applied.map((x) => (x === null ? 'unknown' : String(x))).join(', ');
  if (applied.length === 1 && applied[0] === own) return `The server at the audit's priority (nice ${own}), as in every section without this sentence.`;
  return `The server at nice ${shown}, the audit at ${own} (--server-nice; 0: the same priority, as in every section without this sentence): a resolver elsewhere takes none of the audit's cores; here it still takes a small share of a busy one, and its CPU a query is higher than at the same priority.`;
}

function render(runs: BatchRun[], args: Args, speed: { before: number; after: number }): string {
  const lines = [
    `## ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    '',
    `Machine speed (bench/machine-speed.ts: the CPU time of a fixed loop of JSON and allocation in a fresh node, the median of ${MACHINE_SPEED_RUNS}; lower is faster; a reading of the hour, not yet shown to track the audit's figures): ${ms(speed.before)} before the batch runs, ${ms(speed.after)} after them.`,
    '',
    `Batch audit, loopback DNS server with ${args.latency} ms added to every answer, --concurrency ${args.concurrency}, --timeout 2000 --retries 2, jsonl to a file. Up to 10,000 domains: the median of ${args.repeat} runs by time, the range of all in brackets (time and client CPU). Server CPU: the loopback server's own, in its process. ${serverPriority(runs)}`,
    '',
    '| domains | time (s) | domains/s | ms a domain (lower bound) | client CPU (ms a domain) | server CPU (µs a query) | UDP queries | unique (name, type) | UDP / unique | TCP (after truncation) | lower bound (s) | peak RSS (MiB) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.map((r) => `| ${r.n} | ${spread(r.seconds, r.repeats.map((x) => x.seconds), 1)} | ${r.domainsPerSec.toFixed(0)} | ${((r.seconds * 1000) / r.n).toFixed(2)} (${((r.lowerBoundSec * 1000) / r.n).toFixed(2)}) | ${spread(r.cpuMsPerDomain, r.repeats.map((x) => x.cpuMsPerDomain), 2)} | ${r.server.cpuMs !== undefined ? ((r.server.cpuMs * 1000) / Math.max(1, r.server.udpQueries + r.server.tcpQueries)).toFixed(0) : '?'} | ${r.server.udpQueries} | ${r.server.unique} | ${r.ratio.toFixed(3)} | ${r.server.tcpQueries} | ${r.lowerBoundSec.toFixed(1)} | ${r.peakRssMiB} |`),
    '',
  ];
  const spfRuns = runs.filter((r) => r.spf);
  if (spfRuns.length > 0) {
    lines.push('SPF check of every domain for a Microsoft 365 address, same server and concurrency: mailauth 4 (`spf()`, no shared cache) against ours (check_host over one DnsClient).', '',
      '| domains | tool | time (s) | domains/s | UDP queries | results |', '|---:|---|---:|---:|---:|---|');
    for (const r of spfRuns) {
      for (const t of r.spf?.tools ?? []) lines.push(`| ${r.n} | ${t.name} | ${t.seconds.toFixed(2)} | ${(r.n / t.seconds).toFixed(0)} | ${t.udpQueries} | ${t.results} |`);
      lines.push(`| ${r.n} | m365audit batch, the whole audit (every area) | ${r.seconds.toFixed(2)} | ${r.domainsPerSec.toFixed(0)} | ${r.server.udpQueries} | ${((r.seconds * 1000) / r.n).toFixed(2)} ms a domain; lower bound ${((r.lowerBoundSec * 1000) / r.n).toFixed(2)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Readings of the machine-speed loop, the median kept. */
const MACHINE_SPEED_RUNS = 3;
/** The resolver that falls behind: at most this many answers waiting (about 50,000 a second at 20 ms). */
const MAX_PENDING = 1000;
const OUT = join(root, 'bench/out');

const args = parseArgs(process.argv.slice(2));
const runs: BatchRun[] = [];
const profileDir = join(OUT, 'profile');
const before = measureMachineSpeed(MACHINE_SPEED_RUNS);
for (const n of args.sizes) {
  process.stderr.write(`bench: ${n} domains …\n`);
  runs.push(await runMedian(n, { latency: args.latency, concurrency: args.concurrency, serverNice: args.serverNice, mailauth: args.mailauth && n <= 10_000 }, n <= 10_000 ? args.repeat : 1));
}
let text = render(runs, args, { before, after: measureMachineSpeed(MACHINE_SPEED_RUNS) });
if (args.extra) {
  process.stderr.write('bench: CPU at 0 ms, profile, a resolver that falls behind …\n');
  text += `\n${await renderExtra(args)}`;
}
if (args.dead) {
  process.stderr.write('bench: dead resolver …\n');
  text += `\n${renderDead(await runDead())}`;
}
if (args.diff) {
  // Two 10,000-domain runs: the batch run of 10,000 above, or one made for it (no latency, no SPF comparison).
  const base = runs.find((r) => r.n === 10000) ?? (await runSize(10000, { ...args, latency: 0, mailauth: false }));
  process.stderr.write('bench: diff of two 10,000-domain runs …\n');
  text += `\n${renderDiff(await measureDiff(cli, base.out, base.dir))}`;
}
if (args.html) {
  // The client's report of 5,000 domains (issue 18: at most 5 MB, interactive within 3 s): a run made for it, no latency.
  const run = await runSize(5000, { ...args, latency: 0, mailauth: false });
  process.stderr.write('bench: the HTML report of 5,000 domains …\n');
  text += `\n${renderHtmlBench(await measureHtml(cli, run.out, run.dir, run.n))}`;
}
process.stderr.write('bench: startup …\n');
text += `\n${renderStartup(await measureStartup())}`;
process.stdout.write(`${text}\n`);
for (const r of runs) process.stdout.write(`${r.n}: ${r.clientLine}\n`);
if (args.write) {
  const file = join(root, 'BENCHMARKS.md');
  const head = '# Benchmarks\n\nMade by `npm run bench` (bench/batch-bench.ts); newest first. The targets (DESIGN.md): 10,000 domains at 20 ms with --concurrency 256 in under 10 s; client CPU under 1 ms a domain at 0 ms; UDP queries at most 1.05x the unique (name, type) queries; peak RSS under 150 MiB and flat in N; `--version` within 100 ms of bare node; one `check` on loopback under 400 ms; one domain against a dead resolver within timeout x (retries+1).\n\n';
  const old = existsSync(file) ? readFileSync(file, 'utf8').replace(head, '') : '';
  writeFileSync(file, `${head}${text}\n${old}`);
  process.stderr.write(`bench: results added to ${file}\n`);
}

/** The client's CPU per domain at 0 ms, the profile of the 10,000-domain run, and --concurrency 1024 against a resolver that falls behind. */
async function renderExtra(a: Args): Promise<string> {
  const lines: string[] = [];
  const zero = await runMedian(10_000, { latency: 0, concurrency: a.concurrency, serverNice: a.serverNice, mailauth: false }, a.repeat);
  const speed = measureMachineSpeed(MACHINE_SPEED_RUNS);
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  const profiled = await runSize(10_000, { latency: a.latency, concurrency: a.concurrency, serverNice: a.serverNice, mailauth: false, profileDir });
  lines.push(`Client CPU (the audit process's own process.cpuUsage over the run, from its --stats line; the DNS server runs in another process): ${zero.cpuMsPerDomain.toFixed(3)} ms a domain at 0 ms latency (10,000 domains, ${zero.seconds.toFixed(1)} s; the median of ${zero.repeats.length} runs: ${zero.repeats.map((x) => x.cpuMsPerDomain.toFixed(3)).join(', ')}), ${profiled.cpuMsPerDomain.toFixed(3)} ms at ${a.latency} ms (with the profiler on). Machine speed after the runs at 0 ms: ${ms(speed)} (the reference loop above).`, '');
  const summary = summariseProfile(profileDir);
  writeFileSync(join(OUT, 'profile-10000.txt'), summary.text);
  lines.push(`CPU profile of the 10,000-domain run at ${a.latency} ms (node --cpu-prof; self time by area, of ${(summary.totalMs / 1000).toFixed(1)} s sampled; top functions in bench/out/profile-10000.txt):`, '',
    '| area | self time (s) | share |', '|---|---:|---:|',
    ...summary.areas.map((x) => `| ${x.area} | ${(x.ms / 1000).toFixed(2)} | ${((100 * x.ms) / summary.totalMs).toFixed(1)} % |`), '',
    'Top 10 self-time functions:', '', '| function | self time (ms) |', '|---|---:|',
    ...summary.top.slice(0, 10).map((f) => `| \`${f.name}\` | ${f.ms.toFixed(0)} |`), '');
  const base = runs.find((r) => r.n === 2000) ?? await runSize(2000, { latency: a.latency, concurrency: a.concurrency, serverNice: a.serverNice, mailauth: false });
  const wide = await runSize(2000, { latency: a.latency, concurrency: 1024, serverNice: a.serverNice, mailauth: false, maxPending: MAX_PENDING });
  lines.push(`A resolver that falls behind: 2,000 domains at ${a.latency} ms with --concurrency 1024, the server holding at most ${MAX_PENDING} answers waiting (the rest dropped, as by a full receive queue; a server below the audit's priority may also leave queries in its socket's 4 MiB receive queue, which the kernel drops when it is full, uncounted here).`, '',
    '| run | time (s) | unknown | grades as at 256 | UDP / unique | dropped by the server | client line |', '|---|---:|---:|---|---:|---:|---|',
    `| --concurrency 1024 | ${wide.seconds.toFixed(1)} | ${wide.unknown} | ${wide.grades === base.grades ? 'yes' : 'NO'} | ${wide.ratio.toFixed(3)} | ${wide.server.dropped ?? 0} | \`${wide.clientLine.replace(/^stats: /, '')}\` |`, '');
  return lines.join('\n');
}
