import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkDmarc, type DmarcSection } from '../../src/dmarc/check.js';
import { dmarcVerdict, parseDmarcRecord } from '../../src/dmarc/parse.js';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import type { Finding } from '../../src/findings/catalog.js';
import { FIXTURES } from '../support/fixtures.js';

/**
 * The 100 DMARC record vectors of fixtures/dmarc/dmarc-record-vectors.json.
 * Each record is published at _dmarc.example.com and audited; our verdict is
 * what the audit says (errors, warnings, whether receivers apply a policy).
 *
 * We follow RFC 9989, so every vector of the RFC 9989 profiles ("rfc9989",
 * "rfc9989 (lenient)", and checkdmarc's unprofiled ones, which follow
 * RFC 9989 since 5.16) must agree. The RFC 7489 profiles disagree where
 * RFC 9989 changed the rules; those vectors are listed in DISAGREE_7489 with
 * the reason, and the test checks the list is exactly right.
 *
 * "valid" in these suites means "parses, no error": their tests assert no
 * exception, not the absence of every remark (checkdmarc's own vector 38,
 * "v=DMARC1; p=reject", warns about the missing rua that vectors 27-29 and 37
 * also lack). So valid = no error and a policy applies; valid+warning = that
 * plus at least one remark.
 */
interface Vector { source: string; record: string; expected: string; profile?: string; note?: string }
const VECTORS = (JSON.parse(readFileSync(`${FIXTURES}dmarc/dmarc-record-vectors.json`, 'utf8')) as { vectors: Vector[] }).vectors;

const RFC9989 = (v: Vector): boolean => v.profile === undefined || v.profile.startsWith('rfc9989');

/** RFC 7489-profile vectors where RFC 9989 (and so we) differ, with the reason. */
const DISAGREE_7489: Record<number, string> = {
  4: 'p=n: OpenDMARC accepts a prefix; RFC 9989 requires none, quarantine or reject',
  11: 'rf=bob: rf was removed by RFC 9989, so its value is only noted',
  12: 'ri=bob: ri was removed by RFC 9989',
  13: 'pct=500: pct was removed by RFC 9989',
  14: 'no p=: RFC 9989 treats it as p=none (or no DMARC), not an error',
  16: 'ruf=mailto://abuse.com names no mailbox: an invalid URI is an error under RFC 9989 (checkdmarc), OpenDMARC skips it',
  17: 'the same invalid ruf URI',
  18: 'rf=000…: rf was removed by RFC 9989',
  72: 'rf=bob: removed by RFC 9989',
  73: 'ri=bob: removed by RFC 9989',
  74: 'pct=500: removed by RFC 9989',
  75: 'no p=: allowed by RFC 9989',
  76: 'rf=000…: removed by RFC 9989',
  77: 'sp before p: RFC 9989 dropped the order rule (we warn)',
  87: 'v=DMARC1;p=reject;; (an empty segment): tolerated, as verifiers tolerate it in RFC 6376 tag-lists',
  89: 'v=DMARC1 alone: valid under RFC 9989 (no p, no rua: no DMARC processing, DMARC_POLICY_NONE)',
};

interface Ours { error: boolean; warned: boolean; applies: boolean; section: DmarcSection; findings: Finding[] }

async function audit(record: string): Promise<Ours> {
  const dns = createMemoryDnsClient({ 'example.com': { A: ['192.0.2.1'] }, '_dmarc.example.com': { TXT: [record] } });
  const { section, findings } = await checkDmarc({ dns }, 'example.com', { tenant: null, cloud: 'worldwide' });
  const rec = parseDmarcRecord(record);
  return {
    error: findings.some((f) => f.severity === 'error'),
    warned: findings.some((f) => f.severity !== 'error') || section.notes.length > 0 || rec.issues.some((i) => i.level === 'warning'),
    applies: section.policy !== null,
    section,
    findings,
  };
}

/** Does our audit say what the vector's source says? */
function matches(expected: string, o: Ours): boolean {
  if (expected.startsWith('error') || expected.startsWith('DMARC_PARSE_ERROR')) return o.error;
  if (expected.startsWith('ignored') || expected === 'no DMARC processing') return !o.applies;
  if (expected === 'pct ignored for pass/fail') return !o.error && o.section.policy === 'reject';
  const ok = !o.error && o.applies;
  if (expected === 'valid+warning') return ok && o.warned;
  if (expected === 'valid; policy=reject') return ok && o.section.policy === 'reject';
  if (expected === 'valid; policy=none') return ok && o.section.policy === 'none';
  if (expected === 'valid; strict DKIM alignment' || expected === 'valid; strict') return ok && o.section.alignment?.dkim === 's';
  if (expected === 'valid; rua case preserved') return ok && o.section.rua[0]?.uri === 'mailto:DMARC-Reports@Example.COM';
  if (expected === 'valid' || expected === 'DMARC_PARSE_OKAY') return ok;
  throw new Error(`unmapped verdict "${expected}"`);
}

describe('DMARC record vectors', () => {
  it('has 100 vectors, 48 of them RFC 9989', () => {
    expect(VECTORS).toHaveLength(100);
    expect(VECTORS.filter(RFC9989)).toHaveLength(48);
  });

  const indexed = VECTORS.map((v, i) => [i, v] as const);
  it.each(indexed.filter(([, v]) => RFC9989(v)))('RFC 9989 vector %i agrees', async (_i, v) => {
    const o = await audit(v.record);
    expect(matches(v.expected, o), `${JSON.stringify(v.record)} expected ${v.expected}; got ${o.findings.map((f) => f.code).join(',')} policy=${o.section.policy}`).toBe(true);
  });

  it('disagrees with the RFC 7489 profiles exactly where RFC 9989 changed the rules', async () => {
    const disagree: number[] = [];
    for (const [i, v] of indexed) {
      if (RFC9989(v)) continue;
      if (!matches(v.expected, await audit(v.record))) disagree.push(i);
    }
    expect(disagree).toEqual(Object.keys(DISAGREE_7489).map(Number));
  });

  // stalwart's notes carry the parsed values: compare them with ours.
  const parsedNotes = indexed.filter(([, v]) => v.note?.startsWith('{'));
  it.each(parsedNotes)('vector %i parses to the values stalwart lists', (_i, v) => {
    const want = JSON.parse(v.note as string) as Record<string, unknown>;
    const r = parseDmarcRecord(v.record);
    const got: Record<string, unknown> = {
      p: r.p, sp: r.sp ?? r.p, np: r.np ?? r.sp ?? r.p, adkim: r.adkim, aspf: r.aspf, fo: r.fo.join(':'), psd: r.psd, t: r.testing,
      rua: r.rua.map((u) => [u.address, u.size ?? 0]), ruf: r.ruf.map((u) => [u.address, u.size ?? 0]),
    };
    for (const key of Object.keys(want)) if (key !== 'note') expect(got[key], key).toEqual(want[key]);
  });

  it('gives the parser verdicts of the RFC 9989 examples', () => {
    expect(dmarcVerdict(parseDmarcRecord('v=DMARC1; p=reject; rua=mailto:d@example.com'))).toBe('valid');
    expect(dmarcVerdict(parseDmarcRecord('v=DMARC1; p=reject; pct=100'))).toBe('warning');
    expect(dmarcVerdict(parseDmarcRecord('v=DMARC1; p=foo'))).toBe('error');
    expect(dmarcVerdict(parseDmarcRecord('v=dmarc1; p=reject'))).toBe('ignored');
  });
});
