import type { DiffEntry, Verdict } from './diff.js';
import { describeSide, entryLabel, gradeStep, hasDetails, LISTED, orderNote, RECORD_WORDS, scoreStep, VERDICT_WORDS, describeDiffCounts, type DiffView } from './diff-words.js';
import { escapeHtml } from './safe-text.js';
import { TOOL_NAME, VERSION } from '../version.js';

/** The grade rows of the summary table, in the readiness report's order. */
const GRADES = ['ready', 'needs-work', 'not-ready', 'unknown'] as const;

/** The colours of the readiness report (src/report/html.ts): what improved in green, what regressed in red. */
const CSS = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --panel:#f6f8fa;
  --pass:#1a7f37; --warn:#9a6700; --fail:#cf222e; --unknown:#0969da; --na:#59636e;
  --pass-bg:#dafbe1; --fail-bg:#ffebe9; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 1.5rem; color: var(--fg); background: var(--bg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
.meta { color: var(--muted); }
code { font: .9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel);
  border-radius: 4px; padding: .05em .3em; white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
thead th { background: var(--panel); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.stats { display: flex; flex-wrap: wrap; gap: .75rem; padding: 0; margin: .5rem 0; list-style: none; }
.stats li { border: 1px solid var(--line); border-radius: 8px; padding: .5rem .9rem; min-width: 8rem; }
.stats .n { display: block; font-size: 1.6rem; font-weight: 700; }
/* The verdict's colour on its word only (.verdict, the summary counts); rows and cards get a tint or a border. */
.verdict.v-regressed { color: var(--fail); } .verdict.v-improved { color: var(--pass); } .verdict.v-changed { color: var(--warn); }
.verdict.v-unknown { color: var(--unknown); } .verdict.v-added, .verdict.v-removed, .verdict.v-unchanged { color: var(--na); }
.verdict { font-weight: 600; }
tr.v-regressed > * { background: var(--fail-bg); } tr.v-improved > * { background: var(--pass-bg); }
tr.v-regressed > *, tr.v-improved > * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.card { border: 1px solid var(--line); border-left: 6px solid var(--na); border-radius: 8px; padding: .75rem 1rem; margin: 1rem 0; break-inside: avoid-page; }
.card.v-regressed { border-left-color: var(--fail); } .card.v-improved { border-left-color: var(--pass); } .card.v-changed { border-left-color: var(--warn); }
.card ul { margin: .25rem 0; padding-left: 1.25rem; }
li.new { color: var(--fail); } li.resolved { color: var(--pass); }
li.new span, li.resolved span { color: var(--fg); }
footer { margin-top: 2rem; color: var(--muted); font-size: .9em; }
@media print { body { max-width: none; padding: 0; font-size: 10pt; } thead { display: table-header-group; } tr, .card { break-inside: avoid; } }
`;

/**
 * `diff --format html`: one self-contained page, no script and no external
 * asset (a Content-Security-Policy forbids both): the summary, a table of
 * the domains that changed (regressions in red, improvements in green),
 * then each one's new and resolved findings and changed records. Every
 * string from the runs goes through escapeHtml.
 */
export function* renderDiffHtmlChunks(view: DiffView): Generator<string> {
  const { summary } = view;
  const when = (side: DiffView['old']): string => escapeHtml(side.run.startedAt?.slice(0, 10) ?? side.files.join(', '));
  const title = 'What changed between two m365audit runs';
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
    `<p class="meta">${when(view.old)} → ${when(view.new)}: ${escapeHtml(describeDiffCounts(summary))}.</p>`,
    '</header>',
    '<main>',
    '<section aria-labelledby="summary-h">',
    '<h2 id="summary-h">Summary</h2>',
    '<ul class="stats">',
    ...(['regressed', 'improved', 'changed', 'unchanged', 'added', 'removed'] as const).map((v) => `<li class="verdict v-${v}"><span class="n">${summary.verdicts[v]}</span>${escapeHtml(VERDICT_WORDS[v])}</li>`),
    ...(summary.verdicts.unknown > 0 ? [`<li class="verdict v-unknown"><span class="n">${summary.verdicts.unknown}</span>${escapeHtml(VERDICT_WORDS.unknown)}</li>`] : []),
    '</ul>',
    '<table class="grades"><caption>Domains per grade</caption>',
    '<thead><tr><th scope="col">Grade</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>',
    '<tbody>',
    ...GRADES.map((g) => `<tr><th scope="row">${escapeHtml(g)}</th><td class="num">${summary.grades.before[g]}</td><td class="num">${summary.grades.after[g]}</td></tr>`),
    '</tbody></table>',
    ...(summary.order === 'differs' ? [`<p class="meta">${escapeHtml(orderNote(summary))}</p>`] : []),
    '</section>',
  ].join('\n')}\n`;
  let any = false;
  for (const verdict of LISTED) {
    for (const e of view.entries) {
      if (e.verdict !== verdict) continue;
      if (!any) yield '<section aria-labelledby="changes-h">\n<h2 id="changes-h">Domains that changed</h2>\n<table class="changes">\n<thead><tr><th scope="col">Domain</th><th scope="col">Change</th><th scope="col">Grade</th><th scope="col">Score</th></tr></thead>\n<tbody>\n';
      any = true;
      yield `<tr class="v-${verdict}"><th scope="row">${escapeHtml(entryLabel(e))}</th><td><span class="verdict v-${verdict}">${escapeHtml(VERDICT_WORDS[verdict])}</span></td><td>${escapeHtml(gradeStep(e))}</td><td class="num">${escapeHtml(scoreStep(e))}</td></tr>\n`;
    }
  }
  yield any ? '</tbody>\n</table>\n</section>\n' : '<p>No domain changed.</p>\n';
  let details = false;
  for (const verdict of LISTED) {
    for (const e of view.entries) {
      if (e.verdict !== verdict || !hasDetails(e)) continue;
      if (!details) yield '<section aria-labelledby="details-h">\n<h2 id="details-h">What changed, domain by domain</h2>\n';
      details = true;
      yield `${card(verdict, e)}\n`;
    }
  }
  if (details) yield '</section>\n';
  yield `${['</main>', '<footer>', `<p>Old: ${escapeHtml(describeSide(view.old))}</p>`, `<p>New: ${escapeHtml(describeSide(view.new))}</p>`, '</footer>', '</body>', '</html>'].join('\n')}\n`;
}

function card(verdict: Verdict, e: DiffEntry): string {
  const out = [`<article class="card v-${verdict}">`, `<h3>${escapeHtml(entryLabel(e))}: <span class="verdict v-${verdict}">${escapeHtml(VERDICT_WORDS[verdict])}</span> (${escapeHtml(gradeStep(e))}, score ${escapeHtml(scoreStep(e))})</h3>`];
  if (e.findings.new.length > 0 || e.findings.resolved.length > 0) {
    out.push('<ul class="findings">');
    for (const f of e.findings.new) out.push(`<li class="new">New <code>${escapeHtml(f.code)}</code> <span>(${escapeHtml(f.area)}, ${escapeHtml(f.severity)}): ${escapeHtml(f.message)}</span></li>`);
    for (const f of e.findings.resolved) out.push(`<li class="resolved">Resolved <code>${escapeHtml(f.code)}</code> <span>(${escapeHtml(f.area)}, ${escapeHtml(f.severity)})</span></li>`);
    out.push('</ul>');
  }
  if (e.records.length > 0) {
    out.push('<table class="records"><thead><tr><th scope="col">Record</th><th scope="col">Name</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>');
    const value = (v: string | null): string => (v === null ? 'none' : `<code>${escapeHtml(v)}</code>`);
    for (const r of e.records) out.push(`<tr><td>${escapeHtml(RECORD_WORDS[r.kind])}</td><td><code>${escapeHtml(r.name)}</code></td><td>${value(r.before)}</td><td>${value(r.after)}</td></tr>`);
    out.push('</tbody></table>');
  }
  out.push('</article>');
  return out.join('\n');
}
