/**
 * npm run bench (startup section): how long the CLI takes before it does
 * anything, beside bare node. Median of 10 spawned runs each:
 *   - `node -e 0` (the floor),
 *   - `m365audit --version` (target: within 100 ms of the floor),
 *   - `m365audit check <domain>` against a loopback DNS server, one domain,
 *     no probe (target: under 400 ms wall).
 *
 *   node dist/bench/startup-bench.js [--runs 10]
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDnsServer } from '../src/sandbox/dns-server.js';
import { ZoneStore } from '../src/sandbox/zone-store.js';

const root = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));
const cli = `${root}dist/src/cli/main.js`;

export interface StartupFigures {
  runs: number;
  bareNodeMs: number;
  versionMs: number;
  checkMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function timeRuns(args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().split('\n')[0]}`);
  }
  return median(times);
}

export async function measureStartup(runs = 10): Promise<StartupFigures> {
  const zones = new ZoneStore().loadDir(`${root}fixtures/infra`).loadDir(`${root}fixtures/demo`);
  const dns = await startDnsServer({ zones });
  try {
    // `check` asks the DNS server in this process, so it runs asynchronously (spawnSync would block the server).
    const bareNodeMs = timeRuns(['-e', '0'], runs);
    const versionMs = timeRuns([cli, '--version'], runs);
    const checkTimes: number[] = [];
    for (let i = 0; i < runs; i++) checkTimes.push(await timeAsync([cli, 'check', 'contoso.example', '--dns-server', dns.server, '--no-probe', '--format', 'json']));
    return { runs, bareNodeMs, versionMs, checkMs: median(checkTimes) };
  } finally {
    await dns.close();
  }
}

async function timeAsync(args: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, NO_COLOR: '1' } });
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0 && code !== 1) throw new Error(`${args.join(' ')} exited ${code}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function renderStartup(f: StartupFigures): string {
  const row = (what: string, ms: number, target: string, ok: boolean): string => `| ${what} | ${ms.toFixed(0)} ms | ${target} | ${ok ? 'yes' : 'NO'} |`;
  return [
    `Startup (median of ${f.runs} runs)`,
    '',
    '| run | wall | target | met |',
    '|---|---:|---|---|',
    row('`node -e 0`', f.bareNodeMs, '(the floor)', true),
    row('`m365audit --version`', f.versionMs, `within 100 ms of node (+${(f.versionMs - f.bareNodeMs).toFixed(0)} ms)`, f.versionMs - f.bareNodeMs <= 100),
    row('`m365audit check` one domain, loopback DNS', f.checkMs, 'under 400 ms', f.checkMs < 400),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--runs');
  const runs = i > 0 ? Number(process.argv[i + 1]) : 10;
  process.stdout.write(`${renderStartup(await measureStartup(runs))}\n`);
}
