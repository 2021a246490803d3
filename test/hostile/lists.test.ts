import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';

/**
 * fixtures/hostile/lists.hostile.test.zone: 500 MX hosts, a DMARC record
 * with 1,000 rua URIs, an SPF record with 600 includes, a 56 KB TXT record,
 * and more (the zone says). The answers go over TCP (the loopback server
 * truncates UDP). The checks evaluate everything; the report keeps at most
 * 20 entries of each list with the total beside it, and cuts long strings.
 * Before the caps this one domain gave a 1.26 MB report (DMARC section
 * 365 KB, SPF 228 KB, DKIM 116 KB, MX 35 KB, findings 173 KB).
 */
interface Report {
  domain: string;
  grade: string;
  findings: { code: string; message: string; evidence?: string }[];
  mx: { hosts: { exchange: string; priority: number }[]; hostsTotal: number };
  spf: {
    record: string; records: string[]; recordsTotal: number; senderIdRecords: string[]; senderIdRecordsTotal: number;
    tree: { children: unknown[]; childrenTotal: number }; m365Include: { direct: boolean } | null;
  };
  dkim: { selectors: { txtInstead: string | null; key: { record: string | null } }[] };
  dmarc: { record: string; tags: Record<string, string>; tagsTotal: number; rua: { uri: string }[]; ruaTotal: number; ruf: unknown[]; rufTotal: number; policy: string };
  autodiscover: { addresses: string[]; addressesTotal: number };
  verification: { records: string[]; recordsTotal: number };
}

let server: TestDnsServer;
let report: Report;
let json: string;
let code: number | null;
beforeAll(async () => {
  server = await startFixtureServer({ dirs: ['zones', 'hostile'] });
  server.resetStats();
  const r = await runCli(['check', 'lists.hostile.test', '--dns-server', server.server, '--timeout', '3000', '--retries', '0', '--no-probe', '--format', 'json']);
  code = r.code;
  expect(r.stderr).toBe('');
  json = r.stdout;
  report = (JSON.parse(r.stdout) as { domains: Report[] }).domains[0] as Report;
}, 30_000);
afterAll(() => server.close());

const size = (v: unknown): number => JSON.stringify(v).length;
const count = (c: string): number => report.findings.filter((f) => f.code === c).length;

describe('lists that grow with DNS are capped in the report, totals kept', () => {
  it('read the big answers over TCP and audited the domain', () => {
    expect(code).toBe(1);
    expect(report.domain).toBe('lists.hostile.test');
    expect(report.grade).toBe('not-ready');
    expect(server.stats().tcpQueries).toBeGreaterThanOrEqual(4);
  });

  it('MX: 20 of 500 hosts, the most preferred first; every host still checked', () => {
    expect(report.mx.hosts).toHaveLength(20);
    expect(report.mx.hostsTotal).toBe(500);
    expect(report.mx.hosts[0]?.priority).toBe(0);
    expect(size(report.mx)).toBeLessThan(4096);
    expect(report.findings.find((f) => f.code === 'MX_MULTIPLE')?.message).toMatch(/has 500 MX hosts/);
    expect(report.findings.find((f) => f.code === 'MX_MULTIPLE')?.evidence).toMatch(/, … and 480 more$/);
    // 30 leftover msv1.invalid hosts: 20 findings, the last one naming the other 10.
    expect(count('MX_DEPRECATED')).toBe(20);
    expect(report.findings.filter((f) => f.code === 'MX_DEPRECATED').at(-1)?.message).toMatch(/\(10 more MX_DEPRECATED findings like this are not listed\.\)$/);
  });

  it('DMARC: 20 of 1,000 rua and of 40 ruf URIs, tags capped, the 36 KB record cut with its length', () => {
    expect(report.dmarc.policy).toBe('reject');
    expect(report.dmarc.rua).toHaveLength(20);
    expect(report.dmarc.ruaTotal).toBe(1000);
    expect(report.dmarc.rua[0]?.uri).toBe('mailto:dmarc0@lists.hostile.test');
    expect(report.dmarc.ruf).toHaveLength(20);
    expect(report.dmarc.rufTotal).toBe(40);
    expect(report.dmarc.tagsTotal).toBe(104);
    expect(Object.keys(report.dmarc.tags)).toEqual(['v', 'p', 'rua', 'ruf', ...Array.from({ length: 16 }, (_, i) => `x${i}`)]);
    expect(report.dmarc.record).toMatch(/^v=DMARC1; p=reject; rua=mailto:dmarc0@.*… \[cut: 36888 characters\]$/);
    expect(report.dmarc.tags.rua).toMatch(/… \[cut: \d+ characters\]$/);
    expect(size(report.dmarc)).toBeLessThan(32_768);
    expect(report.findings.find((f) => f.code === 'DMARC_UNKNOWN_TAG')?.message).toMatch(/x19, … and 80 more\)/);
  });

  it('SPF: the 19 KB record cut, 20 of 600 include nodes, 20 of 40 Sender ID records; all 600 lookups counted', () => {
    expect(report.spf.record).toMatch(/^v=spf1 include:spf\.protection\.outlook\.com include:i0\..*… \[cut: 19104 characters\]$/);
    expect(report.spf.recordsTotal).toBe(1);
    expect(report.spf.tree.children).toHaveLength(20);
    expect(report.spf.tree.childrenTotal).toBe(600);
    expect(report.spf.m365Include?.direct).toBe(true);
    expect(report.spf.senderIdRecords).toHaveLength(20);
    expect(report.spf.senderIdRecordsTotal).toBe(40);
    expect(count('SPF_LEGACY_SENDERID')).toBe(20);
    expect(report.findings.find((f) => f.code === 'SPF_TOO_MANY_LOOKUPS')?.message).toMatch(/at least 600 DNS-querying terms/);
    expect(size(report.spf)).toBeLessThan(32_768);
  });

  it('DKIM: the 56 KB TXT record at selector1 is cut with its full length', () => {
    expect(report.dkim.selectors[0]?.txtInstead).toMatch(/^v=DKIM1; k=rsa; n=0123.*… \[cut: 57366 characters\]$/);
    expect(report.dkim.selectors[0]?.key.record).toMatch(/… \[cut: 57366 characters\]$/);
    expect(count('DKIM_NOT_CNAME')).toBe(1);
    expect(report.findings.find((f) => f.code === 'DKIM_NOT_CNAME')?.evidence?.length).toBeLessThan(2048 + 40);
    expect(size(report.dkim)).toBeLessThan(16_384);
  });

  it('autodiscover and verification: 20 of 100 addresses, 20 of 30 MS= records, 20 of 30 malformed ones', () => {
    expect(report.autodiscover.addresses).toHaveLength(20);
    expect(report.autodiscover.addressesTotal).toBe(100);
    expect(report.verification.records).toHaveLength(20);
    expect(report.verification.recordsTotal).toBe(30);
    expect(count('VERIFICATION_TXT_MALFORMED')).toBe(20);
  });

  it('the whole report stays small, every finding text bounded, and valid against the schema', () => {
    expect(json.length).toBeLessThan(128 * 1024);
    for (const f of report.findings) {
      expect(f.message.length).toBeLessThan(2048 + 120);
      expect((f.evidence ?? '').length).toBeLessThan(2048 + 40);
    }
    const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8')) as { $id: string };
    const ajv = new Ajv2020Module.default({ strict: true, allErrors: true });
    ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
    ajv.addSchema(schema);
    const validate = ajv.getSchema(`${schema.$id}#/$defs/DomainReport`);
    expect(validate?.(report), ajv.errorsText(validate?.errors)).toBe(true);
  });
});
