import { readFileSync } from 'node:fs';
import { parseZone } from 'dnsz';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../support/fixtures.js';

/**
 * fixtures/zones/dmarc-walk.test.zone is OpenDMARC's tree-walk fragment
 * (fixtures/dmarc/opendmarc-test-dns.zone.inc) with its relative
 * "$ORIGIN dmarcwalk" expanded, because dnsz takes a relative $ORIGIN as
 * absolute. This checks the expansion kept every record and added none.
 */
const ORIGIN = 'dmarc-walk.test';
type Rec = string;

function records(text: string, origin: string): Rec[] {
  return parseZone(text, { defaultTTL: 300, defaultClass: 'IN' }).records
    .filter((r) => r.type !== 'SOA')
    .map((r) => `${r.name === '@' ? origin : `${r.name}.${origin}`} ${r.type} ${r.content}`.toLowerCase());
}

describe('the OpenDMARC tree-walk zone', () => {
  it('serves exactly the records of the fragment', () => {
    const inc = readFileSync(`${FIXTURES}dmarc/opendmarc-test-dns.zone.inc`, 'utf8');
    const cut = inc.indexOf('\n$ORIGIN dmarcwalk\n');
    expect(cut).toBeGreaterThan(0);
    const original = [
      ...records(inc.slice(0, cut), ORIGIN),
      ...records(inc.slice(cut + '\n$ORIGIN dmarcwalk\n'.length), `dmarcwalk.${ORIGIN}`),
    ].sort();
    const served = records(readFileSync(`${FIXTURES}zones/${ORIGIN}.zone`, 'utf8'), ORIGIN).sort();
    expect(served).toEqual(original);
    expect(served).toHaveLength(16);
  });
});
