/**
 * The HTML report of a batch run, for `npm run bench`: `m365audit report
 * RUN.jsonl --format html` timed (wall) with its peak RSS, the page's
 * size, and the page in headless Chromium (Debian's /usr/bin/chromium
 * through playwright-core, never a downloaded browser): when its script
 * is ready, DOMContentLoaded, load, and when it is interactive (the load
 * event or the end of the last long task of the main thread, whichever is
 * later, as Lighthouse's TTI counts it: the page answers input from then
 * on), all from navigation start;
 * then, the table in view, a sort of every row and a filter, each to the
 * next paint; and script errors. Targets (issue 18): at most 5 MB for
 * 5,000 domains, interactive within 3 s.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** The targets the page is held to. */
export const HTML_TARGETS = { bytes: 5_000_000, interactiveMs: 3000 } as const;

/** One measured page. */
export interface HtmlRun {
  domains: number;
  bytes: number;
  renderSeconds: number;
  renderPeakRssMiB: number;
  browser: null | {
    readyMs: number;
    domContentLoadedMs: number;
    loadMs: number;
    /** The load event, or the end of the last long task (over 50 ms) before a quiet second if later: the main thread answers input from then on. */
    interactiveMs: number;
    longTasks: number;
    sortMs: number;
    filterMs: number;
    shownAfterFilter: number;
    errors: string[];
  };
  /** Why there is no browser figure (no Chromium at CHROMIUM). */
  skipped?: string;
}

/** `report` of a saved run to an HTML file; wall time, and peak RSS from the process itself (an --import hook at exit). */
async function render(cli: string, jsonl: string, out: string): Promise<{ seconds: number; peakRssMiB: number }> {
  const hook = 'data:text/javascript,process.on("exit",()=>process.stderr.write("bench-maxrss "+process.resourceUsage().maxRSS+"\\n"))';
  const t0 = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, ['--import', hook, cli, 'report', jsonl, '--format', 'html', '--title', 'Benchmark wave', '--output', out, '--fail-on', 'never'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`report exited ${code}: ${stderr}`);
  const rss = /bench-maxrss (\d+)/.exec(stderr);
  return { seconds, peakRssMiB: rss ? Math.round(Number(rss[1]) / 1024) : NaN };
}

/** Before the page's own scripts: long tasks are recorded from the start (init scripts are not subject to the page's CSP). */
const OBSERVE = `window.__longTasks = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.startTime + e.duration); }).observe({ type: 'longtask', buffered: true });`;

/** In the page: wait for a quiet second (no long task), then say when the last long task ended. */
const QUIET = `(async () => {
  for (;;) {
    const seen = window.__longTasks.length;
    await new Promise((r) => setTimeout(r, 1000));
    if (window.__longTasks.length === seen) break;
  }
  const n = performance.getEntriesByType('navigation')[0];
  return { tti: Math.max(n.loadEventEnd, ...window.__longTasks), count: window.__longTasks.length };
})()`;

/** In the page: the table in view, sort by grade and wait for the frame after. */
const SORT = `(async () => {
  document.querySelector('table.domains').scrollIntoView();
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const t = performance.now();
  document.querySelector('th[data-col="grade"] button').click();
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return { ms: performance.now() - t, sorted: document.documentElement.dataset.sorted !== undefined };
})()`;

/** In the page: filter on the most frequent finding, wait for the frame after. */
const FILTER = `(async () => {
  const select = document.getElementById('f-code');
  const t = performance.now();
  select.value = select.options[select.options.length - 1].value;
  select.dispatchEvent(new Event('change'));
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return { ms: performance.now() - t, shown: Number(document.documentElement.dataset.shown) };
})()`;

const TIMES = `(() => {
  const n = performance.getEntriesByType('navigation')[0];
  return { ready: Number(document.documentElement.dataset.ready), dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd };
})()`;

/** Renders `jsonl` (a batch run of `domains` rows) to `dir`/report.html and opens it in Chromium. */
export async function measureHtml(cli: string, jsonl: string, dir: string, domains: number): Promise<HtmlRun> {
  const out = join(dir, 'report.html');
  const r = await render(cli, jsonl, out);
  const run: HtmlRun = { domains, bytes: statSync(out).size, renderSeconds: r.seconds, renderPeakRssMiB: r.peakRssMiB, browser: null };
  if (!existsSync(CHROMIUM)) return { ...run, skipped: `${CHROMIUM} not found (apt-get install chromium)` };
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    await page.addInitScript(OBSERVE);
    await page.goto(pathToFileURL(out).href, { waitUntil: 'load', timeout: 120_000 });
    const times = await page.evaluate(TIMES) as { ready: number; dcl: number; load: number };
    const quiet = await page.evaluate(QUIET) as { tti: number; count: number };
    const sort = await page.evaluate(SORT) as { ms: number; sorted: boolean };
    if (!sort.sorted) errors.push('the sort did not run');
    const filter = await page.evaluate(FILTER) as { ms: number; shown: number };
    run.browser = { readyMs: times.ready, domContentLoadedMs: times.dcl, loadMs: times.load, interactiveMs: quiet.tti, longTasks: quiet.count, sortMs: sort.ms, filterMs: filter.ms, shownAfterFilter: filter.shown, errors };
  } finally {
    await browser.close();
  }
  return run;
}

/** The figures as a Markdown section of the benchmark report. */
export function renderHtmlBench(r: HtmlRun): string {
  const mb = (r.bytes / 1e6).toFixed(2);
  const b = r.browser;
  const met = (ok: boolean): string => (ok ? 'yes' : 'NO');
  return [
    `\`m365audit report RUN.jsonl --format html\` of a ${r.domains.toLocaleString('en-US')}-domain batch run (the synthetic tenants), then the page in headless Chromium (${CHROMIUM}, playwright-core), 1280x900. Times in the browser from navigation start; "interactive": the load event or the end of the last long task before a quiet second, whichever is later (Lighthouse's TTI). Sort (every row, by grade) and filter (the least frequent finding): from the click to the next paint, the table in view.`,
    '',
    '| domains | HTML (MB) | ≤ 5 MB | render (s) | render peak RSS (MiB) | script ready (ms) | DOMContentLoaded (ms) | load (ms) | interactive (ms) | ≤ 3 s | sort (ms) | filter (ms) | script errors |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|',
    `| ${r.domains} | ${mb} | ${met(r.bytes <= HTML_TARGETS.bytes)} | ${r.renderSeconds.toFixed(1)} | ${r.renderPeakRssMiB} | ${b ? b.readyMs.toFixed(0) : '–'} | ${b ? b.domContentLoadedMs.toFixed(0) : '–'} | ${b ? b.loadMs.toFixed(0) : '–'} | ${b ? b.interactiveMs.toFixed(0) : '–'} | ${b ? met(b.interactiveMs <= HTML_TARGETS.interactiveMs) : '–'} | ${b ? b.sortMs.toFixed(0) : '–'} | ${b ? b.filterMs.toFixed(0) : '–'} | ${b ? b.errors.length : '–'} |`,
    ...(r.skipped ? ['', `Browser figures skipped: ${r.skipped}.`] : []),
    ...(b && b.errors.length > 0 ? ['', `Script errors: ${b.errors.map((e) => `\`${e}\``).join('; ')}`] : []),
    '',
  ].join('\n');
}
