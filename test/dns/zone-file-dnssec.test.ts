import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseZoneFile, ZoneFileError } from '../../src/dns/zone-file.js';
import { keyTagOf } from '../../src/sandbox/zone-store.js';
import { FIXTURES } from '../support/fixtures.js';

function errorOf(text: string): string {
  try {
    parseZoneFile(text, { origin: 'contoso.test' });
  } catch (err) {
    expect(err).toBeInstanceOf(ZoneFileError);
    return (err as ZoneFileError).reason;
  }
  return 'parsed';
}

describe('parseZoneFile: the DNSSEC and DANE types in presentation format', () => {
  it('reads TLSA (RFC 6698 2.2), DS (RFC 4034 5.3), DNSKEY (2.2) and RRSIG (3.2), with split hex and base64 and algorithm mnemonics', () => {
    const zone = parseZoneFile(
      [
        '_25._tcp.mx TLSA 3 1 1 ( 0C72AC70B745AC19998811B131D662C9',
        '                         AC69DBDBE7CB23E5B514B56664C5D3D6 )',
        '@ DS 60485 RSASHA256 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0 614B93C4F9E99B83 83F6A1E4469DA50A',
        '@ DNSKEY 257 3 ECDSAP256SHA256 ( mdsswUyr3DPW132mOi8V9xESWE8jTo0d',
        '                                 xCjjnopKl+GqJxpVXckHAeF+KkxLbxIL',
        '                                 fDLUT0rAK9iUzy1L53eKGQ== )',
        '@ RRSIG MX 13 2 3600 20991231000000 1735689600 2371 contoso.test. AAAA AAA=',
      ].join('\n'),
      { origin: 'contoso.test' },
    );
    expect(zone.skipped).toEqual({});
    expect(zone.records.map((r) => [r.name, r.type, r.data])).toEqual([
      ['_25._tcp.mx.contoso.test', 'TLSA', { usage: 3, selector: 1, matchingType: 1, data: '0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6' }],
      ['contoso.test', 'DS', { keyTag: 60485, algorithm: 8, digestType: 2, digest: 'd4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a' }],
      ['contoso.test', 'DNSKEY', { flags: 257, protocol: 3, algorithm: 13, key: 'mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==' }],
      ['contoso.test', 'RRSIG', { typeCovered: 'MX', algorithm: 13, labels: 2, originalTtl: 3600, expiration: 4102358400, inception: 1735689600, keyTag: 2371, signer: 'contoso.test', signature: 'AAAAAAA=' }],
    ]);
  });

  it.each([
    ['_25._tcp TLSA 3 1 1', 'TLSA takes usage, selector, matching type and hex data, got 3 fields'],
    ['_25._tcp TLSA 3 1 1 abc', 'TLSA: the hex data must be whole octets (an even number of digits), got 3'],
    ['_25._tcp TLSA 3 1 1 zz', 'TLSA: not hex: "zz"'],
    ['_25._tcp TLSA 256 1 1 aa', 'TLSA: the usage must be a whole number from 0 to 255, got "256"'],
    ['@ DS 1 NOTANALG 2 aa', 'DS: not an algorithm number or mnemonic: "NOTANALG"'],
    ['@ DS 70000 13 2 aa', 'DS: the key tag must be a whole number from 0 to 65535, got "70000"'],
    ['@ DNSKEY 257 2 13 AAAA', 'DNSKEY: the protocol must be 3 (RFC 4034 2.1.2), got "2"'],
    ['@ DNSKEY 257 3 13 AA=A', 'DNSKEY: not base64 (RFC 4648 4): "AA=A"'],
    ['@ DNSKEY 257 3 13 AAA', 'DNSKEY: the base64 data is not whole (length 3, padding 0)'],
    ['@ RRSIG MX 13 2 3600 2099-12-31 1 1 contoso.test. AAAA', 'RRSIG: not a time (YYYYMMDDHHmmSS or seconds): "2099-12-31"'],
    ['@ RRSIG MX 13 2 3600 20991231000000 1', 'RRSIG takes type covered, algorithm, labels, original TTL, expiration, inception, key tag, signer and signature, got 6 fields'],
    ['@ RRSIG "MX" 13 2 3600 20991231000000 1 1 contoso.test. AAAA', 'RRSIG: not a record type: "MX"'],
  ])('refuses %j', (line, reason) => {
    expect(errorOf(line)).toBe(reason);
  });

  it('skips a record in RFC 3597\'s generic form (\\# length hex), as --zone did before these types were read', () => {
    const zone = parseZoneFile('@ DS \\# 4 0001 0d02\n@ TYPE52 \\# 3 030101\n@ MX 0 mx', { origin: 'contoso.test' });
    expect(zone.skipped).toEqual({ DS: 1, TYPE52: 1 });
    expect(zone.records.map((r) => r.type)).toEqual(['MX']);
  });

  it('takes a 10-digit RRSIG time as seconds, and refuses a 14-digit one that is no date', () => {
    const zone = parseZoneFile('@ RRSIG A 13 2 60 4294967295 0 1 contoso.test. AAAA', { origin: 'contoso.test' });
    expect(zone.records[0]?.data).toMatchObject({ expiration: 4294967295, inception: 0 });
    expect(errorOf('@ RRSIG A 13 2 60 99999999999999 0 1 contoso.test. AAAA')).toBe('RRSIG: not a time (YYYYMMDDHHmmSS or seconds): "99999999999999"');
  });

  it('reads a long split hex string in linear time (no backtracking: 200,000 hex digits)', () => {
    const hex = 'ab'.repeat(100_000);
    const zone = parseZoneFile(`_25._tcp TLSA 3 0 0 ${hex.match(/.{1,64}/g)?.join(' ')}`, { origin: 'contoso.test' });
    expect((zone.records[0]?.data as { data: string }).data.length).toBe(200_000);
  });

  it('every fixtures/transport zone parses, and each DS there is the SHA-256 digest of its DNSKEY (RFC 4034 5.1.4), key tags per Appendix B', async () => {
    const { createHash } = await import('node:crypto');
    const wire = (name: string): Buffer => Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
    const dir = `${FIXTURES}transport`;
    let checked = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.zone'))) {
      const origin = file.slice(0, -'.zone'.length);
      const zone = parseZoneFile(readFileSync(`${dir}/${file}`, 'utf8'), { origin });
      expect(zone.skipped, file).toEqual({});
      const key = zone.records.find((r) => r.type === 'DNSKEY' && r.name === origin);
      const ds = zone.records.find((r) => r.type === 'DS' && r.name === origin);
      if (!key || !ds || key.type !== 'DNSKEY' || ds.type !== 'DS') continue;
      const rdata = Buffer.concat([Buffer.from([key.data.flags >> 8, key.data.flags & 0xff, 3, key.data.algorithm]), Buffer.from(key.data.key, 'base64')]);
      expect(createHash('sha256').update(Buffer.concat([wire(origin), rdata])).digest('hex'), file).toBe(ds.data.digest);
      expect(keyTagOf(key.data), file).toBe(ds.data.keyTag);
      checked++;
    }
    expect(checked).toBe(10);
  });
});
