/**
 * `message --format markdown`, for a ticket: the diagnosis first, the
 * verdict table (recorded by the receiver beside m365audit's today), the
 * fixes as copyable records in fenced code blocks, then the NDR's
 * recipients, the route, the findings and the notes. Every value from the
 * message or DNS goes through mdText (one line, Markdown and HTML escaped),
 * or, inside a code block, through mdCodeBlock (a fence no line can close).
 */
import { findingsMarkdown } from './markdown-findings.js';
import type { AuditedMessageReport } from '../audit/message.js';
import type { HeaderAnalysis } from '../message/report.js';
import { renderMarkdown } from './markdown.js';
import { describeMessage, describeMessageRun, fixLine, hopText, verdictRows, type MessageRunInfo } from './message.js';
import { mdCodeBlock, mdText } from './safe-text.js';

/** The Markdown for a ticket. */
export function renderMessageMarkdown(r: AuditedMessageReport, run: MessageRunInfo | null = null): string {
  const lines = [`## ${mdText(describeMessage(r))}`, ''];
  lines.push(`**Diagnosis.** ${r.diagnosis.sentences.map(mdText).join(' ')}`, '');
  const codes = [...new Set(r.diagnosis.causes.map((c) => c.code))];
  lines.push(`Outcome: **${r.diagnosis.outcome}**${r.diagnosis.outcomeEvidence ? ` (${mdText(r.diagnosis.outcomeEvidence)})` : ''}. Cause: ${r.diagnosis.primary ? `\`${r.diagnosis.primary}\`` : 'none'}${codes.length > 1 ? `; also ${codes.filter((c) => c !== r.diagnosis.primary).map((c) => `\`${c}\``).join(', ')}` : ''}.`);
  const analysed = r.ndr?.returned?.headers ?? (r.kind === 'message' ? r.message : null);
  if (analysed?.verdicts) lines.push('', ...verdictTable(analysed, r.ndr?.returned ? 'Returned message' : null));
  if (r.fixes.length > 0) {
    lines.push('', '### Records to publish');
    for (const f of r.fixes) {
      lines.push('', `${f.action === 'replace' ? 'Replace the record at' : 'Add at'} ${mdText(f.name)} (\`${f.code}\`): ${mdText(f.note)}`, '', mdCodeBlock([fixLine(f)], 'dns'));
    }
  }
  if (r.ndr) {
    lines.push('', `### Recipients (${r.ndr.recipientsTotal})`, '', '| Recipient | Action | Status | Meaning | Fix |', '|---|---|---|---|---|');
    for (const rc of r.ndr.recipients) {
      lines.push(`| ${mdText(rc.recipient ?? '?')} | ${mdText(rc.action ?? '—')} | ${mdText(rc.statusCode ?? rc.status ?? '—')} | ${mdText(rc.explanation?.title ?? '—')} | ${mdText(rc.explanation?.fix ?? '—')} |`);
    }
  }
  const route = analysed ?? r.message;
  if (route.route.hops.length > 0) {
    lines.push('', '### Route (oldest first)', '');
    for (const h of route.route.hops) lines.push(`${h.index + 1}. ${mdText(hopText(h))}`);
  }
  lines.push('', '### Findings', '');
  lines.push(...findingsMarkdown(r.findings));
  if (r.notes.length > 0) lines.push('', ...r.notes.map((n) => `- Note: ${mdText(n)}`));
  if (r.audit) lines.push('', `### Domain audit of ${mdText(r.auditedDomain ?? '')}`, '', renderMarkdown([r.audit], null).trimEnd());
  if (run) lines.push('', `_${mdText(describeMessageRun(run))}_`);
  return `${lines.join('\n')}\n`;
}

function verdictTable(a: HeaderAnalysis, caption: string | null): string[] {
  const out = caption ? [`${caption}:`, ''] : [];
  out.push('| Check | Recorded by the receiver | m365audit, today\'s DNS |', '|---|---|---|');
  for (const row of verdictRows(a)) out.push(`| ${row.method} | ${mdText(row.recorded)} | ${mdText(row.now)}${row.differs ? ' (differs)' : ''} |`);
  return out;
}
