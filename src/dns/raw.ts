import { randomInt } from 'node:crypto';
import net from 'node:net';
import { domainToASCII } from 'node:url';
import * as packet from 'dns-packet';
import type { RRType } from './types.js';
import { parseHostPort } from '../domain/host-port.js';
import { canonicalName } from '../domain/normalize.js';
import { settleWithin, TIMEOUT } from '../util/deadline.js';
import { sendShared } from './udp-pool.js';

/**
 * node:dns passes every name through the WHATWG URL host parser before c-ares
 * sees it. Valid DNS names that are not valid URL hosts come out changed or as
 * "" (which c-ares then sends as a query for the root): Microsoft's MX host for
 * an IDN domain (`xn--bcher-kva-example.mail.protection.outlook.com` is not
 * valid punycode), names with `*`, `%` or other bytes an SPF macro can expand
 * to. Those names go out through this small client instead, byte for byte.
 */
export function needsRawQuery(name: string): boolean {
  return domainToASCII(name) !== name;
}

const MAX_UDP = 4096;
/** The EDNS0 UDP payload size advertised (DNS Flag Day 2020: no IP fragmentation on common paths). */
export const EDNS_UDP_SIZE = 1232;
const MAX_CHASE = 16;

class RawDnsError extends Error {
  constructor(
    readonly code: string,
    name: string,
  ) {
    super(`${code} ${name}`);
  }
}

/** `ADDR`, `ADDR:PORT`, `V6`, `[V6]:PORT` (as parseServerAddress writes them) → host and port (53 when none). */
export function splitServer(server: string): { host: string; port: number } {
  const hp = parseHostPort(server);
  return { host: hp?.host ?? '', port: hp?.port ?? 53 };
}

/**
 * One query, UDP first and TCP when the answer is truncated, against one
 * server, within `timeoutMs`. Resolves to records shaped as node:dns gives
 * them; rejects with the error codes node:dns uses (ENOTFOUND, ENODATA,
 * ESERVFAIL, EREFUSED, ETIMEOUT, ...) so classifyDnsError reads both paths.
 * With `edns`, the query carries an OPT record (RFC 6891) offering
 * EDNS_UDP_SIZE bytes over UDP.
 */
export async function rawQuery(server: string, name: string, type: RRType, timeoutMs: number, options: { edns?: boolean; onReply?: (response: packet.Packet) => void } = {}): Promise<unknown[]> {
  const query: packet.Packet = {
    type: 'query',
    id: randomInt(0, 65536),
    flags: packet.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    // EDNS0 (RFC 6891 §6.2.5): a reply up to EDNS_UDP_SIZE bytes comes over UDP, with no truncation and TCP retry.
    ...(options.edns ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, flags: 0 } as packet.Answer] } : {}),
  };
  const response = await exchangeMessage(server, query, timeoutMs);
  try {
    options.onReply?.(response);
  } catch {
    // What a caller learns on the side never costs it the answer.
  }
  return readAnswer(response, name, type);
}

/**
 * What a CNAME question for `name` would get, read from a reply to another
 * question about it: a recursive resolver puts the alias it followed in the
 * answer section (RFC 1034 §3.6.2 and §4.3.2 step 3a), so the CNAME records
 * owned by `name` are that answer; an empty answer at a name that exists
 * (NOERROR) is NODATA, at one that does not (NXDOMAIN) NXDOMAIN. Null when
 * the reply cannot say: another RCODE, records at the name and no CNAME (a
 * resolver may flatten aliases), or a name node:dns would write otherwise.
 */
export function aliasAnswer(response: packet.Packet, name: string): { kind: 'records'; records: string[] } | { kind: 'nodata' } | { kind: 'nxdomain' } | null {
  const rcode = (response as { rcode?: string }).rcode;
  if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') return null;
  const section = response.answers ?? [];
  // A reply with records at the name itself and no CNAME may come from a resolver that flattens aliases
  // (rewrites the chain into records at the name asked): it says nothing sure of the alias. Nor does a
  // name node:dns would write otherwise (answerNamesPlain).
  if (section.length > 0 && !answerNamesPlain(response)) return null;
  const owner = canonicalName(name);
  const records: string[] = [];
  for (const a of section) {
    if (a.type === 'CNAME' && canonicalName(a.name) === owner && records.length < MAX_ALIASES) records.push(String((a as unknown as { data: unknown }).data));
  }
  if (records.length > 0) return { kind: 'records', records };
  if (section.some((a) => a.type !== 'OPT')) return null;
  return rcode === 'NXDOMAIN' ? { kind: 'nxdomain' } : { kind: 'nodata' };
}

/** CNAME records kept from one reply (one is the rule, RFC 2181 §10.1; a hostile reply may hold thousands). */
const MAX_ALIASES = 8;

/**
 * One DNS message exchange with one server within `timeoutMs`: `query` over
 * UDP, and again over TCP when the reply is truncated (RFC 7766 §5). Only a
 * reply to this query counts (its ID, QR=1 and the same question: see
 * `answers`); anything else is dropped and the wait goes on. Resolves with
 * the decoded reply whatever its RCODE; rejects with the error codes node:dns
 * uses (ETIMEOUT, ECONNREFUSED, EBADRESP …). `onTcp` is called when it falls
 * back to TCP (the secure client counts those).
 */
export async function exchangeMessage(server: string, query: packet.Packet, timeoutMs: number, onTcp?: () => void): Promise<packet.Packet> {
  const { host, port } = splitServer(server);
  const q = query.questions?.[0];
  const question = { id: query.id ?? 0, name: q?.name ?? '', type: q?.type ?? '' };
  const deadline = Date.now() + timeoutMs;
  const response = await udpExchange(host, port, packet.encode(query), question, timeoutMs);
  if (((response.flags ?? 0) & packet.TRUNCATED_RESPONSE) === 0) return response;
  onTcp?.();
  return tcpExchange(host, port, query, question, Math.max(1, deadline - Date.now()));
}

/** The query a reply must answer: its ID and question. */
interface Asked {
  id: number;
  name: string;
  type: string;
}

function readAnswer(response: packet.Packet, name: string, type: RRType): unknown[] {
  switch ((response as { rcode?: string }).rcode) {
    case 'NOERROR':
      break;
    case 'NXDOMAIN':
      throw new RawDnsError('ENOTFOUND', name);
    case 'SERVFAIL':
      throw new RawDnsError('ESERVFAIL', name);
    case 'REFUSED':
      throw new RawDnsError('EREFUSED', name);
    case 'FORMERR':
      throw new RawDnsError('EFORMERR', name);
    case 'NOTIMP':
      throw new RawDnsError('ENOTIMP', name);
    default:
      throw new RawDnsError('EBADRESP', name);
  }
  const answers = response.answers ?? [];
  // Follow the CNAME chain the resolver included, from the name asked for.
  const matching = chaseAnswer(answers, name, type);
  if (matching.length > 0) return matching.map((a) => recordData(a, type));
  throw new RawDnsError('ENODATA', name);
}

/**
 * The records of `type` at `name` in an answer section, following the CNAME
 * chain the resolver included from the name asked for (at most MAX_CHASE
 * hops); empty when there are none. OPT records never count.
 */
export function chaseAnswer(answers: readonly packet.Answer[], name: string, type: string): packet.Answer[] {
  let owner = canonicalName(name);
  for (let hop = 0; hop <= MAX_CHASE; hop++) {
    const own = answers.filter((a) => a.type !== 'OPT' && canonicalName(a.name) === owner);
    const matching = own.filter((a) => a.type === type);
    if (matching.length > 0) return matching;
    const cname = own.find((a) => a.type === 'CNAME');
    if (!cname || type === 'CNAME') break;
    owner = canonicalName(String((cname as unknown as { data: unknown }).data));
  }
  return [];
}

function recordData(a: packet.Answer, type: RRType): unknown {
  const data = (a as unknown as { data: unknown }).data;
  switch (type) {
    case 'MX': {
      const mx = data as { preference?: number; exchange: string };
      return { exchange: mx.exchange, priority: mx.preference ?? 0 };
    }
    case 'TXT': {
      const chunks = Array.isArray(data) ? data : [data];
      // As node:dns gives them: one latin1 string per character string, joined by the caller.
      return chunks.map((c: unknown) => (Buffer.isBuffer(c) ? c.toString('latin1') : String(c)));
    }
    default:
      return String(data);
  }
}

type Settle = (err: Error | null, answer?: packet.Packet) => void;
/** A socket wired to `settle`: how to close it, and how to start the exchange (which may throw). */
interface Wired {
  close(): void;
  start(): void;
}

/**
 * One exchange within `timeoutMs`: `wire` opens a socket and wires it to
 * `settle`; `start` then sends. The deadline, the close and any error
 * (thrown or emitted) all end in `settle`, once, and the socket is closed.
 */
async function exchange(name: string, timeoutMs: number, wire: (settle: Settle) => Wired): Promise<packet.Packet> {
  const outcome = await settleWithin<{ err: Error | null; answer?: packet.Packet }>(timeoutMs, (done) => {
    const settle: Settle = (err, answer) => done({ err, answer });
    let wired: Wired | null = null;
    try {
      wired = wire(settle);
      wired.start();
    } catch (err) {
      settle(rawError(err, name));
    }
    return () => {
      try {
        wired?.close();
      } catch {
        // already closed
      }
    };
  });
  if (outcome === TIMEOUT) throw new RawDnsError('ETIMEOUT', name);
  if (outcome.err || !outcome.answer) throw outcome.err ?? new RawDnsError('EBADRESP', name);
  return outcome.answer;
}

function rawError(err: unknown, name: string): RawDnsError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'ECONNREFUSED';
  return new RawDnsError(code, name);
}

/**
 * An answer to this query: its ID, the response bit and the same question;
 * an error reply (REFUSED, FORMERR …) may come without the question.
 */
function answers(decoded: packet.Packet, asked: Asked): boolean {
  if (decoded.id !== asked.id || decoded.type !== 'response') return false;
  const q = decoded.questions?.[0];
  if (q === undefined) return (decoded as { rcode?: string }).rcode !== 'NOERROR';
  return q.type === asked.type && canonicalName(q.name) === canonicalName(asked.name);
}

function udpExchange(host: string, port: number, message: Buffer, asked: Asked, timeoutMs: number): Promise<packet.Packet> {
  const name = asked.name;
  return exchange(name, timeoutMs, (settle) => {
    let release: (() => void) | null = null;
    return {
      close: () => release?.(),
      // On a shared socket (udp-pool.ts): the replies with this query's ID come here, the rest is checked below.
      start: () => {
        release = sendShared(host, port, message, {
          reply: (msg) => {
            if (msg.length > MAX_UDP) return;
            let decoded: packet.Packet;
            try {
              decoded = packet.decode(msg);
            } catch {
              return; // garbage is not an answer; keep waiting until the deadline
            }
            if (answers(decoded, asked)) settle(null, withWire(decoded, msg));
          },
          error: (err) => settle(rawError(err, name)),
        });
      },
    };
  });
}

function tcpExchange(host: string, port: number, query: packet.Packet, asked: Asked, timeoutMs: number): Promise<packet.Packet> {
  const name = asked.name;
  return exchange(name, timeoutMs, (settle) => {
    const socket = new net.Socket();
    let buffered = Buffer.alloc(0);
    socket.on('error', (err) => settle(rawError(err, name)));
    socket.on('close', () => settle(new RawDnsError('ECONNRESET', name)));
    socket.on('connect', () => socket.write(packet.streamEncode(query)));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) return;
      let decoded: packet.Packet | null = null;
      try {
        const wire = buffered.subarray(2, 2 + length);
        decoded = withWire(packet.decode(wire), wire);
      } catch {
        // fall through: not an answer
      }
      settle(decoded && answers(decoded, asked) ? null : new RawDnsError('EBADRESP', name), decoded ?? undefined);
    });
    return { close: () => socket.destroy(), start: () => void socket.connect({ host, port }) };
  });
}

/** The reply as it came, beside its decoded form: dns-packet's names lose what a label holds (see answerNamesPlain). */
const WIRE = Symbol('the reply on the wire');

function withWire(decoded: packet.Packet, wire: Buffer): packet.Packet {
  // A symbol key: no JSON, Object.keys or spread of the packet shows it.
  (decoded as { [WIRE]?: Buffer })[WIRE] = wire;
  return decoded;
}

/** Most answer records walked by answerNamesPlain (a TCP reply may hold thousands; the rest are not judged, so the reply is not plain). */
const MAX_WALKED = 256;
/** Compression pointers followed in one name (RFC 1035 §4.1.4 allows only backward ones; a chain this long is hostile). */
const MAX_POINTERS = 64;

/**
 * Whether every name of the reply's answer section (owners, CNAME and DNAME
 * targets, MX exchanges) has labels of printable ASCII only (0x20-0x7E),
 * without `.`, `\\` or the other bytes c-ares writes escaped (`"` `;` `(` `)`
 * `@` `$`, and `\\DDD` below 0x20 or above 0x7E). dns-packet joins labels with
 * dots as they are, so a single label `contoso-com.mail.protection.outlook.com`
 * reads as Microsoft's host, where node:dns shows
 * `contoso-com\\.mail\\.protection\\.outlook\\.com`. A name the two would write
 * differently is not taken from this client where node:dns would have read
 * it (shared-mx.ts, aliasAnswer).
 *
 * The walk steps over each record by its RDLENGTH, as c-ares does; dns-packet
 * steps over some types by what it decoded, so a record whose RDLENGTH
 * disagrees with its name (an MX padded to hide another record inside it) or
 * a type it reads that way (anything but those below) makes the reply not
 * plain. False too for a reply whose wire form is unknown or does not parse.
 */
export function answerNamesPlain(response: packet.Packet): boolean {
  const wire = (response as { [WIRE]?: Buffer })[WIRE];
  if (!wire) return false;
  try {
    const questions = wire.readUInt16BE(4);
    const answerCount = wire.readUInt16BE(6);
    if (answerCount > MAX_WALKED) return false;
    let offset = 12;
    for (let i = 0; i < questions; i++) offset = plainName(wire, offset).end + 4;
    for (let i = 0; i < answerCount; i++) {
      const owner = plainName(wire, offset);
      if (!owner.plain) return false;
      const type = wire.readUInt16BE(owner.end);
      const length = wire.readUInt16BE(owner.end + 8);
      const rdata = owner.end + 10;
      const next = rdata + length;
      if (next > wire.length || !rdataAgrees(wire, type, rdata, next)) return false;
      offset = next;
    }
    return true;
  } catch {
    return false;
  }
}

/** Types whose dns-packet decoder reads its RDLENGTH bytes and no more (TXT, OPT, DS, RRSIG, NSEC, DNSKEY, NSEC3, TLSA). */
const LENGTH_BOUND = new Set([16, 41, 43, 46, 47, 48, 50, 52]);

/** The record's data as both decoders read it: names that end where RDLENGTH says, addresses of their size. */
function rdataAgrees(wire: Buffer, type: number, rdata: number, next: number): boolean {
  switch (type) {
    case 1: // A
      return next - rdata === 4;
    case 28: // AAAA
      return next - rdata === 16;
    case 5: // CNAME
    case 39: { // DNAME
      const target = plainName(wire, rdata);
      return target.plain && target.end === next;
    }
    case 15: { // MX: the preference, then the exchange
      const exchange = plainName(wire, rdata + 2);
      return exchange.plain && exchange.end === next;
    }
    default:
      return LENGTH_BOUND.has(type);
  }
}

/** Bytes c-ares 1.34 writes with a backslash inside a label (ares_dns_name.c: is_reservedch), and `.`. */
const ESCAPED = new Set([0x22, 0x2e, 0x3b, 0x5c, 0x28, 0x29, 0x40, 0x24]);

/** The name at `offset`: whether its labels are plain (see answerNamesPlain), and where the record goes on after it. Throws past the end. */
function plainName(wire: Buffer, start: number): { plain: boolean; end: number } {
  let offset = start;
  let end = -1;
  let plain = true;
  // RFC 1035 §3.1: 255 octets at most, length bytes included.
  let octets = 0;
  for (let jumps = 0; ; ) {
    const len = wire[offset];
    if (len === undefined) throw new RangeError('name past the end');
    if (len === 0) return { plain, end: end < 0 ? offset + 1 : end };
    if ((len & 0xc0) === 0xc0) {
      const target = wire.readUInt16BE(offset) & 0x3fff;
      if (end < 0) end = offset + 2;
      if (target >= offset || ++jumps > MAX_POINTERS) throw new RangeError('bad pointer');
      offset = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new RangeError('bad label type');
    if (offset + 1 + len > wire.length) throw new RangeError('label past the end');
    octets += 1 + len;
    if (octets > 254) throw new RangeError('name over 255 octets');
    for (let i = offset + 1; i <= offset + len; i++) {
      const b = wire[i] as number;
      if (b < 0x20 || b > 0x7e || ESCAPED.has(b)) plain = false;
    }
    offset += 1 + len;
  }
}
