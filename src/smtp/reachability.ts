import type { ProbeResult } from './types.js';

/**
 * Whether the probe got as far as trying to connect: not when the host's
 * address lookup failed (DNS_TEMPFAIL), which says nothing about reachability.
 */
export function reachability(p: ProbeResult): 'reachable' | 'unreachable' | 'not probed' {
  // A run saved by an older version could say reachable beside SMTP_UNREACHABLE: the finding wins.
  if (p.reachable && !p.findings.some((f) => f.code === 'SMTP_UNREACHABLE')) return 'reachable';
  if (p.reachable) return 'unreachable';
  return p.findings.some((f) => f.code === 'DNS_TEMPFAIL') ? 'not probed' : 'unreachable';
}
