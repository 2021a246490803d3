import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import { createSharedAnswers, DEFAULT_CACHE_SIZE, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, resolveServers, unqueryable } from './client.js';
import { classifyDnsError } from './errors.js';
import { answerNamesPlain, chaseAnswer, EDNS_UDP_SIZE, exchangeMessage } from './raw.js';
import type { QuerySlot } from './window.js';
import type { DnskeyRecord, DsRecord, MxRecord, SecureAnswer, SecureDnsClient, SecureDnsStats, SecureFlags, SecureQueryOptions, SecureRecordTypes, SecureRRType, TlsaRecord } from './types.js';
import { canonicalName } from '../domain/normalize.js';

/**
 * The secure DNS client: what node:dns cannot ask (DESIGN.md: "DNSSEC
 * status, TLSA … go through the raw client on dns-packet with the same
 * servers, timeout and retries"). Every query carries EDNS0 (RFC 6891) with
 * a UDP size of 1232 bytes (DNS Flag Day 2020: no IP fragmentation on common
 * paths) and the DO bit (RFC 3225 §3: "DNSSEC OK", so the resolver returns
 * RRSIGs), optionally the CD bit (RFC 4035 §3.2.2: answer without
 * validating). The AD bit is left clear in queries (RFC 4035 §4.6: a server
 * that blindly copies header bits then cannot fake one); with DO set a
 * validating resolver still sets AD in its reply (RFC 6840 §5.8: AD only when
 * the query had DO or AD).
 *
 * The answer says what m365audit cannot check itself: the AD bit is the
 * resolver's word (RFC 4035 §4.9.3: a stub trusts it only over a secure
 * channel to a resolver it trusts); no signature is verified here.
 *
 * - UDP first, TCP when truncated (raw.ts exchangeMessage), within one
 *   `timeoutMs` per attempt; replies with QR=0, another ID or another
 *   question are dropped (RFC 1035 §4.1.1).
 * - A timeout, REFUSED or an unreachable server is retried on the next
 *   server, up to `retries` more attempts (every server gets one). SERVFAIL
 *   is returned at once as its own kind: from a validating resolver it is
 *   the answer for bogus data (RFC 4035 §5.5), and asking it again would
 *   only cost queries; the caller asks again with CD to tell bogus from a
 *   failure.
 * - Answers (not failures) are cached per run by (name, type, CD), and
 *   queries in flight are shared.
 * - Records are capped at MAX_SECURE_RECORDS per answer (`recordsTotal` has
 *   the count); CNAME chains in an answer are followed at most 16 hops (raw.ts chaseAnswer).
 *
 * `query()` resolves for every DNS outcome and never rejects. Throws a
 * TypeError at once for a server that is not an address, as createDnsClient.
 */

/** The types whose records are names, or hold one (their answers are checked with answerNamesPlain). */
const NAMED: ReadonlySet<SecureRRType> = new Set<SecureRRType>(['MX', 'CNAME', 'NS', 'PTR']);

/** Most records of one answer kept (a TLSA RRset holds a handful; a hostile one thousands over TCP). */
export const MAX_SECURE_RECORDS = 64;

/** Options of createSecureDnsClient: the same servers, timeout and retries as the DnsClient's (createDnsClient). */
export interface SecureDnsClientOptions {
  /** `ADDR`, `ADDR:PORT` or `[V6]:PORT`; default: the system resolvers. */
  servers?: readonly string[] | undefined;
  /** Deadline of one attempt (UDP and a TCP retry together). */
  timeoutMs?: number | undefined;
  /** Further attempts after a failed one, each to the next server. */
  retries?: number | undefined;
  /** About how many answers the cache keeps. */
  cacheSize?: number | undefined;
  /**
   * A server not to ask now (by its label, as given): the main client's
   * health (a server it holds suspect after a timeout), so that a dead
   * resolver costs the secure lookups one timeout, not one per attempt.
   */
  skip?: ((server: string) => boolean) | undefined;
  /**
   * A slot in the main client's window of queries in flight to the server
   * (DnsClient#slot, by label), so that both clients together slow down for
   * a resolver that falls behind; null or absent: no window.
   */
  gate?: ((server: string) => QuerySlot | Promise<QuerySlot> | null) | undefined;
}

type Answer = SecureAnswer<unknown>;

/**
 * A SecureDnsClient over the given resolvers (see the module comment): DO
 * and EDNS0 on every query, CD on request, the AD bit, RRSIGs and the DO echo
 * read from each reply, SERVFAIL kept apart from other failures.
 */
export function createSecureDnsClient(options: SecureDnsClientOptions = {}): SecureDnsClient {
  const timeoutMs = Math.max(1, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const retries = Math.max(0, options.retries ?? DEFAULT_RETRIES);
  const servers = resolveServers(options.servers);
  const stats: SecureDnsStats = { queries: 0, unique: 0, cacheHits: 0, tempfails: 0, tcp: 0 };
  const answers = createSharedAnswers<Answer>(Math.max(1, options.cacheSize ?? DEFAULT_CACHE_SIZE), (answer) => answer.kind !== 'tempfail' && answer.kind !== 'servfail', stats);
  // The server that answered last is asked first: a dead first resolver costs one timeout, not one per query.
  let preferred = 0;

  async function lookup(name: string, type: SecureRRType, cd: boolean): Promise<Answer> {
    if (servers.length === 0) return { kind: 'tempfail', reason: 'no-server', code: 'ENOSERVER' };
    const attempts = Math.max(retries + 1, servers.length);
    let last: Answer = { kind: 'tempfail', reason: 'no-server', code: 'ENOSERVER' };
    for (let i = 0; i < attempts; i++) {
      const index = (preferred + i) % servers.length;
      const { server, label } = servers[index] as { server: string; label: string };
      if (options.skip?.(label)) continue;
      const slot = await (options.gate?.(label) ?? null);
      // The main client turned against the server while this query waited for room: not sent.
      if (slot && options.skip?.(label)) {
        slot('other');
        continue;
      }
      stats.queries++;
      try {
        last = await ask(server, name, type, cd, timeoutMs, () => void stats.tcp++);
      } catch {
        // ask() resolves for every DNS outcome; anything else is a failure of this attempt, and the slot goes back.
        last = { kind: 'tempfail', reason: 'other', code: 'EBADRESP' };
      }
      slot?.(last.kind !== 'tempfail' ? 'answer' : last.reason === 'timeout' ? 'timeout' : 'other');
      if (last.kind !== 'tempfail') {
        preferred = index;
        return last;
      }
    }
    stats.tempfails++;
    return last;
  }

  return {
    query<T extends SecureRRType>(rawName: string, type: T, opts: SecureQueryOptions = {}): Promise<SecureAnswer<SecureRecordTypes[T]>> {
      const name = canonicalName(rawName);
      const cd = opts.cd === true;
      if (unqueryable(name)) return Promise.resolve({ kind: 'tempfail', reason: 'other', code: 'EBADNAME' });
      const key = `${type} ${name}${cd ? ' +cd' : ''}`;
      return answers.get(key, () => lookup(name, type, cd)) as Promise<SecureAnswer<SecureRecordTypes[T]>>;
    },
    stats: () => ({ ...stats }),
    servers: () => servers.map((s) => s.label),
  };
}


/** One attempt against one server: the query with EDNS0, DO (and CD), read into a SecureAnswer. Never rejects. */
async function ask(server: string, name: string, type: SecureRRType, cd: boolean, timeoutMs: number, onTcp: () => void): Promise<Answer> {
  const query: packet.Packet = {
    type: 'query',
    id: randomInt(0, 65536),
    flags: packet.RECURSION_DESIRED | (cd ? packet.CHECKING_DISABLED : 0),
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, flags: packet.DNSSEC_OK } as packet.Answer],
  };
  let response: packet.Packet;
  let truncated = false;
  try {
    response = await exchangeMessage(server, query, timeoutMs, () => {
      truncated = true;
      onTcp();
    });
  } catch (err) {
    const failed = classifyDnsError(err);
    // A timeout after a truncated reply is the TCP retry's (a firewall that drops TCP/53): the server did answer,
    // and a question without DO might fit in 512 bytes (shared-mx.ts asks it through node:dns).
    if (failed.kind === 'tempfail' && failed.reason === 'timeout' && truncated) return { kind: 'tempfail', reason: 'other', code: 'ETIMEOUT' };
    return failed.kind === 'tempfail' ? failed : { kind: 'tempfail', reason: 'other', code: 'EBADRESP' };
  }
  return readSecureAnswer(response, name, type, cd);
}

/**
 * A reply read as a SecureAnswer: the RCODE's kind, the records of the type
 * asked at the name (CNAMEs in the answer followed), the AD bit, the RRSIGs
 * in the answer and authority sections, and whether the OPT record carried
 * the DO bit back.
 */
export function readSecureAnswer(response: packet.Packet, name: string, type: SecureRRType, cd: boolean): Answer {
  const rcode = (response as { rcode?: string }).rcode;
  switch (rcode) {
    case 'NOERROR':
    case 'NXDOMAIN':
      break;
    case 'SERVFAIL':
      return { kind: 'servfail', cd, code: 'ESERVFAIL' };
    case 'REFUSED':
      return { kind: 'tempfail', reason: 'refused', code: 'EREFUSED' };
    case 'FORMERR':
      // A server that refuses EDNS0 (RFC 6891 §7) cannot answer with DNSSEC data either.
      return { kind: 'tempfail', reason: 'other', code: 'EFORMERR' };
    default:
      return { kind: 'tempfail', reason: 'other', code: 'EBADRESP' };
  }
  const answers = response.answers ?? [];
  const authorities = response.authorities ?? [];
  const opt = (response.additionals ?? []).find((a) => a.type === 'OPT') as { flags?: number } | undefined;
  const flags: SecureFlags = {
    ad: ((response.flags ?? 0) & packet.AUTHENTIC_DATA) !== 0,
    rrsigs: answers.filter((a) => a.type === 'RRSIG').length + authorities.filter((a) => a.type === 'RRSIG').length,
    dnssecOk: opt !== undefined && ((opt.flags ?? 0) & packet.DNSSEC_OK) !== 0,
    cd,
  };
  if (rcode === 'NXDOMAIN') return { kind: 'nxdomain', ...flags };
  const matching = chaseAnswer(answers, name, type);
  if (matching.length > 0) {
    const records = matching.slice(0, MAX_SECURE_RECORDS).map((a) => recordData(a, type));
    // Only records that hold names can hold one node:dns writes otherwise; TLSA, DS, DNSKEY and TXT hold none.
    const escaped = NAMED.has(type) && !answerNamesPlain(response);
    return { kind: 'records', records, recordsTotal: matching.length, ...flags, ...(escaped ? { escapedNames: true as const } : {}) };
  }
  return { kind: 'nodata', ...flags };
}

function hex(b: unknown): string {
  return Buffer.isBuffer(b) ? b.toString('hex') : '';
}

function recordData(a: packet.Answer, type: SecureRRType): unknown {
  const data = (a as unknown as { data: unknown }).data;
  switch (type) {
    case 'MX': {
      const mx = data as { preference?: number; exchange: string };
      return { exchange: canonicalName(mx.exchange), priority: mx.preference ?? 0 } satisfies MxRecord;
    }
    case 'TXT': {
      const chunks = Array.isArray(data) ? data : [data];
      return chunks.map((c: unknown) => (Buffer.isBuffer(c) ? c.toString('latin1') : String(c))).join('');
    }
    case 'TLSA': {
      const t = data as { usage: number; selector: number; matchingType: number; certificate: unknown };
      return { usage: t.usage, selector: t.selector, matchingType: t.matchingType, data: hex(t.certificate) } satisfies TlsaRecord;
    }
    case 'DS': {
      const d = data as { keyTag: number; algorithm: number; digestType: number; digest: unknown };
      return { keyTag: d.keyTag, algorithm: d.algorithm, digestType: d.digestType, digest: hex(d.digest) } satisfies DsRecord;
    }
    case 'DNSKEY': {
      const k = data as { flags: number; algorithm: number; key: unknown };
      return { flags: k.flags, protocol: 3, algorithm: k.algorithm, key: Buffer.isBuffer(k.key) ? k.key.toString('base64') : '' } satisfies DnskeyRecord;
    }
    default:
      return String(data);
  }
}
