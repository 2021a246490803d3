import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { runCli, runInProcess, startInProcess } from '../support/cli.js';
import { startFixtureServer } from '../support/fixtures.js';

let server: TestDnsServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(() => server.close());

const dnsArgs = () => ['--dns-server', server.server, '--timeout', '1000', '--retries', '0', '--no-probe'];

interface Doc {
  schemaVersion: number;
  tool: { name: string; version: string };
  domains: { domain: string | null; input: string; grade: string; score: number; cloud: string; findings: { code: string; severity: string }[] }[];
  probe: unknown;
}

describe('m365audit check (built binary)', () => {
  it('prints the DESIGN JSON document with the right codes and exit 0 for a ready domain', async () => {
    const r = await runInProcess(['check', 'ready.test', ...dnsArgs(), '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.schemaVersion).toBe(1);
    expect(doc.tool.name).toBe('m365audit');
    expect(doc.probe).toBeNull();
    expect(doc.domains).toHaveLength(1);
    expect(doc.domains[0]).toMatchObject({ domain: 'ready.test', input: 'ready.test', grade: 'ready', score: 100, cloud: 'worldwide' });
    for (const key of ['tenant', 'findings', 'mx', 'spf', 'dkim', 'dmarc', 'autodiscover', 'verification', 'timing']) expect(doc.domains[0]).toHaveProperty(key);
  });

  it('exits 1 when a domain has an error finding, in input order, one report per argument', async () => {
    const r = await runInProcess(['check', 'mx-none.test', 'ready.test', 'nonexistent.test', ...dnsArgs(), '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.domains.map((d) => d.domain)).toEqual(['mx-none.test', 'ready.test', 'nonexistent.test']);
    expect(doc.domains[0]?.findings.map((f) => f.code)).toContain('MX_MISSING');
    expect(doc.domains[2]?.findings.map((f) => f.code)).toEqual(['DOMAIN_NOT_FOUND']);
  });

  it('moves the threshold with --fail-on', async () => {
    expect((await runInProcess(['check', 'mx-none.test', ...dnsArgs(), '--fail-on', 'never'])).code).toBe(0);
    expect((await runInProcess(['check', 'mx-multi.test', ...dnsArgs(), '--fail-on', 'error', '--format', 'json'])).code).toBe(1);
    const warnOnly = await runInProcess(['check', 'mx-dnssec.test', ...dnsArgs(), '--fail-on', 'warning', '--format', 'json']);
    const doc = JSON.parse(warnOnly.stdout) as Doc;
    const severities = new Set(doc.domains[0]?.findings.map((f) => f.severity));
    expect(warnOnly.code).toBe(severities.has('error') || severities.has('warning') ? 1 : 0);
  });

  it('renders the table with one row per domain and the findings with fixes', async () => {
    const r = await runInProcess(['check', 'ready.test', 'mx-none.test', ...dnsArgs()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/│ ready\.test\s+│ ready\s+│ 100\s+│/);
    expect(r.stdout).toMatch(/│ mx-none\.test\s+│ not-ready/);
    expect(r.stdout).toContain('MX_MISSING');
    expect(r.stdout).toContain('fix: Publish MX 0 mx-none-test.mail.protection.outlook.com');
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it('writes --output to a file and nothing to stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365audit-'));
    const file = join(dir, 'out.json');
    const r = await runInProcess(['check', 'ready.test', ...dnsArgs(), '--format', 'json', '--output', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect((JSON.parse(readFileSync(file, 'utf8')) as Doc).domains[0]?.grade).toBe('ready');
  });

  it('audits garbage as DOMAIN_INVALID without a stack trace', async () => {
    const r = await runInProcess(['check', 'not a domain', '192.0.2.1', ...dnsArgs(), '--format', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.domains.map((d) => d.findings.map((f) => f.code))).toEqual([['DOMAIN_INVALID'], ['DOMAIN_INVALID']]);
    expect(r.stderr).toBe('');
  });

  it.each([
    [['check', 'ready.test', '--bogus']],
    [['check']],
    [['check', 'ready.test', '--timeout', 'soon']],
    [['check', 'ready.test', '--dns-server', 'dns.google']],
    [['check', 'ready.test', '--cloud', 'mars']],
    [['check', 'ready.test', '--format', 'pdf']],
    [['check', 'ready.test', '--tenant', 'bad tenant!']],
    [['check', 'ready.test', '--selector', 'a b']],
    [['frobnicate']],
  ])('exits 2 with one line and no stack trace for %j', async (args) => {
    const r = await runInProcess(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('(Did you mean'));
    expect(lines).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a domain whose every query times out as unknown within a few seconds (--timeout 500)', async () => {
    server.setFault('allfail.test', 'timeout');
    server.setFault('*.allfail.test', 'timeout');
    const r = await runInProcess(['check', 'allfail.test', '--dns-server', server.server, '--timeout', '500', '--no-probe', '--format', 'json']);
    server.setFault('allfail.test', null);
    server.setFault('*.allfail.test', null);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.domains[0]?.grade).toBe('unknown');
    expect(r.code).toBe(1);
    // 500 ms x (2 retries + 1) x a chain of at most 2 dependent lookups, plus node start-up.
    expect(r.ms).toBeLessThan(6000);
  });

  it('prints its version and help with exit 0 (--version from the built binary)', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = await runInProcess(['check', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--dns-server');
  });

  it('on SIGINT writes the domains that finished, in input order, and exits 130', async () => {
    const names = Array.from({ length: 160 }, (_, i) => `c${i}.slowcheck.test`);
    for (const n of names) server.setLatency(n, 300);
    server.resetStats();
    // 32 at a time, 300 ms each: once the 41st has started, the second wave is in flight. Interrupt.
    const secondWave = server.nextQuery(/^c40\.slowcheck\.test /);
    const run = startInProcess(['check', ...names, ...dnsArgs(), '--format', 'json']);
    await secondWave;
    run.interrupt();
    const { code, stdout } = await run.done;
    for (const n of names) server.setLatency(n, null);
    expect(code).toBe(130);
    const doc = JSON.parse(stdout) as Doc;
    expect(doc.domains.length).toBeGreaterThanOrEqual(41);
    expect(doc.domains.length).toBeLessThan(160);
    expect(doc.domains.map((d) => d.input)).toEqual(names.slice(0, doc.domains.length));
    expect(doc.probe).toBeNull();
  });
});

describe('m365audit demo', () => {
  it('prints a table with a ready and a not-ready domain, offline', async () => {
    const r = await runInProcess(['demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/│ contoso\.example\s+│ ready\s+│/);
    expect(r.stdout).toMatch(/│ tailspin\.example\s+│ not-ready\s+│/);
    expect(r.stdout).toMatch(/│ fabrikam\.example\s+│ needs-work\s+│/);
    expect(r.stderr).toContain('127.0.0.1');
  });
});
