import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

// --output to a regular file is written with write(2) at once (batch.ts writeWhole); this file makes those
// writes short or failing. Only files this test opens are touched: stdout and stderr are the runner's streams.
const fault = vi.hoisted(() => ({ mode: 'none' as 'none' | 'short' | 'enospc', short: 0, writes: 0, failAt: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    if (fd > 2 && fault.mode === 'enospc' && ++fault.writes >= fault.failAt) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    if (fd > 2 && fault.mode === 'short' && typeof data === 'string') {
      // The kernel took all but the last 10 bytes of the line, after its multi-byte characters:
      // the rest must follow from the bytes, not from the characters.
      fault.short++;
      const bytes = Buffer.from(data);
      return fs.writeSync(fd, bytes.subarray(0, bytes.length - 10));
    }
    return (fs.writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
  }) as typeof fs.writeSync;
  return { ...fs, default: { ...fs, writeSync }, writeSync };
});

let server: TestDnsServer;
let dir: string;
beforeAll(async () => {
  server = await startFixtureServer();
  dir = mkdtempSync(join(tmpdir(), 'm365audit-batch-output-'));
});
afterAll(() => server.close());
const dnsArgs = () => ['--dns-server', server.server, '--timeout', '2000', '--retries', '1', '--no-probe'];
const openFds = (): number => readdirSync('/proc/self/fd').length;

/** A batch whose `failAt`-th write to its --output fails with ENOSPC. */
async function runWithFullDisk(format: string, failAt: number, out: string, input: string) {
  fault.mode = 'enospc';
  fault.writes = 0;
  fault.failAt = failAt;
  const r = await runInProcess(['batch', '-', ...dnsArgs(), '--format', format, '--output', out], { input });
  fault.mode = 'none';
  return r;
}

describe('batch --output to a regular file', () => {
  it('a short write is continued from the bytes written: every line whole, in order, its UTF-8 intact', async () => {
    fault.mode = 'short';
    fault.short = 0;
    const input = join(dir, 'clients.csv');
    writeFileSync(input, 'client,domain\r\nZürich Ærø,ready.test\r\nMünchen,mx-none.test\r\n東京,spf-none.test\r\n');
    const out = join(dir, 'short.jsonl');
    const r = await runInProcess(['batch', input, ...dnsArgs(), '--format', 'jsonl', '--output', out]);
    fault.mode = 'none';
    expect(r.code, r.stderr).toBe(1);
    expect(fault.short).toBe(3);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { domain: string; meta: { client: string } });
    expect(rows.map((x) => [x.domain, x.meta.client])).toEqual([['ready.test', 'Zürich Ærø'], ['mx-none.test', 'München'], ['spf-none.test', '東京']]);
  });

  it('a disk that fills in the middle of a jsonl run: one line naming the file, exit 2, the rows before it kept, the file closed', async () => {
    const before = openFds();
    const out = join(dir, 'full.jsonl');
    const r = await runWithFullDisk('jsonl', 2, out, 'ready.test\nmx-none.test\nspf-none.test\ndmarc-none.test\n');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`m365audit: cannot write ${out}: ENOSPC`]);
    expect(readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { domain: string }).domain)).toEqual(['ready.test']);
    expect(openFds()).toBe(before);
  });

  it('a disk full at the end (csv is written after the run) is the same one line', async () => {
    const out = join(dir, 'full.csv');
    const r = await runWithFullDisk('csv', 1, out, 'ready.test\nmx-none.test\n');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`m365audit: cannot write ${out}: ENOSPC`]);
  });
});
