import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAuthenticationResults } from '../../src/message/authres.js';
import { FIXTURES } from '../support/fixtures.js';

/**
 * The 48 Authentication-Results vectors of fixtures/message/authres
 * (python3-authres, go-msgauth, mox; licences beside them). Every vector:
 * authserv-id, version (where the source gives one), and each result's
 * method, result, reason and properties must equal the source's parse.
 * The sources drop comments and ptype-less pairs; so do `properties` here
 * (the pairs are in `extras`). The three vectors a source rejects are read
 * tolerantly (that is what Microsoft 365's fields need): for them the test
 * asserts our parse and that `problems` names the deviation.
 */
interface Expected {
  error?: boolean;
  authserv_id?: string;
  version?: string | null;
  results?: { method: string; result: string; reason?: string; properties: { ptype: string; property: string; value: string }[] }[];
}
interface Vector { source: string; profile: string; value: string; expected: Expected }
const VECTORS = (JSON.parse(readFileSync(`${FIXTURES}message/authres/authentication-results-vectors.json`, 'utf8')) as { cases: Vector[] }).cases;

/** Vectors whose field deviates from RFC 8601 without the source calling it an error: what `problems` says. */
const TOLERATED: Record<number, string[]> = {
  // `x-tls=pass version=… cipher=… bits=…`: pairs with no ptype (authres keeps no properties for them).
  19: ['"version=" has no ptype', '"cipher=" has no ptype', '"bits=" has no ptype'],
  21: ['"version=" has no ptype', '"cipher=" has no ptype', '"bits=" has no ptype'],
  // go-msgauth accepts an empty field and a trailing `;`.
  32: ['no authserv-id'],
  35: ['a ";" with no result after it'],
  40: ['a ";" with no result after it'],
};

/** Our parse of the vectors a source rejects, and the deviation named. */
const REJECTED: Record<number, { authservId: string; results: [string, string, string[]][]; problems: string[] }> = {
  // authres: an unquoted IPv6 address is not a token (RFC 2045 tspecials include ":").
  14: { authservId: 'mail.bmsi.com', results: [['iprev', 'pass', ['policy.iprev=2001:748:100:40::2:2']], ['spf', 'none', ['smtp.mailfrom=markuslaudi@freenet.de']]], problems: ['the value of policy.iprev is neither a token nor a quoted string'] },
  // authres: Microsoft's old shape, `header.d=none;thehesiod.com` and a ptype-less action=.
  22: { authservId: 'thehesiod.com', results: [['dkim', 'none', ['header.d=none']], ['dmarc', 'none', ['header.from=hotmail.com']]], problems: ['stray text "thehesiod.com"', '"action=" has no ptype', 'a ";" with no result after it'] },
  // mox (strict): Microsoft 365's shape, action= with no ptype (here with an authserv-id "x").
  47: { authservId: 'x', results: [['spf', 'pass', ['smtp.mailfrom=ueber.net']], ['dkim', 'pass', ['header.d=ueber.net']], ['dmarc', 'pass', ['header.from=ueber.net']], ['compauth', 'pass', []]], problems: ['"action=" has no ptype'] },
};

const props = (r: { properties: { ptype: string; property: string; value: string }[] }): string[] => r.properties.map((p) => `${p.ptype}.${p.property}=${p.value}`);

describe('Authentication-Results vectors (authres, go-msgauth, mox)', () => {
  it('has the 48 vectors, 3 of them rejected by their source', () => {
    expect(VECTORS).toHaveLength(48);
    const rejected = VECTORS.flatMap((v, i) => (v.expected.error ? [i] : []));
    // #47 is mox's strict profile rejecting Microsoft 365's shape.
    expect(rejected).toEqual([14, 22, 47]);
    expect(Object.keys(REJECTED).map(Number)).toEqual(rejected);
  });

  VECTORS.forEach((v, i) => {
    it(`#${i} ${v.source.split(' ')[0]}: ${JSON.stringify(v.value).slice(0, 70)}`, () => {
      const r = parseAuthenticationResults(v.value);
      const e = v.expected;
      if (e.error) {
        const want = REJECTED[i];
        expect(want).toBeDefined();
        expect(r.authservId).toBe(want?.authservId);
        expect(r.results.map((x) => [x.method, x.result, props(x)])).toEqual(want?.results);
        expect(r.problems.length).toBe(want?.problems.length);
        want?.problems.forEach((p, j) => expect(r.problems[j]).toContain(p));
        return;
      }
      // go-msgauth gives an absent authserv-id as "" (its empty-field case).
      expect(r.authservId ?? '').toBe(e.authserv_id);
      if (e.version !== undefined) expect(r.version).toBe(e.version);
      expect(r.results.map((x) => ({ method: x.method, result: x.result, ...(x.reason !== null ? { reason: x.reason } : {}), properties: x.properties }))).toEqual(e.results);
      const tolerated = TOLERATED[i] ?? [];
      expect(r.problems.length).toBe(tolerated.length);
      tolerated.forEach((p, j) => expect(r.problems[j]).toContain(p));
    });
  });
});
