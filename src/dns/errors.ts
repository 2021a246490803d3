import type { DnsAnswer, TempfailReason } from './types.js';

/**
 * The one place that reads node:dns error codes. ENOTFOUND is NXDOMAIN,
 * ENODATA is NODATA; everything transient (timeouts, SERVFAIL, REFUSED, no
 * server reachable, cancelled) is TEMPFAIL. Anything unknown is treated as
 * TEMPFAIL too: an error we cannot read is never evidence that a record is
 * missing.
 */
export function classifyDnsError(err: unknown): Exclude<DnsAnswer<never>, { kind: 'records' }> {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'EUNKNOWN';
  switch (code) {
    case 'ENOTFOUND':
    case 'EBADNAME':
      return { kind: 'nxdomain' };
    case 'ENODATA':
      return { kind: 'nodata' };
    default:
      return { kind: 'tempfail', reason: tempfailReason(code), code };
  }
}

function tempfailReason(code: string): TempfailReason {
  switch (code) {
    case 'ETIMEOUT':
    case 'ECANCELLED':
      return 'timeout';
    case 'ESERVFAIL':
      return 'servfail';
    case 'EREFUSED':
      return 'refused';
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return 'unreachable';
    default:
      return 'other';
  }
}
