/**
 * The SPF cases of stalwartlabs/mail-auth (fixtures/spf/stalwart, including
 * the RFC 7208 Appendix A examples) in their line format:
 * - `records:` lines `TYPE: NAME VALUES` add records: `spf:`/`exp:` NAME TEXT
 *   (a TXT record, replacing the name's earlier one), `a:`/`aaaa:` NAME IP, IP…,
 *   `mx:` NAME IP, IP… (the MX points at a host with those addresses),
 *   `ptr:` IP NAME;
 * - each `tests:` item sets `domain:` (the HELO), `sender:` (MAIL FROM; empty
 *   is the null sender) and `ip:`, which carry over to later items; items may
 *   add records too; every `expect: RESULT [explanation]` runs one check with
 *   the records as they are at that line;
 * - a name holding `_dns_error` fails with SERVFAIL (the suite's temperror cases);
 * - both identities are checked, HELO first: a HELO fail is the verdict
 *   (RFC 7208 2.3), otherwise the MAIL FROM result is.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMemoryDnsClient, type MemoryName } from '../../src/dns/memory.js';
import type { DnsClient } from '../../src/dns/types.js';
import { parseClientIp } from '../../src/spf/ip.js';

export const STALWART_DIR = fileURLToPath(new URL('../../fixtures/spf/stalwart/', import.meta.url));

export interface StalwartCheck {
  file: string;
  scenario: string;
  /** 1-based line of the `expect:`. */
  line: number;
  helo: string;
  sender: string;
  ip: string;
  result: string;
  explanation: string | null;
  dns: DnsClient;
}

type Table = Record<string, MemoryName>;

function canon(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function addRecord(table: Table, type: string, rest: string): void {
  const sp = rest.indexOf(' ');
  const name = canon(sp < 0 ? rest : rest.slice(0, sp));
  const value = sp < 0 ? '' : rest.slice(sp + 1).trim();
  const list = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  const entry = (n: string): MemoryName => (table[n] ??= {});
  switch (type) {
    case 'spf':
    case 'exp':
      entry(name).TXT = [value];
      return;
    case 'a':
      entry(name).A = list;
      return;
    case 'aaaa':
      entry(name).AAAA = list;
      return;
    case 'mx': {
      // One exchange per address, in order, all of the same preference.
      entry(name).MX = list.map((ip, i) => {
        const host = `mx${i + 1}.${name}.stalwart.invalid`;
        if (parseClientIp(ip)?.family === 4) entry(host).A = [ip];
        else entry(host).AAAA = [ip];
        return { priority: 10, exchange: host };
      });
      return;
    }
    case 'ptr': {
      // Here NAME is the address and the value the host name.
      const rev = parseClientIp(name)?.reverseName;
      if (!rev) throw new Error(`ptr: bad address ${name}`);
      const e = entry(rev);
      e.PTR = [...(e.PTR ?? []), canon(value)];
      return;
    }
    default:
      throw new Error(`unknown record type ${type}`);
  }
}

/** A memory DnsClient over a snapshot of the table, with the suite's `_dns_error` names failing. */
function snapshot(table: Table): DnsClient {
  const copy: Table = JSON.parse(JSON.stringify(table)) as Table;
  const inner = createMemoryDnsClient(copy);
  return {
    resolve: async (name, type) => (name.toLowerCase().includes('_dns_error') ? { kind: 'tempfail', reason: 'servfail', code: 'ESERVFAIL' } : inner.resolve(name, type)),
    stats: () => inner.stats(),
  };
}

export function loadStalwart(dir = STALWART_DIR): StalwartCheck[] {
  const checks: StalwartCheck[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yml')).sort()) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    let table: Table = {};
    let scenario = '';
    let state = { helo: '', sender: '', ip: '' };
    lines.forEach((raw, i) => {
      if (/^---\s*$/.test(raw)) {
        table = {};
        state = { helo: '', sender: '', ip: '' };
        return;
      }
      const line = raw.replace(/^\s*-\s/, '').trim();
      if (line === '' || line.startsWith('#')) return;
      const m = /^([a-z]+):\s?(.*)$/.exec(line);
      if (!m) throw new Error(`${file}:${i + 1}: cannot read ${JSON.stringify(raw)}`);
      const key = m[1] as string;
      const value = (m[2] ?? '').trim();
      switch (key) {
        case 'name':
          scenario = value;
          return;
        case 'records':
        case 'tests':
          return;
        case 'domain':
          state.helo = value;
          return;
        case 'sender':
          state.sender = value;
          return;
        case 'ip':
          state.ip = value;
          return;
        case 'expect': {
          const sp = value.indexOf(' ');
          checks.push({
            file, scenario, line: i + 1, ...state,
            result: sp < 0 ? value : value.slice(0, sp),
            explanation: sp < 0 ? null : value.slice(sp + 1),
            dns: snapshot(table),
          });
          return;
        }
        default:
          addRecord(table, key, value);
      }
    });
  }
  return checks;
}
