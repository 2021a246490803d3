import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCharacterStrings, parseZoneFile, ZoneFileError, zoneOriginOf } from '../dns/zone-file.js';

/**
 * The records a loopback DNS server serves, built from RFC 1035 master files
 * (parsed by dns/zone-file.ts, the parser --zone uses too) or added one by
 * one. Lookup follows a recursive resolver's view: CNAME chasing across
 * every served zone, wildcards at the closest encloser, empty non-terminals
 * answering NODATA, unknown names NXDOMAIN.
 */
/** The record types a ZoneStore serves. */
export type ServedType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'PTR' | 'NS' | 'SOA' | 'SRV';

/** One record's data by type: an address or name, TXT strings, MX, SOA or SRV fields. */
export type RecordData =
  | string
  | string[]
  | { priority: number; exchange: string }
  | { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { priority: number; weight: number; port: number; target: string };

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
   * serve (CAA, DS, SPF …) are left out and counted in `skipped`.
   */
  addZone(origin: string | null, text: string): this {
    const parsed = parseZoneFile(text, { origin, defaultTtl: 300 });
    if (parsed.origin !== null) this.origins.add(parsed.origin);
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

  /** How many records are stored (for reports). */
  size(): number {
    let n = 0;
    for (const l of this.byName.values()) n += l.length;
    return n;
  }
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
