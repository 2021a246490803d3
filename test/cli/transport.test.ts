/**
 * The transport areas through `check` and `batch` (issue 16), in process:
 * MTA-STS with its policy fetched from the sandbox's policy host
 * (--mta-sts-host, --tls-ca), TLS-RPT, DNSSEC through the sandbox's
 * validating resolver, and DANE matched for real against the chain the MX
 * presents with --probe-mx. The MX hosts of the DANE zones are pointed at
 * loopback here (the fixtures give them documentation addresses), and the
 * matching TLSA is made from the sandbox SMTP endpoint's certificate, which
 * exists only at run time. Optional hardening never makes a domain
 * not-ready; a broken one does, as the catalog says.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCertificates, startDnsServer, startMicrosoftLikeSmtpServer, startMtaStsHost, type SandboxMtaStsHost, type TestDnsServer, type TestSmtpServer } from '../../src/sandbox/index.js';
import { runInProcess } from '../support/cli.js';
import { fixtureZones } from '../support/fixtures.js';

const MATCH_HOST = 'dane-match-test.d-v1.mx.microsoft';
const MISMATCH_HOST = 'dane-mismatch-test.d-v1.mx.microsoft';
const POLICY = 'version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmax_age: 604800\n';

let dns: TestDnsServer;
let smtp: TestSmtpServer;
let policies: SandboxMtaStsHost;
let dir: string;
let caFile: string;

const spkiSha256 = (pem: string): string => createHash('sha256').update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' })).digest('hex');

beforeAll(async () => {
  const certs = await createTestCertificates({ names: [MATCH_HOST, MISMATCH_HOST, 'localhost', '127.0.0.1'] });
  const zones = fixtureZones(['zones', 'transport']);
  for (const host of [MATCH_HOST, MISMATCH_HOST]) zones.replace(host, 'A', ['127.0.0.1']);
  zones.addRecord(`_25._tcp.${MATCH_HOST}`, 'TLSA', { usage: 3, selector: 1, matchingType: 1, data: spkiSha256(certs.certPem) });
  [dns, smtp, policies] = await Promise.all([
    startDnsServer({ zones }),
    startMicrosoftLikeSmtpServer({ certificates: certs }),
    startMtaStsHost({ policies: { 'mtasts.test': { body: POLICY } } }),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'm365audit-transport-'));
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, `${smtp.caPem}\n${policies.caPem}`);
}, 30_000);
afterAll(async () => {
  await Promise.all([dns.close(), smtp.close(), policies.close()]);
  await rm(dir, { recursive: true, force: true });
});

const args = (): string[] => ['--dns-server', dns.server, '--timeout', '2000', '--retries', '1', '--mta-sts-host', `127.0.0.1:${policies.port}`, '--tls-ca', caFile, '--no-probe'];
interface Report {
  domain: string; grade: string; findings: { code: string; severity: string; area: string }[];
  mtaSts: { state: string; policy: { fetch: string; mode: string | null; matches: { host: string; pattern: string | null }[] } | null } | null;
  tlsRpt: { state: string } | null; dnssec: { state: string; resolverValidates: boolean | null } | null;
  dane: { hosts: { host: string; tlsa: string; chain: string | null }[] } | null;
}
const reportsOf = (stdout: string): Map<string, Report> => new Map((JSON.parse(stdout) as { domains: Report[] }).domains.map((d) => [d.domain, d]));
const areaCodes = (r: Report | undefined, ...areas: string[]): string[] => (r?.findings ?? []).filter((f) => areas.includes(f.area)).map((f) => `${f.code}:${f.severity}`);

describe('check: the transport areas', () => {
  it('MTA-STS enforce whose pattern covers the live MX, fetched over HTTPS: no MTA-STS finding, TLS-RPT on beside it', async () => {
    const r = await runInProcess(['check', 'mtasts.test', 'ready.test', ...args(), '--format', 'json']);
    const reports = reportsOf(r.stdout);
    const m = reports.get('mtasts.test');
    expect(m?.mtaSts).toMatchObject({ state: 'enforce', policy: { fetch: 'ok', mode: 'enforce', matches: [{ host: 'mtasts-test.mail.protection.outlook.com', pattern: '*.mail.protection.outlook.com' }] } });
    expect(areaCodes(m, 'mta-sts', 'tls-rpt')).toEqual([]);
    expect(m?.tlsRpt?.state).toBe('valid');
    expect(policies.requests().some((q) => q.domain === 'mtasts.test' && q.path === '/.well-known/mta-sts.txt')).toBe(true);
    // A domain that never turned MTA-STS on is not held back by it: info only, ready stays ready.
    const ready = reports.get('ready.test');
    expect(ready?.findings.filter((f) => f.severity !== 'info').map((f) => f.code)).toEqual([]);
    expect(ready?.grade).toBe('ready');
    expect(areaCodes(ready, 'mta-sts', 'tls-rpt')).toEqual(['MTA_STS_MISSING:info', 'TLS_RPT_MISSING:info']);
    // An unsigned answer says nothing of whether the resolver validates.
    expect(ready?.dnssec).toMatchObject({ state: 'unsigned', resolverValidates: null });
  });

  it('DNSSEC: validated, unsigned and bogus zones through the validating resolver; bogus is an error', async () => {
    const r = await runInProcess(['check', 'dnssec-valid.test', 'dnssec-unsigned.test', 'dnssec-bogus.test', ...args(), '--format', 'json']);
    const reports = reportsOf(r.stdout);
    expect(reports.get('dnssec-valid.test')?.dnssec?.state).toBe('validated');
    expect(areaCodes(reports.get('dnssec-unsigned.test'), 'dnssec')).toEqual(['DNSSEC_UNSIGNED:info']);
    expect(areaCodes(reports.get('dnssec-bogus.test'), 'dnssec')).toEqual(['DNSSEC_BOGUS:error']);
    expect(reports.get('dnssec-bogus.test')?.grade).toBe('not-ready');
  });

  it('DANE with --probe-mx: the TLSA made from the endpoint\'s certificate matches the chain it presents; a TLSA that matches nothing is DANE_TLSA_MISMATCH (error)', async () => {
    const r = await runInProcess(['check', 'dane-match.test', 'dane-mismatch.test', ...args(), '--probe-mx', '--probe-mx-port', String(smtp.port), '--format', 'json']);
    const reports = reportsOf(r.stdout);
    const match = reports.get('dane-match.test');
    expect(match?.dane?.hosts).toMatchObject([{ host: MATCH_HOST, tlsa: 'validated', chain: 'match' }]);
    expect(areaCodes(match, 'dane')).toEqual([]);
    const mismatch = reports.get('dane-mismatch.test');
    expect(mismatch?.dane?.hosts).toMatchObject([{ host: MISMATCH_HOST, tlsa: 'validated', chain: 'mismatch' }]);
    expect(areaCodes(mismatch, 'dane')).toEqual(['DANE_TLSA_MISMATCH:error']);
    expect(mismatch?.grade).toBe('not-ready');
    expect(r.code).toBe(1);
  });

  it('without --probe-mx the TLSA is only found, not matched: no mismatch is claimed', async () => {
    const r = await runInProcess(['check', 'dane-mismatch.test', ...args(), '--format', 'json']);
    const d = reportsOf(r.stdout).get('dane-mismatch.test');
    expect(d?.dane?.hosts).toMatchObject([{ host: MISMATCH_HOST, tlsa: 'validated', chain: null }]);
    expect(areaCodes(d, 'dane')).toEqual([]);
  });

  it('every renderer says the four areas: the table and csv as columns, markdown and text per domain, html in one column and in the details', async () => {
    const table = await runInProcess(['check', 'mtasts.test', 'dnssec-valid.test', ...args(), '--no-color']);
    expect(table.stdout).toMatch(/MTA-STS .*TLS-RPT .*DNSSEC .*DANE/);
    expect(table.stdout).toContain('enforce');
    expect(table.stdout).toContain('validated');
    const csv = await runInProcess(['check', 'mtasts.test', ...args(), '--format', 'csv']);
    const [head, row] = csv.stdout.trim().split('\n');
    const cells = head?.split(',') ?? [];
    expect(cells.slice(cells.indexOf('autodiscover') + 1, cells.indexOf('autodiscover') + 5)).toEqual(['mta_sts', 'tls_rpt', 'dnssec', 'dane']);
    expect(row).toContain('pass: enforce');
    // The ticket's table keeps to Domain, Grade, MX, SPF, DKIM, DMARC; the transport areas are said under the domain.
    const md = await runInProcess(['check', 'mtasts.test', ...args(), '--format', 'markdown']);
    expect(md.stdout).toContain('| Domain | Grade | MX | SPF | DKIM | DMARC |');
    expect(md.stdout).toMatch(/\nAutodiscover [^\n]* · MTA-STS ✅ enforce · TLS-RPT ✅ on · DNSSEC [^\n]* · DANE [^\n]*\n/);
    const text = await runInProcess(['check', 'mtasts.test', ...args(), '--format', 'text']);
    expect(text.stdout).toMatch(/\nAutodiscover [^\n]*; MTA-STS enforce; TLS-RPT on; DNSSEC [^\n]*; DANE [^\n]*\n/);
    const html = await runInProcess(['check', 'mtasts.test', ...args(), '--format', 'html']);
    expect(html.stdout).toMatch(/<th scope="col" data-sort="text">Transport<\/th>/);
    expect(html.stdout).toContain('<td class="p">MTA-STS enforce, TLS-RPT on');
    for (const h of ['MTA-STS', 'TLS-RPT', 'DNSSEC', 'DANE']) expect(html.stdout).toMatch(new RegExp(`<dt(?: class="[a-z]+")?>${h}<dd>|<dt class="na">Transport<dd>[^<]*${h}`));
    expect(html.stdout).toContain('<dt>MTA-STS<dd>enforce');
  });
});

describe('the resolver\'s DNSSEC validation, said once per run', () => {
  it('a non-validating resolver: one summary line (table, markdown) and summary.dnssecResolver in JSON; a validating one: no line', async () => {
    const plain = await startDnsServer({ zones: fixtureZones(['zones', 'transport']), validating: false });
    try {
      const plainArgs = ['--dns-server', plain.server, '--timeout', '2000', '--retries', '1', '--no-probe'];
      const input = 'dnssec-valid.test\nready.test\n';
      const table = await runInProcess(['batch', '-', ...plainArgs, '--no-color'], { input });
      expect(table.stdout.split('\n').filter((l) => l.startsWith('DNSSEC: the resolver does not validate'))).toHaveLength(1);
      const md = await runInProcess(['batch', '-', ...plainArgs, '--format', 'markdown'], { input });
      expect(md.stdout).toContain('DNSSEC: the resolver does not validate');
      const json = JSON.parse((await runInProcess(['batch', '-', ...plainArgs, '--format', 'json'], { input })).stdout) as { summary: { dnssecResolver?: string } };
      expect(json.summary.dnssecResolver).toBe('does-not-validate');
      const validating = await runInProcess(['batch', '-', ...args(), '--format', 'json'], { input });
      expect((JSON.parse(validating.stdout) as { summary: { dnssecResolver?: string } }).summary.dnssecResolver).toBe('validates');
      const quiet = await runInProcess(['batch', '-', ...args(), '--no-color'], { input });
      expect(quiet.stdout).not.toContain('DNSSEC: the resolver does not validate');
    } finally {
      await plain.close();
    }
  });
});

describe('batch: the same areas in jsonl, and report re-renders them', () => {
  it('jsonl rows carry the sections; report of the saved run shows the same states', async () => {
    const saved = join(dir, 'run.jsonl');
    const b = await runInProcess(['batch', '-', ...args(), '--format', 'jsonl', '--output', saved], { input: 'mtasts.test\ndnssec-valid.test\n' });
    expect(b.code).toBeLessThan(2);
    const again = await runInProcess(['report', saved, '--format', 'csv']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(b.code);
    expect(again.stdout).toContain('pass: enforce');
    expect(again.stdout).toContain('validated');
  });
});
