import type { DiffEntry, Verdict } from './diff.js';
import { describeSide, entryLabel, gradeStep, hasDetails, LISTED, orderNote, RECORD_WORDS, scoreStep, VERDICT_WORDS, describeDiffCounts, type DiffView } from './diff-words.js';
import { PAGE_CSS, renderPageEnd, renderPageStart } from './html.js';
import { escapeHtml } from './safe-text.js';

/** The grade rows of the summary table, in the readiness report's order. */
const GRADES = ['ready', 'needs-work', 'not-ready', 'unknown'] as const;

/** What the diff page adds to the readiness report's design (PAGE_CSS): what improved in green, what regressed in red. */
const DIFF_CSS = `
/* The verdict's colour on its word only (.verdict, the summary counts); rows and cards get a tint or a border. */
.verdict.v-regressed { color: var(--fail); } .verdict.v-improved { color: var(--pass); } .verdict.v-changed { color: var(--warn); }
.verdict.v-unknown { color: var(--unknown); } .verdict.v-added, .verdict.v-removed, .verdict.v-unchanged { color: var(--na); }
.verdict { font-weight: 600; }
tr.v-regressed > * { background: var(--fail-bg); } tr.v-improved > * { background: var(--pass-bg); }
tr.v-regressed > *, tr.v-improved > * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.card { border-left: 6px solid var(--na); }
.card.v-regressed { border-left-color: var(--fail); } .card.v-improved { border-left-color: var(--pass); } .card.v-changed { border-left-color: var(--warn); }
.card h3 { margin-top: .2rem; }
.card ul { margin: .25rem 0; padding-left: 1.25rem; }
li.new { color: var(--fail); } li.resolved { color: var(--pass); }
li.new span, li.resolved span { color: var(--fg); }
@media print { .card { break-inside: avoid; } }
`;
const CSS = `${PAGE_CSS}${DIFF_CSS}`;

/**
 * `diff --format html`: one self-contained page in the readiness report's
 * design (src/report/html.ts: its stylesheet and page shell, the same
 * Content-Security-Policy; this page has no script): the summary, a table
 * of the domains that changed (regressions in red, improvements in green),
 * then each one's new and resolved findings and changed records. Every
 * string from the runs goes through escapeHtml.
 */
export function* renderDiffHtmlChunks(view: DiffView): Generator<string> {
  const { summary } = view;
  const when = (side: DiffView['old']): string => escapeHtml(side.run.startedAt?.slice(0, 10) ?? side.files.join(', '));
  const title = 'What changed between two m365audit runs';
  yield `${[
    renderPageStart({ title, css: CSS }),
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
  yield `${['</main>', '<footer>', `<p>Old: ${escapeHtml(describeSide(view.old))}</p>`, `<p>New: ${escapeHtml(describeSide(view.new))}</p>`, '</footer>'].join('\n')}\n`;
  yield renderPageEnd();
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
