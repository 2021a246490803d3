/**
 * `diff --format html` in the readiness report's design: the same page
 * shell and stylesheet (src/report/html.ts PAGE_CSS), the same strict CSP
 * (the stylesheet by its hash; no script on this page), and in the browser
 * what improved in green, what regressed in red.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { finding, type FindingCode } from '../../src/findings/catalog.js';
import { gradeOf, scoreOf } from '../../src/findings/grade.js';
import { createDiffWalk, type DiffEntry } from '../../src/report/diff.js';
import { renderDiffHtmlChunks } from '../../src/report/diff-html.js';
import type { DiffView } from '../../src/report/diff-words.js';
import { PAGE_CSS } from '../../src/report/html.js';
import type { RunInfo } from '../../src/report/run.js';

const RUN: RunInfo = { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', version: '0.1.0', resolvers: ['127.0.0.1:53'], options: null, complete: true, rowsRead: 2, rowsReported: 2 };

function report(domain: string, codes: FindingCode[], row: number): DomainReport {
  const findings = codes.map((c) => finding(c, `${c} <script>alert(1)</script>`));
  return {
    domain, input: domain, score: scoreOf(findings), grade: gradeOf(findings), cloud: 'worldwide', tenant: null, findings, row,
    mx: null, spf: null, dkim: null, dmarc: null, autodiscover: null, verification: null, mtaSts: null, tlsRpt: null, dnssec: null, dane: null, notes: [], timing: { ms: 1, queries: 1 }, auditedAt: RUN.startedAt,
  };
}

/** Two domains: better.test fixed its DMARC, worse.test lost its MX. */
function view(): DiffView {
  const w = createDiffWalk();
  const entries: DiffEntry[] = [];
  for (const [old, now] of [[report('better.test', ['DMARC_POLICY_NONE'], 0), report('better.test', [], 0)], [report('worse.test', [], 1), report('worse.test', ['MX_MISSING'], 1)]] as const) {
    w.add('old', old);
    const e = w.add('new', now);
    if (e) entries.push(e);
  }
  entries.push(...w.finish());
  return { entries, summary: w.summary(), old: { files: ['w1.jsonl'], run: RUN }, new: { files: ['w2.jsonl'], run: RUN } };
}

const html = (): string => [...renderDiffHtmlChunks(view())].join('');
const CHROMIUM = '/usr/bin/chromium';
const SKIP_BROWSER = !existsSync(CHROMIUM) && process.env.CI !== 'true';

describe('diff --format html: the readiness report\'s design', () => {
  it('the shared stylesheet and shell, its hash the only style the CSP allows, no script', () => {
    const page = html();
    const css = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    expect(css.startsWith(PAGE_CSS)).toBe(true);
    const hash = `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`;
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${hash}; base-uri 'none'; form-action 'none'">`);
    expect(page).not.toContain('<script');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.match(/<tr class="v-(regressed|improved)">/g)).toEqual(['<tr class="v-regressed">', '<tr class="v-improved">']);
  });

  it.skipIf(SKIP_BROWSER)('in Chromium: the regressed row red, the improved one green, the page styled (the CSP let the stylesheet in)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'm365audit-diff-html-'));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const file = join(dir, 'diff.html');
      await writeFile(file, html());
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const colours = await page.evaluate(`(() => {
        const bg = (sel) => getComputedStyle(document.querySelector(sel)).backgroundColor;
        const fg = (sel) => getComputedStyle(document.querySelector(sel)).color;
        return { regressed: bg('tr.v-regressed > th'), improved: bg('tr.v-improved > th'), regressedWord: fg('tr.v-regressed .verdict'), improvedWord: fg('tr.v-improved .verdict'), font: getComputedStyle(document.body).fontFamily };
      })()`) as Record<string, string>;
      expect(colours).toMatchObject({ regressed: 'rgb(255, 235, 233)', improved: 'rgb(218, 251, 225)', regressedWord: 'rgb(207, 34, 46)', improvedWord: 'rgb(26, 127, 55)' });
      expect(colours.font).toContain('system-ui');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
