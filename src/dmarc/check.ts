import { finding, type Finding } from '../audit/catalog.js';
import type { AuditContext, CheckResult } from '../audit/context.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../audit/status.js';
import { organizationalDomain } from '../domain/normalize.js';
import type { Cloud } from '../m365/clouds.js';

export interface DmarcSection {
  status: AreaStatus;
  record: string | null;
  /** The name the record was found at. */
  source: string | null;
}

/** Presence-level DMARC check (issue 4 deepens it). */
export async function checkDmarc(
  ctx: AuditContext,
  domain: string,
  _hints: { tenant: string | null; cloud: Cloud },
): Promise<CheckResult<DmarcSection>> {
  const findings: Finding[] = [];
  const names = [...new Set([`_dmarc.${domain}`, `_dmarc.${organizationalDomain(domain)}`])];
  for (const name of names) {
    const a = await ctx.dns.resolve(name, 'TXT');
    if (a.kind === 'tempfail') {
      findings.push(tempfailFinding(name, 'TXT', a));
      break;
    }
    const rec = a.kind === 'records' ? a.records.find((r) => /^v=DMARC1\s*(;|$)/i.test(r)) : undefined;
    if (rec) return { section: { status: 'pass', record: rec, source: name }, findings };
  }
  if (findings.length === 0) findings.push(finding('DMARC_MISSING', `No DMARC record at _dmarc.${domain}.`, { fix: `Publish TXT "v=DMARC1; p=none; rua=mailto:dmarc@${domain}" at _dmarc.${domain}, then move to p=quarantine and p=reject.` }));
  return { section: { status: statusFrom(findings), record: null, source: null }, findings };
}
