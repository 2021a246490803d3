import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

/**
 * The hostile zone set (fixtures/hostile) through the real binary, with the
 * DNS server dropping 30% of UDP queries. Nothing may crash, no row may be
 * lost, and no control character may reach any output format.
 */
const HOSTILE_DOMAINS = [
  'inject.test', 'big.hostile.test', 'cname.hostile.test', 'spfloop.hostile.test', 'fanout.hostile.test',
  'redirect.hostile.test', 'long.hostile.test', 'keys.hostile.test', 'bytes.hostile.test',
];
const INPUTS = [
  ...HOSTILE_DOMAINS,
  'ready.test',
  'not a domain',
  'https://inject.test/<script>',
  'postmaster@big.hostile.test',
  '192.0.2.1',
  `${'x'.repeat(300)}.example`,
  'bücher.example',
  'evil\u0007bell.test',
  '\u202eevil.test',
  '=cmd|calc.test',
  'ready.test',
];

const TIMEOUT_MS = 500;
const RETRIES = 2;
/**
 * The longest chain of lookups that wait on each other in one audit: MX then
 * its address, or a selector CNAME then its key (2); the SPF tree, at most
 * 10 DNS-querying terms deep plus the record itself (11); the DMARC tree
 * walk and the report-authorization lookup (3).
 */
const LONGEST_CHAIN = 16;
const STARTUP_SLACK_MS = 5000;

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let server: TestDnsServer;
let dir: string;
let list: string;
beforeAll(async () => {
  server = await startFixtureServer({ dirs: ['zones', 'hostile'], seed: 30 });
  dir = mkdtempSync(join(tmpdir(), 'm365audit-hostile-'));
  list = join(dir, 'hostile.txt');
  writeFileSync(list, `\uFEFF${INPUTS.join('\r\n')}\r\n`);
});
afterAll(() => server.close());

const dnsArgs = () => ['--dns-server', server.server, '--timeout', String(TIMEOUT_MS), '--retries', String(RETRIES), '--no-probe'];

interface Row { input: string; domain: string | null; grade: string; findings: { code: string; severity: string }[] }

describe('batch over the hostile zones with 30% query loss', () => {
  let jsonl = '';
  let code: number | null = null;
  let ms = 0;
  beforeAll(async () => {
    server.setDropRate(0.3);
    const r = await runInProcess(['batch', list, ...dnsArgs(), '--format', 'jsonl', '--concurrency', '8'], { timeoutMs: 120_000 });
    server.setDropRate(0);
    jsonl = r.stdout;
    code = r.code;
    ms = r.ms;
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('gives exactly one row per input line, in order', () => {
    const rows = jsonl.trimEnd().split('\n').map((l) => JSON.parse(l) as Row);
    // Echoed input is cut to 256 characters (the last one …), its length kept in inputLength.
    expect(rows.map((r) => r.input)).toEqual(INPUTS.map((i) => (i.length > 256 ? `${i.slice(0, 255)}…` : i)));
    for (const r of rows) expect(['ready', 'needs-work', 'unknown', 'not-ready']).toContain(r.grade);
    const invalid = rows.filter((r) => r.domain === null).map((r) => r.input);
    expect(invalid).toEqual(['not a domain', '192.0.2.1', `${'x'.repeat(255)}…`, 'evil\u0007bell.test', '\u202eevil.test', '=cmd|calc.test']);
  });

  it('exits 0 or 1, never 3 and never by a signal', () => {
    expect([0, 1]).toContain(code);
  });

  it('finishes within timeout x (retries + 1) x the longest dependency chain', () => {
    expect(ms).toBeLessThan(TIMEOUT_MS * (RETRIES + 1) * LONGEST_CHAIN + STARTUP_SLACK_MS);
  });

  it.each(['table', 'json', 'csv', 'markdown', 'text', 'jsonl', 'html'])('lets no control character into %s output', async (format) => {
    const saved = join(dir, 'saved.jsonl');
    writeFileSync(saved, jsonl);
    const r = await runInProcess(['report', saved, '--format', format]);
    expect([0, 1]).toContain(r.code);
    expect(r.stdout.length).toBeGreaterThan(0);
    const text = format === 'csv' || format === 'table' || format === 'markdown' || format === 'text' ? r.stdout.replace(/\r\n/g, '\n') : r.stdout;
    expect(text).not.toMatch(CONTROL);
    if (format === 'csv') expect((parse(r.stdout) as string[][]).length).toBe(INPUTS.length + 1);
  });

  it('lets no control character into the live table either', async () => {
    const r = await runInProcess(['batch', list, ...dnsArgs(), '--concurrency', '8']);
    expect([0, 1]).toContain(r.code);
    expect(r.stdout).not.toMatch(CONTROL);
    expect(r.stdout).toMatch(/Summary: 20 rows: \d+ domains \(/);
  });
});

describe('hostile zones, no loss', () => {
  async function check(domain: string): Promise<Row & Record<string, unknown>> {
    const r = await runInProcess(['check', domain, ...dnsArgs(), '--format', 'json']);
    expect([0, 1]).toContain(r.code);
    return (JSON.parse(r.stdout) as { domains: (Row & Record<string, unknown>)[] }).domains[0]!;
  }

  it('keeps escapes in records as data: the JSON carries them escaped, findings name them', async () => {
    const r = await check('inject.test');
    const json = JSON.stringify(r);
    expect(json).toContain('\\u001b[2J');
    expect(r.findings.map((f) => f.code)).toContain('MSOID_PRESENT');
  });

  it('reads a 4,000-byte record and 100 TXT records at one name (over TCP), keeping the record cut at 2,048 characters', async () => {
    server.resetStats();
    const r = await check('big.hostile.test');
    const record = String((r.spf as { record: string }).record);
    expect(record).toMatch(/^v=spf1 ip4:198\.51\.100\.0\/32 .*… \[cut: 4\d{3} characters\]$/);
    expect(record.length).toBeLessThan(2048 + 40);
    expect(r.findings.map((f) => f.code)).toContain('DMARC_MULTIPLE');
    expect(server.stats().tcpQueries).toBeGreaterThanOrEqual(2);
  });

  it('ends CNAME loops and a chain of 20 without hanging', async () => {
    const t0 = Date.now();
    const r = await check('cname.hostile.test');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.domain).toBe('cname.hostile.test');
  });

  it('reads 63-character labels', async () => {
    const r = await check('long.hostile.test');
    expect((r.mx as { hosts: { exchange: string }[] }).hosts[0]?.exchange).toBe(`${'a'.repeat(63)}.long.hostile.test`);
  });
});

describe('faults', () => {
  const cases = [
    ['timeout', 'ETIMEOUT'],
    ['servfail', 'ESERVFAIL'],
    ['refused', 'EREFUSED'],
    ['truncate-no-tcp', null],
  ] as const;
  it.each(cases)('a %s at the apex TXT is DNS_TEMPFAIL and unknown, never missing, after retries', async (fault, errCode) => {
    server.setFault('ready.test', fault, 'TXT');
    server.resetStats();
    const r = await runInProcess(['check', 'ready.test', ...dnsArgs(), '--format', 'json']);
    server.setFault('ready.test', null, 'TXT');
    const d = (JSON.parse(r.stdout) as { domains: Row[] }).domains[0]!;
    const codes = d.findings.map((f) => f.code);
    expect(codes).toContain('DNS_TEMPFAIL');
    expect(codes).not.toContain('SPF_MISSING');
    expect(codes).not.toContain('VERIFICATION_TXT_ABSENT');
    expect(d.grade).toBe('unknown');
    if (errCode) expect(JSON.stringify(d.findings)).toContain(`ready.test TXT: ${errCode}`);
    expect(server.stats().perQuery.get('ready.test TXT')).toBe(RETRIES + 1);
  });

  it('a 2-second answer with --timeout 500 is a tempfail, --retries 0 asks once', async () => {
    server.setLatency('_dmarc.ready.test', 2000);
    server.resetStats();
    const t0 = Date.now();
    const r = await runInProcess(['check', 'ready.test', '--dns-server', server.server, '--timeout', '500', '--retries', '0', '--no-probe', '--format', 'json']);
    server.setLatency('_dmarc.ready.test', null);
    const d = (JSON.parse(r.stdout) as { domains: Row[] }).domains[0]!;
    expect(d.grade).toBe('unknown');
    expect(d.findings.map((f) => f.code)).not.toContain('DMARC_MISSING');
    expect(server.stats().perQuery.get('_dmarc.ready.test TXT')).toBe(1);
    expect(Date.now() - t0).toBeLessThan(4000);
  });
});

describe('input files', () => {
  it('an empty file is a usage error (exit 2), not a crash', async () => {
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '\uFEFF\r\n# nothing\r\n');
    const r = await runInProcess(['batch', empty, ...dnsArgs()]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('streams a very large file with flat memory: 200,000 lines, one row each', async () => {
    const big = join(dir, 'big.txt');
    // Invalid names need no DNS: this measures the streaming path alone.
    writeFileSync(big, Array.from({ length: 200_000 }, (_, i) => `not a domain ${i}`).join('\n'));
    const r = await runInProcess(['batch', big, '--format', 'jsonl', '--stats', '--no-probe', '--output', join(dir, 'big.jsonl'), '--dns-server', server.server], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(readFileSync(join(dir, 'big.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(200_000);
    const rss = Number(/peak RSS (\d+) MiB/.exec(r.stderr)?.[1]);
    expect(rss).toBeLessThan(200);
    // At the default concurrency (64) the rows at once are not paced (src/audit/pace.ts): the --stats line has no such words.
    expect(r.stderr).toMatch(/ms a domain; DNS window /);
  }, 120_000);
});
