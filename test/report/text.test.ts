/**
 * `--format text`, for ticket systems without Markdown (Jira, ServiceNow):
 * the Markdown ticket's content as plain text, measured on the fixture
 * zones (test/report/text-fixtures.ts). Every line of prose is under 100
 * characters; a record's value stands alone on its line, whole.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { cleanText } from '../../src/report/safe-text.js';
import { recordLines, recordsToPublish } from '../../src/report/text-ticket.js';
import { renderText, TEXT_WIDTH, wrap } from '../../src/report/text.js';
import type { ProbeResult } from '../../src/smtp/types.js';
import { runInProcess } from '../support/cli.js';
import { HOSTILE_STRINGS, hostileReport } from '../support/hostile.js';
import { FIXTURE_DOMAINS, startTicketFixtures, type TicketFixtures } from './text-fixtures.js';

let fixtures: TicketFixtures;
let reports: DomainReport[];
let text: string;
beforeAll(async () => {
  fixtures = await startTicketFixtures();
  reports = fixtures.reports;
  text = renderText(reports);
}, 60_000);
afterAll(() => fixtures.close());

const width = (s: string): number => [...s].length;
/** A domain's section: from its heading line to the next domain's. */
const section = (out: string, domain: string): string[] => {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${domain}: `));
  const end = lines.findIndex((l, i) => i > start + 1 && reports.some((r) => l.startsWith(`${r.domain}: `)) && /^-+$/.test(lines[i + 1] ?? ''));
  return lines.slice(start, end === -1 ? undefined : end);
};

describe('text on the fixtures', () => {
  it('every line is under 100 characters but a record\'s value, which is a line of its own, whole', () => {
    const values = new Set(reports.flatMap((r) => recordsToPublish(r).flatMap((rec) => recordLines(rec).map(cleanText))));
    const lines = text.split('\n');
    const long = lines.filter((l) => width(l) >= TEXT_WIDTH);
    for (const l of long) expect(values.has(l), l).toBe(true);
    expect(Math.max(...lines.filter((l) => !values.has(l)).map(width))).toBeLessThan(TEXT_WIDTH);
    for (const v of values) expect(lines, v).toContain(v);
  });

  it('the table: a line a domain, six aligned columns of status words', () => {
    const lines = text.split('\n');
    const head = lines.findIndex((l) => l.startsWith('Domain '));
    const rule = lines[head + 1] as string;
    expect(rule).toMatch(/^-+( {2}-+){5}$/);
    const starts = [...rule.matchAll(/-+/g)].map((m) => m.index);
    const rows = lines.slice(head + 2, head + 2 + FIXTURE_DOMAINS.length);
    // Each domain whole, or cut with an ellipsis where it would take the line past 99 (its section has it whole).
    rows.forEach((l, i) => {
      const cell = l.split(/ {2,}/)[0] as string;
      const domain = reports[i]?.domain as string;
      expect(cell === domain || (cell.endsWith('…') && domain.startsWith(cell.slice(0, -1))), `${cell} for ${domain}`).toBe(true);
    });
    // Cut only when the whole domain would not fit: the other columns take what their words need.
    const rest = width(rule) - (starts[1] as number);
    rows.forEach((l, i) => {
      const domain = reports[i]?.domain as string;
      expect(l.startsWith(`${domain} `), domain).toBe(width(domain) + 2 + rest < TEXT_WIDTH);
    });
    for (const row of rows) for (const at of starts.slice(1)) expect(row[at - 1], row).toBe(' ');
    expect(rows.find((l) => l.startsWith('ready.test '))?.split(/ {2,}/)).toEqual(['ready.test', 'Ready', 'M365', 'ok', 'ok', 'p=reject']);
    expect(rows.find((l) => l.startsWith('mx-none.test '))?.split(/ {2,}/).slice(1, 3)).toEqual(['Not ready', 'missing']);
  });

  it('per domain the same content as the Markdown ticket: other areas, findings with fixes, records on their own lines', () => {
    const s = section(text, 'tailspin.example');
    expect(s.slice(0, 3)).toEqual(['tailspin.example: Not ready (score 0)', '-------------------------------------', 'Autodiscover missing; MTA-STS off; TLS-RPT off; DNSSEC unsigned; DANE off']);
    expect(s).toContain('- [error] MX_MISSING: tailspin.example has no MX record, so no mail can be delivered to it.');
    expect(s.some((l) => l.startsWith('    Fix: Publish MX 0 tailspin-example.mail.protection.outlook.com'))).toBe(true);
    const at = s.indexOf('Records to publish (each value on its own line, to copy as it is):');
    expect(at).toBeGreaterThan(0);
    const records = s.slice(at + 1).join('\n');
    expect(records).toContain('\nMX at tailspin.example, preference 0 (MX_MISSING):\ntailspin-example.mail.protection.outlook.com\n');
    expect(records).toContain('\nTXT at tailspin.example (SPF_ALL_PASS, SPF_NO_M365_INCLUDE):\nv=spf1 include:spf.protection.outlook.com ~all\n');
    expect(records).toContain('\nTXT at _dmarc.tailspin.example (DMARC_MISSING):\nv=DMARC1; p=none; rua=mailto:dmarc-reports@tailspin.example\n');
    // A label longer than a line is prose, and wraps; the file's lines stay whole.
    expect(records).toContain('\nPolicy file (text/plain) at https://mta-sts.tailspin.example/.well-known/mta-sts.txt\n(MTA_STS_MISSING):\nversion: STSv1\nmode: testing\nmx: *.mail.protection.outlook.com\nmax_age: 604800\n');
  });

  it('--format text through the CLI, with --title', async () => {
    const r = await runInProcess(['check', 'ready.test', 'mx-none.test', ...fixtures.args, '--format', 'text', '--title', 'Contoso migration wave 3']);
    expect(r.stdout.startsWith('Contoso migration wave 3\n========================\n\nDomain ')).toBe(true);
    expect(r.stdout).toMatch(/\nAudited \d{4}-\d\d-\d\dT/);
    expect(r.code).toBe(1);
  });
});

describe('text: the probe once, hostile text, wrapping', () => {
  it('says the submission probe once for the run, and keeps every control character out', () => {
    const probe = {
      host: 'smtp.office365.com', port: 587, tls: 'starttls', reachable: true, banner: '220 \x1b[31mready', ehlo: { beforeTls: [], afterTls: [] }, starttls: true,
      tlsVersion: 'TLSv1.3', cipher: null, certificate: null, authMechanisms: ['LOGIN'], auth: null, findings: [], timing: { connectMs: 1, bannerMs: 1, tlsMs: 1, totalMs: 3 },
    } as unknown as ProbeResult;
    const out = renderText(HOSTILE_STRINGS.map((_, i) => hostileReport(i)), probe);
    expect(out.split('smtp.office365.com:587, TLSv1.3, AUTH LOGIN')).toHaveLength(2);
    expect(out).toContain('\nSMTP submission probe (once for the run): pass, smtp.office365.com:587, TLSv1.3, AUTH LOGIN.\n');
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(out).toContain('\\x1b[31mred');
    for (const l of out.split('\n')) expect(width(l)).toBeLessThan(TEXT_WIDTH);
  });

  it('reading records from fixes is linear: a megabyte of names, quotes and half records (a saved run may hold any fix)', () => {
    const r = hostileReport(0);
    const names = 'a.'.repeat(500_000);
    const quotes = 'TXT "x '.repeat(150_000);
    r.findings = [
      { code: 'TLS_RPT_MISSING', severity: 'info', area: 'tls-rpt', message: 'x', fix: `Publish ${names}b TXT "v=TLSRPTv1; rua=mailto:t@d0.example"` },
      { code: 'DMARC_MISSING', severity: 'error', area: 'dmarc', message: 'x', fix: `${quotes}Publish TXT "v=DMARC1; p=none" at _dmarc.d0.example.` },
      { code: 'MX_MISSING', severity: 'error', area: 'mx', message: 'x', fix: `${'MX 1 '.repeat(200_000)}MX 0 d0-example.mail.protection.outlook.com` },
    ];
    const records = recordsToPublish(r);
    expect(records.map((x) => [x.type, x.name.length > 200 ? 'long' : x.name, x.value])).toEqual([
      ['TXT', 'long', 'v=TLSRPTv1; rua=mailto:t@d0.example'],
      ['TXT', '_dmarc.d0.example', 'v=DMARC1; p=none'],
      ['MX', 'd0.example', 'd0-example.mail.protection.outlook.com'],
    ]);
  });

  it('wrap keeps every word, in order, in lines under 100 characters, with the hanging indent (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ minLength: 90, maxLength: 250 })).map((w) => w.replace(/\s/g, 'x')), { maxLength: 40 }), (words) => {
        const lines = wrap(words.join(' '), '- ', '  ');
        for (const l of lines) expect(width(l)).toBeLessThan(TEXT_WIDTH);
        expect(lines[0]?.startsWith('- ')).toBe(true);
        for (const l of lines.slice(1)) expect(l.startsWith('  ')).toBe(true);
        const rest = lines.map((l) => l.slice(2)).join(' ');
        expect(rest.replace(/ /g, '')).toBe(words.join(''));
      }),
      { numRuns: 300, seed: 99 },
    );
  });
});
