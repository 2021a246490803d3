/**
 * `m365audit message`'s analysis: one pass over the input (the bounded
 * reader, its tee feeding the DKIM verifier, so an attachment-laden 50 MB
 * message is read once in bounded memory), then the parse, then today's
 * DNS: SPF check_host() for the connecting IP (the first hop Microsoft
 * recorded, Microsoft's CIP when the headers disagree, or `--ip`) and the
 * reverse path (Return-Path, else `smtp.mailfrom`), the DKIM keys, DMARC
 * policy and alignment; the receiver's recorded results beside ours; for an
 * NDR, each failed recipient explained with the shared NDR catalog and the
 * returned original analysed like a message. Then the findings, the
 * diagnosis and the fixes.
 *
 * The body is never kept beyond the reader's bounded prefix (which the DSN
 * parser reads), never printed and never stored: the report holds header
 * facts, sizes and verdicts. DNS is asked only for the names the message
 * names (its DKIM keys, its domains' SPF and DMARC records). Never throws for
 * anything the input or DNS can hold.
 */
import type { LookupContext } from '../dns/context.js';
import type { DnsClient } from '../dns/types.js';
import { mergeTempfails } from '../findings/status.js';
import type { Finding } from '../findings/catalog.js';
import { CLOUD_ENDPOINTS, type Cloud } from '../m365/clouds.js';
import { explainDeliveryStatus } from '../smtp/codes.js';
import { findM365Include, lookupSpfTree } from '../spf/analyze.js';
import { isSpfRecord } from '../spf/parse.js';
import { capFindings, capList, capText } from '../util/caps.js';
import { lookupDmarcAlignment } from './align.js';
import { compareVerdicts } from './compare.js';
import { diagnose } from './diagnosis.js';
import { startDkimVerification, verifyDkim, type DkimVerification } from './dkim-verify.js';
import { chooseConnectingIp, cloudOfRoute, fromAddressesForDmarc, identityOf, recordedVerdictsOf, routeOf, summarizeHeaders, type HeaderFacts } from './facts.js';
import { judgeHeaders, judgeNdr, type Judgement } from './judge.js';
import { parseMessage, parseMessageHeaders } from './parse.js';
import { readMessage } from './reader.js';
import { isMicrosoftHost } from './received.js';
import type {
  ConnectingIpChoice, FixRecord, HeaderAnalysis, MessageInput, MessageReport, MessageSpfNoIp, MessageVerdicts, NdrRecipient, NdrReport, RecordedVerdicts,
} from './report.js';
import { lookupMessageSpf, type MessageSpf } from './spf-check.js';
import type { DeliveryReport, NotAMessage, ParsedHeaders, ReadMessage } from './types.js';

/** Options of analyzeMessage. */
export interface AnalyzeMessageOptions {
  /** The connecting IP to check SPF for (`--ip`), instead of the one the headers record; for an NDR, the returned message's. */
  ip?: string | null | undefined;
  /** Most DKIM signatures verified (default 10). */
  maxSignatures?: number | undefined;
}

/** An input that is not a message: why, in one sentence (the CLI prints it and exits 2), and what was read. */
export interface NotAMessageResult {
  kind: 'not-message';
  notMessage: NotAMessage;
  input: MessageInput;
}

/** What analyzeMessage gives: a report, or why the input is not a message. */
export type MessageAnalysis = { kind: 'report'; report: MessageReport } | NotAMessageResult;

/**
 * Bytes of input between two turns of the event loop while the message
 * streams through the DKIM verifier. A source whose chunks come without I/O
 * (a generator, a buffered pipe) and a verifier that takes them in
 * microtasks never let the loop reach its poll phase: the key lookups sent
 * when the header ended got no answer read until the 50 MB were hashed, and
 * timed out (temperror) on a loaded machine. One setImmediate a MiB lets the
 * answers in; it costs about 50 turns for 50 MB.
 */
const YIELD_BYTES = 1024 * 1024;

/** Most NDR recipients explained one by one (the parser keeps 1000; a report lists the rest as a count). */
const MAX_NDR_RECIPIENTS = 100;

/** Counts the queries one analysis asks (the report's timing.queries). */
function countingClient(dns: DnsClient): { dns: DnsClient; count: () => number } {
  let n = 0;
  return {
    dns: {
      resolve: (name, type) => {
        n++;
        return dns.resolve(name, type);
      },
      stats: () => dns.stats(),
      ...(dns.servers ? { servers: () => dns.servers?.() ?? [] } : {}),
    },
    count: () => n,
  };
}

function inputOf(read: ReadMessage, headers: ParsedHeaders): MessageInput {
  return {
    bytes: read.totalBytes, headerBytes: read.headerBytes, bodyBytes: read.bodyBytes, headersOnly: read.headersOnly,
    headerTruncated: read.headerTruncated, lineEnding: read.lineEnding, fields: headers.fieldsTotal, malformedLines: headers.malformedTotal,
  };
}

/**
 * The header analysis without verdicts: the facts the headers hold.
 * `fromHeaders`: whether the connecting IP may come from the headers (not for
 * an NDR's returned message, whose Received fields are the sender's own
 * hops: the address the rejecting server saw is in none of them).
 */
function headerFactsOf(facts: HeaderFacts, ip: string | null, fromHeaders = true): { analysis: HeaderAnalysis; recorded: RecordedVerdicts; connecting: ConnectingIpChoice } {
  const recorded = recordedVerdictsOf(facts);
  const chosen = chooseConnectingIp(facts, ip);
  const connecting = fromHeaders || ip !== null ? chosen : { ...chosen, ip: null, source: null, field: null };
  return {
    analysis: { summary: summarizeHeaders(facts), route: routeOf(facts), connectingIp: connecting, recorded, verdicts: null, differences: [] },
    recorded,
    connecting,
  };
}

/**
 * Today's verdicts for one header block: SPF for the connecting IP and the
 * reverse path, the DKIM verdicts given (verified while the input was read),
 * DMARC alignment and policy; and where they differ from the recorded ones.
 */
async function lookupVerdicts(ctx: LookupContext, facts: HeaderFacts, base: ReturnType<typeof headerFactsOf>, dkim: DkimVerification | null, dkimNote: string | null, noIp: string): Promise<HeaderAnalysis> {
  const { recorded, connecting } = base;
  const identity = identityOf(facts, recorded);
  let spf: MessageSpf | MessageSpfNoIp;
  if (connecting.ip === null) spf = { status: 'not-evaluated', problem: 'no-ip', message: noIp };
  else if (identity.mailFrom === null) spf = { status: 'not-evaluated', problem: 'no-identity', message: 'no Return-Path or smtp.mailfrom names the reverse path (MAIL FROM), so there is no domain to check' };
  else spf = await lookupMessageSpf(ctx, { ip: connecting.ip, mailFrom: identity.mailFrom, helo: identity.helo });
  const evaluated = spf.status === 'evaluated' ? spf : null;
  const dmarc = await lookupDmarcAlignment(ctx, {
    from: fromAddressesForDmarc(facts),
    spf: evaluated ? { domain: evaluated.domain, result: evaluated.result } : null,
    dkim: (dkim?.signatures ?? []).map((s) => ({ domain: s.domain, result: s.result })),
  });
  // DMARC is decided only from results that are known: SPF evaluated, the signatures verified, no lookup failed (a temperror decides nothing).
  const known = evaluated !== null && evaluated.result !== 'temperror' && dkim !== null && dkim.problem === null && dkim.signatures.every((s) => s.result !== 'temperror');
  const verdicts: MessageVerdicts = { identity, spf, dkim, dkimNote, dmarc, dmarcComplete: known };
  const differences = compareVerdicts(
    {
      spf: recorded.spf?.result,
      dkim: recorded.dkim.map((d) => ({ result: d.result, domain: d.domain ?? undefined, selector: d.selector ?? undefined })),
      dmarc: recorded.dmarc?.result,
    },
    {
      spf: evaluated ? { result: evaluated.result } : null,
      dkim: dkim?.signatures,
      // A From DMARC cannot evaluate (permerror) says nothing of DNS: not compared.
      dmarc: verdicts.dmarcComplete && dmarc.fromProblem === null ? { result: dmarc.result } : null,
    },
  );
  return { ...base.analysis, verdicts, differences };
}

/** The header block as text again (each field `Name:raw`, folds kept, CRLF), for verifying its signatures without a body. */
function headerText(headers: ParsedHeaders): string {
  return headers.fields.map((f) => `${f.name}:${f.raw.replace(/\n/g, '\r\n')}`).join('\r\n');
}

function ndrRecipients(report: DeliveryReport): NdrRecipient[] {
  const reportingMta = report.reportingMta?.value ?? report.generatingServer;
  return capList(report.recipients, MAX_NDR_RECIPIENTS).map((r) => {
    const code = r.statusCode ?? r.status;
    const e = code === null && r.diagnosticCode === null ? null : explainDeliveryStatus(code ?? '', r.diagnosticCode?.value ?? null, { remoteMta: r.remoteMta?.value ?? null, reportingMta });
    return {
      recipient: r.recipient === null ? null : capText(r.recipient, 320),
      action: r.action,
      status: r.status,
      statusCode: r.statusCode,
      replyCode: r.replyCode,
      diagnosticCode: r.diagnosticCode === null ? null : capText(r.diagnosticCode.value, 1000),
      remoteMta: r.remoteMta === null ? null : capText(r.remoteMta.value, 256),
      explanation: e ? { id: e.id, title: e.title, meaning: e.meaning, cause: e.cause, fix: e.fix, microsoft: e.microsoft } : null,
    };
  });
}

/** The original sender's SPF, for an NDR that says SPF failed (5.7.23): its record and whether it reaches Microsoft's include. */
async function lookupSenderSpf(ctx: LookupContext, domain: string, cloud: Cloud): Promise<{ domain: string; record: string | null; records: number; m365Include: boolean | null }> {
  const txt = await ctx.dns.resolve(domain, 'TXT');
  if (txt.kind === 'tempfail') return { domain, record: null, records: 0, m365Include: null };
  const records = txt.kind === 'records' ? txt.records.filter(isSpfRecord) : [];
  const record = records[0] ?? null;
  if (records.length !== 1 || record === null) return { domain, record: record === null ? null : capText(record), records: records.length, m365Include: records.length === 0 ? false : null };
  const tree = await lookupSpfTree(ctx, domain, record);
  return { domain, record: capText(record), records: 1, m365Include: findM365Include(tree.tree, CLOUD_ENDPOINTS[cloud].spfInclude) !== null };
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/** Records once each (the same record can fix two findings). */
function uniqueRecords(judgements: readonly Judgement[]): FixRecord[] {
  const seen = new Set<string>();
  const out: FixRecord[] = [];
  for (const r of judgements.flatMap((j) => j.records)) {
    const key = `${r.name.toLowerCase()} ${r.type} ${r.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}

function notesOf(input: MessageInput, message: HeaderAnalysis, ndr: NdrReport | null, dkimNote: string | null): string[] {
  const notes: string[] = [];
  if (input.headersOnly) notes.push('Headers pasted alone (no body): DKIM header signatures and keys are verified, body hashes are not.');
  if (input.headerTruncated) notes.push('The header block is longer than 1 MiB: only its first fields were analysed.');
  if (input.malformedLines > 0) notes.push(`${input.malformedLines} line(s) of the header block are not header fields and were skipped.`);
  if (!message.connectingIp.agree && message.connectingIp.source !== 'option') {
    notes.push(`The headers name different connecting IPs (${message.connectingIp.candidates.map((c) => `${c.ip} in ${c.field}`).join(', ')}); SPF was checked for ${message.connectingIp.ip ?? 'none'} (Microsoft's CIP when present: the address the receiving tenant saw).`);
  }
  if (message.recorded.arc.seals.length > 0) notes.push('ARC seals are listed as recorded; m365audit does not verify them.');
  if (message.route.clockSkew) notes.push('A hop\'s clock is behind the one before it: the delays between those hops are not real.');
  if (dkimNote) notes.push(dkimNote);
  if (ndr && ndr.recipientsTotal > ndr.recipients.length) notes.push(`The report lists ${ndr.recipientsTotal} recipients; the first ${ndr.recipients.length} are explained.`);
  return notes;
}

/**
 * Reads a message or NDR from `source` (chunks, as a file or stdin stream
 * gives them) in one bounded pass, verifies it against today's DNS through
 * `ctx.dns`, and returns its report; or, when the input is not a message
 * (empty, binary, no header fields), why, in one sentence. Never throws for
 * anything the input or DNS holds (an error of the source itself passes
 * through).
 */
export async function analyzeMessage(ctx: LookupContext, source: AsyncIterable<Uint8Array>, options: AnalyzeMessageOptions = {}): Promise<MessageAnalysis> {
  const started = Date.now();
  const now = ctx.clock?.() ?? new Date();
  const counted = countingClient(ctx.dns);
  const lctx: LookupContext = { dns: counted.dns, clock: ctx.clock };
  const stream = startDkimVerification(lctx, { maxSignatures: options.maxSignatures });
  let read: ReadMessage;
  let sinceYield = 0;
  const tee = async (chunk: Uint8Array): Promise<void> => {
    sinceYield += chunk.length;
    if (sinceYield >= YIELD_BYTES) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await stream.write(chunk);
  };
  try {
    read = await readMessage(source, { tee });
  } finally {
    // The verifier ends also when the source fails: its key lookups settle, nothing is left waiting (end() never rejects).
    void stream.end();
  }
  const verified = stream.end();
  const parsed = await parseMessage(read);
  const input = inputOf(read, parsed.headers);
  if (parsed.notMessage) {
    await verified;
    return { kind: 'not-message', notMessage: parsed.notMessage, input };
  }
  const ip = options.ip ?? null;
  const judgements: Judgement[] = [];
  let message: HeaderAnalysis;
  let ndr: NdrReport | null = null;
  let dkimNote: string | null = null;
  let cloud: Cloud;

  if (parsed.report === null) {
    const base = headerFactsOf(parsed, ip);
    const dkim = await verified;
    message = await lookupVerdicts(lctx, parsed, base, dkim, null, 'no header records the connecting IP (no Microsoft Received hop, CIP or sender IP); give --ip to check SPF for one');
    cloud = cloudOfRoute(message.route);
    judgements.push(...judgeHeaders(message, 'message', cloud, now));
  } else {
    // The report's own headers are Microsoft's (or the remote server's) notice: shown, not verified.
    await verified;
    message = headerFactsOf(parsed, null).analysis;
    const report = parsed.report;
    let returned: NdrReport['returned'] = null;
    if (report.returnedHeaders && report.returnedFrom) {
      const facts = parseMessageHeaders(report.returnedHeaders);
      const base = headerFactsOf(facts, ip, false);
      // The returned headers are checked as a header-only paste when they came in a MIME part of their own (as sent);
      // Microsoft's NDR text (`Original message headers:`) may be re-wrapped, where a failure would mean nothing.
      const checkable = report.returnedFrom !== 'ndr-text';
      dkimNote = checkable
        ? 'The returned message\'s DKIM signatures are verified on its headers only (the NDR returns no body, or only part of it): header signatures and keys, not body hashes.'
        : 'The returned message\'s DKIM signatures are not verified: its headers come from the NDR\'s text, where they may be re-wrapped.';
      const dkim = checkable ? await verifyDkim(lctx, headerText(report.returnedHeaders), { maxSignatures: options.maxSignatures }) : null;
      const headers = await lookupVerdicts(lctx, facts, base, dkim, dkimNote, 'an NDR does not record the address the receiving server saw; give --ip to check SPF for one');
      returned = { from: report.returnedFrom, headers };
    }
    const recipients = ndrRecipients(report);
    ndr = {
      source: report.source, reportingMta: report.reportingMta?.value ?? null, generatingServer: report.generatingServer, arrivalDate: report.arrivalDate,
      recipients, recipientsTotal: report.recipientsTotal, returned,
    };
    cloud = cloudOfRoute(returned?.headers.route.hops.length ? returned.headers.route : message.route);
    // An SPF rejection (5.7.23) of mail Microsoft 365 sent: the original sender's SPF must list Microsoft's include.
    const sentByMicrosoft = isMicrosoftHost(ndr.reportingMta) || isMicrosoftHost(ndr.generatingServer) || (returned?.headers.route.hops.some((h) => h.byMicrosoft) ?? false);
    const spfRejected = sentByMicrosoft && recipients.some((r) => r.explanation?.id === '5.7.23');
    const senderDomain = returned ? (returned.headers.verdicts?.spf.status === 'evaluated' ? returned.headers.verdicts.spf.domain : returned.headers.summary.fromDomain) : null;
    const senderSpf = spfRejected && senderDomain ? await lookupSenderSpf(lctx, senderDomain, cloud) : null;
    judgements.push(...judgeNdr(ndr, cloud, senderSpf));
    if (returned) judgements.push(...judgeHeaders(returned.headers, 'returned', cloud, now));
  }

  const findings: Finding[] = mergeTempfails(capFindings(judgements.map((j) => j.finding)))
    .map((f, i) => ({ f, i }))
    .sort((x, y) => SEVERITY_ORDER[x.f.severity] - SEVERITY_ORDER[y.f.severity] || x.i - y.i)
    .map(({ f }) => f);
  const report: MessageReport = {
    kind: ndr ? 'ndr' : 'message',
    analysedAt: now.toISOString(),
    cloud,
    input,
    diagnosis: diagnose(message, ndr, judgements),
    findings,
    fixes: uniqueRecords(judgements),
    message,
    ndr,
    notes: notesOf(input, message, ndr, dkimNote),
    timing: { ms: Date.now() - started, queries: counted.count() },
  };
  return { kind: 'report', report };
}
