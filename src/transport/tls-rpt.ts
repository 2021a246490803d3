/**
 * SMTP TLS Reporting (RFC 8460): the `_smtp._tls.<domain>` TXT record that
 * tells senders where to send daily reports of TLS failures (MTA-STS and
 * DANE alike). §3:
 *
 *     tlsrpt-record  = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
 *     tlsrpt-version = %s"v=TLSRPTv1"
 *     tlsrpt-rua     = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 *     tlsrpt-uri     = URI  ; RFC 3986; commas (0x2C) and exclamation points (0x21) MUST be encoded
 *
 * "rua" is required; "Two URI schemes are supported: mailto and https";
 * unknown fields are ignored ("Parsers MUST accept TXT records ...
 * implementing a superset of this specification"). "If multiple TXT records
 * for _smtp._tls are returned by the resolver, records that do not begin
 * with v=TLSRPTv1; are discarded. If the number of resulting records is not
 * one, senders MUST assume the recipient domain does not implement TLSRPT."
 * A repeated rua= tag is read as more URIs (mox; the ABNF repeats fields
 * freely), where checkdmarc rejects it: README "MTA-STS and TLS-RPT".
 *
 * One TXT lookup through `ctx.dns`. A failed lookup is DNS_TEMPFAIL and the
 * area `unknown`, never "missing". Never throws.
 */
import type { LookupContext } from '../dns/context.js';
import { finding, type CheckResult, type Finding } from '../findings/catalog.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../findings/status.js';
import { canonicalName, normalizeDomain } from '../domain/normalize.js';
import { capFindings, capList, capText, capTexts, listText } from '../util/caps.js';
import { trimChars, WSP } from '../util/trim.js';
import { beginsWithVersion, isExtValue, splitRecordTags, type RecordTag } from './tags.js';

/** The version tag that opens a TLS-RPT record, exactly (§3: `%s` is case-sensitive). */
export const TLS_RPT_VERSION = 'v=TLSRPTv1';

/** One rua URI of a TLS-RPT record, as written, and whether a sender can use it. */
export interface TlsRptUri {
  uri: string;
  /** The scheme in lower case, or null when there is none. */
  scheme: string | null;
  /** Whether it is a URI at all (RFC 3986 syntax); one that is not makes the record not parse. */
  wellFormed: boolean;
  /** A mailto: or https: URI that parses (the two schemes of §3): a sender can report to it. */
  valid: boolean;
  /** Why it cannot be used, or null. */
  problem: string | null;
}

/** A parsed `_smtp._tls` record: every rua URI (of every rua= tag) and the extension tags. */
export interface TlsRptRecord {
  rua: TlsRptUri[];
  extensions: RecordTag[];
}

/** parseTlsRptRecord's result: the record (with at least one usable URI), or why senders cannot use it. */
export type TlsRptRecordParse = { ok: true; record: TlsRptRecord } | { ok: false; problem: string; rua: TlsRptUri[] };

/** Where the domain's TLS reporting stands: no record, one senders cannot use, a usable one, or unknown (the lookup failed). */
export type TlsRptState = 'absent' | 'invalid' | 'valid' | 'unknown';

/** The TLS-RPT part of a DomainReport. */
export interface TlsRptSection {
  status: AreaStatus;
  state: TlsRptState;
  /** The TXT records at `_smtp._tls.<domain>` that are or look like TLS-RPT (at most MAX_LISTED, each cut). */
  records: string[];
  recordsTotal: number;
  /** The report URIs of the record (at most MAX_LISTED, each cut). */
  rua: TlsRptUri[];
  ruaTotal: number;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
/** RFC 3986 characters but the three RFC 8460 §3 reserves ("," and "!" must be encoded; ";" ends the field); "%" is checked apart. */
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@$&'()*+=%]*$/;
const BAD_PCT = /%(?![0-9A-Fa-f]{2})/;
const LOOKS_LIKE = /^[ \t]*v[ \t]*=[ \t]*tlsrpt/i;

/** Whether a TXT record is one a sender keeps for TLS-RPT: it begins with `v=TLSRPTv1` and then `;` (§3). */
export function isTlsRptRecord(txt: string): boolean {
  return beginsWithVersion(txt, TLS_RPT_VERSION);
}

/** Parses one rua URI (RFC 8460 §3, RFC 3986 syntax; mailto: needs an address, https: a host). Pure; never throws. */
export function parseTlsRptUri(text: string): TlsRptUri {
  const uri = trimChars(text, WSP);
  const out: TlsRptUri = { uri, scheme: null, wellFormed: false, valid: false, problem: null };
  if (uri === '') return { ...out, problem: 'an empty URI' };
  const scheme = SCHEME.exec(uri);
  if (!scheme) return { ...out, problem: `"${uri}" has no URI scheme (mailto: or https:)` };
  out.scheme = (scheme[1] as string).toLowerCase();
  if (!URI_CHARS.test(uri)) return { ...out, problem: `"${uri}" holds characters a URI may not contain here (spaces, controls, or an unencoded "!")` };
  if (BAD_PCT.test(uri)) return { ...out, problem: `"${uri}" has a "%" that is not a percent-encoding` };
  if (out.scheme === 'mailto') {
    let address: string;
    try {
      address = decodeURIComponent(uri.slice(scheme[0].length).split('?')[0] ?? '');
    } catch {
      return { ...out, problem: `"${uri}" has a broken percent-encoding` };
    }
    const at = address.lastIndexOf('@');
    const host = at > 0 ? address.slice(at + 1) : '';
    const norm = normalizeDomain(host);
    if (at <= 0 || host === '' || !norm.ok || norm.domain !== canonicalName(host)) return { ...out, problem: `"${uri}" does not name a mailbox (mailto:name@domain)` };
    return { ...out, wellFormed: true, valid: true };
  }
  if (out.scheme === 'https') {
    try {
      if (new URL(uri).hostname === '') return { ...out, problem: `"${uri}" names no host` };
    } catch {
      return { ...out, problem: `"${uri}" is not a valid https URI` };
    }
    return { ...out, wellFormed: true, valid: true };
  }
  return { ...out, wellFormed: true, problem: `${out.scheme}: is not one of the two schemes senders report to (mailto:, https:)` };
}

/** Parses one `_smtp._tls` record strictly (§3); it is usable when it parses and names at least one usable URI. Pure; never throws. */
export function parseTlsRptRecord(txt: string): TlsRptRecordParse {
  const split = splitRecordTags(txt, TLS_RPT_VERSION);
  if (!split.ok) return { ok: false, problem: split.problem, rua: [] };
  const rua: TlsRptUri[] = [];
  const extensions: RecordTag[] = [];
  let sawRua = false;
  for (const tag of split.tags) {
    if (tag.name === 'rua') {
      sawRua = true;
      rua.push(...tag.value.split(',').map(parseTlsRptUri));
    } else if (!isExtValue(tag.value)) {
      return { ok: false, problem: `the value of "${tag.name}" holds a space, ";", "=" or a character outside printable ASCII`, rua };
    } else {
      extensions.push(tag);
    }
  }
  if (!sawRua) return { ok: false, problem: 'it has no rua tag (the report destinations)', rua };
  // A URI that is not a URI makes the record not parse; a valid URI of another scheme is only unusable.
  const broken = rua.find((u) => !u.wellFormed);
  if (broken) return { ok: false, problem: broken.problem ?? 'a rua URI does not parse', rua };
  if (!rua.some((u) => u.valid)) return { ok: false, problem: 'no rua URI is mailto: or https:, so no report can be sent', rua };
  return { ok: true, record: { rua, extensions } };
}

/**
 * The TLS-RPT check: the `_smtp._tls` record, exactly one, parsed with its
 * report URIs. `required` (MTA-STS or DANE is on, so reports of its
 * failures matter) makes TLS_RPT_MISSING the catalog's warning instead of
 * info. Never throws for anything DNS can hold.
 */
export async function checkTlsRpt(ctx: LookupContext, domain: string, opts: { required: boolean }): Promise<CheckResult<TlsRptSection>> {
  const findings: Finding[] = [];
  const section: TlsRptSection = { status: 'pass', state: 'absent', records: [], recordsTotal: 0, rua: [], ruaTotal: 0 };
  const name = `_smtp._tls.${canonicalName(domain)}`;
  const done = (): CheckResult<TlsRptSection> => {
    const kept = capFindings(findings);
    section.status = statusFrom(kept);
    return { section, findings: kept };
  };
  const fix = `Publish ${name} TXT "v=TLSRPTv1; rua=mailto:tls-reports@${canonicalName(domain)}" (a mailbox that exists; https: endpoints work too): senders then send daily reports of failed TLS sessions (RFC 8460).`;
  const answer = await ctx.dns.resolve(name, 'TXT');
  if (answer.kind === 'tempfail') {
    findings.push(tempfailFinding(name, 'TXT', answer));
    section.state = 'unknown';
    return done();
  }
  const txt = answer.kind === 'records' ? answer.records : [];
  const kept = txt.filter(isTlsRptRecord);
  const lookalikes = txt.filter((t) => !isTlsRptRecord(t) && LOOKS_LIKE.test(t));
  const shown = [...kept, ...lookalikes];
  section.records = capTexts(shown);
  section.recordsTotal = shown.length;
  if (shown.length === 0) {
    const message = opts.required
      ? `${domain} has no TLS-RPT record (${name} TXT) though MTA-STS or DANE is on: nobody hears of the TLS failures that make senders refuse or defer mail.`
      : `${domain} has no TLS-RPT record (${name} TXT), so TLS failures on mail to it are not reported (optional).`;
    // DESIGN.md: info, "warning when MTA-STS or DANE is on" (the catalog's alternate).
    findings.push(finding('TLS_RPT_MISSING', message, { fix, alternate: opts.required }));
    return done();
  }
  section.state = 'invalid';
  if (kept.length > 1) {
    findings.push(finding('TLS_RPT_INVALID', `${name} has ${kept.length} TLS-RPT records, so senders use none (RFC 8460 §3: exactly one).`, { evidence: listText(kept, ' | '), fix: `Keep one record and delete the others. ${fix}` }));
    return done();
  }
  if (kept.length === 0) {
    findings.push(finding('TLS_RPT_INVALID', `${name} holds a record meant as TLS-RPT that does not begin with exactly "v=TLSRPTv1;", so senders ignore it (RFC 8460 §3).`, { evidence: listText(lookalikes, ' | '), fix }));
    return done();
  }
  const record = kept[0] as string;
  const parsed = parseTlsRptRecord(record);
  const rua = parsed.ok ? parsed.record.rua : parsed.rua;
  section.rua = capList(rua).map((u) => ({ ...u, uri: capText(u.uri), problem: u.problem === null ? null : capText(u.problem) }));
  section.ruaTotal = rua.length;
  if (!parsed.ok) {
    findings.push(finding('TLS_RPT_INVALID', `The TLS-RPT record at ${name} does not parse (${parsed.problem}), so senders send no reports (RFC 8460 §3).`, { evidence: capText(record), fix }));
    return done();
  }
  section.state = 'valid';
  return done();
}
