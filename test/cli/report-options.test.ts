/**
 * --title (check, batch, report) and --columns (batch, report): the
 * heading of markdown, text and html, and the input CSV's columns in the
 * HTML readiness table. Each refuses what it cannot do in one line, exit 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { runInProcess } from '../support/cli.js';
import { startFixtureServer } from '../support/fixtures.js';

let server: TestDnsServer;
let dir: string;
beforeAll(async () => {
  server = await startFixtureServer();
  dir = mkdtempSync(join(tmpdir(), 'm365audit-report-options-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});
const dns = (): string[] => ['--dns-server', server.server, '--timeout', '1500', '--retries', '0', '--no-probe'];
const CSV = 'domain,client,Owner,notes\nready.test,Contoso,ann@contoso.example,first\nmx-none.test,"Fabrikam <b>",bob,\n';

/** The readiness table's head cells and the cells of each row (end tags are left out: a row is one line). */
function table(html: string): { heads: string[]; rows: string[][] } {
  const t = html.slice(html.indexOf('<table class="domains">'));
  const heads = [...(/<thead><tr>(.*?)<\/tr><\/thead>/.exec(t)?.[1] ?? '').matchAll(/>([^<]*)<\/th>/g)].map((m) => m[1] as string);
  const rows = (t.match(/^<tr><th>.*$/gm) ?? []).map((row) => row.split(/<t[hd](?: class="[a-z-]+")?>/).slice(1).map((c) => c.replace(/<[^>]+>/g, '')));
  return { heads, rows };
}

describe('--columns: the input CSV\'s columns in the HTML table', () => {
  it('batch: the named columns after Cloud, in the order given, matched by name in any case, values escaped', async () => {
    const r = await runInProcess(['batch', '-', ...dns(), '--format', 'html', '--columns', 'client,owner'], { input: CSV });
    expect(r.stderr).toBe('');
    const { heads, rows } = table(r.stdout);
    expect(heads.slice(0, 6)).toEqual(['Domain', 'Grade', 'Score', 'Cloud', 'client', 'owner']);
    expect(rows.map((x) => x.slice(0, 1).concat(x.slice(4, 6)))).toEqual([['ready.test', 'Contoso', 'ann@contoso.example'], ['mx-none.test', 'Fabrikam &lt;b&gt;', 'bob']]);
  });

  it('report: the same from the saved jsonl run (the meta rides in each report)', async () => {
    const saved = join(dir, 'run.jsonl');
    await runInProcess(['batch', '-', ...dns(), '--format', 'jsonl', '--output', saved], { input: CSV });
    const r = await runInProcess(['report', saved, '--format', 'html', '--columns', 'notes,client', '--title', 'Wave 3']);
    const { heads, rows } = table(r.stdout);
    expect(heads.slice(4, 6)).toEqual(['notes', 'client']);
    expect(rows.map((x) => x.slice(4, 6))).toEqual([['first', 'Contoso'], ['', 'Fabrikam &lt;b&gt;']]);
    expect(r.stdout).toContain('<title>Wave 3</title>');
    expect(r.stdout).toContain('<h1>Wave 3</h1>');
  });

  it.each([
    [['--format', 'csv', '--columns', 'client'], '--columns needs --format html'],
    [['--format', 'html', '--columns', 'client,,owner'], '--columns takes column names separated by commas, none empty.'],
    [['--format', 'html', '--columns', 'a,b,a'], '--columns names a twice.'],
    [['--format', 'html', '--columns', Array.from({ length: 13 }, (_, i) => `c${i}`).join(',')], '--columns takes at most 12 names.'],
  ])('refuses %j in one line, exit 2', async (args, message) => {
    const r = await runInProcess(['batch', '-', ...dns(), ...args], { input: CSV });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });
});

describe('--title: the heading of markdown, text and html', () => {
  it('check, batch and report each take it', async () => {
    const title = 'Contoso migration wave 3';
    const check = await runInProcess(['check', 'ready.test', ...dns(), '--format', 'html', '--title', title]);
    expect(check.stdout).toContain(`<title>${title}</title>`);
    const batch = await runInProcess(['batch', '-', ...dns(), '--format', 'text', '--title', title], { input: 'ready.test\n' });
    expect(batch.stdout.startsWith(`${title}\n${'='.repeat(title.length)}\n`)).toBe(true);
    const out = join(dir, 'check.json');
    await runInProcess(['check', 'ready.test', ...dns(), '--format', 'json', '--output', out]);
    const report = await runInProcess(['report', out, '--format', 'markdown', '--title', title]);
    expect(report.stdout.startsWith(`## ${title}\n`)).toBe(true);
    expect(readFileSync(out, 'utf8')).not.toContain(title);
  });

  it.each([
    [['--format', 'json', '--title', 'x'], '--title needs --format markdown, text, html'],
    [['--format', 'html', '--title', '   '], '--title needs some text.'],
    [['--format', 'html', '--title', 'x'.repeat(201)], '--title takes at most 200 characters.'],
  ])('refuses %j in one line, exit 2', async (args, message) => {
    const r = await runInProcess(['check', 'ready.test', ...dns(), ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it('batch --resume writes jsonl: --title is refused there too', async () => {
    writeFileSync(join(dir, 'list.txt'), 'ready.test\n');
    const r = await runInProcess(['batch', join(dir, 'list.txt'), ...dns(), '--resume', join(dir, 'resume.jsonl'), '--title', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--title needs --format markdown, text, html');
  });
});
