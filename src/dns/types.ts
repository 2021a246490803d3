import type { QuerySlot, QueryWindowState } from './window.js';

export type { QuerySlot, QueryWindowState };
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
  /**
   * A slot in the adaptive window of queries in flight to `server` (a label
   * from servers()), for another client asking the same server (the secure
   * client), after its turn of this client's `qps` pacing; null for a server
   * this client does not know.
   */
  slot?(server: string): QuerySlot | Promise<QuerySlot> | null;
  /** Each server's window (src/dns/window.ts), for --stats. */
  windows?(): ({ server: string } & QueryWindowState)[];
}

export interface DnsQueryRef {
  name: string;
  type: RRType;
}

// ---------------------------------------------------------------------------
// The secure client (src/dns/secure.ts): what node:dns cannot ask or show.

/**
 * A TLSA record (RFC 6698 §2.1): certificate usage (§2.1.1; RFC 7218
 * acronyms PKIX-TA 0, PKIX-EE 1, DANE-TA 2, DANE-EE 3), selector (§2.1.2:
 * Cert 0, SPKI 1), matching type (§2.1.3: Full 0, SHA2-256 1, SHA2-512 2)
 * and the certificate association data, lower-case hex.
 */
export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: string;
}

/** A DS record (RFC 4034 §5.1): the key tag, algorithm and digest type of the child's key, and the digest (lower-case hex). */
export interface DsRecord {
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: string;
}

/** A DNSKEY record (RFC 4034 §2.1): flags (256 ZSK, 257 KSK), protocol (always 3), algorithm, and the key (base64). */
export interface DnskeyRecord {
  flags: number;
  protocol: number;
  algorithm: number;
  key: string;
}

/** What one record of each type the secure client asks for looks like (the node:dns shapes, and the DNSSEC and DANE types). */
export interface SecureRecordTypes extends RecordTypes {
  TLSA: TlsaRecord;
  DS: DsRecord;
  DNSKEY: DnskeyRecord;
}

/** The record types a SecureDnsClient is asked for: the DnsClient's and TLSA, DS, DNSKEY. */
export type SecureRRType = keyof SecureRecordTypes;

/**
 * What a DNSSEC-aware answer says beside its records. `ad`: the resolver set
 * the AD bit (RFC 4035 §3.2.3: it considers every RRset in the answer and
 * authority sections authentic; the resolver's word, not checked here).
 * `rrsigs`: RRSIG records that came in the answer and authority sections
 * (the zone is signed, whether or not the resolver validated it). `dnssecOk`:
 * the response carried the DO bit back (RFC 3225 §3: a DNSSEC-aware server
 * copies it), so a missing RRSIG means an unsigned zone, not a resolver
 * that drops signatures. `cd`: the query was sent with the CD bit.
 */
export interface SecureFlags {
  ad: boolean;
  rrsigs: number;
  dnssecOk: boolean;
  cd: boolean;
}

/**
 * One secure lookup's answer. As DnsAnswer, with the DNSSEC flags on every
 * reply that carries data, and SERVFAIL as its own kind: a validating
 * resolver answers SERVFAIL for data that fails validation (RFC 4035
 * §5.5), so SERVFAIL without CD and an answer with CD is "bogus", not a
 * transient failure. `recordsTotal` counts records beyond the kept ones.
 */
export type SecureAnswer<R> =
  | ({
      kind: 'records';
      records: R[];
      recordsTotal: number;
      /**
       * Set on an answer of names (MX, CNAME, NS, PTR) when a name in it
       * holds a byte node:dns writes escaped (`.` or `\\` inside a label, a
       * control or non-ASCII byte: raw.ts answerNamesPlain); the names here
       * are dns-packet's, which cannot show it.
       */
      escapedNames?: true;
    } & SecureFlags)
  | ({ kind: 'nxdomain' } & SecureFlags)
  | ({ kind: 'nodata' } & SecureFlags)
  | { kind: 'servfail'; cd: boolean; code: 'ESERVFAIL' }
  | { kind: 'tempfail'; reason: TempfailReason; code: string };

/** Options of one secure query: `cd` sets the Checking Disabled bit (RFC 4035 §3.2.2: the resolver answers without validating). */
export interface SecureQueryOptions {
  cd?: boolean | undefined;
}

/** What a SecureDnsClient has done so far: as DnsStats, and how many answers were asked again over TCP (truncated over UDP). */
export interface SecureDnsStats extends DnsStats {
  tcp: number;
}

/**
 * The raw client for what node:dns cannot ask (src/dns/secure.ts): queries
 * with EDNS0 and the DO bit (optionally CD), answers with the AD bit, RRSIG
 * presence and TLSA/DS/DNSKEY records. Same servers, timeout and retries as
 * the DnsClient. `query()` resolves for every DNS outcome, never rejects.
 */
export interface SecureDnsClient {
  query<T extends SecureRRType>(name: string, type: T, options?: SecureQueryOptions): Promise<SecureAnswer<SecureRecordTypes[T]>>;
  stats(): SecureDnsStats;
  /** The resolvers asked, as ADDR[:PORT]. */
  servers(): string[];
}
