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
    case 'ENOSERVER':
      return 'no-server';
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return 'unreachable';
    default:
      return 'other';
  }
}

/** Codes node:dns and rawQuery give when a reply came that was not an answer (RFC 1035 4.1.1 RCODE 1 and 4, or unreadable). */
const ERROR_REPLY_CODES = new Set(['EFORMERR', 'ENOTIMP', 'EBADRESP']);

/**
 * Whether the outcome of one query shows that the server is there: any
 * reply, NXDOMAIN, NODATA, SERVFAIL and REFUSED included. A timeout, an
 * unreachable server or a socket error is no sign of life.
 */
export function isServerReply(answer: DnsAnswer<unknown>): boolean {
  if (answer.kind !== 'tempfail') return true;
  return answer.reason === 'servfail' || answer.reason === 'refused' || ERROR_REPLY_CODES.has(answer.code);
}
