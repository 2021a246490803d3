import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSendPaths, sendPathVerdict, type SendPath, type SendPathsOptions, type SendPathsReport } from '../../src/audit/send-paths.js';
import { createDnsClient } from '../../src/dns/client.js';
import { certificateNameMatches, certificateValidity, parseConnectorCertificate } from '../../src/m365/connector.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';
import { closedPort, PATHS_NAMES } from '../support/send-paths.js';
import { createTestCertificates, MICROSOFT_AUTH_REPLIES, startMicrosoftLikeSmtpServer, type TestSmtpServer } from '../support/smtp-servers.js';

const USER = 'scanner@paths-in.test';
const PASSWORD = 'correct-horse-battery-staple';

let dnsServer: TestDnsServer;
let smtp: TestSmtpServer;
let disabled: TestSmtpServer;
let plain: TestSmtpServer;
let closed: number;
beforeAll(async () => {
  const certificates = await createTestCertificates({ names: PATHS_NAMES });
  [dnsServer, smtp, disabled, plain, closed] = await Promise.all([
    startFixtureServer(),
    startMicrosoftLikeSmtpServer({ certificates, credentials: { user: USER, password: PASSWORD } }),
    startMicrosoftLikeSmtpServer({ certificates, auth: MICROSOFT_AUTH_REPLIES.disabled }),
    // A certificate for localhost only: the MX host's name does not verify.
    startMicrosoftLikeSmtpServer(),
    closedPort(),
  ]);
});
afterAll(() => Promise.all([dnsServer?.close(), smtp?.close(), disabled?.close(), plain?.close()]));

// 1500 ms: answers that must come beat it under load (BRIEF).
const ctx = () => ({ dns: createDnsClient({ servers: [dnsServer.server], timeoutMs: 1500, retries: 0 }) });
/** The sandbox endpoint as both the submission host and, on its port, the MX hosts' port 25. */
const local = (extra: SendPathsOptions = {}): SendPathsOptions => ({ submission: { host: smtp.host, port: smtp.port }, mxPort: smtp.port, ca: smtp.caPem, timeoutMs: 2000, ...extra });
const path = (r: SendPathsReport, id: SendPath['path']): SendPath => r.paths.find((p) => p.path === id) as SendPath;
const states = (p: SendPath): Record<string, string> => Object.fromEntries(p.conditions.map((c) => [c.check, c.state]));
const codes = (r: SendPathsReport): string[] => r.findings.map((f) => f.code);

describe('sendPathVerdict', () => {
  it('is blocked when a condition is, else unknown when one is, else works', () => {
    expect(sendPathVerdict([{ state: 'ok' }, { state: 'ok' }])).toBe('works');
    expect(sendPathVerdict([{ state: 'ok' }, { state: 'unknown' }])).toBe('unknown');
    expect(sendPathVerdict([{ state: 'unknown' }, { state: 'blocked' }, { state: 'ok' }])).toBe('blocked');
    expect(sendPathVerdict([])).toBe('works');
  });
});

describe('checkSendPaths on the fixture zones and the sandbox SMTP endpoint', () => {
  it('an IP inside SPF, a Microsoft MX, port 25 open and AUTH accepted: all three paths work', async () => {
    const r = await checkSendPaths(ctx(), 'paths-in.test', local({ ip: '192.0.2.25', auth: { user: USER, password: PASSWORD } }));
    expect(r.paths.map((p) => [p.path, p.verdict])).toEqual([['smtp-auth', 'works'], ['direct-send', 'works'], ['connector-relay', 'works']]);
    expect(states(path(r, 'direct-send'))).toEqual({ mx: 'ok', port25: 'ok', spf: 'ok' });
    expect(states(path(r, 'connector-relay'))).toEqual({ mx: 'ok', port25: 'ok', spf: 'ok', 'spf-include': 'ok' });
    // AUTH LOGIN works today: the path works, with the dated Basic-auth warning (src/smtp/timeline.ts).
    expect(codes(r)).toEqual(['SMTP_BASIC_AUTH_RETIRING']);
    expect(path(r, 'smtp-auth').conditions.find((c) => c.check === 'auth')).toMatchObject({ state: 'ok', codes: ['SMTP_BASIC_AUTH_RETIRING'] });
    expect(r.spf).toMatchObject({ domain: 'paths-in.test', ip: '192.0.2.25', result: 'pass', m365Include: true, status: 'pass' });
    expect(r.mx.m365Host).toBe('paths-in-test.mail.protection.outlook.com');
    expect(r.mxProbe).toMatchObject({ host: 'paths-in-test.mail.protection.outlook.com', port: smtp.port, reachable: true, starttls: true, authMechanisms: ['LOGIN', 'XOAUTH2'] });
    expect(r.mxProbe?.certificate?.verified).toBe(true);
    expect(r.submission?.auth?.outcome).toBe('accepted');
    expect(path(r, 'direct-send').endpoint).toBe(`paths-in-test.mail.protection.outlook.com:${smtp.port}`);
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
  });

  it('an IP outside SPF: direct send and relay blocked by MESSAGE_SPF_FAIL, SMTP AUTH unaffected', async () => {
    const r = await checkSendPaths(ctx(), 'paths-out.test', local({ ip: '192.0.2.25' }));
    expect(r.paths.map((p) => p.verdict)).toEqual(['unknown', 'blocked', 'blocked']);
    for (const id of ['direct-send', 'connector-relay'] as const) {
      const spf = path(r, id).conditions.find((c) => c.check === 'spf');
      expect(spf).toMatchObject({ state: 'blocked', codes: ['MESSAGE_SPF_FAIL'] });
      expect(states(path(r, id))).toMatchObject({ mx: 'ok', port25: 'ok' });
    }
    expect(codes(r)).toEqual(['MESSAGE_SPF_FAIL']);
    const f = r.findings[0];
    expect(f).toMatchObject({ severity: 'error', area: 'spf', evidence: 'check_host(192.0.2.25, paths-out.test, postmaster@paths-out.test) = fail: "-all" in the record of paths-out.test matched' });
    expect(f?.fix).toContain('v=spf1 ip4:192.0.2.25 include:spf.protection.outlook.com ~all');
    expect(r.spf.result).toBe('fail');
    // The submission path needs no SPF: without credentials it is unknown, never blocked by it.
    expect(states(path(r, 'smtp-auth'))).toEqual({ submission: 'ok', auth: 'unknown' });
  });

  it('without --ip, the SPF conditions are unknown ("give --ip") and MESSAGE_SPF_FAIL is not raised', async () => {
    const r = await checkSendPaths(ctx(), 'paths-out.test', local());
    expect(r.paths.map((p) => p.verdict)).toEqual(['unknown', 'unknown', 'unknown']);
    const spf = path(r, 'direct-send').conditions.find((c) => c.check === 'spf');
    expect(spf?.state).toBe('unknown');
    expect(spf?.reason).toMatch(/^Give --ip /);
    expect(codes(r)).toEqual([]);
    expect(r.spf.result).toBeNull();
  });

  it('an MX that is not Microsoft\'s: direct send and relay blocked by MX_NOT_M365, port 25 not probed', async () => {
    const before = smtp.commands().length;
    const r = await checkSendPaths(ctx(), 'paths-other.test', local({ ip: '192.0.2.25', submission: { host: '127.0.0.1', port: closed } }));
    expect(r.paths.map((p) => p.verdict)).toEqual(['blocked', 'blocked', 'blocked']);
    for (const id of ['direct-send', 'connector-relay'] as const) {
      const p = path(r, id);
      expect(p.conditions[0]).toMatchObject({ check: 'mx', state: 'blocked', codes: ['MX_NOT_M365'] });
      expect(p.conditions[0]?.reason).toContain('paths-other-test.mail.protection.outlook.com');
      expect(states(p)).toMatchObject({ port25: 'unknown', spf: 'ok' });
      expect(p.endpoint).toBeNull();
    }
    expect(r.mxProbe).toBeNull();
    // No session reached the sandbox endpoint: the MX host was never probed.
    expect(smtp.commands().length).toBe(before);
    expect(codes(r)).toEqual(['MX_NOT_M365', 'SMTP_UNREACHABLE']);
  });

  it('port 25 closed: direct send and relay blocked by SMTP_UNREACHABLE with the ISP hint, SMTP AUTH unaffected', async () => {
    const r = await checkSendPaths(ctx(), 'paths-in.test', local({ ip: '192.0.2.25', mxPort: closed, auth: { user: USER, password: PASSWORD } }));
    expect(r.paths.map((p) => p.verdict)).toEqual(['works', 'blocked', 'blocked']);
    for (const id of ['direct-send', 'connector-relay'] as const) {
      const port = path(r, id).conditions.find((c) => c.check === 'port25');
      expect(port).toMatchObject({ state: 'blocked', codes: ['SMTP_UNREACHABLE'] });
      expect(port?.reason).toContain(`paths-in-test.mail.protection.outlook.com:${closed}`);
      expect(port?.reason).toContain('block outbound port 25');
    }
    expect(r.mxProbe).toMatchObject({ host: 'paths-in-test.mail.protection.outlook.com', port: closed, reachable: false });
    expect(codes(r)).toEqual(['SMTP_BASIC_AUTH_RETIRING', 'SMTP_UNREACHABLE']);
  });

  it('an MX host whose certificate does not verify: port 25 still answers (ok, with the reason), SMTP_TLS_CERT_INVALID decides the exit code', async () => {
    const r = await checkSendPaths(ctx(), 'paths-in.test', local({ ip: '192.0.2.25', submission: { host: plain.host, port: plain.port }, mxPort: plain.port, ca: plain.caPem }));
    const port = path(r, 'direct-send').conditions.find((c) => c.check === 'port25');
    expect(port).toMatchObject({ state: 'ok', codes: ['SMTP_TLS_CERT_INVALID'] });
    expect(port?.reason).toContain('its certificate does not verify for paths-in-test.mail.protection.outlook.com (ERR_TLS_CERT_ALTNAME_INVALID)');
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.code)).toEqual(['SMTP_TLS_CERT_INVALID']);
    expect(r.paths.map((p) => p.verdict)).toEqual(['unknown', 'works', 'works']);
  });

  it('submission unreachable: SMTP AUTH blocked by SMTP_UNREACHABLE, the other paths unaffected', async () => {
    const r = await checkSendPaths(ctx(), 'paths-in.test', local({ ip: '192.0.2.25', submission: { host: '127.0.0.1', port: closed }, auth: { user: USER, password: PASSWORD } }));
    expect(r.paths.map((p) => p.verdict)).toEqual(['blocked', 'works', 'works']);
    expect(path(r, 'smtp-auth').conditions).toEqual([
      expect.objectContaining({ check: 'submission', state: 'blocked', codes: ['SMTP_UNREACHABLE'] }),
      expect.objectContaining({ check: 'auth', state: 'unknown' }),
    ]);
    expect(r.submission).toMatchObject({ host: '127.0.0.1', port: closed, reachable: false, auth: null });
  });

  it('the AUTH test: a wrong password is SMTP_AUTH_FAILED, a tenant with SMTP AUTH off SMTP_AUTH_DISABLED; both block path 1 only', async () => {
    const wrong = await checkSendPaths(ctx(), 'paths-in.test', local({ ip: '192.0.2.25', auth: { user: USER, password: 'not-the-password' } }));
    expect(wrong.paths.map((p) => p.verdict)).toEqual(['blocked', 'works', 'works']);
    expect(path(wrong, 'smtp-auth').conditions[1]).toMatchObject({ check: 'auth', state: 'blocked', codes: ['SMTP_AUTH_FAILED'] });
    const off = await checkSendPaths(ctx(), 'paths-in.test', local({ submission: { host: disabled.host, port: disabled.port }, auth: { user: USER, password: PASSWORD } }));
    expect(path(off, 'smtp-auth').conditions[1]).toMatchObject({ check: 'auth', state: 'blocked', codes: ['SMTP_AUTH_DISABLED'] });
    expect(codes(off)).toEqual(['SMTP_AUTH_DISABLED']);
    expect(JSON.stringify([wrong, off])).not.toContain('not-the-password');
  });

  it('Microsoft\'s mx.microsoft form: the MX host is probed on port 25 at the address DNS gives, through an injected socket factory', async () => {
    const asked: { host: string; port: number }[] = [];
    const connect = (t: { host: string; port: number }): net.Socket => {
      asked.push(t);
      return net.connect({ host: smtp.host, port: smtp.port });
    };
    const r = await checkSendPaths(ctx(), 'paths-dnssec.test', { ip: '2001:DB8:25::9', submission: { host: 'localhost', port: 587 }, ca: smtp.caPem, timeoutMs: 2000, connect });
    expect(r.mx).toMatchObject({ m365Host: 'paths-dnssec-test.o-v1.mx.microsoft', cloud: 'worldwide' });
    // The wildcard A of o-v1.mx.microsoft in fixtures/infra, on the default port 25.
    expect(asked).toEqual(expect.arrayContaining([{ host: '198.51.100.220', port: 25 }, { host: 'localhost', port: 587 }]));
    expect(r.ip).toBe('2001:db8:25::9');
    expect(r.spf.result).toBe('pass');
    expect(r.paths.map((p) => p.verdict)).toEqual(['unknown', 'works', 'works']);
    expect(r.mxProbe).toMatchObject({ host: 'paths-dnssec-test.o-v1.mx.microsoft', port: 25, reachable: true });
    expect(path(r, 'direct-send').endpoint).toBe('paths-dnssec-test.o-v1.mx.microsoft:25');
  });

  it('a failed MX lookup is unknown (DNS_TEMPFAIL), never blocked; NXDOMAIN is DOMAIN_NOT_FOUND and blocked', async () => {
    dnsServer.setFault('paths-in.test', 'servfail', 'MX');
    try {
      const r = await checkSendPaths(ctx(), 'paths-in.test', local({ ip: '192.0.2.25' }));
      expect(path(r, 'direct-send').conditions[0]).toMatchObject({ check: 'mx', state: 'unknown', codes: ['DNS_TEMPFAIL'] });
      expect(r.paths.map((p) => p.verdict)).toEqual(['unknown', 'unknown', 'unknown']);
      expect(codes(r)).toEqual(['DNS_TEMPFAIL']);
    } finally {
      dnsServer.setFault('paths-in.test', null, 'MX');
    }
    const gone = await checkSendPaths(ctx(), 'no-such-domain.test', local({ ip: '192.0.2.25' }));
    expect(path(gone, 'direct-send').conditions[0]).toMatchObject({ check: 'mx', state: 'blocked', codes: ['DOMAIN_NOT_FOUND'] });
    // No SPF is asked of a domain that does not exist: no SPF_MISSING or MESSAGE_SPF_FAIL beside DOMAIN_NOT_FOUND.
    expect(codes(gone)).toEqual(['DOMAIN_NOT_FOUND']);
    expect(states(path(gone, 'connector-relay'))).toEqual({ mx: 'blocked', port25: 'unknown', spf: 'unknown', 'spf-include': 'unknown' });
    expect(gone.spf).toMatchObject({ domain: 'no-such-domain.test', record: null, result: null, status: 'unknown' });
  });

  it('an input that is not a domain: DOMAIN_INVALID, every path unknown, nothing probed', async () => {
    const before = smtp.commands().length;
    const r = await checkSendPaths(ctx(), 'not a domain!', local());
    expect(codes(r)).toEqual(['DOMAIN_INVALID']);
    expect(r.paths.map((p) => p.verdict)).toEqual(['unknown', 'unknown', 'unknown']);
    expect(r.submission).toBeNull();
    expect(smtp.commands().length).toBe(before);
  });

  it('--from in another domain checks that domain\'s SPF and says so; a private --ip gets a note', async () => {
    const r = await checkSendPaths(ctx(), 'paths-out.test', local({ ip: '10.1.2.3', from: 'scanner@paths-in.test' }));
    expect(r.spf).toMatchObject({ domain: 'paths-in.test', sender: 'scanner@paths-in.test', result: 'fail' });
    expect(r.notes).toHaveLength(2);
    expect(r.notes[0]).toContain('10.1.2.3 is not a public address (private)');
    expect(r.notes[1]).toContain('The From domain paths-in.test is not paths-out.test');
  });
});

describe('connector certificates (--cert)', () => {
  it('a certificate naming the domain passes; one naming another domain is CONNECTOR_CERT_NAME_MISMATCH (5.7.64) and blocks relay only', async () => {
    const good = await createTestCertificates({ names: ['paths-in.test', 'printer.paths-in.test'] });
    const r = await checkSendPaths(ctx(), 'paths-in.test', local({ ip: '192.0.2.25', certificatePem: good.certPem }));
    expect(r.certificate).toMatchObject({ names: ['paths-in.test', 'printer.paths-in.test'], namesTotal: 2, matches: [{ name: 'paths-in.test', domain: 'paths-in.test', fit: 'exact' }, { name: 'printer.paths-in.test', domain: 'paths-in.test', fit: 'subdomain' }] });
    expect(path(r, 'connector-relay').conditions.at(-1)).toMatchObject({ check: 'certificate', state: 'ok' });
    expect(path(r, 'connector-relay').verdict).toBe('works');

    const other = await createTestCertificates({ names: ['printer.local'] });
    const bad = await checkSendPaths(ctx(), 'paths-in.test', local({ ip: '192.0.2.25', certificatePem: `${other.keyPem}\n${other.certPem}` }));
    expect(bad.paths.map((p) => p.verdict)).toEqual(['unknown', 'works', 'blocked']);
    expect(path(bad, 'connector-relay').conditions.at(-1)).toMatchObject({ check: 'certificate', state: 'blocked', codes: ['CONNECTOR_CERT_NAME_MISMATCH'] });
    expect(bad.findings).toEqual([expect.objectContaining({ code: 'CONNECTOR_CERT_NAME_MISMATCH', severity: 'info', evidence: 'subject CN=printer.local; names printer.local' })]);
    expect(bad.findings[0]?.message).toContain('550 5.7.64 TenantAttribution');
    // A private key beside the certificate is never part of the report.
    expect(JSON.stringify(bad)).not.toContain('PRIVATE KEY');
  });

  it('a certificate outside its validity is CONNECTOR_CERT_EXPIRED (the clock decides)', async () => {
    const good = await createTestCertificates({ names: ['paths-in.test'] });
    const later = new Date(Date.now() + 400 * 86_400_000);
    const r = await checkSendPaths({ ...ctx(), clock: () => later }, 'paths-in.test', local({ ip: '192.0.2.25', certificatePem: good.certPem }));
    expect(path(r, 'connector-relay').conditions.at(-1)).toMatchObject({ check: 'certificate', state: 'blocked', codes: ['CONNECTOR_CERT_EXPIRED'] });
    expect(r.auditedAt).toBe(later.toISOString());
  });

  it('names fit as the domain, a wildcard for it, or a name below it; never a look-alike', () => {
    const cert = { names: ['contoso.com', '*.contoso.com', 'smtp.contoso.com', 'notcontoso.com', 'contoso.com.evil.test', '*.evil.test'] };
    expect(certificateNameMatches(cert, ['Contoso.com.'])).toEqual([
      { name: 'contoso.com', domain: 'contoso.com', fit: 'exact' },
      { name: '*.contoso.com', domain: 'contoso.com', fit: 'wildcard' },
      { name: 'smtp.contoso.com', domain: 'contoso.com', fit: 'subdomain' },
    ]);
    expect(certificateNameMatches({ names: ['*.sub.contoso.com'] }, ['contoso.com'])).toEqual([]);
  });

  it('parses the first certificate of a PEM text, null for anything else; validity by the clock', async () => {
    const c = await createTestCertificates({ names: ['Printer.Contoso.com', '192.0.2.9'] });
    const parsed = parseConnectorCertificate(c.certPem);
    expect(parsed).toMatchObject({ subject: 'CN=Printer.Contoso.com', names: ['printer.contoso.com'], namesTotal: 1 });
    expect(parseConnectorCertificate('not a certificate')).toBeNull();
    expect(parseConnectorCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toBeNull();
    expect(certificateValidity(parsed!, new Date())).toBeNull();
    expect(certificateValidity(parsed!, new Date(Date.parse(parsed!.validTo!) + 1000))).toBe('expired');
    expect(certificateValidity(parsed!, new Date(Date.parse(parsed!.validFrom!) - 1000))).toBe('not-yet-valid');
  });
});
