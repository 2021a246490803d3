/**
 * The MTA-STS check for inbound mail (RFC 8461), with what Microsoft 365
 * expects on top: the `_mta-sts.<domain>` TXT record (§3.1), the policy
 * fetched over HTTPS from `https://mta-sts.<domain>/.well-known/mta-sts.txt`
 * by the rules of §3.3, parsed (§3.2), and every live MX host matched
 * against its `mx` patterns (§4.1).
 *
 * Fetch rules (§3.3, and what peers do):
 * - the certificate must be valid for `mta-sts.<domain>` and chain to a
 *   trusted CA: the HttpsClient verifies both, for that name, wherever its
 *   route sends the TCP connection;
 * - "Policies fetched via HTTPS are only valid if the HTTP response code is
 *   200 (OK). HTTP 3xx redirects MUST NOT be followed": any other status is
 *   a failure, a 3xx named as a redirect (postfix-mta-sts-resolver and mox
 *   accept 200 only too);
 * - the media type must be `text/plain` (§3.2), parameters allowed;
 * - "a suggested maximum policy size is 64 kilobytes" and "a suggested
 *   timeout is one minute": 64 KiB is a hard cap here, as in mox and
 *   postfix-mta-sts-resolver (HARD_RESP_LIMIT); the deadline is 10 s by
 *   default (postfix-mta-sts-resolver: 4 s), at most the RFC's 60 s. Microsoft
 *   says the host should answer well within the RFC's timeout (Learn,
 *   "Enhancing mail flow with MTA-STS").
 *
 * Exchange Online does not host the policy for a customer domain (Learn):
 * the owner serves it. Microsoft's own pattern for its legacy MX is
 * `*.mail.protection.outlook.com`; the DNSSEC form `<token>.<c>-v1.mx.microsoft`
 * needs the exact host or `*.<c>-v1.mx.microsoft`, as a wildcard covers one
 * label only (reference R2.5).
 *
 * Queries: one TXT lookup through `ctx.dns`, and one HTTPS GET through
 * `ctx.https` when the record is usable. A failed lookup is DNS_TEMPFAIL and
 * the area `unknown`, never "missing"; with no HTTPS client the record is
 * still checked and the policy is `unknown` with a reason. Never throws for
 * anything DNS or the policy host can send; the policy text is kept bounded
 * (MAX_LISTED lines, each cut at MAX_TEXT_LENGTH) and is data to escape.
 */
import type { LookupContext } from '../dns/context.js';
import type { HttpsClient, HttpsOutcome } from '../http/client.js';
import { CLOUD_ENDPOINTS, type Cloud } from '../m365/clouds.js';
import { finding, type CheckResult, type Finding } from '../findings/catalog.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../findings/status.js';
import { canonicalName } from '../domain/name.js';
import { capFindings, capText, capTexts, listText, MAX_LISTED } from '../util/caps.js';
import { isMtaStsRecord, looksLikeMtaStsRecord, parseMtaStsRecord } from './mta-sts-record.js';
import { matchMxPatterns, mxPatternFor, parseMtaStsPolicy, type MtaStsMode } from './mta-sts-policy.js';

/**
 * What checkMtaSts may use: the DNS client, and an HTTPS client for the
 * policy (without one the policy is `unknown`). The part of the transport
 * context (TransportContext) that MTA-STS needs.
 */
export interface MtaStsContext extends LookupContext {
  https?: HttpsClient | undefined;
}

/** checkMtaSts's options: the live MX hosts (null when the MX lookup failed), the cloud, and the fetch deadline. */
export interface MtaStsOptions {
  /** The domain's MX hosts as published (null: unknown, so nothing is matched). */
  mxHosts: readonly string[] | null;
  /** The cloud, for the patterns the fixes propose when no Microsoft MX is live. */
  cloud: Cloud;
  /** The policy fetch's deadline (default DEFAULT_MTA_STS_TIMEOUT_MS; at most MAX_MTA_STS_TIMEOUT_MS). */
  timeoutMs?: number | undefined;
}

/** RFC 8461 §3.3's suggested maximum policy size, a hard cap here (as in mox and postfix-mta-sts-resolver). */
export const MTA_STS_MAX_POLICY_BYTES = 64 * 1024;
/** The policy fetch's default deadline, well inside §3.3's suggested one minute. */
export const DEFAULT_MTA_STS_TIMEOUT_MS = 10_000;
/** §3.3's suggested timeout: no fetch waits longer. */
export const MAX_MTA_STS_TIMEOUT_MS = 60_000;

/**
 * Where the domain's MTA-STS stands: no record (`absent`), a record senders
 * ignore (`invalid`), a policy that cannot be fetched (`unavailable`) or
 * does not parse (`policy-invalid`), the policy's mode, or `unknown` (a
 * failed lookup, or no HTTPS client to fetch the policy with).
 */
export type MtaStsState = 'absent' | 'invalid' | 'unavailable' | 'policy-invalid' | MtaStsMode | 'unknown';

/** How the policy fetch ended: `ok` (200, text/plain, within the cap and deadline) or what stopped it. */
export type MtaStsFetchResult = 'ok' | 'refused' | 'unreachable' | 'timeout' | 'tls' | 'too-large' | 'redirect' | 'status' | 'content-type' | 'protocol';

/** One live MX host and the policy pattern that covers it (null: none does). */
export interface MtaStsMxMatch {
  host: string;
  pattern: string | null;
}

/** The policy as fetched and parsed. Text from the policy host is data: renderers escape it. */
export interface MtaStsPolicyFacts {
  /** `https://mta-sts.<domain>/.well-known/mta-sts.txt` */
  url: string;
  fetch: MtaStsFetchResult;
  /** The HTTP status, when there was an answer. */
  httpStatus: number | null;
  /** The Content-Type header as served (cut at MAX_TEXT_LENGTH), or null. */
  contentType: string | null;
  /** A redirect's Location (cut), or null. */
  location: string | null;
  /** Body bytes read; for `too-large`, those read before the cap stopped the fetch (0: refused by its Content-Length). */
  bytes: number | null;
  /** The policy's lines as served (200 answers only): at most MAX_LISTED, each cut at MAX_TEXT_LENGTH. */
  lines: string[];
  linesTotal: number;
  /** Parsed fields (null / empty until the policy parses). */
  mode: MtaStsMode | null;
  maxAge: number | null;
  /** The `mx` patterns, at most MAX_LISTED. */
  mx: string[];
  mxTotal: number;
  /** The live MX hosts and the pattern covering each (at most MAX_LISTED); empty when the MX are unknown or mode is none. */
  matches: MtaStsMxMatch[];
  matchesTotal: number;
}

/** The MTA-STS part of a DomainReport. */
export interface MtaStsSection {
  status: AreaStatus;
  state: MtaStsState;
  /** The TXT records at `_mta-sts.<domain>` that are or look like MTA-STS (at most MAX_LISTED, each cut). */
  records: string[];
  recordsTotal: number;
  /** The record's id, when it parses. */
  id: string | null;
  /** The policy, when the record is usable and an HTTPS client was given. */
  policy: MtaStsPolicyFacts | null;
  /** Why the state is `unknown`, or null. */
  reason: string | null;
}

/** The policy URL of a domain (§3.3). */
export function mtaStsPolicyUrl(domain: string): string {
  return `https://mta-sts.${canonicalName(domain)}/.well-known/mta-sts.txt`;
}

/** fetchMtaStsPolicy's result: the facts (see MtaStsPolicyFacts) before the body is parsed; `body` is set for a usable answer. */
export interface MtaStsFetched {
  facts: MtaStsPolicyFacts;
  body: string | null;
  /** Why the policy cannot be had, for the finding; null when `body` is set. */
  problem: { what: string; evidence: string; fix: string } | null;
}

function emptyFacts(url: string): MtaStsPolicyFacts {
  return { url, fetch: 'ok', httpStatus: null, contentType: null, location: null, bytes: null, lines: [], linesTotal: 0, mode: null, maxAge: null, mx: [], mxTotal: 0, matches: [], matchesTotal: 0 };
}

/** Whether a Content-Type names text/plain (§3.2: parameters such as charset do not matter). */
function isTextPlain(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return (contentType.split(';')[0] ?? '').trim().toLowerCase() === 'text/plain';
}

/**
 * Fetches a domain's policy by the rules of §3.3 (see the module comment)
 * and says how it ended. Never throws.
 */
export async function fetchMtaStsPolicy(https: HttpsClient, domain: string, timeoutMs: number = DEFAULT_MTA_STS_TIMEOUT_MS): Promise<MtaStsFetched> {
  const url = mtaStsPolicyUrl(domain);
  const host = `mta-sts.${canonicalName(domain)}`;
  const ms = Math.min(MAX_MTA_STS_TIMEOUT_MS, Math.max(0, timeoutMs));
  const outcome: HttpsOutcome = await https.request(url, { maxBytes: MTA_STS_MAX_POLICY_BYTES, timeoutMs: ms, headers: { accept: 'text/plain' } });
  const facts = emptyFacts(url);
  const get = `GET ${url}`;
  const served = 'Serve the policy file yourself: Exchange Online does not host it for your domain (Microsoft Learn, "Enhancing mail flow with MTA-STS").';
  const fail = (fetch: MtaStsFetchResult, what: string, evidence: string, fix: string): MtaStsFetched => {
    facts.fetch = fetch;
    return { facts, body: null, problem: { what, evidence: `${get}: ${evidence}`, fix } };
  };
  switch (outcome.kind) {
    case 'refused':
      return fail('refused', `nothing accepts HTTPS connections at ${host}`, `connection refused (${outcome.message})`, `Serve the policy over HTTPS on ${host} port 443, or remove the _mta-sts TXT until it is served. ${served}`);
    case 'unreachable':
      return fail('unreachable', `${host} cannot be reached (${outcome.code})`, outcome.message, `Publish an address (A/AAAA, or a CNAME to your web host) for ${host} and serve the policy there. ${served}`);
    case 'timeout':
      return fail('timeout', `${host} did not answer within ${ms} ms (${{ connect: 'no connection', tls: 'no TLS handshake', headers: 'no HTTP answer', body: 'the body did not end' }[outcome.stage]})`, `${outcome.stage}: ${outcome.message}`, `The policy host must answer with the whole file well within a minute (RFC 8461 §3.3); this check waits ${ms} ms.`);
    case 'tls':
      return fail('tls', `the certificate of ${host} does not verify (${outcome.code})`, `TLS ${outcome.code}: ${outcome.message}`, `Serve ${host} with a certificate valid for that name from a public CA, not expired (RFC 8461 §3.3).`);
    case 'too-large':
      facts.httpStatus = outcome.status;
      facts.bytes = outcome.read;
      return fail('too-large', `the policy is larger than ${MTA_STS_MAX_POLICY_BYTES} bytes`, outcome.read === 0 ? `Content-Length over ${outcome.limit} bytes (refused before reading)` : `over ${outcome.limit} bytes (stopped after ${outcome.read} bytes)`, `Serve a policy of a few lines: senders stop reading at 64 KiB (RFC 8461 §3.3).`);
    case 'protocol':
      return fail('protocol', `${host} did not give a usable HTTPS answer (${outcome.code ?? 'protocol error'})`, `${outcome.code ?? 'error'}: ${outcome.message}`, `Check the web server at ${host}. ${served}`);
    case 'ok':
      break;
  }
  facts.httpStatus = outcome.status;
  facts.bytes = outcome.bytes;
  const contentType = outcome.headers['content-type'];
  facts.contentType = contentType === undefined ? null : capText(contentType);
  if (outcome.status >= 300 && outcome.status < 400) {
    const location = outcome.headers.location;
    facts.location = location === undefined ? null : capText(location);
    return fail('redirect', `${url} answers with a redirect (HTTP ${outcome.status}), which senders never follow`, `HTTP ${outcome.status}${location === undefined ? '' : ` → ${capText(location, 200)}`}`, `Serve the file at ${url} itself with HTTP 200: "HTTP 3xx redirects MUST NOT be followed" (RFC 8461 §3.3).`);
  }
  if (outcome.status !== 200) {
    return fail('status', `${url} answers HTTP ${outcome.status}, not 200`, `HTTP ${outcome.status}`, `Serve the policy at /.well-known/mta-sts.txt on ${host} with HTTP 200 (RFC 8461 §3.3). ${served}`);
  }
  const lines = outcome.body.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  facts.lines = capTexts(lines.slice(0, MAX_LISTED).map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)));
  facts.linesTotal = outcome.body === '' ? 0 : lines.length;
  if (!isTextPlain(contentType)) {
    return fail('content-type', `${url} is served as ${contentType === undefined ? 'no media type' : `"${capText(contentType, 100)}"`}, not text/plain`, `Content-Type ${contentType === undefined ? '(none)' : capText(contentType, 200)}`, `Serve the file with "Content-Type: text/plain" (RFC 8461 §3.2: senders check it, so that a page of HTML or an image is never taken for a policy).`);
  }
  return { facts, body: outcome.body, problem: null };
}

/** The patterns a fix proposes: one per live MX host (Microsoft's wildcard for its hosts), else the cloud's Microsoft pattern. */
function proposedPatterns(mxHosts: readonly string[] | null, cloud: Cloud): string[] {
  const live = (mxHosts ?? []).map(canonicalName).filter((h) => h !== '');
  const patterns = [...new Set(live.map(mxPatternFor))];
  return patterns.length > 0 ? patterns : [`*.${CLOUD_ENDPOINTS[cloud].mxSuffix}`];
}

/**
 * The MTA-STS check (see the module comment): facts in the section, one
 * finding per problem. Never throws for anything DNS or HTTPS can send.
 */
export async function checkMtaSts(ctx: MtaStsContext, domain: string, opts: MtaStsOptions): Promise<CheckResult<MtaStsSection>> {
  const findings: Finding[] = [];
  const section: MtaStsSection = { status: 'pass', state: 'absent', records: [], recordsTotal: 0, id: null, policy: null, reason: null };
  const name = `_mta-sts.${canonicalName(domain)}`;
  const url = mtaStsPolicyUrl(domain);
  const done = (): CheckResult<MtaStsSection> => {
    const kept = capFindings(findings);
    if (section.state !== 'unknown') section.status = statusFrom(kept);
    else section.status = kept.some((f) => f.severity === 'error' && f.code !== 'DNS_TEMPFAIL') ? 'fail' : 'unknown';
    return { section, findings: kept };
  };
  const patterns = proposedPatterns(opts.mxHosts, opts.cloud);
  const start = `Serve ${url} as text/plain with "version: STSv1", "mode: testing", ${patterns.map((p) => `"mx: ${p}"`).join(', ')} and "max_age: 604800", then publish ${name} TXT "v=STSv1; id=<a new id>"; move to mode enforce once the TLS reports are clean (m365audit plan lists these).`;

  const answer = await ctx.dns.resolve(name, 'TXT');
  if (answer.kind === 'tempfail') {
    findings.push(tempfailFinding(name, 'TXT', answer));
    section.state = 'unknown';
    section.reason = `the TXT lookup for ${name} failed`;
    return done();
  }
  const txt = answer.kind === 'records' ? answer.records : [];
  const kept = txt.filter(isMtaStsRecord);
  const lookalikes = txt.filter((t) => !isMtaStsRecord(t) && looksLikeMtaStsRecord(t));
  const shown = [...kept, ...lookalikes];
  section.records = capTexts(shown);
  section.recordsTotal = shown.length;

  if (kept.length === 0 && lookalikes.length === 0) {
    findings.push(finding('MTA_STS_MISSING', `${domain} publishes no MTA-STS record (${name} TXT), so senders use TLS only when it is offered and can be downgraded (optional hardening, RFC 8461).`, { fix: start }));
    return done();
  }
  section.state = 'invalid';
  if (kept.length > 1) {
    findings.push(finding('MTA_STS_TXT_INVALID', `${name} has ${kept.length} MTA-STS records, so senders ignore them all (RFC 8461 §3.1: exactly one).`, {
      evidence: listText(kept, ' | '),
      fix: `Keep one record, ${name} TXT "v=STSv1; id=<id>", and delete the others.`,
    }));
    return done();
  }
  if (kept.length === 0) {
    findings.push(finding('MTA_STS_TXT_INVALID', `${name} holds a record meant as MTA-STS that does not begin with exactly "v=STSv1;", so senders ignore it (RFC 8461 §3.1).`, {
      evidence: listText(lookalikes, ' | '),
      fix: `Publish ${name} TXT "v=STSv1; id=<1 to 32 letters and digits>" in its place.`,
    }));
    return done();
  }
  const record = kept[0] as string;
  const parsed = parseMtaStsRecord(record);
  if (!parsed.ok) {
    findings.push(finding('MTA_STS_TXT_INVALID', `The MTA-STS record at ${name} does not parse (${parsed.problem}), so senders ignore it (RFC 8461 §3.1).`, {
      evidence: capText(record),
      fix: `Publish ${name} TXT "v=STSv1; id=<1 to 32 letters and digits>" in its place.`,
    }));
    return done();
  }
  section.id = parsed.record.id;

  if (!ctx.https) {
    section.state = 'unknown';
    section.reason = `no HTTPS client was given, so the policy at ${url} was not fetched`;
    return done();
  }
  const fetched = await fetchMtaStsPolicy(ctx.https, domain, opts.timeoutMs);
  section.policy = fetched.facts;
  if (fetched.problem || fetched.body === null) {
    const p = fetched.problem;
    section.state = 'unavailable';
    findings.push(finding('MTA_STS_POLICY_UNAVAILABLE', `${name} announces an MTA-STS policy, but ${p?.what ?? 'it cannot be fetched'}; senders that honour MTA-STS find no policy.`, { evidence: p?.evidence, fix: p?.fix }));
    return done();
  }
  const policy = parseMtaStsPolicy(fetched.body);
  if (!policy.ok) {
    section.state = 'policy-invalid';
    findings.push(finding('MTA_STS_POLICY_INVALID', `The MTA-STS policy at ${url} does not parse: ${policy.problem} (RFC 8461 §3.2), so senders treat the domain as having no policy.`, {
      evidence: policy.text === null ? undefined : `line ${policy.line}: ${capText(policy.text, 200)}`,
      fix: `Serve exactly these lines: "version: STSv1", "mode: testing", ${patterns.map((p) => `"mx: ${p}"`).join(', ')}, "max_age: 604800" (LF or CRLF line ends), and publish a new id in ${name}.`,
    }));
    return done();
  }
  const { mode, maxAge, mx } = policy.policy;
  const facts = fetched.facts;
  facts.mode = mode;
  facts.maxAge = maxAge;
  facts.mx = capTexts(mx);
  facts.mxTotal = mx.length;
  section.state = mode;
  if (mode === 'testing') {
    findings.push(finding('MTA_STS_TESTING', `The MTA-STS policy of ${domain} is in mode testing: senders report TLS failures but still deliver (RFC 8461 §5).`, {
      evidence: `mode: testing (${url})`,
      fix: `Once the TLS reports (TLS-RPT) show no failures, change it to "mode: enforce" and publish a new id in ${name}.`,
    }));
  }
  if (mode === 'none' || opts.mxHosts === null) return done();
  const hosts = [...new Set(opts.mxHosts.map(canonicalName).filter((h) => h !== ''))];
  const matches = hosts.map((host) => ({ host, pattern: matchMxPatterns(mx, host) }));
  facts.matches = matches.slice(0, MAX_LISTED);
  facts.matchesTotal = matches.length;
  for (const m of matches.filter((x) => x.pattern === null)) findings.push(mismatch(m.host, mode, mx, url, name));
  return done();
}

/** MTA_STS_MX_MISMATCH for one live MX host no pattern covers: an error in enforce, the catalog's warning in testing. */
function mismatch(host: string, mode: 'enforce' | 'testing', mx: readonly string[], url: string, name: string): Finding {
  const want = mxPatternFor(host);
  // A "*." pattern over a parent further up: the wildcard covers one label only (§4.1).
  const near = mx.find((p) => p.startsWith('*.') && host.endsWith(`.${p.slice(2).toLowerCase()}`));
  const why = near ? ` ("${near}" covers one label only: RFC 8461 §4.1)` : '';
  const message = mode === 'enforce'
    ? `The live MX host ${host} matches no mx pattern of the enforced MTA-STS policy${why}: senders that honour MTA-STS refuse to deliver to it.`
    : `The live MX host ${host} matches no mx pattern of the MTA-STS policy${why}: in mode enforce senders would refuse it (now, in testing, they report it).`;
  const extra = {
    evidence: `MX ${host}; policy mx: ${listText([...mx], ', ')}`,
    fix: `Add "mx: ${want}" to ${url}${want.startsWith('*.') ? ` (or the exact host, ${host})` : ''}, then publish a new id in ${name} so senders fetch it again.`,
  };
  // DESIGN.md: an error in mode enforce, "warning in mode testing" (the catalog's alternate).
  return finding('MTA_STS_MX_MISMATCH', message, { ...extra, alternate: mode === 'testing' });
}
