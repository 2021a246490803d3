import { readdirSync, readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../support/fixtures.js';
import { ZoneStore } from '../../src/sandbox/zone-store.js';

/**
 * Fixture and demo zones use documentation addresses only: 192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24 (RFC 5737) and 2001:db8::/32 (RFC 3849),
 * in A/AAAA records and in SPF ip4:/ip6: terms alike, so nothing a test or
 * the demo reads from them can reach a real host. The exceptions are the
 * MX hosts of probe-mx.test, paths-in.test and paths-out.test, which are
 * loopback on purpose: the --probe-mx and send-paths tests connect to a
 * local SMTP server through them.
 */
const DOCUMENTATION = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'].map((c) => ipaddr.parseCIDR(c));
const LOOPBACK_ALLOWED = new Set(['mx.probe-mx.test', 'paths-in-test.mail.protection.outlook.com', 'paths-out-test.mail.protection.outlook.com', 'paths-gcc-test.mail.protection.office365.us']);

function isDocumentation(text: string): boolean | null {
  let net: [ipaddr.IPv4 | ipaddr.IPv6, number];
  const [addr0] = text.split('/');
  // SPF and zone files write IPv4 as four decimal parts (RFC 7208 5.6); ipaddr.js would also read "198.51.10".
  if (!text.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(addr0 ?? '')) return null;
  try {
    net = text.includes('/') ? ipaddr.parseCIDR(text) : [ipaddr.parse(text), text.includes(':') ? 128 : 32];
  } catch {
    return null; // not an address (the hostile zones hold broken terms on purpose)
  }
  const [addr, bits] = net;
  return DOCUMENTATION.some(([d, dbits]) => d.kind() === addr.kind() && bits >= dbits && addr.match(d, dbits));
}

interface Offence { file: string; name: string; value: string }

function offences(dir: string): Offence[] {
  const out: Offence[] = [];
  for (const file of readdirSync(`${FIXTURES}${dir}`).filter((f) => f.endsWith('.zone') || f.endsWith('.zone.inc')).sort()) {
    const store = new ZoneStore().addZone(file.replace(/\.zone(\.inc)?$/, ''), readFileSync(`${FIXTURES}${dir}/${file}`, 'utf8'));
    for (const r of store.records()) {
      if (r.type === 'A' || r.type === 'AAAA') {
        const value = String(r.data);
        if (LOOPBACK_ALLOWED.has(r.name) && ipaddr.parse(value).range() === 'loopback') continue;
        if (isDocumentation(value) !== true) out.push({ file, name: r.name, value });
      } else if (r.type === 'TXT') {
        const text = (r.data as string[]).join('');
        for (const term of text.split(/[\s"]+/)) {
          const m = /^[-+~?]?ip[46]:(.+)$/i.exec(term);
          if (m && isDocumentation(m[1] as string) === false) out.push({ file, name: r.name, value: term });
        }
      }
    }
  }
  return out;
}

describe('fixture zones use documentation addresses only', () => {
  it.each(['infra', 'zones', 'demo', 'hostile', 'dmarc'])('fixtures/%s', (dir) => {
    expect(offences(dir)).toEqual([]);
  });

  it('the check itself catches a real address', () => {
    expect(isDocumentation('52.101.68.3')).toBe(false);
    expect(isDocumentation('40.92.0.0/15')).toBe(false);
    expect(isDocumentation('192.0.0.0/16')).toBe(false);
    expect(isDocumentation('203.0.113.128/27')).toBe(true);
    expect(isDocumentation('2001:db8:f400::/48')).toBe(true);
    expect(isDocumentation('2a01:111:f400::')).toBe(false);
    expect(isDocumentation('192.0.2.300')).toBe(null);
    expect(isDocumentation('198.51.10')).toBe(null);
  });
});
