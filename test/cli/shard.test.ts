import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffSummary } from '../../src/report/diff.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { blankTimes } from '../support/runs.js';
import { runInProcess } from '../support/cli.js';
import { startFixtureServer } from '../support/fixtures.js';

/**
 * batch --shard K/N: N runs of one list, each taking the rows whose index
 * modulo N is K, merged back by `report` and `diff` (several files), give
 * exactly the run without shards, apart from the times.
 */

const DOMAINS = ['ready.test', 'mx-none.test', 'dmarc-none.test', 'not a domain', 'dkim-weak.test', 'mx-gateway.test', 'spf-invalid.test', 'bücher.example', 'ready.test', 'nonexistent.test'];
/** 20 rows of a CSV with a meta column, a comment and a blank line among them (neither is a row). */
const CSV = ['domain,client', ...Array.from({ length: 20 }, (_, i) => `${DOMAINS[i % DOMAINS.length] as string},client ${i}`)];
CSV.splice(6, 0, '# second half', '');

let dns: TestDnsServer;
let dir: string;
let list: string;
let ref: string;
const file = (name: string): string => join(dir, name);
const dnsArgs = (): string[] => ['--dns-server', dns.server, '--timeout', '2000', '--retries', '1', '--no-probe'];

beforeAll(async () => {
  dns = await startFixtureServer();
  dir = mkdtempSync(join(tmpdir(), 'm365audit-shard-'));
  list = file('tenants.csv');
  writeFileSync(list, `${CSV.join('\n')}\n`);
  const r = await runInProcess(['batch', list, ...dnsArgs(), '--format', 'jsonl', '--output', file('all.jsonl')]);
  expect(r.stderr).toBe('');
  ref = readFileSync(file('all.jsonl'), 'utf8');
}, 60_000);
afterAll(async () => {
  await dns?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const normalize = blankTimes;
const rowsOf = (text: string): { row: number; input: string; meta?: Record<string, string> }[] => text.trimEnd().split('\n').map((l) => JSON.parse(l) as { row: number; input: string });

/** The N shard files of the list. */
async function shards(n: number): Promise<string[]> {
  const files: string[] = [];
  for (let k = 0; k < n; k++) {
    const out = file(`s${k}of${n}.jsonl`);
    const r = await runInProcess(['batch', list, ...dnsArgs(), '--shard', `${k}/${n}`, '--format', 'jsonl', '--output', out]);
    expect(r.stderr).toBe('');
    files.push(out);
  }
  return files;
}

describe('batch --shard K/N merged back', () => {
  it('each shard holds the rows whose index % N is K (rows, not lines: the header, comment and blank line do not count), with its shard in the trail', async () => {
    const files = await shards(3);
    for (const [k, f] of files.entries()) {
      const rows = rowsOf(readFileSync(f, 'utf8'));
      expect(rows.map((r) => r.row)).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 3 === k));
      expect(rows.map((r) => r.meta?.client)).toEqual(rows.map((r) => `client ${r.row}`));
      expect((rows[rows.length - 1] as unknown as { run: unknown }).run).toMatchObject({ options: { shard: { index: k, count: 3 } }, complete: true, rowsRead: rows.length, rowsReported: rows.length });
    }
    // A comment added at the top leaves every row in its shard.
    const commented = file('commented.csv');
    writeFileSync(commented, `# added later\n\n${readFileSync(list, 'utf8')}`);
    const r = await runInProcess(['batch', commented, ...dnsArgs(), '--shard', '1/3', '--format', 'jsonl']);
    expect(rowsOf(r.stdout).map((x) => [x.row, x.input])).toEqual(rowsOf(readFileSync(files[1] as string, 'utf8')).map((x) => [x.row, x.input]));
  }, 60_000);

  it.each([1, 3, 7])('N = %i: report of the shards (in any order) is the unsharded run, byte for byte apart from the times', async (n) => {
    const files = await shards(n);
    for (const order of [files, [...files].reverse()]) {
      const r = await runInProcess(['report', ...order, '--format', 'jsonl']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      expect(normalize(r.stdout)).toBe(normalize(ref));
    }
    const table = await runInProcess(['report', ...files]);
    expect(table.stdout).not.toContain('Incomplete');
    expect(table.stdout).not.toContain('shard');
  }, 60_000);

  it.each([1, 3, 7])('N = %i: diff of the unsharded run and the shards: every domain unchanged, in one order, exit 0 under --fail-on regression', async (n) => {
    const files = await shards(n);
    for (const args of [['--old', file('all.jsonl'), '--new', ...files], ['--new', file('all.jsonl'), '--old', ...files]]) {
      const r = await runInProcess(['diff', ...args, '--format', 'json', '--fail-on', 'regression']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as { summary: DiffSummary; domains: { input: string; before: { row: number }; after: { row: number } }[] };
      expect(doc.summary).toMatchObject({ before: 20, after: 20, order: 'same', verdicts: { unchanged: 20, regressed: 0, improved: 0, changed: 0, unknown: 0, added: 0, removed: 0 } });
      expect(doc.domains.map((d) => [d.before.row, d.after.row])).toEqual(Array.from({ length: 20 }, (_, i) => [i, i]));
    }
    // The positional form takes one file a side; a side of several files is --old/--new.
    const positional = await runInProcess(['diff', file('all.jsonl'), '--new', ...files, '--format', 'json']);
    expect((JSON.parse(positional.stdout) as { summary: DiffSummary }).summary.verdicts.unchanged).toBe(20);
  }, 60_000);

  it('a shard missing from the merge: said on stderr and in the footer; a diff then shows its rows as removed', async () => {
    const files = await shards(3);
    const r = await runInProcess(['report', files[0] as string, files[2] as string]);
    expect(r.stderr).toBe('m365audit: shard 1 of 3 is not among the files: its rows are missing\n');
    expect(r.stdout).toMatch(/Incomplete: rows of the input are missing \(13 rows reported\)\.\n$/);
    const d = await runInProcess(['diff', '--old', file('all.jsonl'), '--new', files[0] as string, files[2] as string, '--format', 'json']);
    expect(d.stderr).toBe('m365audit: new run: shard 1 of 3 is not among the files: its rows are missing\n');
    expect((JSON.parse(d.stdout) as { summary: DiffSummary }).summary.verdicts).toMatchObject({ unchanged: 13, removed: 7 });
  }, 60_000);

  it('refused in one line, exit 2: the same shard twice, a file without row indexes, a file out of input order, a bad --shard', async () => {
    const files = await shards(3);
    const copy = file('copy.jsonl');
    copyFileSync(files[1] as string, copy);
    const check = file('check.jsonl');
    writeFileSync(check, (await runInProcess(['check', 'ready.test', ...dnsArgs(), '--format', 'jsonl'])).stdout);
    const shuffled = file('shuffled.jsonl');
    const lines = readFileSync(files[0] as string, 'utf8').trimEnd().split('\n');
    writeFileSync(shuffled, `${[lines[1], lines[0], ...lines.slice(2)].join('\n')}\n`);
    // A trail that claims 2^32 shards (it made an array of that length: exit 3): refused by the schema.
    const huge = [file('huge0.jsonl'), file('huge1.jsonl')];
    for (const [i, h] of huge.entries()) writeFileSync(h, readFileSync(files[i] as string, 'utf8').replace(/"count":3\b/g, '"count":4294967296'));
    const cases: [string[], RegExp][] = [
      [['report', huge[0] as string, huge[1] as string], /huge0\.jsonl/],
      [['report', files[0] as string, files[1] as string, files[1] as string], /s1of3\.jsonl is given twice/],
      [['report', files[0] as string, files[1] as string, copy], /row 1 is in both .*s1of3\.jsonl and .*copy\.jsonl: the same shard given twice, or runs of different inputs/],
      [['report', files[0] as string, check], /check\.jsonl has a report without a row index \(ready\.test\)/],
      [['report', shuffled, files[1] as string], /shuffled\.jsonl is not in input order: row 0 comes after row 3/],
      [['diff', '--old', files[0] as string, copy, copy, '--new', file('all.jsonl')], /copy\.jsonl is given twice/],
      [['batch', list, ...dnsArgs(), '--shard', '3/3'], /--shard must be K\/N with 0 <= K < N <= 100000 \(e\.g\. 0\/4\), not "3\/3"/],
      [['batch', list, ...dnsArgs(), '--shard', '0/0'], /--shard must be K\/N/],
      [['batch', list, ...dnsArgs(), '--shard', '-1/2'], /--shard must be K\/N|unknown option/],
      [['batch', list, ...dnsArgs(), '--shard', 'a/b'], /--shard must be K\/N/],
      [['batch', list, ...dnsArgs(), '--shard', '1/100001'], /--shard must be K\/N/],
      [['batch', list, ...dnsArgs(), '--shard', '1/2', '--shard', '0/2'], /--shard is given more than once/],
    ];
    for (const [args, message] of cases) {
      const r = await runInProcess(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
  }, 60_000);
});
