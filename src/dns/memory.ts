import type { DnsAnswer, DnsClient, DnsStats, RecordTypes, RRType } from './types.js';
import { canonicalName } from '../domain/normalize.js';

/** Records of one name, by type; `timeout` makes every type with no entry time out. */
export interface MemoryName {
  A?: string[];
  AAAA?: string[];
  CNAME?: string;
  MX?: { priority: number; exchange: string }[];
  TXT?: string[];
  PTR?: string[];
  NS?: string[];
  timeout?: boolean;
  servfail?: boolean;
}

const MAX_CNAME_CHAIN = 16;

/**
 * A DnsClient over an in-memory table: for unit tests, conformance suites
 * and library users who audit records they already have. Same semantics as a
 * recursive resolver: CNAMEs are followed, an unknown name is NXDOMAIN, a
 * known name without the type is NODATA (an empty non-terminal is known).
 * `servfail` and `timeout` entries answer TEMPFAIL. No network; never throws.
 */
export function createMemoryDnsClient(table: Record<string, MemoryName>): DnsClient {
  const names = new Map<string, MemoryName>();
  for (const [k, v] of Object.entries(table)) names.set(canonicalName(k), v);
  const known = new Set<string>();
  for (const k of names.keys()) {
    const labels = k.split('.');
    for (let i = 0; i < labels.length; i++) known.add(labels.slice(i).join('.'));
  }
  const seen = new Set<string>();
  const stats: DnsStats = { queries: 0, unique: 0, cacheHits: 0, tempfails: 0 };

  function answer<T extends RRType>(name: string, type: T): DnsAnswer<RecordTypes[T]> {
    let current = canonicalName(name);
    const visited = new Set<string>();
    for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
      const entry = names.get(current);
      if (!entry) return known.has(current) ? { kind: 'nodata' } : { kind: 'nxdomain' };
      if (entry.servfail) return { kind: 'tempfail', reason: 'servfail', code: 'ESERVFAIL' };
      const own = entry[type as keyof MemoryName];
      if (type === 'CNAME') {
        if (entry.CNAME !== undefined) return { kind: 'records', records: [entry.CNAME] as RecordTypes[T][] };
      } else if (Array.isArray(own)) {
        return own.length > 0 ? { kind: 'records', records: [...own] as RecordTypes[T][] } : { kind: 'nodata' };
      } else if (entry.CNAME !== undefined) {
        if (visited.has(current)) return { kind: 'nxdomain' };
        visited.add(current);
        current = canonicalName(entry.CNAME);
        continue;
      }
      if (entry.timeout) return { kind: 'tempfail', reason: 'timeout', code: 'ETIMEOUT' };
      return { kind: 'nodata' };
    }
    return { kind: 'nxdomain' };
  }

  return {
    async resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<RecordTypes[T]>> {
      const key = `${canonicalName(name)}/${type}`;
      if (!seen.has(key)) {
        seen.add(key);
        stats.unique++;
      }
      stats.queries++;
      const a = answer(name, type);
      if (a.kind === 'tempfail') stats.tempfails++;
      return a;
    },
    stats: () => ({ ...stats }),
    servers: () => [],
  };
}

