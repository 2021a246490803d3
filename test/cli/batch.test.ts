import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, openStdin, runInProcess, startInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

let server: TestDnsServer;
let dir: string;
beforeAll(async () => {
  server = await startFixtureServer();
  dir = mkdtempSync(join(tmpdir(), 'm365audit-batch-'));
});
afterAll(() => server.close());

// No fault here: every answer must come, so a deadline and a retry that a loaded machine (a second suite beside this one) cannot miss.
const dnsArgs = () => ['--dns-server', server.server, '--timeout', '2000', '--retries', '1', '--no-probe'];
interface Row { domain: string | null; input: string; grade: string; findings: { code: string }[]; meta?: Record<string, string> }
const parseLines = (s: string): Row[] => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);

/** Starts the CLI with piped stdout; `firstLine` settles once a whole line has come out. */
function spawnCli(args: string[], stdin: 'ignore' | 'pipe') { // the built binary, for real signals
  const child = spawn(process.execPath, [CLI, ...args], { stdio: [stdin, 'pipe', 'pipe'] });
  const out = child.stdout;
  if (!out) throw new Error('stdout is not piped');
  let stdout = '';
  out.setEncoding('utf8');
  const firstLine = new Promise<void>((resolve) => {
    out.on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('\n')) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { child, firstLine, exited, stdout: () => stdout };
}

describe('m365audit batch', () => {
  it('gives exactly one row per input line, in order: garbage, duplicates, comments, CRLF, BOM', async () => {
    const file = join(dir, 'list.txt');
    const lines = ['ready.test', 'mx-none.test', 'not a domain', 'ready.test', '192.0.2.1', 'https://ready.test/x', 'nonexistent.test', 'bücher.example', '\x1b[31mevil.test'];
    writeFileSync(file, `\uFEFF# tenants\r\n${lines.join('\r\n')}\r\n\r\n`);
    const r = await runInProcess(['batch', file, ...dnsArgs(), '--format', 'jsonl', '--concurrency', '4']);
    expect(r.code).toBe(1);
    const out = parseLines(r.stdout);
    expect(out.map((x) => x.input)).toEqual(lines);
    expect(out.map((x) => x.domain)).toEqual(['ready.test', 'mx-none.test', null, 'ready.test', null, 'ready.test', 'nonexistent.test', 'xn--bcher-kva.example', null]);
    expect(out[0]?.grade).toBe('ready');
    expect(out[3]?.grade).toBe('ready');
    expect(out[2]?.findings.map((f) => f.code)).toEqual(['DOMAIN_INVALID']);
    expect(out[6]?.findings.map((f) => f.code)).toEqual(['DOMAIN_NOT_FOUND']);
  });

  it('keeps input order under concurrency when early rows are slow', async () => {
    server.setLatency('ready.test', 300);
    const file = join(dir, 'order.txt');
    const list = ['ready.test', ...Array.from({ length: 30 }, (_, i) => `n${i}.nonexistent.test`), 'ready.test'];
    writeFileSync(file, list.join('\n'));
    const r = await runInProcess(['batch', file, ...dnsArgs(), '--format', 'jsonl', '--concurrency', '16']);
    server.setLatency('ready.test', null);
    expect(parseLines(r.stdout).map((x) => x.input)).toEqual(list);
  });

  it('reads a CSV with extra columns into meta and a tenant column', async () => {
    const file = join(dir, 'clients.csv');
    writeFileSync(file, 'client,domain,tenant\r\nReady Inc,ready.test,readytest\r\n"Gateway, Ltd",mx-gateway.test,\r\n');
    const r = await runInProcess(['batch', file, ...dnsArgs(), '--format', 'jsonl']);
    const out = parseLines(r.stdout);
    expect(out.map((x) => [x.domain, x.meta])).toEqual([['ready.test', { client: 'Ready Inc' }], ['mx-gateway.test', { client: 'Gateway, Ltd' }]]);
  });

  it('asks each (name, type) once: the MX area takes the answer of the DNSSEC question (<domain> MX with DO)', async () => {
    server.resetStats();
    // One at a time: the first domain's MX is also asked through node:dns (no EDNS0 answer has come yet), the others are not.
    const r = await runInProcess(['batch', '-', ...dnsArgs(), '--format', 'jsonl', '--concurrency', '1'], { input: 'ready.test\nmx-none.test\nmx-gateway.test\n' });
    const rows = parseLines(r.stdout) as (Row & { mx: { hosts: { exchange: string }[] }; dnssec: { state: string } })[];
    expect(rows.map((x) => [x.domain, x.mx.hosts.length, x.dnssec.state])).toEqual([
      ['ready.test', 1, 'unsigned'],
      ['mx-none.test', 0, 'unsigned'],
      ['mx-gateway.test', 2, 'unsigned'],
    ]);
    const asked = server.stats().perQuery;
    expect([asked.get('ready.test MX'), asked.get('mx-none.test MX'), asked.get('mx-gateway.test MX')]).toEqual([2, 1, 1]);
    expect([...asked].filter(([k, n]) => n > 1 && k !== 'ready.test MX')).toEqual([]);
  });

  it('--progress draws the bar on stderr when it is not a terminal (cli-progress, loaded only then)', async () => {
    const file = join(dir, 'progress.txt');
    writeFileSync(file, 'ready.test\nmx-none.test\n');
    const r = await runInProcess(['batch', file, ...dnsArgs(), '--format', 'jsonl', '--progress']);
    expect(parseLines(r.stdout).map((x) => x.domain)).toEqual(['ready.test', 'mx-none.test']);
    // The total comes from a count of the file beside the audit: 2, or still 0 if the audit ended first.
    expect(r.stderr).toMatch(/\b2\/[02] domains \| [\d.]+\/s/);
  });

  it('reads stdin with -', async () => {
    const r = await runInProcess(['batch', '-', ...dnsArgs(), '--format', 'json'], { input: 'ready.test\nmx-none.test\n' });
    const doc = JSON.parse(r.stdout) as { domains: Row[] };
    expect(doc.domains.map((d) => d.domain)).toEqual(['ready.test', 'mx-none.test']);
    expect(r.code).toBe(1);
  });

  it('prints a summary after the table', async () => {
    const r = await runInProcess(['batch', '-', ...dnsArgs()], { input: 'ready.test\nmx-none.test\nready.test\n' });
    expect(r.stdout).toContain('Summary: 3 domains: 2 ready, 0 needs-work, 1 not-ready, 0 unknown\n');
    expect(r.stdout).toMatch(/\n\s+1\s+MX_MISSING \(error\)/);
  });

  it.each([
    [['batch', '/nonexistent/file.txt'], 'cannot read /nonexistent/file.txt: ENOENT'],
    [['batch', 'EMPTY'], 'no domains in'],
    [['batch', '-', '--concurrency', '0'], '--concurrency'],
  ])('exits 2 with one line for %j', async (args, message) => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    const r = await runInProcess(args.map((a) => (a === 'EMPTY' ? empty : a)).concat(args[1] === '-' ? [] : dnsArgs()));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it('writes --output to the file, and fails in one line (exit 2) before any audit when it cannot', async () => {
    const target = join(dir, 'out.jsonl');
    const ok = await runInProcess(['batch', '-', ...dnsArgs(), '--format', 'jsonl', '--output', target], { input: 'ready.test\nmx-none.test\n' });
    expect(ok.code).toBe(1);
    expect(ok.stdout).toBe('');
    expect(parseLines(readFileSync(target, 'utf8')).map((x) => x.domain)).toEqual(['ready.test', 'mx-none.test']);
    server.resetStats();
    const bad = await runInProcess(['batch', '-', ...dnsArgs(), '--output', join(dir, 'no-such-dir', 'x.csv')], { input: 'ready.test\n' });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([`m365audit: cannot write ${join(dir, 'no-such-dir', 'x.csv')}: ENOENT`]);
    expect(server.stats().udpQueries).toBe(0);
    const none = join(dir, 'none.csv');
    const empty = await runInProcess(['batch', '-', ...dnsArgs(), '--output', none], { input: '# nothing\n' });
    expect(empty.code).toBe(2);
    expect(existsSync(none)).toBe(false);
  });

  it('never harms a file it did not write: no domains keeps it, the input file and directories are refused', async () => {
    const kept = join(dir, 'kept.csv');
    writeFileSync(kept, 'precious\n');
    const empty = await runInProcess(['batch', '-', ...dnsArgs(), '--output', kept], { input: '# nothing\n' });
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim()).toBe('m365audit: no domains in standard input');
    expect(readFileSync(kept, 'utf8')).toBe('precious\n');

    const list = join(dir, 'self.txt');
    writeFileSync(list, 'ready.test\n');
    server.resetStats();
    const self = await runInProcess(['batch', list, ...dnsArgs(), '--output', list]);
    expect(self.code).toBe(2);
    expect(self.stderr.trim().split('\n')).toEqual([`m365audit: --output ${list} is the input file; write the result elsewhere`]);
    expect(readFileSync(list, 'utf8')).toBe('ready.test\n');
    expect(server.stats().udpQueries).toBe(0);

    const isDir = await runInProcess(['batch', '-', ...dnsArgs(), '--output', dir], { input: 'ready.test\n' });
    expect(isDir.code).toBe(2);
    expect(isDir.stderr.trim().split('\n')).toEqual([`m365audit: cannot write ${dir}: EISDIR`]);
    const slash = join(dir, 'new-dir') + '/';
    const asDir = await runInProcess(['batch', '-', ...dnsArgs(), '--format', 'jsonl', '--output', slash], { input: 'ready.test\n' });
    expect([asDir.code, asDir.stderr.trim().split('\n')]).toEqual([2, [`m365audit: cannot write ${slash}: EISDIR`]]);
    const dangling = join(dir, 'dangling.jsonl');
    symlinkSync(join(dir, 'missing-dir', 'x.jsonl'), dangling);
    const viaLink = await runInProcess(['batch', '-', ...dnsArgs(), '--format', 'jsonl', '--output', dangling], { input: 'ready.test\n' });
    expect([viaLink.code, viaLink.stderr.trim().split('\n')]).toEqual([2, [`m365audit: cannot write ${dangling}: ENOENT`]]);
  });

  it('a write that fails during the run (disk full) ends it in one line, exit 2, not a stack trace', async () => {
    if (!existsSync('/dev/full')) return;
    const r = await runInProcess(['batch', '-', ...dnsArgs(), '--format', 'jsonl', '--output', '/dev/full'], { input: 'ready.test\nmx-none.test\n' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^m365audit: cannot write .*ENOSPC\n$/);
  });

  it('Ctrl-C before any row leaves an existing --output file as it was (exit 130)', async () => {
    const kept = join(dir, 'kept-sigint.csv');
    writeFileSync(kept, 'precious\n');
    const run = startInProcess(['batch', '-', ...dnsArgs(), '--format', 'csv', '--output', kept], { stdin: openStdin() });
    await run.interruptible; // started, listening for Ctrl-C, waiting on stdin
    run.interrupt();
    expect((await run.done).code).toBe(130);
    expect(readFileSync(kept, 'utf8')).toBe('precious\n');
  });

  it('stops quietly when the reader of stdout goes away (| head), with no stack trace', async () => {
    const file = join(dir, 'many.txt');
    writeFileSync(file, Array.from({ length: 300 }, () => 'ready.test').join('\n'));
    const child = spawn(process.execPath, [CLI, 'batch', file, ...dnsArgs(), '--format', 'jsonl'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('on SIGINT while stdin is still open, flushes the rows read and exits 130', async () => {
    const stdin = openStdin();
    const run = startInProcess(['batch', '-', ...dnsArgs(), '--format', 'jsonl'], { stdin });
    stdin.write('ready.test\nmx-none.test\n'); // and the pipe stays open
    // The first row is written at once; the last is held back for the run's probe and run (jsonl's last line).
    await run.stdoutMatches(/^[^\n]*\n$/);
    run.interrupt();
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(parseLines(r.stdout).map((x) => x.domain)).toEqual(['ready.test', 'mx-none.test']);
  });

  it('on SIGINT flushes whole JSON lines only and exits 130 (the built binary, a real signal)', async () => {
    server.setLatency('slowrow.test', 400);
    server.setLatency('_dmarc.slowrow.test', 400);
    const file = join(dir, 'sigint.txt');
    writeFileSync(file, Array.from({ length: 400 }, (_, i) => (i % 2 ? 'ready.test' : `r${i}.slowrow.test`)).join('\n'));
    const run = spawnCli(['batch', file, ...dnsArgs(), '--format', 'jsonl', '--concurrency', '8'], 'ignore');
    await run.firstLine;
    run.child.kill('SIGINT');
    const code = await run.exited;
    const stdout = run.stdout();
    server.setLatency('slowrow.test', null);
    server.setLatency('_dmarc.slowrow.test', null);
    expect(code).toBe(130);
    expect(stdout.endsWith('\n')).toBe(true);
    const out = parseLines(stdout);
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThan(400);
    out.forEach((row, i) => expect(row.input).toBe(i % 2 ? 'ready.test' : `r${i}.slowrow.test`));
  });
});
