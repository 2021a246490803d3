/**
 * Renderers for `m365audit message`: the table (the diagnosis first, then
 * the verdicts, the route, the anti-spam stamps, the NDR and the fixes) and
 * the JSON document; the Markdown and HTML ones are beside this file. Pure:
 * report in, string out. Every header value is text a sender chose, so every
 * string from the message or DNS goes through safe-text.ts (cleanText for
 * the terminal, safeJson for JSON). No body text is in a report to render.
 */
import type { AuditedMessageReport } from '../audit/message.js';
import type { DkimSignatureVerdict } from '../message/dkim-verify.js';
import type { FixRecord, HeaderAnalysis, MessageRunOptions, RouteHop } from '../message/report.js';
import { TOOL_NAME, VERSION } from '../version.js';
import { paint } from './ansi.js';
import { renderFindingLines } from './probe.js';
import { renderTable as renderDomainTable } from './table.js';
import { cleanText, safeJson } from './safe-text.js';

/** The `schemaVersion` of `message --format json` (schema/message.schema.json). */
export const MESSAGE_SCHEMA_VERSION = 1;

/** The audit trail of a `message` run. */
export interface MessageRunInfo {
  startedAt: string;
  finishedAt: string;
  version: string;
  /** The DNS servers asked, as ADDR[:PORT]. */
  resolvers: string[];
  options: MessageRunOptions;
}

/** The `message --format json` document. */
export interface MessageJsonDocument {
  schemaVersion: 1;
  tool: { name: string; version: string };
  report: AuditedMessageReport;
  run: MessageRunInfo | null;
}

/** Options of the message renderers: colour (a terminal only) and the run's audit trail. */
export interface MessageRenderOptions {
  color?: boolean | undefined;
  run?: MessageRunInfo | null | undefined;
}

/** The run in one line of plain text (the caller escapes it). */
export function describeMessageRun(run: MessageRunInfo): string {
  const o = run.options;
  const parts = [
    `Analysed ${run.startedAt} to ${run.finishedAt}`, `m365audit ${run.version}`,
    run.resolvers.length === 0 ? 'no DNS server' : `${run.resolvers.length === 1 ? 'resolver' : 'resolvers'} ${run.resolvers.join(', ')}`,
    `input ${o.input === '-' ? 'standard input' : o.input}`,
    o.ip === null ? 'connecting IP from the headers' : `ip ${o.ip}`,
    o.audit ? 'From domain audited' : 'no domain audit',
    `DNS timeout ${o.timeoutMs} ms, ${o.retries} ${o.retries === 1 ? 'retry' : 'retries'}`,
  ];
  return `${parts.join('; ')}.`;
}

// ---------------------------------------------------------------- shared facts as text (unescaped)

/** One row of the verdict table: what the receiver recorded and what m365audit finds today. */
export interface VerdictRow {
  method: 'SPF' | 'DKIM' | 'DMARC' | 'compauth';
  recorded: string;
  now: string;
  /** Today's result differs from the recorded one (compareVerdicts). */
  differs: boolean;
}

function dkimNow(s: DkimSignatureVerdict): string {
  const key = s.key ? `${s.key.status}${s.key.bits ? ` ${s.key.bits}-bit` : ''} key` : 'no key lookup';
  return `${s.result} d=${s.domain} s=${s.selector} (body hash ${s.bodyHash}, ${key}${s.reason ? `; ${s.reason}` : ''})`;
}

/** The verdict rows of one header block (plain text; the renderer escapes it). */
export function verdictRows(a: HeaderAnalysis): VerdictRow[] {
  const r = a.recorded;
  const v = a.verdicts;
  const differs = (m: 'spf' | 'dkim' | 'dmarc'): boolean => a.differences.some((d) => d.method === m);
  const spfRec = r.spf ? `${r.spf.result}${r.spf.senderIp ? ` for ${r.spf.senderIp}` : ''}${r.spf.mailFrom ? ` (smtp.mailfrom=${r.spf.mailFrom})` : ''}` : '—';
  const spfNow = !v ? '—' : v.spf.status === 'evaluated' ? `${v.spf.result} for ${v.spf.ip} (${v.spf.domain})` : `not evaluated: ${v.spf.message}`;
  const dkimRec = r.dkim.length === 0 ? '—' : r.dkim.map((d) => `${d.result}${d.domain ? ` d=${d.domain}` : ''}${d.selector ? ` s=${d.selector}` : ''}`).join(', ');
  const dkimNowText = !v ? '—' : v.dkim === null ? 'not verified' : v.dkim.problem ? `not verified: ${v.dkim.problem.message}` : v.dkim.signatures.length === 0 ? 'none (not signed)' : v.dkim.signatures.map(dkimNow).join('; ');
  const dmarcRec = r.dmarc ? `${r.dmarc.result}${r.dmarc.action ? ` action=${r.dmarc.action}` : ''}${r.dmarc.headerFrom ? ` (header.from=${r.dmarc.headerFrom})` : ''}` : '—';
  let dmarcNow = '—';
  if (v) {
    const d = v.dmarc;
    const policy = d.appliedPolicy ? `${d.appliedPolicy.tag}=${d.appliedPolicy.policy}${d.appliedPolicy.effective !== d.appliedPolicy.policy ? ` (t=y: ${d.appliedPolicy.effective})` : ''}` : 'no policy';
    const aligned = `SPF ${d.spf.aligned ? 'aligned' : 'not aligned'}, DKIM ${d.dkimAligned ? 'aligned' : 'not aligned'}`;
    dmarcNow = `${d.result}${d.fromDomain ? ` for ${d.fromDomain}` : ''} (${policy}; ${aligned}${v.dmarcComplete ? '' : '; SPF not evaluated'})`;
  }
  const ca = r.compauth;
  const caRec = ca ? `${ca.result}${ca.reason ? ` reason=${ca.reason.code}${ca.reason.meaning ? ` (${ca.reason.meaning})` : ''}` : ''}` : '—';
  return [
    { method: 'SPF', recorded: spfRec, now: spfNow, differs: differs('spf') },
    { method: 'DKIM', recorded: dkimRec, now: dkimNowText, differs: differs('dkim') },
    { method: 'DMARC', recorded: dmarcRec, now: dmarcNow, differs: differs('dmarc') },
    { method: 'compauth', recorded: caRec, now: '— (Microsoft\'s own verdict)', differs: false },
  ];
}

/** A hop in one line: from, by, protocol, TLS, delay (plain text). */
export function hopText(h: RouteHop): string {
  const literal = h.fromIp !== null && h.fromHost !== null && h.fromHost.replace(/^\[(?:ipv6:)?|\]$/gi, '').toLowerCase() === h.fromIp.toLowerCase();
  const from = [h.fromHost, h.fromReverse && h.fromReverse !== h.fromHost ? `(${h.fromReverse})` : null, h.fromIp && !literal ? `[${h.fromIp}]` : null].filter((x) => x !== null).join(' ') || '?';
  const tls = h.tls ? `${h.tls.version ?? 'TLS'}${h.tls.cipher ? ` ${h.tls.cipher}` : ''}` : h.encrypted === true ? 'TLS' : h.encrypted === false ? 'no TLS' : 'TLS not recorded';
  const delay = h.delaySeconds === null ? '' : `, ${h.delaySeconds >= 0 ? '+' : ''}${h.delaySeconds} s${h.clockSkew ? ' (clock behind)' : ''}`;
  return `${from} → ${h.byHost ?? '?'}${h.protocol ? ` with ${h.protocol}` : ''}; ${tls}${delay}${h.byMicrosoft ? '; Microsoft' : ''}`;
}

/** The anti-spam stamps as `label: value (meaning)` lines (plain text). */
export function antispamLines(a: HeaderAnalysis): string[] {
  const as = a.recorded.antispam;
  const out: string[] = [];
  if (as.scl !== null) out.push(`SCL ${as.scl}${as.sclMeaning ? `: ${as.sclMeaning}` : ''}`);
  if (as.bcl !== null) out.push(`BCL ${as.bcl}${as.bclMeaning ? `: ${as.bclMeaning}` : ''} (bulk threshold ${as.bulkThreshold})`);
  if (as.junkFolder !== null) out.push(`Mailbox delivery: ${as.junkFolder ? 'Junk Email folder' : 'Inbox'}`);
  for (const f of as.forefront?.fields ?? []) {
    if (f.value === '' || f.name.toUpperCase() === 'SCL') continue;
    out.push(`${f.name}:${f.value}${f.label ? ` (${f.label}${f.meaning ? `: ${f.meaning}` : ''})` : ''}`);
  }
  for (const s of as.stamps) out.push(`${s.field}: ${s.value} (${s.label}${s.meaning ? `: ${s.meaning}` : ''})`);
  return out;
}

/** A record as a zone-file line (`name. TXT "…"`), for copying (plain text; the renderer escapes it). */
export function fixLine(r: FixRecord): string {
  const value = r.type === 'TXT' ? `"${r.value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `${r.value}.`;
  return `${r.name}. 3600 IN ${r.type} ${value}`;
}

/** The message's subject and sender in one line (plain text). */
export function describeMessage(r: AuditedMessageReport): string {
  const s = r.ndr?.returned?.headers.summary ?? r.message.summary;
  const what = r.kind === 'ndr' ? 'NDR' : r.input.headersOnly ? 'Headers' : 'Message';
  return `${what}${s.subject ? ` "${s.subject}"` : ''}${s.from ? ` from ${s.from}` : ''}`;
}

// ---------------------------------------------------------------- table

/** The diagnosis first, then the verdicts, route, anti-spam stamps, NDR recipients, fixes, findings, notes and the run. */
export function renderMessageTable(r: AuditedMessageReport, options: MessageRenderOptions = {}): string {
  const { color } = options;
  const lines = [paint(color, 'bold', cleanText(describeMessage(r))), ''];
  lines.push(paint(color, 'bold', 'Diagnosis'));
  for (const s of r.diagnosis.sentences) lines.push(`  ${cleanText(s)}`);
  const codes = [...new Set(r.diagnosis.causes.map((c) => c.code))];
  lines.push(`  outcome ${r.diagnosis.outcome}${r.diagnosis.outcomeEvidence ? ` (${cleanText(r.diagnosis.outcomeEvidence)})` : ''}; cause ${r.diagnosis.primary ?? 'none'}${codes.length > 1 ? `; also ${codes.filter((c) => c !== r.diagnosis.primary).join(', ')}` : ''}`);
  if (r.ndr) {
    lines.push('', paint(color, 'bold', `Failed recipients (${r.ndr.recipientsTotal})`));
    for (const rc of r.ndr.recipients) {
      lines.push(`  ${cleanText(rc.recipient ?? '?')}: ${cleanText(rc.action ?? 'no action')} ${cleanText(rc.statusCode ?? rc.status ?? '')}${rc.explanation ? ` — ${cleanText(rc.explanation.title)}` : ''}`);
      if (rc.diagnosticCode) lines.push(`    diagnostic: ${cleanText(rc.diagnosticCode)}`);
      if (rc.remoteMta) lines.push(`    remote MTA: ${cleanText(rc.remoteMta)}`);
      if (rc.explanation?.cause) lines.push(`    cause: ${cleanText(rc.explanation.cause)}`);
    }
    lines.push(`  reported by ${cleanText(r.ndr.reportingMta ?? r.ndr.generatingServer ?? 'an unnamed server')} (${r.ndr.source})`);
  }
  lines.push(...sectionLines('Message', r.message, color, r.kind === 'ndr'));
  if (r.ndr?.returned) lines.push(...sectionLines(`Returned message (${r.ndr.returned.from})`, r.ndr.returned.headers, color, false));
  if (r.fixes.length > 0) {
    lines.push('', paint(color, 'bold', 'Records to publish'));
    for (const f of r.fixes) lines.push(`  ${cleanText(fixLine(f))}`, `    ${f.action} (${f.code}): ${cleanText(f.note)}`);
  }
  lines.push('', r.findings.length === 0 ? 'Findings: none' : paint(color, 'bold', 'Findings'), ...renderFindingLines(r.findings, color));
  if (r.notes.length > 0) lines.push('', 'Notes', ...r.notes.map((n) => `  · ${cleanText(n)}`));
  if (r.audit) lines.push('', paint(color, 'bold', `Domain audit of ${cleanText(r.auditedDomain ?? '')}`), renderDomainTable([r.audit], { color: color ?? false }).trimEnd());
  if (options.run) lines.push('', cleanText(describeMessageRun(options.run)));
  return `${lines.join('\n')}\n`;
}

function sectionLines(title: string, a: HeaderAnalysis, color: boolean | undefined, noticeOnly: boolean): string[] {
  const out = ['', paint(color, 'bold', title)];
  const s = a.summary;
  const field = (label: string, value: string | null): void => {
    if (value !== null) out.push(`  ${label.padEnd(12)}${cleanText(value)}`);
  };
  field('From', s.from);
  field('Return-Path', s.returnPath);
  field('To', s.to);
  field('Subject', s.subject);
  field('Date', s.date);
  field('Message-ID', s.messageId);
  if (s.duplicated.length > 0) field('Repeated', s.duplicated.join(', '));
  if (!noticeOnly) {
    const ip = a.connectingIp;
    field('Connecting', ip.ip === null ? 'unknown' : `${ip.ip} (${ip.source === 'option' ? '--ip' : (ip.field ?? '')})`);
    out.push('', '  Verdicts     recorded by the receiver | m365audit, today\'s DNS');
    for (const row of verdictRows(a)) out.push(`  ${row.method.padEnd(12)}${cleanText(row.recorded)} | ${cleanText(row.now)}${row.differs ? paint(color, 'yellow', '  (differs)') : ''}`);
  }
  if (a.route.hops.length > 0) {
    out.push('', `  Route (oldest first${a.route.totalSeconds !== null ? `, ${a.route.totalSeconds} s in all` : ''})`);
    for (const h of a.route.hops) out.push(`  ${String(h.index + 1).padStart(2)}. ${cleanText(hopText(h))}`);
  }
  const as = antispamLines(a);
  if (as.length > 0) out.push('', '  Anti-spam', ...as.map((l) => `    ${cleanText(l)}`));
  const ars = a.recorded.authenticationResults;
  if (ars.length > 0) {
    out.push('', '  Authentication-Results');
    for (const ar of ars) {
      out.push(`    ${cleanText(ar.authservId ?? '(no authserv-id: Microsoft 365)')}${ar.microsoft ? '' : ' (another receiver)'}`);
      for (const x of ar.results) out.push(`      ${cleanText(`${x.method}=${x.result}${x.reason ? ` reason=${x.reason}` : ''}${x.action ? ` action=${x.action}` : ''}`)}${x.meaning || x.compauthReason?.meaning || x.actionMeaning ? `: ${cleanText([x.meaning, x.compauthReason?.meaning, x.actionMeaning].filter((m) => m).join('; '))}` : ''}`);
    }
  }
  const arc = a.recorded.arc;
  if (arc.seals.length > 0 || arc.authenticationResults.length > 0) {
    out.push('', '  ARC (as recorded, not verified)');
    for (const seal of arc.seals) out.push(`    i=${seal.instance ?? '?'} cv=${cleanText(seal.cv ?? '?')} d=${cleanText(seal.domain ?? '?')} s=${cleanText(seal.selector ?? '?')}`);
    for (const ar of arc.authenticationResults) out.push(`    i=${ar.instance ?? '?'} ${cleanText(ar.authservId ?? '')}: ${cleanText(ar.results.map((x) => `${x.method}=${x.result}`).join('; '))}`);
  }
  return out;
}

// ---------------------------------------------------------------- JSON

/** The JSON document: schemaVersion, tool, the report and the run (schema/message.schema.json). */
export function renderMessageJson(r: AuditedMessageReport, run: MessageRunInfo | null = null): string {
  const doc: MessageJsonDocument = { schemaVersion: MESSAGE_SCHEMA_VERSION, tool: { name: TOOL_NAME, version: VERSION }, report: r, run };
  return `${safeJson(doc, 2)}\n`;
}
