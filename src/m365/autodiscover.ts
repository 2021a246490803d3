import { finding, type Finding } from '../findings/catalog.js';
import type { LookupContext } from '../dns/context.js';
import type { CheckResult } from '../findings/catalog.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../findings/status.js';
import { CLOUD_ENDPOINTS, type Cloud } from './clouds.js';
import { canonicalName } from '../domain/normalize.js';
import { capFindings, capList, listText } from '../util/caps.js';

/** The autodiscover part of a DomainReport: what `autodiscover.<domain>` is (a CNAME target, or addresses) and what the cloud expects. */
export interface AutodiscoverSection {
  status: AreaStatus;
  name: string;
  /** First CNAME hop, or null. */
  target: string | null;
  /** Addresses when autodiscover is an A record (usually on-premises Exchange): at most MAX_LISTED. */
  addresses: string[];
  /** How many addresses there are (set by checkAutodiscover; absent in runs saved before it). */
  addressesTotal?: number;
  expected: string;
}

const MICROSOFT_AUTODISCOVER = new Set(Object.values(CLOUD_ENDPOINTS).map((e) => e.autodiscover));

/** The autodiscover CNAME target (first hop only: Microsoft's own names chain further). */
export async function lookupAutodiscoverTarget(ctx: LookupContext, domain: string) {
  return ctx.dns.resolve(`autodiscover.${domain}`, 'CNAME');
}

export function isMicrosoftAutodiscover(target: string): boolean {
  return MICROSOFT_AUTODISCOVER.has(canonicalName(target));
}

/**
 * The autodiscover check: `autodiscover.<domain>` should be a CNAME to the
 * cloud's autodiscover host (AUTODISCOVER_NOT_M365 otherwise, or
 * AUTODISCOVER_MISSING when it does not exist). A failed lookup makes the
 * area unknown (DNS_TEMPFAIL). Only DNS through `ctx.dns`; never throws for
 * DNS content.
 */
export async function checkAutodiscover(ctx: LookupContext, domain: string, cloud: Cloud): Promise<CheckResult<AutodiscoverSection>> {
  const name = `autodiscover.${domain}`;
  const expected = CLOUD_ENDPOINTS[cloud].autodiscover;
  const findings: Finding[] = [];
  const section: AutodiscoverSection = { status: 'pass', name, target: null, addresses: [], addressesTotal: 0, expected };
  const fix = `Publish ${name} CNAME ${expected}.`;
  const cname = await lookupAutodiscoverTarget(ctx, domain);
  if (cname.kind === 'tempfail') {
    findings.push(tempfailFinding(name, 'CNAME', cname));
  } else if (cname.kind === 'records') {
    section.target = canonicalName((cname.records[0] ?? ''));
    const ok = section.target === expected || (cloud === 'gcc-high' && section.target === CLOUD_ENDPOINTS.dod.autodiscover);
    if (!ok) {
      findings.push(finding('AUTODISCOVER_NOT_M365', `${name} points to ${section.target}, not to ${expected}; Outlook will not find Exchange Online by itself (fine during a hybrid migration).`, { evidence: `${name} CNAME ${section.target}`, fix }));
    }
  } else {
    const a = cname.kind === 'nodata' ? await ctx.dns.resolve(name, 'A') : cname;
    if (a.kind === 'tempfail') findings.push(tempfailFinding(name, 'A', a));
    else if (a.kind === 'records') {
      section.addresses = capList(a.records);
      section.addressesTotal = a.records.length;
      findings.push(finding('AUTODISCOVER_NOT_M365', `${name} is an address record (${listText(a.records, ', ')}), usually on-premises Exchange, not a CNAME to ${expected}.`, { evidence: `${name} A ${listText(a.records, ' ')}`, fix }));
    } else {
      findings.push(finding('AUTODISCOVER_MISSING', `${name} does not exist, so Outlook cannot find the mailbox settings automatically.`, { fix }));
    }
  }
  section.status = statusFrom(findings);
  return { section, findings: capFindings(findings) };
}
