import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

let server: TestDnsServer;
beforeAll(async () => {
  server = await startFixtureServer();
  // A working resolver whose answers for one set of domains never come (their name servers are dead).
  server.setFault('*.silent.test', 'timeout');
});
afterAll(() => server.close());

const dir = mkdtempSync(join(tmpdir(), 'm365audit-health-'));
// 1000 ms: the ready domain's answers beat it even on a loaded machine; the silent ones wait it out.
const args = () => ['--dns-server', server.server, '--timeout', '1000', '--retries', '1', '--no-probe'];

describe('a silent domain does not make a working resolver look dead (review of the field trial)', () => {
  it('batch: every row is audited; the silent ones are unknown (ETIMEOUT), the last ready one is ready; no stop', async () => {
    const list = join(dir, 'list.txt');
    const silent = Array.from({ length: 6 }, (_, i) => `d${i}.silent.test`);
    writeFileSync(list, ['ready.test', ...silent, 'ready.test'].join('\n'));
    const r = await runInProcess(['batch', list, ...args(), '--format', 'jsonl', '--concurrency', '6']);
    expect(r.stderr).not.toMatch(/no DNS server answered/);
    expect(r.code).toBe(1);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { input: string; grade: string; findings: { code: string; evidence?: string }[] });
    expect(rows.map((x) => [x.input, x.grade])).toEqual([['ready.test', 'ready'], ...silent.map((d) => [d, 'unknown']), ['ready.test', 'ready']]);
    for (const row of rows.slice(1, -1)) {
      const tempfails = row.findings.filter((f) => f.code === 'DNS_TEMPFAIL');
      expect(tempfails.map((f) => /: (E[A-Z]+)$/m.exec(f.evidence ?? '')?.[1])).toEqual(['ETIMEOUT']);
    }
  });

  it('check: a silent domain after a ready one is ETIMEOUT, never ENOSERVER', async () => {
    const r = await runInProcess(['check', 'ready.test', 'x.silent.test', ...args(), '--format', 'json']);
    const doc = JSON.parse(r.stdout) as { domains: { grade: string; findings: { code: string; evidence?: string }[] }[] };
    expect(doc.domains.map((d) => d.grade)).toEqual(['ready', 'unknown']);
    const evidence = doc.domains[1]?.findings.filter((f) => f.code === 'DNS_TEMPFAIL').map((f) => f.evidence ?? '').join('\n') ?? '';
    expect(evidence).toMatch(/ETIMEOUT/);
    expect(evidence).not.toMatch(/ENOSERVER/);
  });
});
