import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import * as packet from 'dns-packet';
import { ZoneStore, type DnssecStatus, type LookupResult, type RecordData, type ServedType, type StoredRecord } from './zone-store.js';
import type { DnskeyData, DsData, RrsigData, TlsaData } from '../dns/zone-file.js';

/**
 * A loopback DNS server for tests, the demo and the benchmark: UDP and TCP
 * on one port of 127.0.0.1, answering from a ZoneStore with a recursive
 * resolver's view (CNAMEs chased, NXDOMAIN vs NODATA). Answers over 512 bytes
 * (or the client's EDNS size) are truncated over UDP so the client retries
 * over TCP, as real servers do. Faults can be injected per name: no answer,
 * SERVFAIL, REFUSED, truncation with no TCP behind it, extra latency; and a
 * share of all UDP queries can be dropped (seeded, so runs repeat).
 *
 * DNSSEC and DANE (zone-store.ts says how a zone is signed, secure or
 * bogus): TLSA, DS, DNSKEY and RRSIG records are served from the zone files.
 * A query with EDNS0 gets an OPT record back, with the DO bit copied
 * (RFC 3225 §3); with DO set, each RRset from a signed zone comes with its
 * RRSIGs (and a negative answer with its SOA's). By default the server acts
 * as a validating resolver: it sets the AD bit when every RRset of the
 * answer is secure and the query set DO or AD (RFC 4035 §3.2.3, RFC 6840
 * §5.8), copies the CD bit (RFC 4035 §3.2.2), and answers SERVFAIL for data
 * from a bogus zone unless CD is set (RFC 4035 §5.5). `validating: false`
 * makes it a DNSSEC-aware resolver that does not validate: RRSIGs with DO,
 * never AD, never SERVFAIL for bogus data. A query without EDNS0, AD or CD
 * is answered as before (no OPT, no RRSIG), except that bogus data is
 * SERVFAIL from a validating server, as from any validating resolver.
 */
/**
 * A fault to inject for a name: no answer at all (`timeout`), SERVFAIL,
 * REFUSED, or a truncated UDP answer with no TCP behind it.
 */
export type Fault = 'timeout' | 'servfail' | 'refused' | 'truncate-no-tcp';

/** Options of startDnsServer: the zones to serve, and latency and loss for every query. */
export interface DnsServerOptions {
  /** Load every `<origin>.zone` here. */
  zoneDir?: string;
  zones?: ZoneStore;
  /** Added before every answer. */
  latencyMs?: number;
  /** Share (0..1) of UDP queries silently dropped. */
  dropRate?: number;
  /** Seed of the drop decisions. */
  seed?: number;
  /**
   * A resolver that falls behind: at most this many UDP answers waiting
   * (their latency not yet over); a query that comes while that many wait is
   * dropped (counted in `dropped`), as by a full receive queue. Default: no bound.
   */
  maxPending?: number;
  host?: '127.0.0.1' | '::1';
  /** UDP and TCP port (default 0: a free one). A fixed port that is taken rejects with the socket's error (EADDRINUSE, EACCES). */
  port?: number;
  /**
   * Act as a validating resolver (default true): AD for secure answers,
   * SERVFAIL for bogus ones unless CD. False: DNSSEC-aware but not
   * validating (RRSIGs with DO, never AD), to test a `signed` domain.
   */
  validating?: boolean;
}

/** What a loopback DNS server has been asked, for tests and the benchmark. */
export interface DnsServerStats {
  udpQueries: number;
  tcpQueries: number;
  /** UDP answers sent with the TC bit (the client must ask again over TCP). */
  truncated: number;
  dropped: number;
  /** Distinct (name, type) pairs asked. */
  unique: number;
  /** How often each (name, type) was asked, over UDP. */
  perQuery: Map<string, number>;
}

/**
 * A running loopback DNS server: where it listens, its zones, fault and
 * latency controls, query counts, and `close()`.
 */
export interface TestDnsServer {
  port: number;
  address: string;
  /** `127.0.0.1:PORT`, for createDnsClient({ servers }) and --dns-server. */
  server: string;
  zones: ZoneStore;
  addZone(origin: string, text: string): void;
  addRecord(name: string, type: ServedType, data: RecordData): void;
  /** Injects (or with null clears) a fault for a name (`*.example` for every name below it), for every type or one. */
  setFault(name: string, fault: Fault | null, type?: string): void;
  /** Extra latency for one name (e.g. 2-second answers). */
  setLatency(name: string, ms: number | null): void;
  setDropRate(rate: number): void;
  stats(): DnsServerStats;
  resetStats(): void;
  /** Resolves at the first query (from now on) whose `name type` key matches, e.g. /^c40\.slow\.test /. */
  nextQuery(pattern: RegExp): Promise<string>;
  close(): Promise<void>;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const DEFAULT_UDP_SIZE = 512;
/** The UDP payload size the server advertises in its OPT record (DNS Flag Day 2020). */
const SERVER_UDP_SIZE = 1232;

/**
 * Starts a DNS server on loopback (127.0.0.1 by default, or ::1), UDP and TCP
 * on one free port, answering from `options.zones` or the zone files in
 * `options.zoneDir` (see the module comment). Listens on loopback only and
 * asks no other server. Rejects when it cannot bind; call `close()` when done.
 */
export async function startDnsServer(options: DnsServerOptions = {}): Promise<TestDnsServer> {
  const zones = options.zones ?? new ZoneStore();
  if (options.zoneDir) zones.loadDir(options.zoneDir);
  const host = options.host ?? '127.0.0.1';
  const validating = options.validating ?? true;
  const faults = new Map<string, Fault>();
  const latencies = new Map<string, number>();
  let dropRate = options.dropRate ?? 0;
  let rng = mulberry32(options.seed ?? 1);
  const stats = freshStats();
  const seen = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();

  /** The fault for a name: its own, else one set on `*.ancestor` (covers the whole subtree). */
  const faultFor = (name: string, type: string): Fault | undefined => {
    const own = faults.get(`${name} ${type}`) ?? faults.get(`${name} *`);
    if (own || faults.size === 0) return own;
    const labels = name.split('.');
    for (let i = 1; i < labels.length; i++) {
      const wild = `*.${labels.slice(i).join('.')}`;
      const f = faults.get(`${wild} ${type}`) ?? faults.get(`${wild} *`);
      if (f) return f;
    }
    return undefined;
  };

  const waiters = new Set<{ pattern: RegExp; resolve: (key: string) => void }>();
  function count(q: packet.Question, proto: 'udp' | 'tcp'): void {
    const key = `${q.name.toLowerCase()} ${q.type}`;
    for (const w of waiters) {
      if (!w.pattern.test(key)) continue;
      waiters.delete(w);
      w.resolve(key);
    }
    if (proto === 'udp') {
      stats.udpQueries++;
      stats.perQuery.set(key, (stats.perQuery.get(key) ?? 0) + 1);
    } else stats.tcpQueries++;
    if (!seen.has(key)) {
      seen.add(key);
      stats.unique++;
    }
  }

  /** The response for one query, or null to stay silent. */
  function answer(query: packet.Packet, proto: 'udp' | 'tcp'): Buffer | null {
    const q = query.questions?.[0];
    if (!q) return null;
    count(q, proto);
    const name = q.name.toLowerCase().replace(/\.$/, '');
    const fault = faultFor(name, q.type);
    if (fault === 'timeout') return null;
    if (fault === 'truncate-no-tcp' && proto === 'tcp') return null;
    const edns = ednsOf(query);
    const bits = query.flags ?? 0;
    const cd = (bits & packet.CHECKING_DISABLED) !== 0;
    const dnssecOk = edns.present && edns.dnssecOk;
    const base = {
      type: 'response' as const,
      id: query.id ?? 0,
      questions: [q],
      answers: [] as packet.Answer[],
      authorities: [] as packet.Answer[],
      // RFC 6891 §7: a query with an OPT record gets one back; RFC 3225 §3: with its DO bit copied.
      additionals: edns.present ? [{ type: 'OPT', name: '.', udpPayloadSize: SERVER_UDP_SIZE, flags: dnssecOk ? packet.DNSSEC_OK : 0 } as packet.Answer] : [],
    };
    // RFC 4035 §3.2.2: the CD bit is copied from the query.
    const cdBit = cd ? packet.CHECKING_DISABLED : 0;
    if (fault === 'servfail' || fault === 'refused') {
      return packet.encode({ ...base, flags: flags(fault === 'servfail' ? RCODE.SERVFAIL : RCODE.REFUSED) | cdBit });
    }
    const result = zones.lookup(name, q.type);
    const dnssec = dnssecView(zones, name, q.type, result, edns.present || (bits & (packet.AUTHENTIC_DATA | packet.CHECKING_DISABLED)) !== 0);
    if (validating && dnssec.status === 'bogus' && !cd) {
      // RFC 4035 §5.5: data that fails validation is not returned; the resolver answers SERVFAIL.
      return packet.encode({ ...base, flags: flags(RCODE.SERVFAIL) });
    }
    // RFC 4035 §3.2.3 and RFC 6840 §5.8: AD only when every RRset is secure, and only to a query with DO or AD.
    const adBit = validating && dnssec.status === 'secure' && (dnssecOk || (bits & packet.AUTHENTIC_DATA) !== 0) ? packet.AUTHENTIC_DATA : 0;
    const negative = result.answers.length === 0;
    const answers = dnssecOk ? withSignatures(zones, result.answers) : result.answers;
    const authorities = result.soa && negative ? (dnssecOk ? withSignatures(zones, [result.soa]) : [result.soa]) : [];
    const response: packet.Packet = {
      ...base,
      flags: flags(RCODE[result.rcode]) | adBit | cdBit,
      answers: answers.map(toAnswer),
      authorities: authorities.map(toAnswer),
    };
    const buf = packet.encode(response);
    const limit = Math.max(DEFAULT_UDP_SIZE, edns.size);
    if (proto === 'udp' && (buf.length > limit || fault === 'truncate-no-tcp')) {
      stats.truncated++;
      return packet.encode({ ...base, flags: flags(RCODE[result.rcode]) | cdBit | packet.TRUNCATED_RESPONSE });
    }
    return buf;
  }

  function delayFor(query: packet.Packet): number {
    const q = query.questions?.[0];
    const extra = q ? latencies.get(q.name.toLowerCase().replace(/\.$/, '')) : undefined;
    return (options.latencyMs ?? 0) + (extra ?? 0);
  }

  function later(ms: number, fn: () => void): void {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  }

  const maxPending = options.maxPending ?? Infinity;
  let pending = 0;
  const onMessage = (udp: Socket, msg: Buffer, rinfo: RemoteInfo): void => {
    let query: packet.Packet;
    try {
      query = packet.decode(msg);
    } catch {
      return;
    }
    if ((dropRate > 0 && rng() < dropRate) || pending >= maxPending) {
      stats.dropped++;
      return;
    }
    const out = answer(query, 'udp');
    if (!out) return;
    pending++;
    later(delayFor(query), () => {
      pending--;
      udp.send(out, rinfo.port, rinfo.address, () => undefined);
    });
  };
  const makeUdp = (): Socket => {
    // Bursts of a 256-wide batch overflow the default 208 KiB receive buffer
    // (the kernel counts ~1 KiB per small datagram): measured 600 drops in
    // 16,000 queries. 4 MiB is Linux's default rmem_max.
    const sock = createSocket({ type: host === '::1' ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    sock.on('message', (msg: Buffer, rinfo: RemoteInfo) => onMessage(sock, msg, rinfo));
    return sock;
  };
  const tcpSockets = new Set<TcpSocket>();
  const tcp: Server = createServer((sock) => {
    tcpSockets.add(sock);
    sock.on('close', () => tcpSockets.delete(sock));
    sock.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const msg = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        let query: packet.Packet;
        try {
          query = packet.decode(msg);
        } catch {
          sock.destroy();
          return;
        }
        const out = answer(query, 'tcp');
        if (!out) {
          sock.destroy();
          return;
        }
        const framed = Buffer.alloc(2 + out.length);
        framed.writeUInt16BE(out.length, 0);
        out.copy(framed, 2);
        later(delayFor(query), () => {
          if (!sock.destroyed) sock.write(framed);
        });
      }
    });
  });

  const { udp, port } = await bindBoth(makeUdp, tcp, host, options.port ?? 0);
  const display = host === '::1' ? `[::1]:${port}` : `${host}:${port}`;

  return {
    port,
    address: host,
    server: display,
    zones,
    addZone: (origin, text) => void zones.addZone(origin, text),
    addRecord: (name, type, data) => void zones.addRecord(name, type, data),
    setFault(name, fault, type) {
      const key = `${name.toLowerCase().replace(/\.$/, '')} ${type ?? '*'}`;
      if (fault === null) faults.delete(key);
      else faults.set(key, fault);
    },
    setLatency(name, ms) {
      const n = name.toLowerCase().replace(/\.$/, '');
      if (ms === null) latencies.delete(n);
      else latencies.set(n, ms);
    },
    setDropRate(rate) {
      dropRate = rate;
      rng = mulberry32(options.seed ?? 1);
    },
    stats: () => ({ ...stats, perQuery: new Map(stats.perQuery) }),
    nextQuery: (pattern) => new Promise((resolve) => waiters.add({ pattern, resolve })),
    resetStats() {
      Object.assign(stats, freshStats());
      seen.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of tcpSockets) s.destroy();
        udp.close();
        tcp.close(() => resolve());
      }),
  };
}

function freshStats(): DnsServerStats {
  return { udpQueries: 0, tcpQueries: 0, truncated: 0, dropped: 0, unique: 0, perQuery: new Map() };
}

function flags(rcode: number): number {
  return packet.AUTHORITATIVE_ANSWER | packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | rcode;
}

/** The query's EDNS0 (RFC 6891): whether it has an OPT record, the UDP size it gives, and its DO bit. */
function ednsOf(query: packet.Packet): { present: boolean; size: number; dnssecOk: boolean } {
  const opt = (query.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number; flags?: number } | undefined;
  return { present: opt !== undefined, size: opt?.udpPayloadSize ?? 0, dnssecOk: ((opt?.flags ?? 0) & packet.DNSSEC_OK) !== 0 };
}

/**
 * The DNSSEC status of an answer: bogus when any RRset in it (or, for a
 * negative answer, the name and type asked at the end of its CNAME chain)
 * is bogus, secure when every one is, else insecure. Worked out only when
 * the query asks about DNSSEC (EDNS0, AD or CD) or some zone is bogus: a
 * plain query against unsigned zones costs nothing more.
 */
function dnssecView(zones: ZoneStore, name: string, type: string, result: LookupResult, asked: boolean): { status: DnssecStatus } {
  if (!asked && !zones.hasBogusZones()) return { status: 'insecure' };
  const rrsets = new Map<string, { name: string; type: string }>();
  for (const r of result.answers) rrsets.set(`${r.name} ${r.type}`, { name: r.name, type: r.type });
  if (!result.answers.some((r) => r.type === type)) {
    const last = [...result.answers].reverse().find((r) => r.type === 'CNAME');
    const end = last ? String(last.data) : name;
    rrsets.set(`${end} ${type} negative`, { name: end, type });
  }
  let secure = true;
  for (const r of rrsets.values()) {
    const status = zones.security(r.name, r.type).status;
    if (status === 'bogus') return { status: 'bogus' };
    if (status !== 'secure') secure = false;
  }
  return { status: secure ? 'secure' : 'insecure' };
}

/** Each RRset of `records` followed by the RRSIGs that cover it (none outside signed zones; RRSIGs themselves are not signed). */
function withSignatures(zones: ZoneStore, records: readonly StoredRecord[]): StoredRecord[] {
  const out: StoredRecord[] = [];
  const done = new Set<string>();
  for (const r of records) out.push(r);
  for (const r of records) {
    const key = `${r.name} ${r.type}`;
    if (r.type === 'RRSIG' || done.has(key)) continue;
    done.add(key);
    out.push(...zones.signaturesFor(r.name, r.type, r.ttl));
  }
  return out;
}

function toAnswer(r: StoredRecord): packet.Answer {
  const base = { name: r.name, ttl: r.ttl, class: 'IN' as const };
  switch (r.type) {
    case 'TXT':
      return { ...base, type: 'TXT', data: (r.data as string[]).map((s) => Buffer.from(s, 'latin1')) };
    case 'MX': {
      const d = r.data as { priority: number; exchange: string };
      return { ...base, type: 'MX', data: { preference: d.priority, exchange: d.exchange } };
    }
    case 'SOA':
      return { ...base, type: 'SOA', data: r.data as packet.SoaData };
    case 'SRV': {
      const d = r.data as { priority: number; weight: number; port: number; target: string };
      return { ...base, type: 'SRV', data: d };
    }
    case 'TLSA': {
      const d = r.data as TlsaData;
      return { ...base, type: 'TLSA', data: { usage: d.usage, selector: d.selector, matchingType: d.matchingType, certificate: Buffer.from(d.data, 'hex') } } as unknown as packet.Answer;
    }
    case 'DS': {
      const d = r.data as DsData;
      return { ...base, type: 'DS', data: { keyTag: d.keyTag, algorithm: d.algorithm, digestType: d.digestType, digest: Buffer.from(d.digest, 'hex') } };
    }
    case 'DNSKEY': {
      const d = r.data as DnskeyData;
      return { ...base, type: 'DNSKEY', data: { flags: d.flags, algorithm: d.algorithm, key: Buffer.from(d.key, 'base64') } };
    }
    case 'RRSIG': {
      const d = r.data as RrsigData;
      return {
        ...base,
        type: 'RRSIG',
        data: {
          typeCovered: d.typeCovered, algorithm: d.algorithm, labels: d.labels, originalTTL: d.originalTtl,
          expiration: d.expiration, inception: d.inception, keyTag: d.keyTag, signersName: d.signer === '' ? '.' : d.signer, signature: Buffer.from(d.signature, 'base64'),
        },
      };
    }
    default:
      return { ...base, type: r.type, data: r.data as string } as packet.Answer;
  }
}

/**
 * Binds UDP to `wanted` (0: a free port), then TCP to the same one; with a
 * free port, retries when TCP's is taken. A fixed port that cannot be bound
 * rejects with the socket's error.
 */
async function bindBoth(makeUdp: () => Socket, tcp: Server, host: string, wanted: number): Promise<{ udp: Socket; port: number }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = makeUdp();
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(wanted, host, () => {
        udp.off('error', reject);
        resolve(udp.address().port);
      });
    });
    const failure = await new Promise<Error | null>((resolve) => {
      const onError = (err: Error): void => resolve(err);
      tcp.once('error', onError);
      tcp.listen(port, host, () => {
        tcp.off('error', onError);
        resolve(null);
      });
    });
    if (!failure) return { udp, port };
    await new Promise<void>((r) => udp.close(() => r()));
    if (wanted !== 0) throw failure;
  }
  throw new Error('could not bind the test DNS server to a loopback port');
}

/** A small seeded PRNG so that drop patterns repeat from run to run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export { ZoneStore };
