import { canonicalName } from '../domain/name.js';
import { MAX_LISTED } from '../util/caps.js';
import type { DnsAnswer, DnsClient, MxRecord, RecordTypes, RRType } from './types.js';
import { ZoneFileError, type ParsedZone } from './zone-file.js';

/**
 * `--zone FILE`: a DnsClient that answers from zone files where they hold
 * the name, and asks the live client for everything else, so that records
 * can be audited before they are published. The rules:
 *
 * - Per RRset (RFC 2181 section 5): the records a file holds of one type at
 *   a name replace the live records of that type there; the types it does
 *   not hold at that name are resolved live.
 * - A CNAME in a file replaces every type at its name (RFC 1034 section
 *   3.6.2: an alias holds nothing else); the target is resolved through this
 *   client again, so from the file when it holds the target, else live. A
 *   name where a file holds other records is no alias: a CNAME query there
 *   is NODATA. A file with a CNAME beside other records at one name is
 *   refused, as a name server refuses to load it.
 * - TXT, where a file holds only SPF records (v=spf1) at a name, or only
 *   other TXT records: they replace the live records of the same kind and
 *   the others stay (a plan's zone output names the SPF record alone; the
 *   MS= verification record beside it is still there once it is published).
 *   A file holding both kinds at a name replaces the whole TXT RRset.
 * - A file with an SOA record is the whole zone below its owner (RFC 1035
 *   section 5.2: a master file for a zone starts with its SOA): inside it,
 *   every answer comes from the file, a name it does not hold is NXDOMAIN
 *   (wildcards apply at the closest encloser, RFC 4592), a type it does not
 *   hold NODATA; names below an NS delegation in it are resolved live. A
 *   file without an SOA is a snippet (plan's zone output): it adds and
 *   replaces RRsets, and never makes a name NXDOMAIN; its wildcards only
 *   answer for the `*` name itself (whether a name exists live is not known).
 * - Records of several files at one name add up.
 * - A live CNAME is followed by the live resolver: records a file holds at
 *   its target are not seen through it.
 *
 * Each answer that came from a file (wholly or partly) is recorded as
 * `name TYPE`: `used()` lists them, for the report. `scope()` gives a view
 * with its own record, for one domain's audit in a run of many.
 */
export interface OverlayZone {
  /** The file as given (for messages and the report). */
  file: string;
  zone: ParsedZone;
}

/** What a run (or one domain's audit) took from the files. */
export interface OverlayUse {
  /** The files that gave at least one answer, in the order given. */
  files: string[];
  /** `name TYPE` of the answers that came from a file, in the order first asked; at most MAX_LISTED. */
  answers: string[];
  /** How many distinct answers came from a file (answers lists the first MAX_LISTED). */
  answersTotal: number;
}

/**
 * The DnsClient of `--zone` (createZoneOverlay): answers from the files where
 * they hold the name, live otherwise (see the module comment), and says which
 * answers came from a file.
 */
export interface ZoneOverlay extends DnsClient {
  used(): OverlayUse;
  /** A client over the same files and live client that records its own use. */
  scope(): ZoneOverlay;
}

/** CNAME hops followed inside the files (as the memory client: RFC 1034 leaves the bound to the resolver). */
const MAX_CNAME_CHAIN = 16;

type Value = string | MxRecord;

interface NameData {
  cname?: { target: string; file: string; line: number };
  types: Map<RRType, { records: Value[]; files: Set<string> }>;
  /** The line of the first record of another type (for the CNAME-and-other-data error). */
  otherLine?: { file: string; line: number };
}

interface WholeZone {
  apex: string;
  file: string;
  /** Owners of NS records below the apex: delegations out of the file. */
  cuts: Set<string>;
}

interface Index {
  names: Map<string, NameData>;
  /** Every owner name the files hold and its ancestors (empty non-terminals exist). */
  existing: Set<string>;
  /** Longest apex first. */
  whole: WholeZone[];
  order: string[];
}

/** RFC 7208 section 4.5: an SPF record starts with `v=spf1` followed by a space or nothing (as spf/parse.ts isSpfRecord). */
function isSpf(txt: string): boolean {
  return /^v=spf1(?: |$)/i.test(txt);
}

/**
 * The overlay over `inner`. Throws a ZoneFileError (with the file and line)
 * for a name with a CNAME beside other records.
 */
export function createZoneOverlay(inner: DnsClient, zones: readonly OverlayZone[]): ZoneOverlay {
  return overlayClient(inner, buildIndex(zones));
}

function buildIndex(zones: readonly OverlayZone[]): Index {
  const names = new Map<string, NameData>();
  const existing = new Set<string>();
  const whole: WholeZone[] = [];
  for (const { file, zone } of zones) {
    const apexes = zone.records.filter((r) => r.type === 'SOA').map((r) => r.name);
    for (const apex of apexes) whole.push({ apex, file, cuts: new Set() });
    for (const r of zone.records) {
      // The overlay stands in for node:dns, which asks none of these types; the DNSSEC and DANE
      // types (asked through the secure client, which the overlay does not wrap) only make the name exist.
      if (r.type === 'SOA' || r.type === 'SRV' || r.type === 'TLSA' || r.type === 'DS' || r.type === 'DNSKEY' || r.type === 'RRSIG') {
        markExisting(existing, r.name);
        continue;
      }
      if (r.type === 'NS' && !apexes.includes(r.name)) {
        for (const w of whole) if (w.file === file && r.name.endsWith(`.${w.apex}`)) w.cuts.add(r.name);
      }
      markExisting(existing, r.name);
      const data: NameData = names.get(r.name) ?? { types: new Map() };
      names.set(r.name, data);
      const conflict = (line: number): never => {
        throw new ZoneFileError(line, `${r.name} has a CNAME beside other records (RFC 1034 3.6.2: an alias holds nothing else)`, file);
      };
      if (r.type === 'CNAME') {
        if (data.cname && data.cname.target !== r.data) throw new ZoneFileError(r.line, `${r.name} has two CNAMEs (${data.cname.target} and ${r.data})`, file);
        if (data.otherLine) conflict(r.line);
        data.cname = { target: r.data, file, line: r.line };
        continue;
      }
      if (data.cname) conflict(r.line);
      data.otherLine ??= { file, line: r.line };
      const value: Value = r.type === 'MX' ? { exchange: canonicalName(r.data.exchange), priority: r.data.priority } : r.type === 'TXT' ? r.data.join('') : r.data;
      const held = data.types.get(r.type) ?? { records: [], files: new Set<string>() };
      held.records.push(value);
      held.files.add(file);
      data.types.set(r.type, held);
    }
  }
  whole.sort((a, b) => b.apex.length - a.apex.length);
  return { names, existing, whole, order: zones.map((z) => z.file) };
}

function markExisting(existing: Set<string>, name: string): void {
  const labels = name.split('.');
  for (let i = 0; i < labels.length; i++) existing.add(labels.slice(i).join('.'));
}

function overlayClient(inner: DnsClient, index: Index): ZoneOverlay {
  /** `name TYPE` → the files it came from, in the order first asked. */
  const log = new Map<string, Set<string>>();
  const note = (name: string, type: string, files: Iterable<string>): void => {
    const key = `${name} ${type}`;
    const set = log.get(key) ?? new Set<string>();
    for (const f of files) set.add(f);
    log.set(key, set);
  };

  /** The whole zone a name is inside (not below one of its delegations), or null. */
  const wholeZoneOf = (name: string): WholeZone | null => {
    for (const w of index.whole) {
      if (name !== w.apex && !name.endsWith(`.${w.apex}`)) continue;
      for (const cut of w.cuts) if (name === cut || name.endsWith(`.${cut}`)) return null;
      return w;
    }
    return null;
  };

  /** The records at a name inside a whole zone: its own, else a wildcard's at the closest encloser (RFC 4592 3.3.1). */
  const synthesized = (name: string): NameData | undefined => {
    const labels = name.split('.');
    for (let i = 1; i < labels.length; i++) {
      const ancestor = labels.slice(i).join('.');
      if (index.existing.has(ancestor)) return index.names.get(`*.${ancestor}`);
    }
    return undefined;
  };

  async function answer(name: string, type: RRType, hops: number): Promise<DnsAnswer<unknown>> {
    const zone = wholeZoneOf(name);
    let data = index.names.get(name);
    if (!data && zone && !index.existing.has(name)) data = synthesized(name);
    if (data?.cname) {
      note(name, 'CNAME', [data.cname.file]);
      if (type === 'CNAME') return { kind: 'records', records: [data.cname.target] };
      if (hops >= MAX_CNAME_CHAIN) return { kind: 'nxdomain' };
      return answer(data.cname.target, type, hops + 1);
    }
    const held = data?.types.get(type);
    if (held) {
      note(name, type, held.files);
      if (type !== 'TXT' || zone) return { kind: 'records', records: [...held.records] };
      return mergeTxt(name, held.records as string[]);
    }
    if (zone) {
      note(name, type, [zone.file]);
      return data || index.existing.has(name) ? { kind: 'nodata' } : { kind: 'nxdomain' };
    }
    if (data && type === 'CNAME') {
      note(name, type, data.otherLine ? [data.otherLine.file] : []);
      return { kind: 'nodata' };
    }
    return inner.resolve(name, type);
  }

  /** A snippet's TXT at a name: its records, and the live ones of the other kind (SPF or not) when it holds one kind only. */
  async function mergeTxt(name: string, own: string[]): Promise<DnsAnswer<unknown>> {
    const spf = own.some(isSpf);
    const other = own.some((t) => !isSpf(t));
    if (spf && other) return { kind: 'records', records: [...own] };
    const live = await inner.resolve(name, 'TXT');
    if (live.kind === 'tempfail') return live;
    const kept = live.kind === 'records' ? live.records.filter((t) => isSpf(t) !== spf) : [];
    return { kind: 'records', records: [...own, ...kept] };
  }

  return {
    resolve: async <T extends RRType>(name: string, type: T): Promise<DnsAnswer<RecordTypes[T]>> => (await answer(canonicalName(name), type, 0)) as DnsAnswer<RecordTypes[T]>,
    stats: () => inner.stats(),
    ...(inner.health ? { health: () => (inner.health as NonNullable<DnsClient['health']>)() } : {}),
    ...(inner.waitForServer ? { waitForServer: (signal?: AbortSignal) => (inner.waitForServer as NonNullable<DnsClient['waitForServer']>)(signal) } : {}),
    // The servers' windows: --stats shows them, and batch paces its domains at once by their round trip.
    ...(inner.windows ? { windows: () => (inner.windows as NonNullable<DnsClient['windows']>)() } : {}),
    servers: () => inner.servers?.() ?? [],
    used(): OverlayUse {
      const files = new Set<string>();
      for (const set of log.values()) for (const f of set) files.add(f);
      return { files: index.order.filter((f) => files.has(f)), answers: [...log.keys()].slice(0, MAX_LISTED), answersTotal: log.size };
    },
    scope: () => overlayClient(inner, index),
  };
}
