import type { DnsAnswer, DnsClient, MxRecord, RecordTypes, RRType, SecureAnswer, SecureDnsClient } from './types.js';

/**
 * `dns` with its `<name> MX` questions answered by the secure client's
 * `<name> MX` (EDNS0 and DO, no CD): the question the DNSSEC area asks of
 * every audited domain (src/transport/dnssec.ts), so that one query serves
 * the MX area and DNSSEC (BENCHMARKS.md). The secure answer is taken when it
 * is whole: records (none cut at MAX_SECURE_RECORDS, no name that node:dns
 * would write escaped: raw.ts answerNamesPlain), NODATA or NXDOMAIN.
 * SERVFAIL (from a validating resolver the answer for bogus data, RFC 4035
 * §5.5), a failure other than a timeout (REFUSED, FORMERR from a server that
 * refuses EDNS0), a cut RRset or an escaped name is asked again through
 * `dns` itself, with its own retries and failure kinds.
 *
 * A timeout is the answer once the secure client has answered anything: the
 * name is silent, and asking it again through `dns` would double its wait
 * (a timeout of the TCP retry after a truncated reply is not one: secure.ts
 * gives it reason `other`, and `dns` is asked).
 * Until then a silence may be a resolver that drops EDNS0 queries, so `dns`
 * is asked beside it and its answer taken when the secure one fails (a batch
 * asks twice only for the domains started before the first answer).
 *
 * Two things differ from node:dns: MX records are those along the CNAME
 * chain from the name (c-ares takes any MX in the answer section), and a
 * chain of more than 16 aliases is NODATA. Every other question, and every
 * other method, is `dns`'s; `stats()` counts what `dns` asked (the MX
 * answers taken are in `secure.stats()`).
 */
export function shareMxWithSecure(dns: DnsClient, secure: SecureDnsClient): DnsClient {
  let answered = false;
  const resolveMx = async (name: string): Promise<DnsAnswer<MxRecord>> => {
    const beside = answered ? null : dns.resolve(name, 'MX');
    // Not awaited when the secure answer is taken: a rejection there (a DnsClient of a library user) is nobody's.
    beside?.catch(() => undefined);
    const answer = await secure.query(name, 'MX');
    if (answer.kind !== 'tempfail') answered = true;
    const whole = wholeAnswer(answer);
    if (whole) return whole;
    if (beside) return beside;
    if (answer.kind === 'tempfail' && answer.reason === 'timeout') return { kind: 'tempfail', reason: 'timeout', code: answer.code };
    return dns.resolve(name, 'MX');
  };
  const shared: DnsClient = {
    resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<RecordTypes[T]>> {
      return (type === 'MX' ? resolveMx(name) : dns.resolve(name, type)) as Promise<DnsAnswer<RecordTypes[T]>>;
    },
    stats: () => dns.stats(),
  };
  // The optional methods (health, waitForServer, servers, slot, windows) are the wrapped client's, where it has them.
  if (dns.health) shared.health = dns.health.bind(dns);
  if (dns.waitForServer) shared.waitForServer = dns.waitForServer.bind(dns);
  if (dns.servers) shared.servers = dns.servers.bind(dns);
  if (dns.slot) shared.slot = dns.slot.bind(dns);
  if (dns.windows) shared.windows = dns.windows.bind(dns);
  return shared;
}

/** The secure answer as the MX area takes it, or null when it must be asked through the main client (see above). */
function wholeAnswer(answer: SecureAnswer<MxRecord>): DnsAnswer<MxRecord> | null {
  switch (answer.kind) {
    case 'records':
      return answer.recordsTotal === answer.records.length && answer.escapedNames !== true ? { kind: 'records', records: answer.records } : null;
    case 'nodata':
      return { kind: 'nodata' };
    case 'nxdomain':
      return { kind: 'nxdomain' };
    default:
      return null;
  }
}
