import { isIPv4, isIPv6 } from 'node:net';
import { canonicalName } from '../domain/name.js';

/**
 * RFC 1035 section 5.1 master files ("zone files"), parsed strictly and in
 * one pass: every entry keeps its line number, and anything that does not
 * parse is a ZoneFileError naming its line. The one parser behind the
 * sandbox's zones (`m365audit sandbox`, the demo, the tests) and `--zone`.
 *
 * Understood: `$ORIGIN` (absolute or relative to the current origin),
 * `$TTL` (RFC 2308 section 4), `@`, relative and absolute names, a blank
 * owner (the previous one), TTL and class in either order, `( … )` across
 * lines, `;` comments, quoted strings and `\X` / `\DDD` escapes. Typed data
 * for A, AAAA, CNAME, NS, PTR, MX, SRV, SOA and TXT, and for the DNSSEC and
 * DANE types in their presentation formats: TLSA (RFC 6698 §2.2: usage,
 * selector, matching type, hex that may be split by blanks), DS (RFC 4034
 * §5.3), DNSKEY (§2.2: base64 that may be split) and RRSIG (§3.2: times as
 * YYYYMMDDHHmmSS or seconds; algorithms as numbers or the mnemonics of
 * Appendix A.1); any other type (CAA, SPF … or RFC 3597's TYPEnnn), and
 * any record in RFC 3597's generic `\# <length> <hex>` form, is counted in
 * `skipped`, its data not read. Not supported, each an error: `$INCLUDE` (a file that reads
 * other files), classes other than IN, escaped dots inside a label.
 *
 * Every loop walks the text once; no regular expression here can backtrack
 * (dnsz's line pattern, used before, took 300 ms on a line of 26 digits,
 * doubling with each digit more).
 */
export type ZoneRecordType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'PTR' | 'NS' | 'SOA' | 'SRV' | 'TLSA' | 'DS' | 'DNSKEY' | 'RRSIG';

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** TLSA data (RFC 6698 §2.1): the three fields, and the certificate association data as lower-case hex. */
export interface TlsaData {
  usage: number;
  selector: number;
  matchingType: number;
  data: string;
}

/** DS data (RFC 4034 §5.1): the digest as lower-case hex. */
export interface DsData {
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: string;
}

/** DNSKEY data (RFC 4034 §2.1): the key as base64 (blanks removed). */
export interface DnskeyData {
  flags: number;
  protocol: number;
  algorithm: number;
  key: string;
}

/** RRSIG data (RFC 4034 §3.1): times as seconds since 1970 (UTC), the signer's name, the signature as base64. */
export interface RrsigData {
  typeCovered: string;
  algorithm: number;
  labels: number;
  originalTtl: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signer: string;
  signature: string;
}

interface RecordBase {
  /** Fully qualified, lower case, no trailing dot (`` for the root). */
  name: string;
  ttl: number;
  /** The line the entry starts on (1-based). */
  line: number;
}

/** One record of a zone file as parsed: its owner, TTL and line, and its typed data. */
export type ZoneRecord =
  | (RecordBase & { type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR'; data: string })
  /** Each <character-string>'s bytes as a latin1 string, as node:dns gives TXT strings. */
  | (RecordBase & { type: 'TXT'; data: string[] })
  /** `exchange` is `` for a null MX (RFC 7505: `0 .`). */
  | (RecordBase & { type: 'MX'; data: { priority: number; exchange: string } })
  | (RecordBase & { type: 'SOA'; data: SoaData })
  | (RecordBase & { type: 'SRV'; data: SrvData })
  | (RecordBase & { type: 'TLSA'; data: TlsaData })
  | (RecordBase & { type: 'DS'; data: DsData })
  | (RecordBase & { type: 'DNSKEY'; data: DnskeyData })
  | (RecordBase & { type: 'RRSIG'; data: RrsigData });

/** A zone file as parseZoneFile read it: the origin, the records in file order, and the types it skipped. */
export interface ParsedZone {
  /** The origin the file starts with: the given one, or a `$ORIGIN` before the first record. */
  origin: string | null;
  records: ZoneRecord[];
  /** Records of types not understood here (their data is not read), by type: `{ CAA: 2 }`. */
  skipped: Record<string, number>;
}

export interface ZoneParseOptions {
  /** The origin before any `$ORIGIN` (e.g. from the file name: zoneOriginOf); null: relative names are an error until a `$ORIGIN`. */
  origin?: string | null;
  /** TTL of a record that gives none, before any `$TTL` (default 300). */
  defaultTtl?: number;
}

/** A zone file that does not parse: its line and what is wrong there. */
export class ZoneFileError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}line ${line}: ${reason}`);
    this.name = 'ZoneFileError';
  }

  /** The same error, naming the file it came from. */
  inFile(file: string): ZoneFileError {
    return new ZoneFileError(this.line, this.reason, file);
  }
}

/** Largest zone file read (a zone of 100,000 records is about 5 MiB). */
export const MAX_ZONE_FILE_BYTES = 16 * 1024 * 1024;
const MAX_NAME_BYTES = 253;
const MAX_LABEL_BYTES = 63;
/** RFC 2181 section 8: a TTL is 0 to 2^31 - 1. */
const MAX_TTL = 2 ** 31 - 1;
const TYPED = new Set<string>(['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'PTR', 'NS', 'SOA', 'SRV', 'TLSA', 'DS', 'DNSKEY', 'RRSIG']);
/** DNSSEC algorithm mnemonics (RFC 4034 Appendix A.1 and the IANA registry: RFC 5155, 5702, 6605, 8080). */
const ALGORITHMS: Record<string, number> = {
  RSAMD5: 1, DH: 2, DSA: 3, RSASHA1: 5, 'DSA-NSEC3-SHA1': 6, 'RSASHA1-NSEC3-SHA1': 7, RSASHA256: 8, RSASHA512: 10,
  'ECC-GOST': 12, ECDSAP256SHA256: 13, ECDSAP384SHA384: 14, ED25519: 15, ED448: 16, INDIRECT: 252, PRIVATEDNS: 253, PRIVATEOID: 254,
};
const CLASSES = new Set(['IN', 'CH', 'HS', 'CS']);
/** RFC 2308 / BIND TTL units. */
const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * The origin a file's name gives: `contoso.com.zone` → `contoso.com`. Null
 * when the name does not end in `.zone` or what is left is not a name of at
 * least two labels (`next.zone` gives none: its relative names need a
 * `$ORIGIN`, rather than landing under a top-level domain "next").
 */
export function zoneOriginOf(fileName: string): string | null {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  if (!base.toLowerCase().endsWith('.zone')) return null;
  const origin = canonicalName(base.slice(0, -'.zone'.length));
  const labels = origin.split('.');
  if (labels.length < 2 || !validName(origin)) return null;
  return origin;
}

interface Token {
  /** As written: quotes removed, escapes kept. */
  text: string;
  quoted: boolean;
}

interface Entry {
  line: number;
  /** The entry starts with a blank: its owner is the previous entry's. */
  blankOwner: boolean;
  tokens: Token[];
}

/** Parses a master file; throws ZoneFileError (with its line) for anything that does not parse. */
export function parseZoneFile(text: string, options: ZoneParseOptions = {}): ParsedZone {
  if (Buffer.byteLength(text) > MAX_ZONE_FILE_BYTES) throw new ZoneFileError(1, `the file is larger than ${MAX_ZONE_FILE_BYTES / 1024 / 1024} MiB`);
  let origin = options.origin ? canonicalName(options.origin) : null;
  let startOrigin: string | null | undefined;
  let defaultTtl = options.defaultTtl ?? 300;
  let previousOwner: string | null = null;
  const records: ZoneRecord[] = [];
  const skipped: Record<string, number> = {};

  for (const entry of tokenize(text)) {
    const fail = (reason: string): never => {
      throw new ZoneFileError(entry.line, reason);
    };
    const first = entry.tokens[0] as Token;
    if (!first.quoted && first.text.startsWith('$')) {
      const directive = first.text.toUpperCase();
      const args = entry.tokens.slice(1);
      if (directive === '$ORIGIN') {
        if (args.length !== 1) fail('$ORIGIN takes one domain name');
        origin = nameOf(args[0] as Token, origin, fail, '$ORIGIN');
      } else if (directive === '$TTL') {
        if (args.length !== 1) fail('$TTL takes one TTL');
        defaultTtl = ttlOf((args[0] as Token).text) ?? fail(`$TTL: not a TTL: ${show(args[0] as Token)}`);
      } else if (directive === '$INCLUDE') {
        fail('$INCLUDE is not supported: put the records in this file');
      } else {
        fail(`unknown directive ${show(first)}`);
      }
      continue;
    }
    startOrigin ??= origin;
    let i = 0;
    let owner: string;
    if (entry.blankOwner) {
      owner = previousOwner ?? fail('the line starts with a blank, so its owner is the previous record\'s, and there is none');
    } else {
      owner = first.text === '@' && !first.quoted ? (origin ?? fail('@ needs an origin: add $ORIGIN or name the file DOMAIN.zone')) : nameOf(first, origin, fail, 'the owner');
      i = 1;
    }
    previousOwner = owner;
    let ttl: number | null = null;
    let sawClass = false;
    for (; i < entry.tokens.length; i++) {
      const t = entry.tokens[i] as Token;
      if (t.quoted) break;
      const asTtl: number | null = ttl === null ? ttlOf(t.text) : null;
      if (asTtl !== null) {
        ttl = asTtl;
        continue;
      }
      const upper = t.text.toUpperCase();
      if (!sawClass && (CLASSES.has(upper) || isNumbered(upper, 'CLASS'))) {
        if (upper !== 'IN') fail(`class ${show(t)}: only IN is supported`);
        sawClass = true;
        continue;
      }
      break;
    }
    const typeToken = entry.tokens[i] ?? fail(`no record type after ${show(entry.tokens[i - 1] ?? first)}`);
    const type = typeToken.text.toUpperCase();
    if (typeToken.quoted || !isTypeMnemonic(type)) fail(`not a record type: ${show(typeToken)}`);
    const rdata = entry.tokens.slice(i + 1);
    if (rdata.length === 0) fail(`${type} has no data`);
    const base = { name: owner, ttl: ttl ?? defaultTtl, line: entry.line };
    // RFC 3597 §5's generic form (`\# <length> <hex>`) is not read: such a record is skipped, as every type was before it was typed here.
    if (!TYPED.has(type) || ((rdata[0] as Token).text === '\\#' && !(rdata[0] as Token).quoted)) {
      skipped[type] = (skipped[type] ?? 0) + 1;
      continue;
    }
    records.push(typedRecord(type as ZoneRecordType, rdata, base, origin, fail));
  }
  return { origin: startOrigin === undefined ? origin : startOrigin, records, skipped };
}

type Fail = (reason: string) => never;

function typedRecord(type: ZoneRecordType, rdata: Token[], base: RecordBase, origin: string | null, fail: Fail): ZoneRecord {
  const count = (n: number, what: string): void => {
    if (rdata.length !== n) fail(`${type} takes ${what}, got ${rdata.length} field${rdata.length === 1 ? '' : 's'}`);
  };
  const name = (t: Token): string => nameOf(t, origin, fail, `the ${type} target`);
  const int = (t: Token, max: number, what: string): number => {
    const n = t.quoted ? NaN : wholeNumber(t.text);
    if (!Number.isSafeInteger(n) || n > max) fail(`${type}: the ${what} must be a whole number from 0 to ${max}, got ${show(t)}`);
    return n;
  };
  switch (type) {
    case 'A':
    case 'AAAA': {
      count(1, 'one address');
      const t = rdata[0] as Token;
      const ok = !t.quoted && (type === 'A' ? isIPv4(t.text) : isIPv6(t.text));
      if (!ok) fail(`${type}: not an ${type === 'A' ? 'IPv4' : 'IPv6'} address: ${show(t)}`);
      return { ...base, type, data: t.text.toLowerCase() };
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      count(1, 'one domain name');
      return { ...base, type, data: name(rdata[0] as Token) };
    case 'MX': {
      count(2, 'a preference and a host');
      const priority = int(rdata[0] as Token, 65535, 'preference');
      const host = rdata[1] as Token;
      return { ...base, type, data: { priority, exchange: host.text === '.' && !host.quoted ? '' : name(host) } };
    }
    case 'SRV': {
      count(4, 'priority, weight, port and target');
      const [p, w, port, target] = rdata as [Token, Token, Token, Token];
      return { ...base, type, data: { priority: int(p, 65535, 'priority'), weight: int(w, 65535, 'weight'), port: int(port, 65535, 'port'), target: target.text === '.' ? '' : name(target) } };
    }
    case 'SOA': {
      count(7, 'MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM');
      const [mname, rname, serial, ...times] = rdata as [Token, Token, Token, Token, Token, Token, Token];
      const [refresh, retry, expire, minimum] = times.map((t) => ttlOf(t.text) ?? fail(`SOA: not a time: ${show(t)}`)) as [number, number, number, number];
      return { ...base, type, data: { mname: name(mname), rname: name(rname), serial: int(serial, 0xffffffff, 'serial'), refresh, retry, expire, minimum } };
    }
    case 'TXT':
      return { ...base, type, data: rdata.map((t) => characterString(t, fail)) };
    case 'TLSA': {
      if (rdata.length < 4) fail(`TLSA takes usage, selector, matching type and hex data, got ${rdata.length} field${rdata.length === 1 ? '' : 's'}`);
      const [usage, selector, mtype] = rdata as [Token, Token, Token];
      return { ...base, type, data: { usage: int(usage, 255, 'usage'), selector: int(selector, 255, 'selector'), matchingType: int(mtype, 255, 'matching type'), data: hexOf(rdata.slice(3), type, fail) } };
    }
    case 'DS': {
      if (rdata.length < 4) fail(`DS takes key tag, algorithm, digest type and hex digest, got ${rdata.length} field${rdata.length === 1 ? '' : 's'}`);
      const [tag, alg, digestType] = rdata as [Token, Token, Token];
      return { ...base, type, data: { keyTag: int(tag, 65535, 'key tag'), algorithm: algorithmOf(alg, type, fail), digestType: int(digestType, 255, 'digest type'), digest: hexOf(rdata.slice(3), type, fail) } };
    }
    case 'DNSKEY': {
      if (rdata.length < 4) fail(`DNSKEY takes flags, protocol, algorithm and a base64 key, got ${rdata.length} field${rdata.length === 1 ? '' : 's'}`);
      const [flags, protocol, alg] = rdata as [Token, Token, Token];
      // RFC 4034 §2.1.2: the protocol field MUST be 3.
      if (int(protocol, 255, 'protocol') !== 3) fail(`DNSKEY: the protocol must be 3 (RFC 4034 2.1.2), got ${show(protocol)}`);
      return { ...base, type, data: { flags: int(flags, 65535, 'flags'), protocol: 3, algorithm: algorithmOf(alg, type, fail), key: base64Of(rdata.slice(3), type, fail) } };
    }
    case 'RRSIG': {
      if (rdata.length < 9) fail(`RRSIG takes type covered, algorithm, labels, original TTL, expiration, inception, key tag, signer and signature, got ${rdata.length} field${rdata.length === 1 ? '' : 's'}`);
      const [covered, alg, labels, ttl, expiration, inception, tag, signer] = rdata as [Token, Token, Token, Token, Token, Token, Token, Token];
      const typeCovered = covered.text.toUpperCase();
      if (covered.quoted || !isTypeMnemonic(typeCovered)) fail(`RRSIG: not a record type: ${show(covered)}`);
      return {
        ...base,
        type,
        data: {
          typeCovered,
          algorithm: algorithmOf(alg, type, fail),
          labels: int(labels, 255, 'labels'),
          originalTtl: int(ttl, MAX_TTL, 'original TTL'),
          expiration: signatureTime(expiration, fail),
          inception: signatureTime(inception, fail),
          keyTag: int(tag, 65535, 'key tag'),
          signer: name(signer),
          signature: base64Of(rdata.slice(8), type, fail),
        },
      };
    }
  }
}

/** Hex split by blanks (RFC 6698 §2.2, RFC 4034 §5.3), joined and lower-cased; an even number of digits, at least one octet. */
function hexOf(tokens: readonly Token[], type: string, fail: Fail): string {
  let out = '';
  for (const t of tokens) {
    if (t.quoted) fail(`${type}: the hex data is quoted: ${show(t)}`);
    for (const c of t.text) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) fail(`${type}: not hex: ${show(t)}`);
    }
    out += t.text.toLowerCase();
  }
  if (out.length === 0 || out.length % 2 !== 0) fail(`${type}: the hex data must be whole octets (an even number of digits), got ${out.length}`);
  return out;
}

/** Base64 split by blanks (RFC 4034 §2.2, §3.2), joined; the alphabet of RFC 4648 §4 with its padding. */
function base64Of(tokens: readonly Token[], type: string, fail: Fail): string {
  let out = '';
  for (const t of tokens) {
    if (t.quoted) fail(`${type}: the base64 data is quoted: ${show(t)}`);
    out += t.text;
  }
  let padding = 0;
  for (const c of out) {
    const ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '+' || c === '/';
    if (c === '=') padding++;
    else if (!ok || padding > 0) fail(`${type}: not base64 (RFC 4648 4): ${JSON.stringify(out.length > 60 ? `${out.slice(0, 60)}…` : out)}`);
  }
  if (out.length === 0 || out.length % 4 !== 0 || padding > 2) fail(`${type}: the base64 data is not whole (length ${out.length}, padding ${padding})`);
  return out;
}

/** A DNSSEC algorithm: a number 0-255 or a mnemonic (RFC 4034 §5.3, Appendix A.1). */
function algorithmOf(t: Token, type: string, fail: Fail): number {
  const known = ALGORITHMS[t.text.toUpperCase()];
  if (!t.quoted && known !== undefined) return known;
  const n = t.quoted ? NaN : wholeNumber(t.text);
  if (!Number.isSafeInteger(n) || n > 255) fail(`${type}: not an algorithm number or mnemonic: ${show(t)}`);
  return n;
}

/** An RRSIG time (RFC 4034 §3.2): YYYYMMDDHHmmSS in UTC, or seconds since 1970 as a decimal number. */
function signatureTime(t: Token, fail: Fail): number {
  const s = t.text;
  const digitsOnly = !t.quoted && s.length > 0 && [...s].every(isDigit);
  if (digitsOnly && s.length === 14) {
    const [y, mo, d, h, mi, se] = [s.slice(0, 4), s.slice(4, 6), s.slice(6, 8), s.slice(8, 10), s.slice(10, 12), s.slice(12, 14)].map(Number) as [number, number, number, number, number, number];
    const at = Date.UTC(y, mo - 1, d, h, mi, se);
    // Date.UTC rolls a month 13 over into the next year: the date must read back as written.
    if (y >= 1970 && new Date(at).toISOString().slice(0, 19).replace(/[-T:]/g, '') === s) return Math.floor(at / 1000);
  }
  if (digitsOnly && s.length <= 10 && Number(s) <= 0xffffffff) return Number(s);
  return fail(`RRSIG: not a time (YYYYMMDDHHmmSS or seconds): ${show(t)}`);
}

/**
 * Splits the text into entries, one per record or directive: tokens up to
 * the end of a line, or of a `( … )` group that spans lines. Linear: each
 * character is looked at once.
 */
function tokenize(text: string): Entry[] {
  const entries: Entry[] = [];
  let line = 1;
  let current: Entry | null = null;
  let lineStartsBlank = false;
  let atLineStart = true;
  let openedAt = 0;
  let depth = 0;
  const close = (): void => {
    if (current && current.tokens.length > 0) entries.push(current);
    current = null;
  };
  const push = (token: Token): void => {
    current ??= { line, blankOwner: lineStartsBlank, tokens: [] };
    current.tokens.push(token);
  };
  const n = text.length;
  let i = 0;
  while (i < n) {
    const ch = text[i] as string;
    if (ch === '\n') {
      line++;
      i++;
      if (depth === 0) {
        close();
        atLineStart = true;
        lineStartsBlank = false;
      }
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      if (atLineStart && depth === 0 && !current) lineStartsBlank = true;
      atLineStart = false;
      i++;
      continue;
    }
    atLineStart = false;
    if (ch === ';') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '(') {
      if (depth > 0) throw new ZoneFileError(line, 'a ( inside another ( … )');
      depth = 1;
      openedAt = line;
      current ??= { line, blankOwner: lineStartsBlank, tokens: [] };
      i++;
      continue;
    }
    if (ch === ')') {
      if (depth === 0) throw new ZoneFileError(line, 'a ) with no ( before it');
      depth = 0;
      i++;
      continue;
    }
    if (ch === '"') {
      const start = line;
      let j = i + 1;
      let body = '';
      for (;;) {
        if (j >= n || text[j] === '\n') throw new ZoneFileError(start, 'a quoted string is not closed on its line');
        const c = text[j] as string;
        if (c === '\\' && j + 1 < n && text[j + 1] !== '\n') {
          body += c + (text[j + 1] as string);
          j += 2;
          continue;
        }
        if (c === '"') break;
        body += c;
        j++;
      }
      push({ text: body, quoted: true });
      i = j + 1;
      continue;
    }
    let j = i;
    let body = '';
    while (j < n) {
      const c = text[j] as string;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === ';' || c === '(' || c === ')' || c === '"') break;
      if (c === '\\' && j + 1 < n && text[j + 1] !== '\n') {
        body += c + (text[j + 1] as string);
        j += 2;
        continue;
      }
      body += c;
      j++;
    }
    push({ text: body, quoted: false });
    i = j;
  }
  if (depth > 0) throw new ZoneFileError(openedAt, 'a ( is never closed');
  close();
  return entries;
}

/** The <character-string>s of TXT data as written in a zone file (`"v=spf1 -all" "more"`), each as latin1 bytes. */
export function parseCharacterStrings(content: string): string[] {
  const fail: Fail = (reason) => {
    throw new ZoneFileError(1, reason);
  };
  const entry = tokenize(content.replace(/\n/g, ' '))[0];
  return entry ? entry.tokens.map((t) => characterString(t, fail)) : [];
}

/** The bytes a token stands for: `\DDD` is one octet (RFC 1035 section 5.1), `\X` is X, anything else its UTF-8 bytes. */
function bytesOf(t: Token, fail: Fail): number[] {
  const out: number[] = [];
  const s = t.text;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\') {
      const code = s.codePointAt(i) as number;
      if (code < 0x80) out.push(code);
      else {
        const ch = String.fromCodePoint(code);
        out.push(...Buffer.from(ch, 'utf8'));
        i += ch.length - 1;
      }
      continue;
    }
    const next = s[i + 1];
    if (next === undefined) fail(`a \\ at the end of ${show(t)}`);
    if (isDigit(next as string)) {
      const d = s.slice(i + 1, i + 4);
      if (d.length !== 3 || !isDigit(d[1] as string) || !isDigit(d[2] as string) || Number(d) > 255) fail(`\\DDD needs three digits up to 255, in ${show(t)}`);
      out.push(Number(d));
      i += 3;
    } else {
      const code = s.codePointAt(i + 1) as number;
      const ch = String.fromCodePoint(code);
      out.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return out;
}

/** A <character-string>: its bytes as latin1 (more than 255 bytes are kept; a server splits them). */
function characterString(t: Token, fail: Fail): string {
  return Buffer.from(bytesOf(t, fail)).toString('latin1');
}

/** A domain name token: absolute (trailing dot), `@`, or relative to the origin; lower case, no trailing dot. */
function nameOf(t: Token, origin: string | null, fail: Fail, what: string): string {
  if (t.quoted) fail(`${what} is a quoted string, not a domain name: ${show(t)}`);
  if (t.text === '@') return origin ?? fail('@ needs an origin: add $ORIGIN or name the file DOMAIN.zone');
  if (t.text === '.') return '';
  let plain = '';
  // Escapes in names stand for the character (\- is -); an escaped dot would be a dot inside a label, which names here cannot hold.
  const s = t.text;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\') {
      plain += c;
      continue;
    }
    const next = s[i + 1];
    if (next === undefined) fail(`${what}: a \\ at the end of ${show(t)}`);
    if (isDigit(next as string)) {
      const code = Number(s.slice(i + 1, i + 4));
      if (!(code > 0x20 && code < 0x7f) || code === 0x2e) fail(`${what}: \\DDD in a name must be a printable character other than a dot, in ${show(t)}`);
      plain += String.fromCharCode(code);
      i += 3;
    } else {
      if (next === '.') fail(`${what}: an escaped dot inside a label is not supported: ${show(t)}`);
      plain += next;
      i++;
    }
  }
  const absolute = plain.endsWith('.');
  if (!absolute && origin === null) fail(`${what} ${show(t)} is relative and there is no origin: add $ORIGIN or name the file DOMAIN.zone`);
  const full = canonicalName(absolute ? plain : origin === '' ? plain : `${plain}.${origin}`);
  if (!validName(full)) fail(`${what} is not a valid domain name: ${show(t)} (labels of 1 to ${MAX_LABEL_BYTES} bytes, ${MAX_NAME_BYTES} in all)`);
  return full;
}

function validName(name: string): boolean {
  if (name === '') return true;
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return false;
  for (const label of name.split('.')) {
    const len = Buffer.byteLength(label);
    if (len === 0 || len > MAX_LABEL_BYTES) return false;
  }
  return true;
}

/** `3600`, `1h30m`, `2W` → seconds; null when not a TTL. */
function ttlOf(s: string): number | null {
  if (s.length === 0 || !isDigit(s[0] as string)) return null;
  let total = 0;
  let digits = '';
  for (const c of s) {
    if (isDigit(c)) {
      digits += c;
      continue;
    }
    const unit = TTL_UNITS[c.toLowerCase()];
    if (unit === undefined || digits === '') return null;
    total += Number(digits) * unit;
    digits = '';
  }
  total += digits === '' ? 0 : Number(digits);
  return total <= MAX_TTL ? total : null;
}

function wholeNumber(s: string): number {
  if (s.length === 0 || s.length > 10) return NaN;
  for (const c of s) if (!isDigit(c)) return NaN;
  return Number(s);
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** `A`, `MX`, `NSEC3PARAM`, `TYPE65` (RFC 3597 section 5). */
function isTypeMnemonic(s: string): boolean {
  if (isNumbered(s, 'TYPE')) return true;
  const head = s[0];
  if (head === undefined || s.length > 16 || !(head >= 'A' && head <= 'Z')) return false;
  for (const c of s) if (!((c >= 'A' && c <= 'Z') || isDigit(c) || c === '-')) return false;
  return true;
}

function isNumbered(s: string, prefix: string): boolean {
  return s.startsWith(prefix) && s.length > prefix.length && s.length <= prefix.length + 5 && [...s.slice(prefix.length)].every(isDigit);
}

/** A token quoted for an error message, cut at 60 characters (the CLI escapes what it prints). */
function show(t: Token): string {
  const s = t.text.length > 60 ? `${t.text.slice(0, 60)}…` : t.text;
  return JSON.stringify(s);
}
