import type { AuditContext } from './context.js';
import type { DnsAnswer } from '../dns/types.js';
import { CLOUD_ENDPOINTS, dashed, detectCloud, tokenMatches, type Cloud } from '../m365/clouds.js';
import { classifyMxHost, expectedMxHost, type MxHost } from '../m365/mx.js';
import { canonicalName } from '../domain/normalize.js';
import { parseDkimTarget } from '../dkim/target.js';
import { parseDmarcRecord, type DmarcRecord } from '../dmarc/parse.js';
import { MAX_DNS_LOOKUPS } from '../spf/budget.js';
import { visible } from '../spf/macro.js';
import { mergeSpfRecords } from '../spf/merge.js';
import { isSpfRecord, spfIncludeHosts } from '../spf/parse.js';
import type { SpfProposalReview } from '../spf/lookups.js';
import type { HttpsClient } from '../http/client.js';
import { fetchMtaStsPolicy, mtaStsPolicyUrl } from '../transport/mta-sts.js';
import { matchMxPatterns, mxPatternFor, parseMtaStsPolicy, type MtaStsMode } from '../transport/mta-sts-policy.js';
import { isMtaStsRecord, looksLikeMtaStsRecord, parseMtaStsRecord } from '../transport/mta-sts-record.js';
import { isTlsRptRecord, parseTlsRptRecord } from '../transport/tls-rpt.js';

/**
 * A plan row against live DNS: `present` (published as needed), `change`
 * (something else is there), `add` (nothing is), `unknown` (the lookup failed).
 */
export type PlanStatus = 'present' | 'change' | 'add' | 'unknown';

/**
 * One record Microsoft 365 needs at the domain, with what DNS holds there
 * now; or, marked `optional`, transport hardening it does not need (MTA-STS,
 * TLS-RPT), which never makes a plan incomplete. `HTTPS` is not a DNS record:
 * the MTA-STS policy file, `name` its URL and `value` its text.
 */
export interface PlanRow {
  area: 'mx' | 'spf' | 'dkim' | 'dmarc' | 'autodiscover' | 'mta-sts' | 'tls-rpt';
  type: 'MX' | 'TXT' | 'CNAME' | 'HTTPS';
  /** Owner name, fully qualified, no trailing dot (HTTPS: the URL). */
  name: string;
  /** The value to publish (MX: the exchange; the priority is separate; HTTPS: the file, LF line ends). */
  value: string;
  priority?: number;
  status: PlanStatus;
  /** What DNS holds there now (HTTPS: the policy's lines as served, when it was fetched). */
  current: string[];
  notes: string[];
  /** Optional hardening (MTA-STS, TLS-RPT): not needed for Microsoft 365, never counted against the plan. */
  optional?: true;
}

/**
 * The records to publish for a domain and tenant (`m365audit plan`): one row
 * per record, and warnings about what only the domain owner can fix.
 */
export interface Plan {
  domain: string;
  tenant: string;
  cloud: Cloud;
  /** The domain does not exist yet: every row is `add`. */
  exists: boolean;
  rows: PlanRow[];
  warnings: string[];
}

/**
 * What planDomain may use: the audit context, and an HTTPS client to compare
 * a published MTA-STS policy with (without one its row is `unknown`).
 */
export interface PlanContext extends AuditContext {
  https?: HttpsClient | undefined;
}

/**
 * What the SPF check says of a record before it is published (see
 * reviewSpfProposal in spf/lookups.ts): its lookups and its error findings.
 */
export type SpfReviewer = (ctx: AuditContext, domain: string, record: string, cloud: Cloud) => Promise<SpfProposalReview>;


/**
 * The SPF record to publish for one live record (or none): see
 * mergeSpfRecords. Returns the record and whether it changed.
 */
export function mergeSpfInclude(record: string | null, includeHost: string): { value: string; changed: boolean } {
  const { value, changed } = mergeSpfRecords(record === null ? [] : [record], includeHost);
  return { value, changed };
}

function valuesOf(a: DnsAnswer<string>): string[] {
  return a.kind === 'records' ? a.records : [];
}

/**
 * The records Microsoft 365 needs at a domain, each marked present, change or
 * add against live DNS. The MX token and the DKIM targets follow Microsoft's
 * documented forms; the notes say where to confirm the exact values. A live
 * value the audit would flag as an error is never `present`. `tenant` is the
 * initial-domain prefix (`contoso`); `options.cloud` forces the cloud
 * (detected from DNS otherwise); `options.reviewSpf` judges the proposed SPF
 * record (usually reviewSpfProposal). Every lookup goes through `ctx.dns`;
 * never throws for DNS content: a failed lookup makes its row `unknown`.
 */
export async function planDomain(ctx: PlanContext, domain: string, tenant: string, options: { cloud?: Cloud; reviewSpf?: SpfReviewer } = {}): Promise<Plan> {
  const dns = ctx.dns;
  const [mx, txt, s1, s2, dmarc, autod, sts, tlsRpt] = await Promise.all([
    dns.resolve(domain, 'MX'),
    dns.resolve(domain, 'TXT'),
    dns.resolve(`selector1._domainkey.${domain}`, 'CNAME'),
    dns.resolve(`selector2._domainkey.${domain}`, 'CNAME'),
    dns.resolve(`_dmarc.${domain}`, 'TXT'),
    dns.resolve(`autodiscover.${domain}`, 'CNAME'),
    dns.resolve(`_mta-sts.${domain}`, 'TXT'),
    dns.resolve(`_smtp._tls.${domain}`, 'TXT'),
  ]);
  const exists = !(mx.kind === 'nxdomain' || txt.kind === 'nxdomain');
  const mxHosts = mx.kind === 'records' ? mx.records.map((r) => classifyMxHost(r.exchange, r.priority)).sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange)) : [];
  // The same rule as the audit's (MX, DKIM targets, SPF include, autodiscover): a GCC High tenant without an MX yet is planned as GCC High.
  const dkimCloud = [s1, s2].flatMap((a) => valuesOf(a)).map((v) => parseDkimTarget(v)?.cloud).find((c) => c) ?? null;
  const cloud = options.cloud ?? ctx.cloud ?? detectCloud({
    mx: mxHosts.find((h) => h.cloud)?.cloud ?? null,
    dkim: dkimCloud,
    spfIncludes: spfIncludeHosts(valuesOf(txt)),
    autodiscoverTarget: valuesOf(autod)[0],
  });
  const ep = CLOUD_ENDPOINTS[cloud];
  const rows: PlanRow[] = [];
  const warnings: string[] = [];

  // Each row's own lookups in parallel; warnings kept in row order, so that output is deterministic.
  const mxWarnings: string[] = [];
  const spfWarnings: string[] = [];
  const dmarcWarnings: string[] = [];
  rows.push(...await Promise.all([
    planMx(ctx, domain, tenant, cloud, mx, mxHosts, mxWarnings),
    planSpf(ctx, domain, cloud, txt, options.reviewSpf, spfWarnings),
    planDkim(ctx, domain, tenant, cloud, 1, s1),
    planDkim(ctx, domain, tenant, cloud, 2, s2),
  ]));
  rows.push(planDmarc(domain, dmarc, dmarcWarnings));
  warnings.push(...mxWarnings, ...spfWarnings, ...dmarcWarnings);

  // Autodiscover: an address record there (on-premises Exchange) must give way to the CNAME.
  const adCurrent = valuesOf(autod).map((v) => canonicalName(v));
  const adAddress = autod.kind === 'nodata' ? await dns.resolve(`autodiscover.${domain}`, 'A') : null;
  const adAddresses = adAddress ? valuesOf(adAddress) : [];
  let adStatus: PlanStatus = 'add';
  if (failed(autod) || (adAddress && failed(adAddress))) adStatus = 'unknown';
  else if (adCurrent.includes(ep.autodiscover)) adStatus = 'present';
  else if (adCurrent.length > 0 || adAddresses.length > 0) adStatus = 'change';
  rows.push({
    area: 'autodiscover', type: 'CNAME', name: `autodiscover.${domain}`, value: ep.autodiscover, status: adStatus,
    current: [...adCurrent, ...adAddresses.map((a) => `A ${a}`)],
    notes: adAddresses.length > 0 ? ['Remove the A record when mailboxes have moved: a CNAME cannot sit beside it.'] : [],
  });

  // Optional hardening, after what Microsoft 365 needs: MTA-STS (its TXT and policy file) and TLS-RPT.
  const microsoftMx = [...new Set([rows.find((r) => r.area === 'mx')?.value ?? expectedMxHost(domain, cloud, tenant), ...mxHosts.filter((h) => h.kind === 'm365' || h.kind === 'm365-dnssec').map((h) => h.exchange)])];
  rows.push(...await planMtaSts(ctx, domain, sts, microsoftMx), planTlsRpt(domain, tlsRpt));

  if (!exists) for (const r of rows) r.status = 'add';
  // An optional row never makes the plan incomplete: its unknown status is said in its own notes.
  if (rows.some((r) => r.status === 'unknown' && !r.optional)) warnings.push('Some lookups failed (timeout or SERVFAIL): rows marked unknown could not be compared with live DNS.');
  return { domain, tenant, cloud, exists, rows, warnings };
}

/** Seconds a sender caches the policy in the plan's proposal: one week, as in Microsoft's example (Learn, "Enhancing mail flow with MTA-STS"). */
const PLAN_MAX_AGE = 604_800;

/** A policy id from the clock, `20260427T093000` (RFC 8461 §3.1: 1 to 32 letters and digits; a date is the usual choice). */
function policyId(now: Date): string {
  return now.toISOString().slice(0, 19).replace(/[-:]/g, '');
}

/** The policy file's text: version first, then the mode, one mx line per pattern, max_age (RFC 8461 §3.2), LF line ends. */
function policyText(mode: MtaStsMode, patterns: readonly string[], maxAge: number): string {
  return ['version: STSv1', `mode: ${mode}`, ...patterns.map((p) => `mx: ${p}`), `max_age: ${maxAge}`, ''].join('\n');
}

/**
 * MTA-STS, optional (RFC 8461): the `_mta-sts` TXT and the policy file for
 * Microsoft 365's MX (mode testing first, Microsoft's own advice), each
 * compared with what is live. The policy is fetched only when the context
 * has an HTTPS client; without one a published record's policy is `unknown`.
 */
async function planMtaSts(ctx: PlanContext, domain: string, sts: DnsAnswer<string>, microsoftMx: readonly string[]): Promise<PlanRow[]> {
  const name = `_mta-sts.${domain}`;
  const url = mtaStsPolicyUrl(domain);
  const current = valuesOf(sts).filter((t) => isMtaStsRecord(t) || looksLikeMtaStsRecord(t));
  const kept = current.filter(isMtaStsRecord);
  const parsed = kept.length === 1 ? parseMtaStsRecord(kept[0] as string) : null;
  const usable = parsed?.ok === true && current.length === 1;
  const txtRow: PlanRow = {
    area: 'mta-sts', type: 'TXT', name, optional: true, current,
    value: usable ? (kept[0] as string) : `v=STSv1; id=${policyId(ctx.clock?.() ?? new Date())}`,
    status: failed(sts) ? 'unknown' : usable ? 'present' : current.length > 0 ? 'change' : 'add',
    notes: [
      `Publish it only once ${url} is served: a record whose policy cannot be fetched is an error (MTA_STS_POLICY_UNAVAILABLE).`,
      'Give it a new id whenever the policy file changes (mode testing to enforce, an mx line added): senders fetch the policy again only then.',
    ],
  };
  if (current.length > 1) txtRow.notes.unshift(`${current.length} records meant as MTA-STS now: senders ignore them all; publish this one in their place.`);
  const patterns = [...new Set(microsoftMx.map(mxPatternFor))];
  const fileRow: PlanRow = {
    area: 'mta-sts', type: 'HTTPS', name: url, optional: true, current: [],
    value: policyText('testing', patterns, PLAN_MAX_AGE),
    status: failed(sts) ? 'unknown' : current.length === 0 ? 'add' : 'unknown',
    notes: [
      `Serve it with HTTP 200, "Content-Type: text/plain" and no redirect, from the host mta-sts.${domain} (an A/AAAA or CNAME to your web server) with a certificate valid for that name (RFC 8461 §3.3): Exchange Online does not host it for your domain.`,
      'Start in mode testing; once the TLS-RPT reports show no failures, change it to mode enforce and publish a new id in the _mta-sts record.',
      'Add an mx line for every other MX host that stays (a gateway in front of Exchange Online): in mode enforce senders refuse a host no line covers.',
    ],
  };
  if (current.length > 0 && !failed(sts)) {
    if (!ctx.https) fileRow.notes.unshift('The live policy was not fetched (no HTTPS client), so it could not be compared.');
    else {
      const fetched = await fetchMtaStsPolicy(ctx.https, domain);
      fileRow.current = fetched.facts.lines;
      const live = fetched.body === null ? null : parseMtaStsPolicy(fetched.body);
      if (fetched.problem) {
        fileRow.status = 'change';
        fileRow.notes.unshift(`The live policy cannot be had: ${fetched.problem.what}.`);
      } else if (live && !live.ok) {
        fileRow.status = 'change';
        fileRow.notes.unshift(`The live policy does not parse: ${live.problem}.`);
      } else if (live?.ok) {
        const { mode, mx, maxAge } = live.policy;
        const uncovered = microsoftMx.filter((h) => matchMxPatterns(mx, h) === null);
        if (mode !== 'none' && uncovered.length === 0) {
          fileRow.status = 'present';
          fileRow.value = fetched.body ?? fileRow.value;
        } else {
          // Keep what the live policy says; add the Microsoft patterns it lacks (mode none: back to testing).
          fileRow.status = 'change';
          fileRow.value = policyText(mode === 'none' ? 'testing' : mode, [...new Set([...mx, ...uncovered.map(mxPatternFor)])], maxAge);
          if (mode === 'none') fileRow.notes.unshift('The live policy is mode none: MTA-STS is switched off.');
          if (uncovered.length > 0) fileRow.notes.unshift(`No mx line of the live policy covers ${uncovered.join(', ')}: lines added.`);
        }
      }
    }
  }
  // A changed policy needs a new id, or senders keep the one they cached (RFC 8461 §3.1).
  if (fileRow.status === 'change' && txtRow.status === 'present') {
    txtRow.status = 'change';
    txtRow.value = `v=STSv1; id=${policyId(ctx.clock?.() ?? new Date())}`;
    txtRow.notes.unshift('A new id, because the policy file changes.');
  }
  return [txtRow, fileRow];
}

/** TLS-RPT, optional (RFC 8460): one `_smtp._tls` record with a report address, recommended once MTA-STS or DANE is on. */
function planTlsRpt(domain: string, answer: DnsAnswer<string>): PlanRow {
  const current = valuesOf(answer).filter((t) => isTlsRptRecord(t) || /^[ \t]*v[ \t]*=[ \t]*tlsrpt/i.test(t));
  const usable = current.length === 1 && isTlsRptRecord(current[0] as string) && parseTlsRptRecord(current[0] as string).ok;
  const row: PlanRow = {
    area: 'tls-rpt', type: 'TXT', name: `_smtp._tls.${domain}`, optional: true, current,
    value: usable ? (current[0] as string) : `v=TLSRPTv1; rua=mailto:tls-reports@${domain}`,
    status: failed(answer) ? 'unknown' : usable ? 'present' : current.length > 0 ? 'change' : 'add',
    notes: ['Use a mailbox that exists (or an https: endpoint): senders that use MTA-STS or DANE send a daily report of failed TLS sessions there.'],
  };
  if (current.length > 1) row.notes.unshift(`${current.length} TLS-RPT records now: senders use none; publish this one in their place.`);
  return row;
}

function failed(a: DnsAnswer<unknown>): boolean {
  return a.kind === 'tempfail';
}

/** MX: Microsoft's host; a live Microsoft host without an address (MX_HOST_UNRESOLVED) is not present. */
async function planMx(ctx: AuditContext, domain: string, tenant: string, cloud: Cloud, mx: DnsAnswer<unknown>, mxHosts: MxHost[], warnings: string[]): Promise<PlanRow> {
  const m365 = mxHosts.filter((h) => h.kind === 'm365' || h.kind === 'm365-dnssec');
  const others = mxHosts.filter((h) => !(h.kind === 'm365' || h.kind === 'm365-dnssec'));
  const live = m365[0]?.exchange;
  const row: PlanRow = {
    area: 'mx', type: 'MX', name: domain, value: live ?? expectedMxHost(domain, cloud, tenant), priority: 0,
    status: failed(mx) ? 'unknown' : m365.length > 0 && others.length === 0 ? 'present' : mxHosts.length === 0 ? 'add' : 'change',
    current: mxHosts.map((h) => `${h.priority} ${h.exchange}`),
    notes: ['Confirm the exact MX value in the Microsoft 365 admin center (Settings → Domains): Microsoft adds a suffix to some tokens.'],
  };
  if (row.status === 'change' && others.length > 0) row.notes.push(`Replace ${others.map((h) => h.exchange).join(', ')} at cutover: Microsoft 365 expects one MX.`);
  if (live && row.status !== 'unknown') {
    const address = await ctx.dns.resolve(live, 'A');
    if (failed(address)) row.status = 'unknown';
    else if (address.kind !== 'records') {
      row.status = 'change';
      row.notes.unshift(`The live MX host ${live} has no address (${address.kind === 'nxdomain' ? 'NXDOMAIN' : 'no A record'}), so mail to it bounces: publish the value the admin center shows once the domain is added to the tenant.`);
      warnings.push(`The Microsoft 365 MX host ${live} has no address: the token is probably wrong, or the domain is not added to the tenant yet. Copy the MX value from the admin center.`);
    }
  }
  if (cloud === 'gcc-high' || cloud === 'dod') row.notes.push('GCC High names the MX after the tenant.');
  return row;
}

/** Reviews of a merged SPF record: the first, and one after each round of repairs (add the include, leave out terms, move the include). */
const MAX_SPF_REVIEWS = 4;

/**
 * SPF: the live record(s) merged with the cloud's include (mergeSpfRecords),
 * then reviewed by the SPF check as if published, and repaired where the
 * review shows how: the include is added only when the check does not find
 * it through another include or a redirect; terms that can only ever give
 * permerror, or let every address pass, are left out; the include moves to
 * the front when an earlier term keeps Microsoft 365's mail from passing.
 * What only the owner can decide (too many lookups) is a warning.
 */
async function planSpf(ctx: AuditContext, domain: string, cloud: Cloud, txt: DnsAnswer<string>, reviewSpf: SpfReviewer | undefined, warnings: string[]): Promise<PlanRow> {
  const records = valuesOf(txt).filter(isSpfRecord);
  const include = CLOUD_ENDPOINTS[cloud].spfInclude;
  const repairs = { leaveOut: new Map<string, string>(), includeFirst: false, addInclude: !reviewSpf || records.length === 0 };
  let merged = mergeSpfRecords(records, include, repairs);
  let review: SpfProposalReview | null = null;
  for (let round = 1; reviewSpf && !failed(txt); round++) {
    review = await reviewSpf(ctx, domain, merged.value, cloud);
    if (round === MAX_SPF_REVIEWS) break;
    const codes = new Set(review.errors.map((f) => f.code));
    const fresh = review.unsafeTerms.filter((u) => !repairs.leaveOut.has(u.term));
    const addInclude = !repairs.addInclude && (codes.has('SPF_NO_M365_INCLUDE') || codes.has('SPF_M365_INCLUDE_QUALIFIED'));
    // Added first, then moved only if Microsoft 365's mail still does not pass.
    const moveInclude = !addInclude && !repairs.includeFirst && codes.has('SPF_M365_NOT_PASS');
    if (fresh.length === 0 && !addInclude && !moveInclude) break;
    for (const u of fresh) repairs.leaveOut.set(u.term, u.reason);
    repairs.addInclude ||= addInclude;
    repairs.includeFirst ||= moveInclude;
    merged = mergeSpfRecords(records, include, repairs);
  }
  const row: PlanRow = {
    area: 'spf', type: 'TXT', name: domain, value: merged.value,
    status: failed(txt) ? 'unknown' : records.length === 0 ? 'add' : merged.changed ? 'change' : 'present',
    current: records, notes: [...merged.notes],
  };
  if (merged.dropped.length > 0 || merged.spacedBreaks) {
    const repairs = [
      ...(merged.spacedBreaks ? ['its line breaks are written as spaces'] : []),
      ...(merged.dropped.length > 0 ? [`left out of the proposal: ${quoteTerms(merged.dropped)}. Check that no sender needed them`] : []),
    ];
    warnings.push(`The live SPF record of ${domain} does not parse, so receivers give permerror today (RFC 7208 4.6); ${repairs.join('; ')}.`);
  }
  if (merged.leftOut.length > 0) {
    warnings.push(`Left out of the proposed SPF record of ${domain}, because they can only give permerror or let every address pass: ${quoteTerms(merged.leftOut)}. If a sender needs one, publish the name its setup guide gives instead.`);
  }
  if (merged.replacedAll === '+') {
    warnings.push(`The live SPF record of ${domain} ends in "+all": anyone may send as ${domain}. The proposal ends in "~all", so senders it does not list will softfail: list every real sender before publishing.`);
  }
  if (!review) return row;
  if (review.lookups !== null) row.notes.push(`${review.lookups} DNS lookup${review.lookups === 1 ? '' : 's'} in the merged tree (limit ${MAX_DNS_LOOKUPS}).`);
  if (review.tempfail) row.notes.push('A lookup failed while the SPF check read the merged tree, so it could not be checked in full: run plan again.');
  for (const f of review.errors) {
    warnings.push(f.code === 'SPF_TOO_MANY_LOOKUPS' && review.lookups !== null
      ? `The merged SPF record needs ${review.lookups} DNS lookups, over RFC 7208's limit of ${MAX_DNS_LOOKUPS}: receivers will return permerror. Flatten or drop includes before publishing.`
      : `The merged SPF record still gives ${f.code}: ${f.message}`);
  }
  if (review.errors.length > 0 && row.status === 'present') {
    row.status = 'change';
    row.notes.push(`The SPF check flags this record (${[...new Set(review.errors.map((f) => f.code))].join(', ')}), and the change it needs is the owner's choice: see the warning.`);
  }
  return row;
}

function quoteTerms(terms: readonly string[]): string {
  return terms.map((t) => `"${visible(t, 60)}"`).join(', ');
}

/**
 * DKIM: the selector's CNAME. A live target of either Microsoft form, for
 * this selector and tenant (and, in the legacy form, this cloud), is kept as
 * it is; a TXT record at the name (DKIM_NOT_CNAME) must give way.
 */
async function planDkim(ctx: AuditContext, domain: string, tenant: string, cloud: Cloud, n: 1 | 2, answer: DnsAnswer<string>): Promise<PlanRow> {
  const ep = CLOUD_ENDPOINTS[cloud];
  const name = `selector${n}._domainkey.${domain}`;
  const value = `selector${n}-${dashed(domain)}._domainkey.${tenant}.${ep.initialDomainSuffix}`;
  const current = valuesOf(answer).map((v) => canonicalName(v));
  // Microsoft drops hyphens from the domain part and adds suffixes (`…-test01e`) by rules it does not
  // document, so a live target cannot be rebuilt here. The token must still fit this domain: another
  // domain's target (a copied value) names its key, not this one's.
  const ours = current.flatMap((c) => {
    const t = parseDkimTarget(c);
    return t && t.selector === n && t.tenant === tenant && (t.format === 'new' || t.cloud === cloud) ? [{ c, t }] : [];
  });
  const live = ours.find(({ t }) => tokenMatches(t.token, domain))?.c;
  const notes = [
    'Domains added since May 2025 get the newer form selectorN-<domain>._domainkey.<tenant>.<c>-v1.dkim.mail.microsoft: copy the exact values from the Defender portal or Get-DkimSigningConfig (Selector1CNAME, Selector2CNAME).',
  ];
  if (live && live !== value) notes.unshift('The live target is one of Microsoft\'s forms for this tenant: kept as published.');
  const foreign = live ? undefined : ours[0]?.t.token;
  if (foreign) notes.unshift(`The live target's domain part ${foreign} does not fit ${domain}: it looks like another domain's value.`);
  let status: PlanStatus = failed(answer) ? 'unknown' : live ? 'present' : current.length > 0 ? 'change' : 'add';
  if (answer.kind === 'nodata') {
    // A key published as TXT where the CNAME belongs: Microsoft cannot rotate it, and the CNAME cannot sit beside it.
    const txt = await ctx.dns.resolve(name, 'TXT');
    if (failed(txt)) status = 'unknown';
    else if (txt.kind === 'records') {
      status = 'change';
      current.push(...txt.records.map((r) => `TXT ${r}`));
      notes.unshift('Delete the TXT record at this name: Microsoft 365 cannot rotate a key published as TXT, and a CNAME cannot sit beside it.');
    }
  }
  return { area: 'dkim', type: 'CNAME', name, value: live ?? value, status, current, notes };
}

/**
 * DMARC: one valid record at _dmarc. A live record the check flags
 * (DMARC_SYNTAX, DMARC_MULTIPLE) is rebuilt from the first one's valid tags.
 */
function planDmarc(domain: string, answer: DnsAnswer<string>, warnings: string[]): PlanRow {
  const name = `_dmarc.${domain}`;
  const current = valuesOf(answer);
  const parsed = current.map(parseDmarcRecord);
  const records = parsed.filter((r) => r.isDmarc);
  const lookalikes = parsed.filter((r) => !r.isDmarc && r.meantAsDmarc);
  const row: PlanRow = { area: 'dmarc', type: 'TXT', name, value: '', status: failed(answer) ? 'unknown' : 'add', current, notes: [] };
  const only = records.length === 1 ? records[0] as DmarcRecord : null;
  if (only && dmarcErrors(only).length === 0) {
    row.value = only.raw;
    if (row.status !== 'unknown') row.status = 'present';
    for (const r of lookalikes) row.notes.push(`Delete "${visible(r.raw, 80)}" beside it: it looks meant as DMARC, but receivers ignore it.`);
    return row;
  }
  const first = records[0] ?? lookalikes[0];
  if (!first) {
    row.value = `v=DMARC1; p=none; rua=mailto:dmarc-reports@${domain}`;
    row.notes.push('A starting point: monitor with p=none and the aggregate reports, then move to p=quarantine and p=reject.');
    return row;
  }
  const rebuilt = rebuildDmarc(first);
  row.value = rebuilt.value;
  if (row.status !== 'unknown') row.status = 'change';
  if (records.length > 1) row.notes.push(`${records.length} DMARC records now, so receivers ignore them all: publish this one in their place (the first one's valid tags).`);
  else if (lookalikes.length > 0 && records.length === 0) row.notes.push('The live record does not start with exactly "v=DMARC1", so receivers ignore it: rewritten with v=DMARC1 first.');
  row.notes.push(...rebuilt.notes);
  if (rebuilt.policyReplaced) warnings.push(`The live DMARC record of ${domain} has no valid p= tag, so receivers ignore it; the proposal monitors with p=none: move to quarantine or reject once the reports are clean.`);
  return row;
}

/** Error-level problems of a DMARC record (what DMARC_SYNTAX reports); a tag given twice keeps its first value. */
function dmarcErrors(rec: DmarcRecord): DmarcRecord['issues'] {
  return rec.issues.filter((i) => i.level === 'error');
}

/** v=DMARC1, then p (none when it is missing or invalid), then the other tags whose values parse; rua/ruf keep their valid URIs. */
function rebuildDmarc(source: DmarcRecord): { value: string; notes: string[]; policyReplaced: boolean } {
  // A look-alike (v=DMARC1 not first, or in another case) is read as if v=DMARC1 came first.
  const rec = source.isDmarc ? source : parseDmarcRecord(['v=DMARC1', ...source.raw.split(';').filter((s) => !/^[ \t]*v[ \t]*=/i.test(s) && s.trim() !== '')].join('; '));
  const notes: string[] = [];
  const bad = new Set(rec.issues.filter((i) => i.level === 'error' && i.kind !== 'duplicate' && i.tag !== null && i.kind !== 'uri').map((i) => i.tag as string));
  const tags: string[] = [];
  for (const [tag, value] of Object.entries(rec.tags)) {
    if (tag === 'v' || tag === 'p') continue;
    if (bad.has(tag)) {
      notes.push(`Left out "${visible(`${tag}=${value}`, 80)}": the value is not valid.`);
      continue;
    }
    if (tag === 'rua' || tag === 'ruf') {
      const parts = value.split(',');
      const uris = rec[tag];
      const kept = parts.filter((_, i) => uris[i]?.valid);
      for (const [i, u] of uris.entries()) if (!u.valid) notes.push(`Left out the ${tag} address "${visible(parts[i]?.trim() ?? u.uri, 80)}": ${u.problem ?? 'not a valid URI'}.`);
      if (kept.length > 0) tags.push(`${tag}=${kept.map((k) => k.trim()).join(',')}`);
      continue;
    }
    tags.push(`${tag}=${value}`);
  }
  for (const i of rec.issues) if (i.level === 'error' && i.tag === null) notes.push(`Left out a part receivers skip: ${i.message}.`);
  const policyReplaced = rec.p === null;
  if (policyReplaced && 'p' in rec.tags) notes.push(`"p=${visible(rec.tags.p ?? '', 40)}" is not none, quarantine or reject: p=none proposed.`);
  const value = [`v=DMARC1`, `p=${rec.p ?? 'none'}`, ...tags].join('; ');
  // What is left parses by construction; should a tag still fail, the starter record is the safe proposal.
  if (dmarcErrors(parseDmarcRecord(value)).length > 0) return { value: 'v=DMARC1; p=none', notes: [...notes, 'The live tags could not be kept: a plain p=none record proposed.'], policyReplaced: true };
  return { value, notes, policyReplaced };
}
