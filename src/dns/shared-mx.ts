import type { DnsAnswer, DnsClient, MxRecord, RecordTypes, RRType, SecureDnsClient } from './types.js';

/**
 * `dns` with its `<name> MX` questions answered by the secure client's
 * `<name> MX` (EDNS0 and DO, no CD): the question the DNSSEC area asks of
 * every audited domain (src/transport/dnssec.ts), so that one query serves
 * the MX area and DNSSEC (13 queries a synthetic tenant instead of 14, and
 * no (name, type) asked twice; BENCHMARKS.md). The secure answer is taken
 * only when it is whole: records (none cut at MAX_SECURE_RECORDS), NODATA
 * or NXDOMAIN. SERVFAIL (from a validating resolver the answer for bogus
 * data, RFC 4035 §5.5), a failure (a timeout, REFUSED, FORMERR from a server
 * that refuses EDNS0) or a cut RRset is asked again through `dns` itself, as
 * without a secure client, so the MX area sees what it saw before: its own
 * retries, failure kinds and health tracking.
 *
 * Every other question, and every other method, is `dns`'s; `stats()`
 * counts what `dns` asked (the MX answers taken are in `secure.stats()`).
 */
export function shareMxWithSecure(dns: DnsClient, secure: SecureDnsClient): DnsClient {
  const resolveMx = async (name: string): Promise<DnsAnswer<MxRecord>> => {
    const answer = await secure.query(name, 'MX');
    switch (answer.kind) {
      case 'records':
        if (answer.recordsTotal === answer.records.length) return { kind: 'records', records: answer.records };
        break;
      case 'nodata':
        return { kind: 'nodata' };
      case 'nxdomain':
        return { kind: 'nxdomain' };
      default:
        break;
    }
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
