import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendPathsReport } from '../../src/audit/send-paths.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { runInProcess } from '../support/cli.js';
import { startFixtureServer } from '../support/fixtures.js';
import { closedPort, PATHS_NAMES } from '../support/send-paths.js';
import { createTestCertificates, startMicrosoftLikeSmtpServer, type TestSmtpServer } from '../support/smtp-servers.js';

const USER = 'scanner@paths-in.test';
const PASSWORD = 'Tr0ub4dor&3-long-enough';

let dns: TestDnsServer;
let smtp: TestSmtpServer;
let dir: string;
let caFile: string;
let closed: number;
beforeAll(async () => {
  const certificates = await createTestCertificates({ names: PATHS_NAMES });
  [dns, smtp, closed, dir] = await Promise.all([
    startFixtureServer(),
    startMicrosoftLikeSmtpServer({ certificates, credentials: { user: USER, password: PASSWORD } }),
    closedPort(),
    mkdtemp(join(tmpdir(), 'm365audit-send-paths-')),
  ]);
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, smtp.caPem);
});
afterAll(async () => {
  await Promise.all([dns?.close(), smtp?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The sandbox endpoint as the submission host and, on its port, the paths-* MX hosts' port 25 (they resolve to loopback). */
const local = (): string[] => ['--dns-server', dns.server, '--timeout', '1500', '--retries', '0', '--probe-host', `${smtp.host}:${smtp.port}`, '--probe-mx-port', String(smtp.port), '--tls-ca', caFile];
/** local() with one of its options (and its value) left out, for a test that gives that option itself. */
const localWithout = (flag: string): string[] => local().filter((_, i, all) => all[i] !== flag && all[i - 1] !== flag);
const json = (stdout: string): SendPathsReport => JSON.parse(stdout) as SendPathsReport;

describe('send-paths: usage errors (one line, exit 2, nothing asked or probed)', () => {
  const cases: [string, string[], RegExp, string?][] = [
    ['no domain', [], /^m365audit: missing required argument 'domain'$/],
    ['not a domain', ['not a domain!'], /^m365audit: not a domain name: "not a domain!"/],
    ['--ip not an address', ['paths-in.test', '--ip', '192.0.2.300'], /^m365audit: --ip: not an IP address: "192\.0\.2\.300"$/],
    ['--ip a name', ['paths-in.test', '--ip', 'printer.paths-in.test'], /^m365audit: --ip: not an IP address: "printer\.paths-in\.test"$/],
    ['--ip twice', ['paths-in.test', '--ip', '192.0.2.1', '--ip', '192.0.2.2'], /--ip is given more than once/],
    ['--from without @', ['paths-in.test', '--from', 'scanner'], /^m365audit: --from: not an email address: "scanner" \(no @\)$/],
    ['--from without a local part', ['paths-in.test', '--from', '@paths-in.test'], /\(nothing before the @\)$/],
    ['--from with a space', ['paths-in.test', '--from', 'scan ner@paths-in.test'], /holds a space, a control character/],
    ['--from with a control character', ['paths-in.test', '--from', 'scan\x1b[31mner@paths-in.test'], /--from: not an email address: "scan\\\\x1b\[31mner@paths-in\.test"/],
    ['--from with a bad domain', ['paths-in.test', '--from', 'scanner@bad..domain'], /^m365audit: --from: not an email address: "scanner@bad\.\.domain" \(/],
    ['--from with a local part over 64 octets', ['paths-in.test', '--from', `${'x'.repeat(65)}@paths-in.test`], /over 64 octets/],
    ['--password-stdin without --auth-user', ['paths-in.test', '--password-stdin'], /^m365audit: --password-stdin needs --auth-user$/],
    ['--auth-user without a password', ['paths-in.test', '--auth-user', USER], /^m365audit: --auth-user needs a password: set M365AUDIT_SMTP_PASSWORD or pass it on stdin with --password-stdin \(or use --oauth\)$/],
    ['--probe-host not a host', ['paths-in.test', '--probe-host', 'bad host'], /^m365audit: --probe-host: not a host\[:port\]: "bad host"$/, '--probe-host'],
    ['--probe-mx-port 0', ['paths-in.test', '--probe-mx-port', '0'], /--probe-mx-port must be a whole number from 1 to 65535/],
    ['--probe-timeout too long', ['paths-in.test', '--probe-timeout', '999999'], /--probe-timeout must be a whole number from 1 to 120000/],
    ['--format csv', ['paths-in.test', '--format', 'csv'], /Allowed choices are table, json, markdown/],
    ['--cloud mars', ['paths-in.test', '--cloud', 'mars'], /Allowed choices are worldwide, gcc-high, dod, china/],
    ['--cert that does not exist', ['paths-in.test', '--cert', '/nonexistent/device.pem'], /^m365audit: cannot read --cert \/nonexistent\/device\.pem: ENOENT$/],
  ];
  it.each(cases)('%s', async (_what, args, message, given) => {
    const before = smtp.commands().length;
    const r = await runInProcess(['send-paths', ...args, ...(args.length === 0 ? [] : given ? localWithout(given) : local())]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(smtp.commands().length).toBe(before);
  });

  it('--cert that is not a PEM certificate, and one that does not parse', async () => {
    const notPem = join(dir, 'not.pem');
    await writeFile(notPem, 'just text\n');
    const broken = join(dir, 'broken.pem');
    await writeFile(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const a = await runInProcess(['send-paths', 'paths-in.test', '--cert', notPem, ...local()]);
    expect([a.code, a.stderr]).toEqual([2, `m365audit: --cert ${notPem} holds no PEM certificate\n`]);
    const b = await runInProcess(['send-paths', 'paths-in.test', '--cert', broken, ...local()]);
    expect([b.code, b.stderr]).toEqual([2, `m365audit: --cert ${broken}: the certificate does not parse\n`]);
    const c = await runInProcess(['send-paths', 'paths-in.test', '--cert', dir, ...local()]);
    expect([c.code, c.stderr]).toEqual([2, `m365audit: cannot read --cert ${dir}: it is a directory\n`]);
  });
});

describe('send-paths: formats and exit codes', () => {
  it('table: the three paths side by side, then each with its conditions; exit 0 when all work (Basic auth retiring is a warning)', async () => {
    const r = await runInProcess(['send-paths', 'paths-in.test', '--ip', '192.0.2.25', '--auth-user', USER, ...local()], { env: { M365AUDIT_SMTP_PASSWORD: PASSWORD } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual(['Send paths for paths-in.test', 'cloud worldwide; device ip 192.0.2.25; from postmaster@paths-in.test']);
    expect(lines.filter((l) => / +works +\S+:\d+$/.test(l)).map((l) => l.split(/ {2,}/)[0])).toEqual(['SMTP AUTH submission', 'Direct send', 'Relay through a connector']);
    expect(lines).toContain(`2. Direct send: works (paths-in-test.mail.protection.outlook.com:${smtp.port})`);
    expect(lines.filter((l) => l.startsWith('   ✓ '))).toHaveLength(2 + 3 + 4);
    // AUTH LOGIN works today: the path works, and the dated warning says until when (src/smtp/timeline.ts).
    expect(lines.filter((l) => /^ {2}\S+ +(error|warning|info) /.test(l)).map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '))).toEqual(['! warning SMTP_BASIC_AUTH_RETIRING:']);
    expect(lines.at(-2)).toMatch(/^Checked .*; AUTH test as scanner@paths-in\.test; MX probe port \d+;/);
    expect(r.stdout).not.toContain(PASSWORD);
  });

  it('json: the report with its run; an IP outside SPF blocks direct send and relay (MESSAGE_SPF_FAIL, exit 1)', async () => {
    const r = await runInProcess(['send-paths', 'paths-out.test', '--ip', '192.0.2.25', '--from', 'Scanner@Paths-Out.test', '--format', 'json', ...local()]);
    expect(r.code).toBe(1);
    const doc = json(r.stdout);
    expect(doc.paths.map((p) => [p.path, p.verdict])).toEqual([['smtp-auth', 'unknown'], ['direct-send', 'blocked'], ['connector-relay', 'blocked']]);
    expect(doc.findings.map((f) => f.code)).toEqual(['MESSAGE_SPF_FAIL']);
    expect(doc).toMatchObject({ domain: 'paths-out.test', ip: '192.0.2.25', from: 'Scanner@paths-out.test', spf: { result: 'fail', sender: 'Scanner@paths-out.test' } });
    expect((doc as unknown as { run: { options: { from: string } } }).run.options.from).toBe('Scanner@paths-out.test');
  });

  it('markdown: a table of the paths and a section each; port 25 closed blocks 2 and 3 (SMTP_UNREACHABLE, exit 1)', async () => {
    const closedArgs = local().map((a, i, all) => (all[i - 1] === '--probe-mx-port' ? String(closed) : a));
    const r = await runInProcess(['send-paths', 'paths-in.test', '--ip', '192.0.2.25', '--format', 'markdown', ...closedArgs]);
    expect(r.code).toBe(1);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| '));
    expect(rows).toEqual([
      '| Path | Verdict | Endpoint |',
      `| SMTP AUTH submission | ❔ unknown | 127.0.0.1:${smtp.port} |`,
      `| Direct send | ❌ blocked | paths-in-test.mail.protection.outlook.com:${closed} |`,
      `| Relay through a connector | ❌ blocked | paths-in-test.mail.protection.outlook.com:${closed} |`,
    ]);
    expect(r.stdout).toContain('### 2. Direct send: blocked');
    expect(r.stdout).toContain(`- ❌ **port25**: paths-in-test.mail.protection.outlook.com:${closed} is not reachable from here \\(127.0.0.1:${closed}: the connection was refused\\)`);
    expect(r.stdout).toContain('- **error** `SMTP_UNREACHABLE`');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^_Checked .*_$/);
  });

  it('an MX that is not Microsoft\'s: 2 and 3 blocked by MX_NOT_M365, a warning (exit 0; 1 with --fail-on warning)', async () => {
    const r = await runInProcess(['send-paths', 'paths-other.test', '--ip', '192.0.2.25', '--format', 'json', ...local()]);
    expect(r.code).toBe(0);
    const doc = json(r.stdout);
    expect(doc.paths.map((p) => p.verdict)).toEqual(['unknown', 'blocked', 'blocked']);
    expect(doc.paths[1]?.conditions[0]).toMatchObject({ check: 'mx', state: 'blocked', codes: ['MX_NOT_M365'] });
    expect(doc.mxProbe).toBeNull();
    const strict = await runInProcess(['send-paths', 'paths-other.test', '--ip', '192.0.2.25', '--fail-on', 'warning', ...local()]);
    expect(strict.code).toBe(1);
    const never = await runInProcess(['send-paths', 'paths-out.test', '--ip', '192.0.2.25', '--fail-on', 'never', ...local()]);
    expect(never.code).toBe(0);
  });

  it('submission unreachable blocks path 1 only (SMTP_UNREACHABLE, exit 1)', async () => {
    const args = local().map((a, i, all) => (all[i - 1] === '--probe-host' ? `127.0.0.1:${closed}` : a));
    const r = await runInProcess(['send-paths', 'paths-in.test', '--ip', '192.0.2.25', '--format', 'json', ...args]);
    expect(r.code).toBe(1);
    const doc = json(r.stdout);
    expect(doc.paths.map((p) => p.verdict)).toEqual(['blocked', 'works', 'works']);
    expect(doc.paths[0]?.conditions[0]).toMatchObject({ check: 'submission', state: 'blocked', codes: ['SMTP_UNREACHABLE'] });
  });

  it('--password-stdin: the AUTH test passes and the password is in no output; a wrong one is SMTP_AUTH_FAILED (exit 1)', async () => {
    const ok = await runInProcess(['send-paths', 'paths-in.test', '--auth-user', USER, '--password-stdin', '--format', 'json', ...local()], { input: `${PASSWORD}\n` });
    expect(ok.code).toBe(0);
    expect(json(ok.stdout).paths[0]).toMatchObject({ verdict: 'works', conditions: [{ check: 'submission', state: 'ok' }, { check: 'auth', state: 'ok' }] });
    const wrong = await runInProcess(['send-paths', 'paths-in.test', '--auth-user', USER, '--password-stdin', ...local()], { input: 'wrong-password-here' });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^ {3}✗ auth +.*\[SMTP_AUTH_FAILED\]$/m);
    for (const out of [ok.stdout, ok.stderr, wrong.stdout, wrong.stderr]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain('wrong-password-here');
    }
  });

  it('--cert: a certificate for another name blocks relay only, an info finding (exit 0); --output writes the file', async () => {
    const device = await createTestCertificates({ names: ['printer.local'] });
    const certFile = join(dir, 'printer.pem');
    await writeFile(certFile, `${device.keyPem}${device.certPem}`);
    const out = join(dir, 'paths.md');
    const r = await runInProcess(['send-paths', 'paths-in.test', '--ip', '192.0.2.25', '--cert', certFile, '--format', 'markdown', '--output', out, ...local()]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
    const md = await readFile(out, 'utf8');
    expect(md).toContain('| Relay through a connector | ❌ blocked |');
    expect(md).toContain('| Direct send | ✅ works |');
    expect(md).toContain('- **info** `CONNECTOR_CERT_NAME_MISMATCH`');
    expect(md).not.toContain('PRIVATE KEY');
  });

  it('--zone: a record not yet published is checked as if it were (the IP added to SPF passes)', async () => {
    const zone = join(dir, 'paths-out.test.zone');
    await writeFile(zone, '$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ MX 0 paths-out-test.mail.protection.outlook.com.\n@ TXT "v=spf1 ip4:192.0.2.25 include:spf.protection.outlook.com -all"\n');
    const r = await runInProcess(['send-paths', 'paths-out.test', '--ip', '192.0.2.25', '--zone', zone, '--format', 'json', ...local()]);
    expect(r.code).toBe(0);
    const doc = json(r.stdout) as SendPathsReport & { run: { options: { zones?: string[] } } };
    expect(doc.paths.map((p) => p.verdict)).toEqual(['unknown', 'works', 'works']);
    expect(doc.run.options.zones).toEqual([zone]);
  });

  it('is listed in the help, and has its own', async () => {
    const all = await runInProcess(['--help']);
    expect(all.stdout).toMatch(/^ {2}send-paths +SMTP AUTH submission, direct send and connector relay side by\n/m);
    const own = await runInProcess(['send-paths', '--help']);
    expect(own.code).toBe(0);
    for (const flag of ['--ip <ip>', '--from <address>', '--cert <file>', '--auth-user <user>', '--probe-mx-port <port>', '--dns-server <addr>', '--zone <file>', '--fail-on <level>', '--no-color']) expect(own.stdout).toContain(flag);
  });
});
