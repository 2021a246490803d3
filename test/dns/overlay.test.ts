import { describe, expect, it } from 'vitest';
import { createMemoryDnsClient, type MemoryName } from '../../src/dns/memory.js';
import { createZoneOverlay, type ZoneOverlay } from '../../src/dns/overlay.js';
import type { DnsClient } from '../../src/dns/types.js';
import { parseZoneFile, ZoneFileError } from '../../src/dns/zone-file.js';

/** Live DNS of contoso.com before the migration. */
const LIVE: Record<string, MemoryName> = {
  'contoso.com': {
    MX: [{ priority: 10, exchange: 'mx.old-provider.example' }],
    TXT: ['v=spf1 include:old-provider.example -all', 'MS=ms12345678', 'google-site-verification=abc'],
    A: ['192.0.2.10'],
  },
  'www.contoso.com': { A: ['192.0.2.11'] },
  'selector1._domainkey.contoso.com': { TXT: ['v=DKIM1; k=rsa; p=OLDKEY'] },
  'autodiscover.contoso.com': { CNAME: 'autodiscover.old-provider.example' },
  'autodiscover.old-provider.example': { A: ['192.0.2.20'] },
  'selector1-contoso-com._domainkey.contoso.onmicrosoft.com': { TXT: ['v=DKIM1; k=rsa; p=NEWKEY'] },
  'old.contoso.com': { A: ['192.0.2.12'] },
  'tempfail.contoso.com': { servfail: true },
};

function overlay(text: string, file = 'next.zone', live: Record<string, MemoryName> = LIVE): ZoneOverlay {
  return createZoneOverlay(createMemoryDnsClient(live), [{ file, zone: parseZoneFile(text, { origin: null }) }]);
}

const PLAN = `$ORIGIN contoso.com.
@                     3600 IN MX    0 contoso-com.mail.protection.outlook.com.
@                     3600 IN TXT   "v=spf1 include:spf.protection.outlook.com -all"
selector1._domainkey  3600 IN CNAME selector1-contoso-com._domainkey.contoso.onmicrosoft.com.
_dmarc                3600 IN TXT   "v=DMARC1; p=quarantine"
autodiscover          3600 IN CNAME autodiscover.outlook.com.
`;

describe('createZoneOverlay: a snippet (no SOA) over live DNS', () => {
  it('replaces the RRsets it holds and leaves the other types and names live', async () => {
    const dns = overlay(PLAN);
    expect(await dns.resolve('contoso.com', 'MX')).toEqual({ kind: 'records', records: [{ priority: 0, exchange: 'contoso-com.mail.protection.outlook.com' }] });
    expect(await dns.resolve('Contoso.COM.', 'A')).toEqual({ kind: 'records', records: ['192.0.2.10'] });
    expect(await dns.resolve('www.contoso.com', 'A')).toEqual({ kind: 'records', records: ['192.0.2.11'] });
    // A snippet never makes a name NXDOMAIN: a name it does not hold is asked live.
    expect(await dns.resolve('nothere.contoso.com', 'A')).toEqual({ kind: 'nxdomain' });
    expect(await dns.resolve('old.contoso.com', 'A')).toEqual({ kind: 'records', records: ['192.0.2.12'] });
    expect(await dns.resolve('_dmarc.contoso.com', 'TXT')).toEqual({ kind: 'records', records: ['v=DMARC1; p=quarantine'] });
  });

  it('a CNAME replaces every type at its name and is followed, through the files and then live', async () => {
    const dns = overlay(PLAN);
    expect(await dns.resolve('selector1._domainkey.contoso.com', 'CNAME')).toEqual({ kind: 'records', records: ['selector1-contoso-com._domainkey.contoso.onmicrosoft.com'] });
    // The live TXT key at the name is gone; the key at the (live) target answers.
    expect(await dns.resolve('selector1._domainkey.contoso.com', 'TXT')).toEqual({ kind: 'records', records: ['v=DKIM1; k=rsa; p=NEWKEY'] });
    expect(await dns.resolve('autodiscover.contoso.com', 'CNAME')).toEqual({ kind: 'records', records: ['autodiscover.outlook.com'] });
    const chained = overlay('$ORIGIN contoso.com.\na CNAME b\nb CNAME www\n');
    expect(await chained.resolve('a.contoso.com', 'A')).toEqual({ kind: 'records', records: ['192.0.2.11'] });
  });

  it('a name where the file holds data is no alias: its CNAME query is NODATA, even with a live CNAME there', async () => {
    const dns = overlay('$ORIGIN contoso.com.\nautodiscover A 192.0.2.30\n');
    expect(await dns.resolve('autodiscover.contoso.com', 'CNAME')).toEqual({ kind: 'nodata' });
    expect(await dns.resolve('autodiscover.contoso.com', 'A')).toEqual({ kind: 'records', records: ['192.0.2.30'] });
  });

  it('TXT: SPF records alone replace the live SPF records and keep the other TXT records', async () => {
    const dns = overlay(PLAN);
    expect(await dns.resolve('contoso.com', 'TXT')).toEqual({
      kind: 'records',
      records: ['v=spf1 include:spf.protection.outlook.com -all', 'MS=ms12345678', 'google-site-verification=abc'],
    });
  });

  it('TXT: other records alone keep the live SPF record; both kinds replace the whole RRset', async () => {
    expect(await overlay('$ORIGIN contoso.com.\n@ TXT "MS=ms87654321"\n').resolve('contoso.com', 'TXT')).toEqual({
      kind: 'records',
      records: ['MS=ms87654321', 'v=spf1 include:old-provider.example -all'],
    });
    expect(await overlay('$ORIGIN contoso.com.\n@ TXT "MS=ms87654321"\n@ TXT "v=spf1 -all"\n').resolve('contoso.com', 'TXT')).toEqual({
      kind: 'records',
      records: ['MS=ms87654321', 'v=spf1 -all'],
    });
  });

  it('TXT: a live failure beside file SPF is a failure (the answer would be incomplete); no live name is the file alone', async () => {
    expect(await overlay('tempfail.contoso.com. TXT "v=spf1 -all"\n').resolve('tempfail.contoso.com', 'TXT')).toMatchObject({ kind: 'tempfail', reason: 'servfail' });
    expect(await overlay('new.contoso.com. TXT "v=spf1 -all"\n').resolve('new.contoso.com', 'TXT')).toEqual({ kind: 'records', records: ['v=spf1 -all'] });
  });

  it('a CNAME loop inside the files ends after a bounded chase', async () => {
    const dns = overlay('$ORIGIN contoso.com.\nloop-a CNAME loop-b\nloop-b CNAME loop-a\n');
    expect(await dns.resolve('loop-a.contoso.com', 'TXT')).toEqual({ kind: 'nxdomain' });
  });
});

describe('createZoneOverlay: a whole zone (with SOA)', () => {
  const ZONE = `$ORIGIN contoso.com.
@ SOA ns1 hostmaster 1 3600 600 86400 300
@ MX 0 contoso-com.mail.protection.outlook.com.
a.b A 192.0.2.40
*.wild TXT "from the wildcard"
sub NS ns1.elsewhere.example.
`;
  it('answers every name inside it from the file: NXDOMAIN, NODATA, wildcards', async () => {
    const dns = overlay(ZONE, 'contoso.com.zone');
    expect(await dns.resolve('www.contoso.com', 'A')).toEqual({ kind: 'nxdomain' });
    expect(await dns.resolve('contoso.com', 'A')).toEqual({ kind: 'nodata' });
    expect(await dns.resolve('contoso.com', 'TXT')).toEqual({ kind: 'nodata' });
    expect(await dns.resolve('b.contoso.com', 'A')).toEqual({ kind: 'nodata' });
    expect(await dns.resolve('x.wild.contoso.com', 'TXT')).toEqual({ kind: 'records', records: ['from the wildcard'] });
    expect(await dns.resolve('x.y.wild.contoso.com', 'TXT')).toEqual({ kind: 'records', records: ['from the wildcard'] });
    expect(await dns.resolve('wild.contoso.com', 'TXT')).toEqual({ kind: 'nodata' });
  });

  it('resolves names below a delegation, and outside the zone, live', async () => {
    const live = { ...LIVE, 'host.sub.contoso.com': { A: ['192.0.2.41'] } };
    const dns = overlay(ZONE, 'contoso.com.zone', live);
    expect(await dns.resolve('host.sub.contoso.com', 'A')).toEqual({ kind: 'records', records: ['192.0.2.41'] });
    expect(await dns.resolve('autodiscover.old-provider.example', 'A')).toEqual({ kind: 'records', records: ['192.0.2.20'] });
  });
});

describe('createZoneOverlay: what came from the files', () => {
  it('lists each answer from a file once, in the order asked, and the files that gave them', async () => {
    const inner = createMemoryDnsClient(LIVE);
    const dns = createZoneOverlay(inner, [
      { file: 'a.zone', zone: parseZoneFile('contoso.com. MX 0 contoso-com.mail.protection.outlook.com.\n', { origin: null }) },
      { file: 'unused.zone', zone: parseZoneFile('fabrikam.com. MX 0 x.example.\n', { origin: null }) },
      { file: 'b.zone', zone: parseZoneFile('contoso.com. TXT "v=spf1 -all"\nautodiscover.contoso.com. CNAME autodiscover.outlook.com.\n', { origin: null }) },
    ]);
    await dns.resolve('contoso.com', 'TXT');
    await dns.resolve('contoso.com', 'MX');
    await dns.resolve('contoso.com', 'MX');
    await dns.resolve('www.contoso.com', 'A');
    await dns.resolve('autodiscover.contoso.com', 'A');
    expect(dns.used()).toEqual({ files: ['a.zone', 'b.zone'], answers: ['contoso.com TXT', 'contoso.com MX', 'autodiscover.contoso.com CNAME'], answersTotal: 3 });
  });

  it('keeps each scope apart (one domain of a batch), and the list bounded', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `n${i}.contoso.com. A 192.0.2.${i + 1}`).join('\n');
    const root = overlay(`${PLAN}${names}\n`);
    const one = root.scope();
    const two = root.scope();
    await one.resolve('contoso.com', 'MX');
    for (let i = 0; i < 30; i++) await two.resolve(`n${i}.contoso.com`, 'A');
    expect(one.used()).toEqual({ files: ['next.zone'], answers: ['contoso.com MX'], answersTotal: 1 });
    expect(two.used().answers).toHaveLength(20);
    expect(two.used().answers[19]).toBe('n19.contoso.com A');
    expect(two.used().answersTotal).toBe(30);
    expect(root.used()).toEqual({ files: [], answers: [], answersTotal: 0 });
  });

  it('passes stats, servers, health and windows through to the live client', () => {
    const inner: DnsClient = {
      resolve: () => Promise.resolve({ kind: 'nodata' }),
      stats: () => ({ queries: 7, unique: 5, cacheHits: 2, tempfails: 0 }),
      servers: () => ['127.0.0.1:5353'],
      health: () => ({ servers: [], silentSince: null, deadAfterMs: 9000, dead: false }),
      waitForServer: () => Promise.resolve('alive'),
      windows: () => [{ server: '127.0.0.1:5353', window: 64, inFlight: 0, waiting: 0, cuts: 0, peak: 70, roundTripMs: 21 }],
    };
    const dns = createZoneOverlay(inner, []);
    expect(dns.windows?.()).toEqual([{ server: '127.0.0.1:5353', window: 64, inFlight: 0, waiting: 0, cuts: 0, peak: 70, roundTripMs: 21 }]);
    expect(dns.stats().queries).toBe(7);
    expect(dns.servers?.()).toEqual(['127.0.0.1:5353']);
    expect(dns.health?.().deadAfterMs).toBe(9000);
    expect(dns.waitForServer).toBeTypeOf('function');
    expect(createZoneOverlay(createMemoryDnsClient({}), []).health).toBeUndefined();
    expect(createZoneOverlay(createMemoryDnsClient({}), []).windows).toBeUndefined();
  });
});

describe('createZoneOverlay: files a name server would refuse', () => {
  it.each([
    ['$ORIGIN contoso.com.\nautodiscover CNAME autodiscover.outlook.com.\nautodiscover TXT "x"\n', 3, 'autodiscover.contoso.com has a CNAME beside other records (RFC 1034 3.6.2: an alias holds nothing else)'],
    ['$ORIGIN contoso.com.\nwww A 192.0.2.1\nwww CNAME contoso.com.\n', 3, 'www.contoso.com has a CNAME beside other records (RFC 1034 3.6.2: an alias holds nothing else)'],
    ['$ORIGIN contoso.com.\nwww CNAME a.example.\nwww CNAME b.example.\n', 3, 'www.contoso.com has two CNAMEs (a.example and b.example)'],
  ])('%j: line %i', (text, line, reason) => {
    let error: unknown;
    try {
      overlay(text, 'bad.zone');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ZoneFileError);
    expect((error as ZoneFileError).message).toBe(`bad.zone: line ${line}: ${reason}`);
  });
});
