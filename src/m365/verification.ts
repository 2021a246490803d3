import { finding, type Finding } from '../findings/catalog.js';
import type { LookupContext } from '../dns/context.js';
import type { CheckResult } from '../findings/catalog.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../findings/status.js';
import type { Cloud } from './clouds.js';
import { canonicalName } from '../domain/normalize.js';
import { capFindings, capList } from '../util/caps.js';

/** The verification part of a DomainReport: the `MS=ms########` TXT records at the apex and the `msoid` CNAME. */
export interface VerificationSection {
  status: AreaStatus;
  /** MS=ms######## records at the apex: at most MAX_LISTED of them. */
  records: string[];
  /** How many MS= records there are (set by checkVerification; absent in runs saved before it). */
  recordsTotal?: number;
  /** The msoid CNAME target, or null. */
  msoid: string | null;
}

const MS_RECORD = /^MS=ms\d{8}$/;
const CHINA_MSOID = 'clientconfig.partner.microsoftonline-p.net.cn';

/**
 * The domain-verification check: `MS=ms` followed by 8 digits at the apex
 * (VERIFICATION_TXT_ABSENT, VERIFICATION_TXT_MALFORMED) and a stray `msoid`
 * CNAME (MSOID_PRESENT; in China it must point at 21Vianet's host). A failed
 * lookup makes the area unknown (DNS_TEMPFAIL). Only DNS through `ctx.dns`;
 * never throws for DNS content.
 */
export async function checkVerification(ctx: LookupContext, domain: string, cloud: Cloud): Promise<CheckResult<VerificationSection>> {
  const findings: Finding[] = [];
  const section: VerificationSection = { status: 'pass', records: [], recordsTotal: 0, msoid: null };
  const [txt, msoid] = await Promise.all([ctx.dns.resolve(domain, 'TXT'), ctx.dns.resolve(`msoid.${domain}`, 'CNAME')]);
  if (txt.kind === 'tempfail') findings.push(tempfailFinding(domain, 'TXT', txt));
  else {
    const all = txt.kind === 'records' ? txt.records : [];
    const records = all.filter((r) => MS_RECORD.test(r.trim()));
    section.records = capList(records);
    section.recordsTotal = records.length;
    const malformed = all.filter((r) => /^\s*ms=/i.test(r) && !MS_RECORD.test(r.trim()));
    for (const r of malformed) {
      findings.push(finding('VERIFICATION_TXT_MALFORMED', `A TXT record looks like Microsoft's verification record but is not MS=ms followed by 8 digits.`, { evidence: r, fix: 'Copy the value exactly from the admin center, or remove it once the domain is verified.' }));
    }
    if (records.length === 0) {
      findings.push(finding('VERIFICATION_TXT_ABSENT', `No MS=ms######## verification record at ${domain} (fine once the domain is verified; needed to add it to a tenant).`, { fix: 'Add the TXT value the admin center shows when you add the domain.' }));
    }
  }
  if (msoid.kind === 'tempfail') findings.push(tempfailFinding(`msoid.${domain}`, 'CNAME', msoid));
  else if (msoid.kind === 'records') {
    section.msoid = canonicalName((msoid.records[0] ?? ''));
    if (cloud !== 'china') {
      findings.push(finding('MSOID_PRESENT', `msoid.${domain} is a CNAME; outside 21Vianet it breaks Office activation ("isn't in our system").`, { evidence: `msoid.${domain} CNAME ${section.msoid}`, fix: `Remove the msoid.${domain} CNAME.` }));
    } else if (section.msoid !== CHINA_MSOID) {
      findings.push(finding('MSOID_PRESENT', `msoid.${domain} points to ${section.msoid}, not ${CHINA_MSOID}.`, { evidence: `msoid.${domain} CNAME ${section.msoid}`, fix: `Point msoid.${domain} at ${CHINA_MSOID}.` }));
    }
  }
  section.status = statusFrom(findings);
  return { section, findings: capFindings(findings) };
}
