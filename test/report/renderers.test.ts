import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { csvCell, renderCsv } from '../../src/report/csv.js';
import { MARKDOWN_COLUMNS, mdText, renderMarkdown } from '../../src/report/markdown.js';
import { cleanText } from '../../src/report/sanitize.js';
import { renderTable } from '../../src/report/table.js';
import { HOSTILE_STRINGS, hostileReport } from '../support/hostile.js';

const reports: DomainReport[] = HOSTILE_STRINGS.map((_, i) => hostileReport(i));
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

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

  it('lets no markup, link, image or control character through', () => {
    const md = renderMarkdown(reports, null);
    expect(md).not.toMatch(CONTROL);
    expect(md).not.toContain('<script');
    expect(md).not.toContain('<img');
    expect(md).not.toMatch(/(?<!\\)\]\(/);
    expect(md).not.toMatch(/(?<!\\)`code/);
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

  it('cleanText escapes every control character and nothing else (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = cleanText(s);
        expect(out).not.toMatch(CONTROL);
        if (!CONTROL.test(s) && !/[\n\t]/.test(s) && !/[\u200e\u200f\u2066-\u2069]/.test(s)) expect(out).toBe(s);
      }),
      { numRuns: 3000, seed: 3 },
    );
  });
});
