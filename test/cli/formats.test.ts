import { reachability } from '../../src/smtp/reachability.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { createRunProber } from '../../src/cli/probe-options.js';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import { reachableFact } from '../../src/report/probe-summary.js';
import { runInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServers } from '../support/fixtures.js';
import type { TestSmtpServer } from '../support/smtp-servers.js';

let server: TestDnsServer;
let smtp: TestSmtpServer;
let dir: string;
let caFile: string;
beforeAll(async () => {
  ({ dns: server, smtp, dir, caFile } = await startFixtureServers('m365audit-formats-'));
});
afterAll(() => Promise.all([server.close(), smtp.close()]));

const dns = () => ['--dns-server', server.server, '--timeout', '1000', '--retries', '0'];
const DOMAINS = ['ready.test', 'mx-none.test', 'not a domain'];

interface Probe { host: string; port: number; reachable: boolean; tlsVersion: string | null; findings: { code: string; severity: string }[] }

describe('output formats of check', () => {
  it('markdown: a readiness table with one row per domain and findings per domain', async () => {
    const r = await runInProcess(['check', ...DOMAINS, ...dns(), '--no-probe', '--format', 'markdown']);
    expect(r.code).toBe(1);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| '));
    expect(rows).toHaveLength(DOMAINS.length + 2);
    expect(rows[2]).toBe('| ready.test | Ready | ✅ M365 | ✅ ok | ✅ ok | ✅ p=reject |');
    expect(rows[3]).toMatch(/^\| mx-none\.test \| Not ready \| ❌ missing \|/);
    expect(rows[4]).toBe('| not a domain | Invalid | — | — | — | — |');
    expect(r.stdout).toContain('### mx-none.test: Not ready (score ');
    expect(r.stdout).toContain('- ❌ `MX_MISSING` (error): ');
  });

  it('csv: one row per domain with a findings column; one per finding on request', async () => {
    const r = await runInProcess(['check', ...DOMAINS, ...dns(), '--no-probe', '--format', 'csv']);
    const rows = parse(r.stdout) as string[][];
    expect(rows.map((x) => x[0])).toEqual(['domain', 'ready.test', 'mx-none.test', '']);
    expect(rows[3]?.[rows[0]!.indexOf('findings')]).toBe('DOMAIN_INVALID');
    const perFinding = parse((await runInProcess(['check', 'mx-none.test', ...dns(), '--no-probe', '--format', 'csv', '--csv-rows', 'findings'])).stdout) as string[][];
    expect(perFinding.slice(1).map((x) => x[4])).toContain('MX_MISSING');
  });

  it('jsonl: one report a line and nothing else on stdout', async () => {
    const r = await runInProcess(['check', ...DOMAINS, ...dns(), '--no-probe', '--format', 'jsonl']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => (JSON.parse(l) as { input: string }).input)).toEqual(DOMAINS);
  });
});

describe('the SMTP probe in check', () => {
  it('probes --probe-host once, trusting --tls-ca, shown in JSON and not deducted from scores', async () => {
    const r = await runInProcess(['check', 'ready.test', 'mx-none.test', ...dns(), '--probe-host', `${smtp.host}:${smtp.port}`, '--tls-ca', caFile, '--format', 'json']);
    const doc = JSON.parse(r.stdout) as { domains: { score: number }[]; probe: Probe };
    expect(doc.probe).toMatchObject({ host: '127.0.0.1', port: smtp.port, reachable: true, tlsVersion: 'TLSv1.3' });
    expect(doc.probe.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(doc.domains[0]?.score).toBe(100);
    expect(smtp.commands().filter((c) => c === 'EHLO')).toHaveLength(2);
  });

  it('an unreachable submission endpoint makes the exit code 1 but leaves the grade alone', async () => {
    const r = await runInProcess(['check', 'ready.test', ...dns(), '--probe-host', '127.0.0.1:9', '--probe-timeout', '1000', '--format', 'json']);
    const doc = JSON.parse(r.stdout) as { domains: { grade: string }[]; probe: Probe };
    expect(doc.probe.reachable).toBe(false);
    expect(doc.probe.findings.map((f) => f.code)).toContain('SMTP_UNREACHABLE');
    expect(doc.domains[0]?.grade).toBe('ready');
    expect(r.code).toBe(1);
  });

  it('--probe-mx probes the MX host at the address the audit resolved', async () => {
    const r = await runInProcess(['check', 'probe-mx.test', ...dns(), '--no-probe', '--probe-mx', '--probe-mx-port', String(smtp.port), '--insecure', '--format', 'json']);
    const doc = JSON.parse(r.stdout) as { domains: { mxProbe?: Probe }[] };
    expect(doc.domains[0]?.mxProbe).toMatchObject({ host: 'mx.probe-mx.test', port: smtp.port, reachable: true });
    expect(doc.domains[0]?.mxProbe?.findings.map((f) => f.code)).toContain('SMTP_TLS_CERT_INVALID');
  });

  it('--probe-mx does not open a socket (or ask the system resolver) for an MX host without an address', async () => {
    const r = await runInProcess(['check', 'mx-unresolved.test', ...dns(), '--no-probe', '--probe-mx', '--format', 'json']);
    const doc = JSON.parse(r.stdout) as { domains: { mxProbe?: Probe & { timing: { connectMs: number | null } } }[] };
    const probe = doc.domains[0]?.mxProbe;
    expect(probe).toMatchObject({ host: 'mx-unresolved-test.mail.protection.outlook.com', port: 25, reachable: false, banner: null });
    expect(probe?.timing.connectMs).toBeNull();
    expect(probe?.findings).toHaveLength(1);
    expect(probe?.findings[0]).toMatchObject({ code: 'SMTP_UNREACHABLE', evidence: 'A: NXDOMAIN; AAAA: NXDOMAIN' });
    expect(r.code).toBe(1);
  });

  it('--probe-mx says DNS_TEMPFAIL, not unreachable, when the MX host\'s address lookup fails', async () => {
    server.setFault('mx.probe-mx.test', 'servfail', 'A');
    try {
      const r = await runInProcess(['check', 'probe-mx.test', ...dns(), '--no-probe', '--probe-mx', '--probe-mx-port', String(smtp.port), '--format', 'json']);
      const doc = JSON.parse(r.stdout) as { domains: { mxProbe?: Probe & { timing: { connectMs: number | null } } }[] };
      const probe = doc.domains[0]?.mxProbe;
      expect(probe?.timing.connectMs).toBeNull();
      expect(probe?.findings).toEqual([
        expect.objectContaining({ code: 'DNS_TEMPFAIL', evidence: 'mx.probe-mx.test A: ESERVFAIL', message: `mx.probe-mx.test:${smtp.port} was not probed: the A lookup for it failed (servfail).` }),
      ]);
    } finally {
      server.setFault('mx.probe-mx.test', null, 'A');
    }
  });

  it('--probe-mx asks again after a failed lookup: the next domain with that MX host is probed', async () => {
    const prober = await createRunProber({ probe: false, probeMx: true, probeMxPort: smtp.port, probeTimeout: 2000 });
    const report = (): DomainReport => ({ mx: { m365Host: 'mx.shared.test', hosts: [] } }) as unknown as DomainReport;
    const first = report();
    await prober.attachMx({ dns: createMemoryDnsClient({ 'mx.shared.test': { servfail: true } }) }, first);
    expect(first.mxProbe?.findings.map((f) => f.code)).toEqual(['DNS_TEMPFAIL']);
    expect(first.mxProbe && [reachability(first.mxProbe), reachableFact(first.mxProbe)]).toEqual(['not probed', 'not probed (DNS lookup failed)']);
    const second = report();
    await prober.attachMx({ dns: createMemoryDnsClient({ 'mx.shared.test': { A: ['127.0.0.1'] } }) }, second);
    expect(second.mxProbe).toMatchObject({ host: 'mx.shared.test', reachable: true });
    expect(second.mxProbe?.findings.map((f) => f.code)).not.toContain('DNS_TEMPFAIL');
  });
});

describe('m365audit report', () => {
  it('re-renders a saved JSON run and a saved JSONL run without DNS', async () => {
    const json = join(dir, 'run.json');
    const jsonl = join(dir, 'run.jsonl');
    await runInProcess(['check', ...DOMAINS, ...dns(), '--no-probe', '--format', 'json', '--output', json]);
    await runInProcess(['check', ...DOMAINS, ...dns(), '--no-probe', '--format', 'jsonl', '--output', jsonl]);
    const md = await runInProcess(['report', json, '--format', 'markdown']);
    expect(md.code).toBe(1);
    expect(md.stdout.split('\n').filter((l) => l.startsWith('| '))).toHaveLength(5);
    const csv = await runInProcess(['report', jsonl, '--format', 'csv']);
    expect((parse(csv.stdout) as string[][]).map((x) => x[1])).toEqual(['input', ...DOMAINS]);
    const again = await runInProcess(['report', '-', '--format', 'json'], { input: readFileSync(json, 'utf8') });
    expect((JSON.parse(again.stdout) as { domains: unknown[] }).domains).toEqual((JSON.parse(readFileSync(json, 'utf8')) as { domains: unknown[] }).domains);
  });

  it.each([
    ['{"not":"a run"}', 'not a saved m365audit run'],
    ['{"domains":[{"input":"x"}]}', 'schemaVersion is missing'],
    ['garbage\n', 'line 1 is not JSON'],
    ['', 'empty'],
  ])('refuses %j with one line and exit 2', async (input, message) => {
    const r = await runInProcess(['report', '-'], { input });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });
});

describe('m365audit report on an edited file', () => {
  async function savedJson(): Promise<{ domains: Record<string, unknown>[] } & Record<string, unknown>> {
    const r = await runInProcess(['check', 'ready.test', 'mx-none.test', ...dns(), '--no-probe', '--format', 'json']);
    return JSON.parse(r.stdout) as { domains: Record<string, unknown>[] } & Record<string, unknown>;
  }

  // The field trial's edits: each crashed `report` with exit 3 (s.replace is not a function) before saved runs were validated.
  const edits: [string, (doc: { domains: Record<string, unknown>[] } & Record<string, unknown>) => void, string][] = [
    ['tenant: 5', (d) => (d.domains[0]!.tenant = 5), 'domains[0].tenant must be string or null'],
    ['severity: "critical"', (d) => ((d.domains[1]!.findings as Record<string, unknown>[])[0]!.severity = 'critical'), 'domains[1].findings[0].severity must be one of "error", "warning", "info"'],
    ['probe: "x"', (d) => (d.probe = 'x'), 'probe must be null, object or array'],
    ['notes: [null]', (d) => (d.domains[0]!.notes = [null]), 'domains[0].notes[0] must be string'],
    ['a section of the wrong shape', (d) => (d.domains[0]!.dkim = { status: 'pass', selectors: 42 }), 'domains[0].dkim.selectors must be array'],
    ['an unknown section status', (d) => (d.domains[0]!.mx = { status: 'bogus' }), 'domains[0].mx.status must be one of "pass", "warn", "fail", "unknown"'],
    ['a missing field', (d) => delete d.domains[0]!.findings, 'domains[0].findings is missing'],
    ['a probe without its port', (d) => (d.probe = { host: 'x' }), 'probe.port is missing'],
  ];

  it.each(edits)('refuses %s in one line naming the field, exit 2, in every format', async (_what, edit, message) => {
    const doc = await savedJson();
    edit(doc);
    for (const format of ['table', 'json', 'markdown', 'csv', 'html']) {
      const out = await runInProcess(['report', '-', '--format', format], { input: JSON.stringify(doc) });
      expect(out.code, format).toBe(2);
      expect(out.stdout).toBe('');
      expect(out.stderr).toBe(`m365audit: standard input is not a saved m365audit run: ${message}\n`);
    }
  });

  it('refuses a bad jsonl line by its number, and bounds what it repeats of the file', async () => {
    const doc = await savedJson();
    const lines = doc.domains.map((d) => JSON.stringify(d));
    const bad = { ...doc.domains[1], [`\u001b[31m${'k'.repeat(5000)}`]: 1 };
    const out = await runInProcess(['report', '-'], { input: [lines[0], JSON.stringify(bad)].join('\n') });
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/^m365audit: standard input is not a saved m365audit run: line 2: \["\\\\x1b\[31mk+…"\] is not a field the schema knows\n$/);
    expect(out.stderr.length).toBeLessThan(200);
    expect(out.stderr).not.toContain('\u001b');
  });

  it('renders facts a check may add to a section (extra fields), in every format', async () => {
    const doc = await savedJson();
    doc.domains[0]!.mx = { ...(doc.domains[0]!.mx as object), extra: { deep: { deeper: ['<b>x</b>'] } } };
    for (const format of ['table', 'markdown', 'csv', 'html']) {
      const out = await runInProcess(['report', '-', '--format', format], { input: JSON.stringify(doc) });
      expect(out.stderr).toBe('');
      expect(out.code).toBe(1);
    }
  });
});
