import { closeSync, openSync, readFileSync, writeFileSync, ftruncateSync, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { MAX_DOCUMENT_BYTES, readSavedRun } from '../../src/report/load.js';
import type { RunInfo } from '../../src/report/run.js';
import { runCli, runInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { FIXTURES, startFixtureServer } from '../support/fixtures.js';

const OLD_JSON = `${FIXTURES}saved/pre-trail.json`;
const OLD_JSONL = `${FIXTURES}saved/pre-trail.jsonl`;
type Doc = { domains: DomainReport[]; probe: unknown; run: RunInfo } & Record<string, unknown>;

let dns: TestDnsServer;
let dir: string;
beforeAll(async () => {
  dns = await startFixtureServer();
  dir = await mkdtemp(join(tmpdir(), 'm365audit-saved-'));
});
afterAll(async () => {
  await dns?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});
const dnsArgs = (): string[] => ['--dns-server', dns.server, '--timeout', '1000', '--retries', '0', '--no-probe'];

describe('report of a run saved before the audit trail (fixtures/saved)', () => {
  const UPGRADED_RUN = { startedAt: null, finishedAt: null, version: null, resolvers: null, options: null, reconstructed: true, complete: null, rowsRead: null, rowsReported: 3 };

  it.each([['json', OLD_JSON], ['jsonl', OLD_JSONL]])('%s: accepted after the upgrade step: auditedAt null, the unknown score null, a reconstructed run', async (_what, file) => {
    const r = await runInProcess(['report', file, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.run).toEqual(UPGRADED_RUN);
    expect(doc.domains.map((d) => [d.domain, d.grade, d.score, d.auditedAt])).toEqual([
      ['ready.test', 'ready', 100, null],
      ['mx-none.test', 'not-ready', 35, null],
      ['timeout.test', 'unknown', null, null],
    ]);
    // What report writes is a saved run of today: it reads back the same.
    const again = await runInProcess(['report', '-', '--format', 'json'], { input: r.stdout });
    expect(again.stderr).toBe('');
    expect((JSON.parse(again.stdout) as Doc).domains).toEqual(doc.domains);
  });

  it('renders in every format, saying the run was not recorded', async () => {
    const footer = 'Audited at an unknown time (saved before m365audit recorded its runs: no time, version, resolvers or options).';
    for (const file of [OLD_JSON, OLD_JSONL]) {
      for (const format of ['table', 'markdown', 'html', 'csv', 'jsonl']) {
        const out = await runInProcess(['report', file, '--format', format]);
        expect(out.stderr, `${file} ${format}`).toBe('');
        expect(out.code, `${file} ${format}`).toBe(1);
        if (format === 'table') expect(out.stdout.trimEnd().split('\n').pop()).toBe(footer);
        if (format === 'markdown') expect(out.stdout.trimEnd().split('\n').pop()).toBe(`_${footer.replace(/[()]/g, '\\$&')}_`);
        if (format === 'html') expect(out.stdout).toContain(`<p class="run">${footer}</p>`);
        if (format === 'csv') {
          const rows = parse(out.stdout) as string[][];
          expect(rows.slice(1).map((x) => [x[rows[0]!.indexOf('score')], x[rows[0]!.indexOf('audited_at')]])).toEqual([['100', ''], ['35', ''], ['', '']]);
        }
      }
    }
  });

  const oldDoc = (): Doc => JSON.parse(readFileSync(OLD_JSON, 'utf8')) as Doc;
  const oldLines = (): Record<string, unknown>[] => readFileSync(OLD_JSONL, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

  it.each([
    ['a tenant of the wrong type', (d: Doc) => ((d.domains[0] as unknown as Record<string, unknown>).tenant = 5), 'domains[0].tenant must be string or null'],
    ['an auditedAt of the wrong type', (d: Doc) => ((d.domains[1] as unknown as Record<string, unknown>).auditedAt = 5), 'domains[1].auditedAt must be string or null'],
    ['an auditedAt that is not a date', (d: Doc) => ((d.domains[1] as unknown as Record<string, unknown>).auditedAt = 'yesterday'), 'domains[1].auditedAt must match format "date-time"'],
    ['a score that is a string beside grade unknown', (d: Doc) => ((d.domains[2] as unknown as Record<string, unknown>).score = '100'), 'domains[2].score must be null when grade is unknown'],
    ['a run of the wrong type', (d: Doc) => ((d as Record<string, unknown>).run = 'yesterday'), 'run must be object'],
  ])('still refuses %s in one line, exit 2', async (_what, edit, message) => {
    const doc = oldDoc();
    edit(doc);
    const r = await runInProcess(['report', '-'], { input: JSON.stringify(doc) });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`m365audit: standard input is not a saved m365audit run: ${message}\n`);
  });

  it('still refuses a jsonl line of the wrong type by its number', async () => {
    const lines = oldLines();
    lines[1]!.auditedAt = false;
    const r = await runInProcess(['report', '-'], { input: lines.map((l) => JSON.stringify(l)).join('\n') });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('m365audit: standard input is not a saved m365audit run: line 2: auditedAt must be string or null\n');
  });

  it('a run saved with the audit trail but before its coverage was recorded: complete, rowsRead and rowsReported null', async () => {
    const saved = JSON.parse((await runInProcess(['check', 'ready.test', ...dnsArgs(), '--format', 'json'])).stdout) as Doc;
    const run = saved.run as unknown as Record<string, unknown>;
    for (const k of ['complete', 'rowsRead', 'rowsReported']) delete run[k];
    const r = await runInProcess(['report', '-', '--format', 'json'], { input: JSON.stringify(saved) });
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as Doc).run).toEqual({ ...run, complete: null, rowsRead: null, rowsReported: null });
  });
});

describe('report reads a saved run as a stream', () => {
  /** A jsonl run of `n` reports, written a block at a time (never one string). */
  async function bigJsonl(file: string, n: number): Promise<void> {
    const saved = JSON.parse((await runInProcess(['check', 'mx-none.test', ...dnsArgs(), '--format', 'jsonl'])).stdout.trimEnd()) as Record<string, unknown>;
    delete saved.probe;
    delete saved.run;
    const out = createWriteStream(file);
    for (let i = 0; i < n; i += 1000) {
      const block = Array.from({ length: Math.min(1000, n - i) }, (_, k) => JSON.stringify({ ...saved, input: `row ${i + k}` })).join('\n');
      if (!out.write(`${block}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    out.end();
    await finished(out);
  }

  it('a jsonl file of 12,000 reports (about 70 MB) renders within a 64 MB heap: memory flat in the rows', async () => {
    const file = join(dir, 'big.jsonl');
    await bigJsonl(file, 12_000);
    const csv = join(dir, 'big.csv');
    // Reading the whole file into one string, as report did, cannot fit: node aborts (exit 134).
    const r = await runCli(['report', file, '--format', 'csv', '--output', csv], { env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=64` }, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const rows = readFileSync(csv, 'utf8').trimEnd().split('\r\n');
    expect(rows).toHaveLength(12_001);
    expect(rows[12_000]).toContain(',row 11999,');
  }, 60_000);

  it(`refuses a --format json document over ${MAX_DOCUMENT_BYTES / 2 ** 20} MiB in one line naming its size, exit 2`, async () => {
    // A sparse file: it holds no data, and report must not read it to know its size.
    const file = join(dir, 'huge.json');
    writeFileSync(file, '{\n  "schemaVersion": 1,\n');
    const fd = openSync(file, 'r+');
    ftruncateSync(fd, 300 * 2 ** 20);
    closeSync(fd);
    const r = await runInProcess(['report', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`m365audit: ${file} is a --format json document of 300 MiB, over the 128 MiB report reads at once; save large runs with --format jsonl (read a line at a time, any size)\n`);
  });

  it('refuses one on stdin too, once it has read past the bound', async () => {
    const mib = Buffer.alloc(2 ** 20, 0x20);
    const stdin = Readable.from((function* () {
      yield Buffer.from('{\n');
      for (let i = 0; i < 200; i++) yield mib;
    })());
    const r = await runInProcess(['report', '-'], { stdin });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('m365audit: standard input is a --format json document of more than 128 MiB, over the 128 MiB report reads at once; save large runs with --format jsonl (read a line at a time, any size)\n');
  });

  it('stdin in pieces that split lines and UTF-8 characters gives what the file gives', async () => {
    const saved = join(dir, 'pieces.jsonl');
    await runInProcess(['batch', '-', ...dnsArgs(), '--format', 'jsonl', '--output', saved], { input: 'ready.test\nbücher.example\nnot a dömain\nmx-none.test\n' });
    const bytes = readFileSync(saved);
    expect(bytes.toString('utf8')).toContain('ö');
    // Seven bytes at a time: lines and the two-byte ö and ü are cut across chunks.
    const pieces = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const fromStdin = await runInProcess(['report', '-', '--format', 'json'], { stdin: Readable.from(pieces) });
    const fromFile = await runInProcess(['report', saved, '--format', 'json']);
    expect(fromStdin.stderr).toBe('');
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    expect((JSON.parse(fromStdin.stdout) as Doc).domains.map((d) => d.input)).toEqual(['ready.test', 'bücher.example', 'not a dömain', 'mx-none.test']);
  });

  it('hands each jsonl report on before the next line is read, and drops nothing when a later line is broken', async () => {
    const line = JSON.stringify(JSON.parse(readFileSync(OLD_JSONL, 'utf8').split('\n')[0] ?? ''));
    const seen: string[] = [];
    let pulled = 0;
    const source = (async function* () {
      for (const text of [line, line, '{"broken": ']) {
        pulled++;
        yield `${text}\n`;
      }
    })();
    const end = await readSavedRun(source, (r) => void seen.push(`${r.input}@${pulled}`));
    // Report 1 was handed on while line 2 was still unread: one line in memory at a time.
    expect(seen).toEqual(['ready.test@1', 'ready.test@2']);
    expect(end).toEqual({ error: 'line 3 is not JSON' });
  });

  it('a file that cannot be read is one line, exit 2', async () => {
    for (const [file, message] of [[join(dir, 'missing.jsonl'), 'ENOENT'], [dir, 'EISDIR']] as const) {
      const r = await runInProcess(['report', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`m365audit: cannot read ${file}: ${message}\n`);
    }
  });
});
