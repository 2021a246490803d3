import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TlsaRecord } from '../../src/dns/types.js';
import { describeChain } from '../../src/smtp/channel.js';
import { matchTlsa, type PeerChain } from '../../src/transport/tlsa.js';
import { FIXTURES } from '../support/fixtures.js';

/**
 * OpenSSL's own DANE test vectors (fixtures/dane/openssl-danetest.json, from
 * test/danetest.in and test/dane-cross.in of OpenSSL 3.0.20, Apache-2.0):
 * 55 cases of a TLSA RRset, a peer chain and OpenSSL's verdict. Each chain
 * goes through the probe's own describeChain (the digests and links the SMTP
 * probe keeps), then matchTlsa, and the verdicts are compared.
 */
interface Vector {
  n: number;
  description: string | null;
  nonamechecks: boolean;
  tlsa: { usage: number; selector: number; mtype: number; data: string }[];
  chain: { pem: string }[];
  expected_verify_result: number;
  expected_match_depth: number;
}
interface Suite {
  name: string;
  base_domain: string;
  cases: Vector[];
}
const suites = (JSON.parse(readFileSync(`${FIXTURES}dane/openssl-danetest.json`, 'utf8')) as { suites: Suite[] }).suites;
const cases = suites.flatMap((s) => s.cases.map((c) => ({ ...c, suite: s.name, base: s.base_domain, id: `${s.name} ${c.n}` })));

function peerChain(c: Vector): PeerChain {
  const certs = c.chain.map((x) => new X509Certificate(x.pem));
  const leaf = certs[0] as X509Certificate;
  const altNames = (leaf.subjectAltName ?? '').split(/,\s*/).map((s) => s.replace(/^(DNS|IP Address):/, '')).filter((s) => s.length > 0);
  return { subject: (leaf.subject ?? '').split('\n').join(', '), altNames, chain: describeChain(certs) };
}

const records = (c: Vector): TlsaRecord[] => c.tlsa.map((t) => ({ usage: t.usage, selector: t.selector, matchingType: t.mtype, data: t.data }));

/** OpenSSL's verdict and ours in one vocabulary: `ok@depth`, `no-match` (65), `name` (62), `no-issuer` (20). */
function openssl(c: Vector): string {
  switch (c.expected_verify_result) {
    case 0:
      return `ok@${c.expected_match_depth}`;
    case 65:
      return 'no-match';
    case 62:
      return 'name';
    default:
      return `verify-${c.expected_verify_result}`;
  }
}

function ours(rs: readonly TlsaRecord[], c: (typeof cases)[number]): string {
  const r = matchTlsa(rs, peerChain(c), { names: c.nonamechecks ? [] : [c.base] });
  if (r.match) return `ok@${r.match.depth}`;
  if (r.usable === 0) return 'unusable';
  return r.notes.length > 0 ? 'name' : 'no-match';
}

/**
 * The cases where SMTP DANE (RFC 7672) and OpenSSL's generic DANE differ, each
 * with the reason. 29 of 55 agree; these 26 do not.
 */
const DIFFERENT: Record<string, string> = {
  ...Object.fromEntries([23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42].map((n) => [`danetest ${n}`, 'PKIX-TA(0)/PKIX-EE(1): unusable for SMTP (RFC 7672 3.1.3); OpenSSL validates them against its trust store'])),
  'danetest 47': 'DANE-TA(2) Cert(0) Full(0) of a root the server did not send: needs the TLSA data as a certificate that signed the chain (RFC 7671 5.2.2); matching here keeps digests only',
  'danetest 48': 'DANE-TA(2) Cert(0) Full(0) of an intermediate the server did not send: as 47',
  'danetest 49': 'DANE-TA(2) SPKI(1) Full(0) of a key the server did not send: needs the leaf\'s signature checked with that key (RFC 7671 5.2.2)',
  'danetest 50': 'DANE-TA(2) SPKI(1) Full(0) of a root key not sent: as 49',
  'danetest 54': 'DANE-EE(3) with OpenSSL\'s name checks on: SMTP never checks names for DANE-EE (RFC 7672 3.1.2), so it matches',
  'dane-cross 1': 'DANE-TA(2) Cert(0) Full(0) of a self-signed root whose cross-signed twin the server sent: the certificates differ; needs the TLSA certificate as an issuer (RFC 7671 5.2.2)',
};

describe('matchTlsa on OpenSSL\'s DANE test vectors', () => {
  it('has the 55 cases (54 danetest, 1 dane-cross)', () => {
    expect(cases).toHaveLength(55);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (id, c) => {
    const got = ours(records(c), c);
    if (DIFFERENT[id]) expect(got, DIFFERENT[id]).not.toBe(openssl(c));
    else expect(got).toBe(openssl(c));
  });

  it('agrees with OpenSSL on 29 of 55 cases; the 26 others are the known differences above', () => {
    const agree = cases.filter((c) => ours(records(c), c) === openssl(c)).map((c) => c.id);
    expect(agree).toHaveLength(29);
    expect(cases.filter((c) => !agree.includes(c.id)).map((c) => c.id).sort()).toEqual(Object.keys(DIFFERENT).sort());
  });

  it('with PKIX usages read as their DANE counterparts, finds the certificate OpenSSL finds in 17 of the 20 PKIX cases (the digest matching is the same)', () => {
    const pkix = cases.filter((c) => c.suite === 'danetest' && c.n >= 23 && c.n <= 42);
    const asDane = (c: Vector): TlsaRecord[] => records(c).map((r) => ({ ...r, usage: r.usage === 0 ? 2 : r.usage === 1 ? 3 : r.usage }));
    const agree = pkix.filter((c) => ours(asDane(c), { ...c, suite: 'danetest', base: 'example.com', id: '' }) === openssl(c)).map((c) => c.n);
    expect(agree).toHaveLength(17);
    // 34, 35: the PKIX-TA is the root, in OpenSSL's trust store and not sent; 38: the chain does not reach the trust store (verify error 20).
    expect(pkix.map((c) => c.n).filter((n) => !agree.includes(n))).toEqual([34, 35, 38]);
  });

  it('matches DANE-EE on an expired, "never valid" anonymous leaf (RFC 7671 5.1) and refuses DANE-TA whose leaf names miss the host (RFC 7672 3.2.2)', () => {
    const expired = cases.find((c) => c.id === 'danetest 1') as (typeof cases)[number];
    expect(matchTlsa(records(expired), peerChain(expired))).toMatchObject({ match: { depth: 0 }, usable: 1 });
    const misnamed = cases.find((c) => c.id === 'danetest 52') as (typeof cases)[number];
    const r = matchTlsa(records(misnamed), peerChain(misnamed), { names: ['example.com'] });
    expect(r.match).toBeNull();
    expect(r.notes).toEqual([expect.stringMatching(/^DANE-TA\(2\) SPKI\(1\) SHA2-256\(1\) matches CN=CA2 at depth 1, but the leaf's names \(example\.org\) do not match example\.com/)]);
    // The next-hop domain counts as a reference identifier too.
    expect(matchTlsa(records(misnamed), peerChain(misnamed), { names: ['example.com', 'example.org'] }).match).toMatchObject({ depth: 1 });
  });
});
