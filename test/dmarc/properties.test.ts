import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/findings/catalog.js';
import { checkDmarc } from '../../src/dmarc/check.js';
import { classifyDmarcRecords, dmarcWalkNames } from '../../src/dmarc/discover.js';
import { dmarcVerdict, parseDmarcRecord } from '../../src/dmarc/parse.js';
import { parseDmarcUri, parseDmarcUriList } from '../../src/dmarc/uri.js';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import { mutated, RUNS, SEED, text } from '../dkim/fuzz.js';
import { FIXTURES } from '../support/fixtures.js';

/** Property tests: nothing a _dmarc TXT can hold makes the DMARC parser, walk or check throw. Seed fixed (SEED). */
const RECORDS = (JSON.parse(readFileSync(`${FIXTURES}dmarc/dmarc-record-vectors.json`, 'utf8')) as { vectors: { record: string }[] })
  .vectors.map((v) => v.record).filter((r) => r !== '');

function invariant(record: string): void {
  const r = parseDmarcRecord(record);
  expect(r.raw).toBe(record);
  if (!r.isDmarc) expect(r.usable).toBe(false);
  if (r.isDmarc) expect(r.meantAsDmarc).toBe(true);
  for (const k of Object.keys(r.tags)) expect(k).toBe(k.toLowerCase());
  for (const i of r.issues) expect(['error', 'warning', 'info']).toContain(i.level);
  if (r.p !== null) expect(['none', 'quarantine', 'reject']).toContain(r.p);
  if (r.pct !== null) expect(r.pct >= 0 && r.pct <= 100).toBe(true);
  for (const u of [...r.rua, ...r.ruf]) {
    if (u.valid && u.scheme === 'mailto') expect(u.address).toMatch(/@/);
    if (u.size !== null) expect(Number.isFinite(u.size)).toBe(true);
  }
  const v = dmarcVerdict(r);
  expect(v === 'ignored').toBe(!r.isDmarc);
}

describe('DMARC properties', () => {
  it('random strings never make the record parser throw', () => {
    fc.assert(fc.property(text(), (s) => invariant(s)), { seed: SEED, numRuns: RUNS });
  });

  it('mutated real records never make it throw', () => {
    fc.assert(fc.property(mutated(RECORDS), (s) => invariant(s)), { seed: SEED, numRuns: RUNS });
  });

  it('random URI lists never make the URI parser throw', () => {
    fc.assert(fc.property(fc.oneof(text(), mutated(['mailto:a@example.com!10m,mailto:b%20@example.net', 'https://r.example/x'])), (s) => {
      expect(parseDmarcUriList(s).length).toBeGreaterThan(0);
      expect(typeof parseDmarcUri(s).valid).toBe('boolean');
    }), { seed: SEED, numRuns: RUNS });
  });

  it('the walk never asks more than eight names, and classifies any TXT set', () => {
    fc.assert(fc.property(fc.array(fc.stringMatching(/^[a-z0-9]{1,5}$/), { minLength: 1, maxLength: 30 }), fc.array(fc.oneof(text(80), mutated(RECORDS)), { maxLength: 4 }), (labels, txt) => {
      const names = dmarcWalkNames(labels.join('.'));
      expect(names.length).toBeLessThanOrEqual(8);
      expect(names[0]).toBe(labels.join('.'));
      const level = classifyDmarcRecords('example.com', { kind: 'records', records: txt });
      expect(level.result === 'record').toBe(level.record !== null);
    }), { seed: SEED, numRuns: RUNS });
  });

  it('random records on the walk and at report destinations never make the check throw', async () => {
    const rec = fc.array(fc.oneof(text(120), mutated(RECORDS)), { maxLength: 3 });
    await fc.assert(fc.asyncProperty(rec, rec, rec, fc.boolean(), async (own, parent, auth, tenant) => {
      const dns = createMemoryDnsClient({
        'a.contoso.com': { A: ['192.0.2.1'] },
        '_dmarc.a.contoso.com': { TXT: own },
        '_dmarc.contoso.com': { TXT: parent },
        'a.contoso.com._report._dmarc.example.com': { TXT: auth },
        'contoso.com._report._dmarc.example.com': { TXT: auth },
        '_dmarc.contoso.onmicrosoft.com': { TXT: own },
      });
      const r = await checkDmarc({ dns }, 'a.contoso.com', { tenant: tenant ? 'contoso' : null, cloud: 'worldwide' });
      expect(['pass', 'warn', 'fail']).toContain(r.section.status);
      for (const f of r.findings) expect(CATALOG[f.code].severity).toBe(f.severity);
      const codes = r.findings.map((f) => f.code);
      // A policy found is never also "missing"; no policy always has a reason.
      if (r.section.record !== null) expect(codes).not.toContain('DMARC_MISSING');
      else expect(codes.some((c) => c === 'DMARC_MISSING' || c === 'DMARC_SYNTAX' || c === 'DMARC_MULTIPLE')).toBe(true);
      if (r.section.inherited) expect(codes).toContain('DMARC_INHERITED');
    }), { seed: SEED, numRuns: 400 });
  });
});
