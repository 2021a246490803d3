import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, type FindingCode } from '../../src/findings/catalog.js';
import { createDnsClient } from '../../src/dns/client.js';
import type { DnsClient, RRType } from '../../src/dns/types.js';
import type { Cloud } from '../../src/m365/clouds.js';
import { treeNodes, type SpfTreeNode } from '../../src/spf/analyze.js';
import { checkSpf, type SpfSection } from '../../src/spf/check.js';
import { countSpfLookups } from '../../src/spf/lookups.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

let server: TestDnsServer;
beforeAll(async () => {
  server = await startFixtureServer();
  server.setFault('_slow.spf-codes.example', 'timeout', 'TXT');
});
afterAll(() => server.close());

const client = (): DnsClient => createDnsClient({ servers: [server.server], timeoutMs: 1500, retries: 0 });

async function spf(domain: string, cloud: Cloud = 'worldwide', dns: DnsClient = client()): Promise<{ section: SpfSection; codes: FindingCode[]; findings: Awaited<ReturnType<typeof checkSpf>>['findings'] }> {
  const r = await checkSpf({ dns }, domain, { cloud });
  for (const f of r.findings) expect(f.severity).toBe(CATALOG[f.code].severity);
  return { section: r.section, codes: r.findings.map((f) => f.code), findings: r.findings };
}

/** The tree as [label, own lookups, total lookups, status], depth first. */
function shape(root: SpfTreeNode): [string, number, number, string][] {
  return treeNodes(root).map((n) => [n.domain, n.lookups, n.totalLookups, n.status]);
}

describe('one fixture per SPF_* code', () => {
  it.each<[string, FindingCode[]]>([
    ['missing.spf-codes.example', ['SPF_MISSING']],
    ['multiple.spf-codes.example', ['SPF_MULTIPLE']],
    ['syntax.spf-codes.example', ['SPF_SYNTAX']],
    ['noinclude.spf-codes.example', ['SPF_NO_M365_INCLUDE']],
    ['qualified.spf-codes.example', ['SPF_M365_INCLUDE_QUALIFIED', 'SPF_M365_NOT_PASS']],
    ['nestedq.spf-codes.example', ['SPF_M365_INCLUDE_QUALIFIED', 'SPF_M365_NOT_PASS']],
    ['notpass.spf-codes.example', ['SPF_M365_NOT_PASS']],
    ['v6voids.spf-codes.example', ['SPF_M365_NOT_PASS']],
    ['spf-eleven.example', ['SPF_TOO_MANY_LOOKUPS', 'SPF_M365_NOT_PASS']],
    ['voids.spf-codes.example', ['SPF_TOO_MANY_VOID_LOOKUPS']],
    ['broken.spf-codes.example', ['SPF_INCLUDE_BROKEN', 'SPF_INCLUDE_BROKEN', 'SPF_M365_NOT_PASS']],
    ['allpass.spf-codes.example', ['SPF_ALL_PASS']],
    ['openinclude.spf-codes.example', ['SPF_ALL_PASS']],
    ['neutral.spf-codes.example', ['SPF_ALL_NEUTRAL']],
    ['noall.spf-codes.example', ['SPF_ALL_NEUTRAL']],
    ['ptr.spf-codes.example', ['SPF_PTR']],
    ['senderid.spf-codes.example', ['SPF_LEGACY_SENDERID']],
    ['good.spf-codes.example', []],
    ['nested.spf-codes.example', []],
    ['redirected.spf-codes.example', []],
    ['macro.spf-codes.example', []],
    ['spf-ten.example', []],
  ])('%s gives exactly %j', async (domain, expected) => {
    const { codes } = await spf(domain);
    expect([...codes].sort()).toEqual([...expected].sort());
  });

  it('covers every SPF_* code of the catalog', () => {
    const spfCodes = Object.keys(CATALOG).filter((c) => c.startsWith('SPF_'));
    expect(spfCodes).toHaveLength(13);
  });

  it('puts the record in evidence, measured values in the message and what to publish in fix', async () => {
    const { findings } = await spf('spf-eleven.example');
    const f = findings.find((x) => x.code === 'SPF_TOO_MANY_LOOKUPS');
    expect(f?.message).toContain('11 DNS-querying terms');
    expect(f?.message).toContain('RFC 7208 4.6.4');
    expect(f?.message).toContain('spf-eleven.example 4, _a.spf-eleven.example 3, _b.spf-eleven.example 2, _c.spf-eleven.example 2, spf.protection.outlook.com 0');
    expect(f?.evidence).toBe('v=spf1 mx a include:_a.spf-eleven.example include:spf.protection.outlook.com -all');
    expect(f?.fix).toContain('include:spf.protection.outlook.com');
    const missing = (await spf('missing.spf-codes.example')).findings[0];
    expect(missing?.fix).toBe('Publish TXT "v=spf1 include:spf.protection.outlook.com -all" at missing.spf-codes.example.');
    const voids = (await spf('voids.spf-codes.example')).findings[0];
    expect(voids?.message).toContain('gone1.spf-codes.example A, gone2.spf-codes.example A, gone3.spf-codes.example MX');
    const syntax = (await spf('syntax.spf-codes.example')).findings[0];
    expect(syntax?.message).toContain('position 46: "192.0.2.300" is not an IPv4 address');
    expect(syntax?.evidence).toBe('v=spf1 include:spf.protection.outlook.com ip4:192.0.2.300 -all');
  });
});

describe('lookup counting', () => {
  it('counts a hand-made tree of exactly 10 lookups per node, and it passes', async () => {
    const { section, codes } = await spf('spf-ten.example');
    expect(section.lookups).toBe(10);
    expect(section.complete).toBe(true);
    expect(shape(section.tree as SpfTreeNode)).toEqual([
      ['spf-ten.example', 4, 10, 'ok'],
      ['_a.spf-ten.example', 3, 6, 'ok'],
      ['_b.spf-ten.example', 1, 1, 'ok'],
      ['_c.spf-ten.example', 2, 2, 'ok'],
      ['spf.protection.outlook.com', 0, 0, 'ok'],
    ]);
    expect(section.voidLookups).toBe(1);
    expect(section.tree?.children[0]?.voidLookups).toBe(1);
    expect(section.m365Samples.map((s) => s.result)).toEqual(['pass', 'pass']);
    expect(codes).not.toContain('SPF_TOO_MANY_LOOKUPS');
    expect(section.status).toBe('pass');
  });

  it('counts the same tree with one more term as 11: SPF_TOO_MANY_LOOKUPS, and check_host gives permerror', async () => {
    const { section, codes } = await spf('spf-eleven.example');
    expect(section.lookups).toBe(11);
    expect(shape(section.tree as SpfTreeNode)).toEqual([
      ['spf-eleven.example', 4, 11, 'ok'],
      ['_a.spf-eleven.example', 3, 7, 'ok'],
      ['_b.spf-eleven.example', 2, 2, 'ok'],
      ['_c.spf-eleven.example', 2, 2, 'ok'],
      ['spf.protection.outlook.com', 0, 0, 'ok'],
    ]);
    expect(codes).toContain('SPF_TOO_MANY_LOOKUPS');
    expect(section.m365Samples.map((s) => s.result)).toEqual(['permerror', 'permerror']);
    expect(section.status).toBe('fail');
  });

  it('counts a direct flat Microsoft include as one lookup', async () => {
    const { section } = await spf('ready.test');
    expect(section.lookups).toBe(1);
    expect(section.m365Include).toMatchObject({ host: 'spf.protection.outlook.com', qualifier: '+', depth: 1, direct: true, via: 'include' });
    expect(section.allQualifier).toBe('-');
  });

  it('stops following includes past the limit: 100 includes cost one TXT lookup', async () => {
    const srv = await startFixtureServer({ dirs: ['hostile'] });
    try {
      const { section, codes } = await spf('fanout.hostile.test', 'worldwide', createDnsClient({ servers: [srv.server], timeoutMs: 1500, retries: 0 }));
      expect(section.lookups).toBe(100);
      expect(section.complete).toBe(false);
      expect(section.tree?.children.every((c) => c.status === 'not-followed')).toBe(true);
      expect(codes).toContain('SPF_TOO_MANY_LOOKUPS');
      // The apex and the Microsoft record, then only the ten includes check_host reaches before its permerror.
      const asked = [...srv.stats().perQuery.keys()].filter((k) => k.endsWith(' TXT'));
      expect(asked.filter((k) => /^f\d+\./.test(k))).toHaveLength(10);
    } finally {
      await srv.close();
    }
  });

  it('ends an include loop in milliseconds with SPF_INCLUDE_BROKEN', async () => {
    const t0 = performance.now();
    const { section, codes, findings } = await spf('loop.spf-codes.example');
    expect(performance.now() - t0).toBeLessThan(500);
    expect(codes).toContain('SPF_INCLUDE_BROKEN');
    expect(findings.find((f) => f.code === 'SPF_INCLUDE_BROKEN')?.message).toContain('loops back to loop.spf-codes.example');
    expect(shape(section.tree as SpfTreeNode).map((n) => n[3])).toEqual(['ok', 'ok', 'loop', 'ok']);
    expect(section.m365Samples.map((s) => s.result)).toEqual(['permerror', 'permerror']);
  });

  it('gives countSpfLookups for a record that is not published yet', async () => {
    const dns = client();
    expect(await countSpfLookups({ dns }, 'spf-ten.example', 'v=spf1 include:_a.spf-ten.example include:spf.protection.outlook.com -all')).toBe(8);
    expect(await countSpfLookups({ dns }, 'x.example', 'v=spf1 ip4:1.2.3.4/40 -all')).toBeNull();
  });
});

describe('the Microsoft include and the samples', () => {
  it('finds a nested include with its depth and path', async () => {
    const { section } = await spf('nested.spf-codes.example');
    expect(section.m365Include).toMatchObject({ depth: 2, direct: false, qualifier: '+', path: ['nested.spf-codes.example', '_n.spf-codes.example'] });
  });

  it('reports the qualifier of a nested qualified include', async () => {
    const { section } = await spf('nestedq.spf-codes.example');
    expect(section.m365Include).toMatchObject({ depth: 2, direct: false, qualifier: '?' });
    expect(section.m365Samples.map((s) => s.result)).toEqual(['fail', 'fail']);
  });

  it('takes the sample addresses from the live record of the cloud', async () => {
    const ww = await spf('ready.test');
    expect(ww.section.m365Samples.map((s) => [s.ip, s.source, s.result])).toEqual([
      ['203.0.113.128', 'ip4:203.0.113.128/27 in spf.protection.outlook.com', 'pass'],
      ['2001:db8:f400::', 'ip6:2001:db8:f400::/48 in spf.protection.outlook.com', 'pass'],
    ]);
    const gcc = await spf('gcc.test', 'gcc-high');
    expect(gcc.section.m365Samples.map((s) => s.ip)).toEqual(['192.0.2.128', '2001:db8:2202::']);
    expect(gcc.codes).toEqual([]);
    const cn = await spf('china.test', 'china');
    expect(cn.section.m365Samples.map((s) => s.ip)).toEqual(['192.0.2.224', '2001:db8:4440::']);
    // The worldwide domain checked for GCC High lacks that cloud's include.
    expect((await spf('ready.test', 'gcc-high')).codes).toContain('SPF_NO_M365_INCLUDE');
  });

  it('says a missing include once: the failing sample goes into SPF_NO_M365_INCLUDE, not SPF_M365_NOT_PASS', async () => {
    const { codes, findings, section } = await spf('noinclude.spf-codes.example');
    expect(codes).toEqual(['SPF_NO_M365_INCLUDE']);
    expect(findings[0]?.message).toContain('203.0.113.128 and 2001:db8:f400::');
    expect(findings[0]?.message).toContain('give fail');
    expect(section.m365Samples.map((s) => s.result)).toEqual(['fail', 'fail']);
  });

  it('catches what counting cannot: AAAA lookups of IPv4-only hosts are void for an IPv6 client', async () => {
    const { section, findings } = await spf('v6voids.spf-codes.example');
    expect(section.voidLookups).toBe(0);
    expect(section.m365Samples.map((s) => [s.ip, s.result])).toEqual([['203.0.113.128', 'pass'], ['2001:db8:f400::', 'permerror']]);
    expect(findings[0]?.message).toContain('the AAAA lookup of v4c.spf-codes.example is void lookup 3, over the limit of 2');
  });

  it('follows redirect for the all policy', async () => {
    const { section } = await spf('redirected.spf-codes.example');
    expect(section.allQualifier).toBe('-');
    expect(section.allDomain).toBe('_r.spf-codes.example');
    expect(section.m365Include).toMatchObject({ via: 'include', depth: 2, qualifier: '+', path: ['redirected.spf-codes.example', '_r.spf-codes.example'] });
    expect(section.tree?.children.map((c) => [c.via, c.domain])).toEqual([['redirect', '_r.spf-codes.example']]);
  });
});

describe('failed lookups', () => {
  it('makes a nested TXT timeout DNS_TEMPFAIL and unknown, never SPF_INCLUDE_BROKEN', async () => {
    const { section, codes, findings } = await spf('tempfail.spf-codes.example');
    expect(codes).toEqual(['DNS_TEMPFAIL']);
    expect(findings[0]?.evidence).toBe('_slow.spf-codes.example TXT: ETIMEOUT');
    expect(section.status).toBe('unknown');
    expect(section.complete).toBe(false);
  });

  it('makes an apex timeout unknown, never SPF_MISSING', async () => {
    server.setFault('good.spf-codes.example', 'timeout', 'TXT');
    try {
      const { section, codes } = await spf('good.spf-codes.example');
      expect(codes).toEqual(['DNS_TEMPFAIL']);
      expect(section.status).toBe('unknown');
    } finally {
      server.setFault('good.spf-codes.example', null, 'TXT');
    }
  });
});

describe('DNS work', () => {
  /** Counts every resolve() the analysis makes, by (name, type), over a shared client. */
  function counting(dns: DnsClient): { dns: DnsClient; asked: Map<string, number> } {
    const asked = new Map<string, number>();
    return {
      asked,
      dns: {
        resolve: (name, type) => {
          const k = `${name.toLowerCase()} ${type}`;
          asked.set(k, (asked.get(k) ?? 0) + 1);
          return dns.resolve(name, type);
        },
        stats: () => dns.stats(),
      },
    };
  }

  it.each(['spf-ten.example', 'fabrikam.example'])('sends each (name, type) of %s to the server once', async (domain) => {
    const srv = await startFixtureServer({ dirs: ['zones', 'demo'] });
    try {
      const { section } = await spf(domain, 'worldwide', createDnsClient({ servers: [srv.server], timeoutMs: 1500, retries: 0 }));
      expect(section.lookups).toBeGreaterThan(0);
      const per = srv.stats().perQuery;
      expect([...per.values()].every((n) => n === 1), JSON.stringify([...per])).toBe(true);
    } finally {
      await srv.close();
    }
  });

  it('asks only what the answer needs for a flat record', async () => {
    const c = counting(client());
    await spf('ready.test', 'worldwide', c.dns);
    const keys = new Set<string>([...c.asked.keys()].map((k) => k.split(' ')[1] as RRType));
    // The record and the Microsoft record; nothing else is needed for the tree or the samples.
    expect([...c.asked.keys()].sort()).toEqual(['ready.test TXT', 'spf.protection.outlook.com TXT']);
    expect(keys).toEqual(new Set(['TXT']));
  });
});
