import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { finding, type FindingCode } from '../../src/findings/catalog.js';
import { gradeOf, scoreOf } from '../../src/findings/grade.js';
import { compareFacts, createDiffWalk, diffFacts, type DiffEntry } from '../../src/report/diff.js';
import { renderDiffChunks, type DiffFormat } from '../../src/report/diff-render.js';
import type { DiffView } from '../../src/report/diff-words.js';
import type { RunInfo } from '../../src/report/run.js';
import { HOSTILE_STRINGS, hostileReport } from '../support/hostile.js';

const RUN: RunInfo = { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', version: '0.1.0', resolvers: ['127.0.0.1:53'], options: null, complete: true, rowsRead: 1, rowsReported: 1 };

/** A report of `domain` with these findings (grade and score as the audit gives them) and these records. */
function report(domain: string | null, codes: FindingCode[], records: { spf?: string | null; dmarc?: string | null; mx?: string[]; status?: 'unknown' } = {}, row?: number): DomainReport {
  const findings = codes.map((c) => finding(c, `${c} message`));
  const status = records.status ?? 'pass';
  return {
    domain, input: domain ?? 'not a domain', score: scoreOf(findings), grade: gradeOf(findings), cloud: 'worldwide', tenant: null, findings,
    mx: domain ? { status, hosts: (records.mx ?? ['0 a.mail.protection.outlook.com']).map((h) => ({ exchange: h.split(' ')[1] as string, priority: Number(h.split(' ')[0]), kind: 'm365' as const })), m365Host: null, cloud: null, nxdomain: false } : null,
    spf: domain ? ({ status, record: records.spf === undefined ? 'v=spf1 include:spf.protection.outlook.com -all' : records.spf } as DomainReport['spf']) : null,
    dkim: domain ? ({ status, selectors: [{ selector: 'selector1', name: `selector1._domainkey.${domain}`, target: 't1' }] } as unknown as DomainReport['dkim']) : null,
    dmarc: domain ? ({ status, record: records.dmarc === undefined ? 'v=DMARC1; p=reject' : records.dmarc, source: `_dmarc.${domain}` } as DomainReport['dmarc']) : null,
    autodiscover: null, verification: null, mtaSts: null, tlsRpt: null, dnssec: null, dane: null, notes: [], timing: { ms: 1, queries: 1 }, auditedAt: RUN.startedAt,
    ...(row === undefined ? {} : { row }),
  };
}
const compare = (a: DomainReport, b: DomainReport): DiffEntry => compareFacts(diffFacts(a), diffFacts(b));
const codes = (fs: { code: string }[]): string[] => fs.map((f) => f.code);

describe('compareFacts: the verdict of one domain', () => {
  it('grade up (needs-work → ready): improved, the warning resolved, the record change named', () => {
    const e = compare(report('a.test', ['DMARC_POLICY_NONE'], { dmarc: 'v=DMARC1; p=none' }), report('a.test', []));
    expect(e).toMatchObject({ verdict: 'improved', before: { grade: 'needs-work', score: 95 }, after: { grade: 'ready', score: 100 } });
    expect(codes(e.findings.resolved)).toEqual(['DMARC_POLICY_NONE']);
    expect(e.findings.new).toEqual([]);
    expect(e.records).toEqual([{ kind: 'dmarc', name: '_dmarc.a.test', before: 'v=DMARC1; p=none', after: 'v=DMARC1; p=reject' }]);
  });

  it('grade down (ready → needs-work) with no new error: regressed', () => {
    const e = compare(report('a.test', []), report('a.test', ['SPF_ALL_NEUTRAL'], { spf: 'v=spf1 include:spf.protection.outlook.com ?all' }));
    expect(e.verdict).toBe('regressed');
    expect(codes(e.findings.new)).toEqual(['SPF_ALL_NEUTRAL']);
    expect(e.records.map((r) => [r.kind, r.after])).toEqual([['spf', 'v=spf1 include:spf.protection.outlook.com ?all']]);
  });

  it('a new error at the same grade (not-ready → not-ready) is a regression; a resolved error with a higher score an improvement', () => {
    const before = report('a.test', ['SPF_MISSING'], { spf: null });
    const after = report('a.test', ['SPF_MISSING', 'MX_MISSING'], { spf: null, mx: [] });
    const worse = compare(before, after);
    expect(worse).toMatchObject({ verdict: 'regressed', findings: { new: [{ code: 'MX_MISSING', area: 'mx', severity: 'error' }], resolved: [] } });
    expect(worse.records).toEqual([{ kind: 'mx', name: 'a.test', before: '0 a.mail.protection.outlook.com', after: null }]);
    expect(compare(after, before).verdict).toBe('improved');
  });

  it('the same grade, a new warning and a lower score: changed (not a regression: no new error, no worse grade)', () => {
    const e = compare(report('a.test', ['DMARC_POLICY_NONE']), report('a.test', ['DMARC_POLICY_NONE', 'SPF_PTR']));
    expect(e).toMatchObject({ verdict: 'changed', before: { score: 95 }, after: { score: 90 } });
    expect(codes(e.findings.new)).toEqual(['SPF_PTR']);
  });

  it('identical reports: unchanged, nothing listed', () => {
    expect(compare(report('a.test', ['DMARC_POLICY_NONE']), report('a.test', ['DMARC_POLICY_NONE']))).toMatchObject({ verdict: 'unchanged', findings: { new: [], resolved: [] }, records: [] });
  });

  it('a failed lookup is neither a fix nor a regression: grade unknown is not comparable, and the failed area shows no resolved finding and no record change', () => {
    const before = report('a.test', ['SPF_MISSING'], { spf: null });
    const after = report('a.test', ['DNS_TEMPFAIL'], { spf: null, status: 'unknown' });
    expect([after.grade, after.score]).toEqual(['unknown', null]);
    const e = compare(before, after);
    expect(e.verdict).toBe('unknown');
    expect(codes(e.findings.new)).toEqual(['DNS_TEMPFAIL']);
    expect(e.findings.resolved).toEqual([]);
    expect(e.records).toEqual([]);
  });
});

describe('createDiffWalk: two runs matched as they are read', () => {
  const run = (n: number, edit: (i: number) => DomainReport | null = (i) => report(`d${i}.test`, [], {}, i)): DomainReport[] =>
    Array.from({ length: n }, (_, i) => edit(i)).filter((r): r is DomainReport => r !== null);
  const walk = (old: DomainReport[], next: DomainReport[]): { entries: DiffEntry[]; summary: ReturnType<ReturnType<typeof createDiffWalk>['summary']> } => {
    const w = createDiffWalk();
    const entries: DiffEntry[] = [];
    for (let i = 0; i < Math.max(old.length, next.length); i++) {
      const o = old[i];
      const n = next[i];
      if (o) entries.push(...[w.add('old', o)].filter((e): e is DiffEntry => e !== null));
      if (n) entries.push(...[w.add('new', n)].filter((e): e is DiffEntry => e !== null));
    }
    entries.push(...w.finish());
    return { entries, summary: w.summary() };
  };

  it('identical runs of 1,000 domains: all unchanged, in order, holding one report at a time', () => {
    const { entries, summary } = walk(run(1000), run(1000));
    expect(entries).toHaveLength(1000);
    expect(entries.every((e) => e.verdict === 'unchanged')).toBe(true);
    expect(entries.map((e) => e.domain).slice(0, 3)).toEqual(['d0.test', 'd1.test', 'd2.test']);
    expect(summary).toMatchObject({ before: 1000, after: 1000, order: 'same', held: 1, verdicts: { unchanged: 1000, added: 0, removed: 0 } });
    expect(summary.grades.before.ready).toBe(1000);
  });

  it('domains added and removed in the same order: memory bounded by the differences, added and removed listed in their runs\' order', () => {
    const old = run(1000, (i) => (i % 100 === 7 ? null : report(`d${i}.test`, [], {}, i)));
    const next = run(1000, (i) => (i % 250 === 3 ? null : report(`d${i}.test`, [], {}, i)));
    const { entries, summary } = walk(old, next);
    expect(summary.verdicts).toMatchObject({ added: 10, removed: 4, unchanged: 986 });
    expect(summary.order).toBe('same');
    // Read in lockstep, each side runs ahead of the other by at most the differences so far.
    expect(summary.held).toBeLessThanOrEqual(2 * (10 + 4) + 1);
    expect(entries.filter((e) => e.verdict === 'added').map((e) => e.domain)).toEqual(Array.from({ length: 10 }, (_, k) => `d${k * 100 + 7}.test`));
    expect(entries.filter((e) => e.verdict === 'removed').map((e) => [e.domain, e.before?.row, e.after])).toEqual([3, 253, 503, 753].map((i) => [`d${i}.test`, i, null]));
  });

  it('the runs in opposite orders: the same verdicts, order "differs", every report held', () => {
    const old = run(200, (i) => report(`d${i}.test`, i % 10 === 0 ? ['DMARC_POLICY_NONE'] : [], {}, i));
    const next = run(200).reverse();
    const { entries, summary } = walk(old, next);
    expect(summary.order).toBe('differs');
    expect(summary.verdicts).toMatchObject({ improved: 20, unchanged: 180 });
    expect(summary.held).toBeGreaterThanOrEqual(100);
    expect(new Set(entries.filter((e) => e.verdict === 'improved').map((e) => e.domain))).toEqual(new Set(Array.from({ length: 20 }, (_, k) => `d${k * 10}.test`)));
  });

  it('a domain listed twice is matched occurrence by occurrence; a row that is not a domain is matched by its input', () => {
    const old = [report('a.test', []), report('a.test', []), report(null, ['DOMAIN_INVALID'])];
    const next = [report('a.test', []), report(null, ['DOMAIN_INVALID'])];
    const { entries, summary } = walk(old, next);
    expect(entries.map((e) => [e.domain, e.input, e.verdict])).toEqual([['a.test', 'a.test', 'unchanged'], [null, 'not a domain', 'unchanged'], ['a.test', 'a.test', 'removed']]);
    expect(summary.grades.before['not-ready']).toBe(1);
  });
});

/** schema/diff.schema.json, with the report schema it refers to for RunInfo. */
function diffValidator(): (v: unknown) => boolean {
  const ajv = new Ajv2020Module.default({ strict: true, allErrors: true });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  ajv.addSchema(JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8')) as object);
  return ajv.compile(JSON.parse(readFileSync(new URL('../../schema/diff.schema.json', import.meta.url), 'utf8')) as object);
}

describe('diff renderers', () => {
  /** Hostile reports against the same with their SPF, DMARC and MX values (hostile strings) changed and a new error: every entry regressed, with records to draw. */
  function hostileView(): DiffView {
    const old = HOSTILE_STRINGS.map((_, i) => ({ ...hostileReport(i), row: i }));
    const next = old.map((r, i) => ({
      ...r,
      findings: [...r.findings, finding('MX_MISSING', HOSTILE_STRINGS[(i + 1) % HOSTILE_STRINGS.length] as string)],
      spf: { ...r.spf, record: `${HOSTILE_STRINGS[(i + 2) % HOSTILE_STRINGS.length] as string}` } as DomainReport['spf'],
      dmarc: { ...r.dmarc, record: `v=DMARC1; p=reject; ${HOSTILE_STRINGS[(i + 3) % HOSTILE_STRINGS.length] as string}` } as DomainReport['dmarc'],
    }));
    const w = createDiffWalk();
    const entries: DiffEntry[] = [];
    for (const [i, o] of old.entries()) {
      w.add('old', o);
      const e = w.add('new', next[i] as DomainReport);
      if (e) entries.push(e);
    }
    // A row that is not a domain name, only in the new run: added, its hostile input the label.
    w.add('new', { ...report(null, ['DOMAIN_INVALID'], {}, 99), input: HOSTILE_STRINGS[0] as string });
    entries.push(...w.finish());
    return { entries, summary: w.summary(), old: { files: [HOSTILE_STRINGS[1] as string], run: RUN }, new: { files: ['new.jsonl'], run: { ...RUN, resolvers: [HOSTILE_STRINGS[0] as string] } } };
  }
  const render = (format: DiffFormat, view: DiffView = hostileView()): string => [...renderDiffChunks(format, view, { color: false })].join('');

  it('every entry of the hostile runs is regressed (a new MX_MISSING error), with its SPF and DMARC changes', () => {
    const view = hostileView();
    const listed = [...view.entries].filter((e) => e.verdict === 'regressed');
    expect(listed).toHaveLength(HOSTILE_STRINGS.length);
    for (const e of listed) {
      expect(codes(e.findings.new)).toEqual(['MX_MISSING']);
      expect(e.records.map((r) => r.kind).sort()).toEqual(['dmarc', 'spf']);
    }
  });

  it('table: no control or bidi character from the runs reaches the terminal', () => {
    const out = render('table');
    expect(out).toContain('regressed');
    expect(out).toContain('Summary: 15 domains before, 16 after: 15 regressed, 0 improved, 0 changed, 0 unchanged; 1 added, 0 removed.');
    expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
  });

  it('markdown: a record cannot add a cell, a link, an image or markup', () => {
    const out = render('markdown');
    expect(out.startsWith('## What changed\n')).toBe(true);
    for (const line of out.split('\n').filter((l) => l.startsWith('| '))) expect(line.split(/(?<!\\)\|/).length - 2, line).toBe(4);
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('](http');
    expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f\u202e]/);
  });

  it('html: every string is escaped, and the page has no script (CSP too)', () => {
    const out = render('html');
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('</style></table>');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain("default-src 'none'");
    expect(out.match(/<tr class="v-regressed">/g)).toHaveLength(15);
    expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f\u202e]/);
  });

  it('csv: a cell a spreadsheet would run is neutralised, one line per domain', () => {
    const out = render('csv');
    const lines = out.trimEnd().split('\r\n');
    expect(lines[0]).toBe('domain,input,change,grade_before,grade_after,score_before,score_after,findings_new,findings_resolved,records_changed,row_before,row_after');
    expect(lines).toHaveLength(1 + 16);
    expect(out).toContain("'=HYPERLINK");
    expect(out).not.toMatch(/(^|,)[=+@]/m);
    expect(lines[1]).toMatch(/,regressed,not-ready,not-ready,40,40,MX_MISSING,,spf dmarc,0,0$/);
  });

  it('json: valid against schema/diff.schema.json, the hostile strings kept as data; and the schema can fail', () => {
    const validate = diffValidator();
    const doc = JSON.parse(render('json')) as { summary: { verdicts: Record<string, number> }; domains: DiffEntry[]; old: { files: string[] } } & Record<string, unknown>;
    expect(validate(doc)).toBe(true);
    expect(doc.summary.verdicts).toMatchObject({ regressed: 15, added: 1 });
    expect(doc.old.files).toEqual([HOSTILE_STRINGS[1]]);
    expect(doc.domains[1]?.input).toBe(HOSTILE_STRINGS[1]);
    expect(render('json')).not.toMatch(/[\u202e\x1b]/);
    const bad: [string, unknown][] = [
      ['an unknown verdict', { ...doc, domains: [{ ...doc.domains[0], verdict: 'worse' }] }],
      ['a score over 100', { ...doc, domains: [{ ...doc.domains[0], after: { grade: 'ready', score: 101, row: 0 } }] }],
      ['a record of another kind', { ...doc, domains: [{ ...doc.domains[0], records: [{ kind: 'txt', name: 'x', before: null, after: 'y' }] }] }],
      ['no summary', { ...doc, summary: undefined }],
      ['an unknown verdict count', { ...doc, summary: { ...doc.summary, verdicts: { ...doc.summary.verdicts, worse: 1 } } }],
      ['a side without files', { ...doc, old: { files: [], run: RUN } }],
      ['a run that is not a RunInfo', { ...doc, new: { files: ['x'], run: { startedAt: 'yesterday' } } }],
    ];
    for (const [what, d] of bad) expect(validate(JSON.parse(JSON.stringify(d))), what).toBe(false);
  });

  it('no change at all: each format says so', () => {
    const w = createDiffWalk();
    w.add('old', report('a.test', [], {}, 0));
    const e = w.add('new', report('a.test', [], {}, 0)) as DiffEntry;
    const view: DiffView = { entries: [e], summary: w.summary(), old: { files: ['a'], run: RUN }, new: { files: ['b'], run: RUN } };
    expect(render('table', view)).toMatch(/^No domain changed\.\n/);
    expect(render('markdown', view)).toContain('\nNo domain changed.\n');
    expect(render('html', view)).toContain('<p>No domain changed.</p>');
    expect(render('csv', view).trimEnd().split('\r\n')[1]).toBe('a.test,a.test,unchanged,ready,ready,100,100,,,,0,0');
  });
});
