/**
 * DNSSEC status of a domain, as far as DNS can say: whether the resolver
 * validated the domain's answers (the AD bit, RFC 4035 §3.2.3), whether they
 * are signed at all (RRSIGs with the DO bit, RFC 3225 §3), or whether
 * validation fails (bogus: SERVFAIL without CD and an answer with CD,
 * RFC 4035 §3.2.2 and §5.5). m365audit verifies no signature itself: the AD
 * bit is the resolver's word (RFC 4035 §4.9.3), so `validated` needs a
 * validating resolver (--dns-server).
 *
 * The question asked is `<domain> MX` with DO: the answer DANE needs to be
 * secure (RFC 7672 §2.2.1: an insecure MX RRset turns DANE off), and one
 * any domain answers (records or NODATA, both signed in a signed zone; a
 * DNSKEY query, checkdmarc's, is NODATA below a zone apex). Queries per
 * domain, counted in the section (this runs once per domain in batches of
 * 100,000):
 *
 * | state | queries | how it is decided |
 * |---|---|---|
 * | validated | 1 | MX answer with AD |
 * | unsigned | 1 | no AD, no RRSIG, DO echoed (a DNSSEC-aware resolver would have passed RRSIGs on; a validating one SERVFAILs a zone whose parent has a DS and whose answers carry no signature, so no DS query is needed) |
 * | signed | 2 | no AD, RRSIGs; then `<domain> DS`: AD on it says the resolver validates (then no DS: an island, DNSSEC_NO_DS), none says it does not (DNSSEC_NOT_VALIDATED) |
 * | bogus | 3 | SERVFAIL; with CD an answer; without CD SERVFAIL again (one transient SERVFAIL is not bogus) |
 * | unknown | 1-3 | no secure client, a failed lookup (DNS_TEMPFAIL), SERVFAIL with CD too, or no DO echoed (a resolver that is not DNSSEC-aware) |
 *
 * Limits: with a resolver that passes RRSIGs on but does not validate, a
 * zone whose parent has a DS and that serves no signatures (which a
 * validator calls bogus) reads as unsigned; and only the MX answer is
 * judged, not every RRset of the zone.
 */
import type { SecureAnswer } from '../dns/types.js';
import { finding, type CheckResult, type Finding } from '../findings/catalog.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../findings/status.js';
import type { TransportContext } from './context.js';

/** What DNS says of a domain's DNSSEC (see the module comment). */
export type DnssecState = 'validated' | 'signed' | 'unsigned' | 'bogus' | 'unknown';

/**
 * The DNSSEC part of a DomainReport: the state and the facts behind it.
 * `resolverValidates` lets a run say once what the resolver can do (a run
 * summary groups the domains with DNSSEC_NOT_VALIDATED by it): true when the
 * resolver set AD on an answer here, false when it passed signatures on and
 * never set AD (it does not validate), null when this domain cannot tell
 * (an unsigned zone looks the same to both kinds).
 */
export interface DnssecSection {
  status: AreaStatus;
  state: DnssecState;
  /** The domain asked about (its MX answer). */
  domain: string;
  /** The resolver set AD on the MX answer (null: no answer). */
  ad: boolean | null;
  /** RRSIGs came with the MX answer (null: no answer). */
  rrsigs: boolean | null;
  /** A DS for the zone at its parent; null when not asked (validated, unsigned) or not known. */
  ds: boolean | null;
  resolverValidates: boolean | null;
  /** Why the state is `unknown`, or a note on `signed`; null otherwise. */
  reason: string | null;
  /** Queries this check asked the secure client (answers from its cache included). */
  queries: number;
}

/** How the customer signs a zone; Enable-DnssecForVerifiedDomain (reference R2.4) is Microsoft's side only. */
const SIGN_FIX =
  'Turn DNSSEC signing on where the zone is hosted (your DNS provider) and publish the DS record it gives at your registrar. ' +
  'Microsoft 365 does not sign your zone: Enable-DnssecForVerifiedDomain only gives you an MX in Microsoft\'s signed mx.microsoft zone; ' +
  'inbound SMTP DANE needs both, then Enable-SmtpDaneInbound (RFC 7672 2.2.1: an unsigned MX answer turns DANE off).';
const VALIDATE_FIX =
  'Audit through a validating resolver (--dns-server): m365audit takes the resolver\'s AD bit as its word (RFC 4035 4.9.3) and verifies no signature itself.';
const BOGUS_FIX =
  'Repair the chain of trust: a DS at the registrar that matches no DNSKEY of the zone (after a key rollover or a move to another DNS host) or expired signatures are the usual causes. ' +
  'Publish the DS of the current key (or remove the stale DS to go unsigned), or re-sign the zone; DNSViz (dnsviz.net) shows which link breaks.';
const DS_FIX = 'Publish the DS record your DNS host gives for the zone\'s key at your registrar (the parent zone); until then validators treat the zone as unsigned (RFC 4035 4.3).';

type MxAnswer = SecureAnswer<unknown>;
type Answered = Extract<MxAnswer, { kind: 'records' | 'nodata' | 'nxdomain' }>;

/**
 * The DNSSEC state of `domain` through `ctx.secure` (see the module
 * comment for the queries and the rules). Without a secure client the
 * state is `unknown` with a reason; never throws.
 */
export async function checkDnssec(ctx: TransportContext, domain: string): Promise<CheckResult<DnssecSection>> {
  const section: DnssecSection = { status: 'unknown', state: 'unknown', domain, ad: null, rrsigs: null, ds: null, resolverValidates: null, reason: null, queries: 0 };
  const secure = ctx.secure;
  if (!secure) return unknown(section, 'no secure DNS client was given (DNSSEC needs the raw client: createSecureDnsClient)', []);
  const ask = (cd: boolean): Promise<MxAnswer> => {
    section.queries++;
    return secure.query(domain, 'MX', { cd });
  };
  let mx = await ask(false);
  if (mx.kind === 'servfail') {
    const withCd = await ask(true);
    if (withCd.kind === 'tempfail') return unknown(section, 'the MX lookup failed', [tempfailFinding(domain, 'MX', withCd)]);
    if (withCd.kind === 'servfail') {
      return unknown(section, 'the resolver answers SERVFAIL with and without CD: a failure, not a validation result', [tempfailFinding(domain, 'MX', { kind: 'tempfail', reason: 'servfail', code: 'ESERVFAIL' })]);
    }
    // One SERVFAIL may be transient (an authoritative server timed out): ask again without CD.
    mx = await ask(false);
    if (mx.kind === 'servfail') return bogus(section, domain);
  }
  if (mx.kind === 'tempfail') return unknown(section, 'the MX lookup failed', [tempfailFinding(domain, 'MX', mx)]);
  return decide(ctx, section, domain, mx);
}

async function decide(ctx: TransportContext, section: DnssecSection, domain: string, mx: Answered): Promise<CheckResult<DnssecSection>> {
  section.ad = mx.ad;
  section.rrsigs = mx.rrsigs > 0;
  const evidence = `${domain} MX: AD=${mx.ad ? 1 : 0}, ${mx.rrsigs} RRSIG${mx.rrsigs === 1 ? '' : 's'}`;
  if (mx.ad) {
    section.state = 'validated';
    section.resolverValidates = true;
    return done(section, []);
  }
  if (!mx.dnssecOk) {
    section.resolverValidates = false;
    return unknown(section, 'the resolver is not DNSSEC-aware: its reply did not carry the DO bit back (RFC 3225 3), so a missing signature proves nothing', []);
  }
  if (mx.rrsigs === 0) {
    section.state = 'unsigned';
    return done(section, [finding('DNSSEC_UNSIGNED', `${domain}'s answers are not signed: no RRSIG came with its MX answer from a DNSSEC-aware resolver, so senders cannot authenticate its MX.`, { evidence, fix: SIGN_FIX })]);
  }
  section.state = 'signed';
  section.queries++;
  const ds = await (ctx.secure as NonNullable<TransportContext['secure']>).query(domain, 'DS');
  if (ds.kind === 'records' || ds.kind === 'nodata' || ds.kind === 'nxdomain') {
    const present = ds.kind === 'records';
    section.ds = present;
    const dsEvidence = `${evidence}; ${domain} DS: ${present ? `${ds.recordsTotal} record${ds.recordsTotal === 1 ? '' : 's'}` : 'none'}, AD=${ds.ad ? 1 : 0}`;
    if (ds.ad && !present) {
      section.resolverValidates = true;
      section.reason = 'the parent proves there is no DS: an island of security';
      return done(section, [finding('DNSSEC_NO_DS', `${domain}'s zone is signed, but its parent publishes no DS record, so validating resolvers treat it as unsigned (its MX answer came without AD).`, { evidence: dsEvidence, fix: DS_FIX })]);
    }
    if (ds.ad) {
      // The resolver validated the parent's DS but not the zone's answer: RFC 6840 5.2 (an algorithm it does not support is insecure).
      section.resolverValidates = true;
      section.reason = 'the resolver validated the DS but not the MX answer (an algorithm or digest it does not support is treated as unsigned, RFC 6840 5.2)';
      return done(section, [finding('DNSSEC_NOT_VALIDATED', `${domain}'s zone is signed and its parent has a DS, but the resolver did not validate the MX answer (no AD): it may not support the zone's algorithm.`, { evidence: dsEvidence, fix: VALIDATE_FIX })]);
    }
    if (present || ds.rrsigs > 0) {
      section.resolverValidates = false;
      return done(section, [finding('DNSSEC_NOT_VALIDATED', `${domain}'s zone is signed (RRSIGs came with its MX answer), but the resolver set the AD bit on no answer: it does not validate, so whether validation succeeds is not known.`, { evidence: dsEvidence, fix: VALIDATE_FIX })]);
    }
    section.reason = 'no DS at the parent, or the parent is not signed';
    return done(section, [finding('DNSSEC_NO_DS', `${domain}'s zone is signed, but no DS for it came from its parent (none published, or the parent is not signed): validating resolvers treat it as unsigned.`, { evidence: dsEvidence, fix: DS_FIX })]);
  }
  section.reason = `the DS lookup failed (${ds.code})`;
  return done(section, [finding('DNSSEC_NOT_VALIDATED', `${domain}'s zone is signed (RRSIGs came with its MX answer), but the resolver did not validate it (no AD), and the DS lookup failed.`, { evidence: `${evidence}; ${domain} DS: ${ds.code}`, fix: VALIDATE_FIX })]);
}

function bogus(section: DnssecSection, domain: string): CheckResult<DnssecSection> {
  section.state = 'bogus';
  section.resolverValidates = true;
  return done(section, [
    finding(
      'DNSSEC_BOGUS',
      `DNSSEC validation of ${domain} fails: the resolver answers SERVFAIL for its MX, and answers when validation is switched off (CD). Senders that validate, Exchange Online among them, cannot resolve its MX: mail is deferred, then bounced (Exchange Online: 5.7.324 dnssec-invalid).`,
      { evidence: `${domain} MX: SERVFAIL twice; with CD: an answer`, fix: BOGUS_FIX },
    ),
  ]);
}

function unknown(section: DnssecSection, reason: string, findings: Finding[]): CheckResult<DnssecSection> {
  section.state = 'unknown';
  section.reason = reason;
  section.status = 'unknown';
  return { section, findings };
}

function done(section: DnssecSection, findings: Finding[]): CheckResult<DnssecSection> {
  section.status = statusFrom(findings);
  return { section, findings };
}
