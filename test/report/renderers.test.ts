import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { finding } from '../../src/findings/catalog.js';
import { renderCsv } from '../../src/report/csv.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJson, renderJsonLine } from '../../src/report/json.js';
import { MARKDOWN_COLUMNS, renderMarkdown } from '../../src/report/markdown.js';
import { describeRun, reconstructRun, type RunInfo } from '../../src/report/run.js';
import { cleanText, csvCell, mdText, safeJson } from '../../src/report/safe-text.js';
import { renderSummaryText, summarize, summarizeArea } from '../../src/report/summary.js';
import { renderTable } from '../../src/report/table.js';
import { HOSTILE_STRINGS, hostileReport } from '../support/hostile.js';

const reports: DomainReport[] = HOSTILE_STRINGS.map((_, i) => hostileReport(i));
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/**
 * Every character no output may carry raw, written out here on its own (not
 * imported): C0, DEL, C1, line/paragraph separators, zero-width characters
 * and every bidi control (UAX #9).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/;
const INVISIBLE = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u009b', '\u2028'];

/** Cells of a GFM table row: split on pipes not escaped with a backslash. */
function cells(row: string): string[] {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/);
}

describe('markdown', () => {
  it('keeps the header cell count on every row with hostile records', () => {
    const md = renderMarkdown(reports, null);
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    expect(rows.length).toBe(reports.length + 2);
    for (const row of rows) expect(cells(row)).toHaveLength(MARKDOWN_COLUMNS.length);
  });

  it('lets no control character through, and no heading but its own (markup and links: test/report/markdown.test.ts, through a CommonMark parser)', () => {
    const md = renderMarkdown(reports, null);
    expect(md).not.toMatch(CONTROL);
    expect(md).not.toMatch(/(?<!\\)\]\((?![^`]*`)/);
    for (const line of md.split('\n')) expect(line).not.toMatch(/^\s*#{1,6} (?!Microsoft|d\d+\\?\.example|SMTP)/);
  });

  it('mdText makes every string one safe line (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = mdText(s);
        expect(out).not.toMatch(/[\n\r]/);
        expect(out).not.toMatch(CONTROL);
        expect(out).not.toMatch(/(?<!\\)[|`<>]/);
        expect(cells(`| ${out} | x |`)).toHaveLength(2);
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
});

describe('csv', () => {
  it('parses with a real CSV parser, one row per domain, no cell starting with = + - @', () => {
    const text = renderCsv(reports, null);
    const rows = parse(text, { bom: false, relax_quotes: false }) as string[][];
    expect(rows).toHaveLength(reports.length + 1);
    const header = rows[0] as string[];
    expect(header.slice(0, 4)).toEqual(['domain', 'input', 'grade', 'score']);
    expect(header).toContain('findings');
    expect(header).toContain("'=formula");
    for (const row of rows) {
      expect(row).toHaveLength(header.length);
      for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    const inputs = rows.slice(1).map((r) => r[1]);
    expect(inputs[0]).toBe(csvCell(HOSTILE_STRINGS[0]));
    expect(rows[1]?.[header.indexOf('findings')]).toBe('SPF_ALL_PASS DMARC_POLICY_NONE');
  });

  it('gives one row per finding with --csv-rows findings', () => {
    const rows = parse(renderCsv(reports, null, 'findings')) as string[][];
    expect(rows).toHaveLength(reports.length * 2 + 1);
    expect(rows[0]?.slice(4, 7)).toEqual(['code', 'severity', 'area']);
    expect(rows.slice(1).map((r) => r[4])).toEqual(reports.flatMap(() => ['SPF_ALL_PASS', 'DMARC_POLICY_NONE']));
  });

  it('round-trips any text through a CSV parser, neutralised (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 6 }), (values) => {
        const r = hostileReport(0);
        r.input = values[0] as string;
        r.findings = values.map((v) => ({ ...r.findings[0]!, message: v, evidence: v }));
        const rows = parse(renderCsv([r], null, 'findings')) as string[][];
        expect(rows).toHaveLength(values.length + 1);
        rows.slice(1).forEach((row, i) => {
          expect(row[7]).toBe(csvCell(values[i]));
          for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
        });
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});

describe('terminal table', () => {
  it('lets no control byte reach the terminal, colour off', () => {
    const out = renderTable(reports, { color: false });
    expect(out).not.toMatch(CONTROL);
    expect(out).toContain('\\x1b[31mred');
  });

  it('with colour on, the only escapes are its own SGR codes', () => {
    const out = renderTable(reports, { color: true });
    const stripped = out.replace(/\x1b\[(?:\d+;)*\d*m/g, '');
    expect(stripped).not.toMatch(CONTROL);
    expect(out).not.toContain('\x1b]0;');
  });

  it('never cuts a record value', () => {
    const long = `v=spf1 ${'ip4:192.0.2.1 '.repeat(40)}-all`;
    const r = hostileReport(0);
    r.findings[0]!.evidence = long;
    expect(renderTable([r], { color: false })).toContain(long);
  });

  it('cleanText escapes every unsafe character and nothing else (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = cleanText(s);
        expect(out).not.toMatch(UNSAFE);
        if (!UNSAFE.test(s)) expect(out).toBe(s);
      }),
      { numRuns: 3000, seed: 3 },
    );
  });
});

/** A report of a domain whose lookups failed: grade unknown, score null. */
function unknownReport(): DomainReport {
  const r = hostileReport(0);
  r.domain = 'dead.example';
  r.input = 'dead.example';
  r.grade = 'unknown';
  r.score = null;
  r.findings = [finding('DNS_TEMPFAIL', '3 DNS lookups failed (timeout).', { evidence: 'dead.example MX, dead.example TXT, _dmarc.dead.example TXT: ETIMEOUT' })];
  r.meta = {};
  return r;
}

function invalidReport(): DomainReport {
  const r = hostileReport(1);
  r.domain = null;
  r.input = 'not a domain';
  r.grade = 'not-ready';
  r.score = 0;
  r.findings = [finding('DOMAIN_INVALID', '"not a domain" is not a valid domain name: contains white space.', { evidence: 'not a domain' })];
  r.mx = null;
  r.spf = null;
  r.dmarc = null;
  r.meta = {};
  return r;
}

const RUN: RunInfo = {
  startedAt: '2026-11-27T09:00:00.000Z', finishedAt: '2026-11-27T09:05:00.000Z', version: '0.1.0', resolvers: ['192.0.2.53', '[2001:db8::53]:5353'],
  options: { cloud: null, tenant: 'contoso', selectors: ['s1'], probe: 'smtp.office365.com:587', probeMx: null, timeoutMs: 3000, retries: 2 },
  complete: true, rowsRead: 2, rowsReported: 2,
};
const RUN_LINE = 'Audited 2026-11-27T09:00:00.000Z to 2026-11-27T09:05:00.000Z; m365audit 0.1.0; resolvers 192.0.2.53, [2001:db8::53]:5353; cloud detected; tenant contoso; selector s1; submission probe smtp.office365.com:587; DNS timeout 3000 ms, 2 retries.';

describe('score null (grade unknown) in every renderer', () => {
  const r = unknownReport();
  it('table: ? in the Score column and the details', () => {
    const out = renderTable([r], { color: false });
    const row = out.split('\n').find((l) => l.includes('dead.example') && l.startsWith('│'));
    expect(row?.split('│').map((c) => c.trim())[3]).toBe('?');
    expect(out).toContain('dead.example: unknown, score ?');
    expect(out).not.toContain('null');
  });
  it('markdown: the grade Unknown in the table, ? in the heading', () => {
    const out = renderMarkdown([r]);
    const row = out.split('\n').find((l) => l.startsWith('| dead'));
    expect(cells(row ?? '')[1]?.trim()).toBe('Unknown');
    expect(out).toContain('### dead.example: Unknown (score ?)');
    expect(out).not.toContain('null');
  });
  it('html: ? in the Score column and the card', () => {
    const out = renderHtml([r], null);
    expect(out).toContain('<td class="gr-unknown">Unknown<td>?<td>');
    expect(out).toContain('<i class="gr-unknown">Unknown</i>');
    expect(out).not.toMatch(/>null</);
  });
  it('csv: an empty score cell', () => {
    const rows = parse(renderCsv([r])) as string[][];
    expect(rows[1]?.[rows[0]!.indexOf('score')]).toBe('');
    const perFinding = parse(renderCsv([r], null, 'findings')) as string[][];
    expect(perFinding[1]?.[3]).toBe('');
  });
  it('json: score null', () => {
    const doc = JSON.parse(renderJson([r])) as { domains: { score: unknown }[] };
    expect(doc.domains[0]?.score).toBeNull();
  });
});

describe('summaries count invalid rows apart, with plurals', () => {
  const reports = [unknownReport(), invalidReport(), hostileReport(2)];
  it('RunSummary: invalid apart from not-ready', () => {
    const s = summarize(reports);
    expect(s).toMatchObject({ domains: 3, invalid: 1, grades: { ready: 0, 'needs-work': 0, unknown: 1, 'not-ready': 1 } });
  });
  it('every format says it, in words that add up: 3 rows, 2 of them domains', () => {
    expect(renderSummaryText(summarize(reports))).toMatch(/^Summary: 3 rows: 2 domains \(0 ready, 0 needs-work, 1 not-ready, 1 unknown\) and 1 invalid row \(not a domain name\)\n/);
    expect(renderMarkdown(reports)).toContain('\n3 rows: 2 domains (0 ready, 0 needs work, 1 not ready, 1 unknown) and 1 invalid row (not a domain name).\n');
    expect(renderHtml(reports, null)).toContain('<li><span class="n">1</span><span class="badge grade-invalid">Invalid</span></li>');
    expect(renderHtml(reports, null)).toContain('<li><span class="n">3</span>rows</li>');
    expect(renderHtml(reports, null)).toContain('3 rows audited by');
    expect(renderTable(reports, { color: false, summary: true })).toContain('Summary: 3 rows: 2 domains (0 ready, 0 needs-work, 1 not-ready, 1 unknown) and 1 invalid row');
    expect((JSON.parse(renderJson(reports, null, { summary: summarize(reports) })) as { summary: { invalid: number } }).summary.invalid).toBe(1);
  });
  it('grades + invalid = rows in every format, for any mix of rows (property)', () => {
    const kinds = [() => hostileReport(2), unknownReport, invalidReport, () => ({ ...hostileReport(3), grade: 'ready' as const, score: 100, findings: [] }), () => ({ ...hostileReport(4), grade: 'needs-work' as const, score: 95 })];
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: kinds.length - 1 }), { minLength: 1, maxLength: 12 }), (picks) => {
      const rows = picks.map((k) => (kinds[k] as () => DomainReport)());
      const s = summarize(rows);
      const g = s.grades;
      expect(g.ready + g['needs-work'] + g['not-ready'] + g.unknown + s.invalid).toBe(rows.length);
      expect(s.domains).toBe(rows.length);
      expect(s.invalid).toBe(picks.filter((k) => k === 2).length);
      // The numbers each format shows add up the same way.
      const numbers = (text: string): number[] => [...text.matchAll(/\d+/g)].map((m) => Number(m[0]));
      const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
      // `N domains: a, b, c, d` or `N rows: M domains (a, b, c, d) and I invalid rows`.
      const sumsUp = (line: string): void => {
        const n = numbers(line);
        expect(n, line).toHaveLength(s.invalid > 0 ? 7 : 5);
        if (s.invalid === 0) return void expect(sum(n.slice(1)), line).toBe(n[0]);
        expect(sum(n.slice(2, 6)), line).toBe(n[1]);
        expect((n[1] ?? 0) + (n[6] ?? 0), line).toBe(n[0]);
        expect(n[6], line).toBe(s.invalid);
      };
      sumsUp(renderSummaryText(s).split('\n')[0] ?? '');
      sumsUp(renderMarkdown(rows).split('\n').find((l) => /^\d+ (rows?|domains?):/.test(l)) ?? '');
      const html = renderHtml(rows, null);
      const lis = [...html.matchAll(/<li><span class="n">(\d+)<\/span>/g)].map((m) => Number(m[1]));
      expect(lis.slice(1).reduce((a, b) => a + b, 0), 'html').toBe(lis[0]);
    }));
  });

  it('says "1 domain", never "1 domains"', () => {
    const one = [hostileReport(2)];
    expect(renderSummaryText(summarize(one))).toMatch(/^Summary: 1 domain: /);
    expect(renderMarkdown(one)).toContain('\n1 domain: ');
    const html = renderHtml(one, null);
    expect(html).toContain('1 domain audited by');
    expect(html).toContain('<span class="n">1</span>domain</li>');
    for (const out of [renderSummaryText(summarize(one)), renderMarkdown(one), html]) expect(out).not.toMatch(/\b1 domains\b/);
  });
  it('says "1 lookup" in the SPF cell', () => {
    const r = hostileReport(2);
    r.findings = [];
    r.spf = { status: 'pass', record: 'v=spf1 include:spf.protection.outlook.com -all', lookups: 1 } as DomainReport['spf'];
    expect(summarizeArea(r, 'spf').text).toBe('M365 include, 1 lookup');
  });
});

describe('the audit trail in every format', () => {
  const reports = [hostileReport(2), unknownReport()];
  it('table, markdown and html end with the run line', () => {
    expect(renderTable(reports, { color: false, run: RUN }).trimEnd().split('\n').pop()).toBe(RUN_LINE);
    expect(renderMarkdown(reports, null, { run: RUN }).trimEnd().split('\n').pop()).toBe(`_${mdText(RUN_LINE)}_`);
    expect(renderHtml(reports, null, { run: RUN })).toContain(`<footer><p class="run">${RUN_LINE}</p>`);
  });
  it('csv has an audited_at column', () => {
    for (const rows of ['domains', 'findings'] as const) {
      const out = parse(renderCsv(reports, null, rows)) as string[][];
      const at = out[0]!.indexOf('audited_at');
      expect(at).toBeGreaterThan(0);
      expect(out.slice(1).map((x) => x[at])).toContain('2026-01-02T03:04:05.000Z');
    }
  });
  it('json has run; without one it is rebuilt from auditedAt', () => {
    expect((JSON.parse(renderJson(reports, null, { run: RUN })) as { run: RunInfo }).run).toEqual(RUN);
    const early = { ...hostileReport(3), auditedAt: '2026-01-01T00:00:00.000Z' };
    expect((JSON.parse(renderJson([...reports, early])) as { run: RunInfo }).run).toEqual({
      startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-02T03:04:05.000Z', version: null, resolvers: null, options: null, reconstructed: true,
      complete: null, rowsRead: null, rowsReported: 3,
    });
  });
  it('says what a reconstructed run lacks', () => {
    expect(describeRun(reconstructRun(reports))).toBe("Audited 2026-01-02T03:04:05.000Z to 2026-01-02T03:04:05.000Z (from the reports' auditedAt; the run's version, resolvers and options were not saved).");
  });
});

describe('--probe-mx results are visible in every format', () => {
  const r = hostileReport(2);
  r.mxProbe = {
    host: 'mx.d2.example', port: 25, tls: 'starttls', reachable: false, banner: '554 5.7.1 go away', ehlo: { beforeTls: null, afterTls: null },
    starttls: null, tlsVersion: null, cipher: null, certificate: null, authMechanisms: null, auth: null,
    findings: [finding('SMTP_UNREACHABLE', 'mx.d2.example:25: the server greets with 554 instead of 220: it refuses the session.', { evidence: '554 5.7.1 go away' })],
    timing: { connectMs: 1, bannerMs: 1, tlsMs: null, totalMs: 2 },
  };
  it('table: an SMTP probe column and the probe under the domain', () => {
    const out = renderTable([r, hostileReport(3)], { color: false });
    const head = out.split('\n')[1] ?? '';
    expect(head.split('│').map((c) => c.trim())).toContain('SMTP probe');
    expect(out).toContain('✗ mx.d2.example:25 SMTP_UNREACHABLE');
    expect(out).toContain('  SMTP probe of the MX host mx.d2.example:25 (starttls): fail');
    expect(out).toContain('SMTP_UNREACHABLE: mx.d2.example:25: the server greets with 554');
    // Without MX probes, no column.
    expect(renderTable([hostileReport(3)], { color: false }).split('\n')[1]).not.toContain('SMTP probe');
  });
  it('markdown: the probe under the domain (not a column: the table keeps to six)', () => {
    const out = renderMarkdown([r]);
    expect(out).toContain('- SMTP probe of the MX host: ❌ mx.d2.example:25 SMTP\\_UNREACHABLE');
    expect(out).toContain('  - Reachable: no; banner: `554 5.7.1 go away`');
    expect(out.split('\n').filter((l) => l.startsWith('| ')).every((l) => !l.includes('mx.d2.example'))).toBe(true);
  });
  it('csv and html: the cell', () => {
    const rows = parse(renderCsv([r])) as string[][];
    expect(rows[1]?.[rows[0]!.indexOf('smtp_probe')]).toBe('fail: mx.d2.example:25 SMTP_UNREACHABLE');
    expect(renderHtml([r], null)).toContain('SMTP probe of the MX host');
  });
});

describe('zero-width and bidi characters are escaped everywhere', () => {
  const text = `a${INVISIBLE.join('b')}c`;
  it('cleanText (terminal, markdown, html) shows each as an escape', () => {
    const out = cleanText(text);
    expect(out).not.toMatch(UNSAFE);
    expect(out).toContain('\\u200b');
    expect(out).toContain('\\u202e');
    expect(out).toContain('\\x9b');
    expect(mdText(text)).not.toMatch(UNSAFE);
  });
  it('safeJson writes each as \\uXXXX and round-trips', () => {
    const out = safeJson({ text });
    expect(out).not.toMatch(UNSAFE);
    expect(out).toContain('\\u200b');
    expect((JSON.parse(out) as { text: string }).text).toBe(text);
  });
  it('csvCell replaces each with a space', () => {
    expect(csvCell(text)).toBe(`a${INVISIBLE.map(() => ' ').join('b')}c`);
  });
  it('every format of a report carrying them', () => {
    const r = hostileReport(0);
    r.findings[0]!.evidence = text;
    r.notes = [text];
    for (const out of [renderTable([r], { color: false }), renderMarkdown([r]), renderHtml([r], null), renderJson([r]), renderJsonLine(r), renderCsv([r]).replace(/\r\n/g, '\n')]) {
      expect(out).not.toMatch(new RegExp(UNSAFE.source.replace('\\u0000-\\u001f', '\\u0000-\\u0009\\u000b-\\u001f')));
    }
  });
});
