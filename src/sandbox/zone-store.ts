import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCharacterStrings, parseZoneFile, ZoneFileError, zoneOriginOf, type DnskeyData, type DsData, type RrsigData, type TlsaData } from '../dns/zone-file.js';

/**
 * The records a loopback DNS server serves, built from RFC 1035 master files
 * (parsed by dns/zone-file.ts, the parser --zone uses too) or added one by
 * one. Lookup follows a recursive resolver's view: CNAME chasing across
 * every served zone, wildcards at the closest encloser, empty non-terminals
 * answering NODATA, unknown names NXDOMAIN.
 *
 * DNSSEC, as a validating resolver would see it (for the AD bit, RRSIGs
 * and SERVFAIL of dns-server.ts; nothing is signed or verified):
 *
 * - A zone (a file's origin, or an SOA owner) is *signed* when it holds a
 *   DNSKEY at its apex. Its RRSIGs are the ones its file holds for an RRset
 *   (owner and type covered), else one made up for it (signer the apex, key
 *   tag and algorithm of its first DNSKEY, an all-zero signature).
 * - A signed zone is *secure* when a DS for it is held at its apex (the
 *   parent's record: put it in the child's file or the parent's) and the
 *   zone above it, if one is loaded, is secure; a zone above the loaded
 *   ones counts as a secure parent (the root and the TLDs are signed).
 *   A signed zone without a DS is an island: signed, not secure.
 * - A zone whose file carries the line `; m365audit-sandbox: dnssec=bogus`
 *   is *bogus* (as if its signatures had expired), and so is every zone
 *   below it.
 * - Everything else (unsigned zones, names outside every zone) is insecure.
 * - The DS RRset at a zone's apex belongs to the zone above (RFC 4035
 *   §3.1.4.1): its security is that zone's.
 */
/** The record types a ZoneStore serves. */
export type ServedType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'PTR' | 'NS' | 'SOA' | 'SRV' | 'TLSA' | 'DS' | 'DNSKEY' | 'RRSIG';

/** One record's data by type: an address or name, TXT strings, MX, SOA or SRV fields. */
export type RecordData =
  | string
  | string[]
  | { priority: number; exchange: string }
  | { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { priority: number; weight: number; port: number; target: string }
  | TlsaData
  | DsData
  | DnskeyData
  | RrsigData;

/** How a validating resolver sees an RRset (see the module comment): authentic, not signed (or not provably), or failing validation. */
export type DnssecStatus = 'secure' | 'insecure' | 'bogus';

/** The DNSSEC view of one RRset or negative answer: the zone it comes from, whether that zone is signed, and its status. */
export interface RrsetSecurity {
  /** The apex of the zone holding it, or null outside every loaded zone. */
  zone: string | null;
  signed: boolean;
  status: DnssecStatus;
}

/** One record held by a ZoneStore. */
export interface StoredRecord {
  name: string;
  type: ServedType;
  ttl: number;
  data: RecordData;
}

/** What a ZoneStore answers for a name and type, as a recursive resolver would: NOERROR with answers (none: NODATA), or NXDOMAIN. */
export interface LookupResult {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: StoredRecord[];
  /** The zone's SOA for negative answers, when known. */
  soa?: StoredRecord;
}

const MAX_CHASE = 24;
/** The directive that marks a zone file's zone bogus (see the module comment). */
const BOGUS_DIRECTIVE = /^;[ \t]*m365audit-sandbox:[ \t]*dnssec[ \t]*=[ \t]*bogus[ \t]*$/i;
/** The signature of a made-up RRSIG: 64 zero bytes (the length of an ECDSA P-256 one). */
const MADE_UP_SIGNATURE = Buffer.alloc(64).toString('base64');
/** Validity of made-up RRSIGs (RFC 4034 §3.1.5: seconds since 1970): 2020-01-01 to 2100-01-01. */
const MADE_UP_INCEPTION = 1_577_836_800;
const MADE_UP_EXPIRATION = 4_102_444_800;

/**
 * The records a loopback DNS server serves, from RFC 1035 master files
 * (parsed by dns/zone-file.ts) or added one by one, looked up with a
 * recursive resolver's view (see the module comment). In memory; reads
 * files only in loadDir.
 */
export class ZoneStore {
  private readonly byName = new Map<string, StoredRecord[]>();
  /** Every existing name and its ancestors (empty non-terminals exist). */
  private readonly existing = new Set<string>();
  private readonly origins = new Set<string>();
  private readonly skipped = new Map<string, number>();
  /** Zone apexes marked `dnssec=bogus` by their files. */
  private readonly bogus = new Set<string>();

  /**
   * Loads every `<origin>.zone` file in a folder (in name order). A file that
   * does not parse throws a ZoneFileError naming the file and the line.
   */
  loadDir(dir: string): this {
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.zone')) continue;
      this.loadFile(join(dir, file));
    }
    return this;
  }

  /** Loads one zone file; its origin is its `$ORIGIN`, else its name (`contoso.com.zone`). */
  loadFile(path: string): this {
    try {
      return this.addZone(zoneOriginOf(path), readFileSync(path, 'utf8'));
    } catch (err) {
      throw err instanceof ZoneFileError ? err.inFile(path) : err;
    }
  }

  /**
   * Adds a master file whose relative names hang below `origin` (a $ORIGIN
   * in the file wins, RFC 1035 5.1). Records of types the server does not
   * serve (CAA, SPF …) are left out and counted in `skipped`. A line
   * `; m365audit-sandbox: dnssec=bogus` marks the zone bogus.
   */
  addZone(origin: string | null, text: string): this {
    const parsed = parseZoneFile(text, { origin, defaultTtl: 300 });
    if (parsed.origin !== null) this.origins.add(parsed.origin);
    const apex = parsed.origin ?? parsed.records.find((r) => r.type === 'SOA')?.name ?? null;
    if (apex !== null && hasBogusDirective(text)) this.bogus.add(apex);
    for (const [type, n] of Object.entries(parsed.skipped)) this.skipped.set(type, (this.skipped.get(type) ?? 0) + n);
    for (const r of parsed.records) {
      // Every SOA owner is a zone apex, for negative answers' authority section.
      if (r.type === 'SOA') this.origins.add(r.name);
      this.addRecord(r.name, r.type, r.data, r.ttl);
    }
    return this;
  }

  /** Records left out, by type (`{ CAA: 2 }`): the server does not serve their types. */
  skippedTypes(): Record<string, number> {
    return Object.fromEntries(this.skipped);
  }

  /** The apexes of the zones loaded (their SOA owners and file origins), sorted. */
  zoneOrigins(): string[] {
    return [...this.origins].sort();
  }

  /** Adds one record (the name absolute, any case, with or without its trailing dot); its ancestors start to exist as empty non-terminals. */
  addRecord(name: string, type: ServedType, data: RecordData, ttl = 300): this {
    const n = canon(name);
    const list = this.byName.get(n) ?? [];
    list.push({ name: n, type, ttl, data: normaliseData(type, data) });
    this.byName.set(n, list);
    const labels = n.split('.');
    for (let i = 0; i < labels.length; i++) this.existing.add(labels.slice(i).join('.'));
    return this;
  }

  /** Every stored record (for tests that check the fixtures themselves). */
  records(): StoredRecord[] {
    return [...this.byName.values()].flat();
  }

  /** Removes every record of a name (or of one type at it). */
  remove(name: string, type?: ServedType): void {
    const n = canon(name);
    if (!type) this.byName.delete(n);
    else this.byName.set(n, (this.byName.get(n) ?? []).filter((r) => r.type !== type));
  }

  /** Replaces every record of one type at a name with the given data (none: removes them). */
  replace(name: string, type: ServedType, data: readonly RecordData[], ttl = 300): this {
    this.remove(name, type);
    for (const d of data) this.addRecord(name, type, d, ttl);
    return this;
  }

  /** The records stored at a name (no wildcard, no CNAME chasing), of one type or all. */
  recordsOf(name: string, type?: ServedType): StoredRecord[] {
    const own = this.byName.get(canon(name)) ?? [];
    return type ? own.filter((r) => r.type === type) : [...own];
  }

  /** An independent copy: changing it leaves this store as it is. */
  clone(): ZoneStore {
    const copy = new ZoneStore();
    for (const [n, list] of this.byName) copy.byName.set(n, list.map((r) => ({ ...r })));
    for (const e of this.existing) copy.existing.add(e);
    for (const o of this.origins) copy.origins.add(o);
    for (const [t, n] of this.skipped) copy.skipped.set(t, n);
    for (const b of this.bogus) copy.bogus.add(b);
    return copy;
  }

  /**
   * Answers a question as a recursive resolver would: the records of the type,
   * CNAMEs chased (at most 24 hops; a loop ends the chain), wildcards at the
   * closest encloser, NXDOMAIN for a name that does not exist (also at the end
   * of a dangling CNAME, RFC 6604), NOERROR without answers for NODATA.
   */
  lookup(qname: string, qtype: string): LookupResult {
    const answers: StoredRecord[] = [];
    let name = canon(qname);
    const visited = new Set<string>();
    for (let hop = 0; hop < MAX_CHASE; hop++) {
      const records = this.recordsAt(name);
      if (records === null) {
        // Only the first name decides NXDOMAIN; a dangling CNAME target is NXDOMAIN too (RFC 6604).
        return { rcode: 'NXDOMAIN', answers, ...this.soaFor(name) };
      }
      const same = records.filter((r) => r.type === qtype);
      if (same.length > 0 || qtype === 'CNAME') {
        answers.push(...same.map((r) => ({ ...r, name })));
        return { rcode: 'NOERROR', answers, ...(same.length === 0 ? this.soaFor(name) : {}) };
      }
      const cname = records.find((r) => r.type === 'CNAME');
      if (!cname) return { rcode: 'NOERROR', answers, ...this.soaFor(name) };
      answers.push({ ...cname, name });
      visited.add(name);
      name = canon(cname.data as string);
      if (visited.has(name)) return { rcode: 'NOERROR', answers };
    }
    return { rcode: 'NOERROR', answers };
  }

  /** Records at a name (wildcard-synthesised if need be), [] for an empty non-terminal, null if none. */
  private recordsAt(name: string): StoredRecord[] | null {
    const own = this.byName.get(name);
    if (own && own.length > 0) return own;
    if (this.existing.has(name)) return [];
    // Closest encloser: the longest existing ancestor; then its wildcard.
    const labels = name.split('.');
    for (let i = 1; i < labels.length; i++) {
      const ancestor = labels.slice(i).join('.');
      if (!this.existing.has(ancestor)) continue;
      const wild = this.byName.get(`*.${ancestor}`);
      return wild && wild.length > 0 ? wild : null;
    }
    return null;
  }

  private soaFor(name: string): { soa?: StoredRecord } {
    const labels = name.split('.');
    for (let i = 0; i < labels.length; i++) {
      const z = labels.slice(i).join('.');
      if (!this.origins.has(z)) continue;
      const soa = (this.byName.get(z) ?? []).find((r) => r.type === 'SOA');
      return soa ? { soa } : {};
    }
    return {};
  }

  /** The apex of the zone that holds a name: the longest loaded origin it is at or below, or null. */
  zoneOf(name: string): string | null {
    const labels = canon(name).split('.');
    for (let i = 0; i < labels.length; i++) {
      const z = labels.slice(i).join('.');
      if (this.origins.has(z)) return z;
    }
    return this.origins.has('') ? '' : null;
  }

  /** Whether some loaded zone is marked bogus (the DNS server then works out every answer's status). */
  hasBogusZones(): boolean {
    return this.bogus.size > 0;
  }

  /** Whether a zone is signed: a DNSKEY at its apex (see the module comment). */
  isSigned(apex: string): boolean {
    return this.recordsOf(apex, 'DNSKEY').length > 0;
  }

  /** A zone's status for a validating resolver: bogus (marked, or below a bogus zone), secure (signed, with a DS, under a secure parent) or insecure. */
  zoneStatus(apex: string): DnssecStatus {
    for (let depth = 0, z: string | null = canon(apex); z !== null && depth < 128; depth++) {
      if (this.bogus.has(z)) return 'bogus';
      z = this.zoneAbove(z);
    }
    let zone: string | null = canon(apex);
    for (let depth = 0; zone !== null && depth < 128; depth++) {
      if (!this.isSigned(zone) || this.recordsOf(zone, 'DS').length === 0) return 'insecure';
      zone = this.zoneAbove(zone);
    }
    return 'secure';
  }

  /**
   * How a validating resolver sees the RRset of `type` at `name` (or the
   * negative answer for it): the zone holding it (for DS at an apex, the
   * zone above, RFC 4035 §3.1.4.1), whether that zone is signed, and its
   * status. A DS at the apex of a topmost loaded zone comes from outside the
   * store: signed and secure, as from a signed TLD.
   */
  security(name: string, type: string): RrsetSecurity {
    const n = canon(name);
    let zone = this.zoneOf(n);
    if (type === 'DS' && zone === n) {
      zone = this.zoneAbove(n);
      if (zone === null) return { zone: null, signed: true, status: 'secure' };
    }
    if (zone === null) return { zone: null, signed: false, status: 'insecure' };
    return { zone, signed: this.isSigned(zone), status: this.zoneStatus(zone) };
  }

  /**
   * The RRSIGs that cover the RRset of `type` at `owner`: those the files
   * hold, else, in a signed zone, one made up (see the module comment); none
   * outside signed zones.
   */
  signaturesFor(owner: string, type: string, ttl: number): StoredRecord[] {
    const n = canon(owner);
    const held = this.recordsOf(n, 'RRSIG').filter((r) => (r.data as RrsigData).typeCovered === type);
    if (held.length > 0) return held;
    const sec = this.security(n, type);
    if (!sec.signed) return [];
    const signer = sec.zone ?? n.split('.').slice(1).join('.');
    const key = sec.zone !== null ? (this.recordsOf(sec.zone, 'DNSKEY')[0]?.data as DnskeyData | undefined) : undefined;
    const labels = n === '' ? 0 : n.split('.').filter((l) => l !== '*').length;
    const data: RrsigData = {
      typeCovered: type, algorithm: key?.algorithm ?? 13, labels, originalTtl: ttl,
      expiration: MADE_UP_EXPIRATION, inception: MADE_UP_INCEPTION, keyTag: key ? keyTagOf(key) : 0, signer, signature: MADE_UP_SIGNATURE,
    };
    return [{ name: n, type: 'RRSIG', ttl, data }];
  }

  /** The zone above a zone's apex (the longest loaded origin strictly above it), or null. */
  private zoneAbove(apex: string): string | null {
    if (apex === '') return null;
    const parent = apex.includes('.') ? apex.slice(apex.indexOf('.') + 1) : '';
    return this.zoneOf(parent);
  }

  /** How many records are stored (for reports). */
  size(): number {
    let n = 0;
    for (const l of this.byName.values()) n += l.length;
    return n;
  }
}

function hasBogusDirective(text: string): boolean {
  // Line by line: no pattern runs across lines.
  for (const line of text.split('\n')) {
    if (line.startsWith(';') && BOGUS_DIRECTIVE.test(line.trimEnd())) return true;
  }
  return false;
}

/** The key tag of a DNSKEY (RFC 4034 Appendix B: the ones' complement-style sum over its RDATA). */
export function keyTagOf(key: DnskeyData): number {
  const rdata = Buffer.concat([Buffer.from([key.flags >> 8, key.flags & 0xff, key.protocol, key.algorithm]), Buffer.from(key.key, 'base64')]);
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += (i & 1) !== 0 ? (rdata[i] as number) : (rdata[i] as number) << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

function canon(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export { parseCharacterStrings };

function normaliseData(type: ServedType, data: RecordData): RecordData {
  if (type === 'TXT') {
    const parts = typeof data === 'string' ? [Buffer.from(data, 'utf8').toString('latin1')] : (data as string[]);
    // A character-string holds at most 255 bytes: split longer ones as zone tools do.
    const split: string[] = [];
    for (const p of parts) {
      if (p.length === 0) split.push('');
      for (let i = 0; i < p.length; i += 255) split.push(p.slice(i, i + 255));
    }
    return split;
  }
  if (typeof data === 'string' && (type === 'CNAME' || type === 'NS' || type === 'PTR')) return canon(data);
  return data;
}
