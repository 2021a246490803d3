import { describe, expect, it } from 'vitest';
import { checkHost, spfIdentity, type CheckHostResult } from '../../src/spf/evaluate.js';
import { loadStalwart, type StalwartCheck } from './stalwart.js';

/**
 * More SPF cases (stalwart mail-auth, with the RFC 7208 Appendix A examples),
 * every one, through the DnsClient interface. Where a case contradicts RFC
 * 7208 and the openspf suite (which this evaluator passes in full), the
 * RFC's result is asserted instead, with the reason.
 */
const checks = loadStalwart();

const DIVERGENT: Record<string, { result: string; why: string }> = {
  'all.yml:14': { result: 'permerror', why: 'an unknown mechanism after "all" is still a syntax error (RFC 7208 4.6; openspf detect-errors-anywhere)' },
  'basic.yml:112': { result: 'permerror', why: 'ten a: terms naming missing hosts are ten void lookups, over the limit of 2 (RFC 7208 4.6.4; openspf void-over-limit)' },
  'exists.yml:19': { result: 'fail', why: 'exists asks for A records only, whatever the client (RFC 7208 5.7; openspf exists-ip6only)' },
  'ip.yml:54': { result: 'fail', why: 'an IPv4 client never matches ip6:, even an IPv4-mapped network (RFC 7208 5.6; openspf cidr6-ip4)' },
  'macro.yml:35': { result: 'fail', why: 'exists asks for A records only, so the AAAA-only name does not match (RFC 7208 5.7; openspf exists-ip6only)' },
};

async function verdict(c: StalwartCheck): Promise<CheckHostResult> {
  const mailFrom = spfIdentity(c.sender, c.helo);
  const run = (domain: string, sender: string) => checkHost({ dns: c.dns }, { ip: c.ip, domain, sender, helo: c.helo });
  if (c.helo !== '' && c.helo !== mailFrom.domain) {
    const helo = await run(c.helo, `postmaster@${c.helo}`);
    if (helo.result === 'fail') return helo;
  }
  return run(mailFrom.domain, mailFrom.sender);
}

describe('spf-stalwart cases', () => {
  it('reads all 163 checks', () => {
    expect(checks).toHaveLength(163);
  });

  it.each(checks.map((c) => [`${c.file}:${c.line} ${c.scenario}`, c] as const))('%s', async (_label, c) => {
    const r = await verdict(c);
    const divergent = DIVERGENT[`${c.file}:${c.line}`];
    const why = `${c.ip} ${c.sender} (helo ${c.helo}): got ${r.result} — ${r.reason}`;
    expect(r.result, divergent ? `${why}; expected per RFC: ${divergent.why}` : why).toBe(divergent?.result ?? c.result);
    if (c.explanation !== null) expect(r.explanation, why).toBe(c.explanation);
  });

  it('lists only divergences that exist', () => {
    const labels = new Set(checks.map((c) => `${c.file}:${c.line}`));
    for (const k of Object.keys(DIVERGENT)) expect(labels.has(k), k).toBe(true);
  });
});
