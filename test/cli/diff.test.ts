import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffEntry, DiffSummary } from '../../src/report/diff.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { runInProcess } from '../support/cli.js';
import { startFixtureServer } from '../support/fixtures.js';

interface DiffDoc { old: { files: string[] }; new: { files: string[] }; summary: DiffSummary; domains: DiffEntry[] }

let dns: TestDnsServer;
let dir: string;
const file = (name: string): string => join(dir, name);
const dnsArgs = (): string[] => ['--dns-server', dns.server, '--timeout', '2000', '--retries', '1', '--no-probe'];

/**
 * Two waves of one migration, audited against the sandbox:
 * wave 1 lists ready.test (ready), dkim-ready-new.test (needs-work), mx-gateway.test (not-ready, no SPF),
 * mx-none.test, dmarc-none.test and a row that is not a domain; between the waves ready.test's DMARC
 * goes to p=none, dkim-ready-new.test's too, mx-gateway.test publishes "v=spf1 +all", mx-none.test
 * leaves the list and spf-invalid.test joins it.
 */
const WAVE1 = ['ready.test', 'dkim-ready-new.test', 'mx-gateway.test', 'mx-none.test', 'dmarc-none.test', 'not a domain'];
const WAVE2 = ['ready.test', 'dkim-ready-new.test', 'mx-gateway.test', 'dmarc-none.test', 'not a domain', 'spf-invalid.test'];

beforeAll(async () => {
  dns = await startFixtureServer();
  dir = mkdtempSync(join(tmpdir(), 'm365audit-diff-'));
  writeFileSync(file('wave1.txt'), `# wave 1\n${WAVE1.join('\n')}\n`);
  writeFileSync(file('wave2.txt'), `${WAVE2.join('\n')}\n`);
  for (const [out, format] of [['w1.jsonl', 'jsonl'], ['w1.json', 'json']] as const) {
    const r = await runInProcess(['batch', file('wave1.txt'), ...dnsArgs(), '--format', format, '--output', file(out)]);
    expect(r.stderr).toBe('');
  }
  dns.zones.replace('_dmarc.ready.test', 'TXT', ['v=DMARC1; p=none; rua=mailto:dmarc@ready.test']);
  dns.zones.replace('_dmarc.dkim-ready-new.test', 'TXT', ['v=DMARC1; p=none; rua=mailto:agg@dmarc-reports.test']);
  dns.zones.replace('mx-gateway.test', 'TXT', ['v=spf1 +all']);
  const r = await runInProcess(['batch', file('wave2.txt'), ...dnsArgs(), '--format', 'jsonl', '--output', file('w2.jsonl')]);
  expect(r.stderr).toBe('');
}, 60_000);
afterAll(async () => {
  await dns?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const json = async (args: string[]): Promise<{ code: number; doc: DiffDoc; stderr: string }> => {
  const r = await runInProcess(['diff', ...args, '--format', 'json']);
  return { code: r.code ?? -1, doc: JSON.parse(r.stdout || '{}') as DiffDoc, stderr: r.stderr };
};
const byDomain = (doc: DiffDoc): Map<string, DiffEntry> => new Map(doc.domains.map((d) => [d.domain ?? d.input, d]));
const codes = (fs: { code: string }[]): string[] => fs.map((f) => f.code).sort();

describe('m365audit diff', () => {
  it('wave 1 → wave 2: grade down, a new error, a lower score, domains added and removed, the rest unchanged', async () => {
    const { code, doc, stderr } = await json([file('w1.jsonl'), file('w2.jsonl')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const d = byDomain(doc);
    // Grade down: ready → needs-work, the DMARC record named.
    expect(d.get('ready.test')).toMatchObject({ verdict: 'regressed', before: { grade: 'ready', score: 100, row: 0 }, after: { grade: 'needs-work', row: 0 } });
    expect(codes(d.get('ready.test')?.findings.new ?? [])).toEqual(['DMARC_POLICY_NONE']);
    expect(d.get('ready.test')?.records).toEqual([{ kind: 'dmarc', name: '_dmarc.ready.test', before: 'v=DMARC1; p=reject; rua=mailto:dmarc@ready.test', after: 'v=DMARC1; p=none; rua=mailto:dmarc@ready.test' }]);
    // A new error at the same grade (not-ready): regressed; SPF_MISSING resolved; the SPF record from none.
    const gw = d.get('mx-gateway.test');
    expect(gw).toMatchObject({ verdict: 'regressed', before: { grade: 'not-ready' }, after: { grade: 'not-ready' } });
    expect(codes(gw?.findings.new ?? [])).toContain('SPF_ALL_PASS');
    expect(gw?.findings.new.find((f) => f.code === 'SPF_ALL_PASS')).toMatchObject({ severity: 'error', area: 'spf' });
    expect(codes(gw?.findings.resolved ?? [])).toEqual(['SPF_MISSING']);
    expect(gw?.records).toEqual([{ kind: 'spf', name: 'mx-gateway.test', before: null, after: 'v=spf1 +all' }]);
    // The same grade, a new warning: changed, the score down by 5.
    const dk = d.get('dkim-ready-new.test');
    expect(dk).toMatchObject({ verdict: 'changed', before: { grade: 'needs-work' }, after: { grade: 'needs-work' } });
    expect((dk?.before?.score ?? 0) - (dk?.after?.score ?? 0)).toBe(5);
    expect(d.get('mx-none.test')).toMatchObject({ verdict: 'removed', before: { grade: 'not-ready', row: 3 }, after: null });
    expect(d.get('spf-invalid.test')).toMatchObject({ verdict: 'added', before: null, after: { grade: 'not-ready', row: 5 } });
    expect(d.get('dmarc-none.test')).toMatchObject({ verdict: 'unchanged', findings: { new: [], resolved: [] }, records: [] });
    expect(d.get('not a domain')).toMatchObject({ domain: null, verdict: 'unchanged' });
    expect(doc.summary).toEqual({
      before: 6, after: 6, order: 'same', held: doc.summary.held,
      grades: { before: { ready: 1, 'needs-work': 1, unknown: 0, 'not-ready': 4 }, after: { ready: 0, 'needs-work': 2, unknown: 0, 'not-ready': 4 } },
      verdicts: { regressed: 2, improved: 0, changed: 1, unchanged: 2, unknown: 0, added: 1, removed: 1 },
    });
    expect(doc.summary.held).toBeLessThanOrEqual(2);
  });

  it('wave 2 → wave 1: grade up (needs-work → ready) and the score back up are improvements; SPF_MISSING coming back is a new error', async () => {
    const { doc } = await json([file('w2.jsonl'), file('w1.jsonl')]);
    const d = byDomain(doc);
    expect(d.get('ready.test')).toMatchObject({ verdict: 'improved', before: { grade: 'needs-work' }, after: { grade: 'ready', score: 100 } });
    expect(codes(d.get('ready.test')?.findings.resolved ?? [])).toEqual(['DMARC_POLICY_NONE']);
    expect(d.get('dkim-ready-new.test')?.verdict).toBe('improved');
    expect(d.get('mx-gateway.test')).toMatchObject({ verdict: 'regressed', findings: { new: [{ code: 'SPF_MISSING' }] } });
    expect(doc.summary.verdicts).toMatchObject({ improved: 2, regressed: 1, added: 1, removed: 1 });
  });

  it('--fail-on regression: exit 1 when a domain regressed, 0 otherwise; default never', async () => {
    expect((await runInProcess(['diff', file('w1.jsonl'), file('w2.jsonl'), '--fail-on', 'regression'])).code).toBe(1);
    expect((await runInProcess(['diff', file('w1.jsonl'), file('w2.jsonl')])).code).toBe(0);
    expect((await runInProcess(['diff', file('w1.jsonl'), file('w2.jsonl'), '--fail-on', 'never'])).code).toBe(0);
    const same = await runInProcess(['diff', file('w1.jsonl'), file('w1.jsonl'), '--fail-on', 'regression']);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^No domain changed\.\n/);
    expect(same.stdout).toContain('Summary: 6 domains before, 6 after: 0 regressed, 0 improved, 0 changed, 6 unchanged; 0 added, 0 removed.');
  });

  it('identical runs, json against jsonl: every domain unchanged', async () => {
    const { code, doc } = await json([file('w1.json'), file('w1.jsonl'), '--fail-on', 'regression']);
    expect(code).toBe(0);
    expect(doc.summary.verdicts).toEqual({ regressed: 0, improved: 0, changed: 0, unchanged: 6, unknown: 0, added: 0, removed: 0 });
    expect(doc.domains.map((e) => e.domain ?? e.input)).toEqual(['ready.test', 'dkim-ready-new.test', 'mx-gateway.test', 'mx-none.test', 'dmarc-none.test', 'not a domain']);
  });

  it('json and jsonl inputs in any mix give the same domains; stdin too', async () => {
    const base = (await json([file('w1.jsonl'), file('w2.jsonl')])).doc;
    const mixed = (await json([file('w1.json'), file('w2.jsonl')])).doc;
    expect(mixed.domains).toEqual(base.domains);
    expect(mixed.summary).toEqual(base.summary);
    expect(mixed.old.files).toEqual([file('w1.json')]);
    const r = await runInProcess(['diff', '-', file('w2.jsonl'), '--format', 'json'], { input: readFileSync(file('w1.json'), 'utf8') });
    const piped = JSON.parse(r.stdout) as DiffDoc;
    expect(piped.domains).toEqual(base.domains);
    expect(piped.old.files).toEqual(['standard input']);
  });

  it('runs in different orders: the same verdicts, matched by domain, and said so', async () => {
    const lines = readFileSync(file('w1.jsonl'), 'utf8').trimEnd().split('\n');
    // The last line carries the run: it stays last, the reports before it reversed.
    writeFileSync(file('w1-reversed.jsonl'), `${[...lines.slice(0, -1).reverse(), lines[lines.length - 1]].join('\n')}\n`);
    const base = (await json([file('w1.jsonl'), file('w2.jsonl')])).doc;
    const { doc } = await json([file('w1-reversed.jsonl'), file('w2.jsonl')]);
    expect(doc.summary.order).toBe('differs');
    expect(doc.summary.verdicts).toEqual(base.summary.verdicts);
    expect(byDomain(doc)).toEqual(byDomain(base));
    const table = await runInProcess(['diff', file('w1-reversed.jsonl'), file('w2.jsonl')]);
    expect(table.stdout).toContain('The runs list their domains in different orders: they were matched by domain');
  });

  it('table, markdown, html and csv: the domains that changed, worst first, and the summary', async () => {
    const args = [file('w1.jsonl'), file('w2.jsonl')];
    const table = (await runInProcess(['diff', ...args])).stdout;
    const rows = table.split('\n');
    expect(rows[0]).toMatch(/^Domain +Change +Grade +Score$/);
    expect(rows.slice(1, 6).map((l) => l.split(/ {2,}/).slice(0, 2))).toEqual([
      ['ready.test', 'regressed'], ['mx-gateway.test', 'regressed'], ['dkim-ready-new.test', 'changed'], ['spf-invalid.test', 'added'], ['mx-none.test', 'removed'],
    ]);
    expect(table).not.toContain('dmarc-none.test');
    expect(table).toContain('  new       DMARC_POLICY_NONE (dmarc, warning): ');
    expect(table).toContain('  resolved  SPF_MISSING (spf, error)');
    expect(table).toContain('  SPF record mx-gateway.test: none → "v=spf1 +all"');
    expect(table).toContain('Grades before → after: ready 1 → 0, needs-work 1 → 2, not-ready 4 → 4, unknown 0 → 0.');
    expect(table).toMatch(/\nOld: .*w1\.jsonl: Audited .* resolver 127\.0\.0\.1:\d+;.*\nNew: .*w2\.jsonl: Audited /);
    const md = (await runInProcess(['diff', ...args, '--format', 'markdown'])).stdout;
    expect(md).toContain('| ready.test | **regressed** | ready → needs-work | 100 → 95 |');
    expect(md).toContain('### mx-gateway.test: regressed');
    expect(md).toContain('- Resolved `SPF_MISSING` (spf, error)');
    const html = (await runInProcess(['diff', ...args, '--format', 'html'])).stdout;
    expect(html.match(/<tr class="v-regressed">/g)).toHaveLength(2);
    expect(html).toContain('<tr class="v-changed"><th scope="row">dkim-ready-new.test</th>');
    expect(html).toContain('<li class="new">New <code>DMARC_POLICY_NONE</code>');
    const csv = (await runInProcess(['diff', ...args, '--format', 'csv', '--output', file('diff.csv')])).stdout;
    expect(csv).toBe('');
    const lines = readFileSync(file('diff.csv'), 'utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + 7);
    expect(lines).toContain('ready.test,ready.test,regressed,ready,needs-work,100,95,DMARC_POLICY_NONE,,dmarc,0,0');
    expect(lines).toContain('mx-none.test,mx-none.test,removed,not-ready,,35,,,,,3,');
  });

  it('a hostile or invalid saved run is refused in one line, exit 2, nothing on stdout', async () => {
    const good = readFileSync(file('w1.jsonl'), 'utf8').split('\n');
    const cases: [string, string, RegExp][] = [
      ['not-json.jsonl', `${good[0]}\n{"domain": "x.test", \n`, /^m365audit: .*not-json\.jsonl is not a saved m365audit run: line 2 is not JSON\n$/],
      ['bad-grade.jsonl', `${good[0]?.replace('"grade":"ready"', '"grade":"excellent"')}\n`, /^m365audit: .*bad-grade\.jsonl is not a saved m365audit run: line 1: grade must be one of "ready", "needs-work", "unknown", "not-ready"\n$/],
      ['escape.jsonl', `${good[0]?.replace('"cloud":"worldwide"', '"cloud":"\\u001b[31mmars\\u001b]0;pwn\\u0007"')}\n`, /^m365audit: .*escape\.jsonl is not a saved m365audit run: line 1: cloud must be one of .*\n$/],
      ['empty.jsonl', '', /^m365audit: .*empty\.jsonl is not a saved m365audit run: the input is empty\n$/],
      ['doc.json', '{"schemaVersion": 1, "domains": "x"}', /^m365audit: .*doc\.json is not a saved m365audit run: .*\n$/],
      ['binary.jsonl', '\u0000\u0001\u0002ELF', /^m365audit: .*binary\.jsonl is not a saved m365audit run: line 1 is not JSON\n$/],
    ];
    for (const [name, text, message] of cases) {
      writeFileSync(file(name), text);
      for (const args of [[file(name), file('w2.jsonl')], [file('w1.jsonl'), file(name)]]) {
        const r = await runInProcess(['diff', ...args, '--fail-on', 'regression']);
        expect(r.code, name).toBe(2);
        expect(r.stdout, name).toBe('');
        expect(r.stderr, name).toMatch(message);
        expect(r.stderr).not.toMatch(/[\x1b\x07]/);
      }
    }
  });

  it('usage errors: exit 2, one line', async () => {
    const cases: [string[], RegExp][] = [
      [[file('w1.jsonl')], /diff needs two saved runs/],
      [[file('w1.jsonl'), file('w2.jsonl'), file('w2.jsonl')], /too many arguments|diff needs two saved runs/],
      [['-', '-'], /standard input \(-\) can be read only once/],
      [[file('nope.jsonl'), file('w2.jsonl')], /cannot read .*nope\.jsonl: ENOENT/],
      [[dir, file('w2.jsonl')], /cannot read .*: EISDIR/],
      [[file('w1.jsonl'), file('w2.jsonl'), '--format', 'jsonl'], /Allowed choices are table, markdown, html, json, csv/],
      [[file('w1.jsonl'), file('w2.jsonl'), '--fail-on', 'error'], /Allowed choices are regression, never/],
      [['--old', file('w1.jsonl'), '--new', file('w2.jsonl'), '--format', 'json', file('w2.jsonl')], /with --old and --new, give no other file/],
      [['--old', file('w1.jsonl'), '--new', file('w2.jsonl'), file('w2.jsonl')], /w2\.jsonl is given twice/],
    ];
    for (const [args, message] of cases) {
      const r = await runInProcess(['diff', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });
});
