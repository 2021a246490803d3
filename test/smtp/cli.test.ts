import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess, type CliResult } from '../support/cli.js';
import { expectNoRun } from '../support/leaks.js';
import { WITHHELD } from '../../src/smtp/redact.js';
import { MICROSOFT_AUTH_REPLIES, startHostileSmtpServer, startMicrosoftLikeSmtpServer, type TestSmtpServer } from '../support/smtp-servers.js';
import { SMTP_CODES } from '../../src/smtp/codes.js';

const USER = 'scanner@contoso.com';
const PASSWORD = 'c0rrect-h0rse-Battery-staple!';
const WRONG = 'wr0ng-h0rse-Battery-staple?';
const SECRETS = [PASSWORD, WRONG, Buffer.from(PASSWORD).toString('base64'), Buffer.from(WRONG).toString('base64')];

let dir: string;
let caFile: string;
let good: TestSmtpServer;
let disabled: TestSmtpServer;
const servers: TestSmtpServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'm365audit-smtp-'));
  good = await startMicrosoftLikeSmtpServer({ credentials: { user: USER, password: PASSWORD } });
  disabled = await startMicrosoftLikeSmtpServer({ auth: MICROSOFT_AUTH_REPLIES.disabled });
  servers.push(good, disabled);
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, good.caPem);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

function noSecrets(r: CliResult): void {
  for (const s of SECRETS) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
}

const target = (s: TestSmtpServer): string => `${s.host}:${s.port}`;
const json = (r: CliResult): Record<string, unknown> & { findings: { code: string }[]; auth: { outcome: string } | null } => JSON.parse(r.stdout);

describe('m365audit probe (built binary)', () => {
  it('AUTH test success: exit 0, the password nowhere in stdout or stderr (also with --trace)', async () => {
    const r = await runInProcess(['probe', target(good), '--tls-ca', caFile, '--format', 'json', '--auth-user', USER, '--trace'], { env: { M365AUDIT_SMTP_PASSWORD: PASSWORD } });
    expect(r.code).toBe(0);
    const out = json(r);
    expect(out.auth?.outcome).toBe('accepted');
    // A warning (Basic auth retiring) leaves the exit code at 0 unless --fail-on warning.
    expect(out.findings.map((f) => f.code)).toEqual(['SMTP_BASIC_AUTH_RETIRING']);
    expect(r.stderr).toContain('C: AUTH LOGIN');
    expect(r.stderr).toContain('C: *** (password, hidden)');
    noSecrets(r);
  });

  it('AUTH test failure with --password-stdin: exit 1, SMTP_AUTH_FAILED, the password nowhere', async () => {
    const r = await runInProcess(['probe', target(good), '--tls-ca', caFile, '--auth-user', USER, '--password-stdin', '--trace'], { input: `${WRONG}\n` });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('SMTP_AUTH_FAILED');
    expect(r.stdout).toContain('535 5.7.3 Authentication unsuccessful');
    noSecrets(r);
  });

  it('SMTP AUTH disabled: exit 1, SMTP_AUTH_DISABLED', async () => {
    const r = await runInProcess(['probe', target(disabled), '--tls-ca', caFile, '--format', 'json', '--auth-user', USER], { env: { M365AUDIT_SMTP_PASSWORD: PASSWORD } });
    expect(r.code).toBe(1);
    expect(json(r).findings.map((f) => f.code)).toEqual(['SMTP_AUTH_DISABLED']);
    noSecrets(r);
  });

  it('refuses to send credentials over TLS that did not verify: exit 2, one line, nothing sent', async () => {
    const before = good.authAttempts().length;
    const r = await runInProcess(['probe', target(good), '--format', 'json', '--auth-user', USER], { env: { M365AUDIT_SMTP_PASSWORD: PASSWORD } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/credentials not sent: the certificate did not verify/);
    expect(json(r).findings.map((f) => f.code)).toEqual(['SMTP_TLS_CERT_INVALID']);
    expect(good.authAttempts()).toHaveLength(before);
    noSecrets(r);
  });

  it('a table by default, exit 0 for a clean endpoint', async () => {
    const r = await runInProcess(['probe', target(good), '--tls-ca', caFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Microsoft ESMTP MAIL');
    expect(r.stdout).toContain('LOGIN, XOAUTH2');
    expect(r.stdout).toContain('no findings');
  });

  it('exit 1 with SMTP_UNREACHABLE for a refused port, and SMTP_TIMEOUT within --timeout', async () => {
    const refused = await startHostileSmtpServer('refused');
    const silent = await startHostileSmtpServer('silent');
    servers.push(refused, silent);
    const [a, b] = await Promise.all([runInProcess(['probe', target(refused), '--format', 'json']), runInProcess(['probe', target(silent), '--format', 'json', '--timeout', '500'])]);
    expect(a.code).toBe(1);
    expect(json(a).findings.map((f) => f.code)).toEqual(['SMTP_UNREACHABLE']);
    expect(b.code).toBe(1);
    expect(json(b).findings.map((f) => f.code)).toEqual(['SMTP_TIMEOUT']);
  });

  it('usage errors exit 2: bad target, no password, --password-stdin alone, unreadable CA', async () => {
    const cases: [string[], RegExp][] = [
      [['probe', 'not a host'], /not a host/],
      [['probe', 'host:99999'], /not a host/],
      [['probe', target(good), '--auth-user', USER], /needs a password/],
      [['probe', target(good), '--password-stdin'], /needs --auth-user/],
      [['probe', target(good), '--tls-ca', join(dir, 'missing.pem')], /cannot read --tls-ca/],
      [['probe', target(good), '--format', 'xml'], /xml/],
    ];
    // Spawned side by side: each run is a node start-up (~0.4 s).
    const runs = await Promise.all(cases.map(([args]) => runInProcess(args, { env: { M365AUDIT_SMTP_PASSWORD: undefined } })));
    for (const [i, [args, message]] of cases.entries()) {
      const r = runs[i] as CliResult;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});

describe('m365audit explain (built binary)', () => {
  it('explains codes as a table, unquoted "535 5.7.3" as one', async () => {
    const r = await runInProcess(['explain', '535', '5.7.3', '550-5.7.139']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Authentication unsuccessful');
    expect(r.stdout).toContain('SMTP_AUTH_FAILED');
    expect(r.stdout).toContain('SMTP_AUTH_DISABLED');
  });

  it('explains every catalog entry as JSON', async () => {
    const r = await runInProcess(['explain', '--format', 'json', ...SMTP_CODES.map((e) => `${e.replyCodes[0]} ${e.cls}.${e.subject}.${e.detail[0]}`)]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { explanations: { id: string; source: string }[] };
    expect(out.explanations.map((e) => e.id)).toEqual(SMTP_CODES.map((e) => e.id));
  });

  it('exit 2 for input that is not a code', async () => {
    const r = await runInProcess(['explain', '5.7.3', 'nonsense']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not an SMTP code: "nonsense"/);
    expect(r.stdout).toBe('');
  });
});

describe('probe --auth-user against a server that echoes part of the password (issue 15 review)', () => {
  it.each([
    ['the password minus its last character', (p: string) => `535 5.7.3 bad password ${p.slice(0, -1)}`],
    ['the password split over two reply lines (20 + 9 characters)', (p: string) => `535-5.7.3 bad ${p.slice(0, 20)}\r\n535 5.7.3 ${p.slice(20)}`],
  ])('%s: exit 1, SMTP_AUTH_FAILED with 5.7.3, every line withheld, no run of the password on stdout or stderr (--trace)', async (_, echo) => {
    const s = await startHostileSmtpServer('echo-auth', { echo });
    servers.push(s);
    const ca = join(dir, `ca-${s.port}.pem`);
    await writeFile(ca, s.caPem);
    const r = await runInProcess(['probe', target(s), '--tls-ca', ca, '--format', 'json', '--auth-user', USER, '--trace'], { env: { M365AUDIT_SMTP_PASSWORD: PASSWORD } });
    expect(r.code).toBe(1);
    const out = json(r) as ReturnType<typeof json> & { auth: { outcome: string; enhancedCode: string; reply: string } };
    expect(out.findings.map((f) => f.code)).toEqual(['SMTP_AUTH_FAILED']);
    expect(out.auth).toMatchObject({ outcome: 'rejected', enhancedCode: '5.7.3' });
    expect(out.auth.reply.split('\n').every((l) => l.endsWith(WITHHELD))).toBe(true);
    expectNoRun(r.stdout + r.stderr, PASSWORD);
    // The split's shorter part is gone too.
    expect(r.stdout + r.stderr).not.toContain(PASSWORD.slice(20));
  });
});

