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
  options.onReply?.(response);
  return readAnswer(response, name, type);
}

/**
 * What a CNAME question for `name` would get, read from a reply to another
 * question about it: a recursive resolver puts the alias it followed in the
 * answer section (RFC 1034 §3.6.2 and §4.3.2 step 3a), so the CNAME records
 * owned by `name` are that answer; none at a name that exists (NOERROR) is
 * NODATA, none at one that does not (NXDOMAIN) is NXDOMAIN. Null for any
 * other RCODE: the reply says nothing of the alias.
 */
export function aliasAnswer(response: packet.Packet, name: string): { kind: 'records'; records: string[] } | { kind: 'nodata' } | { kind: 'nxdomain' } | null {
  const rcode = (response as { rcode?: string }).rcode;
  if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') return null;
  const owner = canonicalName(name);
  const records: string[] = [];
  for (const a of response.answers ?? []) {
    if (a.type === 'CNAME' && canonicalName(a.name) === owner) records.push(String((a as unknown as { data: unknown }).data));
  }
  if (records.length > 0) return { kind: 'records', records };
  return rcode === 'NXDOMAIN' ? { kind: 'nxdomain' } : { kind: 'nodata' };
}

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
            if (answers(decoded, asked)) settle(null, decoded);
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
        decoded = packet.decode(buffered.subarray(2, 2 + length));
      } catch {
        // fall through: not an answer
      }
      settle(decoded && answers(decoded, asked) ? null : new RawDnsError('EBADRESP', name), decoded ?? undefined);
    });
    return { close: () => socket.destroy(), start: () => void socket.connect({ host, port }) };
  });
}
