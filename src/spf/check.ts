import { finding, type Finding } from '../audit/catalog.js';
import type { AuditContext, CheckResult } from '../audit/context.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../audit/status.js';
import { CLOUD_ENDPOINTS, type Cloud } from '../m365/clouds.js';

export interface SpfSection {
  status: AreaStatus;
  /** The v=spf1 record at the domain, or null. */
  record: string | null;
  /** Every v=spf1 record found (more than one is a permerror). */
  records: string[];
}

/** Presence-level SPF check (issue 3 deepens it into full analysis). */
export async function checkSpf(ctx: AuditContext, domain: string, hints: { cloud: Cloud }): Promise<CheckResult<SpfSection>> {
  const findings: Finding[] = [];
  const section: SpfSection = { status: 'pass', record: null, records: [] };
  const txt = await ctx.dns.resolve(domain, 'TXT');
  if (txt.kind === 'tempfail') {
    findings.push(tempfailFinding(domain, 'TXT', txt));
  } else {
    const all = txt.kind === 'records' ? txt.records : [];
    section.records = all.filter((r) => /^v=spf1(\s|$)/i.test(r));
    section.record = section.records[0] ?? null;
    const include = CLOUD_ENDPOINTS[hints.cloud].spfInclude;
    if (section.records.length === 0) {
      findings.push(finding('SPF_MISSING', `${domain} publishes no SPF record.`, { fix: `Publish TXT "v=spf1 include:${include} -all" at ${domain}.` }));
    } else if (section.records.length > 1) {
      findings.push(finding('SPF_MULTIPLE', `${domain} publishes ${section.records.length} SPF records; receivers treat this as a permanent error.`, { evidence: section.records.join(' | '), fix: 'Merge them into one v=spf1 record.' }));
    }
  }
  section.status = statusFrom(findings);
  return { section, findings };
}
