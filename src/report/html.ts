import { MAX_DNS_LOOKUPS, MAX_VOID_LOOKUPS } from '../spf/budget.js';
import type { DomainReport } from '../audit/audit.js';
import { CATALOG, isFindingCode, type Finding } from '../findings/catalog.js';
import type { ProbeResult } from '../smtp/types.js';
import { tlsaAcronyms } from '../transport/tlsa.js';
import { TOOL_NAME, VERSION } from '../version.js';
import { probeForDomain, reachableFact, summarizeProbe } from './probe-summary.js';
import { describeRun, type RunInfo } from './run.js';
import { escapeHtml } from './safe-text.js';
import { AREA_LABELS, isInvalidRow, SUMMARY_AREAS, summarize, summarizeArea, topAction, type AreaSummary, type SummaryArea } from './summary.js';
import { plural, scoreText } from './words.js';

/** Options of renderHtml. */
export interface HtmlOptions {
  /** The page's title and heading (default "Microsoft 365 mail readiness"). */
  title?: string;
  /** Shown in the header when given; left out otherwise so the output stays deterministic. */
  generatedAt?: Date;
  /** The run's audit trail (when, version, resolvers, options), shown in the footer. */
  run?: RunInfo | null;
}


/** Column heads of the domain table; "SMTP probe" only when a run had a probe. */
export const HTML_COLUMNS: readonly string[] = ['Domain', 'Grade', 'Score', 'Cloud', ...SUMMARY_AREAS.map((a) => AREA_LABELS[a]), 'Top action'];

const GRADE_WORD = { ready: 'Ready', 'needs-work': 'Needs work', unknown: 'Unknown', 'not-ready': 'Not ready' } as const;
const GRADES = ['ready', 'needs-work', 'unknown', 'not-ready'] as const;
type GradeKey = (typeof GRADES)[number];
const STATUS_MARK: Record<AreaSummary['status'], string> = { pass: '✓', warn: '!', fail: '✗', unknown: '?', 'n/a': '' };
const AREA_LABEL = AREA_LABELS;
/** SPF (RFC 7208 4.6.4): a tree deeper than this cannot be within the limits; stop drawing there. */
const MAX_TREE_DEPTH = 12;
/** Generic facts nest at most this deep; anything deeper is shown as JSON text. */
const MAX_FACT_DEPTH = 3;

const CSS = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --panel:#f6f8fa;
  --pass:#1a7f37; --warn:#9a6700; --fail:#cf222e; --unknown:#0969da; --na:#59636e; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1440px; padding: 1.5rem; color: var(--fg); background: var(--bg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.15rem; margin: 0; }
h4 { font-size: 1rem; margin: 1rem 0 .4rem; }
p { margin: .25rem 0; }
.muted, .meta { color: var(--muted); }
code { font: .9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel);
  border-radius: 4px; padding: .05em .3em; white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
caption { text-align: left; color: var(--muted); padding: .25rem 0; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; overflow-wrap: break-word; }
.scroll { overflow-x: auto; }
table.domains { font-size: .92em; }
table.domains td:nth-child(2), td.num { white-space: nowrap; }
table.domains td.long { overflow-wrap: anywhere; min-width: 9rem; }
thead th { background: var(--panel); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
a { color: var(--unknown); }
.badge { display: inline-block; border-radius: 999px; padding: .05rem .6rem; font-weight: 600; font-size: .85em;
  color: #fff; white-space: nowrap; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.grade-ready, .sev-pass { background: var(--pass); }
.grade-needs-work, .sev-warning { background: var(--warn); }
.grade-unknown { background: var(--unknown); }
.grade-invalid { background: var(--na); }
.grade-not-ready, .sev-error { background: var(--fail); }
.sev-info { background: var(--na); }
.mark { white-space: nowrap; font-weight: 700; }
h4 .st, .probe .st { font-weight: 600; }
.st-pass { color: var(--pass); } .st-warn { color: var(--warn); } .st-fail { color: var(--fail); }
.st-unknown { color: var(--unknown); } .st-na { color: var(--na); }
.stats { display: flex; flex-wrap: wrap; gap: .75rem; padding: 0; margin: .5rem 0; list-style: none; }
.stats li { border: 1px solid var(--line); border-radius: 8px; padding: .5rem .9rem; min-width: 8rem; }
.stats .n { display: block; font-size: 1.6rem; font-weight: 700; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; break-inside: avoid-page; }
.card > header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .6rem; }
.findings { list-style: none; padding: 0; margin: .5rem 0; }
.finding { border-left: 4px solid var(--na); padding: .3rem .75rem; margin: .4rem 0; background: var(--panel); break-inside: avoid; }
.finding.error { border-left-color: var(--fail); } .finding.warning { border-left-color: var(--warn); }
.finding dl, .facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .75rem; margin: .3rem 0 0; }
dt { font-weight: 600; color: var(--muted); } dd { margin: 0; min-width: 0; }
.facts .facts { margin: 0; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 1.25rem; border-left: 1px dashed var(--line); }
ul.tree { padding-left: .5rem; }
ul.tree li { margin: .2rem 0; }
ul.policy { list-style: none; margin: .2rem 0; padding-left: .5rem; border-left: 3px solid var(--line); }
.lookups { color: var(--muted); font-size: .9em; white-space: nowrap; }
footer { margin-top: 2rem; color: var(--muted); font-size: .9em; }
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .scroll { overflow: visible; }
  table.domains { font-size: 8pt; }
  table.domains th, table.domains td { padding: .2rem .3rem; }
  table.domains td.long { min-width: 0; }
  a { color: inherit; text-decoration: none; }
  .card { border-color: #999; }
  thead { display: table-header-group; }
  tr, .finding { break-inside: avoid; }
}
`;

/**
 * One self-contained HTML page for a run: summary counts, the readiness
 * table, a card per domain (findings with evidence and fixes, notes, the
 * records behind each area) and the SMTP probe. No script, no external
 * asset; a Content-Security-Policy forbids both, so even a slip in escaping
 * could not run code. Every string from DNS, SMTP or a saved run goes
 * through escapeHtml; only this file's own markup is emitted raw.
 */
export function renderHtml(reports: Iterable<DomainReport>, probe: ProbeResult | ProbeResult[] | null, options: HtmlOptions = {}): string {
  return [...renderHtmlChunks(reports, probe, options)].join('');
}

/**
 * The page in chunks, for runs of any size: `reports` is read once per part
 * of the page (summary, table, cards), so a spool file read again will do.
 */
export function* renderHtmlChunks(reports: Iterable<DomainReport>, probe: ProbeResult | ProbeResult[] | null, options: HtmlOptions = {}): Generator<string> {
  const probes = probe === null ? [] : Array.isArray(probe) ? probe : [probe];
  const title = options.title ?? 'Microsoft 365 mail readiness';
  let withProbe = probes.length > 0;
  let count = 0;
  let invalid = false;
  for (const r of reports) {
    count++;
    if (r.mxProbe) withProbe = true;
    if (isInvalidRow(r)) invalid = true;
  }
  const generated = options.generatedAt && !Number.isNaN(options.generatedAt.getTime())
    ? ` Generated <time datetime="${escapeHtml(options.generatedAt.toISOString())}">${escapeHtml(options.generatedAt.toISOString())}</time>.`
    : '';
  yield `${[
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<meta name="generator" content="${escapeHtml(`${TOOL_NAME} ${VERSION}`)}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${plural(count, invalid ? 'row' : 'domain')} audited by ${escapeHtml(TOOL_NAME)} ${escapeHtml(VERSION)}.${generated}</p>`,
    '</header>',
    '<main>',
    renderSummarySection(reports),
  ].join('\n')}\n`;
  yield* renderDomainTable(reports, probes[0] ?? null, withProbe);
  yield '<section aria-labelledby="details-h">\n<h2 id="details-h">Domains in detail</h2>\n';
  let i = 0;
  for (const r of reports) yield `${renderCard(r, i++)}\n`;
  yield '</section>\n';
  if (probes.length > 0) {
    yield `${['<section aria-labelledby="probe-h">', '<h2 id="probe-h">SMTP submission probe</h2>', ...probes.map((p) => renderProbe(p, 'h3')), '</section>'].join('\n')}\n`;
  }
  const run = options.run ? `<p class="run">${escapeHtml(describeRun(options.run))}</p>` : '';
  yield `${[
    '</main>',
    `<footer>${run}<p>${escapeHtml(TOOL_NAME)} ${escapeHtml(VERSION)}. DNS cannot prove that DKIM signing is switched on; check it in the Microsoft Defender portal.</p></footer>`,
    '</body>',
    '</html>',
  ].join('\n')}\n`;
}

function renderSummarySection(reports: Iterable<DomainReport>): string {
  const sum = summarize(reports);
  const stats = GRADES.map((g) => `<li><span class="n">${sum.grades[g]}</span><span class="badge grade-${g}">${GRADE_WORD[g]}</span></li>`);
  const lines = [
    '<section aria-labelledby="summary-h">',
    '<h2 id="summary-h">Summary</h2>',
    `<ul class="stats" aria-label="Domains per grade"><li><span class="n">${sum.domains}</span>${sum.invalid > 0 ? (sum.domains === 1 ? 'row' : 'rows') : sum.domains === 1 ? 'domain' : 'domains'}</li>${stats.join('')}<li><span class="n">${sum.invalid}</span><span class="badge grade-invalid">Invalid</span></li></ul>`,
  ];
  if (sum.topFindings.length > 0) {
    lines.push(
      '<table class="top-findings">',
      '<caption>Most frequent findings</caption>',
      '<thead><tr><th scope="col">Code</th><th scope="col">Severity</th><th scope="col">Domains</th><th scope="col">Meaning</th></tr></thead>',
      '<tbody>',
      ...sum.topFindings.map((f) => `<tr><th scope="row"><code>${escapeHtml(f.code)}</code></th><td>${severityBadge(f.severity)}</td><td class="num">${f.domains}</td><td>${escapeHtml(isFindingCode(f.code) ? CATALOG[f.code].title : '')}</td></tr>`),
      '</tbody>',
      '</table>',
    );
  } else {
    lines.push('<p>No findings.</p>');
  }
  lines.push('</section>');
  return lines.join('\n');
}

function* renderDomainTable(reports: Iterable<DomainReport>, runProbe: ProbeResult | null, withProbe: boolean): Generator<string> {
  const heads = withProbe ? [...HTML_COLUMNS.slice(0, -1), 'SMTP probe', 'Top action'] : [...HTML_COLUMNS];
  const row = (r: DomainReport, i: number): string => {
    const cells = [
      `<th scope="row"><a href="#domain-${i + 1}">${escapeHtml(domainLabel(r))}</a></th>`,
      `<td>${gradeBadge(r.grade)}</td>`,
      `<td class="num">${escapeHtml(scoreText(r.score))}</td>`,
      `<td>${r.domain ? escapeHtml(r.cloud) : '–'}</td>`,
      ...SUMMARY_AREAS.map((a) => `<td>${statusCell(areaCell(r, a))}</td>`),
    ];
    if (withProbe) {
      cells.push(`<td class="long">${statusCell(summarizeProbe(probeForDomain(r, runProbe)))}</td>`);
    }
    cells.push(`<td class="long">${escapeHtml(safeTopAction(r)) || '–'}</td>`);
    return `<tr class="domain">${cells.join('')}</tr>`;
  };
  yield `${[
    '<section aria-labelledby="table-h">',
    '<h2 id="table-h">Readiness</h2>',
    '<div class="scroll">',
    '<table class="domains">',
    '<caption>One row per domain; ✓ pass, ! warning, ✗ fail, ? unknown (a lookup failed).</caption>',
    `<thead><tr>${heads.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
  ].join('\n')}\n`;
  let i = 0;
  for (const r of reports) yield `${row(r, i++)}\n`;
  yield '</tbody>\n</table>\n</div>\n</section>\n';
}

/**
 * summarizeArea trusts the section's shape; a saved run read back by
 * `report` may not match it, and one odd section must not cost the page.
 */
function areaCell(r: DomainReport, area: SummaryArea): AreaSummary {
  try {
    return summarizeArea(r, area);
  } catch {
    return { status: 'unknown', text: 'unreadable section' };
  }
}

function safeTopAction(r: DomainReport): string {
  try {
    return topAction(r);
  } catch {
    return '';
  }
}

function renderCard(r: DomainReport, i: number): string {
  const id = `domain-${i + 1}`;
  const meta = [`score ${escapeHtml(scoreText(r.score))}`];
  if (r.domain) meta.push(`cloud ${escapeHtml(r.cloud)}`);
  if (r.tenant) meta.push(`tenant <code>${escapeHtml(r.tenant)}</code>`);
  if (r.domain !== null && r.input !== r.domain) meta.push(`input <code>${escapeHtml(r.input)}</code>${typeof r.inputLength === 'number' ? ` (${escapeHtml(r.inputLength)} characters)` : ''}`);
  if (isObj(r.timing)) meta.push(`${escapeHtml(r.timing.queries)} DNS ${r.timing.queries === 1 ? 'query' : 'queries'} in ${escapeHtml(r.timing.ms)} ms`);
  if (typeof r.auditedAt === 'string') meta.push(`audited ${escapeHtml(r.auditedAt)}`);
  const lines = [
    `<article class="card" id="${id}" aria-labelledby="${id}-h">`,
    `<header><h3 id="${id}-h">${escapeHtml(domainLabel(r))}</h3>${gradeBadge(r.grade)}<span class="meta">${meta.join(' · ')}</span></header>`,
    '<h4>Findings</h4>',
  ];
  const findings = Array.isArray(r.findings) ? r.findings : [];
  lines.push(findings.length === 0 ? '<p class="none">No findings.</p>' : `<ul class="findings">\n${findings.map(renderFinding).join('\n')}\n</ul>`);
  const notes = strs(r.notes);
  if (notes.length > 0) lines.push('<h4>Notes</h4>', `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  const records = [
    renderMx(r.mx), renderSpf(r.spf), renderDkim(r.dkim), renderDmarc(r.dmarc), renderAutodiscover(r.autodiscover), renderVerification(r.verification),
    renderMtaSts(r), renderTlsRpt(r), renderDnssec(r), renderDane(r),
  ].filter((x) => x !== '');
  if (records.length > 0) lines.push(...records);
  if (isObj(r.meta) && Object.keys(r.meta).length > 0) lines.push('<h4>Input columns</h4>', renderFacts(r.meta, 0));
  if (r.mxProbe) lines.push(renderProbe(r.mxProbe, 'h4', 'SMTP probe of the MX host'));
  lines.push('</article>');
  return lines.join('\n');
}

function renderFinding(f: Finding): string {
  const sev = typeof f.severity === 'string' && ['error', 'warning', 'info'].includes(f.severity) ? f.severity : 'info';
  const lines = [`<li class="finding ${sev}">${severityBadge(f.severity)} <code class="code">${escapeHtml(f.code)}</code> ${escapeHtml(f.message)}`];
  const details: string[] = [];
  if (f.evidence) details.push(`<dt>Evidence</dt><dd><code>${escapeHtml(f.evidence)}</code></dd>`);
  if (f.fix) details.push(`<dt>Fix</dt><dd>${escapeHtml(f.fix)}</dd>`);
  if (details.length > 0) lines.push(`<dl>${details.join('')}</dl>`);
  lines.push('</li>');
  return lines.join('');
}

// ---- the records behind each area -------------------------------------------------------

function areaHead(area: keyof typeof AREA_LABEL | 'verification', section: Record<string, unknown>): string {
  const label = area === 'verification' ? 'Verification' : AREA_LABEL[area];
  const status = str(section.status) ?? 'unknown';
  const known = ['pass', 'warn', 'fail', 'unknown'].includes(status) ? status : 'unknown';
  return `<h4>${label} ${statusCell({ status: known as AreaSummary['status'], text: status })}</h4>`;
}

function renderMx(section: unknown): string {
  if (!isObj(section)) return '';
  const hosts = Array.isArray(section.hosts) ? section.hosts.filter(isObj) : [];
  const lines = [areaHead('mx', section)];
  if (hosts.length === 0) lines.push(`<p>No MX hosts${section.nxdomain === true ? ' (the domain does not exist)' : ''}.</p>`);
  else {
    lines.push(
      '<table class="mx"><thead><tr><th scope="col">Preference</th><th scope="col">Host</th><th scope="col">Kind</th></tr></thead><tbody>',
      ...hosts.map((h) => {
        const kind = [str(h.kind), str(h.gateway), str(h.cloud)].filter((x) => x !== null).join(', ');
        return `<tr><td class="num">${escapeHtml(h.priority)}</td><td><code>${escapeHtml(h.exchange)}</code></td><td>${escapeHtml(kind)}</td></tr>`;
      }),
      '</tbody></table>',
    );
  }
  lines.push(renderFacts(section, 0, ['status', 'hosts', 'nxdomain']));
  return lines.join('\n');
}

function renderSpf(section: unknown): string {
  if (!isObj(section)) return '';
  const lines = [areaHead('spf', section)];
  const records = strs(section.records);
  const record = str(section.record);
  const shown = records.length > 0 ? records : record ? [record] : [];
  lines.push(shown.length === 0 ? '<p>No SPF record.</p>' : shown.map((r) => `<p><code>${escapeHtml(r)}</code></p>`).join('\n'));
  const facts: string[] = [];
  const lookups = num(section.lookups);
  const voids = num(section.voidLookups);
  // complete: false means an include was not followed, so the counts are a lower bound.
  const atLeast = section.complete === false ? 'at least ' : '';
  if (lookups !== null) facts.push(`<dt>DNS lookups</dt><dd>${atLeast}${lookups} of ${MAX_DNS_LOOKUPS}</dd>`);
  if (voids !== null) facts.push(`<dt>Void lookups</dt><dd>${atLeast}${voids} of ${MAX_VOID_LOOKUPS}</dd>`);
  const m365 = isObj(section.m365Include) ? section.m365Include : null;
  if (m365) {
    const path = strs(m365.path);
    const where = m365.direct === true ? 'in the record itself' : path.length > 0 ? `nested: ${path.map((p) => `<code>${escapeHtml(p)}</code>`).join(' › ')}` : 'nested';
    facts.push(`<dt>Microsoft include</dt><dd><code>${escapeHtml(m365.term ?? m365.host)}</code> ${where}</dd>`);
  } else if (section.m365Include === null && shown.length > 0) {
    facts.push('<dt>Microsoft include</dt><dd>not in the tree</dd>');
  }
  const allQ = str(section.allQualifier);
  if (allQ) facts.push(`<dt>Policy</dt><dd><code>${escapeHtml(`${allQ}all`)}</code>${str(section.allDomain) ? ` in the record of <code>${escapeHtml(section.allDomain)}</code>` : ''}</dd>`);
  const samples = Array.isArray(section.m365Samples) ? section.m365Samples.filter(isObj) : [];
  if (samples.length > 0) {
    facts.push(`<dt>Exchange Online check_host()</dt><dd><ul>${samples.map((x) => {
      const result = str(x.result) ?? '?';
      const st = result === 'pass' ? 'pass' : result === 'temperror' ? 'unknown' : 'fail';
      return `<li><code>${escapeHtml(x.ip)}</code> (from <code>${escapeHtml(x.source)}</code>): ${statusCell({ status: st, text: result })}${str(x.reason) ? ` ${escapeHtml(x.reason)}` : ''}</li>`;
    }).join('')}</ul></dd>`);
  }
  const senderId = strs(section.senderIdRecords);
  if (senderId.length > 0) facts.push(`<dt>Sender ID records</dt><dd>${senderId.map((r) => `<code>${escapeHtml(r)}</code>`).join(' ')}</dd>`);
  if (facts.length > 0) lines.push(`<dl class="facts">${facts.join('')}</dl>`);
  if (section.tree !== undefined && section.tree !== null) {
    const tree = renderSpfNode(section.tree, 0, new Set());
    if (tree) lines.push('<p class="muted">Include tree, with the lookups each record spends itself:</p>', `<ul class="tree">${tree}</ul>`);
  }
  lines.push(renderFacts(section, 0, ['status', 'record', 'records', 'lookups', 'voidLookups', 'complete', 'tree', 'm365Include', 'allQualifier', 'allDomain', 'm365Samples', 'senderIdRecords']));
  return lines.join('\n');
}

/**
 * One node of the SPF include tree (src/spf/analyze.ts SpfTreeNode: domain,
 * the term that leads here, record, status, own and total lookups,
 * children). Read loosely, so a saved run from another version still
 * draws; depth and cycles are bounded because the data may come from a file.
 */
function renderSpfNode(node: unknown, depth: number, seen: Set<unknown>): string {
  if (!isObj(node) || seen.has(node)) return '';
  seen.add(node);
  if (depth > MAX_TREE_DEPTH) return '<li class="muted">… deeper includes not shown</li>';
  const name = str(node.domain) ?? str(node.name) ?? '';
  const term = str(node.term);
  const record = str(node.record);
  const lookups = num(node.lookups);
  const total = num(node.totalLookups);
  const voids = num(node.voidLookups);
  const status = str(node.status);
  const problem = status && status !== 'ok' ? status : str(node.error);
  const bits = [];
  if (term) bits.push(`<span class="muted">${escapeHtml(term)} →</span>`);
  bits.push(`<strong>${escapeHtml(name) || '(record)'}</strong>`);
  if (lookups !== null) {
    const below = total !== null && total !== lookups ? `, ${total} with its includes` : '';
    const voided = voids ? `, ${voids} void` : '';
    bits.push(`<span class="lookups">${lookups} ${lookups === 1 ? 'lookup' : 'lookups'}${below}${voided}</span>`);
  }
  if (record) bits.push(`<code>${escapeHtml(record)}</code>`);
  if (problem) bits.push(`<span class="st st-${problem === 'tempfail' ? 'unknown' : 'fail'}">${escapeHtml(problem)}${str(node.detail) ? `: ${escapeHtml(node.detail)}` : ''}</span>`);
  else if (!record) bits.push('<span class="muted">no record</span>');
  const children = Array.isArray(node.children) ? node.children.map((c) => renderSpfNode(c, depth + 1, seen)).filter((x) => x !== '') : [];
  return `<li>${bits.join(' ')}${children.length > 0 ? `<ul>${children.join('')}</ul>` : ''}</li>`;
}

function renderDkim(section: unknown): string {
  if (!isObj(section)) return '';
  const selectors = Array.isArray(section.selectors) ? section.selectors.filter(isObj) : [];
  const lines = [areaHead('dkim', section)];
  if (selectors.length > 0) {
    lines.push(
      '<table class="dkim"><thead><tr><th scope="col">Selector</th><th scope="col">CNAME</th><th scope="col">Target</th><th scope="col">Key</th></tr></thead><tbody>',
      ...selectors.map((s) => {
        const target = str(s.target);
        return `<tr><th scope="row">${escapeHtml(s.selector)}</th><td><code>${escapeHtml(s.name)}</code></td><td>${target ? `<code>${escapeHtml(target)}</code>` : 'none'}</td><td>${keyCell(s)}</td></tr>`;
      }),
      '</tbody></table>',
    );
  }
  lines.push(renderFacts(section, 0, ['status', 'selectors']));
  return lines.join('\n');
}

/** The key facts of a DKIM selector: bits and type first, then whatever else the check recorded. */
function keyCell(s: Record<string, unknown>): string {
  const key = isObj(s.key) ? s.key : {};
  const bits = num(s.keyBits) ?? num(s.bits) ?? num(key.bits);
  const type = str(s.keyType) ?? str(key.type) ?? str(key.k);
  const head = [type ? escapeHtml(type.toUpperCase()) : '', bits !== null ? `${bits} bits` : ''].filter((x) => x).join(', ');
  const rest = renderFacts(s, 0, ['selector', 'name', 'target', 'keyBits', 'bits', 'keyType', 'key']);
  const restKey = isObj(s.key) ? renderFacts(key, 0, ['bits', 'type', 'k']) : '';
  const out = [head ? `<strong>${head}</strong>` : '', restKey, rest].filter((x) => x).join('');
  return out || '–';
}

function renderDmarc(section: unknown): string {
  if (!isObj(section)) return '';
  const lines = [areaHead('dmarc', section)];
  const record = str(section.record);
  const source = str(section.source);
  lines.push(record ? `<p><code>${escapeHtml(record)}</code></p>` : '<p>No DMARC record.</p>');
  if (source) lines.push(`<dl class="facts"><dt>Found at</dt><dd><code>${escapeHtml(source)}</code></dd></dl>`);
  lines.push(renderFacts(section, 0, ['status', 'record', 'source']));
  return lines.join('\n');
}

function renderAutodiscover(section: unknown): string {
  if (!isObj(section)) return '';
  const facts: string[] = [];
  facts.push(`<dt>Name</dt><dd><code>${escapeHtml(section.name)}</code></dd>`);
  const target = str(section.target);
  const addresses = strs(section.addresses);
  facts.push(`<dt>CNAME</dt><dd>${target ? `<code>${escapeHtml(target)}</code>` : 'none'}</dd>`);
  if (addresses.length > 0) facts.push(`<dt>Addresses</dt><dd>${addresses.map((a) => `<code>${escapeHtml(a)}</code>`).join(' ')}</dd>`);
  if (str(section.expected)) facts.push(`<dt>Expected</dt><dd><code>${escapeHtml(section.expected)}</code></dd>`);
  return [areaHead('autodiscover', section), `<dl class="facts">${facts.join('')}</dl>`, renderFacts(section, 0, ['status', 'name', 'target', 'addresses', 'expected'])].join('\n');
}

function renderVerification(section: unknown): string {
  if (!isObj(section)) return '';
  const records = strs(section.records);
  const msoid = str(section.msoid);
  const facts = [`<dt>MS= records</dt><dd>${records.length > 0 ? records.map((r) => `<code>${escapeHtml(r)}</code>`).join(' ') : 'none'}</dd>`];
  if (msoid) facts.push(`<dt>msoid CNAME</dt><dd><code>${escapeHtml(msoid)}</code></dd>`);
  return [areaHead('verification', section), `<dl class="facts">${facts.join('')}</dl>`, renderFacts(section, 0, ['status', 'records', 'msoid'])].join('\n');
}

// ---- the transport areas (MTA-STS, TLS-RPT, DNSSEC, DANE) ------------------------------

/** A transport area's heading with the table's own words ("off", "testing", "TLSA matches"): off is not a pass. */
function transportHead(r: DomainReport, area: 'mtaSts' | 'tlsRpt' | 'dnssec' | 'dane'): string {
  return `<h4>${AREA_LABEL[area]} ${statusCell(areaCell(r, area))}</h4>`;
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
  const lines = [transportHead(r, 'mtaSts')];
  const records = strs(section.records);
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
  return lines.filter((x) => x !== '').join('\n');
}

/** TLS-RPT (RFC 8460 §3): the `_smtp._tls` records and each rua destination, usable or why not. */
function renderTlsRpt(r: DomainReport): string {
  const section: unknown = r.tlsRpt;
  if (!isObj(section)) return '';
  const lines = [transportHead(r, 'tlsRpt')];
  const records = strs(section.records);
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
  return lines.filter((x) => x !== '').join('\n');
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
  const facts: string[] = [];
  const state = str(section.state);
  if (state) facts.push(`<dt>State</dt><dd>${escapeHtml(DNSSEC_STATE[state] ?? state)}</dd>`);
  if (str(section.domain)) facts.push(`<dt>Asked</dt><dd><code>${escapeHtml(section.domain)}</code> MX, with the DO bit</dd>`);
  if ('ad' in section) facts.push(`<dt>AD bit</dt><dd>${yesNo(section.ad, 'set', 'not set', 'no answer')}</dd>`);
  if ('rrsigs' in section) facts.push(`<dt>RRSIGs</dt><dd>${yesNo(section.rrsigs, 'present', 'none', 'no answer')}</dd>`);
  if ('ds' in section) facts.push(`<dt>DS at the parent</dt><dd>${yesNo(section.ds, 'present', 'none (an island of trust)', 'not asked')}</dd>`);
  if ('resolverValidates' in section) facts.push(`<dt>Resolver</dt><dd>${yesNo(section.resolverValidates, 'validates', 'does not validate (it passes signatures on and never sets AD)', 'cannot tell from this domain (an unsigned answer looks the same either way)')}</dd>`);
  if (str(section.reason)) facts.push(`<dt>Note</dt><dd>${escapeHtml(section.reason)}</dd>`);
  // `queries` counts this check's lookups: the run's trail, not a fact of the domain.
  return [transportHead(r, 'dnssec'), `<dl class="facts">${facts.join('')}</dl>`, renderFacts(section, 0, ['status', 'state', 'domain', 'ad', 'rrsigs', 'ds', 'resolverValidates', 'reason', 'queries'])].filter((x) => x !== '').join('\n');
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
  const lines = [transportHead(r, 'dane')];
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
  return lines.filter((x) => x !== '').join('\n');
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
      c.verified ? '<span class="st st-pass">✓ verified</span>' : `<span class="st st-fail">✗ not verified${c.error ? ` (${escapeHtml(c.error)})` : ''}</span>`,
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
    findings.length === 0 ? '<p class="none">No findings.</p>' : `<ul class="findings">\n${findings.map(renderFinding).join('\n')}\n</ul>`,
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

function gradeBadge(grade: unknown): string {
  const g: GradeKey = (GRADES as readonly unknown[]).includes(grade) ? (grade as GradeKey) : 'unknown';
  return `<span class="badge grade-${g}">${GRADE_WORD[g]}</span>`;
}

function severityBadge(severity: unknown): string {
  const s = severity === 'error' || severity === 'warning' || severity === 'info' ? severity : 'info';
  return `<span class="badge sev-${s}">${s}</span>`;
}

/** A status as mark and words: colour helps, but the mark and text carry it alone (print, colour blindness). */
function statusCell(s: AreaSummary | { status: 'pass' | 'warn' | 'fail' | 'n/a'; text: string }): string {
  // The status is copied from the section, which a saved run may fill with anything: only known values become a class.
  const status: AreaSummary['status'] = Object.prototype.hasOwnProperty.call(STATUS_MARK, s.status) ? s.status : 'unknown';
  const mark = STATUS_MARK[status];
  return `<span class="st st-${status === 'n/a' ? 'na' : status}">${mark ? `<span class="mark" aria-hidden="true">${mark}</span> ` : ''}${escapeHtml(s.text)}</span>`;
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
