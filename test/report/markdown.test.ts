/**
 * `--format markdown` as a ticket: measured on the fixture zones (every
 * domain of fixtures/zones and fixtures/demo, audited through the loopback
 * DNS server), and read back through a CommonMark parser (markdown-it) as
 * a ticket system would: the table's width and columns, the records to
 * publish as fenced code blocks holding the exact values, and hostile text
 * that can add no cell, link, image or markup.
 */
import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { cleanText, mdCode, mdCodeBlock } from '../../src/report/safe-text.js';
import { recordLines, recordsToPublish } from '../../src/report/text-ticket.js';
import type { ProbeResult } from '../../src/smtp/types.js';
import { runInProcess } from '../support/cli.js';
import { HOSTILE_STRINGS, hostileReport } from '../support/hostile.js';
import { FIXTURE_DOMAINS as DOMAINS, isTypical as typical, startTicketFixtures, type TicketFixtures } from './text-fixtures.js';

/** Raw HTML on, as the laxest renderer would: anything the data could inject would show as an element. */
const md = new MarkdownIt({ html: true, linkify: false });

let fixtures: TicketFixtures;
let reports: DomainReport[];
let text: string;
beforeAll(async () => {
  fixtures = await startTicketFixtures();
  reports = fixtures.reports;
  text = renderMarkdown(reports);
}, 60_000);
afterAll(() => fixtures.close());
const dnsArgs = (): string[] => fixtures.args;

/** Code points, as a ticket shows them. */
const width = (s: string): number => [...s].length;
/** The table's rows (head and rule included). */
const tableRows = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('| '));
/** A domain's section: from its heading to the next. */
const section = (out: string, domain: string): string => {
  const start = out.indexOf(`\n### ${domain.replaceAll('_', '\\_')}: `);
  const end = out.indexOf('\n### ', start + 1);
  return out.slice(start, end === -1 ? undefined : end);
};

describe('markdown on the fixtures', () => {
  it(`every row of the table is at most 100 characters for typical domains (${DOMAINS.length} fixture domains)`, () => {
    expect(reports).toHaveLength(DOMAINS.length);
    const rows = tableRows(text);
    expect(rows).toHaveLength(DOMAINS.length + 2);
    expect(rows[0]).toBe('| Domain | Grade | MX | SPF | DKIM | DMARC |');
    const widths = reports.map((r, i) => ({ domain: r.domain as string, width: width(rows[i + 2] as string) }));
    const widest = Math.max(...widths.filter((w) => typical(w.domain)).map((w) => w.width));
    expect(widest).toBeLessThanOrEqual(100);
    // Measured: 91 for the fixture tenants; 102 for the 38-character dkim-fixtures.n-v1.dkim.mail.microsoft.
    expect(widest).toBeGreaterThan(60);
    // Besides the domain a row takes at most 80 characters (measured 75): a domain of 20 characters always fits in 100.
    expect(Math.max(...widths.map((w) => w.width - width(w.domain)))).toBeLessThanOrEqual(80);
  });

  it('a CommonMark parser reads one table of six cells a row, status words in the cells, no markup from the data', () => {
    const tokens = md.parse(text, {});
    expect(tokens.filter((t) => t.type === 'table_open')).toHaveLength(1);
    const cellsPerRow: number[] = [];
    let n = 0;
    for (const t of tokens) {
      if (t.type === 'tr_open') n = 0;
      if (t.type === 'td_open' || t.type === 'th_open') n++;
      if (t.type === 'tr_close') cellsPerRow.push(n);
    }
    expect(cellsPerRow).toHaveLength(DOMAINS.length + 1);
    expect(new Set(cellsPerRow)).toEqual(new Set([6]));
    expect(tokens.filter((t) => t.type === 'html_block' || t.type === 'html_inline')).toEqual([]);
    expect(tokens.some((t) => t.children?.some((c) => c.type === 'link_open' || c.type === 'image'))).toBe(false);
    expect(tableRows(text).find((l) => l.startsWith('| ready.test '))).toBe('| ready.test | Ready | ✅ M365 | ✅ ok | ✅ ok | ✅ p=reject |');
    expect(tableRows(text).find((l) => l.startsWith('| spf-eleven.example '))).toContain('| ❌ too many lookups |');
  });

  it('every record to publish is a fenced code block holding the exact value, under its domain, in the order of its findings', () => {
    let records = 0;
    for (const r of reports) {
      const expected = recordsToPublish(r).map((rec) => `${recordLines(rec).join('\n')}\n`);
      const fences = md.parse(section(text, r.domain as string), {}).filter((t) => t.type === 'fence').map((t) => t.content);
      expect(fences, r.domain as string).toEqual(expected);
      records += expected.length;
    }
    expect(records).toBeGreaterThan(DOMAINS.length);
    // The values themselves, from the checks' own fixes and the SPF merge (`plan`'s proposal).
    const fencesOf = (domain: string): string[] => md.parse(section(text, domain), {}).filter((t) => t.type === 'fence').map((t) => t.content.trimEnd());
    expect(fencesOf('tailspin.example')).toEqual([
      'tailspin-example.mail.protection.outlook.com',
      'v=spf1 include:spf.protection.outlook.com ~all',
      'v=DMARC1; p=none; rua=mailto:dmarc-reports@tailspin.example',
      'autodiscover.outlook.com',
      'version: STSv1\nmode: testing\nmx: *.mail.protection.outlook.com\nmax_age: 604800',
      'v=STSv1; id=<a new id>',
      'v=TLSRPTv1; rua=mailto:tls-reports@tailspin.example',
    ]);
    expect(section(text, 'tailspin.example')).toContain('MX at `tailspin.example`, preference 0 (`MX_MISSING`):');
    expect(section(text, 'tailspin.example')).toContain('TXT at `tailspin.example` (`SPF_ALL_PASS`, `SPF_NO_M365_INCLUDE`):');
    expect(section(text, 'tailspin.example')).toContain('TXT at `_dmarc.tailspin.example` (`DMARC_MISSING`):');
    expect(section(text, 'tailspin.example')).toContain('Policy file (text/plain) at `https://mta-sts.tailspin.example/.well-known/mta-sts.txt` (`MTA_STS_MISSING`):');
    expect(fencesOf('ready.test')).toEqual(['version: STSv1\nmode: testing\nmx: *.mail.protection.outlook.com\nmax_age: 604800', 'v=STSv1; id=<a new id>', 'v=TLSRPTv1; rua=mailto:tls-reports@ready.test']);
  });

  it('inside code nothing is escaped: no \\_, \\(, &gt; in a code block or span', () => {
    const tokens = md.parse(text, {});
    const code = [...tokens.filter((t) => t.type === 'fence').map((t) => t.content), ...tokens.flatMap((t) => t.children ?? []).filter((c) => c.type === 'code_inline').map((c) => c.content)];
    expect(code.length).toBeGreaterThan(DOMAINS.length * 3);
    for (const c of code) expect(c).not.toMatch(/\\[_()*#[\]]|&(gt|lt|amp);/);
    expect(code).toContain('_dmarc.tailspin.example');
  });

  it('per domain: its other areas in one line, then each finding with its fix', () => {
    const s = section(text, 'fabrikam.example');
    expect(s).toMatch(/\n\nAutodiscover ⚠️ elsewhere · MTA-STS ✅ testing · TLS-RPT (?:✅ on|off) · DNSSEC unsigned · DANE off\n\n/);
    expect(s).toContain('- ⚠️ `DKIM_SELECTOR_MISSING` (warning): ');
    expect(s).toMatch(/- ⚠️ `MX_PRIORITY` \(warning\): [^\n]+\n {2}- Evidence: `0 mail\.fabrikam\.example, 10 fabrikam-example\.mail\.protection\.outlook\.com`\n {2}- Fix: Give fabrikam-example\.mail\.protection\.outlook\.com the lowest preference number \\\(0\\\) of all MX records\./);
  });

  it('--title sets the heading; --format markdown through the CLI is this renderer', async () => {
    const r = await runInProcess(['check', 'ready.test', 'mx-none.test', ...dnsArgs(), '--format', 'markdown', '--title', 'Contoso migration wave 3 <b>']);
    expect(r.stdout.startsWith('## Contoso migration wave 3 &lt;b&gt;\n\n| Domain | Grade | MX | SPF | DKIM | DMARC |\n')).toBe(true);
    expect(r.code).toBe(1);
  });
});

describe('markdown: the submission probe and hostile text', () => {
  const probe = {
    host: 'smtp.office365.com', port: 587, tls: 'starttls', reachable: true, banner: '220 ready', ehlo: { beforeTls: [], afterTls: [] }, starttls: true,
    tlsVersion: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', certificate: null, authMechanisms: ['LOGIN', 'XOAUTH2'], auth: null, findings: [], timing: { connectMs: 1, bannerMs: 1, tlsMs: 1, totalMs: 3 },
  } as unknown as ProbeResult;

  it('says the submission probe once for the run, not on every row', () => {
    const out = renderMarkdown(HOSTILE_STRINGS.map((_, i) => hostileReport(i)), probe);
    expect(out.split('smtp.office365.com:587, TLSv1.3, AUTH LOGIN XOAUTH2')).toHaveLength(2);
    expect(out).toContain('\nSMTP submission probe (once for the run): ✅ smtp.office365.com:587, TLSv1.3, AUTH LOGIN XOAUTH2.\n');
    expect(tableRows(out).some((l) => l.includes('smtp.office365'))).toBe(false);
    expect(out).toContain('\n### SMTP submission probe\n');
  });

  it('hostile records add no cell, link, image, heading or raw HTML, through a CommonMark parser with raw HTML on', () => {
    const out = renderMarkdown(HOSTILE_STRINGS.map((_, i) => hostileReport(i)));
    const html = md.render(out);
    expect(html).not.toMatch(/<(script|img|iframe|a|svg|style)\b/i);
    expect(html.match(/<h3>/g)).toHaveLength(HOSTILE_STRINGS.length);
    expect(html.match(/<table>/g)).toHaveLength(1);
    for (const row of html.match(/<tr>[\s\S]*?<\/tr>/g) ?? []) expect(row.match(/<t[hd]>/g)).toHaveLength(6);
    // The text shows as itself: the script as text in a code span (evidence) and escaped in prose.
    expect(html).toContain('<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>');
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });

  it('a code span or block holds any value exactly, backticks included: the fence is longer than any run inside (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (value) => {
        const shown = cleanText(value);
        const block = md.parse(`x\n\n${mdCodeBlock(value)}\n\ny\n`, {}).filter((t) => t.type === 'fence');
        expect(block).toHaveLength(1);
        expect(block[0]?.content).toBe(`${shown}\n`);
        if (shown.trim() === '') return;
        const inline = md.parseInline(`a ${mdCode(value)} b`, {})[0]?.children?.filter((c) => c.type === 'code_inline') ?? [];
        expect(inline).toHaveLength(1);
        // CommonMark 6.1: one space is stripped from each end when both are there, as the padding adds them.
        expect(inline[0]?.content).toBe(/^[` ]|[` ]$/.test(shown) ? shown : shown);
      }),
      { numRuns: 1000, seed: 18 },
    );
    expect(mdCodeBlock('a ```` b')).toBe('`````\na ```` b\n`````');
    expect(mdCode('`x`')).toBe('`` `x` ``');
  });
});
