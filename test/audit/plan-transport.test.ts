import { parseZone } from 'dnsz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planDomain, type Plan, type PlanRow } from '../../src/audit/plan.js';
import { createMemoryDnsClient, type MemoryName } from '../../src/dns/memory.js';
import { createHttpsClient, type HttpsClient } from '../../src/http/client.js';
import { renderPlanMarkdown, renderPlanTable, renderPlanZone } from '../../src/report/plan.js';
import { startMtaStsHost, type SandboxMtaStsHost } from '../../src/sandbox/index.js';
import type { Cloud } from '../../src/m365/clouds.js';

/**
 * The plan's optional rows (issue 16): the `_mta-sts` TXT, the MTA-STS
 * policy file for Microsoft 365's MX (mode testing first) and the TLS-RPT
 * TXT, each against what is live, marked optional and never counted
 * against the plan. Live policies come from the sandbox's policy host.
 */
const NOW = new Date('2026-04-27T09:30:00.000Z');
const ID = '20260427T093000';
const LEGACY = 'example-com.mail.protection.outlook.com';
const DNSSEC = 'example-com.o-v1.mx.microsoft';

let host: SandboxMtaStsHost;
let https: HttpsClient;
beforeAll(async () => {
  host = await startMtaStsHost({ policies: {} });
  https = createHttpsClient({ ca: host.caPem, route: host.route, timeoutMs: 5000 });
});
afterAll(() => host.close());

async function plan(records: Record<string, MemoryName>, opts: { cloud?: Cloud; https?: boolean } = {}): Promise<Plan> {
  const dns = createMemoryDnsClient({ [LEGACY]: { A: ['192.0.2.10'] }, [DNSSEC]: { A: ['192.0.2.11'] }, ...records });
  return planDomain({ dns, clock: () => NOW, ...(opts.https ? { https } : {}) }, 'example.com', 'contoso', opts.cloud ? { cloud: opts.cloud } : {});
}
const optional = (p: Plan): PlanRow[] => p.rows.filter((r) => r.optional);
const row = (p: Plan, type: PlanRow['type'], area: PlanRow['area']): PlanRow => p.rows.find((r) => r.type === type && r.area === area) as PlanRow;
const policy = (...mx: string[]): string => ['version: STSv1', 'mode: testing', ...mx.map((m) => `mx: ${m}`), 'max_age: 604800', ''].join('\n');

describe('planDomain: optional MTA-STS and TLS-RPT rows', () => {
  it('a domain without them: three rows to add, after the required ones, marked optional, no warning', async () => {
    const p = await plan({ 'example.com': { MX: [{ priority: 0, exchange: LEGACY }] } });
    expect(p.rows.map((r) => [r.area, r.type, r.optional ?? false])).toEqual([
      ['mx', 'MX', false], ['spf', 'TXT', false], ['dkim', 'CNAME', false], ['dkim', 'CNAME', false], ['dmarc', 'TXT', false], ['autodiscover', 'CNAME', false],
      ['mta-sts', 'TXT', true], ['mta-sts', 'HTTPS', true], ['tls-rpt', 'TXT', true],
    ]);
    expect(optional(p).map((r) => [r.name, r.value, r.status])).toEqual([
      ['_mta-sts.example.com', `v=STSv1; id=${ID}`, 'add'],
      ['https://mta-sts.example.com/.well-known/mta-sts.txt', policy('*.mail.protection.outlook.com'), 'add'],
      ['_smtp._tls.example.com', 'v=TLSRPTv1; rua=mailto:tls-reports@example.com', 'add'],
    ]);
    expect(p.warnings).toEqual([]);
  });

  it('the mx lines follow the Microsoft MX: both forms during a move to the DNSSEC MX, the sovereign suffix in GCC High', async () => {
    const both = await plan({ 'example.com': { MX: [{ priority: 0, exchange: DNSSEC }, { priority: 10, exchange: LEGACY }] } });
    expect(row(both, 'HTTPS', 'mta-sts').value).toBe(policy('*.o-v1.mx.microsoft', '*.mail.protection.outlook.com'));
    const gcc = await plan({}, { cloud: 'gcc-high' });
    expect(row(gcc, 'HTTPS', 'mta-sts').value).toBe(policy('*.mail.protection.office365.us'));
  });

  it('a working setup is present, the live policy as it is served', async () => {
    const live = 'version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmax_age: 86400\n';
    host.setPolicy('example.com', { body: live });
    const p = await plan({
      'example.com': { MX: [{ priority: 0, exchange: LEGACY }] },
      '_mta-sts.example.com': { TXT: ['v=STSv1; id=1'] },
      '_smtp._tls.example.com': { TXT: ['v=TLSRPTv1; rua=mailto:tls@example.com'] },
    }, { https: true });
    expect(optional(p).map((r) => [r.status, r.value])).toEqual([['present', 'v=STSv1; id=1'], ['present', live], ['present', 'v=TLSRPTv1; rua=mailto:tls@example.com']]);
    expect(row(p, 'HTTPS', 'mta-sts').current).toEqual(['version: STSv1', 'mode: enforce', 'mx: *.mail.protection.outlook.com', 'max_age: 86400']);
  });

  it('a live policy that misses the DNSSEC MX: the file keeps its mode and gets the line, the record a new id', async () => {
    host.setPolicy('example.com', { body: 'version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmx: *.mx.microsoft\nmax_age: 86400\n' });
    const p = await plan({ 'example.com': { MX: [{ priority: 0, exchange: DNSSEC }] }, '_mta-sts.example.com': { TXT: ['v=STSv1; id=1'] } }, { https: true });
    const file = row(p, 'HTTPS', 'mta-sts');
    expect(file).toMatchObject({ status: 'change', value: 'version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmx: *.mx.microsoft\nmx: *.o-v1.mx.microsoft\nmax_age: 86400\n' });
    expect(file.notes[0]).toBe(`No mx line of the live policy covers ${DNSSEC}: lines added.`);
    expect(row(p, 'TXT', 'mta-sts')).toMatchObject({ status: 'change', value: `v=STSv1; id=${ID}` });
  });

  it('a record whose policy cannot be had: the file is to change, with why', async () => {
    host.setPolicy('example.com', { status: 404, body: 'gone' });
    const p = await plan({ 'example.com': { MX: [{ priority: 0, exchange: LEGACY }] }, '_mta-sts.example.com': { TXT: ['v=STSv1; id=1'] } }, { https: true });
    expect(row(p, 'HTTPS', 'mta-sts')).toMatchObject({ status: 'change', value: policy('*.mail.protection.outlook.com') });
    expect(row(p, 'HTTPS', 'mta-sts').notes[0]).toBe('The live policy cannot be had: https://mta-sts.example.com/.well-known/mta-sts.txt answers HTTP 404, not 200.');
  });

  it('without an HTTPS client a published policy is unknown, and unknown optional rows raise no warning; a failed lookup neither', async () => {
    const p = await plan({ 'example.com': { MX: [{ priority: 0, exchange: LEGACY }] }, '_mta-sts.example.com': { TXT: ['v=STSv1; id=1'] } });
    expect(row(p, 'HTTPS', 'mta-sts')).toMatchObject({ status: 'unknown' });
    expect(row(p, 'HTTPS', 'mta-sts').notes[0]).toBe('The live policy was not fetched (no HTTPS client), so it could not be compared.');
    expect(p.warnings).toEqual([]);
    const failed = await plan({ 'example.com': { MX: [{ priority: 0, exchange: LEGACY }] }, '_mta-sts.example.com': { servfail: true }, '_smtp._tls.example.com': { timeout: true } });
    expect(optional(failed).map((r) => r.status)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(failed.warnings).toEqual([]);
  });

  it('two MTA-STS records, or a broken TLS-RPT record: to change, with a note', async () => {
    const p = await plan({
      '_mta-sts.example.com': { TXT: ['v=STSv1; id=1', 'v=STSv1; id=2'] },
      '_smtp._tls.example.com': { TXT: ['v=TLSRPTv1; rua=tls@example.com'] },
    });
    expect(row(p, 'TXT', 'mta-sts')).toMatchObject({ status: 'change', value: `v=STSv1; id=${ID}`, current: ['v=STSv1; id=1', 'v=STSv1; id=2'] });
    expect(row(p, 'TXT', 'mta-sts').notes[0]).toBe('2 records meant as MTA-STS now: senders ignore them all; publish this one in their place.');
    expect(row(p, 'TXT', 'tls-rpt')).toMatchObject({ status: 'change', value: 'v=TLSRPTv1; rua=mailto:tls-reports@example.com' });
  });
});

describe('plan renderers: the optional rows', () => {
  it('zone: the required records parse back; the optional ones are comments, the policy one escaped line a line', async () => {
    host.setPolicy('example.com', { body: 'version: STSv1\nmode: testing\nmx: *.mail.protection.outlook.com\nmax_age: 86400\nnote: \u009b31m\u202e\n' });
    const p = await plan({ 'example.com': { MX: [{ priority: 0, exchange: LEGACY }] }, '_mta-sts.example.com': { TXT: ['v=STSv1; id=1'] } }, { https: true });
    const zone = renderPlanZone(p);
    const records = parseZone(zone, { defaultTTL: 300, defaultClass: 'IN' }).records;
    expect(records.map((r) => r.type)).toEqual(['MX', 'TXT', 'CNAME', 'CNAME', 'TXT', 'CNAME']);
    expect(zone).toContain('; Optional hardening (MTA-STS, TLS-RPT): uncomment to publish; the _mta-sts record only once its policy file is served.\n');
    expect(zone).toMatch(/^; _mta-sts +3600 IN TXT +"v=STSv1; id=1" ; present \(optional\)$/m);
    expect(zone).toContain('; https://mta-sts.example.com/.well-known/mta-sts.txt: serve as text/plain ; present (optional)\n;   version: STSv1\n;   mode: testing\n');
    expect(zone).toContain(';   note: \\x9b31m\\u202e\n');
    expect(zone).toMatch(/^; _smtp\._tls +3600 IN TXT +"v=TLSRPTv1; rua=mailto:tls-reports@example\.com" ; add \(optional\)$/m);
    expect(zone).not.toMatch(/[\u0080-\u009f\u202a-\u202e]/);
  });

  it('table and Markdown: "(optional)" beside the status; the policy file one line a line', async () => {
    const p = await plan({ 'example.com': { MX: [{ priority: 0, exchange: LEGACY }] } });
    const table = renderPlanTable(p);
    expect(table).toMatch(/│ add \(optional\) │ HTTPS +│ https:\/\/mta-sts\.example\.com\/\.well-known\/mta-sts\.txt │ version: STSv1 +│/);
    expect(table).toMatch(/│ +│ +│ +│ mode: testing +│/);
    const md = renderPlanMarkdown(p);
    expect(md).toContain('| add (optional) | HTTPS | https://mta-sts.example.com/.well-known/mta-sts.txt | version: STSv1<br>mode: testing<br>mx: \\*.mail.protection.outlook.com<br>max\\_age: 604800 | — |');
  });
});
