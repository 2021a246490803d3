/**
 * The diagnosis that comes first in every format: where the message ended
 * up (from the recorded headers, or the NDR), the causes in the order they
 * lead to each other (SPF, DKIM, DMARC, compauth; phishing, bulk and spam),
 * the one that decided it, and one to three sentences built from the typed
 * causes, e.g. "Junked: SPF fail for 203.0.113.7 (contoso.com's SPF does not
 * list it); DKIM was not signed with d=contoso.com; DMARC p=quarantine
 * applied (compauth=fail reason=000). Fix: …". Pure.
 */
import type { FindingCode } from '../findings/catalog.js';
import { capText } from '../util/caps.js';
import { bulkVerdict, type Judgement } from './judge.js';
import type { Diagnosis, DiagnosisCause, HeaderAnalysis, MessageOutcome, NdrReport } from './report.js';

/** The words each outcome starts the diagnosis with. */
export const OUTCOME_WORDS: Readonly<Record<MessageOutcome, string>> = {
  delivered: 'Delivered',
  junked: 'Junked',
  quarantined: 'Quarantined',
  rejected: 'Rejected',
  bounced: 'Bounced',
  delayed: 'Delayed',
  unknown: 'No verdict recorded',
};

/** Causes in the order of the first sentence: the NDR, then how authentication failed step by step, then Microsoft's content verdicts, then what changed since. */
const SENTENCE_ORDER: readonly FindingCode[] = [
  'NDR_FAILED_RECIPIENT', 'NDR_DELAYED_RECIPIENT', 'MESSAGE_PHISH', 'MESSAGE_SPF_FAIL', 'MESSAGE_DKIM_INVALID', 'MESSAGE_DKIM_NOT_ALIGNED',
  'MESSAGE_DMARC_FAIL', 'MESSAGE_COMPAUTH_FAIL', 'MESSAGE_FROM_PROBLEM', 'MESSAGE_BULK', 'MESSAGE_SPAM', 'DKIM_KEY_WEAK', 'MESSAGE_DNS_CHANGED', 'MESSAGE_RESULT_DIFFERS',
];

/**
 * Which cause decided the outcome, most decisive first: the NDR; Microsoft's
 * phishing or bulk verdict; then the first authentication step that failed
 * (SPF, a DKIM signature), DMARC when those passed but did not align,
 * compauth when DMARC had no say; spam last (it follows from the rest).
 */
const PRIMARY_ORDER: readonly FindingCode[] = [
  'NDR_FAILED_RECIPIENT', 'NDR_DELAYED_RECIPIENT', 'MESSAGE_PHISH', 'MESSAGE_SPF_FAIL', 'MESSAGE_DKIM_INVALID', 'MESSAGE_DMARC_FAIL', 'MESSAGE_COMPAUTH_FAIL',
  'MESSAGE_DKIM_NOT_ALIGNED', 'MESSAGE_SPAM', 'MESSAGE_BULK',
];

/** Most sentence characters kept (a clause names recipients and domains from the message). */
const MAX_SENTENCE = 1200;

const junkSfv = new Set(['SPM', 'SKS', 'SKB', 'BLK']);
const cleanSfv = new Set(['NSPM', 'SKN', 'SKA', 'SFE', 'SKQ', 'SKI']);
const quarantineCat = new Set(['HPHSH', 'HPHISH', 'MALW']);

/** Where the message ended up, and the header that shows it. */
export function outcomeOf(a: HeaderAnalysis, ndr: NdrReport | null): { outcome: MessageOutcome; evidence: string | null } {
  if (ndr) {
    const failed = ndr.recipients.find((r) => r.action === 'failed' || (r.action === null && (r.statusCode ?? r.status ?? '').startsWith('5')));
    if (failed) return { outcome: 'bounced', evidence: `Status: ${failed.statusCode ?? failed.status ?? 'failed'}` };
    const delayed = ndr.recipients.find((r) => r.action === 'delayed');
    if (delayed) return { outcome: 'delayed', evidence: `Action: delayed${delayed.statusCode ? `; Status: ${delayed.statusCode}` : ''}` };
    return { outcome: 'unknown', evidence: null };
  }
  const as = a.recorded.antispam;
  const ff = as.forefront;
  const delivery = as.mailboxDelivery ?? [];
  if (as.junkFolder === true) {
    const f = delivery.find((x) => x.name.toLowerCase() === 'dest' && x.value.toUpperCase() === 'J') ?? delivery.find((x) => x.name.toUpperCase() === 'RF');
    return { outcome: 'junked', evidence: `X-Microsoft-Antispam-Mailbox-Delivery: ${f ? `${f.name}:${f.value}` : 'dest:J'}` };
  }
  const action = a.recorded.dmarc?.action?.toLowerCase() ?? null;
  if (action === 'quarantine') return { outcome: 'quarantined', evidence: 'Authentication-Results: dmarc=fail action=quarantine' };
  if (action === 'reject') return { outcome: 'rejected', evidence: 'Authentication-Results: dmarc=fail action=reject' };
  const cat = ff?.cat?.toUpperCase() ?? null;
  if (cat !== null && quarantineCat.has(cat)) return { outcome: 'quarantined', evidence: `X-Forefront-Antispam-Report: CAT:${cat}` };
  const sfv = ff?.sfv?.toUpperCase() ?? null;
  if (sfv !== null && junkSfv.has(sfv)) return { outcome: 'junked', evidence: `X-Forefront-Antispam-Report: SFV:${sfv}` };
  if (as.scl !== null && as.scl >= 5) return { outcome: 'junked', evidence: `SCL ${as.scl}` };
  if (action === 'oreject') return { outcome: 'junked', evidence: 'Authentication-Results: dmarc=fail action=oreject' };
  if (cat === 'PHSH') return { outcome: 'junked', evidence: 'X-Forefront-Antispam-Report: CAT:PHSH' };
  if (as.junkFolder === false) return { outcome: 'delivered', evidence: 'X-Microsoft-Antispam-Mailbox-Delivery: dest:I' };
  if (sfv !== null && cleanSfv.has(sfv)) return { outcome: 'delivered', evidence: `X-Forefront-Antispam-Report: SFV:${sfv}` };
  if (as.scl !== null && as.scl <= 1) return { outcome: 'delivered', evidence: `SCL ${as.scl}` };
  return { outcome: 'unknown', evidence: null };
}

const rank = (order: readonly FindingCode[], j: Judgement): number => {
  const i = order.indexOf(j.finding.code);
  return i < 0 ? order.length : i;
};

/** "SPF, DKIM and DMARC pass for contoso.com (compauth=pass reason=100)", from what passed; null when nothing is known to pass. */
function passingClause(a: HeaderAnalysis): string | null {
  const v = a.verdicts;
  const passed: string[] = [];
  if (v?.spf.status === 'evaluated' ? v.spf.result === 'pass' : a.recorded.spf?.result === 'pass') passed.push('SPF');
  if (v?.dkim ? v.dkim.signatures.some((s) => s.result === 'pass') : a.recorded.dkim.some((d) => d.result === 'pass')) passed.push('DKIM');
  if (v?.dmarcComplete ? v.dmarc.result === 'pass' : a.recorded.dmarc?.result === 'pass') passed.push('DMARC');
  if (passed.length === 0) return null;
  const list = passed.length === 1 ? passed[0] : `${passed.slice(0, -1).join(', ')} and ${passed[passed.length - 1]}`;
  const domain = v?.dmarc.fromDomain ?? a.summary.fromDomain;
  const ca = a.recorded.compauth;
  return `${list} pass${passed.length === 1 ? 'es' : ''}${domain ? ` for ${domain}` : ''}${ca ? ` (compauth=${ca.result}${ca.reason ? ` reason=${ca.reason.code}` : ''})` : ''}`;
}

/** The first sentence's clauses: each cause's, compauth's folded into DMARC's as in "DMARC p=quarantine applied (compauth=fail reason=000)". */
function clausesOf(ordered: readonly Judgement[]): string[] {
  const dmarc = ordered.find((j) => j.finding.code === 'MESSAGE_DMARC_FAIL' && j.clause !== null);
  const out: string[] = [];
  let returned = false;
  for (const j of ordered) {
    if (j.clause === null) continue;
    if (j.finding.code === 'MESSAGE_COMPAUTH_FAIL' && dmarc && dmarc.cause?.scope === j.cause?.scope) continue;
    const lead = j.cause?.scope === 'returned' && !returned ? 'the original message: ' : '';
    if (lead !== '') returned = true;
    if (j === dmarc) {
      const ca = ordered.find((x) => x.finding.code === 'MESSAGE_COMPAUTH_FAIL' && x.cause?.scope === j.cause?.scope);
      out.push(`${lead}${ca?.cause?.reason ? `${j.clause} (compauth=fail reason=${ca.cause.reason})` : ca ? `${j.clause} (compauth=fail)` : j.clause}`);
      continue;
    }
    out.push(`${lead}${j.clause}`);
  }
  return [...new Set(out)];
}

/**
 * The diagnosis of a report: the outcome (and its evidence), the causes in
 * sentence order with the deciding one first among equals in `primary`, and
 * the sentences: what happened and why; what to fix; what changed since,
 * when today's DNS differs from what the receiver saw.
 */
export function diagnose(message: HeaderAnalysis, ndr: NdrReport | null, judgements: readonly Judgement[]): Diagnosis {
  const { outcome, evidence } = outcomeOf(message, ndr);
  const withCause = judgements.filter((j): j is Judgement & { cause: DiagnosisCause } => j.cause !== null);
  // Stable: the message's own causes before the returned message's; within a scope, SENTENCE_ORDER.
  const ordered = [...withCause].sort((x, y) => (x.cause.scope === y.cause.scope ? 0 : x.cause.scope === 'message' ? -1 : 1) || rank(SENTENCE_ORDER, x) - rank(SENTENCE_ORDER, y));
  const deciding = [...ordered].filter((j) => PRIMARY_ORDER.includes(j.finding.code)).sort((x, y) => {
    // Microsoft's bulk verdict decided the message when it names bulk (CAT:BULK, SRV:BULK).
    const bx = x.finding.code === 'MESSAGE_BULK' && bulkVerdict(message) ? -1 : rank(PRIMARY_ORDER, x);
    const by = y.finding.code === 'MESSAGE_BULK' && bulkVerdict(message) ? -1 : rank(PRIMARY_ORDER, y);
    return (x.cause.scope === y.cause.scope ? 0 : x.cause.scope === 'message' ? -1 : 1) || bx - by;
  });
  const primary = outcome === 'delivered' && deciding.every((j) => j.finding.severity === 'info') ? null : (deciding[0]?.finding.code ?? null);

  const clauses = clausesOf(ordered.filter((j) => j.finding.code !== 'MESSAGE_DNS_CHANGED' && j.finding.code !== 'MESSAGE_RESULT_DIFFERS' && j.finding.code !== 'DKIM_KEY_WEAK'));
  const word = OUTCOME_WORDS[outcome];
  const sentences: string[] = [];
  if (clauses.length > 0) {
    sentences.push(`${word}: ${clauses.join('; ')}.`);
  } else {
    const passing = passingClause(message);
    sentences.push(outcome === 'unknown' && passing === null ? 'No verdict recorded: the headers hold no Microsoft 365 verdict and nothing m365audit checked failed.' : `${word}: ${passing ?? 'nothing in the headers explains a problem'}.`);
  }
  const remedies = [...new Set(ordered.map((j) => j.remedy).filter((r): r is string => r !== null))];
  if (remedies.length > 0) sentences.push(`Fix: ${remedies.join('; ')}.`);
  else if (judgements.some((j) => j.finding.severity !== 'info')) sentences.push('Fix: see the findings.');
  else sentences.push('Nothing to fix.');
  const changed = ordered.filter((j) => j.finding.code === 'MESSAGE_DNS_CHANGED' || j.finding.code === 'MESSAGE_RESULT_DIFFERS');
  if (changed.length > 0) {
    const parts = changed.map((j) => {
      const c = j.cause;
      const what = c.method === 'dkim' ? `DKIM d=${c.domain ?? '?'}` : (c.method ?? '').toUpperCase();
      return `${what} is ${c.now} now (recorded ${c.result})`;
    });
    sentences.push(`Since the message was received: ${[...new Set(parts)].join('; ')}.`);
  }
  return { outcome, outcomeEvidence: evidence, primary, causes: ordered.map((j) => j.cause), sentences: sentences.map((s) => capText(s, MAX_SENTENCE)) };
}
