import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

/** What `batch` does with inputs that are not a list of domains (field trial). */
let server: TestDnsServer;
let dir: string;
beforeAll(async () => {
  server = await startFixtureServer();
  dir = mkdtempSync(join(tmpdir(), 'm365audit-input-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const dnsArgs = () => ['--dns-server', server.server, '--timeout', '1000', '--retries', '0', '--no-probe'];
interface Row { domain: string | null; input: string; findings: { code: string }[] }
const parseLines = (s: string): Row[] => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);

/** One line on stderr, exit 2, nothing on stdout, no stack trace. */
function expectUsageError(r: { code: number | null; stdout: string; stderr: string }, reason: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(reason);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('batch input files', () => {
  it('a directory is one line, exit 2 (was: internal error: EISDIR, exit 3)', async () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    expectUsageError(await runCli(['batch', sub, ...dnsArgs()]), /cannot read .*a-directory: it is a directory/);
  });

  it('a binary file (the node executable) is one line, exit 2, from a file and from stdin', async () => {
    expectUsageError(await runCli(['batch', process.execPath, ...dnsArgs(), '--format', 'jsonl']), /NUL bytes/);
    const elf = readFileSync(process.execPath).subarray(0, 64 * 1024);
    expectUsageError(await runCli(['batch', '-', ...dnsArgs(), '--format', 'jsonl'], { input: elf.toString('latin1') }), /cannot read standard input: .*NUL bytes/);
  });

  it('reads UTF-16 LE and BE with a BOM as text, one row a line', async () => {
    const text = 'ready.test\r\nmx-none.test\r\nnot a domain\r\n';
    const le = Buffer.from(`\uFEFF${text}`, 'utf16le');
    for (const [name, bytes] of [['le.txt', le], ['be.txt', Buffer.from(le).swap16()]] as const) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const r = await runCli(['batch', file, ...dnsArgs(), '--format', 'jsonl']);
      expect(r.code).toBe(1);
      expect(parseLines(r.stdout).map((x) => [x.input, x.domain])).toEqual([['ready.test', 'ready.test'], ['mx-none.test', 'mx-none.test'], ['not a domain', null]]);
    }
  });

  it('a lone CR inside a line is data: one row for that line, DOMAIN_INVALID', async () => {
    const file = join(dir, 'cr.txt');
    writeFileSync(file, 'ready.test\rmx-none.test\nready.test\r\n');
    const r = await runCli(['batch', file, ...dnsArgs(), '--format', 'jsonl']);
    const rows = parseLines(r.stdout);
    expect(rows.map((x) => x.input)).toEqual(['ready.test\rmx-none.test', 'ready.test']);
    expect(rows[0]?.findings.map((f) => f.code)).toEqual(['DOMAIN_INVALID']);
    expect(rows[1]?.domain).toBe('ready.test');
  });
});
