import { safeJson } from '../../src/report/safe-text.js';
import { constants } from 'node:buffer';
import Table from 'cli-table3';
import { describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { finding } from '../../src/findings/catalog.js';
import { renderJson } from '../../src/report/json.js';
import { renderChunks } from '../../src/report/render.js';
import type { RunInfo } from '../../src/report/run.js';
import { summarize } from '../../src/report/summary.js';
import { renderTable } from '../../src/report/table.js';
import { HOSTILE_STRINGS, hostileReport } from '../support/hostile.js';

const RUN: RunInfo = { startedAt: '2026-11-27T09:00:00.000Z', finishedAt: '2026-11-27T09:05:00.000Z', version: '0.1.0', resolvers: ['192.0.2.53'], options: null, complete: true, rowsRead: 1, rowsReported: 1 };

/** A report as the field trial's worst rows: hostile records, and a DMARC record listing 1,000 rua URIs. */
function heavyReport(i: number): DomainReport {
  const r = hostileReport(i);
  const rua = Array.from({ length: 1000 }, (_, k) => `mailto:dmarc-${k}@reports${k}.example`).join(',');
  r.dmarc = { status: 'warn', record: `v=DMARC1; p=none; rua=${rua}`, source: `_dmarc.d${i}.example` } as DomainReport['dmarc'];
  r.findings.push(finding('DMARC_RUA_UNAUTHORIZED', `${HOSTILE_STRINGS[i % HOSTILE_STRINGS.length]} has not authorized reports`, { evidence: rua }));
  return r;
}

/** Reports made as they are read, never all in memory: what a spool file gives the renderers. */
function generated(n: number, make: (i: number) => DomainReport): Iterable<DomainReport> {
  return {
    *[Symbol.iterator]() {
      for (let i = 0; i < n; i++) yield make(i);
    },
  };
}

describe('renderers write a run as chunks', () => {
  it('the table drawn in blocks is exactly one cli-table3 table of all rows', () => {
    const reports = HOSTILE_STRINGS.map((_, i) => hostileReport(i));
    reports[3]!.domain = 'a-much-longer-domain-name-than-the-others.example';
    for (const color of [false, true]) {
      const whole = renderTable(reports, { color, blockRows: 1000 });
      for (const blockRows of [1, 2, 5]) expect(renderTable(reports, { color, blockRows }), `blocks of ${blockRows}`).toBe(whole);
    }
    // And the single block is cli-table3's own drawing.
    const reference = new Table({ head: ['Domain', 'Grade', 'Score', 'Cloud', 'MX', 'SPF', 'DKIM', 'DMARC', 'Autodiscover', 'MTA-STS', 'TLS-RPT', 'DNSSEC', 'DANE'], style: { head: [], border: [], compact: false }, wordWrap: false });
    const first = renderTable(reports, { color: false, blockRows: 2 });
    const drawn = first.slice(0, first.indexOf('┘') + 1);
    reference.push(...drawn.split('\n').filter((l) => l.startsWith('│')).slice(1).map((l) => l.slice(1, -1).split('│').map((c) => c.trim())));
    expect(drawn).toBe(reference.toString());
  });

  it('an empty table is the header alone', () => {
    expect(renderTable([], { color: false })).toBe(`${new Table({ head: ['Domain', 'Grade', 'Score', 'Cloud', 'MX', 'SPF', 'DKIM', 'DMARC', 'Autodiscover', 'MTA-STS', 'TLS-RPT', 'DNSSEC', 'DANE'], style: { head: [], border: [], compact: false } }).toString()}\n`);
  });

  it('the streamed JSON document is byte for byte safeJson of the whole document', () => {
    const reports = HOSTILE_STRINGS.map((_, i) => hostileReport(i));
    const summary = summarize(reports);
    const doc = { schemaVersion: 1, tool: { name: 'm365audit', version: '0.1.0' }, domains: reports, probe: null, run: RUN, summary };
    expect(renderJson(reports, null, { run: RUN, summary })).toBe(`${safeJson(doc, 2)}\n`);
    expect(renderJson([], null, { run: RUN })).toBe(`${safeJson({ ...doc, domains: [], summary: undefined }, 2)}\n`);
  });

  it.each(['json', 'jsonl', 'csv', 'markdown', 'html', 'table'] as const)('%s: the chunks of a spool-like source are the one-string render', (format) => {
    const reports = HOSTILE_STRINGS.map((_, i) => heavyReport(i));
    const source = generated(reports.length, (i) => reports[i] as DomainReport);
    const options = { color: false, summary: true, run: RUN };
    expect([...renderChunks(format, source, null, options)].join('')).toBe([...renderChunks(format, reports, null, options)].join(''));
  });
});

/**
 * The field trial: `batch --format json` over 700 rows of a domain whose
 * DMARC lists 1,000 rua URIs ended in "Invalid string length" (exit 3,
 * nothing written). More characters than V8 allows in one string
 * (constants.MAX_STRING_LENGTH) go through the renderer here; no chunk is
 * more than one report, and every piece parses.
 */
describe('a run larger than the largest string', () => {
  const limit = constants.MAX_STRING_LENGTH;

  it('json: completes, each chunk at most one report, and the pieces parse as the document', () => {
    const perReport = safeJson(heavyReport(0), 2).length;
    const n = Math.ceil((limit * 1.05) / perReport);
    let total = 0;
    let largest = 0;
    let head = '';
    let tail = '';
    let seen = 0;
    for (const chunk of renderChunks('json', generated(n, heavyReport), null, { color: false, run: RUN })) {
      total += chunk.length;
      largest = Math.max(largest, chunk.length);
      if (chunk.startsWith('{')) head = chunk;
      else if (/^\n {2}\]/.test(chunk)) tail = chunk;
      else {
        const report = JSON.parse(chunk.replace(/^,?\n/, '')) as DomainReport;
        expect(report.domain).toBe(`d${seen}.example`);
        seen++;
      }
    }
    expect(total).toBeGreaterThan(limit);
    expect(seen).toBe(n);
    expect(largest).toBeLessThan(perReport * 1.1);
    const empty = JSON.parse(`${head}${tail.replace(/^\n {2}/, '')}`) as { schemaVersion: number; domains: unknown[]; run: RunInfo };
    expect(empty).toMatchObject({ schemaVersion: 1, domains: [], run: RUN });
  }, 120_000);

  it('html: completes with one card per report, each chunk bounded', () => {
    const n = 60_000;
    let total = 0;
    let largest = 0;
    let cards = 0;
    let end = '';
    for (const chunk of renderChunks('html', generated(n, hostileReport), null, { color: false, run: RUN })) {
      total += chunk.length;
      largest = Math.max(largest, chunk.length);
      if (chunk.startsWith('<details id="d')) cards++;
      end = chunk;
    }
    expect(cards).toBe(n);
    expect(largest).toBeLessThan(64 * 1024);
    // Texts many domains share are written once (src/report/html.ts): the hostile reports still take more than this a domain.
    expect(total).toBeGreaterThan(n * 500);
    expect(end.endsWith('</html>\n')).toBe(true);
  }, 120_000);
});
