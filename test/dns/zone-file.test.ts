import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseCharacterStrings, parseZoneFile, ZoneFileError, zoneOriginOf } from '../../src/dns/zone-file.js';
import { ZoneStore } from '../../src/sandbox/zone-store.js';
import { FIXTURES } from '../support/fixtures.js';

/** The error a text gives, as `line: reason`. */
function errorOf(text: string, origin: string | null = 'contoso.com'): string {
  try {
    parseZoneFile(text, { origin });
  } catch (err) {
    expect(err).toBeInstanceOf(ZoneFileError);
    const e = err as ZoneFileError;
    return `${e.line}: ${e.reason}`;
  }
  return 'parsed';
}

describe('parseZoneFile (RFC 1035 5.1)', () => {
  it('reads directives, owners, TTL and class in either order, parentheses, comments and escapes', () => {
    const zone = parseZoneFile(
      [
        '; a comment line',
        '$TTL 1h',
        '@ IN SOA ns1 hostmaster.contoso.com. (',
        '      2024010101 ; serial',
        '      3600 600 1w 300 )',
        '@ 600 IN MX 10 mail',
        '  IN 60 MX 20 backup.example.net.',
        '@ TXT "v=spf1 include:spf.protection.outlook.com -all" ; trailing comment',
        '@ TXT "two " "strings" bare',
        '_dmarc TXT "v=DMARC1; p=none; rua=mailto:\\"d\\"@contoso.com" "\\065\\255"',
        'Mail A 192.0.2.1',
        'www AAAA 2001:DB8::1',
        'selector1._domainkey CNAME selector1-contoso-com._domainkey.contoso.onmicrosoft.com.',
        'null.contoso.com. MX 0 .',
        '_sip._tls SRV 100 1 443 sipdir.online.lync.com.',
        '@ CAA 0 issue "letsencrypt.org"',
        '@ TYPE65 \\# 0',
      ].join('\n'),
      { origin: 'contoso.com' },
    );
    expect(zone.origin).toBe('contoso.com');
    expect(zone.skipped).toEqual({ CAA: 1, TYPE65: 1 });
    expect(zone.records.map((r) => [r.line, r.name, r.type, r.ttl, r.data])).toEqual([
      [3, 'contoso.com', 'SOA', 3600, { mname: 'ns1.contoso.com', rname: 'hostmaster.contoso.com', serial: 2024010101, refresh: 3600, retry: 600, expire: 604800, minimum: 300 }],
      [6, 'contoso.com', 'MX', 600, { priority: 10, exchange: 'mail.contoso.com' }],
      [7, 'contoso.com', 'MX', 60, { priority: 20, exchange: 'backup.example.net' }],
      [8, 'contoso.com', 'TXT', 3600, ['v=spf1 include:spf.protection.outlook.com -all']],
      [9, 'contoso.com', 'TXT', 3600, ['two ', 'strings', 'bare']],
      [10, '_dmarc.contoso.com', 'TXT', 3600, ['v=DMARC1; p=none; rua=mailto:"d"@contoso.com', 'A\xff']],
      [11, 'mail.contoso.com', 'A', 3600, '192.0.2.1'],
      [12, 'www.contoso.com', 'AAAA', 3600, '2001:db8::1'],
      [13, 'selector1._domainkey.contoso.com', 'CNAME', 3600, 'selector1-contoso-com._domainkey.contoso.onmicrosoft.com'],
      [14, 'null.contoso.com', 'MX', 3600, { priority: 0, exchange: '' }],
      [15, '_sip._tls.contoso.com', 'SRV', 3600, { priority: 100, weight: 1, port: 443, target: 'sipdir.online.lync.com' }],
    ]);
  });

  it('keeps UTF-8 text as its bytes (latin1, as node:dns gives TXT strings)', () => {
    const [r] = parseZoneFile('@ TXT "bücher"', { origin: 'x.test' }).records;
    expect(r?.data).toEqual([Buffer.from('bücher', 'utf8').toString('latin1')]);
  });

  it('$ORIGIN wins over the given origin, and a relative $ORIGIN hangs below the current one', () => {
    const zone = parseZoneFile('$ORIGIN fabrikam.com.\n@ MX 0 mx\n$ORIGIN sub\nwww A 192.0.2.2\n', { origin: 'contoso.com' });
    expect(zone.origin).toBe('fabrikam.com');
    expect(zone.records.map((r) => r.name)).toEqual(['fabrikam.com', 'www.sub.fabrikam.com']);
  });

  it('gives the origin of a file name with two labels or more', () => {
    expect(zoneOriginOf('/tmp/zones/Contoso.COM.zone')).toBe('contoso.com');
    expect(zoneOriginOf('dkim-fixtures.onmicrosoft.com.zone')).toBe('dkim-fixtures.onmicrosoft.com');
    expect(zoneOriginOf('next.zone')).toBe(null);
    expect(zoneOriginOf('contoso.com.txt')).toBe(null);
    expect(zoneOriginOf('a..b.zone')).toBe(null);
  });

  it.each([
    ['@ A 192.0.2.300', '1: A: not an IPv4 address: "192.0.2.300"'],
    ['@ AAAA 192.0.2.1', '1: AAAA: not an IPv6 address: "192.0.2.1"'],
    ['ok A 192.0.2.1\n\n@ MX ten mail', '3: MX: the preference must be a whole number from 0 to 65535, got "ten"'],
    ['@ MX 70000 mail', '1: MX: the preference must be a whole number from 0 to 65535, got "70000"'],
    ['@ MX 10', '1: MX takes a preference and a host, got 1 field'],
    ['@ CH TXT "x"', '1: class "CH": only IN is supported'],
    ['@ IN', '1: no record type after "IN"'],
    ['@ 300 "quoted" x', '1: not a record type: "quoted"'],
    ['@ TXT', '1: TXT has no data'],
    ['@ TXT "never closed\n', '1: a quoted string is not closed on its line'],
    ['; fine\n@ SOA ns1 host ( 1 2 3\n 4 5\n', '2: a ( is never closed'],
    ['@ A 192.0.2.1 )', '1: a ) with no ( before it'],
    ['@ SOA ( ns1 ( host ) )', '1: a ( inside another ( … )'],
    ['$INCLUDE other.zone', '1: $INCLUDE is not supported: put the records in this file'],
    ['$GENERATE 1-10 x A 1.2.3.4', '1: unknown directive "$GENERATE"'],
    ['$TTL soon', '1: $TTL: not a TTL: "soon"'],
    ['  A 192.0.2.1', '1: the line starts with a blank, so its owner is the previous record\'s, and there is none'],
    [`${'a'.repeat(64)} A 192.0.2.1`, `1: the owner is not a valid domain name: "${'a'.repeat(60)}…" (labels of 1 to 63 bytes, 253 in all)`],
    ['a..b A 192.0.2.1', '1: the owner is not a valid domain name: "a..b" (labels of 1 to 63 bytes, 253 in all)'],
    ['a\\.b A 192.0.2.1', '1: the owner: an escaped dot inside a label is not supported: "a\\\\.b"'],
    ['@ TXT "\\999"', '1: \\DDD needs three digits up to 255, in "\\\\999"'],
    ['@ SOA ns1 host 1 2 3 4', '1: SOA takes MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM, got 6 fields'],
  ])('%j is one error with its line', (text, expected) => {
    expect(errorOf(text)).toBe(expected);
  });

  it('needs an origin for relative names and @, and says how to give one', () => {
    expect(errorOf('www A 192.0.2.1', null)).toBe('1: the owner "www" is relative and there is no origin: add $ORIGIN or name the file DOMAIN.zone');
    expect(errorOf('@ MX 0 mx.contoso.com.', null)).toBe('1: @ needs an origin: add $ORIGIN or name the file DOMAIN.zone');
    expect(errorOf('mail.contoso.com. MX 0 mx', null)).toBe('1: the MX target "mx" is relative and there is no origin: add $ORIGIN or name the file DOMAIN.zone');
    expect(parseZoneFile('mail.contoso.com. A 192.0.2.1', { origin: null }).records[0]?.name).toBe('mail.contoso.com');
  });

  it('names the file in the message once it is known', () => {
    const e = new ZoneFileError(7, 'A: not an IPv4 address: "x"').inFile('zones/contoso.com.zone');
    expect(e.message).toBe('zones/contoso.com.zone: line 7: A: not an IPv4 address: "x"');
  });

  it('is linear: a megabyte of digits, of blanks, of one quoted string', () => {
    const MB = 1024 * 1024;
    // Too large for a TTL (RFC 2181 8: at most 2^31 - 1), so it stands where the type should.
    expect(errorOf(`@ ${'1'.repeat(MB)} `)).toBe(`1: not a record type: "${'1'.repeat(60)}…"`);
    expect(parseZoneFile(`@${' '.repeat(MB)}TXT${' '.repeat(MB)}"x"`, { origin: 'x.test' }).records).toHaveLength(1);
    const [long] = parseZoneFile(`@ TXT "${'a'.repeat(MB)}"`, { origin: 'x.test' }).records;
    expect((long?.data as string[])[0]?.length).toBe(MB);
  });
});

describe('the sandbox\'s ZoneStore reads zone files with it', () => {
  it('serves an absolute owner at its own name (dnsz dropped the dot and served it below the origin)', () => {
    const store = new ZoneStore().loadFile(`${FIXTURES}infra/partner.outlook.cn.zone`);
    expect(store.lookup('clientconfig.partner.microsoftonline-p.net.cn', 'A').answers.map((a) => a.data)).toEqual(['198.51.100.217']);
    expect(store.lookup('clientconfig.partner.microsoftonline-p.net.cn.partner.outlook.cn', 'A').rcode).toBe('NXDOMAIN');
  });

  it('hangs a relative $ORIGIN below the current one (dnsz took it as absolute)', () => {
    const store = new ZoneStore().addZone('contoso.test', readFileSync(`${FIXTURES}dmarc/opendmarc-test-dns.zone.inc`, 'utf8'));
    expect(store.lookup('_dmarc.direct.dmarcwalk.contoso.test', 'TXT').answers).toHaveLength(1);
    expect(store.lookup('_dmarc.direct.dmarcwalk', 'TXT').rcode).toBe('NXDOMAIN');
  });

  it('leaves out the types it does not serve, and counts them', () => {
    const store = new ZoneStore().addZone('contoso.test', '@ MX 0 mx\n@ CAA 0 issue "ca.example"\n@ SPF "v=spf1 -all"\n');
    expect(store.skippedTypes()).toEqual({ CAA: 1, SPF: 1 });
    expect(store.records().map((r) => r.type)).toEqual(['MX']);
  });
});

describe('parseCharacterStrings', () => {
  it('reads quoted and bare strings with escapes', () => {
    expect(parseCharacterStrings('"v=spf1 -all" bare "\\"q\\"" "\\000"')).toEqual(['v=spf1 -all', 'bare', '"q"', '\0']);
  });
});
