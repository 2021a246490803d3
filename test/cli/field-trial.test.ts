import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import type { RunInfo } from '../../src/report/run.js';
import type { ProbeResult } from '../../src/smtp/types.js';
import { VERSION } from '../../src/version.js';
import { runCli, runInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServers } from '../support/fixtures.js';
import { startHostileSmtpServer, type TestSmtpServer } from '../support/smtp-servers.js';

let server: TestDnsServer;
let smtp: TestSmtpServer;
let dir: string;
let caFile: string;
beforeAll(async () => {
  ({ dns: server, smtp, dir, caFile } = await startFixtureServers('m365audit-trial-'));
});
afterAll(async () => {
  await Promise.all([server.close(), smtp.close()]);
  await rm(dir, { recursive: true, force: true });
});

const dns = (): string[] => ['--dns-server', server.server, '--timeout', '1000', '--retries', '0'];
const probeArgs = (): string[] => ['--probe-host', `${smtp.host}:${smtp.port}`, '--tls-ca', caFile];
type Doc = { domains: DomainReport[]; probe: ProbeResult | null; run: RunInfo; summary?: { domains: number; invalid: number } };
const jsonl = (text: string): Record<string, unknown>[] => text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the submission probe in jsonl (field trial: "report of a saved jsonl says not probed")', () => {
  it('rides on the last line, and report shows it as the live run did', async () => {
    const json = join(dir, 'probe.json');
    const saved = join(dir, 'probe.jsonl');
    const live = await runInProcess(['check', 'ready.test', 'mx-none.test', ...dns(), ...probeArgs(), '--format', 'jsonl', '--output', saved]);
    expect(live.code).toBe(1);
    const lines = jsonl(readFileSync(saved, 'utf8'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).not.toHaveProperty('probe');
    expect(lines[0]).not.toHaveProperty('run');
    const probe = lines[1]?.probe as ProbeResult;
    expect(probe).toMatchObject({ host: '127.0.0.1', port: smtp.port, reachable: true, tlsVersion: 'TLSv1.3' });
    await runInProcess(['check', 'ready.test', 'mx-none.test', ...dns(), ...probeArgs(), '--format', 'json', '--output', json]);

    // Re-rendered, the saved jsonl gives the same probe as the saved document, in every format.
    const fromJsonl = JSON.parse((await runInProcess(['report', saved, '--format', 'json'])).stdout) as Doc;
    expect(fromJsonl.probe).toEqual(probe);
    expect(fromJsonl.run).toEqual(lines[1]?.run);
    expect(fromJsonl.domains.map((d) => Object.keys(d))).toEqual(lines.map((l) => Object.keys(l).filter((k) => k !== 'probe' && k !== 'run')));
    const md = (await runInProcess(['report', saved, '--format', 'markdown'])).stdout;
    expect(md).toContain('### SMTP submission probe');
    // Said once for the run, not on every row.
    expect(md.split(`127.0.0.1:${smtp.port}, TLSv1.3, AUTH LOGIN XOAUTH2`)).toHaveLength(2);
    expect(md).toContain(`SMTP submission probe (once for the run): ✅ 127.0.0.1:${smtp.port}, TLSv1.3, AUTH LOGIN XOAUTH2.`);
    expect(md).not.toContain('not probed');
    const mdJson = (await runInProcess(['report', json, '--format', 'markdown'])).stdout;
    const probeSection = (s: string): string => s.slice(s.indexOf('### SMTP submission probe'), s.lastIndexOf('\n_Audited'));
    expect(probeSection(md)).toBe(probeSection(mdJson));
    for (const format of ['table', 'html', 'csv']) {
      const out = (await runInProcess(['report', saved, '--format', format])).stdout;
      expect(out, format).toContain(`127.0.0.1:${smtp.port}`);
    }
    // And jsonl in, jsonl out: the probe stays on the last line.
    const again = jsonl((await runInProcess(['report', saved, '--format', 'jsonl'])).stdout);
    expect(again).toEqual(lines);
  });

  it('batch holds back the last report for it; every line is still one report, in input order', async () => {
    const input = 'ready.test\nnot a domain\nmx-none.test\n';
    const r = await runInProcess(['batch', '-', ...dns(), ...probeArgs(), '--format', 'jsonl'], { input });
    const lines = jsonl(r.stdout);
    expect(lines.map((l) => l.input)).toEqual(['ready.test', 'not a domain', 'mx-none.test']);
    expect(lines.map((l) => 'probe' in l)).toEqual([false, false, true]);
    expect((lines[2]?.probe as ProbeResult).reachable).toBe(true);
    expect((lines[2]?.run as RunInfo).options?.probe).toBe(`127.0.0.1:${smtp.port}`);
    expect(r.stderr).toContain(`probe 127.0.0.1:${smtp.port}: reachable`);
  });

  it('a run without a probe says so: probe null on the last line', async () => {
    const r = await runInProcess(['batch', '-', ...dns(), '--no-probe', '--format', 'jsonl'], { input: 'ready.test\n' });
    const [line] = jsonl(r.stdout);
    expect(line?.probe).toBeNull();
    expect((line?.run as RunInfo).options?.probe).toBeNull();
  });
});

describe('mxProbe never says reachable beside SMTP_UNREACHABLE', () => {
  it('a 554 greeting after a TCP connect: reachable false, in JSON and in every format', async () => {
    const refusing = await startHostileSmtpServer('refuse-session');
    try {
      const r = await runInProcess(['check', 'probe-mx.test', ...dns(), '--no-probe', '--probe-mx', '--probe-mx-port', String(refusing.port), '--format', 'json']);
      const mx = (JSON.parse(r.stdout) as Doc).domains[0]?.mxProbe;
      expect(mx?.findings.map((f) => f.code)).toEqual(['SMTP_UNREACHABLE']);
      expect(mx?.reachable).toBe(false);
      expect(mx?.timing.connectMs).not.toBeNull();
      expect(mx?.banner).toMatch(/^554 /);
      const saved = join(dir, 'refused.json');
      writeFileSync(saved, r.stdout);
      const md = (await runInProcess(['report', saved, '--format', 'markdown'])).stdout;
      expect(md).toMatch(/ {2}- Reachable: no; banner: `554 /);
      const table = (await runInProcess(['report', saved, '--format', 'table'])).stdout;
      expect(table).toContain(`✗ mx.probe-mx.test:${refusing.port} SMTP_UNREACHABLE`);
      const csv = parse((await runInProcess(['report', saved, '--format', 'csv'])).stdout) as string[][];
      expect(csv[1]?.[csv[0]!.indexOf('smtp_probe')]).toBe(`fail: mx.probe-mx.test:${refusing.port} SMTP_UNREACHABLE`);
      const html = (await runInProcess(['report', saved, '--format', 'html'])).stdout;
      expect(html).toContain('<dt>Reachable</dt><dd>no</dd>');
      // In the details of the domain, not on the table's rows only.
      expect(html).toMatch(/<details id="d1">.*SMTP probe of the MX host/s);
    } finally {
      await refusing.close();
    }
  });
});

describe('the audit trail', () => {
  it('json: run with times, version, resolvers and the options; auditedAt per domain', async () => {
    const before = new Date().toISOString();
    const r = await runInProcess(['check', 'ready.test', 'not a domain', ...dns(), ...probeArgs(), '--tenant', 'contoso', '--selector', 's1', '--format', 'json']);
    const after = new Date().toISOString();
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.run).toEqual({
      startedAt: expect.any(String), finishedAt: expect.any(String), version: VERSION, resolvers: [server.server],
      options: { cloud: null, tenant: 'contoso', selectors: ['s1'], probe: `127.0.0.1:${smtp.port}`, probeMx: null, timeoutMs: 1000, retries: 0 },
      complete: true, rowsRead: 2, rowsReported: 2,
    });
    const { startedAt, finishedAt } = doc.run as { startedAt: string; finishedAt: string };
    expect(startedAt >= before && finishedAt <= after && startedAt <= finishedAt).toBe(true);
    for (const d of doc.domains) expect(d.auditedAt !== null && d.auditedAt >= startedAt && d.auditedAt <= finishedAt, d.input).toBe(true);
    for (const t of [startedAt, finishedAt, ...doc.domains.map((d) => d.auditedAt)]) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('csv has audited_at; table, markdown and html end with the run line; report re-renders the saved one', async () => {
    const saved = join(dir, 'trail.json');
    await runInProcess(['batch', '-', ...dns(), '--no-probe', '--cloud', 'worldwide', '--format', 'json', '--output', saved], { input: 'ready.test\nmx-none.test\n' });
    const doc = JSON.parse(readFileSync(saved, 'utf8')) as Doc;
    const line = `Audited ${doc.run.startedAt} to ${doc.run.finishedAt}; m365audit ${VERSION}; resolver ${server.server}; cloud worldwide; no submission probe; DNS timeout 1000 ms, 0 retries.`;
    const table = (await runInProcess(['report', saved, '--format', 'table'])).stdout;
    expect(table.trimEnd().split('\n').pop()).toBe(line);
    const md = (await runInProcess(['report', saved, '--format', 'markdown'])).stdout;
    expect(md.trimEnd().split('\n').pop()).toBe(`_${line.replace(/[()]/g, '\\$&')}_`);
    const html = (await runInProcess(['report', saved, '--format', 'html'])).stdout;
    expect(html).toContain(`<p class="run">${line}</p>`);
    const csv = parse((await runInProcess(['report', saved, '--format', 'csv'])).stdout) as string[][];
    expect(csv.slice(1).map((row) => row[csv[0]!.indexOf('audited_at')])).toEqual(doc.domains.map((d) => d.auditedAt));
    expect((JSON.parse((await runInProcess(['report', saved, '--format', 'json'])).stdout) as Doc).run).toEqual(doc.run);
  });

  it('report of a jsonl without its last line rebuilds the times from auditedAt', async () => {
    const r = await runInProcess(['batch', '-', ...dns(), '--no-probe', '--format', 'jsonl'], { input: 'ready.test\nmx-none.test\nmx-other.test\n' });
    const lines = r.stdout.trimEnd().split('\n');
    const cut = lines.slice(0, 2).join('\n');
    const rows = lines.slice(0, 2).map((l) => JSON.parse(l) as DomainReport);
    const doc = JSON.parse((await runInProcess(['report', '-', '--format', 'json'], { input: cut })).stdout) as Doc;
    const times = rows.map((x) => x.auditedAt).sort();
    // Without its last line the file is known to be cut short: not complete, two reports.
    expect(doc.run).toEqual({ startedAt: times[0], finishedAt: times[1], version: null, resolvers: null, options: null, reconstructed: true, complete: false, rowsRead: null, rowsReported: 2 });
    expect(doc.probe).toBeNull();
    const table = (await runInProcess(['report', '-', '--format', 'table'], { input: cut })).stdout;
    expect(table.trimEnd().split('\n').pop()).toBe(`Audited ${times[0]} to ${times[1]} (from the reports' auditedAt; the run's version, resolvers and options were not saved). Incomplete: the file has no run line (its last line), so rows may be missing (2 rows in the file).`);
  });
});

describe('a domain whose lookups failed', () => {
  it('has score null in JSON, ? in the table, and report of the saved run works in every format', async () => {
    server.setFault('ready.test', 'servfail');
    server.setFault('*.ready.test', 'servfail');
    try {
      const r = await runInProcess(['check', 'ready.test', ...dns(), '--no-probe', '--format', 'json']);
      const doc = JSON.parse(r.stdout) as Doc;
      const d = doc.domains[0]!;
      expect(d).toMatchObject({ grade: 'unknown', score: null });
      expect(d.findings.map((f) => f.code)).toEqual(['DNS_TEMPFAIL']);
      expect(d.findings[0]?.evidence).toMatch(/^ready\.test (MX|TXT|CNAME), .*: ESERVFAIL$/);
      const saved = join(dir, 'unknown.json');
      writeFileSync(saved, r.stdout);
      for (const format of ['table', 'json', 'jsonl', 'csv', 'markdown', 'html']) {
        const out = await runInProcess(['report', saved, '--format', format]);
        expect(out.stderr, format).toBe('');
        expect(out.code, format).toBe(1);
      }
      const table = (await runInProcess(['report', saved])).stdout;
      expect(table).toMatch(/│ ready\.test │ unknown │ \? +│/);
    } finally {
      server.setFault('ready.test', null);
      server.setFault('*.ready.test', null);
    }
  });
});

describe('echoed input is cut to 256 characters (field trial: 100,000 characters became 1.4 MB)', () => {
  it.each(['table', 'json', 'jsonl', 'csv', 'markdown', 'html'])('%s', async (format) => {
    const line = `${'x'.repeat(100_000)}.example`;
    const r = await runInProcess(['batch', '-', ...dns(), '--no-probe', '--format', format], { input: `${line}\nnot a domain\n` });
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBeLessThan(25_000);
    expect(r.stdout).toContain(`${'x'.repeat(255)}…`);
    expect(r.stdout).not.toContain('x'.repeat(256));
    if (format === 'json') expect((JSON.parse(r.stdout) as Doc).domains[0]).toMatchObject({ inputLength: 100_008, domain: null });
  });

  it('csv gives the whole length of a cut input in input_length (empty otherwise), in both --csv-rows modes', async () => {
    const line = `${'x'.repeat(100_000)}.example`;
    for (const rows of ['domains', 'findings']) {
      const r = await runInProcess(['batch', '-', ...dns(), '--no-probe', '--format', 'csv', '--csv-rows', rows], { input: `${line}\nready.test\n` });
      const csv = parse(r.stdout) as string[][];
      const head = csv[0] ?? [];
      // After audited_at: the columns before it keep their places.
      expect(head.indexOf('input_length'), rows).toBe(head.indexOf('audited_at') + 1);
      const byInput = csv.slice(1).map((row) => [row[head.indexOf('input')], row[head.indexOf('input_length')]]);
      expect(new Set(byInput.map((x) => x.join(' '))), rows).toEqual(new Set([`${'x'.repeat(255)}… 100008`, 'ready.test ']));
    }
    // And report of the saved run gives the same column.
    const saved = join(dir, 'cut.jsonl');
    await runInProcess(['batch', '-', ...dns(), '--no-probe', '--format', 'jsonl', '--output', saved], { input: `${line}\n` });
    const again = parse((await runInProcess(['report', saved, '--format', 'csv'])).stdout) as string[][];
    expect(again[1]?.[again[0]!.indexOf('input_length')]).toBe('100008');
  });

  it('cuts CSV columns carried into the report (meta) the same way', async () => {
    const r = await runInProcess(['batch', '-', ...dns(), '--no-probe', '--format', 'json'], { input: `domain,note\nready.test,${'n'.repeat(50_000)}\n` });
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.domains[0]?.meta).toEqual({ note: `${'n'.repeat(255)}…` });
  });
});

describe('garbage rows are counted apart from not-ready', () => {
  it('in the batch summary of every format', async () => {
    const input = 'ready.test\nmx-none.test\nnot a domain\n';
    const doc = JSON.parse((await runInProcess(['batch', '-', ...dns(), '--no-probe', '--format', 'json'], { input })).stdout) as Doc & { summary: { grades: Record<string, number> } };
    expect(doc.summary).toMatchObject({ domains: 3, invalid: 1, grades: { ready: 1, 'not-ready': 1, unknown: 0, 'needs-work': 0 } });
    const table = (await runInProcess(['batch', '-', ...dns(), '--no-probe'], { input })).stdout;
    expect(table).toContain('Summary: 3 rows: 2 domains (1 ready, 0 needs-work, 1 not-ready, 0 unknown) and 1 invalid row (not a domain name)\n');
    const md = (await runInProcess(['batch', '-', ...dns(), '--no-probe', '--format', 'markdown'], { input })).stdout;
    expect(md).toContain('\n3 rows: 2 domains (1 ready, 0 needs work, 1 not ready, 0 unknown) and 1 invalid row (not a domain name).\n');
    const html = (await runInProcess(['batch', '-', ...dns(), '--no-probe', '--format', 'html'], { input })).stdout;
    const counts = [...html.matchAll(/<li><span class="n">(\d+)<\/span>(?:<span class="badge grade-([a-z-]+)">)?([A-Za-z ]+)/g)].map((m) => [m[2] ?? m[3], Number(m[1])]);
    expect(counts).toEqual([['rows', 3], ['ready', 1], ['needs-work', 0], ['unknown', 0], ['not-ready', 1], ['invalid', 1]]);
    const one = (await runInProcess(['batch', '-', ...dns(), '--no-probe'], { input: 'ready.test\n' })).stdout;
    expect(one).toContain('Summary: 1 domain: 1 ready, 0 needs-work, 0 not-ready, 0 unknown\n');
  });
});

describe('batch writes every format as a stream', () => {
  const N = 3000;
  const input = Array.from({ length: N }, (_, i) => (i % 3 === 2 ? `bad row ${i}` : i % 3 === 1 ? 'mx-none.test' : 'ready.test')).join('\n');

  it.each(['json', 'html', 'csv', 'markdown', 'table'])('%s: one entry per row, and the whole output parses', async (format) => {
    const out = join(dir, `stream.${format}`);
    const r = await runInProcess(['batch', '-', ...dns(), '--no-probe', '--concurrency', '64', '--format', format, '--output', out], { input, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const text = readFileSync(out, 'utf8');
    if (format === 'json') {
      const doc = JSON.parse(text) as Doc;
      expect(doc.domains.map((d) => d.input)).toEqual(input.split('\n'));
      expect(doc.summary).toMatchObject({ domains: N, invalid: N / 3 });
    } else if (format === 'csv') {
      expect((parse(text) as string[][]).slice(1).map((x) => x[1])).toEqual(input.split('\n'));
    } else if (format === 'html') {
      expect(text.match(/<details id="d\d+">/g)).toHaveLength(N);
      expect(text.match(/<tr><th>/g)).toHaveLength(N);
      expect(text.endsWith('</html>\n')).toBe(true);
    } else if (format === 'markdown') {
      expect(text.split('\n').filter((l) => l.startsWith('| ')).length).toBe(N + 2);
    } else {
      expect(text.split('\n').filter((l) => l.startsWith('│ ')).length).toBe(N + 1);
      expect(text).toContain(`Summary: ${N} rows: ${(2 * N) / 3} domains (`);
    }
  }, 60_000);
});

describe('probe --format json is written by the safe JSON writer', () => {
  it('escapes U+202E, U+009B and zero-width characters of a hostile banner', async () => {
    // A raw server: smtp-server would clean the greeting itself. U+009B is sent as UTF-8 (C2 9B), as the probe decodes.
    const banner = '220 evil \u202eesrever\u202c \u009b31m red \u200b\u200d\u2060\ufeff\u061c\u2066 hidden';
    const raw = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.write(Buffer.from(`${banner}\r\n`, 'utf8'));
      socket.on('data', () => socket.end('421 4.3.2 closing\r\n'));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = raw.address() as AddressInfo;
      const r = await runInProcess(['probe', `127.0.0.1:${port}`, '--timeout', '2000', '--format', 'json']);
      expect(r.stdout).not.toMatch(/[\u0080-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/);
      for (const escaped of ['\\u202e', '\\u009b', '\\u200b', '\\u2066', '\\ufeff']) expect(r.stdout).toContain(escaped);
      expect((JSON.parse(r.stdout) as ProbeResult).banner).toBe(banner);
    } finally {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it('explain --format json too', async () => {
    const r = await runInProcess(['explain', '5.7.139', '--format', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { explanations: unknown[] }).explanations).toHaveLength(1);
  });
});

describe('the built binary', () => {
  it('report finds the schema from dist/ too: a good saved run renders, a bad one is one line, exit 2', async () => {
    const saved = join(dir, 'smoke.jsonl');
    await runInProcess(['check', 'ready.test', ...dns(), '--no-probe', '--format', 'jsonl', '--output', saved]);
    const good = await runCli(['report', saved, '--format', 'markdown']);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('| ready.test | Ready | ✅ M365 | ✅ ok | ✅ ok | ✅ p=reject |');
    const line = JSON.parse(readFileSync(saved, 'utf8')) as Record<string, unknown>;
    writeFileSync(saved, JSON.stringify({ ...line, tenant: 5 }));
    const bad = await runCli(['report', saved]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`m365audit: ${saved} is not a saved m365audit run: line 1: tenant must be string or null\n`);
  });
});
