/**
 * SMTP DANE for inbound mail (RFC 7672), with what Microsoft 365 needs on
 * top (reference R2.4): inbound DANE to Exchange Online needs an MX of the
 * `<token>.<c>-v1.mx.microsoft` form (Enable-DnssecForVerifiedDomain gives
 * it) in a zone the customer's DNS host signs, then Enable-SmtpDaneInbound,
 * after which Microsoft publishes and rotates the TLSA records at
 * `_25._tcp.<mx host>` (15-30 minutes later). The legacy
 * `*.mail.protection.outlook.com` hosts are not signed and get no TLSA.
 *
 * Per MX host:
 * - The TLSA RRset at `_25._tcp.<host>` (RFC 7672 §2.2.3; port 25, TCP),
 *   asked through the secure client. Only a validated answer (AD) counts
 *   (RFC 7672 §2.2: DANE needs the TLSA RRset secure); a TLSA in an
 *   unsigned zone is ignored by senders, as if absent. Asked for every
 *   mx.microsoft host (the TLSA missing is a finding even while the zone is
 *   unsigned: two steps are missing then), for other hosts only when the
 *   domain's zone is signed (an insecure MX RRset turns DANE off,
 *   RFC 7672 §2.2.1: asking would cost a query per host for nothing), never
 *   for the legacy Microsoft hosts.
 * - SERVFAIL is asked again with CD: an answer then means the TLSA fails
 *   validation (DNSSEC_BOGUS: DANE senders defer mail to the host,
 *   RFC 7672 §2.1.1); SERVFAIL again or a timeout is DNS_TEMPFAIL.
 * - With the chain the host presented after STARTTLS (the MX probe), the
 *   usable records are matched against it (tlsa.ts matchTlsa: DANE-EE the
 *   leaf, DANE-TA a certificate the leaf chains up to, names checked
 *   against the MX host and the domain, RFC 7672 §3.2.2).
 *
 * Findings (DESIGN.md severities): DANE_MX_UNSIGNED (warning) for an
 * mx.microsoft MX in a zone that is unsigned or has no DS; DANE_TLSA_MISSING
 * (warning for an mx.microsoft host, info for others); DANE_TLSA_UNUSABLE
 * (warning) when no record of a validated RRset is usable; DANE_TLSA_MISMATCH
 * (error) when the presented chain matches no usable record; DANE_MX_LEGACY
 * (info) for a validated zone whose Microsoft MX is the legacy host.
 *
 * Queries: one TLSA query per host asked (mx.microsoft hosts always, others
 * in signed zones), two or three more for a SERVFAIL; answers are cached by
 * the secure client, so shared MX hosts cost one query per run.
 */
import type { TlsaRecord } from '../dns/types.js';
import { finding, type CheckResult, type Finding } from '../findings/catalog.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../findings/status.js';
import { capList, capText, MAX_LISTED } from '../util/caps.js';
import type { TransportContext } from './context.js';
import type { DnssecSection } from './dnssec.js';
import { matchTlsa, tlsaAcronyms, tlsaProblem, type PeerChain, type TlsaProblem } from './tlsa.js';

/** One MX host as checkDane takes it: its name, and which Microsoft 365 form it has (the MX check's kinds m365-dnssec / m365). */
export interface DaneMxInput {
  host: string;
  microsoft: 'mx-microsoft' | 'legacy' | null;
}

/** Options of checkDane: the domain's DNSSEC section (checkDnssec), and the chain each MX host presented (the MX probe, --probe-mx). */
export interface DaneOptions {
  dnssec: DnssecSection;
  /** By MX host name (lower case). */
  chains?: ReadonlyMap<string, PeerChain> | undefined;
}

/** One TLSA record as reported: the record (data cut to MAX_TEXT_LENGTH), its acronyms, and why SMTP cannot use it (null: usable). */
export interface TlsaFacts extends TlsaRecord {
  /** RFC 7218 acronyms: `DANE-EE(3) SPKI(1) SHA2-256(1)`. */
  acronyms: string;
  problem: TlsaProblem | null;
}

/**
 * What the TLSA lookup of a host gave: `validated` (records, AD),
 * `unvalidated` (records with RRSIGs, no AD: the resolver did not validate),
 * `insecure` (records in an unsigned zone: senders ignore them), `none`
 * (NODATA or NXDOMAIN), `bogus` (SERVFAIL, an answer with CD), `failed`
 * (DNS_TEMPFAIL), `not-asked` (see the module comment).
 */
export type TlsaLookupState = 'validated' | 'unvalidated' | 'insecure' | 'none' | 'bogus' | 'failed' | 'not-asked';

/** One MX host in the DANE section. */
export interface DaneHost {
  host: string;
  microsoft: DaneMxInput['microsoft'];
  /** `_25._tcp.<host>`. */
  tlsaName: string;
  tlsa: TlsaLookupState;
  /** The TLSA records (at most MAX_LISTED; `recordsTotal` counts them all). */
  records: TlsaFacts[];
  recordsTotal: number;
  /** Records SMTP can use (DANE-TA/DANE-EE with known selector and matching type). */
  usable: number;
  /**
   * The chain check: `match` (a usable record matched the presented chain),
   * `mismatch`, or null when not checked (no chain, no validated usable record).
   */
  chain: 'match' | 'mismatch' | null;
  /** The record that matched and the depth (leaf = 0) of the certificate it matched. */
  matched: { usage: number; selector: number; matchingType: number; depth: number } | null;
}

/**
 * The DANE part of a DomainReport: whether DANE can apply (the MX answer is
 * validated, RFC 7672 §2.2.1), each MX host's TLSA facts, and why the area
 * is unknown when it is.
 */
export interface DaneSection {
  status: AreaStatus;
  /** The MX answer is validated (true), insecure or bogus (false), or cannot be told (null: a non-validating resolver, no secure client). */
  mxSecure: boolean | null;
  /** The first MAX_LISTED hosts, the ones checked (`hostsTotal` counts them all). */
  hosts: DaneHost[];
  hostsTotal: number;
  reason: string | null;
  /** TLSA queries this check asked the secure client (cache hits included). */
  queries: number;
}

const ENABLE_FIX = (domain: string): string =>
  `Run Enable-SmtpDaneInbound -DomainName ${domain} in Exchange Online PowerShell (it needs Enable-DnssecForVerifiedDomain first); Microsoft then publishes the TLSA records at _25._tcp.<mx host> within 15-30 minutes. ` +
  'Check with Get-DnssecStatusForVerifiedDomain and the Remote Connectivity Analyzer\'s DANE Validation test.';
const UNSIGNED_FIX =
  'Sign the zone where it is hosted (your DNS provider) and publish its DS at the registrar: senders only use DANE when the MX answer itself is validated (RFC 7672 2.2.1). ' +
  'Enable-DnssecForVerifiedDomain gave the mx.microsoft MX, which is in Microsoft\'s signed zone, but it does not sign yours; then Enable-SmtpDaneInbound.';
const OTHER_TLSA_FIX =
  'Publish a TLSA record for the host\'s certificate at _25._tcp.<host>, e.g. "3 1 1 <SHA-256 of its public key>" (DANE-EE SPKI SHA2-256, RFC 7671 5.1), with the host\'s operator; keep it in step with the certificate (publish the next key\'s record before the switch, RFC 7671 8.1).';
const UNUSABLE_FIX =
  'Replace them with DANE-EE(3) or DANE-TA(2) records ("3 1 1 <SHA-256 of the server\'s public key>" is the usual one): SMTP clients treat PKIX-TA(0) and PKIX-EE(1) as unusable (RFC 7672 3.1.3) and ignore unknown selectors and matching types (RFC 7671 4.1), so DANE senders only insist on some TLS.';
const MISMATCH_FIX = (microsoft: boolean): string =>
  microsoft
    ? 'Microsoft publishes and rotates these records: check Get-DnssecStatusForVerifiedDomain and the Remote Connectivity Analyzer\'s DANE Validation test, and open a case if they stay out of step. If something between you and the MX terminates TLS, the certificate seen here is not Microsoft\'s.'
    : 'Publish a TLSA record that matches the certificate the host serves now (or serve the certificate the record names): DANE senders defer mail to a host whose chain matches no record (RFC 7672 2.2, Exchange Online outbound: 5.7.323 tlsa-invalid). Roll over by publishing the next record before the switch (RFC 7671 8.1).';
const LEGACY_FIX = (domain: string): string =>
  `Inbound DANE to Exchange Online needs the mx.microsoft MX: Enable-DnssecForVerifiedDomain -DomainName ${domain} gives the value to publish; move the MX to it, then run Enable-SmtpDaneInbound.`;

/**
 * The DANE facts and findings of a domain's MX hosts (see the module
 * comment). Without a secure client the area is `unknown` with a reason;
 * never throws.
 */
export async function checkDane(ctx: TransportContext, mx: readonly DaneMxInput[], opts: DaneOptions): Promise<CheckResult<DaneSection>> {
  const { dnssec } = opts;
  const domain = dnssec.domain;
  const state = dnssec.state;
  const islanded = state === 'signed' && dnssec.ds === false;
  const mxSecure = state === 'validated' ? true : state === 'unsigned' || state === 'bogus' || islanded ? false : null;
  const section: DaneSection = { status: 'unknown', mxSecure, hosts: [], hostsTotal: mx.length, reason: null, queries: 0 };
  const findings: Finding[] = [];
  // The first MAX_LISTED hosts are checked (one TLSA query each at most): an MX RRset of 500 hosts costs 20.
  const hosts = capList(mx, MAX_LISTED).map((m) => ({ host: m.host.toLowerCase().replace(/\.$/, ''), microsoft: m.microsoft }));
  const undecided: string[] = [];

  for (const m of hosts) {
    if (m.microsoft === 'mx-microsoft' && mxSecure === false && state !== 'bogus') {
      findings.push(finding('DANE_MX_UNSIGNED', `${m.host} is Microsoft's DNSSEC MX, but ${domain}'s zone ${islanded ? 'has no DS at its parent' : 'is not signed'}, so its MX answer cannot be validated and senders cannot use DANE.`, {
        evidence: `${domain} MX ${m.host}; DNSSEC: ${state}${islanded ? ', no DS' : ''}`,
        fix: UNSIGNED_FIX,
      }));
    }
  }
  if (state === 'validated' && hosts.some((h) => h.microsoft === 'legacy') && !hosts.some((h) => h.microsoft === 'mx-microsoft')) {
    const legacy = hosts.find((h) => h.microsoft === 'legacy') as DaneMxInput;
    findings.push(finding('DANE_MX_LEGACY', `${domain}'s zone is validated, but its Microsoft 365 MX is the legacy host ${legacy.host}, which Microsoft does not sign: inbound DANE cannot apply.`, {
      evidence: `${domain} MX ${legacy.host}`,
      fix: LEGACY_FIX(domain),
    }));
  }

  const secure = ctx.secure;
  for (const m of hosts) {
    const host: DaneHost = { host: m.host, microsoft: m.microsoft, tlsaName: `_25._tcp.${m.host}`, tlsa: 'not-asked', records: [], recordsTotal: 0, usable: 0, chain: null, matched: null };
    section.hosts.push(host);
    const wanted = m.microsoft === 'mx-microsoft' || (m.microsoft === null && (state === 'validated' || state === 'signed'));
    if (!wanted || !secure) continue;
    const records = await lookupTlsa(ctx, host, section, findings);
    if (records === null) {
      if (host.tlsa === 'unvalidated') undecided.push(`${host.tlsaName}: the resolver did not validate the TLSA answer`);
      continue;
    }
    if (records.length === 0) {
      const ms = m.microsoft === 'mx-microsoft';
      const why = host.tlsa === 'insecure' ? `has TLSA records, but in an unsigned zone: senders ignore them (RFC 7672 2.2)` : 'has no TLSA record';
      findings.push(finding('DANE_TLSA_MISSING', `${host.tlsaName} ${why}, so senders cannot use DANE for ${m.host}.`, {
        evidence: `${host.tlsaName} TLSA: ${host.tlsa === 'insecure' ? `${host.recordsTotal} unsigned` : 'none'}`,
        fix: ms ? ENABLE_FIX(domain) : OTHER_TLSA_FIX,
        alternate: !ms,
      }));
      continue;
    }
    if (host.usable === 0) {
      findings.push(finding('DANE_TLSA_UNUSABLE', `${host.tlsaName} holds only TLSA records SMTP cannot use (${[...new Set(host.records.map((r) => r.problem))].join(', ')}), so DANE senders cannot authenticate ${m.host}.`, {
        evidence: host.records.map((r) => `${r.usage} ${r.selector} ${r.matchingType}`).join(', '),
        fix: UNUSABLE_FIX,
      }));
      continue;
    }
    const chain = opts.chains?.get(m.host);
    if (!chain?.chain || chain.chain.length === 0) continue;
    const result = matchTlsa(records, chain, { names: [m.host, domain] });
    if (result.match) {
      host.chain = 'match';
      const r = result.match.record;
      host.matched = { usage: r.usage, selector: r.selector, matchingType: r.matchingType, depth: result.match.depth };
      continue;
    }
    host.chain = 'mismatch';
    const leaf = chain.chain[0];
    findings.push(finding('DANE_TLSA_MISMATCH', `None of the ${host.usable} usable TLSA record${host.usable === 1 ? '' : 's'} at ${host.tlsaName} matches the certificate chain ${m.host} presented: DANE senders will not deliver to it.`, {
      evidence: capText(`leaf ${leaf?.subject || '(no subject)'} SPKI SHA-256 ${leaf?.spkiSha256 ?? ''}; TLSA ${records.filter((r) => tlsaProblem(r) === null).map((r) => `${r.usage} ${r.selector} ${r.matchingType} ${r.data.slice(0, 16)}…`).join(', ')}${result.notes.length > 0 ? `; ${result.notes.join('; ')}` : ''}`),
      fix: MISMATCH_FIX(m.microsoft === 'mx-microsoft'),
    }));
  }

  if (!secure) section.reason = 'no secure DNS client was given (TLSA needs the raw client: createSecureDnsClient)';
  else if (undecided.length > 0) section.reason = undecided.join('; ');
  else if (state === 'unknown' && hosts.length > 0) section.reason = `the domain's DNSSEC state is unknown${dnssec.reason ? ` (${dnssec.reason})` : ''}`;
  const status = statusFrom(findings);
  section.status = status === 'pass' && section.reason !== null ? 'unknown' : status;
  return { section, findings };
}

/**
 * The TLSA lookup of one host: its state and records on `host`; the usable
 * records when the answer counts (validated), [] when there are none that
 * count (none, or unsigned), null when nothing can be said (unvalidated,
 * bogus, failed: the finding, if any, is pushed).
 */
async function lookupTlsa(ctx: TransportContext, host: DaneHost, section: DaneSection, findings: Finding[]): Promise<TlsaRecord[] | null> {
  const secure = ctx.secure as NonNullable<TransportContext['secure']>;
  section.queries++;
  let answer = await secure.query(host.tlsaName, 'TLSA');
  if (answer.kind === 'servfail') {
    section.queries++;
    const withCd = await secure.query(host.tlsaName, 'TLSA', { cd: true });
    if (withCd.kind === 'records' || withCd.kind === 'nodata' || withCd.kind === 'nxdomain') {
      section.queries++;
      answer = await secure.query(host.tlsaName, 'TLSA');
      if (answer.kind === 'servfail') {
        host.tlsa = 'bogus';
        findings.push(finding('DNSSEC_BOGUS', `DNSSEC validation of ${host.tlsaName} fails: the resolver answers SERVFAIL for its TLSA, and answers with CD set. DANE senders defer mail to ${host.host} (RFC 7672 2.1.1).`, {
          evidence: `${host.tlsaName} TLSA: SERVFAIL twice; with CD: ${withCd.kind}`,
          fix: host.microsoft === 'mx-microsoft' ? 'The TLSA is Microsoft\'s: check Get-DnssecStatusForVerifiedDomain and open a case with Microsoft.' : 'Repair the signatures of the zone that holds the TLSA (expired RRSIGs or a DS that matches no key).',
        }));
        return null;
      }
    } else {
      answer = withCd.kind === 'tempfail' ? withCd : { kind: 'tempfail', reason: 'servfail', code: 'ESERVFAIL' };
    }
  }
  if (answer.kind === 'tempfail') {
    host.tlsa = 'failed';
    findings.push(tempfailFinding(host.tlsaName, 'TLSA', answer));
    return null;
  }
  if (answer.kind !== 'records') {
    host.tlsa = 'none';
    return [];
  }
  host.recordsTotal = answer.recordsTotal;
  host.records = capList(answer.records, MAX_LISTED).map((r) => ({ ...r, data: capText(r.data), acronyms: tlsaAcronyms(r), problem: tlsaProblem(r) }));
  host.usable = answer.records.filter((r) => tlsaProblem(r) === null).length;
  if (answer.ad) {
    host.tlsa = 'validated';
    return answer.records;
  }
  if (answer.rrsigs > 0 || !answer.dnssecOk) {
    host.tlsa = 'unvalidated';
    return null;
  }
  host.tlsa = 'insecure';
  return [];
}
