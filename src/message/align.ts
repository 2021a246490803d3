/**
 * DMARC for a received message, as today's DNS has it: the RFC 5322.From
 * domain, its policy by the project's discovery (dmarc/discover.ts, the
 * RFC 9989 DNS tree walk), identifier alignment of the SPF-authenticated
 * domain and of each passing DKIM d= with the From domain, relaxed or strict
 * per aspf= and adkim=, the DMARC result, and the policy that would apply
 * (p, sp or np; one level lower under t=y). Typed data, no findings.
 *
 * Relaxed alignment compares Organizational Domains from the public suffix
 * list (domain/normalize.ts, tldts), as RFC 7489 3.2 defined them and
 * receivers still compute them; RFC 9989's tree walk is used for the policy.
 */
import type { LookupContext } from '../dns/context.js';
import type { TempfailReason } from '../dns/types.js';
import { discoverDmarcPolicy, type AppliedDmarc } from '../dmarc/discover.js';
import type { DmarcAlignment, DmarcPolicy } from '../dmarc/parse.js';
import { canonicalName, normalizeDomain, organizationalDomain } from '../domain/normalize.js';
import type { SpfResult } from '../spf/evaluate.js';
import { capText, capTexts } from '../util/caps.js';
import type { DkimResult } from './dkim-verify.js';

/** The DMARC result (RFC 9989, in RFC 8601's words): `none` when the From domain has no policy record. */
export type DmarcResult = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror';

/** What is wrong with the From field for DMARC: none, several domains, or an address whose domain is not a domain name. */
export type FromProblemKind = 'no-from' | 'several-from-domains' | 'from-invalid';

/** A From problem and its sentence: DMARC cannot be evaluated (`permerror`). */
export interface FromProblem {
  kind: FromProblemKind;
  message: string;
}

/** What alignment is computed from. */
export interface DmarcAlignmentInput {
  /** Every address of the RFC 5322 From field(s), all fields taken together (as the header parser found them, `user@domain`). */
  from: readonly string[];
  /** The SPF-authenticated identity and its result (from lookupMessageSpf: `domain`, `result`), or null when SPF was not evaluated. */
  spf: { domain: string; result: SpfResult } | null;
  /** Each DKIM signature's d= and result (from the DKIM verdicts). */
  dkim: readonly { domain: string; result: DkimResult }[];
}

/** The policy record that applies to the From domain. */
export interface DmarcPolicyFacts {
  /** The domain whose record applies, and how: its own, its Organizational Domain's, or its Public Suffix Domain's (RFC 9989 4.10). */
  domain: string;
  relation: AppliedDmarc['relation'];
  record: string;
  p: DmarcPolicy | null;
  sp: DmarcPolicy | null;
  np: DmarcPolicy | null;
  adkim: DmarcAlignment;
  aspf: DmarcAlignment;
  /** t=y: receivers apply one level below the policy. */
  testing: boolean;
}

/** The policy a receiver would apply to a failing message: which tag, its value, and after t=y. */
export interface AppliedPolicy {
  /** p: the From domain is the policy domain; sp: an existing subdomain of it; np: a subdomain that does not exist (NXDOMAIN, RFC 9989 and RFC 8020). */
  tag: 'p' | 'sp' | 'np';
  /** As published (p absent: none). */
  policy: DmarcPolicy;
  /** After t=y (reject → quarantine, quarantine → none); equal to `policy` otherwise. */
  effective: DmarcPolicy;
  /** Whether the From domain exists, when np had to be told from sp (`unknown`: that lookup failed, and sp is shown); null when not asked. */
  fromDomainExists: boolean | 'unknown' | null;
}

/** One identifier's alignment. */
export interface IdentifierAlignment {
  /** The identifier's domain (the SPF-authenticated domain, or a DKIM d=), or null when there is none. */
  domain: string | null;
  /** Its result (SPF or DKIM), or null. */
  result: SpfResult | DkimResult | null;
  /** It passed and its domain aligns with the From domain under the mode. */
  aligned: boolean;
  /** Its domain aligns with the From domain, pass or not. */
  domainAligned: boolean;
}

/** A DNS lookup that failed (TEMPFAIL). */
export interface AlignDnsFailure {
  name: string;
  reason: TempfailReason;
  code: string;
}

/** DMARC for one message. */
export interface DmarcAlignmentVerdict {
  /** The RFC 5322.From domain (ASCII), or null when `fromProblem`. */
  fromDomain: string | null;
  /** Its Organizational Domain (public suffix list). */
  organizationalDomain: string | null;
  fromProblem: FromProblem | null;
  /** The record that applies, or null (none found, the lookup failed, or a From problem). */
  policy: DmarcPolicyFacts | null;
  /** `r` relaxed (the default) or `s` strict, per aspf= and adkim=. */
  spfMode: DmarcAlignment;
  dkimMode: DmarcAlignment;
  spf: IdentifierAlignment;
  /** One entry per DKIM signature, in the order given. */
  dkim: IdentifierAlignment[];
  /** Some passing signature's d= aligns. */
  dkimAligned: boolean;
  result: DmarcResult;
  /** What a receiver applies when the result is fail (shown for every result with a policy); null without a policy. */
  appliedPolicy: AppliedPolicy | null;
  /** The policy lookup that failed, for temperror. */
  dnsFailure: AlignDnsFailure | null;
}

/**
 * Whether two domains align (RFC 7489 3.1; RFC 9989 4.4): strict, the same
 * name; relaxed, the same Organizational Domain. Pure.
 */
export function domainsAlign(a: string, b: string, mode: DmarcAlignment): boolean {
  const x = canonicalName(a);
  const y = canonicalName(b);
  if (x === '' || y === '') return false;
  return mode === 's' ? x === y : organizationalDomain(x) === organizationalDomain(y);
}

/**
 * The one From domain DMARC evaluates (RFC 9989 4.4, RFC 7489 6.6.1): every
 * address must have a domain, and all must share it; none or several is a
 * FromProblem. Pure.
 */
export function fromDomainOf(addresses: readonly string[]): { domain: string } | { problem: FromProblem } {
  if (addresses.length === 0) return { problem: { kind: 'no-from', message: 'the message has no From address, so DMARC cannot be evaluated' } };
  const domains = new Set<string>();
  for (const address of addresses) {
    const at = address.lastIndexOf('@');
    const n = at > 0 ? normalizeDomain(address.slice(at + 1).replace(/>\s*$/, '')) : null;
    if (!n?.ok) return { problem: { kind: 'from-invalid', message: `the From address "${capText(address, 120)}" has no usable domain, so DMARC cannot be evaluated` } };
    domains.add(n.domain);
  }
  if (domains.size > 1) {
    return { problem: { kind: 'several-from-domains', message: `the From field names ${domains.size} domains (${capTexts([...domains], 5).join(', ')}); DMARC evaluates one, and receivers may reject such a message` } };
  }
  return { domain: [...domains][0] as string };
}

const ONE_LOWER: Record<DmarcPolicy, DmarcPolicy> = { reject: 'quarantine', quarantine: 'none', none: 'none' };

/**
 * DMARC for a message's From domain against today's DNS: policy discovery
 * (at most 8 TXT lookups), one A lookup of the From domain when np= must be
 * told from sp=, and alignment of the SPF and DKIM identifiers given. Pass
 * when one aligned identifier passed; fail otherwise; none without a policy;
 * temperror when the policy lookup failed; permerror for a From problem.
 * Never throws.
 */
export async function lookupDmarcAlignment(ctx: LookupContext, input: DmarcAlignmentInput): Promise<DmarcAlignmentVerdict> {
  const from = fromDomainOf(input.from);
  const fromDomain = 'domain' in from ? from.domain : null;
  const discovery = fromDomain === null ? null : await discoverDmarcPolicy(ctx, fromDomain);
  const applied = discovery?.applied ?? null;
  const rec = applied?.record ?? null;
  const spfMode: DmarcAlignment = rec?.aspf ?? 'r';
  const dkimMode: DmarcAlignment = rec?.adkim ?? 'r';
  const align = (domain: string | null, result: SpfResult | DkimResult | null, mode: DmarcAlignment): IdentifierAlignment => {
    const domainAligned = fromDomain !== null && domain !== null && domainsAlign(domain, fromDomain, mode);
    return { domain: domain === null ? null : capText(canonicalName(domain), 256), result, aligned: domainAligned && result === 'pass', domainAligned };
  };
  const spf = align(input.spf?.domain ?? null, input.spf?.result ?? null, spfMode);
  const dkim = input.dkim.map((d) => align(d.domain, d.result, dkimMode));
  const dkimAligned = dkim.some((d) => d.aligned);
  const tempfail = discovery?.tempfail ?? null;
  const result: DmarcResult = fromDomain === null ? 'permerror' : tempfail ? 'temperror' : !rec ? 'none' : spf.aligned || dkimAligned ? 'pass' : 'fail';
  const policy: DmarcPolicyFacts | null = applied && rec
    ? { domain: applied.domain, relation: applied.relation, record: capText(rec.raw), p: rec.p, sp: rec.sp, np: rec.np, adkim: rec.adkim, aspf: rec.aspf, testing: rec.testing }
    : null;
  return {
    fromDomain,
    organizationalDomain: fromDomain === null ? null : organizationalDomain(fromDomain),
    fromProblem: 'problem' in from ? from.problem : null,
    policy,
    spfMode,
    dkimMode,
    spf,
    dkim,
    dkimAligned,
    result,
    appliedPolicy: policy && fromDomain !== null ? await appliedPolicyOf(ctx, fromDomain, policy) : null,
    dnsFailure: tempfail ? { name: tempfail.name, reason: tempfail.answer.reason, code: tempfail.answer.code } : null,
  };
}

/**
 * The policy tag that governs the From domain (RFC 9989 4.7): p at the
 * policy domain itself; below it, np for a name that does not exist
 * (NXDOMAIN, RFC 8020) and sp otherwise, each falling back to the next
 * (np → sp → p). p absent is read as none (RFC 9989 4.7).
 */
async function appliedPolicyOf(ctx: LookupContext, fromDomain: string, policy: DmarcPolicyFacts): Promise<AppliedPolicy> {
  const p = policy.p ?? 'none';
  const done = (tag: AppliedPolicy['tag'], value: DmarcPolicy, exists: AppliedPolicy['fromDomainExists']): AppliedPolicy => ({
    tag, policy: value, effective: policy.testing ? ONE_LOWER[value] : value, fromDomainExists: exists,
  });
  if (canonicalName(fromDomain) === canonicalName(policy.domain)) return done('p', p, null);
  const sp = policy.sp ?? p;
  if (policy.np === null || policy.np === sp) return done(policy.sp ? 'sp' : 'p', sp, null);
  const a = await ctx.dns.resolve(fromDomain, 'A');
  if (a.kind === 'nxdomain') return done('np', policy.np, false);
  return done(policy.sp ? 'sp' : 'p', sp, a.kind === 'tempfail' ? 'unknown' : true);
}
