import type { AuditContext } from '../audit/context.js';
import type { DnsAnswer } from '../dns/types.js';
import { CLOUD_ENDPOINTS, dashed, tokenMatches, type Cloud } from './clouds.js';
import { classifyMxHost, expectedMxHost } from './mx.js';
import { canonicalName } from '../domain/normalize.js';
import { parseDkimTarget } from '../dkim/target.js';

export type PlanStatus = 'present' | 'change' | 'add' | 'unknown';

export interface PlanRow {
  area: 'mx' | 'spf' | 'dkim' | 'dmarc' | 'autodiscover';
  type: 'MX' | 'TXT' | 'CNAME';
  /** Owner name, fully qualified, no trailing dot. */
  name: string;
  /** The value to publish (MX: the exchange; the priority is separate). */
  value: string;
  priority?: number;
  status: PlanStatus;
  /** What DNS holds there now. */
  current: string[];
  notes: string[];
}

export interface Plan {
  domain: string;
  tenant: string;
  cloud: Cloud;
  /** The domain does not exist yet: every row is `add`. */
  exists: boolean;
  rows: PlanRow[];
  warnings: string[];
}

/** Counts the DNS-querying SPF terms of a record's whole tree (RFC 7208 4.6.4), or null when it cannot. */
export type SpfLookupCounter = (ctx: AuditContext, domain: string, record: string) => Promise<number | null>;

export const SPF_LOOKUP_LIMIT = 10;

/**
 * Merges the Microsoft include into an SPF record: keeps every mechanism and
 * modifier, adds `include:<host>` before the all-term (or before the
 * modifiers), never twice; a qualified Microsoft include (-, ~, ?) loses its
 * qualifier. Returns the record and whether it changed.
 */
export function mergeSpfInclude(record: string | null, includeHost: string): { value: string; changed: boolean } {
  const wanted = `include:${includeHost}`;
  if (record === null || !/^v=spf1(\s|$)/i.test(record.trim())) return { value: `v=spf1 ${wanted} -all`, changed: true };
  const terms = record.trim().split(/\s+/);
  const isOurs = (t: string): boolean => new RegExp(`^[+\\-~?]?include:${includeHost.replace(/\./g, '\\.')}\\.?$`, 'i').test(t);
  const at = terms.findIndex(isOurs);
  if (at >= 0) {
    const qualified = /^[-~?]/.test(terms[at] as string);
    if (!qualified) return { value: record.trim(), changed: false };
    terms[at] = wanted;
    return { value: terms.join(' '), changed: true };
  }
  let insertAt = terms.findIndex((t, i) => i > 0 && /^[+\-~?]?all$/i.test(t));
  if (insertAt < 0) insertAt = terms.findIndex((t, i) => i > 0 && /^[a-z][a-z0-9_.-]*=/i.test(t));
  if (insertAt < 0) insertAt = terms.length;
  terms.splice(insertAt, 0, wanted);
  return { value: terms.join(' '), changed: true };
}

function valuesOf(a: DnsAnswer<string>): string[] {
  return a.kind === 'records' ? a.records : [];
}

/**
 * The records Microsoft 365 needs at a domain, each marked present, change or
 * add against live DNS. The MX token and the DKIM targets follow Microsoft's
 * documented forms; the notes say where to confirm the exact values.
 */
export async function planDomain(ctx: AuditContext, domain: string, tenant: string, options: { cloud?: Cloud; countSpfLookups?: SpfLookupCounter } = {}): Promise<Plan> {
  const dns = ctx.dns;
  const [mx, txt, s1, s2, dmarc, autod] = await Promise.all([
    dns.resolve(domain, 'MX'),
    dns.resolve(domain, 'TXT'),
    dns.resolve(`selector1._domainkey.${domain}`, 'CNAME'),
    dns.resolve(`selector2._domainkey.${domain}`, 'CNAME'),
    dns.resolve(`_dmarc.${domain}`, 'TXT'),
    dns.resolve(`autodiscover.${domain}`, 'CNAME'),
  ]);
  const exists = !(mx.kind === 'nxdomain' || txt.kind === 'nxdomain');
  const mxHosts = mx.kind === 'records' ? mx.records.map((r) => classifyMxHost(r.exchange, r.priority)) : [];
  const cloud = options.cloud ?? ctx.cloud ?? mxHosts.find((h) => h.cloud)?.cloud ?? 'worldwide';
  const ep = CLOUD_ENDPOINTS[cloud];
  const rows: PlanRow[] = [];
  const warnings: string[] = [];
  const failed = (a: DnsAnswer<unknown>): boolean => a.kind === 'tempfail';

  // MX
  const expectedMx = expectedMxHost(domain, cloud, tenant);
  const m365 = mxHosts.filter((h) => h.kind === 'm365' || h.kind === 'm365-dnssec');
  const others = mxHosts.filter((h) => !(h.kind === 'm365' || h.kind === 'm365-dnssec'));
  const mxRow: PlanRow = {
    area: 'mx', type: 'MX', name: domain, value: m365[0]?.exchange ?? expectedMx, priority: 0,
    status: failed(mx) ? 'unknown' : m365.length > 0 && others.length === 0 ? 'present' : mxHosts.length === 0 ? 'add' : 'change',
    current: mxHosts.map((h) => `${h.priority} ${h.exchange}`),
    notes: ['Confirm the exact MX value in the Microsoft 365 admin center (Settings → Domains): Microsoft adds a suffix to some tokens.'],
  };
  if (mxRow.status === 'change') mxRow.notes.push(`Replace ${others.map((h) => h.exchange).join(', ')} at cutover: Microsoft 365 expects one MX.`);
  if (cloud === 'gcc-high' || cloud === 'dod') mxRow.notes.push('GCC High names the MX after the tenant.');
  rows.push(mxRow);

  // SPF
  const spfRecords = valuesOf(txt).filter((r) => /^v=spf1(\s|$)/i.test(r.trim()));
  const merged = mergeSpfInclude(spfRecords[0] ?? null, ep.spfInclude);
  const spfRow: PlanRow = {
    area: 'spf', type: 'TXT', name: domain, value: merged.value,
    status: failed(txt) ? 'unknown' : spfRecords.length === 0 ? 'add' : merged.changed || spfRecords.length > 1 ? 'change' : 'present',
    current: spfRecords, notes: [],
  };
  if (spfRecords.length > 1) spfRow.notes.push(`${spfRecords.length} SPF records now: publish this one record in their place.`);
  if (options.countSpfLookups && spfRow.status !== 'unknown') {
    const lookups = await options.countSpfLookups(ctx, domain, merged.value);
    if (lookups !== null) {
      spfRow.notes.push(`${lookups} DNS lookups in the merged tree (limit ${SPF_LOOKUP_LIMIT}).`);
      if (lookups > SPF_LOOKUP_LIMIT) warnings.push(`The merged SPF record needs ${lookups} DNS lookups, over RFC 7208's limit of ${SPF_LOOKUP_LIMIT}: receivers will return permerror. Flatten or drop includes before publishing.`);
    }
  }
  rows.push(spfRow);

  // DKIM
  for (const [n, answer] of [[1, s1], [2, s2]] as const) {
    const name = `selector${n}._domainkey.${domain}`;
    const value = `selector${n}-${dashed(domain)}._domainkey.${tenant}.${ep.initialDomainSuffix}`;
    const current = valuesOf(answer).map((v) => canonicalName(v));
    // A live target of either Microsoft form, for this selector and tenant (and, in the legacy
    // form, this cloud), is kept as it is: Microsoft drops hyphens from the domain part and adds
    // suffixes (`…-test01e`) by rules it does not document, so it cannot be rebuilt here.
    // The token must still fit this domain: another domain's target (a copied value) names its key, not this one's.
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
    rows.push({
      area: 'dkim', type: 'CNAME', name, value: live ?? value,
      status: failed(answer) ? 'unknown' : live ? 'present' : current.length > 0 ? 'change' : 'add',
      current,
      notes,
    });
  }

  // DMARC
  const dmarcRecords = valuesOf(dmarc).filter((r) => /^v=DMARC1\s*(;|$)/i.test(r.trim()));
  rows.push({
    area: 'dmarc', type: 'TXT', name: `_dmarc.${domain}`, value: dmarcRecords[0] ?? `v=DMARC1; p=none; rua=mailto:dmarc-reports@${domain}`,
    status: failed(dmarc) ? 'unknown' : dmarcRecords.length > 0 ? 'present' : 'add',
    current: valuesOf(dmarc),
    notes: dmarcRecords.length > 0 ? [] : ['A starting point: monitor with p=none and the aggregate reports, then move to p=quarantine and p=reject.'],
  });

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

  if (!exists) for (const r of rows) r.status = 'add';
  if (rows.some((r) => r.status === 'unknown')) warnings.push('Some lookups failed (timeout or SERVFAIL): rows marked unknown could not be compared with live DNS.');
  return { domain, tenant, cloud, exists, rows, warnings };
}
