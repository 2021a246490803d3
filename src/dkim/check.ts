import { finding, type Finding } from '../audit/catalog.js';
import type { AuditContext, CheckResult } from '../audit/context.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../audit/status.js';
import type { Cloud } from '../m365/clouds.js';

export interface DkimSelectorFacts {
  selector: string;
  name: string;
  /** The CNAME target, or null. */
  target: string | null;
}

export interface DkimSection {
  status: AreaStatus;
  selectors: DkimSelectorFacts[];
  /** The initial-domain prefix the targets name (e.g. contoso), or null. */
  tenant: string | null;
  /** The cloud the targets point at, or null when unknown. */
  cloud: Cloud | null;
}

/** Presence-level DKIM check (issue 4 deepens it). */
export async function checkDkim(ctx: AuditContext, domain: string): Promise<CheckResult<DkimSection>> {
  const findings: Finding[] = [];
  const selectors: DkimSelectorFacts[] = [];
  for (const selector of ['selector1', 'selector2']) {
    const name = `${selector}._domainkey.${domain}`;
    const a = await ctx.dns.resolve(name, 'CNAME');
    if (a.kind === 'tempfail') findings.push(tempfailFinding(name, 'CNAME', a));
    selectors.push({ selector, name, target: a.kind === 'records' ? (a.records[0] ?? null) : null });
  }
  if (findings.length === 0 && selectors.every((s) => s.target === null)) {
    findings.push(finding('DKIM_MISSING', `Neither selector1 nor selector2 CNAME exists at ${domain}.`));
  }
  return { section: { status: statusFrom(findings), selectors, tenant: null, cloud: null }, findings };
}
