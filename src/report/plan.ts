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

/** A row's status, with "optional" for the hardening rows (MTA-STS, TLS-RPT) that Microsoft 365 does not need. */
function statusText(r: PlanRow): string {
  return r.optional ? `${r.status} (optional)` : r.status;
}

/** The lines of an HTTPS row's file (its value), each made safe by `clean`. */
function fileLines(r: PlanRow, clean: (s: string) => string): string[] {
  return r.value.replace(/\n$/, '').split('\n').map(clean);
}

/**
 * A zone-file snippet with every record Microsoft 365 needs; each line says
 * its status; the run as the last comment. The optional rows follow as
 * comments, to uncomment by hand: an `_mta-sts` record published before its
 * policy file is served is an error, so it is never live by copy and paste.
 */
export function renderPlanZone(plan: Plan, run?: PlanRunInfo): string {
  const lines = [
    `; Microsoft 365 records for ${plan.domain} (tenant ${plan.tenant}, cloud ${plan.cloud})`,
    '; status against live DNS: present = already published, change = replace what is there, add = new',
    `$ORIGIN ${plan.domain}.`,
  ];
  const dnsRows = plan.rows.filter((r) => r.type !== 'HTTPS');
  const width = Math.max(...dnsRows.map((r) => owner(r, plan.domain).length), 1);
  const line = (r: PlanRow): string => {
    const was = r.status === 'change' && r.current.length > 0 ? ` (now: ${cleanText(r.current.join(' | '))})` : '';
    return `${owner(r, plan.domain).padEnd(width)} ${TTL} IN ${r.type.padEnd(5)} ${rdata(r)} ; ${statusText(r)}${was}`;
  };
  for (const r of plan.rows.filter((x) => !x.optional)) lines.push(line(r));
  const optional = plan.rows.filter((x) => x.optional);
  if (optional.length > 0) lines.push('; Optional hardening (MTA-STS, TLS-RPT): uncomment to publish; the _mta-sts record only once its policy file is served.');
  for (const r of optional) {
    if (r.type !== 'HTTPS') lines.push(`; ${line(r)}`);
    else lines.push(`; ${cleanText(r.name)}: serve as text/plain ; ${statusText(r)}`, ...fileLines(r, cleanText).map((l) => `;   ${l}`));
  }
  for (const w of plan.warnings) lines.push(`; WARNING: ${cleanText(w)}`);
  if (run) lines.push(`; ${renderRunFooter(run)}`);
  return `${lines.join('\n')}\n`;
}

/** The plan as a table; values are printed whole, never wrapped or cut (a policy file one line a line). */
export function renderPlanTable(plan: Plan, run?: PlanRunInfo): string {
  const table = new Table({ head: ['Status', 'Type', 'Name', 'Value'], style: { head: [], border: [] }, wordWrap: false });
  for (const r of plan.rows) {
    const value = r.type === 'MX' ? `${r.priority ?? 0} ${r.value}` : r.type === 'HTTPS' ? fileLines(r, cleanText).join('\n') : cleanText(r.value);
    table.push([statusText(r), r.type, cleanText(r.name), value]);
  }
  const lines = [`Microsoft 365 records for ${plan.domain} (tenant ${plan.tenant}, cloud ${plan.cloud})${plan.exists ? '' : ': the domain does not exist yet'}`, table.toString()];
  for (const r of plan.rows) {
    if (r.status === 'change' && r.current.length > 0) lines.push(`${cleanText(r.name)} ${r.type} now: ${cleanText(r.current.join(' | '))}`);
    for (const n of r.notes) lines.push(`${cleanText(r.name)} ${r.type}: ${cleanText(n)}`);
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
    ...plan.rows.map((r) => `| ${statusText(r)} | ${r.type} | ${mdText(r.name)} | ${r.type === 'HTTPS' ? fileLines(r, mdText).join('<br>') : mdText(r.type === 'MX' ? `${r.priority ?? 0} ${r.value}` : r.value)} | ${mdText(r.current.join(' / ')) || '—'} |`),
  ];
  const notes = plan.rows.flatMap((r) => r.notes.map((n) => `- ${mdText(r.name)} ${r.type}: ${mdText(n)}`));
  if (notes.length > 0) lines.push('', ...notes);
  for (const w of plan.warnings) lines.push('', `**Warning:** ${mdText(w)}`);
  if (run) lines.push('', renderRunFooterMarkdown(run));
  return `${lines.join('\n')}\n`;
}
