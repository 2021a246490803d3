/**
 * `m365audit sandbox` serving MTA-STS policies (issue 16): the policy files
 * of `DIR/mta-sts/<domain>.txt` from a loopback HTTPS host whose CA is
 * written to a file, and the printed `check` line, pasted as printed, audits
 * the domains against it in the same process. Every wait is for a printed
 * line or a finished run.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_READY } from '../../src/cli/commands/sandbox.js';
import { MAX_POLICY_FILE_BYTES } from '../../src/sandbox/mta-sts-files.js';
import { runInProcess, startInProcess, type InProcessRun } from '../support/cli.js';
import { FIXTURES } from '../support/fixtures.js';

const READY = new RegExp(`^${SANDBOX_READY}$`, 'm');

interface Report {
  domain: string; grade: string; findings: { code: string; severity: string; area: string }[];
  mtaSts: {
    state: string; id: string | null;
    policy: { url: string; fetch: string; httpStatus: number | null; mode: string | null; maxAge: number | null; mx: string[]; matches: { host: string; pattern: string | null }[] } | null;
  } | null;
  tlsRpt: { state: string; rua: { uri: string }[] } | null;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'm365audit-sandbox-mta-sts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `sandbox`, waits for its ready line; the printed lines and the try line's arguments after `m365audit`. */
async function started(args: string[]): Promise<{ run: InProcessRun; lines: string[]; tryArgs: string[] }> {
  const run = startInProcess(['sandbox', ...args]);
  const out = await Promise.race([run.stdoutMatches(READY), run.done.then((r) => Promise.reject(new Error(`ended early: ${r.code} ${r.stderr}`)))]);
  const lines = out.split('\n').filter(Boolean);
  const tryLine = lines.find((l) => l.startsWith('try: m365audit '));
  expect(tryLine).toBeDefined();
  return { run, lines, tryArgs: (tryLine as string).slice('try: m365audit '.length).split(' ') };
}

const reportsOf = (stdout: string): Map<string, Report> => new Map((JSON.parse(stdout) as { domains: Report[] }).domains.map((d) => [d.domain, d]));
const areaCodes = (r: Report | undefined, ...areas: string[]): string[] => (r?.findings ?? []).filter((f) => areas.includes(f.area)).map((f) => `${f.code}:${f.severity}`);
const caFileOf = (lines: string[]): string => /^mta-sts: .* --tls-ca (\S+)$/m.exec(lines.join('\n'))?.[1] as string;

function folder(name: string, files: Record<string, string | Buffer>): string {
  const root = join(dir, name);
  rmSync(root, { recursive: true, force: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('m365audit sandbox: MTA-STS policies from DIR/mta-sts/<domain>.txt', () => {
  it('the demo zones: the policy host for fabrikam.example, its CA in a file; the printed check line finds the testing policy covering both MX hosts', async () => {
    const { run, lines, tryArgs } = await started(['--zones', `${FIXTURES}demo`]);
    const host = /^mta-sts: (127\.0\.0\.1:\d+), an MTA-STS policy host \(HTTPS\) for fabrikam\.example: --mta-sts-host (\S+) --tls-ca (\S+)$/m.exec(lines.join('\n'));
    expect(host?.[1]).toBe(host?.[2]);
    const caFile = host?.[3] as string;
    expect(readFileSync(caFile, 'utf8').match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(1);
    expect(tryArgs.slice(0, 2)).toEqual(['check', 'fabrikam.example']);
    expect(tryArgs.slice(-5)).toEqual(['--mta-sts-host', host?.[1], '--tls-ca', caFile, '--no-probe']);

    const check = await runInProcess([...tryArgs, '--format', 'json']);
    expect(check.stderr).toBe('');
    const fabrikam = reportsOf(check.stdout).get('fabrikam.example');
    expect(fabrikam?.mtaSts).toMatchObject({
      state: 'testing', id: '20260301T000000',
      policy: {
        url: 'https://mta-sts.fabrikam.example/.well-known/mta-sts.txt', fetch: 'ok', httpStatus: 200, mode: 'testing', maxAge: 86400,
        mx: ['mail.fabrikam.example', '*.mail.protection.outlook.com'],
        matches: [{ host: 'mail.fabrikam.example', pattern: 'mail.fabrikam.example' }, { host: 'fabrikam-example.mail.protection.outlook.com', pattern: '*.mail.protection.outlook.com' }],
      },
    });
    expect(areaCodes(fabrikam, 'mta-sts', 'tls-rpt')).toEqual(['MTA_STS_TESTING:info']);
    expect(fabrikam?.tlsRpt).toMatchObject({ state: 'valid', rua: [{ uri: 'mailto:tls-reports@fabrikam.example' }] });
    expect(fabrikam?.grade).toBe('needs-work');

    run.interrupt();
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^m365audit: sandbox stopped after \d+ DNS queries, 1 policy request\n$/);
    expect(existsSync(caFile)).toBe(false);
  });

  it('a folder of its own: enforce covering the MX, enforce missing it, a policy that does not parse, a TXT without a policy file, a policy nobody announces', async () => {
    const zones = folder('own', {
      'good.test.zone': '@ MX 0 good-test.mail.protection.outlook.com.\n_mta-sts TXT "v=STSv1; id=1"\n_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tls@good.test"\n',
      'miss.test.zone': '@ MX 0 miss-test.mail.protection.outlook.com.\n_mta-sts TXT "v=STSv1; id=2"\n_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tls@miss.test"\n',
      'broken.test.zone': '@ MX 0 broken-test.mail.protection.outlook.com.\n_mta-sts TXT "v=STSv1; id=3"\n',
      'nofile.test.zone': '@ MX 0 nofile-test.mail.protection.outlook.com.\n_mta-sts TXT "v=STSv1; id=4"\n',
      'mta-sts/good.test.txt': 'version: STSv1\r\nmode: enforce\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n',
      'mta-sts/MISS.test.txt': 'version: STSv1\nmode: enforce\nmx: *.mx.microsoft\nmax_age: 604800\n',
      'mta-sts/broken.test.txt': 'version: STSv1\nmode: <script>alert(1)</script>\n',
      'mta-sts/orphan.test.txt': 'version: STSv1\nmode: none\nmax_age: 86400\n',
      'mta-sts/README.md': 'not a policy: left alone\n',
    });
    const { run, lines, tryArgs } = await started(['--zones', zones, '--no-microsoft']);
    expect(lines).toContainEqual(expect.stringMatching(/^mta-sts: 127\.0\.0\.1:\d+, an MTA-STS policy host \(HTTPS\) for broken\.test, good\.test, miss\.test, orphan\.test: --mta-sts-host /));
    expect(lines).toContain('not announced: orphan.test (no _mta-sts TXT in the zones, so senders never fetch the policy)');
    // The try line names the first domain whose policy is announced.
    expect(tryArgs[1]).toBe('broken.test');

    const check = await runInProcess(['check', 'good.test', 'miss.test', 'broken.test', 'nofile.test', ...tryArgs.slice(2), '--format', 'json']);
    const reports = reportsOf(check.stdout);
    expect(reports.get('good.test')?.mtaSts).toMatchObject({ state: 'enforce', policy: { fetch: 'ok', matches: [{ host: 'good-test.mail.protection.outlook.com', pattern: '*.mail.protection.outlook.com' }] } });
    expect(areaCodes(reports.get('good.test'), 'mta-sts', 'tls-rpt')).toEqual([]);
    // The file name's case does not matter: MISS.test.txt is miss.test's policy.
    expect(reports.get('miss.test')?.mtaSts).toMatchObject({ state: 'enforce', policy: { fetch: 'ok', matches: [{ host: 'miss-test.mail.protection.outlook.com', pattern: null }] } });
    expect(areaCodes(reports.get('miss.test'), 'mta-sts')).toEqual(['MTA_STS_MX_MISMATCH:error']);
    expect(reports.get('broken.test')?.mtaSts).toMatchObject({ state: 'policy-invalid', policy: { fetch: 'ok', httpStatus: 200 } });
    expect(areaCodes(reports.get('broken.test'), 'mta-sts')).toEqual(['MTA_STS_POLICY_INVALID:error']);
    // No file: the host has no certificate for mta-sts.nofile.test, so the fetch fails on TLS.
    expect(reports.get('nofile.test')?.mtaSts).toMatchObject({ state: 'unavailable', policy: { fetch: 'tls', httpStatus: null } });
    expect(areaCodes(reports.get('nofile.test'), 'mta-sts')).toEqual(['MTA_STS_POLICY_UNAVAILABLE:error']);
    expect(check.code).toBe(1);

    run.interrupt();
    const r = await run.done;
    expect(r.code).toBe(0);
    // good, miss and broken were fetched; nofile never got past TLS.
    expect(r.stderr).toMatch(/^m365audit: sandbox stopped after \d+ DNS queries, 3 policy requests\n$/);
  });

  it('--smtp beside the policy host: one CA file holds both CAs, and the printed line probes and fetches with it', async () => {
    const { run, lines, tryArgs } = await started(['--zones', `${FIXTURES}demo`, '--smtp']);
    const caFile = caFileOf(lines);
    expect(lines.find((l) => l.startsWith('smtp: '))?.endsWith(` --tls-ca ${caFile}`)).toBe(true);
    const pems = readFileSync(caFile, 'utf8').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    const issuers = pems.map((pem) => new X509Certificate(pem).subject);
    expect(issuers).toHaveLength(2);
    expect(new Set(issuers).size).toBe(2);
    expect(tryArgs.filter((a) => a === '--tls-ca')).toHaveLength(1);
    expect(tryArgs).toContain('--probe-host');
    expect(tryArgs).not.toContain('--no-probe');

    const check = await runInProcess([...tryArgs, '--format', 'json']);
    const doc = JSON.parse(check.stdout) as { domains: Report[]; probe: { reachable: boolean; starttls: boolean; certificate: { verified: boolean } } };
    expect(doc.probe).toMatchObject({ reachable: true, starttls: true, certificate: { verified: true } });
    expect(doc.domains[0]?.mtaSts).toMatchObject({ state: 'testing', policy: { fetch: 'ok' } });

    run.interrupt();
    expect((await run.done).code).toBe(0);
    expect(existsSync(caFile)).toBe(false);
  });

  it('no mta-sts folder, or one without .txt files: no policy host, no CA file, the try line as before', async () => {
    const zones = folder('nopolicy', { 'plain.test.zone': '@ MX 0 plain-test.mail.protection.outlook.com.\n', 'mta-sts/notes.md': 'x\n' });
    const { run, lines, tryArgs } = await started(['--zones', zones, '--no-microsoft']);
    expect(lines.some((l) => l.startsWith('mta-sts: '))).toBe(false);
    expect(tryArgs).toEqual(['check', 'plain.test', '--dns-server', expect.stringMatching(/^127\.0\.0\.1:\d+$/), '--no-probe']);
    run.interrupt();
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^m365audit: sandbox stopped after \d+ DNS queries?\n$/);
  });

  it.each([
    ['a .txt name that is not a domain', { 'mta-sts/not_a_domain.txt': 'version: STSv1\n' }, (d: string) => `${join(d, 'mta-sts', 'not_a_domain.txt')}: not a domain name (a policy file is named <domain>.txt, e.g. contoso.com.txt)`],
    ['a one-label name', { 'mta-sts/localhost.txt': 'version: STSv1\n' }, (d: string) => `${join(d, 'mta-sts', 'localhost.txt')}: not a domain name (a policy file is named <domain>.txt, e.g. contoso.com.txt)`],
    ['two files for one domain', { 'mta-sts/Two.test.txt': 'version: STSv1\n', 'mta-sts/two.test.txt': 'version: STSv1\n' }, (d: string) => `${join(d, 'mta-sts', 'two.test.txt')}: a second policy file for two.test (names are not case-sensitive)`],
    ['mta-sts a file, not a folder', { 'mta-sts': 'version: STSv1\n' }, (d: string) => `${join(d, 'mta-sts')}: not a folder (policy files go in ${join(d, 'mta-sts')}/<domain>.txt)`],
    ['a file over the cap', { 'mta-sts/big.test.txt': Buffer.alloc(MAX_POLICY_FILE_BYTES + 1, 'x') }, (d: string) => `${join(d, 'mta-sts', 'big.test.txt')}: ${MAX_POLICY_FILE_BYTES + 1} bytes, more than the ${MAX_POLICY_FILE_BYTES} a policy file may have here`],
  ])('%s: one line, exit 2, nothing served', async (name, files, message) => {
    const zones = folder(`bad-${name.replace(/\W+/g, '-')}`, { 'a.test.zone': '@ MX 0 a-test.mail.protection.outlook.com.\n', ...files });
    const r = await runInProcess(['sandbox', '--zones', zones]);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', `m365audit: ${message(zones)}\n`]);
  });
});
