import Table from 'cli-table3';
import type { DomainReport } from '../audit/audit.js';
import type { Finding } from '../audit/catalog.js';
import type { ProbeResult } from '../smtp/types.js';
import { summarizeProbe } from './probe-summary.js';
import { cleanText } from './sanitize.js';
import { SUMMARY_AREAS, summarizeArea, type AreaSummary } from './summary.js';

export interface TableOptions {
  color: boolean;
  /** The run's SMTP submission probe, shown under the table. */
  probe?: ProbeResult | null;
}

const ANSI = { red: '\x1b[31m', yellow: '\x1b[33m', green: '\x1b[32m', cyan: '\x1b[36m', dim: '\x1b[2m', bold: '\x1b[1m', reset: '\x1b[0m' };

function paint(color: boolean, code: keyof typeof ANSI, s: string): string {
  return color ? `${ANSI[code]}${s}${ANSI.reset}` : s;
}

const GRADE_COLOR = { ready: 'green', 'needs-work': 'yellow', unknown: 'cyan', 'not-ready': 'red' } as const;
const STATUS_MARK: Record<AreaSummary['status'], string> = { pass: '✓', warn: '!', fail: '✗', unknown: '?', 'n/a': '' };
const STATUS_COLOR = { pass: 'green', warn: 'yellow', fail: 'red', unknown: 'cyan', 'n/a': 'dim' } as const;

/** The readiness table: one row per domain, then each domain's findings with evidence and fixes. */
export function renderTable(reports: readonly DomainReport[], options: TableOptions): string {
  const { color } = options;
  const table = new Table({
    head: ['Domain', 'Grade', 'Score', 'Cloud', 'MX', 'SPF', 'DKIM', 'DMARC', 'Autodiscover'],
    style: { head: color ? ['bold'] : [], border: [], compact: false },
    wordWrap: false,
  });
  for (const r of reports) {
    table.push([
      cleanText(r.domain ?? r.input),
      paint(color, GRADE_COLOR[r.grade], r.grade),
      String(r.score),
      r.domain ? r.cloud : '—',
      ...SUMMARY_AREAS.map((a) => {
        const s = summarizeArea(r, a);
        return paint(color, STATUS_COLOR[s.status], `${STATUS_MARK[s.status]} ${cleanText(s.text)}`.trim());
      }),
    ]);
  }
  const parts = [table.toString()];
  for (const r of reports) {
    const shown = r.findings;
    const head = `${paint(color, 'bold', cleanText(r.domain ?? r.input))}${r.tenant ? ` (tenant ${cleanText(r.tenant)})` : ''}: ${paint(color, GRADE_COLOR[r.grade], r.grade)}, score ${r.score}`;
    const lines = [head];
    if (shown.length === 0) lines.push('  no findings');
    for (const f of shown) lines.push(...renderFinding(f, color));
    for (const n of r.notes) lines.push(`  note: ${cleanText(n)}`);
    parts.push(lines.join('\n'));
  }
  if (options.probe) parts.push(renderProbeBlock(options.probe, color));
  return `${parts.join('\n\n')}\n`;
}

function renderProbeBlock(p: ProbeResult, color: boolean): string {
  const s = summarizeProbe(p);
  const lines = [`${paint(color, 'bold', 'SMTP probe')} ${cleanText(`${p.host}:${p.port}`)} (${p.tls}): ${paint(color, STATUS_COLOR[s.status], s.status)}`];
  if (p.banner) lines.push(`  banner: ${cleanText(p.banner)}`);
  if (p.tlsVersion) lines.push(`  TLS: ${cleanText(p.tlsVersion)}${p.cipher ? ` ${cleanText(p.cipher)}` : ''}`);
  if (p.authMechanisms) lines.push(`  AUTH after TLS: ${cleanText(p.authMechanisms.join(' ') || 'none')}`);
  for (const f of p.findings) lines.push(...renderFinding(f, color));
  return lines.join('\n');
}

const SEVERITY_LABEL = { error: ['✗ error  ', 'red'], warning: ['! warning', 'yellow'], info: ['i info   ', 'dim'] } as const;

function renderFinding(f: Finding, color: boolean): string[] {
  const [label, c] = SEVERITY_LABEL[f.severity];
  const lines = [`  ${paint(color, c, label)} ${f.code}: ${cleanText(f.message)}`];
  if (f.evidence) lines.push(`      evidence: ${cleanText(f.evidence)}`);
  if (f.fix) lines.push(`      fix: ${cleanText(f.fix)}`);
  return lines;
}
