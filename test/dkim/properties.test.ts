import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/findings/catalog.js';
import { checkDkim } from '../../src/dkim/check.js';
import { decodeDkimPublicKey, evaluateDkimKey, parseDkimKey } from '../../src/dkim/key.js';
import { parseDkimTarget } from '../../src/dkim/target.js';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import { FIXTURES } from '../support/fixtures.js';
import { mutated, RUNS, SEED, text } from './fuzz.js';

/** Property tests: nothing the DNS can hold makes the DKIM parser, decoder or check throw. Seed fixed (SEED). */
const RECORDS = (JSON.parse(readFileSync(`${FIXTURES}dkim/dkim-key-vectors.json`, 'utf8')) as { vectors: { record: string | null }[] })
  .vectors.map((v) => v.record).filter((r): r is string => r !== null);

const STATUSES = ['valid', 'weak', 'insecure', 'revoked', 'invalid'];

function invariant(record: string): void {
  const parsed = parseDkimKey(record);
  expect(parsed.raw).toBe(record);
  const k = evaluateDkimKey(record);
  expect(STATUSES).toContain(k.status);
  if (k.status === 'valid' || k.status === 'weak' || k.status === 'insecure') {
    expect(Number.isInteger(k.bits) && (k.bits as number) > 0).toBe(true);
    expect(k.problem).toBeNull();
  }
  if (k.status === 'invalid' || k.status === 'revoked') expect(typeof k.problem).toBe('string');
  if (k.status === 'weak') expect(k.bits).toBeGreaterThanOrEqual(1024);
  if (k.status === 'insecure') expect(k.bits).toBeLessThan(1024);
}

describe('DKIM properties', () => {
  it('random strings never make the key parser or decoder throw', () => {
    fc.assert(fc.property(text(), (s) => invariant(s)), { seed: SEED, numRuns: RUNS });
  });

  it('mutated real key records never make them throw', () => {
    fc.assert(fc.property(mutated(RECORDS), (s) => invariant(s)), { seed: SEED, numRuns: RUNS });
  });

  it('random base64 and bytes never make the decoder throw', () => {
    fc.assert(fc.property(fc.constantFrom('rsa', 'ed25519'), fc.oneof(fc.base64String({ maxLength: 700 }), fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('base64'))), (k, b) => {
      const d = decodeDkimPublicKey(k, b);
      expect('problem' in d || (Number.isInteger(d.bits) && d.bits > 0)).toBe(true);
    }), { seed: SEED, numRuns: RUNS });
  });

  it('a key decoded once is remembered: the same frozen facts for the same p=, whatever the key type', () => {
    const p = (RECORDS.map((r) => /p=([A-Za-z0-9+/=]{200,})/.exec(r)?.[1]).find((x) => x !== undefined)) as string;
    const first = decodeDkimPublicKey('rsa', p);
    expect('bits' in first && first.bits).toBeGreaterThanOrEqual(1024);
    expect(decodeDkimPublicKey('rsa', p)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // Another key type is another question.
    const ed = decodeDkimPublicKey('ed25519', p);
    expect(ed).not.toBe(first);
    expect('problem' in ed).toBe(true);
  });

  it('random targets never make the target parser throw', () => {
    fc.assert(fc.property(fc.oneof(text(), mutated(['selector1-contoso-com._domainkey.contoso.onmicrosoft.com', 'selector2-contoso-com._domainkey.contoso.r-v1.dkim.mail.microsoft'])), (t) => {
      const p = parseDkimTarget(t);
      if (p) expect([1, 2]).toContain(p.selector);
    }), { seed: SEED, numRuns: RUNS });
  });

  it('random CNAMEs and TXT records never make the check throw', async () => {
    await fc.assert(fc.asyncProperty(fc.option(text(), { nil: undefined }), fc.array(fc.oneof(text(), mutated(RECORDS)), { maxLength: 3 }), fc.array(fc.oneof(text(), mutated(RECORDS)), { maxLength: 2 }), async (cname, keys, own) => {
      const target = 'selector1-contoso-com._domainkey.contoso.onmicrosoft.com';
      const dns = createMemoryDnsClient({
        'contoso.com': { A: ['192.0.2.1'] },
        'selector1._domainkey.contoso.com': { CNAME: target },
        'selector2._domainkey.contoso.com': cname === undefined ? { TXT: own } : { CNAME: cname },
        [target]: { TXT: keys },
        'x._domainkey.contoso.com': { TXT: own },
      });
      const r = await checkDkim({ dns }, 'contoso.com', { selectors: ['x'] });
      expect(['pass', 'warn', 'fail', 'unknown']).toContain(r.section.status);
      for (const f of r.findings) expect(CATALOG[f.code].severity).toBe(f.severity);
      expect(r.section.notes[0]).toMatch(/^DNS cannot prove/);
    }), { seed: SEED, numRuns: 300 });
  });
});
