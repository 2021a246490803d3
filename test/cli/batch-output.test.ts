import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

// --output to a regular file is written with write(2) at once (batch.ts writeWhole); this file makes those
// writes short or failing. Only files this test opens are touched: stdout and stderr are the runner's streams.
const fault = vi.hoisted(() => ({ mode: 'none' as 'none' | 'short' | 'enospc', short: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    if (fd > 2 && fault.mode === 'enospc') throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    if (fd > 2 && fault.mode === 'short' && typeof data === 'string') {
      // The kernel took 7 bytes of the line: the rest must follow from the bytes, not the text.
      fault.short++;
      return fs.writeSync(fd, Buffer.from(data).subarray(0, 7));
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

describe('batch --output to a regular file', () => {
  it('a short write is continued: every line whole, in order', async () => {
    fault.mode = 'short';
    fault.short = 0;
    const out = join(dir, 'short.jsonl');
    const r = await runInProcess(['batch', '-', ...dnsArgs(), '--format', 'jsonl', '--output', out], { input: 'ready.test\nmx-none.test\nspf-none.test\n' });
    fault.mode = 'none';
    expect(r.code, r.stderr).toBe(1);
    expect(fault.short).toBe(3);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { domain: string }).domain);
    expect(rows).toEqual(['ready.test', 'mx-none.test', 'spf-none.test']);
  });

  it('a disk that fills during the run ends it in one line naming the file, exit 2', async () => {
    fault.mode = 'enospc';
    const out = join(dir, 'full.csv');
    const r = await runInProcess(['batch', '-', ...dnsArgs(), '--format', 'csv', '--output', out], { input: 'ready.test\nmx-none.test\n' });
    fault.mode = 'none';
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`m365audit: cannot write ${out}: ENOSPC`]);
  });
});
