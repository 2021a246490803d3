/**
 * The openspf RFC 7208 suite (fixtures/spf/rfc7208-tests.yml) as data, and
 * its zonedata turned into answer sources with the semantics of the suite's
 * drivers (pyspf, Mail::SPF), as fixtures/spf/README.md restates them:
 * - names are case-insensitive, a trailing dot is ignored, unknown names are NXDOMAIN;
 * - a name without TXT serves its SPF (type 99) entries as TXT; `TXT: NONE` means no TXT and no copying;
 * - TXT/SPF values are strings or lists of character-strings, joined with no separator;
 * - a bare TIMEOUT makes every type without an entry at that name time out;
 * - CNAMEs are followed, a loop is a permanent miss.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { MemoryName } from '../../src/dns/memory.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';

export const SUITE_FILE = fileURLToPath(new URL('../../fixtures/spf/rfc7208-tests.yml', import.meta.url));

export interface SuiteTest {
  name: string;
  description?: string;
  spec?: string;
  helo: string;
  host: string;
  mailfrom: string;
  /** Acceptable results, the preferred first. */
  results: string[];
  /** Compared (case-insensitively) only when the result is fail; DEFAULT means the default explanation. */
  explanation?: string;
}

export type ZoneEntry = string | Record<string, unknown>;

export interface SuiteScenario {
  description: string;
  tests: SuiteTest[];
  zonedata: Record<string, ZoneEntry[]>;
}

export function loadSuite(file = SUITE_FILE): SuiteScenario[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: SuiteScenario[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message ?? 'YAML error'}`);
    const j = doc.toJSON() as { description: string; tests: Record<string, Record<string, unknown>>; zonedata?: Record<string, ZoneEntry[]> } | null;
    if (!j) continue;
    const tests = Object.entries(j.tests).map(([name, t]): SuiteTest => {
      const result = t.result as string | string[];
      const test: SuiteTest = {
        name,
        helo: String(t.helo ?? ''),
        host: String(t.host ?? ''),
        mailfrom: String(t.mailfrom ?? ''),
        results: Array.isArray(result) ? result.map(String) : [String(result)],
      };
      if (typeof t.description === 'string') test.description = t.description;
      if (typeof t.spec === 'string') test.spec = t.spec;
      if (t.explanation !== undefined) test.explanation = String(t.explanation);
      return test;
    });
    out.push({ description: j.description, tests, zonedata: j.zonedata ?? {} });
  }
  return out;
}

/** One name's records after the suite's rules (SPF copied to TXT, strings joined). */
export interface SuiteName {
  name: string;
  A: string[];
  AAAA: string[];
  MX: { priority: number; exchange: string }[];
  TXT: string[] | null;
  PTR: string[];
  CNAME: string | null;
  timeout: boolean;
}

function join(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join('') : String(value);
}

function canon(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export function suiteNames(zonedata: Record<string, ZoneEntry[]>): SuiteName[] {
  const out: SuiteName[] = [];
  for (const [rawName, entries] of Object.entries(zonedata)) {
    const n: SuiteName = { name: canon(rawName), A: [], AAAA: [], MX: [], TXT: null, PTR: [], CNAME: null, timeout: false };
    const spf: string[] = [];
    let txtNone = false;
    for (const e of entries ?? []) {
      if (e === 'TIMEOUT') {
        n.timeout = true;
        continue;
      }
      if (typeof e !== 'object' || e === null) throw new Error(`zonedata ${rawName}: unexpected entry ${String(e)}`);
      for (const [type, value] of Object.entries(e)) {
        switch (type) {
          case 'SPF':
            spf.push(join(value));
            break;
          case 'TXT':
            if (value === 'NONE') txtNone = true;
            else (n.TXT ??= []).push(join(value));
            break;
          case 'A':
            n.A.push(String(value));
            break;
          case 'AAAA':
            n.AAAA.push(String(value));
            break;
          case 'PTR':
            n.PTR.push(canon(String(value)));
            break;
          case 'CNAME':
            n.CNAME = canon(String(value));
            break;
          case 'MX': {
            const [priority, exchange] = value as [number, string];
            n.MX.push({ priority: Number(priority), exchange: canon(String(exchange)) });
            break;
          }
          default:
            throw new Error(`zonedata ${rawName}: unknown type ${type}`);
        }
      }
    }
    if (n.TXT === null && !txtNone && spf.length > 0) n.TXT = spf;
    out.push(n);
  }
  return out;
}

/** The zonedata as a createMemoryDnsClient table. */
export function memoryTable(zonedata: Record<string, ZoneEntry[]>): Record<string, MemoryName> {
  const table: Record<string, MemoryName> = {};
  for (const n of suiteNames(zonedata)) {
    const entry: MemoryName = {};
    if (n.A.length) entry.A = n.A;
    if (n.AAAA.length) entry.AAAA = n.AAAA;
    if (n.MX.length) entry.MX = n.MX;
    if (n.TXT !== null) entry.TXT = n.TXT;
    if (n.PTR.length) entry.PTR = n.PTR;
    if (n.CNAME !== null) entry.CNAME = n.CNAME;
    if (n.timeout) entry.timeout = true;
    table[n.name] = entry;
  }
  return table;
}

const SERVED = ['A', 'AAAA', 'MX', 'TXT', 'PTR', 'CNAME', 'NS'] as const;

/** Loads the zonedata into a loopback DNS server: records, and timeouts for every type without an entry at a TIMEOUT name. */
export function loadIntoServer(server: TestDnsServer, zonedata: Record<string, ZoneEntry[]>): void {
  for (const n of suiteNames(zonedata)) {
    for (const a of n.A) server.addRecord(n.name, 'A', a);
    for (const a of n.AAAA) server.addRecord(n.name, 'AAAA', a);
    for (const mx of n.MX) server.addRecord(n.name, 'MX', mx);
    // One TXT record per entry; each may be split into 255-byte character-strings by the store.
    for (const t of n.TXT ?? []) server.addRecord(n.name, 'TXT', t);
    for (const p of n.PTR) server.addRecord(n.name, 'PTR', p);
    if (n.CNAME !== null) server.addRecord(n.name, 'CNAME', n.CNAME);
    if (n.timeout) {
      for (const type of SERVED) {
        const has = type === 'TXT' ? n.TXT !== null : type === 'CNAME' ? n.CNAME !== null : type === 'NS' ? false : n[type].length > 0;
        if (!has) server.setFault(n.name, 'timeout', type);
      }
    }
  }
}
