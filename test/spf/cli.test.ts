import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

/** `m365audit spf` through the built binary against the loopback DNS server. */
let server: TestDnsServer;
beforeAll(async () => {
  server = await startFixtureServer({ dirs: ['zones', 'hostile'] });
});
afterAll(() => server.close());

const dnsArgs = () => ['--dns-server', server.server, '--timeout', '1000', '--retries', '0'];
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

interface SpfJson {
  result: string | null;
  explanation: string | null;
  lookups: number;
  voidLookups: number;
  tree: { domain: string; lookups: number; totalLookups: number; children: unknown[] } | null;
  findings: { code: string; severity: string }[];
  domain: string;
  ip: string | null;
  sender: string | null;
  helo: string | null;
  evaluation: { lookups: number; voidLookups: number } | null;
}

async function json(args: string[]): Promise<{ code: number | null; doc: SpfJson; stderr: string }> {
  const r = await runInProcess(['spf', ...args, ...dnsArgs(), '--format', 'json']);
  return { code: r.code, doc: JSON.parse(r.stdout) as SpfJson, stderr: r.stderr };
}

describe('m365audit spf (built binary)', () => {
  it('analyses a domain without --ip: counts, tree, no result, exit 0', async () => {
    const { code, doc, stderr } = await json(['ready.test']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(doc).toMatchObject({ result: null, explanation: null, lookups: 1, voidLookups: 0, domain: 'ready.test', ip: null, evaluation: null });
    expect(doc.tree).toMatchObject({ domain: 'ready.test', lookups: 1, totalLookups: 1 });
    expect(doc.findings).toEqual([]);
  });

  it('evaluates --ip with check_host and gives the evaluation counts', async () => {
    const { code, doc } = await json(['spf-ten.example', '--ip', '203.0.113.129']);
    expect(code).toBe(0);
    expect(doc).toMatchObject({ result: 'pass', lookups: 10, voidLookups: 1, evaluation: { lookups: 10, voidLookups: 1 } });
    const other = await json(['spf-ten.example', '--ip', '203.0.113.5']);
    expect(other.doc.result).toBe('fail');
  });

  it('takes the domain from --sender, or from --helo for the null sender (RFC 7208 2.4)', async () => {
    const a = await json(['--sender', 'someone@ready.test', '--ip', '2001:db8:f400::25']);
    expect(a.doc).toMatchObject({ domain: 'ready.test', sender: 'someone@ready.test', result: 'pass' });
    const b = await json(['--sender', '', '--helo', 'ready.test', '--ip', '192.0.2.1']);
    expect(b.doc).toMatchObject({ domain: 'ready.test', sender: 'postmaster@ready.test', helo: 'ready.test', result: 'fail' });
  });

  it('exits 1 with the findings when the tree has errors, and prints an indented tree', async () => {
    const r = await runInProcess(['spf', 'spf-eleven.example', ...dnsArgs()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('spf-eleven.example  [4/11]  v=spf1 mx a include:_a.spf-eleven.example include:spf.protection.outlook.com -all');
    expect(r.stdout).toContain('├─ include:_a.spf-eleven.example  [3/7]');
    expect(r.stdout).toContain('│  ├─ include:_b.spf-eleven.example  [2/2]');
    expect(r.stdout).toContain('│  └─ redirect=_c.spf-eleven.example  [2/2]');
    expect(r.stdout).toContain('└─ include:spf.protection.outlook.com  [0/0]');
    expect(r.stdout).toMatch(/error {3}SPF_TOO_MANY_LOOKUPS/);
    expect((await runInProcess(['spf', 'spf-eleven.example', ...dnsArgs(), '--fail-on', 'never'])).code).toBe(0);
  });

  it('writes --output and escapes DNS data in the table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365audit-spf-'));
    const out = join(dir, 'spf.txt');
    const r = await runInProcess(['spf', 'inject.test', '--ip', '192.0.2.1', ...dnsArgs(), '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('Result       permerror');
    expect(text).not.toMatch(CONTROL);
    expect(text).toContain('\\x1b[2J');
  });

  it.each([
    [['spf', '--ip', '192.0.2.1']],
    [['spf', 'ready.test', '--ip', '1.2.3']],
    [['spf', 'not a domain']],
    [['spf', '--sender', '']],
    [['spf', 'ready.test', '--format', 'xml']],
    [['spf', 'ready.test', '--dns-server', 'nowhere']],
  ])('%j is a usage error: exit 2, one line on stderr', async (args) => {
    const r = await runInProcess(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
