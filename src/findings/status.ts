import { finding, type Finding } from './catalog.js';
import type { DnsAnswer, SecureRRType, TempfailReason } from '../dns/types.js';

/** What one area's column says: pass, warn, fail, or unknown when a lookup failed. */
export type AreaStatus = 'pass' | 'warn' | 'fail' | 'unknown';

/** The status of an area from its own findings: a failed lookup makes it unknown. */
export function statusFrom(findings: readonly Finding[]): AreaStatus {
  if (findings.some((f) => f.code === 'DNS_TEMPFAIL')) return 'unknown';
  if (findings.some((f) => f.severity === 'error')) return 'fail';
  if (findings.some((f) => f.severity === 'warning')) return 'warn';
  return 'pass';
}

/** One lookup that failed after its retries. */
export interface FailedQuery {
  name: string;
  /** A DnsClient's type, or one only the secure client asks (TLSA, DS, DNSKEY). */
  type: SecureRRType;
  reason: TempfailReason;
  /** The resolver's code (ETIMEOUT, ESERVFAIL, EREFUSED …): the failure kind findings are grouped by. */
  code: string;
}

/**
 * The query behind each DNS_TEMPFAIL finding made here. A Finding is a JSON
 * contract with no room for it, so it is kept beside the object instead of
 * being parsed back out of the evidence text.
 */
const FAILED_QUERY = new WeakMap<Finding, FailedQuery>();

/** The failed query a DNS_TEMPFAIL finding was made for, when tempfailFinding made it. */
export function failedQueryOf(f: Finding): FailedQuery | undefined {
  return FAILED_QUERY.get(f);
}

const RETRY_FIX = 'Run the audit again; if it persists, check the resolver (--dns-server) and the domain\'s name servers.';

/** DNS_TEMPFAIL for one failed query; evidence names the query. */
export function tempfailFinding(name: string, type: SecureRRType, answer: DnsAnswer<unknown> & { kind: 'tempfail' }): Finding {
  const f = finding(
    'DNS_TEMPFAIL',
    `The ${type} lookup for ${name} failed (${answer.reason}), so this part of the audit is unknown rather than missing.`,
    { evidence: `${name} ${type}: ${answer.code}`, fix: RETRY_FIX },
  );
  FAILED_QUERY.set(f, { name, type, reason: answer.reason, code: answer.code });
  return f;
}

/** Queries named in one merged DNS_TEMPFAIL's evidence; the rest are counted (a dead resolver fails every lookup). */
export const MAX_TEMPFAIL_QUERIES = 20;

/**
 * One DNS_TEMPFAIL per failure kind (the resolver's code: a timeout is not a
 * SERVFAIL) instead of one per query: a dead resolver makes every area's
 * lookups fail, and nine near-identical findings say less than one that lists
 * the queries. The evidence names each query once, up to
 * MAX_TEMPFAIL_QUERIES, with the total: `a.test TXT, _dmarc.a.test TXT:
 * ETIMEOUT` (one query keeps the one-query form, `a.test TXT: ETIMEOUT`).
 * The merged finding takes the place of the first of its kind; other
 * findings keep their order. A DNS_TEMPFAIL not made by tempfailFinding is
 * kept as it is, once per evidence.
 */
export function mergeTempfails(findings: readonly Finding[]): Finding[] {
  const groups = new Map<string, { queries: Map<string, FailedQuery> }>();
  const seenOther = new Set<string>();
  const out: (Finding | string)[] = [];
  for (const f of findings) {
    if (f.code !== 'DNS_TEMPFAIL') {
      out.push(f);
      continue;
    }
    const q = failedQueryOf(f);
    if (!q) {
      const key = f.evidence ?? f.message;
      if (!seenOther.has(key)) {
        seenOther.add(key);
        out.push(f);
      }
      continue;
    }
    let g = groups.get(q.code);
    if (!g) {
      g = { queries: new Map() };
      groups.set(q.code, g);
      out.push(q.code);
    }
    const key = `${q.name.toLowerCase()} ${q.type}`;
    if (!g.queries.has(key)) g.queries.set(key, q);
  }
  // Lookups not sent because no resolver was answering (ENOSERVER) share the cause of the timeouts
  // that made the resolvers suspect: one finding, not a second one for the same outage.
  const notSent = groups.get(NO_SERVER_CODE);
  const cause = [...groups.keys()].find((code) => code === 'ETIMEOUT') ?? [...groups.keys()].find((code) => code !== NO_SERVER_CODE && SILENCE_CODES.has(code));
  if (notSent && cause) {
    const into = groups.get(cause)?.queries;
    for (const [k, q] of notSent.queries) if (into && !into.has(k)) into.set(k, q);
    groups.delete(NO_SERVER_CODE);
    out.splice(out.indexOf(NO_SERVER_CODE), 1);
  }
  return out.map((x) => (typeof x === 'string' ? mergedTempfail([...(groups.get(x)?.queries.values() ?? [])]) : x));
}

/** The code of a lookup the DNS client did not send because no server was answering. */
const NO_SERVER_CODE = 'ENOSERVER';
/** Failures that are a resolver's silence rather than its answer. */
const SILENCE_CODES = new Set(['ETIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'ENETUNREACH', 'EHOSTUNREACH']);

/** ` (3 of them not sent: ENOSERVER)` when some of the queries were never sent. */
function notSentNote(queries: readonly FailedQuery[], code: string): string {
  const n = queries.filter((q) => q.code === NO_SERVER_CODE).length;
  return n > 0 && code !== NO_SERVER_CODE ? ` (${n} of them not sent: ${NO_SERVER_CODE}, no resolver was answering)` : '';
}

function mergedTempfail(queries: readonly FailedQuery[]): Finding {
  const first = queries[0] as FailedQuery;
  if (queries.length === 1) return tempfailFinding(first.name, first.type, { kind: 'tempfail', reason: first.reason, code: first.code });
  const shown = queries.slice(0, MAX_TEMPFAIL_QUERIES).map((q) => `${q.name} ${q.type}`).join(', ');
  const more = queries.length > MAX_TEMPFAIL_QUERIES ? ` and ${queries.length - MAX_TEMPFAIL_QUERIES} more (${queries.length} in all)` : '';
  const f = finding(
    'DNS_TEMPFAIL',
    `${queries.length} DNS lookups failed (${first.reason}), so the parts of the audit that depend on them are unknown rather than missing.`,
    { evidence: `${shown}${more}: ${first.code}${notSentNote(queries, first.code)}`, fix: RETRY_FIX },
  );
  FAILED_QUERY.set(f, first);
  return f;
}
