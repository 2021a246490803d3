/**
 * Typed DNS answers. Every lookup result is one of four kinds, kept apart:
 * records, NXDOMAIN (the name does not exist), NODATA (the name exists but has
 * no records of the type) and TEMPFAIL (timeout, SERVFAIL, REFUSED, no server
 * reachable). A TEMPFAIL is never evidence that a record is missing.
 */
/** The record types a DnsClient is asked for. */
export type RRType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'PTR' | 'NS';

/** One MX record (RFC 1035 3.3.9): the exchange host and its preference (lower is tried first). */
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

/** `no-server`: not asked at all, because no server has answered lately (see DnsHealth). */
export type TempfailReason = 'timeout' | 'servfail' | 'refused' | 'unreachable' | 'no-server' | 'other';

/**
 * One lookup's answer, one of four kinds kept apart: `records`, `nxdomain`
 * (the name does not exist), `nodata` (it exists, with no records of the type),
 * `tempfail` (no usable answer: timeout, SERVFAIL, REFUSED, no server).
 * `code` is the resolver's (`ETIMEOUT`, `ESERVFAIL` …).
 */
export type DnsAnswer<R> =
  | { kind: 'records'; records: R[] }
  | { kind: 'nxdomain' }
  | { kind: 'nodata' }
  | { kind: 'tempfail'; reason: TempfailReason; code: string };

/** What a DnsClient has done so far (`batch --stats`). */
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

/** One resolver as a client sees it: `suspect` once a query to it timed out with no reply from it since that query was sent. */
export interface DnsServerHealth {
  /** As given (--dns-server), or as Resolver#getServers gives the system resolvers. */
  server: string;
  state: 'alive' | 'suspect';
  /** When it last replied to anything (epoch ms; an error reply such as SERVFAIL counts), or null. */
  lastAnswerAt: number | null;
}

/** How a client's resolvers are answering (see createDnsClient): the servers, and whether they have gone silent. */
export interface DnsHealth {
  servers: DnsServerHealth[];
  /** Since when (epoch ms) queries have gone out with no server replying to any, or null while they reply. */
  silentSince: number | null;
  /** How long that silence lasts before the servers count as dead: timeout x (retries + 1). */
  deadAfterMs: number;
  /** No server has replied to anything for deadAfterMs while being asked. */
  dead: boolean;
}

/**
 * The one interface every check uses for DNS; tests and production share it.
 * `resolve()` resolves with a DnsAnswer for every DNS outcome (a failure is
 * a `tempfail` answer, never a rejection).
 */
export interface DnsClient {
  resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<RecordTypes[T]>>;
  stats(): DnsStats;
  /** Resolver health; absent where there are no resolvers (the in-memory client). */
  health?(): DnsHealth;
  /**
   * Settles 'alive' as soon as some server is not suspect, probing the silent
   * ones meanwhile, or 'dead' once none has replied for deadAfterMs
   * ('aborted' when `signal` aborts first).
   */
  waitForServer?(signal?: AbortSignal): Promise<'alive' | 'dead' | 'aborted'>;
  /** The resolvers this client asks, as ADDR[:PORT] (for the run's audit trail); empty when none (an in-memory table). */
  servers?(): string[];
}

export interface DnsQueryRef {
  name: string;
  type: RRType;
}
