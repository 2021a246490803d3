import { finding, type Finding } from './catalog.js';
import type { DnsAnswer, RRType } from '../dns/types.js';

/** What one area's column says: pass, warn, fail, or unknown when a lookup failed. */
export type AreaStatus = 'pass' | 'warn' | 'fail' | 'unknown';

/** The status of an area from its own findings: a failed lookup makes it unknown. */
export function statusFrom(findings: readonly Finding[]): AreaStatus {
  if (findings.some((f) => f.code === 'DNS_TEMPFAIL')) return 'unknown';
  if (findings.some((f) => f.severity === 'error')) return 'fail';
  if (findings.some((f) => f.severity === 'warning')) return 'warn';
  return 'pass';
}

/** DNS_TEMPFAIL for one failed query; evidence names the query. */
export function tempfailFinding(name: string, type: RRType, answer: DnsAnswer<unknown> & { kind: 'tempfail' }): Finding {
  return finding(
    'DNS_TEMPFAIL',
    `The ${type} lookup for ${name} failed (${answer.reason}), so this part of the audit is unknown rather than missing.`,
    { evidence: `${name} ${type}: ${answer.code}`, fix: 'Run the audit again; if it persists, check the resolver (--dns-server) and the domain\'s name servers.' },
  );
}
