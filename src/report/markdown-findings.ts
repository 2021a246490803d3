import type { Finding } from '../findings/catalog.js';
import { mdText } from './safe-text.js';

/** Findings as a Markdown list, one item a finding with its evidence and fix beneath ("No findings." when none); text from DNS, SMTP or a message escaped. */
export function findingsMarkdown(findings: readonly Finding[]): string[] {
  if (findings.length === 0) return ['No findings.'];
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`- **${f.severity}** \`${f.code}\`: ${mdText(f.message)}`);
    if (f.evidence) lines.push(`  - Evidence: ${mdText(f.evidence)}`);
    if (f.fix) lines.push(`  - Fix: ${mdText(f.fix)}`);
  }
  return lines;
}
