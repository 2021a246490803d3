import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/findings/catalog.js';
import { createMemoryDnsClient, type MemoryName } from '../../src/dns/memory.js';
import type { DnsClient } from '../../src/dns/types.js';
import { checkSpf } from '../../src/spf/check.js';
import { checkHost, SPF_RESULTS } from '../../src/spf/evaluate.js';
import { parseSpf } from '../../src/spf/parse.js';

/**
 * Random and mutated records through the parser and the evaluator: nothing
 * throws, every evaluation ends within the RFC 7208 limits, and the DNS work
 * of one check_host() is bounded. Seeds are fixed so that a failure repeats.
 */
const SEED = 7208;

const NAMES = ['a.test', 'b.test', 'c.test', 'd.test', 'e.test'];
const name = fc.constantFrom(...NAMES, 'gone.test', '%{d}', '%{i}.%{d}', '%{p}.b.test', '%{l}.%{o}', '%{ir}.%{v}.c.test', 'x..test', `${'l'.repeat(70)}.test`);
const cidr = fc.constantFrom('', '/24', '//64', '/0', '/32//128', '/33', '/024');
const term = fc.oneof(
  fc.tuple(fc.constantFrom('', '+', '-', '~', '?'), fc.constantFrom('all', 'a', 'mx', 'ptr')).map(([q, m]) => `${q}${m}`),
  fc.tuple(fc.constantFrom('', '-', '~'), fc.constantFrom('include', 'a', 'mx', 'ptr', 'exists'), name).map(([q, m, n]) => `${q}${m}:${n}`),
  fc.tuple(fc.constantFrom('a', 'mx'), name, cidr).map(([m, n, c]) => `${m}:${n}${c}`),
  fc.tuple(fc.constantFrom('ip4:192.0.2.0', 'ip4:198.51.100.7', 'ip6:2001:db8::', 'ip6:::ffff:192.0.2.1'), fc.constantFrom('', '/24', '/0', '/128', '/99')).map(([n, c]) => `${n}${c}`),
  name.map((n) => `redirect=${n}`),
  name.map((n) => `exp=${n}`),
  fc.constantFrom('foo=bar', 'v=spf1', 'moo', '%{', 'exp=', 'redirect='),
);
const record = fc.array(term, { maxLength: 14 }).map((terms) => ['v=spf1', ...terms].join(' '));

const MUTATION_CHARS = [' ', ':', '/', '%', '{', '}', '.', '=', '-', '+', '~', '?', 'a', '0', '9', '\u0000', '\r', '\t', '\u00e9', '\u202e', '\u{1F600}'];
const mutated = fc
  .tuple(record, fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...MUTATION_CHARS)), { maxLength: 6 }))
  .map(([r, edits]) => {
    let s = r;
    for (const [at, op, ch] of edits) {
      const i = s.length === 0 ? 0 : at % s.length;
      s = op === 'insert' ? s.slice(0, i) + ch + s.slice(i) : op === 'delete' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + ch + s.slice(i + 1);
    }
    return s;
  });
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme-ascii', maxLength: 300 }).map((s) => `v=spf1 ${s}`));

describe('parser properties', () => {
  it('never throws, and positions point into the record', () => {
    fc.assert(
      fc.property(fc.oneof(record, mutated, anyText), (text) => {
        const r = parseSpf(text);
        for (const e of r.errors) {
          expect(e.position).toBeGreaterThanOrEqual(0);
          expect(e.position).toBeLessThanOrEqual(text.length);
        }
        for (const t of r.terms) expect(text.slice(t.position, t.position + t.text.length)).toBe(t.text);
        expect(parseSpf(text)).toEqual(r);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

/** A zone of the five names with random records, addresses, MX sets (up to 12), PTRs and timeouts. */
const zone = fc
  .tuple(
    fc.array(fc.oneof(record, mutated), { minLength: NAMES.length, maxLength: NAMES.length }),
    fc.array(fc.boolean(), { minLength: NAMES.length, maxLength: NAMES.length }),
    fc.nat({ max: 12 }),
    fc.boolean(),
  )
  .map(([records, timeouts, mxCount, ptr]) => {
    const table: Record<string, MemoryName> = {};
    NAMES.forEach((n, i) => {
      const entry: MemoryName = { A: ['192.0.2.10'], AAAA: ['2001:db8::10'] };
      if (timeouts[i] && i > 0) entry.timeout = true;
      else entry.TXT = [records[i] ?? 'v=spf1'];
      entry.MX = Array.from({ length: mxCount }, (_, k) => ({ priority: k, exchange: NAMES[k % NAMES.length] ?? 'a.test' }));
      table[n] = entry;
    });
    if (ptr) table['10.2.0.192.in-addr.arpa'] = { PTR: [...NAMES, ...NAMES, 'gone.test'] };
    return table;
  });

function counted(d: DnsClient): { dns: DnsClient; calls: () => number } {
  let n = 0;
  return { dns: { resolve: (name, type) => (n++, d.resolve(name, type)), stats: () => d.stats() }, calls: () => n };
}

/** 1 record + 11 terms x (1 + 10 MX or PTR names) + %{p} (1 + 10) + exp (1). */
const MAX_QUERIES_PER_CHECK = 1 + 11 * 11 + 11 + 1;

describe('evaluator properties', () => {
  it('check_host never throws and stays within the limits', async () => {
    await fc.assert(
      fc.asyncProperty(zone, fc.constantFrom('192.0.2.10', '198.51.100.7', '2001:db8::10', '::ffff:192.0.2.10'), fc.constantFrom(...NAMES), async (table, ip, domain) => {
        const c = counted(createMemoryDnsClient(table));
        const r = await checkHost(c, { ip, domain, sender: `user@${domain}`, helo: 'helo.test' });
        expect(SPF_RESULTS).toContain(r.result);
        expect(r.lookups).toBeLessThanOrEqual(11);
        expect(r.voidLookups).toBeLessThanOrEqual(3);
        expect(c.calls()).toBeLessThanOrEqual(MAX_QUERIES_PER_CHECK);
        if (r.result !== 'fail') expect(r.explanation).toBeNull();
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('the analysis never throws and gives only catalog codes', async () => {
    await fc.assert(
      fc.asyncProperty(zone, fc.constantFrom(...NAMES), async (table, domain) => {
        table['spf.protection.outlook.com'] = { TXT: ['v=spf1 ip4:40.92.0.0/15 ip6:2a01:111:f400::/48 -all'] };
        const c = counted(createMemoryDnsClient(table));
        const r = await checkSpf({ dns: c.dns }, domain, { cloud: 'worldwide' });
        for (const f of r.findings) expect(CATALOG[f.code].area === 'spf' || f.code === 'DNS_TEMPFAIL').toBe(true);
        expect(Number.isInteger(r.section.lookups)).toBe(true);
        expect(['pass', 'warn', 'fail', 'unknown']).toContain(r.section.status);
        // The tree walk stops past the limit; two samples run check_host once each.
        expect(c.calls()).toBeLessThanOrEqual(200 + 2 * MAX_QUERIES_PER_CHECK);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
