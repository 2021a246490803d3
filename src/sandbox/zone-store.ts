import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseZone } from 'dnsz';

/**
 * The records a loopback DNS server serves, built from RFC 1035 master files
 * (parsed by dnsz) or added one by one. Lookup follows a recursive resolver's
 * view: CNAME chasing across every served zone, wildcards at the closest
 * encloser, empty non-terminals answering NODATA, unknown names NXDOMAIN.
 */
export type ServedType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'PTR' | 'NS' | 'SOA' | 'SRV';

export type RecordData =
  | string
  | string[]
  | { priority: number; exchange: string }
  | { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { priority: number; weight: number; port: number; target: string };

export interface StoredRecord {
  name: string;
  type: ServedType;
  ttl: number;
  data: RecordData;
}

export interface LookupResult {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: StoredRecord[];
  /** The zone's SOA for negative answers, when known. */
  soa?: StoredRecord;
}

const MAX_CHASE = 24;
const SERVED = new Set<string>(['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'PTR', 'NS', 'SOA', 'SRV']);

export class ZoneStore {
  private readonly byName = new Map<string, StoredRecord[]>();
  /** Every existing name and its ancestors (empty non-terminals exist). */
  private readonly existing = new Set<string>();
  private readonly origins = new Set<string>();

  /** Loads every `<origin>.zone` file in a folder. */
  loadDir(dir: string): this {
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.zone')) continue;
      this.addZone(file.slice(0, -'.zone'.length), readFileSync(join(dir, file), 'utf8'));
    }
    return this;
  }

  /** Adds a master file whose relative names hang below `origin`. */
  addZone(origin: string, text: string): this {
    const parsed = parseZone(text, { defaultTTL: 300, defaultClass: 'IN' });
    // A $ORIGIN in the file wins over the file name (RFC 1035 5.1).
    const o = canon(parsed.origin ?? origin);
    this.origins.add(o);
    for (const r of parsed.records) {
      const type = r.type.toUpperCase();
      if (type === 'SPF') {
        // Type 99 is obsolete (RFC 7208 3.1); resolvers here are asked TXT only.
        continue;
      }
      if (!SERVED.has(type)) throw new Error(`zone ${o}: record type ${type} is not served by the test server`);
      const name = absolute(r.name, o);
      this.addRecord(name, type as ServedType, parseData(type as ServedType, r.content, o), r.ttl ?? 300);
    }
    return this;
  }

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
    return copy;
  }

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

  /** All (name, type) pairs served, for reports. */
  size(): number {
    let n = 0;
    for (const l of this.byName.values()) n += l.length;
    return n;
  }
}

function canon(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function absolute(name: string, origin: string): string {
  if (name === '@' || name === '') return origin;
  if (name.endsWith('.')) return canon(name);
  return canon(`${name}.${origin}`);
}

function parseData(type: ServedType, content: string, origin: string): RecordData {
  const c = content.trim();
  switch (type) {
    case 'A':
    case 'AAAA':
      return c;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return absolute(c, origin);
    case 'MX': {
      const [pri = '0', host = '.'] = c.split(/\s+/);
      return { priority: Number(pri), exchange: host === '.' ? '' : absolute(host, origin) };
    }
    case 'SRV': {
      const [priority = '0', weight = '0', port = '0', target = '.'] = c.split(/\s+/);
      return { priority: Number(priority), weight: Number(weight), port: Number(port), target: absolute(target, origin) };
    }
    case 'SOA': {
      const [mname = 'ns', rname = 'hostmaster', serial = '1', refresh = '3600', retry = '600', expire = '86400', minimum = '300'] = c.split(/\s+/);
      return {
        mname: absolute(mname, origin), rname: absolute(rname, origin), serial: Number(serial),
        refresh: Number(refresh), retry: Number(retry), expire: Number(expire), minimum: Number(minimum),
      };
    }
    case 'TXT':
      return parseCharacterStrings(c);
  }
}

/**
 * RFC 1035 <character-string>s of a TXT record: quoted or bare words,
 * backslash escapes (\X and \DDD). Returns each string's bytes as latin1 so
 * that escaped odd bytes survive to the wire unchanged.
 */
export function parseCharacterStrings(content: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < content.length) {
    while (i < content.length && /\s/.test(content[i] as string)) i++;
    if (i >= content.length) break;
    const quoted = content[i] === '"';
    if (quoted) i++;
    const bytes: number[] = [];
    while (i < content.length) {
      const ch = content[i] as string;
      if (quoted && ch === '"') {
        i++;
        break;
      }
      if (!quoted && /\s/.test(ch)) break;
      if (ch === '\\' && i + 1 < content.length) {
        const digits = /^\d{3}/.exec(content.slice(i + 1, i + 4));
        if (digits) {
          bytes.push(Number(digits[0]) & 0xff);
          i += 4;
        } else {
          bytes.push(...Buffer.from(content[i + 1] as string, 'utf8'));
          i += 2;
        }
        continue;
      }
      bytes.push(...Buffer.from(ch, 'utf8'));
      i++;
    }
    out.push(Buffer.from(bytes).toString('latin1'));
  }
  return out;
}

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
