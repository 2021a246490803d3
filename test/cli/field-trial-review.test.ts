import { describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli.js';

// No DNS is needed: every row here is invalid or blank.
const offline = ['--dns-server', '127.0.0.1:9', '--timeout', '50', '--retries', '0', '--no-probe'];

describe('a line cut on reading (review of the field trial)', () => {
  it('is invalid for its length, with the whole length, not "contains white space" from the cut marker', async () => {
    const line = `${'x'.repeat(100_000)}.example`;
    const r = await runInProcess(['batch', '-', ...offline, '--format', 'json'], { input: `${line}\n` });
    const doc = JSON.parse(r.stdout) as { domains: { inputLength?: number; findings: { code: string; message: string }[] }[] };
    expect(doc.domains).toHaveLength(1);
    expect(doc.domains[0]?.inputLength).toBe(100_008);
    expect(doc.domains[0]?.findings.map((f) => f.code)).toEqual(['DOMAIN_INVALID']);
    expect(doc.domains[0]?.findings[0]?.message).toMatch(/\(100008 characters\) is not a valid domain name: a line of 100008 characters, longer than any domain name/);
  });

  it('a valid name followed by 70,000 spaces and junk is not audited as the name', async () => {
    const r = await runInProcess(['batch', '-', ...offline, '--format', 'jsonl'], { input: `ready.test${' '.repeat(70_000)}junk\n` });
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { domain: string | null; findings: { code: string }[] });
    expect(rows.map((x) => [x.domain, x.findings.map((f) => f.code)])).toEqual([[null, ['DOMAIN_INVALID']]]);
  });

  it('a blank line longer than the read limit is blank: no row', async () => {
    const r = await runInProcess(['batch', '-', ...offline, '--format', 'jsonl'], { input: `${' '.repeat(70_000)}\nnot a domain\n` });
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { input: string }).input)).toEqual(['not a domain']);
  });
});
