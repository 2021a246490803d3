/**
 * `message --format html`: one self-contained page (no script, no external
 * asset; a Content-Security-Policy forbids both, as for the domain report):
 * the diagnosis first, its causes linked to their findings, the verdict
 * table, the records to publish, the NDR's recipients, then each header
 * block's route, anti-spam stamps, Authentication-Results and ARC, the
 * findings and notes. Every value from the message or DNS goes through
 * escapeHtml; only this file's own markup is emitted raw.
 */
import type { AuditedMessageReport } from '../audit/message.js';
import type { Finding } from '../findings/catalog.js';
import type { HeaderAnalysis } from '../message/report.js';
import { TOOL_NAME, VERSION } from '../version.js';
import { antispamLines, describeMessage, describeMessageRun, fixLine, hopText, verdictRows, type MessageRunInfo } from './message.js';
import { escapeHtml } from './safe-text.js';

const CSS = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --panel:#f6f8fa; --fail:#cf222e; --warn:#9a6700; --pass:#1a7f37; --info:#59636e; }
body { margin: 0 auto; max-width: 1200px; padding: 1.5rem; color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; } h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1rem 0 .4rem; }
.diagnosis { border-left: 4px solid var(--fail); background: var(--panel); padding: .6rem 1rem; }
.diagnosis.delivered { border-left-color: var(--pass); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; } th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
thead th { background: var(--panel); }
code, pre { font: .9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel); }
pre { padding: .5rem .75rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.finding { border-left: 4px solid var(--info); padding: .3rem .75rem; margin: .4rem 0; background: var(--panel); list-style: none; }
.finding.error { border-left-color: var(--fail); } .finding.warning { border-left-color: var(--warn); }
ul.findings { padding: 0; } .differs { color: var(--warn); font-weight: 600; } .muted, footer { color: var(--muted); }
`;

/** The page. `generatedAt` is shown when given (left out otherwise, so the output stays deterministic). */
export function renderMessageHtml(r: AuditedMessageReport, options: { run?: MessageRunInfo | null; generatedAt?: Date } = {}): string {
  const title = describeMessage(r);
  const findingId = new Map<string, string>();
  r.findings.forEach((f, i) => {
    if (!findingId.has(f.code)) findingId.set(f.code, `finding-${i + 1}`);
  });
  const codeLink = (code: string): string => {
    const id = findingId.get(code);
    return id ? `<a href="#${id}"><code>${escapeHtml(code)}</code></a>` : `<code>${escapeHtml(code)}</code>`;
  };
  const codes = [...new Set(r.diagnosis.causes.map((c) => c.code))];
  const generated = options.generatedAt && !Number.isNaN(options.generatedAt.getTime()) ? ` Generated <time datetime="${escapeHtml(options.generatedAt.toISOString())}">${escapeHtml(options.generatedAt.toISOString())}</time>.` : '';
  const parts: string[] = [
    '<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<meta name="generator" content="${escapeHtml(`${TOOL_NAME} ${VERSION}`)}">`,
    `<title>${escapeHtml(title)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>',
    `<header><h1>${escapeHtml(title)}</h1><p class="muted">Analysed by ${escapeHtml(TOOL_NAME)} ${escapeHtml(VERSION)}.${generated}</p></header>`,
    '<main>',
    `<section aria-labelledby="diagnosis-h" class="diagnosis ${escapeHtml(r.diagnosis.outcome)}"><h2 id="diagnosis-h">Diagnosis</h2>`,
    ...r.diagnosis.sentences.map((s) => `<p>${escapeHtml(s)}</p>`),
    `<p class="muted">Outcome <strong>${escapeHtml(r.diagnosis.outcome)}</strong>${r.diagnosis.outcomeEvidence ? ` (${escapeHtml(r.diagnosis.outcomeEvidence)})` : ''}; cause ${r.diagnosis.primary ? codeLink(r.diagnosis.primary) : 'none'}${codes.length > 1 ? `; also ${codes.filter((c) => c !== r.diagnosis.primary).map(codeLink).join(', ')}` : ''}.</p>`,
    '</section>',
  ];
  const analysed = r.ndr?.returned?.headers ?? (r.kind === 'message' ? r.message : null);
  if (analysed?.verdicts) parts.push(verdictSection(analysed));
  if (r.fixes.length > 0) {
    parts.push('<section aria-labelledby="fixes-h"><h2 id="fixes-h">Records to publish</h2>');
    for (const f of r.fixes) parts.push(`<p>${f.action === 'replace' ? 'Replace the record at' : 'Add at'} <code>${escapeHtml(f.name)}</code> (${codeLink(f.code)}): ${escapeHtml(f.note)}</p>`, `<pre><code>${escapeHtml(fixLine(f))}</code></pre>`);
    parts.push('</section>');
  }
  if (r.ndr) {
    parts.push(`<section aria-labelledby="ndr-h"><h2 id="ndr-h">Recipients (${r.ndr.recipientsTotal})</h2>`, '<table><thead><tr><th scope="col">Recipient</th><th scope="col">Action</th><th scope="col">Status</th><th scope="col">Diagnostic</th><th scope="col">Meaning</th><th scope="col">Fix</th></tr></thead><tbody>');
    for (const rc of r.ndr.recipients) {
      parts.push(`<tr><td>${escapeHtml(rc.recipient ?? '?')}</td><td>${escapeHtml(rc.action ?? '—')}</td><td>${escapeHtml(rc.statusCode ?? rc.status ?? '—')}</td><td>${escapeHtml(rc.diagnosticCode ?? '—')}</td><td>${escapeHtml(rc.explanation ? `${rc.explanation.title}: ${rc.explanation.meaning}` : '—')}</td><td>${escapeHtml(rc.explanation?.fix ?? '—')}</td></tr>`);
    }
    parts.push('</tbody></table>', `<p class="muted">Reported by ${escapeHtml(r.ndr.reportingMta ?? r.ndr.generatingServer ?? 'an unnamed server')}.</p>`, '</section>');
  }
  parts.push(headerSection('Message', 'message', r.message));
  if (r.ndr?.returned) parts.push(headerSection(`Returned message (${r.ndr.returned.from})`, 'returned', r.ndr.returned.headers));
  parts.push('<section aria-labelledby="findings-h"><h2 id="findings-h">Findings</h2>', renderFindings(r.findings), '</section>');
  if (r.notes.length > 0) parts.push('<section aria-labelledby="notes-h"><h2 id="notes-h">Notes</h2><ul>', ...r.notes.map((n) => `<li>${escapeHtml(n)}</li>`), '</ul></section>');
  if (r.audit) {
    parts.push(`<section aria-labelledby="audit-h"><h2 id="audit-h">Domain audit of ${escapeHtml(r.auditedDomain ?? '')}</h2>`, `<p>Grade <strong>${escapeHtml(r.audit.grade)}</strong>, score ${escapeHtml(r.audit.score ?? '—')}.</p>`, renderFindings(r.audit.findings, 'audit-finding'), '</section>');
  }
  parts.push('</main>', `<footer>${options.run ? `<p>${escapeHtml(describeMessageRun(options.run))}</p>` : ''}<p>${escapeHtml(TOOL_NAME)} ${escapeHtml(VERSION)}. The message body is neither shown nor stored.</p></footer>`, '</body>', '</html>');
  return `${parts.join('\n')}\n`;
}

function verdictSection(a: HeaderAnalysis): string {
  const rows = verdictRows(a).map((row) => `<tr><th scope="row">${row.method}</th><td>${escapeHtml(row.recorded)}</td><td>${escapeHtml(row.now)}${row.differs ? ' <span class="differs">(differs)</span>' : ''}</td></tr>`);
  return ['<section aria-labelledby="verdicts-h"><h2 id="verdicts-h">Verdicts</h2>', '<table><thead><tr><th scope="col">Check</th><th scope="col">Recorded by the receiver</th><th scope="col">m365audit, today\'s DNS</th></tr></thead><tbody>', ...rows, '</tbody></table></section>'].join('\n');
}

function headerSection(title: string, id: string, a: HeaderAnalysis): string {
  const s = a.summary;
  const facts: [string, string | null][] = [['From', s.from], ['Return-Path', s.returnPath], ['To', s.to], ['Subject', s.subject], ['Date', s.date], ['Message-ID', s.messageId], ['Connecting IP', a.connectingIp.ip]];
  const out = [`<section aria-labelledby="${id}-h"><h2 id="${id}-h">${escapeHtml(title)}</h2>`, '<table><tbody>'];
  for (const [k, v] of facts) if (v !== null) out.push(`<tr><th scope="row">${k}</th><td>${escapeHtml(v)}</td></tr>`);
  out.push('</tbody></table>');
  if (a.route.hops.length > 0) {
    out.push('<h3>Route (oldest first)</h3>', '<table><thead><tr><th scope="col">#</th><th scope="col">Hop</th></tr></thead><tbody>');
    for (const h of a.route.hops) out.push(`<tr><td>${h.index + 1}</td><td>${escapeHtml(hopText(h))}</td></tr>`);
    out.push('</tbody></table>');
  }
  const as = antispamLines(a);
  if (as.length > 0) out.push('<h3>Anti-spam</h3><ul>', ...as.map((l) => `<li>${escapeHtml(l)}</li>`), '</ul>');
  const ars = [...a.recorded.authenticationResults, ...a.recorded.arc.authenticationResults];
  if (ars.length > 0) {
    out.push('<h3>Authentication-Results and ARC</h3><ul>');
    for (const ar of ars) {
      const results = ar.results.map((x) => `${x.method}=${x.result}${x.reason ? ` reason=${x.reason}` : ''}${x.action ? ` action=${x.action}` : ''}${x.meaning ? ` (${x.meaning})` : ''}`).join('; ');
      out.push(`<li>${escapeHtml(ar.field)}${ar.instance !== null ? ` i=${ar.instance}` : ''} ${escapeHtml(ar.authservId ?? '(Microsoft 365)')}: ${escapeHtml(results)}</li>`);
    }
    for (const seal of a.recorded.arc.seals) out.push(`<li>ARC-Seal i=${escapeHtml(seal.instance ?? '?')} cv=${escapeHtml(seal.cv ?? '?')} d=${escapeHtml(seal.domain ?? '?')} (not verified)</li>`);
    out.push('</ul>');
  }
  out.push('</section>');
  return out.join('\n');
}

function renderFindings(findings: readonly Finding[], prefix = 'finding'): string {
  if (findings.length === 0) return '<p>No findings.</p>';
  const items = findings.map((f, i) => {
    const dl = [f.evidence ? `<dt>Evidence</dt><dd>${escapeHtml(f.evidence)}</dd>` : '', f.fix ? `<dt>Fix</dt><dd>${escapeHtml(f.fix)}</dd>` : ''].join('');
    return `<li class="finding ${escapeHtml(f.severity)}" id="${prefix}-${i + 1}"><strong>${escapeHtml(f.severity)}</strong> <code>${escapeHtml(f.code)}</code>: ${escapeHtml(f.message)}${dl ? `<dl>${dl}</dl>` : ''}</li>`;
  });
  return `<ul class="findings">\n${items.join('\n')}\n</ul>`;
}
