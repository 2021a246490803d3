/**
 * Typed DNS answers. Every lookup result is one of four kinds, kept apart:
 * records, NXDOMAIN (the name does not exist), NODATA (the name exists but has
 * no records of the type) and TEMPFAIL (timeout, SERVFAIL, REFUSED, no server
 * reachable). A TEMPFAIL is never evidence that a record is missing.
 */
export type RRType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'PTR' | 'NS';

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** What one record of each type looks like: TXT strings of a record are joined. */
export interface RecordTypes {
  A: string;
  AAAA: string;
  CNAME: string;
  MX: MxRecord;
  TXT: string;
  PTR: string;
  NS: string;
}

export type TempfailReason = 'timeout' | 'servfail' | 'refused' | 'unreachable' | 'other';

export type DnsAnswer<R> =
  | { kind: 'records'; records: R[] }
  | { kind: 'nxdomain' }
  | { kind: 'nodata' }
  | { kind: 'tempfail'; reason: TempfailReason; code: string };

export interface DnsStats {
  /** Queries sent to a resolver (every attempt, every retry). */
  queries: number;
  /** Lookups fetched from a resolver rather than joined to one in flight or served from the cache. */
  unique: number;
  /** Answers served from the cache or joined to a query in flight. */
  cacheHits: number;
  /** Lookups that ended in TEMPFAIL after all retries. */
  tempfails: number;
}

/** The one interface every check uses for DNS; tests and production share it. */
export interface DnsClient {
  resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<RecordTypes[T]>>;
  stats(): DnsStats;
  /** The resolvers this client asks, as ADDR[:PORT] (for the run's audit trail); empty when none (an in-memory table). */
  servers?(): string[];
}

export interface DnsQueryRef {
  name: string;
  type: RRType;
}
