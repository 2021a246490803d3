/**
 * Files named by options are read by one bounded reader (src/cli/read-file.ts):
 * a device, a FIFO or a directory is one line, exit 2, at once (a FIFO is
 * never waited on, /dev/zero never read whole); a file over the bound is
 * refused by its size. In process; nothing is asked or probed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli.js';

let dir: string;
let fifo: string;
let bigCa: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'm365audit-files-'));
  fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  bigCa = join(dir, 'big-ca.pem');
  await writeFile(bigCa, Buffer.alloc(1024 * 1024 + 1, 'A'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const offline = ['--dns-server', '127.0.0.1:9', '--timeout', '50', '--retries', '0'];

describe('option files: one bounded reader', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['--tls-ca /dev/zero', () => ['probe', '127.0.0.1:9', '--tls-ca', '/dev/zero'], /^m365audit: cannot read --tls-ca \/dev\/zero: not a regular file$/],
    ['--tls-ca a FIFO', () => ['probe', '127.0.0.1:9', '--tls-ca', fifo], /^m365audit: cannot read --tls-ca .*fifo: not a regular file$/],
    ['--tls-ca a directory', () => ['probe', '127.0.0.1:9', '--tls-ca', dir], /^m365audit: cannot read --tls-ca .*: it is a directory$/],
    ['--tls-ca over 1 MiB', () => ['probe', '127.0.0.1:9', '--tls-ca', bigCa], /^m365audit: cannot read --tls-ca .*big-ca\.pem: larger than 1 MiB$/],
    ['send-paths --cert a FIFO', () => ['send-paths', 'contoso.com', ...offline, '--cert', fifo], /^m365audit: cannot read --cert .*fifo: not a regular file$/],
    ['send-paths --cert /dev/zero', () => ['send-paths', 'contoso.com', ...offline, '--cert', '/dev/zero'], /^m365audit: cannot read --cert \/dev\/zero: not a regular file$/],
    ['check --zone a FIFO', () => ['check', 'contoso.com', ...offline, '--no-probe', '--zone', fifo], /^m365audit: cannot read --zone .*fifo: not a regular file$/],
  ];
  it.each(cases)('%s: one line, exit 2', async (_name, args, message) => {
    const r = await runInProcess(args(), { env: {} });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });
});
