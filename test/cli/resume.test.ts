import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { CLI, runInProcess } from '../support/cli.js';
import { blankTimes } from '../support/runs.js';
import { startFixtureServer } from '../support/fixtures.js';

/**
 * batch --resume after a real interruption: the built binary is killed with
 * SIGKILL (or SIGINT) at a row of our choosing, then resumed; the file must
 * be byte for byte what a run without interruption writes, apart from the
 * times (auditedAt, timing, the run's startedAt/finishedAt).
 *
 * The kill point is made exact, not timed: the row to stop at is a name the
 * sandbox does not answer (an injected timeout far beyond the test), so the
 * run writes every row before it (jsonl holds the last one back for the
 * trail: row - 1 lines) and can go no further; the test awaits that query at
 * the server and those lines in the file, then kills.
 */

const KILL_ROWS = [1, 2, 9, 17, 22];
const POOL = ['ready.test', 'mx-none.test', 'dmarc-none.test', 'not a domain', 'dkim-weak.test', 'mx-gateway.test', 'spf-invalid.test', 'dmarc-norua.test'];
const killName = (row: number): string => `kill-${row}.nonexistent.test`;
/** 30 rows; row 15 has a non-ASCII input (its line holds a two-byte UTF-8 sequence to cut inside). */
const ROWS = Array.from({ length: 30 }, (_, i) => (KILL_ROWS.includes(i) ? killName(i) : i === 15 ? 'bücher.example' : (POOL[i % POOL.length] as string)));

let dns: TestDnsServer;
let dir: string;
let list: string;
const children = new Set<ChildProcess>();
const file = (name: string): string => join(dir, name);
// One timeout for every run (the trail records it): far beyond the test for the row held, never reached by the rest.
const ARGS = ['--timeout', '60000', '--retries', '0', '--no-probe', '--concurrency', '4'];
const dnsArgs = (): string[] => ['--dns-server', dns.server, ...ARGS];

beforeAll(async () => {
  dns = await startFixtureServer();
  dir = mkdtempSync(join(tmpdir(), 'm365audit-resume-'));
  list = file('list.txt');
  // Comments and blank lines are not rows: the row index and the line number part ways.
  const lines = ROWS.flatMap((r, i) => (i === 4 ? ['# wave 3', '', r] : i === 11 ? ['', r] : [r]));
  writeFileSync(list, `${lines.join('\n')}\n`);
}, 30_000);
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await dns?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const normalize = blankTimes;

const lineCount = (path: string): number => (existsSync(path) ? readFileSync(path).reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0) : 0);

/** Resolves once `path` holds at least `n` whole lines: on each change in its folder (inotify), no polling. */
function linesIn(path: string, n: number): Promise<void> {
  if (n === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const watcher = watch(dirname(path), () => check());
    const check = (): void => {
      if (lineCount(path) < n) return;
      watcher.close();
      resolve();
    };
    check();
  });
}

/**
 * Runs the built binary on the list, held at `row` (its name never answered), and kills it with `signal`
 * once rows 0 … row-1 are done (row - 1 lines written; for a shard, `before` rows of it come first).
 * SIGINT lets the held row finish: its name is answered late instead of never.
 */
async function interruptAt(row: number, out: string, extra: string[], signal: 'SIGKILL' | 'SIGINT' = 'SIGKILL', before = row): Promise<number | null> {
  const name = killName(row);
  if (signal === 'SIGKILL') dns.setFault(name, 'timeout');
  else dns.setLatency(name, 1500);
  try {
    const asked = dns.nextQuery(new RegExp(`^${name.replace(/\./g, '\\.')} `));
    const child = spawn(process.execPath, [CLI, 'batch', list, ...dnsArgs(), ...extra, ...(extra.includes('--resume') ? [] : ['--format', 'jsonl', '--output', out])], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await asked;
    await linesIn(out, before - 1);
    child.kill(signal);
    const code = await exited;
    children.delete(child);
    return code;
  } finally {
    dns.setFault(name, null);
    dns.setLatency(name, null);
  }
}

/** The run without interruption, as every resumed run must end up. */
async function reference(name: string, extra: string[] = []): Promise<{ text: string; code: number | null }> {
  const r = await runInProcess(['batch', list, ...dnsArgs(), ...extra, '--format', 'jsonl', '--output', file(name)]);
  expect(r.stderr).toBe('');
  return { text: readFileSync(file(name), 'utf8'), code: r.code };
}

describe('batch --resume after an interruption', () => {
  let ref: { text: string; code: number | null };
  beforeAll(async () => {
    ref = await reference('ref.jsonl');
  }, 60_000);

  it('the reference run: one line per row (30), comments and blank lines skipped, each with its row index', () => {
    const rows = ref.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { row: number; input: string });
    expect(rows.map((r) => r.row)).toEqual(ROWS.map((_, i) => i));
    expect(rows.map((r) => r.input)).toEqual(ROWS);
    expect(ref.code).toBe(1);
  });

  it.each([
    [1, 'before any line was written (the file does not exist yet: a fresh run)'],
    [2, 'after one line'],
    [22, 'after 21 lines'],
  ])('SIGKILL at row %i, %s: resumed, byte for byte the uninterrupted run', async (row) => {
    const out = file(`kill-${row}.jsonl`);
    expect(await interruptAt(row, out, [])).toBeNull();
    expect(lineCount(out)).toBe(row - 1);
    expect(existsSync(out)).toBe(row > 1);
    const r = await runInProcess(['batch', list, ...dnsArgs(), '--resume', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(ref.code);
    expect(normalize(readFileSync(out, 'utf8'))).toBe(normalize(ref.text));
  }, 60_000);

  it('SIGKILL mid-line (inside a UTF-8 sequence): the cut line is dropped and its row audited again', async () => {
    const out = file('kill-midline.jsonl');
    await interruptAt(17, out, []);
    const bytes = readFileSync(out);
    expect(lineCount(out)).toBe(16);
    // The last whole line is row 15's (bücher.example): cut it after the first byte of "ü" (0xC3 0xBC).
    const lastStart = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
    const u = bytes.indexOf(Buffer.from('ü'), lastStart);
    expect(JSON.parse(bytes.subarray(lastStart).toString('utf8'))).toMatchObject({ row: 15, input: 'bücher.example' });
    truncateSync(out, u + 1);
    const r = await runInProcess(['batch', list, ...dnsArgs(), '--resume', out]);
    expect(r.stderr).toBe('');
    expect(normalize(readFileSync(out, 'utf8'))).toBe(normalize(ref.text));
  }, 60_000);

  it('killed twice: a resumed run killed in turn, and resumed again', async () => {
    const out = file('kill-twice.jsonl');
    await interruptAt(9, out, []);
    expect(lineCount(out)).toBe(8);
    await interruptAt(17, out, ['--resume', out]);
    expect(lineCount(out)).toBe(16);
    const r = await runInProcess(['batch', list, ...dnsArgs(), '--resume', out]);
    expect(r.code).toBe(ref.code);
    expect(normalize(readFileSync(out, 'utf8'))).toBe(normalize(ref.text));
  }, 60_000);

  it('SIGINT: the run wrote its trail (stopped: interrupted); resume takes it off that line and carries on', async () => {
    const out = file('sigint.jsonl');
    expect(await interruptAt(9, out, [], 'SIGINT')).toBe(130);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const last = JSON.parse(lines[lines.length - 1] as string) as { run?: { complete: boolean; stopped: string } };
    expect(last.run).toMatchObject({ complete: false, stopped: 'interrupted' });
    expect(lines.length).toBeLessThan(ROWS.length);
    // A trail carries the run's options: another --cloud is refused, and the file left as it was.
    const before = readFileSync(out);
    const other = await runInProcess(['batch', list, ...dnsArgs(), '--resume', out, '--cloud', 'gcc-high']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^m365audit: cannot resume .*sigint\.jsonl: it was written with no --cloud; resume with the same options\n$/);
    expect(readFileSync(out).equals(before)).toBe(true);
    const r = await runInProcess(['batch', list, ...dnsArgs(), '--resume', out]);
    expect(r.stderr).toBe('');
    expect(normalize(readFileSync(out, 'utf8'))).toBe(normalize(ref.text));
  }, 60_000);

  it('a shard resumed: --shard 1/3 killed at its 8th row, resumed with the same --shard', async () => {
    const shardRef = await reference('ref-shard.jsonl', ['--shard', '1/3']);
    const out = file('kill-shard.jsonl');
    // Row 22 is the 8th row of shard 1/3 (rows 1, 4, 7, … 22): 7 rows before it, 6 lines written.
    await interruptAt(22, out, ['--shard', '1/3'], 'SIGKILL', 7);
    expect(lineCount(out)).toBe(6);
    const wrong = await runInProcess(['batch', list, ...dnsArgs(), '--resume', out, '--shard', '2/3']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^m365audit: cannot resume .*: line 1 answers row 1 \("kill-1\.nonexistent\.test"\), but the input's next row is row 2 .*another input or with another --shard\n$/);
    const r = await runInProcess(['batch', list, ...dnsArgs(), '--resume', out, '--shard', '1/3']);
    expect(r.stderr).toBe('');
    expect(normalize(readFileSync(out, 'utf8'))).toBe(normalize(shardRef.text));
    expect(JSON.parse(shardRef.text.trimEnd().split('\n').pop() as string)).toMatchObject({ row: 28, run: { options: { shard: { index: 1, count: 3 } }, complete: true, rowsRead: 10, rowsReported: 10 } });
  }, 60_000);
});

describe('batch --resume refuses what it cannot continue, leaving the file as it was', () => {
  let ref: string;
  beforeAll(async () => {
    ref = (await reference('ref-refuse.jsonl')).text;
  }, 60_000);
  const partial = (name: string, lines: number, edit: (ls: string[]) => string[] = (ls) => ls): string => {
    const path = file(name);
    writeFileSync(path, `${edit(ref.split('\n').slice(0, lines)).join('\n')}\n`);
    return path;
  };
  const refused = async (args: string[], path: string | null, message: RegExp): Promise<void> => {
    const before = path ? readFileSync(path) : null;
    const r = await runInProcess(['batch', ...args]);
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stderr, args.join(' ')).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    if (path && before) expect(readFileSync(path).equals(before), 'the file is left as it was').toBe(true);
  };

  it('a file from another input: the first row that does not match is named (its row index and input)', async () => {
    const other = file('other.txt');
    writeFileSync(other, `ready.test\nmx-gateway.test\n${ROWS.slice(2).join('\n')}\n`);
    const out = partial('another-input.jsonl', 5);
    await refused([other, ...dnsArgs(), '--resume', out], out, /^m365audit: cannot resume .*another-input\.jsonl: line 2 answers row 1 \("kill-1\.nonexistent\.test"\), but the input's next row is row 1 \("mx-gateway\.test"\): OUT was written from another input\n$/);
    const short = file('short.txt');
    writeFileSync(short, `${ROWS.slice(0, 3).join('\n')}\n`);
    await refused([short, ...dnsArgs(), '--resume', out], out, /line 4 answers row 3, but the input has only 3 rows: OUT was written from another input/);
  });

  it('a complete run and a longer input; a complete run and the same input: nothing to do, the run\'s exit code', async () => {
    const done = file('complete.jsonl');
    writeFileSync(done, ref);
    const longer = file('longer.txt');
    writeFileSync(longer, `${readFileSync(list, 'utf8')}extra.test\n`);
    await refused([longer, ...dnsArgs(), '--resume', done], done, /it holds a complete run of 30 rows, and the input has more/);
    const r = await runInProcess(['batch', list, ...dnsArgs(), '--resume', done]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^m365audit: .*complete\.jsonl already answers every row of the input \(30 rows\); nothing to resume\n$/);
    expect(readFileSync(done, 'utf8')).toBe(ref);
  });

  it('a hostile or broken line, a file of check (no row index), a second run appended: refused in one line', async () => {
    const broken = partial('broken.jsonl', 4, (ls) => [ls[0] as string, '{"domain": "x.test", "grade": 5}', ...ls.slice(1)]);
    await refused([list, ...dnsArgs(), '--resume', broken], broken, /cannot resume .*broken\.jsonl: not a saved m365audit run: line 2: /);
    const escape = partial('escape.jsonl', 3, (ls) => [...ls.slice(0, 2), (ls[2] as string).replace('"cloud":"worldwide"', '"cloud":"\\u001b]0;x\\u0007"')]);
    await refused([list, ...dnsArgs(), '--resume', escape], escape, /line 3: cloud must be one of/);
    const check = file('check.jsonl');
    const c = await runInProcess(['check', 'ready.test', '--dns-server', dns.server, '--no-probe', '--format', 'jsonl']);
    expect(c.code).toBe(0);
    writeFileSync(check, c.stdout);
    await refused([list, ...dnsArgs(), '--resume', check], check, /line 1 has no row index \(a run of check, or of an m365audit that did not record rows\)/);
    const twice = file('twice.jsonl');
    writeFileSync(twice, `${ref}${ref}`);
    await refused([list, ...dnsArgs(), '--resume', twice], twice, /line 31 follows the line that ended a run/);
  });

  it('usage: --resume needs --format jsonl and writes its own file', async () => {
    const out = partial('usage.jsonl', 3);
    await refused([list, ...dnsArgs(), '--resume', out, '--format', 'csv'], out, /--resume continues a --format jsonl file.*--format csv cannot be resumed/);
    await refused([list, ...dnsArgs(), '--resume', out, '--output', file('x.jsonl')], out, /--resume writes to its own file: leave out --output/);
    await refused([list, ...dnsArgs(), '--resume', dir], null, /cannot write .*: EISDIR|cannot resume .*: it is a directory/);
    await refused([list, ...dnsArgs(), '--resume', list], list, /--resume .*list\.txt is the input file/);
  });
});
