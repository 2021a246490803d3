import { reachability } from '../smtp/reachability.js';
import type { DomainReport } from '../audit/audit.js';
import type { ProbeResult } from '../smtp/types.js';


/** The "Reachable" fact of a probe: yes, no, or not probed (DNS lookup failed). */
export function reachableFact(p: ProbeResult): string {
  return { reachable: 'yes', unreachable: 'no', 'not probed': 'not probed (DNS lookup failed)' }[reachability(p)];
}

/** One cell for an SMTP probe: reachable, TLS version, AUTH, or the first error. */
export function summarizeProbe(p: ProbeResult | null | undefined): { status: 'pass' | 'warn' | 'fail' | 'n/a'; text: string } {
  if (!p) return { status: 'n/a', text: 'not probed' };
  const error = p.findings.find((f) => f.severity === 'error');
  const warning = p.findings.find((f) => f.severity === 'warning');
  const where = `${p.host}:${p.port}`;
  if (error) return { status: 'fail', text: `${where} ${error.code}` };
  const parts = [where, p.tlsVersion ?? 'no TLS'];
  if (p.authMechanisms && p.authMechanisms.length > 0) parts.push(`AUTH ${p.authMechanisms.join(' ')}`);
  if (warning) return { status: 'warn', text: `${parts.join(', ')}, ${warning.code}` };
  return { status: 'pass', text: parts.join(', ') };
}

/** The probe that speaks for a domain: its own MX probe, else the run's submission probe. */
export function probeForDomain(report: DomainReport, probe: ProbeResult | null): ProbeResult | null {
  return report.mxProbe ?? probe;
}
