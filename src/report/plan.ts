import Table from 'cli-table3';
import type { Plan, PlanRow } from '../audit/plan.js';
import { renderRunFooterMarkdown } from './markdown.js';
import { renderRunFooter, type PlanRunInfo } from './run.js';
import { cleanText, mdText, safeJson } from './safe-text.js';

const TTL = 3600;

/** A TXT value as zone-file character-strings: quotes and backslashes escaped, odd bytes as \DDD, 255 bytes a string. */
export function zoneTxt(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  const parts: string[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    let out = '';
    for (const b of bytes.subarray(i, i + 255)) {
      if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
      else if (b < 0x20 || b > 0x7e) out += `\\${String(b).padStart(3, '0')}`;
      else out += String.fromCharCode(b);
    }
    parts.push(`"${out}"`);
    if (bytes.length === 0) break;
  }
  return parts.join(' ');
}

function rdata(r: PlanRow): string {
  if (r.type === 'MX') return `${r.priority ?? 0} ${r.value}.`;
  if (r.type === 'CNAME') return `${r.value}.`;
  return zoneTxt(r.value);
}

function owner(r: PlanRow, domain: string): string {
  return r.name === domain ? '@' : r.name.slice(0, -(domain.length + 1));
}

/** A zone-file snippet with every record Microsoft 365 needs; each line says its status; the run as the last comment. */
export function renderPlanZone(plan: Plan, run?: PlanRunInfo): string {
  const lines = [
    `; Microsoft 365 records for ${plan.domain} (tenant ${plan.tenant}, cloud ${plan.cloud})`,
    '; status against live DNS: present = already published, change = replace what is there, add = new',
    `$ORIGIN ${plan.domain}.`,
  ];
  const width = Math.max(...plan.rows.map((r) => owner(r, plan.domain).length), 1);
  for (const r of plan.rows) {
    const was = r.status === 'change' && r.current.length > 0 ? ` (now: ${cleanText(r.current.join(' | '))})` : '';
    lines.push(`${owner(r, plan.domain).padEnd(width)} ${TTL} IN ${r.type.padEnd(5)} ${rdata(r)} ; ${r.status}${was}`);
  }
  for (const w of plan.warnings) lines.push(`; WARNING: ${cleanText(w)}`);
  if (run) lines.push(`; ${renderRunFooter(run)}`);
  return `${lines.join('\n')}\n`;
}

/** The plan as a table; values are printed whole, never wrapped or cut. */
export function renderPlanTable(plan: Plan, run?: PlanRunInfo): string {
  const table = new Table({ head: ['Status', 'Type', 'Name', 'Value'], style: { head: [], border: [] }, wordWrap: false });
  for (const r of plan.rows) table.push([r.status, r.type, r.name, r.type === 'MX' ? `${r.priority ?? 0} ${r.value}` : cleanText(r.value)]);
  const lines = [`Microsoft 365 records for ${plan.domain} (tenant ${plan.tenant}, cloud ${plan.cloud})${plan.exists ? '' : ': the domain does not exist yet'}`, table.toString()];
  for (const r of plan.rows) {
    if (r.status === 'change' && r.current.length > 0) lines.push(`${r.name} ${r.type} now: ${cleanText(r.current.join(' | '))}`);
    for (const n of r.notes) lines.push(`${r.name} ${r.type}: ${cleanText(n)}`);
  }
  for (const w of plan.warnings) lines.push(`WARNING: ${cleanText(w)}`);
  if (run) lines.push('', renderRunFooter(run));
  return `${lines.join('\n')}\n`;
}

/** The Plan's fields, and the run's audit trail as `run`. */
export function renderPlanJson(plan: Plan, run?: PlanRunInfo): string {
  return `${safeJson(run ? { ...plan, run } : plan, 2)}\n`;
}

/** The plan as Markdown for a ticket: a table of the records with their status, each row's notes, the warnings and the run's trail; text from DNS is escaped (mdText). */
export function renderPlanMarkdown(plan: Plan, run?: PlanRunInfo): string {
  const lines = [
    `## Microsoft 365 records for ${mdText(plan.domain)}`,
    '',
    `Tenant ${mdText(plan.tenant)}, cloud ${plan.cloud}.${plan.exists ? '' : ' The domain does not exist yet: every record is to add.'}`,
    '',
    '| Status | Type | Name | Value | Now |',
    '|---|---|---|---|---|',
    ...plan.rows.map((r) => `| ${r.status} | ${r.type} | ${mdText(r.name)} | ${mdText(r.type === 'MX' ? `${r.priority ?? 0} ${r.value}` : r.value)} | ${mdText(r.current.join(' / ')) || '—'} |`),
  ];
  const notes = plan.rows.flatMap((r) => r.notes.map((n) => `- ${mdText(r.name)} ${r.type}: ${mdText(n)}`));
  if (notes.length > 0) lines.push('', ...notes);
  for (const w of plan.warnings) lines.push('', `**Warning:** ${mdText(w)}`);
  if (run) lines.push('', renderRunFooterMarkdown(run));
  return `${lines.join('\n')}\n`;
}
