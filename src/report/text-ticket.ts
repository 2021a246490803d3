import type { DomainReport } from '../audit/audit.js';
import type { Finding } from '../findings/catalog.js';
import { CLOUD_ENDPOINTS } from '../m365/clouds.js';
import { mergeSpfRecords } from '../spf/merge.js';
import { AREA_LABELS, isInvalidRow, summarizeArea, type AreaSummary, type SummaryArea } from './summary.js';

/**
 * What a ticket says of a run, shared by `--format markdown` and `--format
 * text` (the same content, with and without Markdown): a narrow table of
 * status words, then per domain its other areas in one line, its findings
 * with the fix, and the records to publish, each value to copy as it is.
 */

/** The areas the ticket table has a column for; the others are said per domain (otherAreas). */
export const TICKET_AREAS = ['mx', 'spf', 'dkim', 'dmarc'] as const satisfies readonly SummaryArea[];
type TicketArea = (typeof TICKET_AREAS)[number];
/** The ticket table's columns. */
export const TICKET_COLUMNS: readonly string[] = ['Domain', 'Grade', ...TICKET_AREAS.map((a) => AREA_LABELS[a])];
/** The areas a ticket says per domain, in one line, rather than as columns (the table stays narrow). */
export const OTHER_AREAS = ['autodiscover', 'mtaSts', 'tlsRpt', 'dnssec', 'dane'] as const satisfies readonly SummaryArea[];

/** A cell's word is cut to this many characters: a saved run may hold a policy of any length. */
export const MAX_WORD = 16;

export const GRADE_WORDS = { ready: 'Ready', 'needs-work': 'Needs work', unknown: 'Unknown', 'not-ready': 'Not ready' } as const;

/** The grade as a ticket says it; a row that is not a domain name is `Invalid` (it is counted apart). */
export function gradeWord(r: DomainReport): string {
  if (isInvalidRow(r)) return 'Invalid';
  return Object.prototype.hasOwnProperty.call(GRADE_WORDS, r.grade) ? GRADE_WORDS[r.grade] : 'Unknown';
}

/** A cell of the ticket table: the area's status and a word or two. */
export interface TicketCell {
  status: AreaSummary['status'];
  word: string;
}

/**
 * The word of each error or warning code in a table cell, a few characters
 * each: the cell names the worst finding of its area; the domain's list
 * below says it in full.
 */
const CODE_WORDS: Readonly<Record<string, string>> = {
  SPF_SYNTAX: 'invalid', SPF_ALL_PASS: '+all', SPF_TOO_MANY_LOOKUPS: 'too many lookups', SPF_TOO_MANY_VOID_LOOKUPS: 'void lookups',
  SPF_INCLUDE_BROKEN: 'bad include', SPF_M365_INCLUDE_QUALIFIED: 'qualified', SPF_M365_NOT_PASS: 'M365 fails',
  SPF_ALL_NEUTRAL: '?all', SPF_PTR: 'ptr', SPF_LEGACY_SENDERID: 'spf2.0',
  DKIM_SELECTOR_MISSING: '1 selector', DKIM_NOT_CNAME: 'TXT record', DKIM_TARGET_INVALID: 'bad target', DKIM_TENANT_MISMATCH: 'wrong tenant',
  DKIM_KEY_INVALID: 'bad key', DKIM_KEY_REVOKED: 'revoked key', DKIM_KEY_WEAK: 'weak key', DKIM_KEY_INSECURE: 'insecure key',
  DMARC_MULTIPLE: 'multiple', DMARC_NO_RUA: 'no rua', DMARC_RUA_UNAUTHORIZED: 'rua not auth.',
  MX_MULTIPLE: 'multiple', MX_PRIORITY: 'priority', MX_HOST_UNRESOLVED: 'no address',
};

/** The Finding area of each ticket column. */
const FINDING_AREA: Readonly<Record<TicketArea, string>> = { mx: 'mx', spf: 'spf', dkim: 'dkim', dmarc: 'dmarc' };

/** summarizeArea trusts a section's shape; a saved run may not match it, and one odd section must not cost the ticket. */
export function safeSummary(r: DomainReport, area: SummaryArea): AreaSummary {
  try {
    return summarizeArea(r, area);
  } catch {
    return { status: 'unknown', text: 'unreadable section' };
  }
}

/** The word for the worst error, else warning, of an area (a code in CODE_WORDS), or null. */
function worstWord(findings: readonly Finding[], area: string, severity: 'error' | 'warning'): string | null {
  for (const f of findings) if (f.area === area && f.severity === severity && CODE_WORDS[f.code]) return CODE_WORDS[f.code] as string;
  return null;
}

/**
 * One cell of the ticket table: status words, not prose. `missing`,
 * `M365`, `gateway`, `ok`, `p=reject`, `1 selector`, `weak key` …; a failed
 * lookup is `unknown`.
 */
export function ticketCell(r: DomainReport, area: TicketArea): TicketCell {
  const s = safeSummary(r, area);
  const findings = Array.isArray(r.findings) ? r.findings : [];
  const cell = (word: string): TicketCell => ({ status: s.status, word: cut(word) });
  if (s.status === 'n/a') return { status: 'n/a', word: '—' };
  if (s.status === 'unknown') return cell('unknown');
  const bad = s.status === 'fail' ? worstWord(findings, FINDING_AREA[area], 'error') : s.status === 'warn' ? worstWord(findings, FINDING_AREA[area], 'warning') : null;
  switch (area) {
    case 'mx': {
      if (s.text.startsWith('M365')) return cell(bad ?? 'M365');
      if (s.text.startsWith('gateway')) return cell('gateway');
      if (s.text === 'retired endpoint') return cell('retired');
      return cell(s.text);
    }
    case 'spf':
      if (s.text === 'missing' || s.text === 'no M365 include' || s.text === 'multiple records') return cell(s.text.replace(' include', '').replace(' records', ''));
      return cell(bad ?? (s.status === 'pass' ? 'ok' : s.status));
    case 'dkim':
      if (s.text === 'missing') return cell('missing');
      if (s.text === 'CNAMEs, no key yet') return cell('no key');
      return cell(bad ?? (s.status === 'pass' ? 'ok' : s.status));
    case 'dmarc': {
      if (s.text === 'missing' || s.text === 'invalid') return cell(s.text);
      // The policy receivers apply (p=none is its own warning); t=y is said, the "applied as" words are left to the list.
      const policy = s.text.replace(/ \(applied as [^)]*\)$/, (m) => (m.includes('t=y') ? ' t=y' : ''));
      if (s.status === 'warn' && !/^[a-z]*=none/.test(policy)) return cell(worstWord(findings, 'dmarc', 'warning') ?? policy);
      return cell(policy);
    }
  }
}

/** At most MAX_WORD characters, with an ellipsis when cut. */
function cut(word: string): string {
  const chars = [...word];
  return chars.length <= MAX_WORD ? word : `${chars.slice(0, MAX_WORD - 1).join('')}…`;
}

/** The areas said per domain in one line (Autodiscover and the transport areas): label, status and words; absent sections are left out. */
export function otherAreas(r: DomainReport): { label: string; status: AreaSummary['status']; text: string }[] {
  const out: { label: string; status: AreaSummary['status']; text: string }[] = [];
  for (const area of OTHER_AREAS) {
    if (r[area] === null || r[area] === undefined) continue;
    const s = safeSummary(r, area);
    out.push({ label: AREA_LABELS[area], status: s.status, text: s.text });
  }
  return out;
}

/** One record (or the MTA-STS policy file) a domain's fixes ask to publish. */
export interface PublishRecord {
  type: 'MX' | 'TXT' | 'CNAME' | 'file';
  /** The owner name; for a file, its URL. */
  name: string;
  /** The value to publish exactly (a file: its lines joined with LF). */
  value: string;
  /** MX: the preference. */
  priority?: number;
  /** The findings whose fix asks for it. */
  codes: string[];
}

/** At most this many records per domain: a saved run may hold any number of findings. */
export const MAX_RECORDS = 20;

// A DNS name as the checks write it: labels of letters, digits, _ and -, dot-separated; a sentence's
// final dot is not part of it. Bounded as DNS bounds names (RFC 1035 2.3.4: 63 octets a label, 253 a
// name), and each repetition starts with a dot: a try from any position ends within a name's length,
// so a fix of any size (a saved run) is read in linear time.
const NAME = '[A-Za-z0-9_-]{1,63}(?:\\.[A-Za-z0-9_-]{1,63}){1,126}';
/** src/spf/check.ts and src/dmarc/check.ts: `Publish TXT "v=spf1 …" at contoso.com.`, `… at _dmarc.contoso.com, …`. */
const TXT_AT = new RegExp(`\\bTXT "([^"]*)" at (${NAME})`, 'g');
/** src/transport: `Publish _smtp._tls.contoso.com TXT "v=TLSRPTv1; …"`, `publish _mta-sts.contoso.com TXT "v=STSv1; id=…"`. */
const NAME_TXT = new RegExp(`\\b(${NAME}) TXT "([^"]*)"`, 'g');
/** src/m365/autodiscover.ts: `Publish autodiscover.contoso.com CNAME autodiscover.outlook.com.` */
const NAME_CNAME = new RegExp(`\\b(${NAME}) CNAME (${NAME})`, 'g');
/** src/dkim/check.ts: `Publish CNAME selector1._domainkey.contoso.com -> selector1-….onmicrosoft.com.` (not `-> the Selector1CNAME value`). */
const CNAME_ARROW = new RegExp(`\\bCNAME (${NAME}) -> (${NAME})`, 'g');
/** src/m365/mx.ts: `Publish MX 0 contoso-com.mail.protection.outlook.com (confirm …)`. */
const MX_PRIO = new RegExp(`\\bMX (\\d{1,5}) (${NAME})`, 'g');
/** A whole SPF record in quotes in a fix (`Publish TXT "v=spf1 …" at …`, `e.g. "v=spf1 … -all"`): read only when the section cannot be merged (a saved run without records). */
const SPF_QUOTED = /"(v=spf1(?: [^"]*)?)"/g;
/** The SPF findings a changed record answers: the record to publish is the merge (see spfProposal), not the fix's example. */
const SPF_RECORD_CODES = new Set(['SPF_MISSING', 'SPF_MULTIPLE', 'SPF_SYNTAX', 'SPF_NO_M365_INCLUDE', 'SPF_M365_INCLUDE_QUALIFIED', 'SPF_ALL_PASS', 'SPF_ALL_NEUTRAL']);
/** src/transport/mta-sts.ts: `Serve https://mta-sts.contoso.com/.well-known/mta-sts.txt as text/plain with "version: STSv1", "mode: testing", … and "max_age: 604800"`. */
const POLICY_FILE = /\bServe (https:\/\/[^\s"]+) as text\/plain with ((?:"[^"]*"(?:, | and ))*"[^"]*")/g;

/**
 * The records a domain's fixes ask to publish, in the order of its
 * findings, each once (SPF_ALL_PASS and SPF_NO_M365_INCLUDE ask for the same
 * record). Read from the fix sentences the checks write (the forms above);
 * a fix that names no concrete value (DKIM's "the Selector1CNAME value from
 * Get-DkimSigningConfig") gives none. A removal (Delete, Remove) is not a
 * record to publish.
 */
export function recordsToPublish(r: DomainReport): PublishRecord[] {
  const out: PublishRecord[] = [];
  const add = (rec: Omit<PublishRecord, 'codes'>, code: string): void => {
    const same = out.find((x) => x.type === rec.type && x.name === rec.name && x.value === rec.value && x.priority === rec.priority);
    if (same) {
      if (!same.codes.includes(code)) same.codes.push(code);
    } else if (out.length < MAX_RECORDS) out.push({ ...rec, codes: [code] });
  };
  const domain = typeof r.domain === 'string' ? r.domain : null;
  const spf = domain ? spfProposal(r) : null;
  for (const f of Array.isArray(r.findings) ? r.findings : []) {
    if (typeof f.fix !== 'string' || typeof f.code !== 'string') continue;
    const fix = f.fix;
    const spfRecord = domain !== null && SPF_RECORD_CODES.has(f.code);
    if (spfRecord && spf !== undefined) {
      // The live record merged with the include, as `plan` proposes it: the fix's "e.g." record would drop the other senders.
      if (spf !== null) add({ type: 'TXT', name: domain, value: spf }, f.code);
      continue;
    }
    const taken: string[] = [];
    for (const m of fix.matchAll(POLICY_FILE)) {
      const lines = [...(m[2] as string).matchAll(/"([^"]*)"/g)].map((x) => x[1] as string);
      add({ type: 'file', name: m[1] as string, value: lines.join('\n') }, f.code);
    }
    for (const m of fix.matchAll(TXT_AT)) {
      taken.push(m[1] as string);
      add({ type: 'TXT', name: m[2] as string, value: m[1] as string }, f.code);
    }
    for (const m of fix.matchAll(NAME_TXT)) {
      taken.push(m[2] as string);
      add({ type: 'TXT', name: m[1] as string, value: m[2] as string }, f.code);
    }
    for (const m of fix.matchAll(NAME_CNAME)) add({ type: 'CNAME', name: m[1] as string, value: m[2] as string }, f.code);
    for (const m of fix.matchAll(CNAME_ARROW)) add({ type: 'CNAME', name: m[1] as string, value: m[2] as string }, f.code);
    if (domain) {
      for (const m of fix.matchAll(MX_PRIO)) add({ type: 'MX', name: domain, value: m[2] as string, priority: Number(m[1]) }, f.code);
      if (spfRecord) for (const m of fix.matchAll(SPF_QUOTED)) if (!taken.includes(m[1] as string)) add({ type: 'TXT', name: domain, value: m[1] as string }, f.code);
    }
  }
  return out;
}

/**
 * The SPF record to publish: the live records merged with the cloud's
 * include by mergeSpfRecords (src/spf/merge.ts, what `plan` proposes);
 * null when the merge changes nothing; undefined when the report holds no
 * records to merge (a saved run of another shape): then the fix is read.
 */
function spfProposal(r: DomainReport): string | null | undefined {
  const section = r.spf as { records?: unknown } | null;
  const endpoints = Object.prototype.hasOwnProperty.call(CLOUD_ENDPOINTS, r.cloud) ? CLOUD_ENDPOINTS[r.cloud] : null;
  if (!section || !Array.isArray(section.records) || !section.records.every((x) => typeof x === 'string') || !endpoints) return undefined;
  const merged = mergeSpfRecords(section.records as string[], endpoints.spfInclude);
  return merged.changed ? merged.value : null;
}

/** `TXT at _dmarc.contoso.com`, `MX at contoso.com, preference 0`, `File at https://…`: what a record's block is, before its value. */
export function describeRecord(rec: PublishRecord): { what: string; name: string; after: string } {
  if (rec.type === 'file') return { what: 'Policy file (text/plain) at', name: rec.name, after: '' };
  return { what: `${rec.type} at`, name: rec.name, after: rec.type === 'MX' ? `, preference ${rec.priority ?? 0}` : '' };
}

/** A record's value as the lines to copy: one for a DNS record, the file's lines for a file. */
export function recordLines(rec: PublishRecord): string[] {
  return rec.type === 'file' ? rec.value.split('\n') : [rec.value];
}

/** Findings in a domain's list: errors first, then warnings, then info, each group in the audit's order. */
export function orderedFindings(r: DomainReport): Finding[] {
  const findings = Array.isArray(r.findings) ? r.findings : [];
  const rank = (f: Finding): number => (f.severity === 'error' ? 0 : f.severity === 'warning' ? 1 : 2);
  return findings.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map((x) => x.f);
}
