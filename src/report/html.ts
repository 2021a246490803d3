import { createHash } from 'node:crypto';
import { MAX_DNS_LOOKUPS, MAX_VOID_LOOKUPS } from '../spf/budget.js';
import type { DomainReport } from '../audit/audit.js';
import { CATALOG, isFindingCode, type Finding } from '../findings/catalog.js';
import type { ProbeResult } from '../smtp/types.js';
import { tlsaAcronyms } from '../transport/tlsa.js';
import { parseDkimTarget } from '../dkim/target.js';
import { dashed } from '../m365/clouds.js';
import { TOOL_NAME, VERSION } from '../version.js';
import { reachableFact, summarizeProbe } from './probe-summary.js';
import { DEFAULT_TITLE } from './markdown.js';
import { describeRun, type RunInfo } from './run.js';
import { escapeHtml } from './safe-text.js';
import { AREA_LABELS, createSummary, describeDnssecResolver, isInvalidRow, type AreaSummary, type RunSummary, type SummaryArea } from './summary.js';
import { GRADE_WORDS, gradeWord, safeSummary, ticketCell, TICKET_AREAS } from './text-ticket.js';
import { plural, scoreText } from './words.js';

/** Options of renderHtml. */
export interface HtmlOptions {
  /** The page's title and heading (--title; default "Microsoft 365 mail readiness"). */
  title?: string | undefined;
  /** Shown in the header when given; left out otherwise so the output stays deterministic. */
  generatedAt?: Date | undefined;
  /** The run's audit trail (when, version, resolvers, options): the header and the footer. */
  run?: RunInfo | null | undefined;
  /** Input CSV columns (each report's `meta`) shown in the readiness table, in this order (--columns). */
  columns?: readonly string[] | undefined;
}


/** The areas with a column of their own; the transport areas (MTA-STS, TLS-RPT, DNSSEC, DANE) share one. */
const TABLE_AREAS = ['mx', 'spf', 'dkim', 'dmarc', 'autodiscover'] as const satisfies readonly SummaryArea[];
/** Column heads of the readiness table (without --columns); "SMTP probe" follows when domains have MX probes. */
export const HTML_COLUMNS: readonly string[] = ['Domain', 'Grade', 'Score', 'Cloud', ...TABLE_AREAS.map((a) => AREA_LABELS[a]), 'Transport'];

const GRADES = ['ready', 'needs-work', 'unknown', 'not-ready'] as const;
type GradeKey = (typeof GRADES)[number];
const STATUSES = ['pass', 'warn', 'fail', 'unknown', 'n/a'] as const;
const STATUS_CLASS: Readonly<Record<AreaSummary['status'], string>> = { pass: 'p', warn: 'w', fail: 'f', unknown: 'u', 'n/a': 'na' };
/** SPF (RFC 7208 4.6.4): a tree deeper than this cannot be within the limits; stop drawing there. */
const MAX_TREE_DEPTH = 12;
/** Generic facts nest at most this deep; anything deeper is shown as JSON text. */
const MAX_FACT_DEPTH = 3;
/** Codes in the summary chart. */
const CHART_CODES = 10;
/** Codes the finding filter and the reference section list at most (a saved run may hold any number). */
const MAX_CODES = 200;
/** Distinct shared texts tracked (message, evidence, fix, note, SPF include record): beyond, a text is written where it is. */
const MAX_SHARED = 4000;
/** Distinct clouds the cloud filter lists at most. */
const MAX_CLOUDS = 20;
/** Meta columns (--columns) at most. */
export const MAX_COLUMNS = 12;

/**
 * The page design every HTML page of m365audit shares (the readiness report
 * and `diff`): colours, type, tables, badges, status marks, the header's
 * run facts, the summary counts, cards, and the print rules. Status is
 * carried by a mark (✓ ! ✗ ?) and words, colour only helps (print, colour
 * blindness); the mark is drawn by the stylesheet.
 */
export const PAGE_CSS = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --panel:#f6f8fa;
  --pass:#1a7f37; --warn:#9a6700; --fail:#cf222e; --unknown:#0969da; --na:#59636e; --pass-bg:#dafbe1; --fail-bg:#ffebe9; --warn-bg:#fff8c5; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0 auto; max-width: 1440px; padding: 1.5rem; color: var(--fg); background: var(--bg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.05rem; margin: 1rem 0 .3rem; }
p { margin: .25rem 0; }
.muted, .meta { color: var(--muted); }
code { font: .9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel);
  border-radius: 4px; padding: .05em .3em; white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word; }
var { font-style: normal; border-bottom: 1px dotted var(--muted); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
caption { text-align: left; color: var(--muted); padding: .25rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
thead th { background: var(--panel); }
td.num, .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .75rem; margin: .3rem 0; }
dt { font-weight: 600; color: var(--muted); } dd { margin: 0; min-width: 0; }
.run-facts { margin: .5rem 0 0; }
.badge { display: inline-block; border-radius: 999px; padding: .05rem .6rem; font-weight: 600; font-size: .85em;
  color: #fff; white-space: nowrap; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.grade-ready, .sev-pass { background: var(--pass); } .grade-needs-work, .sev-warning { background: var(--warn); }
.grade-unknown { background: var(--unknown); } .grade-invalid, .sev-info { background: var(--na); }
.grade-not-ready, .sev-error { background: var(--fail); }
.p { color: var(--pass); } .w { color: var(--warn); } .f { color: var(--fail); } .u { color: var(--unknown); } .na { color: var(--na); }
.p::before { content: "\\2713\\a0"; } .w::before { content: "!\\a0"; } .f::before { content: "\\2717\\a0"; } .u::before { content: "?\\a0"; }
.p::before, .w::before, .f::before, .u::before { font-weight: 700; }
.stats { display: flex; flex-wrap: wrap; gap: .75rem; padding: 0; margin: .5rem 0; list-style: none; }
.stats li { border: 1px solid var(--line); border-radius: 8px; padding: .5rem .9rem; min-width: 8rem; }
.stats .n { display: block; font-size: 1.6rem; font-weight: 700; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .5rem 1rem; margin: .6rem 0; }
footer { margin-top: 2rem; color: var(--muted); font-size: .9em; }
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  a { color: inherit; text-decoration: none; }
  .card { border-color: #999; break-inside: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
}
`;

/** The readiness report's own rules, after PAGE_CSS. */
const REPORT_CSS = `
.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 0 2rem; }
.summary > h2, .summary > .wide { grid-column: 1 / -1; }
figure { margin: .5rem 0; } figcaption { color: var(--muted); font-size: .9em; }
svg.chart { width: 100%; max-width: 560px; height: auto; font: 13px system-ui, sans-serif; }
svg.chart text { fill: var(--fg); } svg.chart .n { fill: var(--muted); }
.bar-ready, .bar-pass { fill: var(--pass); } .bar-needs-work, .bar-warning { fill: var(--warn); } .bar-unknown { fill: var(--unknown); }
.bar-not-ready, .bar-error { fill: var(--fail); } .bar-invalid, .bar-info { fill: var(--na); }
svg.chart rect { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.controls { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: .5rem 0; }
.controls select, .controls button { font: inherit; padding: .15rem .4rem; }
.scroll { overflow-x: auto; }
table.domains { font-size: .9em; }
table.domains td { white-space: nowrap; }
table.domains td:nth-child(3) { text-align: right; font-variant-numeric: tabular-nums; }
table.domains th button { all: unset; cursor: pointer; font-weight: 700; }
table.domains th button::after { content: " \\2195"; color: var(--muted); }
table.domains th[aria-sort="ascending"] button::after { content: " \\2191"; }
table.domains th[aria-sort="descending"] button::after { content: " \\2193"; }
.gr-ready { color: var(--pass); } .gr-needs-work { color: var(--warn); } .gr-unknown { color: var(--unknown); }
.gr-not-ready { color: var(--fail); } .gr-invalid { color: var(--na); }
.gr-ready, .gr-needs-work, .gr-unknown, .gr-not-ready, .gr-invalid { font-weight: 700; }
#cards > details { border: 1px solid var(--line); border-radius: 8px; padding: .35rem .9rem; margin: .4rem 0; }
#cards > details > summary { cursor: pointer; }
#cards > details > summary b { font-size: 1.05em; }
ul.findings { list-style: none; padding: 0; margin: .4rem 0; }
ul.findings > li { border-left: 4px solid var(--na); padding: .15rem .6rem; margin: .3rem 0; background: var(--panel); }
ul.findings > li.error { border-left-color: var(--fail); } ul.findings > li.warning { border-left-color: var(--warn); }
ul.findings a, #cards details > dl a[href^="#c"], .top-findings a { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
#cards details > dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .9rem; margin: .4rem 0; }
#cards details > dl > dt { color: var(--fg); }
#cards details > dl > dt:not([class])::before { content: "\\2713\\a0"; color: var(--pass); font-weight: 700; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 1.1rem; border-left: 1px dashed var(--line); }
ul.tree { padding-left: .5rem; }
ul.policy { list-style: none; margin: .2rem 0; padding-left: .5rem; border-left: 3px solid var(--line); }
.lookups { color: var(--muted); font-size: .9em; white-space: nowrap; }
article.ref { border-top: 1px solid var(--line); padding: .3rem 0; }
article.ref h3 { margin: .2rem 0; }
#details { content-visibility: auto; contain-intrinsic-size: auto 100vh; }
@media print {
  /* The first page is the header and the summary: compact, and the table starts on the next page. */
  .summary { break-after: page; gap: 0 1rem; }
  h1 { font-size: 16pt; } h2 { margin: .6rem 0 .3rem; font-size: 12pt; }
  dl.run-facts { grid-template-columns: repeat(4, max-content 1fr); margin: 0; }
  .stats { gap: .4rem; margin: .2rem 0; } .stats li { padding: .15rem .5rem; min-width: 0; } .stats .n { font-size: 13pt; }
  svg.chart { max-height: 45mm; width: auto; max-width: 100%; }
  figure { margin: .2rem 0; }
  table.top-findings { font-size: 8pt; margin: .2rem 0; } table.top-findings th, table.top-findings td { padding: .05rem .3rem; }
  .controls { display: none; }
  .scroll { overflow: visible; }
  table.domains { font-size: 8pt; }
  table.domains th, table.domains td { padding: .15rem .3rem; }
  table.domains th button::after { content: none; }
  #details { content-visibility: visible; }
  #cards > details { border-color: #999; break-inside: avoid; }
  #cards > details::details-content { content-visibility: visible; display: block; }
  #cards > details > summary { list-style: none; }
}
`;

/**
 * The one script of the readiness page: sorting (the column heads become
 * buttons; the rows are sorted, the details keep the input's order), the
 * grade, cloud and finding filters (rows and their details together, so a
 * filtered page prints only those), expand and collapse all, and every
 * visible domain's details opened while printing. It reads
 * the page's own text and class names and writes only textContent and
 * attributes: nothing from the data is ever markup or code. The page reads
 * and prints without it (CSP: its hash is the only script allowed).
 */
const REPORT_SCRIPT = `
(function () {
  'use strict';
  var doc = document;
  var table = doc.querySelector('table.domains');
  if (!table || !table.tBodies[0] || !table.tHead) return;
  var body = table.tBodies[0];
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var colOf = function (key) { for (var i = 0; i < heads.length; i++) if (heads[i].getAttribute('data-col') === key) return i; return -1; };
  var gradeAt = colOf('grade');
  var cloudAt = colOf('cloud');
  var RANK = { 'ready': 0, 'needs-work': 1, 'unknown': 2, 'not-ready': 3, 'invalid': 4 };
  // Each finding's page id (c1, c2 …) and its code, from the reference section: a domain's details link to the ids.
  var codeOf = {};
  Array.prototype.forEach.call(doc.querySelectorAll('#codes article.ref'), function (a) { var c = a.querySelector('code'); if (c) codeOf[a.id] = c.textContent; });
  var rows = Array.prototype.slice.call(body.rows).map(function (tr, i) {
    var link = tr.cells[0] && tr.cells[0].querySelector('a');
    var card = link ? doc.getElementById(link.getAttribute('href').slice(1)) : null;
    var grade = gradeAt >= 0 && tr.cells[gradeAt] ? tr.cells[gradeAt].className.replace(/^gr-/, '') : '';
    var codes = {};
    if (card) Array.prototype.forEach.call(card.querySelectorAll('a[href^="#c"]'), function (a) { var c = codeOf[a.getAttribute('href').slice(1)]; if (c !== undefined) codes[c] = true; });
    return { tr: tr, i: i, card: card, grade: grade, cloud: cloudAt >= 0 && tr.cells[cloudAt] ? tr.cells[cloudAt].textContent : '', codes: codes };
  });
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  var status = doc.getElementById('shown');
  var say = function (text) { if (status) status.textContent = text; };
  // The rows are put in order with their body out of the table (one layout, not one a row). The details stay
  // in input order: moving 5,000 <details> measured 14 s in Chromium 150, moving the rows 0.1 s.
  var place = function (order) {
    var next = body.nextSibling;
    table.removeChild(body);
    var out = doc.createDocumentFragment();
    order.forEach(function (r) { out.appendChild(r.tr); });
    body.appendChild(out);
    table.insertBefore(body, next);
  };
  heads.forEach(function (th, col) {
    var kind = th.getAttribute('data-sort');
    if (!kind) return;
    var button = doc.createElement('button');
    button.type = 'button';
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener('click', function () {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      var keyed = rows.map(function (r) {
        var cell = r.tr.cells[col];
        var text = cell ? cell.textContent : '';
        var n = parseFloat(text);
        var k = kind === 'grade' ? (RANK[r.grade] !== undefined ? RANK[r.grade] : 9) : kind === 'num' ? (isNaN(n) ? -1 : n) : text;
        return { r: r, k: k };
      });
      keyed.sort(function (a, b) {
        var d = typeof a.k === 'number' ? a.k - b.k : collator.compare(a.k, b.k);
        return d !== 0 ? d * dir : a.r.i - b.r.i;
      });
      place(keyed.map(function (x) { return x.r; }));
      say('Sorted by ' + th.textContent + (dir === 1 ? ', ascending.' : ', descending.'));
      doc.documentElement.setAttribute('data-sorted', String(col));
    });
  });
  var pick = function (id) { return doc.getElementById(id); };
  var fGrade = pick('f-grade'), fCloud = pick('f-cloud'), fCode = pick('f-code');
  var apply = function () {
    var g = fGrade ? fGrade.value : '', c = fCloud ? fCloud.value : '', f = fCode ? fCode.value : '';
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (!g || r.grade === g) && (!c || r.cloud === c) && (!f || r.codes[f] === true);
      r.tr.hidden = !ok;
      if (r.card) r.card.hidden = !ok;
      if (ok) shown++;
    });
    say(shown + ' of ' + rows.length + ' shown.');
    doc.documentElement.setAttribute('data-shown', String(shown));
  };
  [fGrade, fCloud, fCode].forEach(function (s) { if (s) s.addEventListener('change', apply); });
  var openAll = function (open) { rows.forEach(function (r) { if (r.card && !r.card.hidden) r.card.open = open; }); };
  var expand = pick('expand'), collapse = pick('collapse');
  if (expand) expand.addEventListener('click', function () { openAll(true); });
  if (collapse) collapse.addEventListener('click', function () { openAll(false); });
  var opened = [];
  window.addEventListener('beforeprint', function () {
    opened = rows.filter(function (r) { return r.card && !r.card.hidden && !r.card.open; });
    opened.forEach(function (r) { r.card.open = true; });
  });
  window.addEventListener('afterprint', function () { opened.forEach(function (r) { r.card.open = false; }); opened = []; });
  var controls = pick('controls');
  if (controls) controls.hidden = false;
  doc.documentElement.setAttribute('data-ready', String(Math.round(performance.now())));
})();
`;

const hashes = new Map<string, string>();
/** A CSP source for an inline element's exact text (CSP Level 3 section 8.4: sha256 of the UTF-8 bytes, base64). */
function cspHash(text: string): string {
  let h = hashes.get(text);
  if (h === undefined) {
    h = `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    hashes.set(text, h);
  }
  return h;
}

/** What renderPageStart needs: the title, the page's stylesheet, and its one script, if any. */
export interface PageShell {
  title: string;
  css: string;
  script?: string;
}

/**
 * The page's start, up to and with `<body>`: no external asset, and a
 * Content-Security-Policy that allows only this page's own stylesheet and
 * script, by hash: even a slip in escaping could neither style nor run
 * anything. Inline style attributes are never used.
 */
export function renderPageStart(page: PageShell): string {
  const script = page.script === undefined ? '' : `; script-src ${cspHash(page.script)}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspHash(page.css)}${script}; base-uri 'none'; form-action 'none'">`,
    `<meta name="generator" content="${escapeHtml(`${TOOL_NAME} ${VERSION}`)}">`,
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${page.css}</style>`,
    '</head>',
    '<body>',
  ].join('\n');
}

/** The page's end: its script, if any, last in the body (it runs once the page is parsed). */
export function renderPageEnd(script?: string): string {
  return `${script === undefined ? '' : `<script>${script}</script>\n`}</body>\n</html>\n`;
}

/** The readiness page's stylesheet. */
const CSS = `${PAGE_CSS}${REPORT_CSS}`;

/**
 * One self-contained HTML page for a run, for a client: a header with the
 * run's date and time, resolvers and version; a summary (counts per grade,
 * a chart of the grades and of the most frequent findings, the submission
 * probe once) that prints as the first page; the readiness table, sortable
 * and filterable by grade, cloud and finding; what each finding means and
 * how to fix it, once per code; and every domain's details (findings,
 * notes, the records behind each area), collapsed. Every string from DNS,
 * SMTP or a saved run goes through escapeHtml; only this file's own markup
 * and script are emitted raw.
 */
export function renderHtml(reports: Iterable<DomainReport>, probe: ProbeResult | ProbeResult[] | null, options: HtmlOptions = {}): string {
  return [...renderHtmlChunks(reports, probe, options)].join('');
}

/**
 * The page in chunks, for runs of any size: `reports` is read three times
 * (counts and shared texts, table, details), so a spool file read again
 * will do. Size: a text many domains share (a finding's message and fix
 * with the domain's name in place, a note, an SPF include's record) is
 * written once, in "Findings in this run", and linked from each domain.
 */
export function* renderHtmlChunks(reports: Iterable<DomainReport>, probe: ProbeResult | ProbeResult[] | null, options: HtmlOptions = {}): Generator<string> {
  const probes = probe === null ? [] : Array.isArray(probe) ? probe : [probe];
  const title = typeof options.title === 'string' && options.title.trim() !== '' ? options.title : DEFAULT_TITLE;
  const facts = gatherFacts(reports);
  const columns = (options.columns ?? []).slice(0, MAX_COLUMNS);
  yield `${renderPageStart({ title, css: CSS, script: REPORT_SCRIPT })}\n`;
  yield `${renderHeader(title, facts, options)}\n<main>\n${renderSummary(facts, probes)}\n`;
  yield* renderDomainTable(reports, facts, columns);
  yield* renderReference(facts);
  yield '<section id="details" aria-labelledby="details-h">\n<h2 id="details-h">Domains in detail</h2>\n<p class="muted">Each domain collapsed: open it for its findings and the records behind each area. A finding code links to what it means and how to fix it; its text is written here only where it differs from the one many domains share.</p>\n<div id="cards">\n';
  let i = 0;
  for (const r of reports) yield `${renderCard(r, i++, facts)}\n`;
  yield '</div>\n</section>\n';
  if (probes.length > 0) {
    yield `${['<section aria-labelledby="probe-h">', '<h2 id="probe-h">SMTP submission probe</h2>', ...probes.map((p) => renderProbe(p, 'h3')), '</section>'].join('\n')}\n`;
  }
  const run = options.run ? `<p class="run">${escapeHtml(describeRun(options.run))}</p>` : '';
  yield `</main>\n<footer>${run}<p>${escapeHtml(TOOL_NAME)} ${escapeHtml(VERSION)}. DNS cannot prove that DKIM signing is switched on; check it in the Microsoft Defender portal.</p></footer>\n`;
  yield renderPageEnd(REPORT_SCRIPT);
}

// ---- the first pass: counts, shared texts, clouds -------------------------------------------

/** Private-use characters standing for the domain and the tenant in a shared text; a text that holds one is never shared. */
const DOMAIN_MARK = '\ue000';
const TENANT_MARK = '\ue001';

/** A text many domains may share: a finding's field, a note, or an SPF include's record. */
interface SharedEntry {
  kind: 'message' | 'evidence' | 'fix' | 'note' | 'spf';
  /** The finding's code; the include's name. */
  of: string;
  /** The template (marks for the domain and tenant); the include's record. */
  text: string;
  /** Domains that have it. */
  n: number;
}

/** What the page needs of the whole run before it writes a row: counts, clouds, MX probes, shared texts, code ids. */
interface RunFacts {
  summary: RunSummary;
  /** Every code in the run, most frequent first (MAX_CODES at most), with its page id. */
  codes: Map<string, { id: string; severity: string; domains: number }>;
  clouds: string[];
  withProbe: boolean;
  invalid: boolean;
  /** Every text counted, by key (MAX_SHARED at most). */
  counted: Map<string, SharedEntry>;
  /** The keys of the texts the reference section shows, with their page ids (notes, includes): a domain links to these instead of repeating them. */
  shown: Map<string, string>;
}

function gatherFacts(reports: Iterable<DomainReport>): RunFacts {
  const summary = createSummary();
  const counted = new Map<string, SharedEntry>();
  const count = (key: string | null, entry: Omit<SharedEntry, 'n'>): void => {
    if (key === null) return;
    const e = counted.get(key);
    if (e) e.n++;
    else if (counted.size < MAX_SHARED) counted.set(key, { ...entry, n: 1 });
  };
  const clouds = new Set<string>();
  let withProbe = false;
  let invalid = false;
  for (const r of reports) {
    summary.add(r);
    if (r.mxProbe) withProbe = true;
    if (isInvalidRow(r)) invalid = true;
    else if (typeof r.cloud === 'string' && clouds.size < MAX_CLOUDS) clouds.add(r.cloud);
    for (const f of findingsOf(r)) {
      for (const field of FIELDS) {
        const t = templateOf(f[field], r);
        if (t !== null && typeof f.code === 'string') count(findingKey(f, field, r), { kind: field, of: f.code, text: t });
      }
    }
    for (const n of strs(r.notes)) {
      const t = templateOf(n, r);
      if (t !== null) count(noteKey(n, r), { kind: 'note', of: '', text: t });
    }
    walkIncludes(isObj(r.spf) ? r.spf.tree : null, (node) => count(includeKey(node), { kind: 'spf', of: str(node.domain) ?? '', text: str(node.record) ?? '' }));
  }
  const result = summary.result(MAX_CODES);
  const codes = new Map<string, { id: string; severity: string; domains: number }>();
  result.topFindings.forEach((f, i) => codes.set(f.code, { id: `c${i + 1}`, severity: f.severity, domains: f.domains }));
  const shown = new Map<string, string>();
  let notes = 0;
  let includes = 0;
  for (const [key, e] of counted) {
    if (e.n < 2) continue;
    if (e.kind === 'note') shown.set(key, `n${++notes}`);
    else if (e.kind === 'spf') shown.set(key, `s${++includes}`);
    else if (codes.has(e.of)) shown.set(key, codes.get(e.of)?.id ?? '');
  }
  return { summary: summary.result(), codes, clouds: [...clouds].sort(), withProbe, invalid, counted, shown };
}

const FIELDS = ['message', 'evidence', 'fix'] as const;

/** The page id of a text the reference section shows, or undefined: then the domain's details write it. */
function sharedId(facts: RunFacts | null, key: string | null): string | undefined {
  return facts && key !== null ? facts.shown.get(key) : undefined;
}

/** `text` with the report's domain and tenant as marks, or null when it cannot be (it holds a mark, or is not a string). */
function templateOf(text: unknown, r: DomainReport): string | null {
  if (typeof text !== 'string' || text.includes(DOMAIN_MARK) || text.includes(TENANT_MARK)) return null;
  let t = typeof r.domain === 'string' && r.domain !== '' ? text.split(r.domain).join(DOMAIN_MARK) : text;
  // The tenant as a whole word (contoso, not contoso-fabrikam); the domain went first, so a tenant inside it is not touched.
  if (typeof r.tenant === 'string' && /^[a-z0-9-]{1,63}$/.test(r.tenant)) t = t.replace(new RegExp(`(?<![a-z0-9-])${r.tenant}(?![a-z0-9-])`, 'g'), TENANT_MARK);
  return t;
}

function findingKey(f: Finding, field: (typeof FIELDS)[number], r: DomainReport): string | null {
  const t = templateOf(f[field], r);
  // The code's length first: a code from a saved run may hold the separator.
  return t === null || typeof f.code !== 'string' ? null : `${field}\u0000${f.code.length}:${f.code}\u0000${t}`;
}

function noteKey(n: string, r: DomainReport): string | null {
  const t = templateOf(n, r);
  return t === null ? null : `note\u0000${t}`;
}

/** Calls `visit` with every included node of an SPF tree (not the root: that record is the domain's own). */
function walkIncludes(tree: unknown, visit: (node: Obj) => void): void {
  const seen = new Set<unknown>();
  const walk = (node: unknown, depth: number): void => {
    if (!isObj(node) || seen.has(node) || depth > MAX_TREE_DEPTH) return;
    seen.add(node);
    if (depth > 0) visit(node);
    if (Array.isArray(node.children)) for (const c of node.children) walk(c, depth + 1);
  };
  walk(tree, 0);
}

function includeKey(node: Obj): string | null {
  const name = str(node.domain);
  const record = str(node.record);
  return name && record ? `spf\u0000${name.length}:${name}\u0000${record}` : null;
}

function findingsOf(r: DomainReport): Finding[] {
  return Array.isArray(r.findings) ? r.findings.filter(isObj) as unknown as Finding[] : [];
}

// ---- header and summary --------------------------------------------------------------------

/** `2026-12-01 15:30:16 UTC` from an ISO 8601 UTC time, or the text as it is. */
function when(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : iso;
}

function timeTag(iso: string): string {
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(when(iso))}</time>`;
}

function renderHeader(title: string, facts: RunFacts, options: HtmlOptions): string {
  const run = options.run ?? null;
  const dl: string[] = [];
  const fact = (k: string, v: string): void => void dl.push(`<dt>${k}</dt><dd>${v}</dd>`);
  if (run && (run.startedAt || run.finishedAt)) {
    const start = run.startedAt ?? run.finishedAt ?? '';
    const end = run.finishedAt && run.finishedAt !== start ? ` to ${timeTag(run.finishedAt)}` : '';
    fact('Run', `${timeTag(start)}${end}${run.reconstructed ? ' <span class="muted">(from the reports\u2019 audit times)</span>' : ''}`);
  } else if (run) fact('Run', 'at an unknown time');
  if (run) {
    fact('Resolvers', run.resolvers === null ? 'not recorded' : run.resolvers.length === 0 ? 'none' : run.resolvers.map((x) => `<code>${escapeHtml(x)}</code>`).join(' '));
    fact('Version', run.version === null ? 'not recorded' : `${escapeHtml(TOOL_NAME)} ${escapeHtml(run.version)}`);
  } else fact('Version', `${escapeHtml(TOOL_NAME)} ${escapeHtml(VERSION)}`);
  fact(facts.invalid ? 'Rows' : 'Domains', escapeHtml(facts.summary.domains.toLocaleString('en-US')));
  if (options.generatedAt && !Number.isNaN(options.generatedAt.getTime())) fact('Generated', timeTag(options.generatedAt.toISOString()));
  return [
    '<header>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${plural(facts.summary.domains, facts.invalid ? 'row' : 'domain')} audited by ${escapeHtml(TOOL_NAME)}${run?.version ? ` ${escapeHtml(run.version)}` : ` ${escapeHtml(VERSION)}`}.</p>`,
    `<dl class="facts run-facts">${dl.join('')}</dl>`,
    '</header>',
  ].join('\n');
}

function renderSummary(facts: RunFacts, probes: readonly ProbeResult[]): string {
  const sum = facts.summary;
  const stats = GRADES.map((g) => `<li><span class="n">${sum.grades[g]}</span><span class="badge grade-${g}">${GRADE_WORDS[g]}</span></li>`);
  const unit = sum.invalid > 0 ? (sum.domains === 1 ? 'row' : 'rows') : sum.domains === 1 ? 'domain' : 'domains';
  const lines = [
    '<section id="summary" class="summary" aria-labelledby="summary-h">',
    '<h2 id="summary-h">Summary</h2>',
    `<ul class="stats wide" aria-label="Domains per grade"><li><span class="n">${sum.domains}</span>${unit}</li>${stats.join('')}<li><span class="n">${sum.invalid}</span><span class="badge grade-invalid">Invalid</span></li></ul>`,
    renderGradeChart(sum),
  ];
  const top = [...facts.codes.entries()].slice(0, CHART_CODES);
  if (top.length > 0) {
    lines.push(
      renderCodeChart(top, sum.domains),
      '<table class="top-findings wide">',
      '<caption>Most frequent findings (each explained under Findings in this run)</caption>',
      '<thead><tr><th scope="col">Code</th><th scope="col">Severity</th><th scope="col">Domains</th><th scope="col">Meaning</th></tr></thead>',
      '<tbody>',
      ...top.map(([code, c]) => `<tr><th scope="row"><a href="#${c.id}">${escapeHtml(code)}</a></th><td>${severityBadge(c.severity)}</td><td class="num">${c.domains}</td><td>${escapeHtml(isFindingCode(code) ? CATALOG[code].title : '')}</td></tr>`),
      '</tbody>',
      '</table>',
    );
  } else lines.push('<p class="wide">No findings.</p>');
  for (const p of probes) {
    const s = summarizeProbe(p);
    lines.push(`<p class="wide">SMTP submission probe, once for the run: ${statusCell({ status: s.status, text: s.text })} (details at the end).</p>`);
  }
  const resolver = describeDnssecResolver(sum);
  if (resolver) lines.push(`<p class="wide">${escapeHtml(resolver)}</p>`);
  lines.push('</section>');
  return lines.join('\n');
}

/** Bars of an SVG chart: label, count, class; drawn with attributes only (no style attribute: the CSP allows none). */
function barChart(id: string, caption: string, bars: { label: string; n: number; cls: string; href?: string }[], total: number, labelWidth: number): string {
  const rowH = 22;
  const width = 560;
  const barMax = width - labelWidth - 60;
  const scale = total > 0 ? barMax / Math.max(1, ...bars.map((b) => b.n)) : 0;
  const rows = bars.map((b, i) => {
    const y = i * rowH;
    const w = b.n > 0 ? Math.max(1, Math.round(b.n * scale)) : 0;
    const label = `<text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(b.label)}</text>`;
    return `<g>${b.href ? `<a href="${b.href}">${label}</a>` : label}<rect class="${b.cls}" x="${labelWidth}" y="${y + 3}" width="${w}" height="${rowH - 6}"></rect><text class="n" x="${labelWidth + w + 6}" y="${y + 15}">${b.n}</text></g>`;
  });
  const height = Math.max(rowH, bars.length * rowH);
  return `<figure><svg class="chart" id="${id}" role="img" aria-labelledby="${id}-t" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"><title id="${id}-t">${escapeHtml(caption)}</title>${rows.join('')}</svg><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function renderGradeChart(sum: RunSummary): string {
  const bars: { label: string; n: number; cls: string }[] = GRADES.map((g) => ({ label: GRADE_WORDS[g], n: sum.grades[g], cls: `bar-${g}` }));
  if (sum.invalid > 0) bars.push({ label: 'Invalid', n: sum.invalid, cls: 'bar-invalid' });
  return barChart('chart-grades', 'Domains per grade', bars, sum.domains, 100);
}

function renderCodeChart(top: [string, { id: string; severity: string; domains: number }][], total: number): string {
  const bars = top.map(([code, c]) => ({ label: code, n: c.domains, cls: `bar-${['error', 'warning', 'info'].includes(c.severity) ? c.severity : 'info'}`, href: `#${c.id}` }));
  return barChart('chart-codes', `Most frequent findings (domains with each code, of ${total})`, bars, total, 230);
}

// ---- the readiness table -------------------------------------------------------------------

function* renderDomainTable(reports: Iterable<DomainReport>, facts: RunFacts, columns: readonly string[]): Generator<string> {
  const heads: { label: string; col?: string; sort: 'text' | 'num' | 'grade' }[] = [
    // Domain, Grade, Score, Cloud first, always (the stylesheet right-aligns the third column), then the input's columns.
    { label: 'Domain', col: 'domain', sort: 'text' },
    { label: 'Grade', col: 'grade', sort: 'grade' },
    { label: 'Score', sort: 'num' },
    { label: 'Cloud', col: 'cloud', sort: 'text' },
    ...columns.map((c) => ({ label: c, sort: 'text' as const })),
    ...TABLE_AREAS.map((a) => ({ label: AREA_LABELS[a], sort: 'text' as const })),
    { label: 'Transport', sort: 'text' },
    ...(facts.withProbe ? [{ label: 'SMTP probe', sort: 'text' as const }] : []),
  ];
  const option = (value: string, label: string): string => `<option value="${escapeHtml(value)}">${escapeHtml(label)}</option>`;
  yield `${[
    '<section id="readiness" aria-labelledby="table-h">',
    '<h2 id="table-h">Readiness</h2>',
    '<div class="controls" id="controls" hidden>',
    `<label>Grade <select id="f-grade">${option('', 'all')}${[...GRADES, ...(facts.invalid ? ['invalid'] : [])].map((g) => option(g, g === 'invalid' ? 'Invalid' : GRADE_WORDS[g as GradeKey])).join('')}</select></label>`,
    `<label>Cloud <select id="f-cloud">${option('', 'all')}${facts.clouds.map((c) => option(c, c)).join('')}</select></label>`,
    `<label>Finding <select id="f-code">${option('', 'any')}${[...facts.codes.entries()].map(([code, c]) => option(code, `${code} (${c.domains})`)).join('')}</select></label>`,
    '<button type="button" id="expand">Expand all details</button> <button type="button" id="collapse">Collapse all</button>',
    '<span id="shown" role="status"></span>',
    '</div>',
    '<div class="scroll">',
    '<table class="domains">',
    '<caption>One row per domain: ✓ pass, ! warning, ✗ fail, ? unknown (a lookup failed). The domain links to its details.</caption>',
    `<thead><tr>${heads.map((h) => `<th scope="col" data-sort="${h.sort}"${h.col ? ` data-col="${h.col}"` : ''}>${escapeHtml(h.label)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
  ].join('\n')}\n`;
  let i = 0;
  for (const r of reports) yield `${renderRow(r, i++, columns, facts.withProbe)}\n`;
  yield '</tbody>\n</table>\n</div>\n</section>\n';
}

/** A row of the readiness table (end tags of cells and row left out, as HTML allows: 5,000 rows are a tenth smaller). */
function renderRow(r: DomainReport, i: number, columns: readonly string[], withProbe: boolean): string {
  const invalid = isInvalidRow(r);
  const grade = invalid ? 'invalid' : gradeKey(r.grade);
  // A th that starts a row of td heads that row (HTML's auto scope): no scope attribute needed.
  const cells = [`<tr><th><a href="#d${i + 1}">${escapeHtml(domainLabel(r))}</a>`];
  cells.push(`<td class="gr-${grade}">${escapeHtml(gradeWord(r))}`, `<td>${escapeHtml(scoreText(r.score))}`, `<td>${r.domain ? escapeHtml(r.cloud) : '–'}`);
  const meta = isObj(r.meta) ? r.meta : {};
  for (const c of columns) cells.push(`<td>${escapeHtml(metaValue(meta, c))}`);
  for (const a of TABLE_AREAS) cells.push(areaTd(r, a));
  cells.push(transportTd(r));
  // Each domain's own MX probe (--probe-mx); the run's submission probe is said once, in the summary.
  if (withProbe) {
    const s = summarizeProbe(r.mxProbe ?? null);
    cells.push(s.status === 'n/a' ? `<td>${escapeHtml(s.text)}` : `<td class="${statusClass(s.status)}">${escapeHtml(s.text)}`);
  }
  return cells.join('');
}

/** A meta column's value: the column as named, else the one whose name differs only in case. */
function metaValue(meta: Obj, column: string): unknown {
  if (Object.prototype.hasOwnProperty.call(meta, column)) return meta[column];
  const lower = column.toLowerCase();
  const key = Object.keys(meta).find((k) => k.toLowerCase() === lower);
  return key === undefined ? '' : meta[key];
}

/** An area's cell: the ticket's status word for MX, SPF, DKIM and DMARC, the summary's words for the others. */
function areaTd(r: DomainReport, area: SummaryArea): string {
  const s = (TICKET_AREAS as readonly string[]).includes(area) ? (() => {
    const c = ticketCell(r, area as (typeof TICKET_AREAS)[number]);
    return { status: c.status, text: c.word };
  })() : safeSummary(r, area);
  // Not applicable (off, unsigned) is a cell without a class: no mark, as most transport cells are.
  return s.status === 'n/a' ? `<td>${escapeHtml(s.text)}` : `<td class="${statusClass(s.status)}">${escapeHtml(s.text)}`;
}

/** The status that speaks for several: fail, then unknown, then warn, then pass; n/a when all are. */
function worst(statuses: readonly AreaSummary['status'][]): AreaSummary['status'] {
  for (const s of ['fail', 'unknown', 'warn', 'pass'] as const) if (statuses.includes(s)) return s;
  return 'n/a';
}

/**
 * The transport areas in one cell (optional hardening): `off` when none is
 * on, else the ones that are (`MTA-STS testing, TLS-RPT on`), marked with
 * the worst of their statuses.
 */
function transportTd(r: DomainReport): string {
  const on = TRANSPORT_KEYS.filter((k) => isObj(r[k])).map((k) => ({ label: AREA_LABELS[k], s: safeSummary(r, k) })).filter((x) => x.s.status !== 'n/a');
  const text = on.length === 0 ? 'off' : on.map((x) => `${x.label} ${x.s.text}`).join(', ');
  const status = worst(on.map((x) => x.s.status));
  return status === 'n/a' ? `<td>${escapeHtml(text)}` : `<td class="${statusClass(status)}">${escapeHtml(text)}`;
}

// ---- what each finding means ---------------------------------------------------------------

/**
 * Every code in the run, once: severity, title, how many domains, and the
 * texts they share (the domain's name in place); then the notes and the
 * SPF include records many domains share. One chunk a code or an entry:
 * there may be thousands.
 */
function* renderReference(facts: RunFacts): Generator<string> {
  if (facts.codes.size === 0 && facts.shown.size === 0) return;
  yield '<section id="codes" aria-labelledby="codes-h">\n<h2 id="codes-h">Findings in this run</h2>\n';
  if (facts.codes.size > 0) yield '<p class="muted">Each code once, with what it means and how to fix it. <var>domain</var> and <var>tenant</var> stand for each domain\u2019s name and Microsoft 365 tenant.</p>\n';
  const shared = [...facts.shown].map(([key, id]) => ({ id, e: facts.counted.get(key) as SharedEntry }));
  const label = { message: 'Finding', evidence: 'Evidence', fix: 'Fix' } as const;
  for (const [code, c] of facts.codes) {
    const dl: string[] = [];
    for (const field of FIELDS) {
      const texts = shared.filter((x) => x.e.kind === field && x.e.of === code).map((x) => x.e);
      for (const e of texts) dl.push(`<dt>${label[field]}</dt><dd>${field === 'evidence' ? `<code>${shownTemplate(e.text)}</code>` : shownTemplate(e.text)}${texts.length > 1 ? ` <span class="muted">(${plural(e.n, 'domain')})</span>` : ''}</dd>`);
    }
    yield `<article class="ref" id="${c.id}"><h3><code>${escapeHtml(code)}</code> ${severityBadge(c.severity)} <span class="muted">${plural(c.domains, 'domain')}${isFindingCode(code) ? ` \u00b7 ${escapeHtml(CATALOG[code].title)}` : ''}</span></h3>${dl.length > 0 ? `<dl class="facts">${dl.join('')}</dl>` : ''}</article>\n`;
  }
  const notes = shared.filter((x) => x.e.kind === 'note');
  if (notes.length > 0) {
    yield '<h3>Notes many domains share</h3>\n<ul class="notes">\n';
    for (const { id, e } of notes) yield `<li id="${id}">${shownTemplate(e.text)} <span class="muted">(${plural(e.n, 'domain')})</span></li>\n`;
    yield '</ul>\n';
  }
  const includes = shared.filter((x) => x.e.kind === 'spf');
  if (includes.length > 0) {
    yield '<h3>SPF records of includes many domains share</h3>\n<dl class="facts">\n';
    for (const { id, e } of includes) yield `<dt id="${id}"><code>${escapeHtml(e.of)}</code></dt><dd><code>${escapeHtml(e.text)}</code></dd>\n`;
    yield '</dl>\n';
  }
  yield '</section>\n';
}

/** A shared text as the page shows it: escaped, the marks as <var>domain</var> and <var>tenant</var>. */
function shownTemplate(t: string): string {
  return escapeHtml(t).split(DOMAIN_MARK).join('<var>domain</var>').split(TENANT_MARK).join('<var>tenant</var>');
}

// ---- a domain's details --------------------------------------------------------------------

function renderCard(r: DomainReport, i: number, facts: RunFacts): string {
  const invalid = isInvalidRow(r);
  const grade = invalid ? 'invalid' : gradeKey(r.grade);
  // The score is the table's; the summary says the grade, so that a domain's details read alone.
  const meta: string[] = [];
  if (r.tenant) meta.push(`tenant ${escapeHtml(r.tenant)}`);
  if (r.domain !== null && r.input !== r.domain) meta.push(`input <code>${escapeHtml(r.input)}</code>${typeof r.inputLength === 'number' ? ` (${escapeHtml(r.inputLength)} characters)` : ''}`);
  const out = [`<details id="d${i + 1}"><summary><b>${escapeHtml(domainLabel(r))}</b> <i class="gr-${grade}">${escapeHtml(gradeWord(r))}</i>${meta.length > 0 ? `, ${meta.join(', ')}` : ''}</summary>`];
  // Info findings whose texts are all shared go with their area's line (MTA-STS off MTA_STS_MISSING); the list keeps the rest.
  const attached = new Map<string, string[]>();
  const listed: Finding[] = [];
  for (const f of findingsOf(r)) {
    const line = typeof f.area === 'string' ? LINE_OF_AREA[f.area] : undefined;
    const item = line && severityOf(f.severity) === 'info' ? renderFinding(f, r, facts) : null;
    if (item && !item.own && line) attached.set(line, [...(attached.get(line) ?? []), item.code]);
    else listed.push(f);
  }
  const codesOf = (line: string): string[] => attached.get(line) ?? [];
  if (listed.length > 0 || attached.size === 0) out.push(renderFindings(listed, r, facts));
  // A note many domains share is written once, under Findings in this run, with how many have it; a domain writes its own.
  const notes = strs(r.notes).filter((n) => sharedId(facts, noteKey(n, r)) === undefined);
  if (notes.length > 0) out.push(`<p>${notes.length === 1 ? 'Note' : 'Notes'}: ${notes.map((n) => escapeHtml(n)).join('; ')}</p>`);
  const lines: [string, string][] = [['mx', renderMx(r)], ['spf', renderSpf(r, facts)], ['dkim', renderDkim(r)], ['dmarc', renderDmarc(r)], ['autodiscover', renderAutodiscover(r)], ['verification', renderVerification(r)]];
  const areas = lines.filter(([, html]) => html !== '').map(([key, html]) => `${html}${codesOf(key).map((c) => ` ${c}`).join('')}`);
  areas.push(renderTransport(r, codesOf));
  // An attached code whose line is not drawn (no such section) goes back to the list.
  const drawn = new Set([...lines.filter(([, html]) => html !== '').map(([k]) => k), ...TRANSPORT_KEYS.filter((k) => isObj(r[k]))]);
  const orphans = findingsOf(r).filter((f) => typeof f.area === 'string' && attached.has(LINE_OF_AREA[f.area] ?? '') && !drawn.has(LINE_OF_AREA[f.area] ?? ''));
  if (orphans.length > 0) out.push(renderFindings(orphans, r, facts));
  if (areas.length > 0) out.push(`<dl>${areas.join('')}</dl>`);
  if (isObj(r.meta) && Object.keys(r.meta).length > 0) out.push(`<p class="muted">Input columns</p>${renderFacts(r.meta, 0)}`);
  if (r.mxProbe) out.push(renderProbe(r.mxProbe, 'h4', 'SMTP probe of the MX host'));
  out.push('</details>');
  return out.join('');
}

/**
 * A domain's findings, errors first: each code links to what it means.
 * Findings whose every text many domains share are one item per severity
 * (`info: MTA_STS_MISSING, TLS_RPT_MISSING`); the others carry the texts
 * of their own. End tags of items are left out, as HTML allows.
 */
function renderFindings(findings: readonly Finding[], r: DomainReport | null, facts: RunFacts | null): string {
  if (findings.length === 0) return '<p>No findings.</p>';
  const items: string[] = [];
  for (const sev of ['error', 'warning', 'info'] as const) {
    const bare: string[] = [];
    for (const f of findings) {
      if (severityOf(f.severity) !== sev) continue;
      const item = renderFinding(f, r, facts);
      if (item.own) items.push(item.html);
      else bare.push(item.code);
    }
    if (bare.length > 0) items.push(`<li class="${sev}">${sev}: ${bare.join(', ')}`);
  }
  return `<ul class="findings">${items.join('')}</ul>`;
}

/**
 * A finding: its code (a link to what it means, when the run's reference
 * lists it), its severity, and each text (message, evidence, fix) unless
 * many domains share it (then it is under the code). `own` is false when
 * every text is shared.
 */
function renderFinding(f: Finding, r: DomainReport | null, facts: RunFacts | null): { code: string; own: boolean; html: string } {
  const sev = severityOf(f.severity);
  const codeText = typeof f.code === 'string' ? f.code : String(f.code);
  const ref = facts?.codes.get(codeText);
  const code = ref ? `<a href="#${ref.id}">${escapeHtml(codeText)}</a>` : `<code>${escapeHtml(codeText)}</code>`;
  const own = (field: (typeof FIELDS)[number]): string | null => {
    const v = f[field];
    if (typeof v !== 'string' || v === '') return null;
    return r && sharedId(facts, findingKey(f, field, r)) !== undefined ? null : v;
  };
  const message = own('message');
  const evidence = own('evidence');
  const fix = own('fix');
  const details: string[] = [];
  if (evidence) details.push(`<dt>Evidence<dd><code>${escapeHtml(evidence)}</code>`);
  if (fix) details.push(`<dt>Fix<dd>${escapeHtml(fix)}`);
  const html = `<li class="${sev}">${code} ${sev}${message ? `: ${escapeHtml(message)}` : ''}${details.length > 0 ? `<dl class="facts">${details.join('')}</dl>` : ''}`;
  return { code, own: message !== null || details.length > 0, html };
}

// ---- the records behind each area -----------------------------------------------------------

/**
 * An area as a term and its description: the label with the status's
 * mark, then what DNS holds. A pass is the term without a class (the
 * stylesheet marks it ✓): most areas of most domains pass, and 5,000
 * domains have seven each. End tags are left out, as HTML allows.
 */
function area(label: string, status: AreaSummary['status'], body: string): string {
  return `<dt${status === 'pass' ? '' : ` class="${statusClass(status)}"`}>${label}<dd>${body}`;
}

/** The section's own status (pass, warn, fail, unknown), whatever a saved run holds. */
function sectionStatus(section: Obj): AreaSummary['status'] {
  const s = str(section.status);
  return s === 'pass' || s === 'warn' || s === 'fail' ? s : 'unknown';
}

function renderMx(r: DomainReport): string {
  const section: unknown = r.mx;
  if (!isObj(section)) return '';
  const hosts = Array.isArray(section.hosts) ? section.hosts.filter(isObj) : [];
  const body = hosts.length === 0
    ? `No MX hosts${section.nxdomain === true ? ' (the domain does not exist)' : ''}.`
    : hosts.map((h) => {
      // Microsoft's own hosts say so by their name; a gateway or another host is named for what it is.
      const kind = [str(h.kind), str(h.gateway)].filter((x) => x !== null && x !== 'm365' && x !== 'm365-dnssec').join(', ');
      return `<code>${escapeHtml(h.priority)} ${escapeHtml(h.exchange)}</code>${kind ? ` ${escapeHtml(kind)}` : ''}`;
    }).join('<br>') + more(hosts.length, section.hostsTotal);
  return area('MX', sectionStatus(section), body);
}

/**
 * SPF: the record, its lookups, and what the record does not show itself:
 * a Microsoft include reached through another include, a policy from a
 * redirect, Microsoft's addresses that do not pass, and the include tree
 * when an include has includes of its own or a problem (a leaf include's
 * name is in the record; a record many domains include is listed once).
 */
function renderSpf(r: DomainReport, facts: RunFacts): string {
  const section: unknown = r.spf;
  if (!isObj(section)) return '';
  const records = strs(section.records);
  const record = str(section.record);
  const shown = records.length > 0 ? records : record ? [record] : [];
  const parts = [shown.length === 0 ? 'No SPF record.' : shown.map((x) => `<code>${escapeHtml(x)}</code>`).join('<br>') + more(shown.length, section.recordsTotal)];
  const said: string[] = [];
  const lookups = num(section.lookups);
  const voids = num(section.voidLookups);
  // complete: false means an include was not followed, so the counts are a lower bound.
  const atLeast = section.complete === false ? 'at least ' : '';
  if (lookups !== null && shown.length > 0) said.push(`${atLeast}${lookups}/${MAX_DNS_LOOKUPS} lookups`);
  if (voids !== null && (voids > 0 || atLeast)) said.push(`${atLeast}${voids}/${MAX_VOID_LOOKUPS} void`);
  const m365 = isObj(section.m365Include) ? section.m365Include : null;
  if (m365 && m365.direct !== true) {
    const path = strs(m365.path);
    said.push(path.length > 0 ? `Microsoft include nested: ${path.map((x) => `<code>${escapeHtml(x)}</code>`).join(' › ')}` : 'Microsoft include nested');
  } else if (section.m365Include === null && shown.length > 0) said.push('no Microsoft include in the tree');
  const allQ = str(section.allQualifier);
  const allDomain = str(section.allDomain);
  if (allQ && allDomain && allDomain !== r.domain) said.push(`policy <code>${escapeHtml(`${allQ}all`)}</code> in the record of <code>${escapeHtml(allDomain)}</code>`);
  if (said.length > 0) parts.push(` ${said.join('; ')}`);
  const samples = Array.isArray(section.m365Samples) ? section.m365Samples.filter(isObj) : [];
  if (samples.some((x) => str(x.result) !== 'pass')) {
    parts.push(`<br>Exchange Online addresses through check_host(): <ul>${samples.map((x) => {
      const result = str(x.result) ?? '?';
      const st = result === 'pass' ? 'pass' : result === 'temperror' ? 'unknown' : 'fail';
      return `<li><code>${escapeHtml(x.ip)}</code> (from <code>${escapeHtml(x.source)}</code>): ${statusCell({ status: st, text: result })}${str(x.reason) ? ` ${escapeHtml(x.reason)}` : ''}`;
    }).join('')}</ul>`);
  }
  const senderId = strs(section.senderIdRecords);
  if (senderId.length > 0) parts.push(`<br>Sender ID records: ${senderId.map((x) => `<code>${escapeHtml(x)}</code>`).join(' ')}`);
  const children = isObj(section.tree) && Array.isArray(section.tree.children) ? section.tree.children.filter(isObj) : [];
  if (children.some((c) => ownInclude(c, 1, new Set(), facts))) {
    const seen = new Set<unknown>([section.tree]);
    const tree = children.map((c) => renderSpfNode(c, 1, seen, facts)).filter((x) => x !== '');
    if (tree.length > 0) parts.push(`<ul class="tree">${tree.join('')}</ul>`);
  }
  return area('SPF', sectionStatus(section), parts.join(''));
}

/**
 * One include of the SPF tree (src/spf/analyze.ts SpfTreeNode: domain, the
 * term that leads here, record, status, own and total lookups, children):
 * its name and lookups, and its record, or a link to it when many domains
 * include the same record. Read loosely, so a saved run from another
 * version still draws; depth and cycles are bounded because the data may
 * come from a file.
 */
function renderSpfNode(node: unknown, depth: number, seen: Set<unknown>, facts: RunFacts): string {
  if (!isObj(node) || seen.has(node)) return '';
  seen.add(node);
  if (depth > MAX_TREE_DEPTH) return '<li class="muted">… deeper includes not shown';
  const name = str(node.domain) ?? str(node.name) ?? '';
  const term = str(node.term);
  const record = str(node.record);
  const lookups = num(node.lookups);
  const total = num(node.totalLookups);
  const voids = num(node.voidLookups);
  const status = str(node.status);
  const problem = status && status !== 'ok' ? status : str(node.error);
  const bits = [];
  if (term && term.toLowerCase() !== `include:${name.toLowerCase()}`) bits.push(`<span class="muted">${escapeHtml(term)} →</span>`);
  const linked = sharedId(facts, includeKey(node));
  bits.push(linked ? `<a href="#${linked}"><strong>${escapeHtml(name) || '(record)'}</strong></a>` : `<strong>${escapeHtml(name) || '(record)'}</strong>`);
  if (lookups !== null) {
    const below = total !== null && total !== lookups ? `, ${total} with its includes` : '';
    const voided = voids ? `, ${voids} void` : '';
    bits.push(`<span class="lookups">${lookups} ${lookups === 1 ? 'lookup' : 'lookups'}${below}${voided}</span>`);
  }
  if (record && !linked) bits.push(`<code>${escapeHtml(record)}</code>`);
  if (problem) bits.push(statusCell({ status: problem === 'tempfail' ? 'unknown' : 'fail', text: `${problem}${str(node.detail) ? `: ${node.detail}` : ''}` }));
  else if (!record) bits.push('<span class="muted">no record</span>');
  const children = Array.isArray(node.children) ? node.children.map((c) => renderSpfNode(c, depth + 1, seen, facts)).filter((x) => x !== '') : [];
  return `<li>${bits.join(' ')}${children.length > 0 ? `<ul>${children.join('')}</ul>` : ''}`;
}

/** An include (or one below it) that the reference does not list, or that has a problem: then the domain's tree is drawn. */
function ownInclude(node: Obj, depth: number, seen: Set<unknown>, facts: RunFacts): boolean {
  if (seen.has(node) || depth > MAX_TREE_DEPTH) return false;
  seen.add(node);
  if ((str(node.status) ?? 'ok') !== 'ok' || str(node.error) || !sharedId(facts, includeKey(node))) return true;
  return Array.isArray(node.children) && node.children.some((c) => isObj(c) && ownInclude(c, depth + 1, seen, facts));
}

const KEY_STATUS: Readonly<Record<string, string>> = { valid: 'valid', revoked: 'revoked (empty p=)', invalid: 'does not decode', missing: 'no key yet' };

/**
 * DKIM: each selector's CNAME target and key. The selectors whose targets
 * are exactly the form Microsoft 365 gives the domain in this tenant
 * (selectorN-<domain with dashes>._domainkey.<tenant>.<suffix>, src/dkim/target.ts)
 * are said in one line; any other target is written out.
 */
function renderDkim(r: DomainReport): string {
  const section: unknown = r.dkim;
  if (!isObj(section)) return '';
  const selectors = Array.isArray(section.selectors) ? section.selectors.filter(isObj) : [];
  if (selectors.length === 0) return area('DKIM', sectionStatus(section), 'No selectors.');
  const expected = selectors.filter((s) => expectedTarget(s, r));
  const lines: string[] = [];
  if (expected.length > 0) {
    const keys = [...new Set(expected.map((s) => keyWords(s)))];
    lines.push(`${expected.length === 2 && expected[0]?.selector === 'selector1' && expected[1]?.selector === 'selector2' ? 'selector1 and 2' : expected.map((s) => escapeHtml(s.selector)).join(', ')} → Microsoft 365${keys.length === 1 ? keys[0] : ''}`);
    if (keys.length > 1) lines.push(...expected.map((s) => `${escapeHtml(s.selector)}${keyWords(s)}`));
  }
  for (const s of selectors) {
    if (expected.includes(s)) continue;
    const target = str(s.target);
    lines.push(`${escapeHtml(s.selector)} ${target ? `→ <code>${escapeHtml(target)}</code>${keyWords(s)}` : 'no CNAME'}`);
  }
  return area('DKIM', sectionStatus(section), lines.join('<br>'));
}

/** The selector's target is the one Microsoft 365 gives: its number, the domain's dashed form, the report's tenant. */
function expectedTarget(s: Obj, r: DomainReport): boolean {
  const target = str(s.target);
  const parsed = target ? parseDkimTarget(target) : null;
  return parsed !== null && typeof r.domain === 'string' && `selector${parsed.selector}` === s.selector && parsed.token === dashed(r.domain) && parsed.tenant === r.tenant;
}

/** A selector's key in a few words: type and bits, and its state when it is not a valid key. */
function keyWords(s: Obj): string {
  const key = isObj(s.key) ? s.key : {};
  const bits = num(s.keyBits) ?? num(s.bits) ?? num(key.bits);
  const type = str(s.keyType) ?? str(key.type) ?? str(key.k);
  const state = str(key.status);
  const words = [type ? escapeHtml(type.toUpperCase()) : '', bits !== null ? `${bits} bits` : '', state && state !== 'valid' ? escapeHtml(KEY_STATUS[state] ?? state) : ''].filter((x) => x);
  return words.length > 0 ? `, ${words.join(' ')}` : '';
}

function renderDmarc(r: DomainReport): string {
  const section: unknown = r.dmarc;
  if (!isObj(section)) return '';
  const record = str(section.record);
  const source = str(section.source);
  const parts = [record ? `<code>${escapeHtml(record)}</code>` : 'No DMARC record.'];
  if (source && source !== `_dmarc.${r.domain ?? ''}`) parts.push(` at <code>${escapeHtml(source)}</code>`);
  const policy = str(section.policy);
  const enforced = str(section.enforced);
  if (section.inherited === true && policy) parts.push(`; inherited: ${escapeHtml(str(section.policyTag) ?? 'p')}=${escapeHtml(policy)} applies`);
  if (enforced && policy && enforced !== policy) parts.push(`; applied as ${escapeHtml(enforced)} (t=y)`);
  const rua = Array.isArray(section.rua) ? section.rua.filter(isObj) : [];
  const external = rua.filter((u) => u.external === true);
  // An external destination must authorize the reports (RFC 9989 / RFC 9990): said in two words when all have.
  if (external.length > 0 && external.every((u) => u.authorization === 'authorized')) parts.push('; external rua authorized');
  else if (external.length > 0) parts.push(`<br>External report addresses: ${external.map((u) => `<code>${escapeHtml(u.uri)}</code> ${escapeHtml(str(u.authorization) ?? '')}`).join(', ')}`);
  return area('DMARC', sectionStatus(section), parts.join(''));
}

function renderAutodiscover(r: DomainReport): string {
  const section: unknown = r.autodiscover;
  if (!isObj(section)) return '';
  const target = str(section.target);
  const addresses = strs(section.addresses);
  const expected = str(section.expected);
  // The name is autodiscover.<domain>; said only when it is another.
  const name = str(section.name);
  const parts = [`${name && name !== `autodiscover.${r.domain ?? ''}` ? `<code>${escapeHtml(name)}</code> → ` : ''}${target ? `<code>${escapeHtml(target)}</code>` : 'no CNAME'}`];
  if (addresses.length > 0) parts.push(`; addresses ${addresses.map((a) => `<code>${escapeHtml(a)}</code>`).join(' ')}`);
  if (expected && expected !== target) parts.push(`; expected <code>${escapeHtml(expected)}</code>`);
  return area('Autodiscover', sectionStatus(section), parts.join(''));
}

function renderVerification(r: DomainReport): string {
  const section: unknown = r.verification;
  if (!isObj(section)) return '';
  const records = strs(section.records);
  const msoid = str(section.msoid);
  const body = `${records.length > 0 ? records.map((x) => `<code>${escapeHtml(x)}</code>`).join(' ') : 'No MS= record.'}${msoid ? `; msoid CNAME <code>${escapeHtml(msoid)}</code>` : ''}`;
  return area('Verification', sectionStatus(section), body);
}

/**
 * The transport areas: each one that is off with nothing more to say
 * (no record, unsigned, DANE not applicable) in one shared line, the others
 * each with their block.
 */
function renderTransport(r: DomainReport, codesOf: (line: string) => string[]): string {
  const quiet: string[] = [];
  const blocks: string[] = [];
  const render = { mtaSts: renderMtaSts, tlsRpt: renderTlsRpt, dnssec: renderDnssec, dane: renderDane } as const;
  for (const key of TRANSPORT_KEYS) {
    if (!isObj(r[key])) continue;
    const s = safeSummary(r, key);
    if (s.status === 'n/a' && isQuiet(r, key)) {
      // The area's words link to its finding (MTA-STS off: MTA_STS_MISSING), which says what it is and how to turn it on.
      const [first, ...others] = codesOf(key);
      const words = `${AREA_LABELS[key]} ${escapeHtml(s.text)}`;
      quiet.push(`${first ? first.replace(/>[^<]*<\/a>$/, `>${words}</a>`) : words}${others.map((c) => ` ${c}`).join('')}`);
    }
    else blocks.push(`${render[key](r)}${codesOf(key).map((c) => ` ${c}`).join('')}`);
  }
  return `${quiet.length > 0 ? area('Transport', 'n/a', quiet.join(', ')) : ''}${blocks.join('')}`;
}

const TRANSPORT_KEYS = ['mtaSts', 'tlsRpt', 'dnssec', 'dane'] as const;
/** The line of a domain's details each Finding area belongs to. */
const LINE_OF_AREA: Readonly<Record<string, string>> = {
  mx: 'mx', spf: 'spf', dkim: 'dkim', dmarc: 'dmarc', autodiscover: 'autodiscover', verification: 'verification',
  'mta-sts': 'mtaSts', 'tls-rpt': 'tlsRpt', dnssec: 'dnssec', dane: 'dane',
};

/** A transport area with nothing to say beyond the table's word: no record, unsigned with no word on the resolver, DANE with no TLSA asked. */
function isQuiet(r: DomainReport, key: 'mtaSts' | 'tlsRpt' | 'dnssec' | 'dane'): boolean {
  const section = r[key] as unknown;
  if (!isObj(section)) return false;
  switch (key) {
    case 'mtaSts':
      return section.state === 'absent' && strs(section.records).length === 0 && !isObj(section.policy);
    case 'tlsRpt':
      return section.state === 'absent' && strs(section.records).length === 0 && !(Array.isArray(section.rua) && section.rua.length > 0);
    case 'dnssec':
      return section.state === 'unsigned' && typeof section.resolverValidates !== 'boolean' && !str(section.reason) && section.ad !== true;
    case 'dane':
      return section.mxSecure !== true && !str(section.reason) && (Array.isArray(section.hosts) ? section.hosts : []).every((h) => isObj(h) && h.tlsa === 'not-asked');
  }
}

// ---- the transport areas (MTA-STS, TLS-RPT, DNSSEC, DANE) ------------------------------

/**
 * A transport area with the table's own words ("off", "testing", "TLSA
 * matches"; off is not a pass: no mark), then its blocks; `note` follows
 * the words when the state says it all (MTA-STS off: no record).
 */
function transportArea(r: DomainReport, key: 'mtaSts' | 'tlsRpt' | 'dnssec' | 'dane', blocks: string[], note = ''): string {
  const s = safeSummary(r, key);
  return area(AREA_LABELS[key], s.status, [`${escapeHtml(s.text)}${note ? `: ${note}` : ''}`, ...blocks].filter((x) => x !== '').join('\n'));
}

/** `… and 3 more` when a capped list (src/util/caps.ts) kept fewer than its total. */
function more(shown: number, total: unknown): string {
  const t = num(total);
  return t !== null && t > shown ? ` <span class="muted">… and ${t - shown} more</span>` : '';
}

/** `<code>a</code> <code>b</code>`, or `none`. */
function codes(items: readonly string[]): string {
  return items.length > 0 ? items.map((x) => `<code>${escapeHtml(x)}</code>`).join(' ') : 'none';
}

/** true / false / null as words; anything else (a saved run) as unknown. */
function yesNo(v: unknown, yes: string, no: string, unknown: string): string {
  return v === true ? yes : v === false ? no : unknown;
}

const MTA_STS_STATE: Readonly<Record<string, string>> = {
  absent: 'no record: MTA-STS is off',
  invalid: 'a record senders ignore',
  unavailable: 'the policy cannot be fetched',
  'policy-invalid': 'the policy does not parse',
  enforce: 'mode enforce',
  testing: 'mode testing',
  none: 'mode none',
  unknown: 'unknown',
};

/** RFC 8461 §3.3: how the policy fetch ended. */
const MTA_STS_FETCH: Readonly<Record<string, string>> = {
  ok: 'fetched',
  refused: 'connection refused',
  unreachable: 'host unreachable',
  timeout: 'no answer within the deadline',
  tls: 'TLS failed: the certificate does not verify for the host',
  'too-large': 'larger than the 64 KiB a sender reads',
  redirect: 'a redirect, which senders do not follow',
  status: 'an HTTP status other than 200',
  'content-type': 'not text/plain',
  protocol: 'not an HTTP answer',
};

/**
 * MTA-STS (RFC 8461): the `_mta-sts` records, then the policy: where it was
 * fetched from and how that ended (§3.3), its mode, max_age and `mx`
 * patterns (§3.2), each live MX host with the pattern that covers it (§4.1),
 * and the lines as served. Policy text comes from a web server: escaped.
 */
function renderMtaSts(r: DomainReport): string {
  const section: unknown = r.mtaSts;
  if (!isObj(section)) return '';
  const records = strs(section.records);
  if (section.state === 'absent' && records.length === 0 && !isObj(section.policy)) return transportArea(r, 'mtaSts', [], 'no MTA-STS record');
  const lines: string[] = [];
  if (records.length > 0 || section.state !== 'unknown') lines.push(records.length === 0 ? '<p>No MTA-STS record.</p>' : `${records.map((x) => `<p><code>${escapeHtml(x)}</code></p>`).join('\n')}${more(records.length, section.recordsTotal)}`);
  const facts: string[] = [];
  const state = str(section.state);
  if (state) facts.push(`<dt>State</dt><dd>${escapeHtml(MTA_STS_STATE[state] ?? state)}</dd>`);
  if (str(section.id)) facts.push(`<dt>Policy id</dt><dd><code>${escapeHtml(section.id)}</code></dd>`);
  if (str(section.reason)) facts.push(`<dt>Reason</dt><dd>${escapeHtml(section.reason)}</dd>`);
  const policy = isObj(section.policy) ? section.policy : null;
  if (policy) {
    const fetch = str(policy.fetch);
    const answer = [
      num(policy.httpStatus) !== null ? `HTTP ${escapeHtml(policy.httpStatus)}` : '',
      str(policy.contentType) ? `<code>${escapeHtml(policy.contentType)}</code>` : '',
      num(policy.bytes) !== null ? plural(num(policy.bytes) as number, 'byte') : '',
      str(policy.location) ? `Location <code>${escapeHtml(policy.location)}</code>` : '',
    ].filter((x) => x !== '');
    facts.push(`<dt>Policy URL</dt><dd><code>${escapeHtml(policy.url)}</code></dd>`);
    facts.push(`<dt>Fetch</dt><dd>${statusCell({ status: fetch === 'ok' ? 'pass' : 'fail', text: fetch ? (MTA_STS_FETCH[fetch] ?? fetch) : 'unknown' })}${answer.length > 0 ? ` (${answer.join(', ')})` : ''}</dd>`);
    // The state says the mode already once the policy parsed (state: testing); a policy that did not parse has none.
    if (str(policy.mode) && policy.mode !== state) facts.push(`<dt>Mode</dt><dd><code>${escapeHtml(policy.mode)}</code></dd>`);
    const maxAge = num(policy.maxAge);
    if (maxAge !== null) facts.push(`<dt>max_age</dt><dd>${maxAge} seconds${maxAge > 0 && maxAge % 86_400 === 0 ? ` (${plural(maxAge / 86_400, 'day')})` : ''}</dd>`);
    const mx = strs(policy.mx);
    if (mx.length > 0 || num(policy.mxTotal) !== null) facts.push(`<dt>mx patterns</dt><dd>${codes(mx)}${more(mx.length, policy.mxTotal)}</dd>`);
  }
  if (facts.length > 0) lines.push(`<dl class="facts">${facts.join('')}</dl>`);
  const matches = policy && Array.isArray(policy.matches) ? policy.matches.filter(isObj) : [];
  if (matches.length > 0) {
    lines.push(
      '<table class="mta-sts"><thead><tr><th scope="col">Live MX host</th><th scope="col">Policy pattern</th></tr></thead><tbody>',
      ...matches.map((m) => {
        const pattern = str(m.pattern);
        return `<tr><td><code>${escapeHtml(m.host)}</code></td><td>${pattern ? `${statusCell({ status: 'pass', text: 'covered by' })} <code>${escapeHtml(pattern)}</code>` : statusCell({ status: 'fail', text: 'no pattern covers it' })}</td></tr>`;
      }),
      '</tbody></table>',
    );
    const hidden = more(matches.length, policy?.matchesTotal);
    if (hidden) lines.push(`<p>${hidden}</p>`);
  }
  const served = policy ? strs(policy.lines) : [];
  if (served.length > 0) {
    lines.push(`<p class="muted">The policy as served${num(policy?.linesTotal) !== null ? ` (${plural(num(policy?.linesTotal) as number, 'line')})` : ''}:</p>`, `<ul class="policy">${served.map((l) => `<li><code>${escapeHtml(l)}</code></li>`).join('')}</ul>${more(served.length, policy?.linesTotal)}`);
  }
  lines.push(renderFacts(section, 0, ['status', 'state', 'records', 'recordsTotal', 'id', 'policy', 'reason']));
  if (policy) lines.push(renderFacts(policy, 0, ['url', 'fetch', 'httpStatus', 'contentType', 'location', 'bytes', 'lines', 'linesTotal', 'mode', 'maxAge', 'mx', 'mxTotal', 'matches', 'matchesTotal']));
  return transportArea(r, 'mtaSts', lines);
}

/** TLS-RPT (RFC 8460 §3): the `_smtp._tls` records and each rua destination, usable or why not. */
function renderTlsRpt(r: DomainReport): string {
  const section: unknown = r.tlsRpt;
  if (!isObj(section)) return '';
  const records = strs(section.records);
  const ruaList = Array.isArray(section.rua) ? section.rua : [];
  if (section.state === 'absent' && records.length === 0 && ruaList.length === 0) return transportArea(r, 'tlsRpt', [], 'no TLS-RPT record');
  const lines: string[] = [];
  if (records.length > 0 || section.state !== 'unknown') lines.push(records.length === 0 ? '<p>No TLS-RPT record.</p>' : `${records.map((x) => `<p><code>${escapeHtml(x)}</code></p>`).join('\n')}${more(records.length, section.recordsTotal)}`);
  const rua = Array.isArray(section.rua) ? section.rua.filter(isObj) : [];
  if (rua.length > 0) {
    lines.push(
      '<table class="tls-rpt"><thead><tr><th scope="col">Reports to (rua)</th><th scope="col">Scheme</th><th scope="col">Usable</th></tr></thead><tbody>',
      ...rua.map((u) => {
        const problem = str(u.problem);
        const usable = u.valid === true ? statusCell({ status: 'pass', text: 'yes' }) : statusCell({ status: 'fail', text: `no${problem ? `: ${problem}` : ''}` });
        return `<tr><td><code>${escapeHtml(u.uri)}</code></td><td>${str(u.scheme) ? escapeHtml(u.scheme) : 'none'}</td><td>${usable}</td></tr>`;
      }),
      '</tbody></table>',
    );
    const hidden = more(rua.length, section.ruaTotal);
    if (hidden) lines.push(`<p>${hidden}</p>`);
  }
  lines.push(renderFacts(section, 0, ['status', 'state', 'records', 'recordsTotal', 'rua', 'ruaTotal']));
  return transportArea(r, 'tlsRpt', lines);
}

const DNSSEC_STATE: Readonly<Record<string, string>> = {
  validated: 'validated: the resolver set the AD bit on the MX answer',
  signed: 'signed, not validated: RRSIGs came with the MX answer, the resolver did not set AD',
  unsigned: 'unsigned: no RRSIG came with the MX answer',
  bogus: 'bogus: the resolver fails the signatures (SERVFAIL unless checking is disabled)',
  unknown: 'unknown',
};

/**
 * DNSSEC as DNS can tell it (src/transport/dnssec.ts): the state, the AD
 * bit, RRSIGs and DS behind it, and what the answers say of the resolver
 * (validated means only what a validating resolver asserts: AD, RFC 4035 §3.2.3).
 */
function renderDnssec(r: DomainReport): string {
  const section: unknown = r.dnssec;
  if (!isObj(section)) return '';
  const state = str(section.state);
  // Unsigned, with nothing more to say: one line (the common case, and no word on the resolver: an unsigned answer looks the same either way).
  if (state === 'unsigned' && typeof section.resolverValidates !== 'boolean' && !str(section.reason) && section.ad !== true) return transportArea(r, 'dnssec', [], 'no RRSIG came with the MX answer');
  const facts: string[] = [];
  if (state) facts.push(`<dt>State</dt><dd>${escapeHtml(DNSSEC_STATE[state] ?? state)}</dd>`);
  if (str(section.domain)) facts.push(`<dt>Asked</dt><dd><code>${escapeHtml(section.domain)}</code> MX, with the DO bit</dd>`);
  if ('ad' in section) facts.push(`<dt>AD bit</dt><dd>${yesNo(section.ad, 'set', 'not set', 'no answer')}</dd>`);
  if ('rrsigs' in section) facts.push(`<dt>RRSIGs</dt><dd>${yesNo(section.rrsigs, 'present', 'none', 'no answer')}</dd>`);
  if ('ds' in section) facts.push(`<dt>DS at the parent</dt><dd>${yesNo(section.ds, 'present', 'none (an island of trust)', 'not asked')}</dd>`);
  if ('resolverValidates' in section) facts.push(`<dt>Resolver</dt><dd>${yesNo(section.resolverValidates, 'validates', 'does not validate (it passes signatures on and never sets AD)', 'cannot tell from this domain (an unsigned answer looks the same either way)')}</dd>`);
  if (str(section.reason)) facts.push(`<dt>Note</dt><dd>${escapeHtml(section.reason)}</dd>`);
  // `queries` counts this check's lookups: the run's trail, not a fact of the domain.
  return transportArea(r, 'dnssec', [`<dl class="facts">${facts.join('')}</dl>`, renderFacts(section, 0, ['status', 'state', 'domain', 'ad', 'rrsigs', 'ds', 'resolverValidates', 'reason', 'queries'])]);
}

const TLSA_LOOKUP: Readonly<Record<string, string>> = {
  validated: 'validated (AD)',
  unvalidated: 'not validated by the resolver',
  insecure: 'in an unsigned zone: senders ignore it',
  none: 'no TLSA',
  bogus: 'bogus',
  failed: 'lookup failed',
  'not-asked': 'not asked',
};

/** RFC 7672 §3.1 and RFC 6698 §2.1: why SMTP cannot use a TLSA record. */
const TLSA_PROBLEM: Readonly<Record<string, string>> = {
  'pkix-usage': 'PKIX usage: not for SMTP (RFC 7672 §3.1.3)',
  'unknown-usage': 'unknown usage',
  'unknown-selector': 'unknown selector',
  'unknown-matching-type': 'unknown matching type',
  'bad-digest-length': 'digest of the wrong length',
};

const DANE_FORM: Readonly<Record<string, string>> = { 'mx-microsoft': 'Microsoft 365, mx.microsoft (DNSSEC)', legacy: 'Microsoft 365, mail.protection.outlook.com' };

/**
 * DANE (RFC 7672): whether it can apply (a validated MX answer, §2.2.1), and
 * per MX host the TLSA records at `_25._tcp.<host>` with their RFC 7218
 * acronyms and usability, and the match against the chain the host
 * presented (with --probe-mx).
 */
function renderDane(r: DomainReport): string {
  const section: unknown = r.dane;
  if (!isObj(section)) return '';
  const hostList = Array.isArray(section.hosts) ? section.hosts.filter(isObj) : [];
  // Not validated and no TLSA asked: DANE cannot apply, one line.
  if (section.mxSecure !== true && !str(section.reason) && hostList.every((h) => h.tlsa === 'not-asked')) return transportArea(r, 'dane', [], 'the MX answer is not validated, so senders do not use DANE (no TLSA asked)');
  const lines: string[] = [];
  const facts = [`<dt>MX answer</dt><dd>${yesNo(section.mxSecure, 'validated: DANE applies (RFC 7672 §2.2.1)', 'not validated: senders do not use DANE for it', 'cannot tell (no validating resolver)')}</dd>`];
  if (str(section.reason)) facts.push(`<dt>Reason</dt><dd>${escapeHtml(section.reason)}</dd>`);
  lines.push(`<dl class="facts">${facts.join('')}</dl>`);
  const hosts = Array.isArray(section.hosts) ? section.hosts.filter(isObj) : [];
  if (hosts.length > 0) {
    lines.push(
      '<table class="dane"><thead><tr><th scope="col">MX host</th><th scope="col">TLSA lookup</th><th scope="col">TLSA records</th><th scope="col">Chain presented</th></tr></thead><tbody>',
      ...hosts.map((h) => {
        const form = str(h.microsoft);
        const tlsa = str(h.tlsa);
        const records = Array.isArray(h.records) ? h.records.filter(isObj) : [];
        const usable = num(h.usable);
        const recordCell = records.length === 0 ? 'none' : `<ul>${records.map((x) => {
          const problem = str(x.problem);
          return `<li><code>${escapeHtml([x.usage, x.selector, x.matchingType, x.data].map((v) => String(v ?? '?')).join(' '))}</code> ${escapeHtml(x.acronyms)} ${problem ? statusCell({ status: 'fail', text: TLSA_PROBLEM[problem] ?? problem }) : statusCell({ status: 'pass', text: 'usable' })}</li>`;
        }).join('')}</ul>${more(records.length, h.recordsTotal)}${usable !== null ? `<p>${plural(usable, 'usable record')}</p>` : ''}`;
        const chain = str(h.chain);
        const m = isObj(h.matched) ? h.matched : null;
        const where = m && num(m.depth) !== null ? ` at depth ${num(m.depth) as number}${num(m.depth) === 0 ? ' (the host\u2019s own certificate)' : ''}` : '';
        const by = m && num(m.usage) !== null && num(m.selector) !== null && num(m.matchingType) !== null
          ? ` by ${escapeHtml(tlsaAcronyms({ usage: num(m.usage) as number, selector: num(m.selector) as number, matchingType: num(m.matchingType) as number, data: '' }))}`
          : '';
        const chainCell = chain === 'match' ? `${statusCell({ status: 'pass', text: 'matches' })}${by}${where}`
          : chain === 'mismatch' ? statusCell({ status: 'fail', text: 'no usable record matches it' })
            : tlsa === 'validated' && usable !== null && usable > 0 ? '<span class="muted">not checked (--probe-mx matches it)</span>' : '–';
        return `<tr><td><code>${escapeHtml(h.host)}</code>${form ? `<p class="muted">${escapeHtml(DANE_FORM[form] ?? form)}</p>` : ''}<p class="muted">TLSA at <code>${escapeHtml(h.tlsaName)}</code></p></td><td>${escapeHtml(tlsa ? (TLSA_LOOKUP[tlsa] ?? tlsa) : 'unknown')}</td><td>${recordCell}</td><td>${chainCell}</td></tr>`;
      }),
      '</tbody></table>',
    );
    const hidden = more(hosts.length, section.hostsTotal);
    if (hidden) lines.push(`<p>${hidden}</p>`);
  }
  lines.push(renderFacts(section, 0, ['status', 'mxSecure', 'hosts', 'hostsTotal', 'reason', 'queries']));
  return transportArea(r, 'dane', lines);
}

// ---- SMTP probe --------------------------------------------------------------------------

function renderProbe(p: ProbeResult, heading: 'h3' | 'h4', label = 'SMTP probe'): string {
  const s = summarizeProbe(p);
  const facts: string[] = [];
  const fact = (k: string, v: string): void => void facts.push(`<dt>${k}</dt><dd>${v}</dd>`);
  fact('Endpoint', `<code>${escapeHtml(`${p.host}:${p.port}`)}</code> (${escapeHtml(p.tls)})`);
  fact('Reachable', reachableFact(p));
  if (p.banner) fact('Banner', `<code>${escapeHtml(p.banner)}</code>`);
  if (p.starttls !== null && p.starttls !== undefined) fact('STARTTLS', p.starttls ? 'offered' : 'not offered');
  if (p.tlsVersion) fact('TLS', `${escapeHtml(p.tlsVersion)}${p.cipher ? ` <code>${escapeHtml(p.cipher)}</code>` : ''}`);
  const c = p.certificate;
  if (isObj(c)) {
    fact('Certificate', [
      `<code>${escapeHtml(c.subject)}</code>`,
      `issued by <code>${escapeHtml(c.issuer)}</code>`,
      strs(c.altNames).length > 0 ? `names ${strs(c.altNames).map((n) => `<code>${escapeHtml(n)}</code>`).join(' ')}` : '',
      `valid ${escapeHtml(c.validFrom ?? '?')} to ${escapeHtml(c.validTo ?? '?')}`,
      c.verified ? statusCell({ status: 'pass', text: 'verified' }) : statusCell({ status: 'fail', text: `not verified${c.error ? ` (${c.error})` : ''}` }),
    ].filter((x) => x).join('; '));
  }
  const ehlo: Obj = isObj(p.ehlo) ? p.ehlo : {};
  if (Array.isArray(ehlo.beforeTls)) fact('EHLO before TLS', strs(ehlo.beforeTls).map((k) => `<code>${escapeHtml(k)}</code>`).join(' ') || 'none');
  if (Array.isArray(ehlo.afterTls)) fact('EHLO after TLS', strs(ehlo.afterTls).map((k) => `<code>${escapeHtml(k)}</code>`).join(' ') || 'none');
  if (p.authMechanisms) fact('AUTH after TLS', strs(p.authMechanisms).map((m) => escapeHtml(m)).join(' ') || 'none');
  if (isObj(p.auth)) {
    const a = p.auth;
    fact('AUTH test', `${escapeHtml(a.mechanism)} as <code>${escapeHtml(a.user)}</code>: <strong>${escapeHtml(a.outcome)}</strong>${a.reply ? ` <code>${escapeHtml(a.reply)}</code>` : ''}${a.reason ? ` (${escapeHtml(a.reason)})` : ''}`);
  }
  if (isObj(p.timing)) fact('Time', `${escapeHtml(p.timing.totalMs)} ms`);
  const findings = Array.isArray(p.findings) ? p.findings : [];
  return [
    '<div class="probe">',
    `<${heading}>${escapeHtml(label)} ${statusCell({ status: s.status, text: s.status })}</${heading}>`,
    `<dl class="facts">${facts.join('')}</dl>`,
    renderFindings(findings, null, null),
    '</div>',
  ].join('\n');
}

// ---- small helpers -----------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function domainLabel(r: DomainReport): string {
  const label = r.domain ?? r.input;
  return typeof label === 'string' && label !== '' ? label : '(empty input)';
}

function gradeKey(grade: unknown): GradeKey {
  return (GRADES as readonly unknown[]).includes(grade) ? (grade as GradeKey) : 'unknown';
}

function severityOf(severity: unknown): 'error' | 'warning' | 'info' {
  return severity === 'error' || severity === 'warning' || severity === 'info' ? severity : 'info';
}

function severityBadge(severity: unknown): string {
  const s = severityOf(severity);
  return `<span class="badge sev-${s}">${s}</span>`;
}

/**
 * The class of a status: a letter or two (p pass, w warning, f fail, u
 * unknown, na not applicable), because 5,000 rows and details carry it a dozen times
 * each; its mark and colour come from the stylesheet. Only known values
 * become a class, whatever a saved run holds.
 */
function statusClass(status: unknown): string {
  const s = (STATUSES as readonly unknown[]).includes(status) ? (status as AreaSummary['status']) : 'unknown';
  return STATUS_CLASS[s];
}

/** A status as mark and words: colour helps, but the mark and text carry it alone (print, colour blindness). */
function statusCell(s: { status: unknown; text: string }): string {
  return `<span class="${statusClass(s.status)}">${escapeHtml(s.text)}</span>`;
}

/**
 * Facts a section carries beyond what this renderer draws by name (checks
 * grow: DMARC tags and policy, DKIM key details …), as a definition list,
 * so nothing a check records is hidden. Bounded depth: the data may come
 * from a file.
 */
function renderFacts(obj: Obj, depth: number, skip: readonly string[] = []): string {
  // null says "none", which the named fields above already show.
  const entries = Object.entries(obj).filter(([k, v]) => !skip.includes(k) && v !== undefined && v !== null);
  if (entries.length === 0) return '';
  return `<dl class="facts">${entries.map(([k, v]) => `<dt>${escapeHtml(factLabel(k))}</dt><dd>${renderValue(v, depth + 1)}</dd>`).join('')}</dl>`;
}

/** `voidLookups` → `void lookups`: field names read as words. */
function factLabel(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

function renderValue(v: unknown, depth: number): string {
  if (v === null) return '–';
  if (typeof v === 'string') return `<code>${escapeHtml(v)}</code>`;
  if (typeof v === 'number' || typeof v === 'boolean') return escapeHtml(String(v));
  if (depth > MAX_FACT_DEPTH) return `<code>${escapeHtml(safeStringify(v))}</code>`;
  if (Array.isArray(v)) {
    if (v.length === 0) return 'none';
    if (v.every((x) => typeof x !== 'object' || x === null)) return v.map((x) => renderValue(x, depth)).join(' ');
    return `<ul>${v.map((x) => `<li>${renderValue(x, depth + 1)}</li>`).join('')}</ul>`;
  }
  if (isObj(v)) return renderFacts(v, depth) || 'none';
  return escapeHtml(typeof v);
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '(not representable)';
  }
}
