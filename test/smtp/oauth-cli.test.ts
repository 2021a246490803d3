/**
 * `m365audit probe --auth-user USER --oauth`: AUTH XOAUTH2 with a token from
 * the environment or stdin, the Basic-auth findings through the CLI, and
 * every usage error of the credential options (src/cli/auth-options.ts). In
 * process, against the sandbox's Microsoft-like endpoint on loopback.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xoauth2Response } from '../../src/smtp/probe.js';
import { basicAuthOutlook } from '../../src/smtp/timeline.js';
import { runInProcess, type CliResult } from '../support/cli.js';
import { expectNoRun } from '../support/leaks.js';
import { createTestCertificates, MICROSOFT_AUTH_REPLIES, startHostileSmtpServer, startMicrosoftLikeSmtpServer, type TestSmtpServer } from '../support/smtp-servers.js';

const USER = 'scanner@contoso.com';
const PASSWORD = 'c0rrect-h0rse-Battery-staple!';
const b64u = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
/** An app token as Entra issues them for Exchange Online (v1 claims), an hour left; the signature is not checked by the client. */
const APP_CLAIMS = {
  aud: 'https://outlook.office365.com', iss: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/', tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  appid: '11111111-2222-3333-4444-555555555555', appidacr: '1', idtyp: 'app', roles: ['SMTP.SendAsApp'], ver: '1.0',
  oid: '99999999-8888-7777-6666-555555555555', exp: Math.floor(Date.now() / 1000) + 3600,
};
/** An Entra-sized token (two-step XOAUTH2: about 1,600 characters) and a short opaque one (initial response). */
const TOKEN = `${b64u({ typ: 'JWT', alg: 'RS256' })}.${b64u({ ...APP_CLAIMS, xms_pad: 'p'.repeat(900) })}.${'c2lnbmF0dXJlLXBhcnQ'.repeat(20)}`;
const SHORT = 'short-T0ken-value-42';
const CLIENT_SECRET = 'Cl1ent~Secret.Value_0123456789';
const ENV_CLEAN = { M365AUDIT_SMTP_PASSWORD: undefined, M365AUDIT_OAUTH_TOKEN: undefined, M365AUDIT_CLIENT_SECRET: undefined };

let dir: string;
let caFile: string;
let certAndKey: string;
let certOnly: string;
let keyOnly: string;
let fifo: string;
let big: string;
let good: TestSmtpServer;
const servers: TestSmtpServer[] = [];

async function server(opts: Parameters<typeof startMicrosoftLikeSmtpServer>[0] = {}): Promise<TestSmtpServer> {
  const s = await startMicrosoftLikeSmtpServer({ credentials: { user: USER, password: PASSWORD }, oauth: { user: USER, token: TOKEN }, ...opts });
  servers.push(s);
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'm365audit-oauth-'));
  good = await server();
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, good.caPem);
  const app = await createTestCertificates();
  certAndKey = join(dir, 'app.pem');
  certOnly = join(dir, 'app-cert.pem');
  keyOnly = join(dir, 'app-key.pem');
  await Promise.all([writeFile(certAndKey, `${app.certPem}\n${app.keyPem}`), writeFile(certOnly, app.certPem), writeFile(keyOnly, app.keyPem)]);
  fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  big = join(dir, 'big.pem');
  // Repeated BEGIN lines: the reader refuses the size before any parsing.
  await writeFile(big, '-----BEGIN CERTIFICATE-----\n'.repeat(10_000));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

const target = (s: TestSmtpServer): string => `${s.host}:${s.port}`;
type ProbeJson = { findings: { code: string; severity: string; message: string }[]; auth: { mechanism: string; outcome: string; reply: string | null } | null; oauth?: unknown };
const json = (r: CliResult): ProbeJson => JSON.parse(r.stdout) as ProbeJson;
const codes = (r: CliResult): string[] => json(r).findings.map((f) => f.code);

/** Neither the secret nor any form it travels in, on any stream. */
function noSecret(r: CliResult, secret: string, user = USER): void {
  for (const form of [secret, Buffer.from(secret).toString('base64'), xoauth2Response(user, secret)]) {
    expect(r.stdout).not.toContain(form);
    expect(r.stderr).not.toContain(form);
  }
}

describe('probe --oauth: AUTH XOAUTH2 with a token from the environment or stdin', () => {
  it('a token from M365AUDIT_OAUTH_TOKEN: accepted, exit 0, the source in the JSON, the token nowhere (also with --trace)', async () => {
    const r = await runInProcess(['probe', target(good), '--tls-ca', caFile, '--auth-user', USER, '--oauth', '--format', 'json', '--trace'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: TOKEN } });
    expect(r.code).toBe(0);
    const out = json(r);
    expect(out.findings).toEqual([]);
    expect(out.auth).toEqual({ user: USER, mechanism: 'XOAUTH2', outcome: 'accepted', reply: '235 2.7.0 Authentication successful', enhancedCode: '2.7.0', reason: null });
    // The claims decoded (no signature check: we are the client), never the token.
    expect(out.oauth).toEqual({ source: 'env', claims: expect.objectContaining({ format: 'jwt', kind: 'app', aud: ['https://outlook.office365.com'], roles: ['SMTP.SendAsApp'], tid: APP_CLAIMS.tid, appid: APP_CLAIMS.appid, credential: 'secret', exp: APP_CLAIMS.exp }) });
    // The JSON order: the oauth section follows auth.
    expect(Object.keys(out).slice(-5)).toEqual(['auth', 'oauth', 'findings', 'timing', 'run']);
    expect(r.stderr).toContain('C: AUTH XOAUTH2\n');
    expect(r.stderr).toContain('C: <redacted> (XOAUTH2 token, hidden)\n');
    expect(r.stderr).toContain('S: 235 2.7.0 Authentication successful');
    noSecret(r, TOKEN);
    expect(r.stdout + r.stderr).not.toContain(TOKEN.slice(100, 140));
  });

  it('a token from --token-stdin (a trailing newline dropped): accepted, source stdin; the trace shows AUTH XOAUTH2 <redacted>', async () => {
    const s = await server({ oauth: { user: USER, token: SHORT } });
    const r = await runInProcess(['probe', target(s), '--tls-ca', caFile, '--auth-user', USER, '--oauth', '--token-stdin', '--format', 'json', '--trace'], { env: ENV_CLEAN, input: `${SHORT}\n` });
    expect(r.code).toBe(0);
    expect(json(r).auth?.outcome).toBe('accepted');
    // An opaque token: nothing to decode, the server decides (OAUTH_TOKEN_OPAQUE, info).
    expect(json(r).oauth).toEqual({ source: 'stdin', claims: expect.objectContaining({ format: 'opaque', aud: [], roles: null }) });
    expect(json(r).findings.map((f) => [f.code, f.severity])).toEqual([['OAUTH_TOKEN_OPAQUE', 'info']]);
    expect(r.stderr).toContain('C: AUTH XOAUTH2 <redacted>\n');
    expect(s.authAttempts()).toEqual([{ method: 'XOAUTH2', user: USER, accepted: true }]);
    noSecret(r, SHORT);
  });

  it('the table shows the mechanism, the outcome and where the token came from', async () => {
    const r = await runInProcess(['probe', target(good), '--tls-ca', caFile, '--auth-user', USER, '--oauth'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: TOKEN } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${USER} via XOAUTH2: accepted: 235 2.7.0`);
    expect(r.stdout).toMatch(/OAuth token\s+│ from M365AUDIT_OAUTH_TOKEN/);
    expect(r.stdout).toContain('AUTH test as scanner@contoso.com');
    noSecret(r, TOKEN);
  });

  it('a rejected token: exit 1, SMTP_OAUTH_FAILED (the claims decide), the token nowhere', async () => {
    const wrong = `${TOKEN.slice(0, -6)}WRONG1`;
    const r = await runInProcess(['probe', target(good), '--tls-ca', caFile, '--auth-user', USER, '--oauth', '--format', 'json', '--trace'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: wrong } });
    expect(r.code).toBe(1);
    // The claims are right (audience, SMTP.SendAsApp, not expired), so the cause is on the Exchange side.
    expect(codes(r)).toEqual(['SMTP_OAUTH_FAILED', 'OAUTH_TOKEN_EXCHANGE_SETUP']);
    expect(json(r).findings[0]?.message).toMatch(/never tells the cause apart on the wire, so the token's claims decide/);
    expect(json(r).auth?.reply).toMatch(/^535 5\.7\.3 Authentication unsuccessful \[/);
    noSecret(r, wrong);
  });

  it('SMTP AUTH disabled (5.7.139): exit 1, SMTP_AUTH_DISABLED for XOAUTH2 too', async () => {
    const s = await server({ auth: MICROSOFT_AUTH_REPLIES.disabled });
    const r = await runInProcess(['probe', target(s), '--tls-ca', caFile, '--auth-user', USER, '--oauth', '--format', 'json'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: TOKEN } });
    expect(r.code).toBe(1);
    expect(codes(r)).toEqual(['SMTP_AUTH_DISABLED']);
    expect(json(r).auth?.outcome).toBe('disabled');
  });

  it('XOAUTH2 not offered: exit 0, SMTP_AUTH_OTHER (info), nothing sent', async () => {
    const s = await server({ mechanisms: ['LOGIN'] });
    const r = await runInProcess(['probe', target(s), '--tls-ca', caFile, '--auth-user', USER, '--oauth', '--format', 'json'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: TOKEN } });
    expect(r.code).toBe(0);
    expect(json(r).findings.map((f) => [f.code, f.severity])).toEqual([['SMTP_AUTH_OTHER', 'info']]);
    expect(json(r).auth?.outcome).toBe('not-offered');
    expect(s.commands()).not.toContain('AUTH');
  });

  it('refuses to send the token over TLS that did not verify, or without TLS: exit 2, one line, nothing sent; --insecure sends it', async () => {
    const s = await server();
    const r = await runInProcess(['probe', target(s), '--auth-user', USER, '--oauth', '--format', 'json'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: TOKEN } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/credentials not sent: the certificate did not verify/);
    expect(s.authAttempts()).toEqual([]);
    noSecret(r, TOKEN);
    const plain = await startHostileSmtpServer('no-starttls');
    servers.push(plain);
    const clear = await runInProcess(['probe', target(plain), '--auth-user', USER, '--oauth', '--format', 'json'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: TOKEN } });
    expect(clear.code).toBe(2);
    expect(clear.stderr).toMatch(/credentials not sent: the server offers no STARTTLS/);
    expect(plain.commands()).toEqual(['EHLO', 'QUIT']);
    const insecure = await runInProcess(['probe', target(s), '--insecure', '--auth-user', USER, '--oauth', '--format', 'json'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: TOKEN } });
    expect(insecure.code).toBe(1);
    expect(codes(insecure)).toEqual(['SMTP_TLS_CERT_INVALID']);
    expect(json(insecure).auth?.outcome).toBe('accepted');
  });

  it.each(['§', '§¤¶µ', 'a', 'abcd'])('a %j token (1 or 4 characters): never on stdout, stderr (--trace) or in the JSON', async (token) => {
    const s = await server({ oauth: { user: USER, token } });
    const r = await runInProcess(['probe', target(s), '--tls-ca', caFile, '--auth-user', USER, '--oauth', '--token-stdin', '--format', 'json', '--trace'], { env: ENV_CLEAN, input: token });
    expect(r.code).toBe(0);
    expect(json(r).auth?.outcome).toBe('accepted');
    expect(r.stderr).toContain('C: AUTH XOAUTH2 <redacted>\n');
    for (const form of [Buffer.from(token).toString('base64'), xoauth2Response(USER, token)]) expect(r.stdout + r.stderr).not.toContain(form);
    // Letters occur in the banner and EHLO; the symbols nowhere else, so their absence is asserted.
    if (!/^[a-z]+$/.test(token)) expect(r.stdout + r.stderr).not.toContain(token);
  });
});

describe('probe --oauth: an echoing server and a server whose verdict outranks the claims (issue 15 review)', () => {
  async function echoing(echo: (token: string) => string): Promise<TestSmtpServer> {
    const s = await startHostileSmtpServer('echo-oauth', { echo });
    servers.push(s);
    await writeFile(join(dir, `ca-${s.port}.pem`), s.caPem);
    return s;
  }
  const run = (s: TestSmtpServer, token = TOKEN, extra: string[] = []): Promise<CliResult> =>
    runInProcess(['probe', target(s), '--tls-ca', join(dir, `ca-${s.port}.pem`), '--auth-user', USER, '--oauth', '--format', 'json', '--trace', ...extra], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: token } });

  it.each([
    ['the token minus its last character', (t: string) => `535 5.7.3 bad token ${t.slice(0, -1)}`],
    ['base64 of x + the token', (t: string) => `535 5.7.3 ${Buffer.from(`x${t}`).toString('base64')}`],
  ])('a server answering %s: exit 1, SMTP_OAUTH_FAILED with 5.7.3, no run of the token on stdout or stderr (--trace)', async (_, echo) => {
    const r = await run(await echoing(echo));
    expect(r.code).toBe(1);
    expect(codes(r)[0]).toBe('SMTP_OAUTH_FAILED');
    expect(json(r).auth).toMatchObject({ outcome: 'rejected', reply: expect.stringMatching(/^535 5\.7\.3 \[line withheld/) });
    expectNoRun(r.stdout + r.stderr, TOKEN);
  });

  it('a DoD token for webmail.apps.mil that the server accepted: exit 0, OAUTH_TOKEN_ACCEPTED_UNLISTED (info), no OAUTH_TOKEN_AUDIENCE', async () => {
    const s = await server({ xoauth2: 'accept' });
    const token = `${b64u({ typ: 'JWT', alg: 'RS256' })}.${b64u({ ...APP_CLAIMS, aud: 'https://webmail.apps.mil' })}.c2lnbmF0dXJlLXBhcnQ`;
    const r = await runInProcess(['probe', target(s), '--tls-ca', caFile, '--cloud', 'dod', '--auth-user', USER, '--oauth', '--format', 'json'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: token } });
    expect(r.code).toBe(0);
    expect(json(r).auth?.outcome).toBe('accepted');
    expect(json(r).findings.map((f) => [f.code, f.severity])).toEqual([['OAUTH_TOKEN_ACCEPTED_UNLISTED', 'info']]);
  });

  it('XOAUTH2 not offered, an app token without SMTP.SendAsApp: the message says the token was not sent, not "try --oauth"', async () => {
    const s = await server({ mechanisms: ['LOGIN'] });
    const token = `${b64u({ typ: 'JWT', alg: 'RS256' })}.${b64u({ ...APP_CLAIMS, roles: undefined })}.c2lnbmF0dXJlLXBhcnQ`;
    const r = await runInProcess(['probe', target(s), '--tls-ca', caFile, '--auth-user', USER, '--oauth', '--format', 'json'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: token } });
    expect(json(r).auth?.outcome).toBe('not-offered');
    const f = json(r).findings.find((x) => x.code === 'OAUTH_TOKEN_NO_SMTP_PERMISSION');
    expect(f?.message).toMatch(/was not sent/);
    expect(f?.message).not.toMatch(/--oauth/);
  });
});

describe('probe: Basic auth (AUTH LOGIN) against Microsoft\'s timeline', () => {
  it('AUTH LOGIN accepted: SMTP_BASIC_AUTH_RETIRING (warning) saying when, from the table for today; exit 0, 1 with --fail-on warning', async () => {
    const args = ['probe', target(good), '--tls-ca', caFile, '--auth-user', USER, '--format', 'json'];
    const r = await runInProcess(args, { env: { ...ENV_CLEAN, M365AUDIT_SMTP_PASSWORD: PASSWORD } });
    expect(r.code).toBe(0);
    const f = json(r).findings;
    expect(f.map((x) => [x.code, x.severity])).toEqual([['SMTP_BASIC_AUTH_RETIRING', 'warning']]);
    expect(f[0]?.message).toContain(basicAuthOutlook(new Date()).summary);
    expect(f[0]?.message).toMatch(/December 2026/);
    const strict = await runInProcess([...args, '--fail-on', 'warning'], { env: { ...ENV_CLEAN, M365AUDIT_SMTP_PASSWORD: PASSWORD } });
    expect(strict.code).toBe(1);
  });

  it('550 5.7.30 to AUTH LOGIN: SMTP_BASIC_AUTH_RETIRED, exit 1; the same endpoint takes XOAUTH2', async () => {
    const s = await server({ login: MICROSOFT_AUTH_REPLIES.basicRetired });
    const basic = await runInProcess(['probe', target(s), '--tls-ca', caFile, '--auth-user', USER, '--format', 'json'], { env: { ...ENV_CLEAN, M365AUDIT_SMTP_PASSWORD: PASSWORD } });
    expect(basic.code).toBe(1);
    expect(codes(basic)).toEqual(['SMTP_BASIC_AUTH_RETIRED']);
    expect(json(basic).auth).toMatchObject({ mechanism: 'LOGIN', outcome: 'retired' });
    noSecret(basic, PASSWORD);
    const modern = await runInProcess(['probe', target(s), '--tls-ca', caFile, '--auth-user', USER, '--oauth', '--format', 'json'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: TOKEN } });
    expect(modern.code).toBe(0);
    expect(json(modern).auth?.outcome).toBe('accepted');
  });
});

describe('probe: usage errors of the credential options (one line, exit 2, nothing sent, no secret shown)', () => {
  const T = ['probe', '127.0.0.1:9', '--auth-user', USER];
  const cases: [string, string[], Record<string, string | undefined>, string, RegExp][] = [
    ['--oauth without --auth-user', ['probe', '127.0.0.1:9', '--oauth'], { M365AUDIT_OAUTH_TOKEN: TOKEN }, '', /--oauth needs --auth-user/],
    ['--token-stdin with --password-stdin', [...T, '--oauth', '--token-stdin', '--password-stdin'], {}, TOKEN, /--token-stdin cannot be used with --password-stdin/],
    ['--token-stdin without --oauth', [...T, '--token-stdin'], {}, TOKEN, /--token-stdin needs --oauth/],
    ['a grant option without --oauth', [...T, '--tenant-id', 'contoso.onmicrosoft.com'], { M365AUDIT_SMTP_PASSWORD: PASSWORD }, '', /--tenant-id needs --oauth/],
    ['a token in the environment and grant options', [...T, '--oauth', '--tenant-id', 'contoso.onmicrosoft.com', '--client-id', 'c1'], { M365AUDIT_OAUTH_TOKEN: TOKEN, M365AUDIT_CLIENT_SECRET: CLIENT_SECRET }, '', /M365AUDIT_OAUTH_TOKEN cannot be used with --tenant-id: give a token or the grant options, not both/],
    ['a token on stdin and grant options', [...T, '--oauth', '--token-stdin', '--client-id', 'c1'], {}, TOKEN, /--token-stdin cannot be used with --client-id/],
    ['a token in the environment and on stdin', [...T, '--oauth', '--token-stdin'], { M365AUDIT_OAUTH_TOKEN: TOKEN }, TOKEN, /give one token/],
    ['--client-id without --tenant-id', [...T, '--oauth', '--client-id', 'c1'], { M365AUDIT_CLIENT_SECRET: CLIENT_SECRET }, '', /--client-id needs --tenant-id/],
    ['--tenant-id without --client-id', [...T, '--oauth', '--tenant-id', 'contoso.onmicrosoft.com'], { M365AUDIT_CLIENT_SECRET: CLIENT_SECRET }, '', /--tenant-id needs --client-id/],
    ['--client-cert without --client-id', [...T, '--oauth', '--tenant-id', 'contoso.onmicrosoft.com', '--client-cert', 'app.pem'], {}, '', /--client-cert needs --client-id/],
    ['--client-key without --client-cert', [...T, '--oauth', '--tenant-id', 't', '--client-id', 'c1', '--client-key', 'key.pem'], { M365AUDIT_CLIENT_SECRET: CLIENT_SECRET }, '', /--client-key needs --client-cert/],
    ['an --authority that is not https', [...T, '--oauth', '--tenant-id', 'contoso.onmicrosoft.com', '--client-id', 'c1', '--authority', 'http://127.0.0.1:8443'], { M365AUDIT_CLIENT_SECRET: CLIENT_SECRET }, '', /--authority must be an https:\/\/ URL/],
    ['an --authority that is no URL', [...T, '--oauth', '--tenant-id', 'contoso.onmicrosoft.com', '--client-id', 'c1', '--authority', 'login host'], { M365AUDIT_CLIENT_SECRET: CLIENT_SECRET }, '', /--authority must be an https:\/\/ URL/],
    ['--oauth with --password-stdin', [...T, '--oauth', '--password-stdin'], { M365AUDIT_OAUTH_TOKEN: TOKEN }, PASSWORD, /--oauth cannot be used with --password-stdin/],
    ['--oauth with the password in the environment', [...T, '--oauth'], { M365AUDIT_OAUTH_TOKEN: TOKEN, M365AUDIT_SMTP_PASSWORD: PASSWORD }, '', /--oauth cannot be used with M365AUDIT_SMTP_PASSWORD set/],
    ['--oauth without a token or grant', [...T, '--oauth'], {}, '', /--oauth needs a token: set M365AUDIT_OAUTH_TOKEN, pass it on stdin with --token-stdin, or give --tenant-id and --client-id/],
    ['a token with CR LF (environment)', [...T, '--oauth'], { M365AUDIT_OAUTH_TOKEN: `${SHORT}\r\nQUIT` }, '', /M365AUDIT_OAUTH_TOKEN: the token must be a single line/],
    ['a token with LF (stdin)', [...T, '--oauth', '--token-stdin'], {}, `${SHORT}\nRSET\n`, /--token-stdin: the token must be a single line/],
    ['an empty token (environment)', [...T, '--oauth'], { M365AUDIT_OAUTH_TOKEN: '' }, '', /M365AUDIT_OAUTH_TOKEN: the token is empty/],
    ['an empty token (stdin)', [...T, '--oauth', '--token-stdin'], {}, '\n', /--token-stdin: the token is empty/],
    ['the client secret as a flag', [...T, '--oauth', '--tenant-id', 't', '--client-id', 'c1', `--client-secret=${CLIENT_SECRET}`], {}, '', /--client-secret: secrets are never taken from the command line; use M365AUDIT_CLIENT_SECRET/],
    ['the client secret as a flag, twice', [...T, '--client-secret', CLIENT_SECRET, '--client-secret', `${CLIENT_SECRET}2`], {}, '', /--client-secret: secrets are never taken from the command line/],
    ['the token as a flag', [...T, '--oauth', '--token', TOKEN], {}, '', /--token: secrets are never taken from the command line; use M365AUDIT_OAUTH_TOKEN or --token-stdin/],
    ['the password as a flag', [...T, `--password=${PASSWORD}`], {}, '', /--password: secrets are never taken from the command line; use M365AUDIT_SMTP_PASSWORD or --password-stdin/],
    ['a secret grant without the secret', [...T, '--oauth', '--tenant-id', 'contoso.onmicrosoft.com', '--client-id', 'c1'], {}, '', /--client-id needs a credential: set M365AUDIT_CLIENT_SECRET or give --client-cert FILE/],
    ['--tenant-id common', [...T, '--oauth', '--tenant-id', 'common', '--client-id', 'c1'], { M365AUDIT_CLIENT_SECRET: CLIENT_SECRET }, '', /--tenant-id must be the tenant GUID or a verified domain/],
    ['a certificate and the secret', [...T, '--oauth', '--tenant-id', 't.example', '--client-id', 'c1', '--client-cert', '@CERT_AND_KEY'], { M365AUDIT_CLIENT_SECRET: CLIENT_SECRET }, '', /--client-cert cannot be used with M365AUDIT_CLIENT_SECRET set: give one credential/],
    ['a certificate file without its key', [...T, '--oauth', '--tenant-id', 't.example', '--client-id', 'c1', '--client-cert', '@CERT_ONLY'], {}, '', /--client-cert .*: no private key found \(give it with --client-key FILE\)$/m],
    ['a token in the environment longer than 64 KiB', [...T, '--oauth'], { M365AUDIT_OAUTH_TOKEN: `${TOKEN}${'x'.repeat(70_000)}` }, '', /^m365audit: M365AUDIT_OAUTH_TOKEN: the token is longer than 64 KiB$/m],
    ['an unknown --name=VALUE is shown without its value', [...T, `--secret=${CLIENT_SECRET}`], {}, '', /^m365audit: unknown option '--secret=…' \(its value not shown\)/m],
    ['a misspelt secret flag with its value', [...T, `--pasword=${PASSWORD}`], {}, '', /unknown option '--pasword=…'/],
    ['a value given to a flag that takes none', [...T, '--oauth', `--token-stdin=${SHORT}`], {}, '', /--token-stdin/],
    ['a device for a certificate file (/dev/zero: never read whole)', [...T, '--oauth', '--tenant-id', 't.example', '--client-id', 'c1', '--client-cert', '/dev/zero'], {}, '', /^m365audit: cannot read --client-cert \/dev\/zero: not a regular file$/m],
    ['a FIFO for a key file (never waited on)', [...T, '--oauth', '--tenant-id', 't.example', '--client-id', 'c1', '--client-cert', '@CERT_ONLY', '--client-key', '@FIFO'], {}, '', /cannot read --client-key .*fifo: not a regular file$/m],
    ['a certificate file larger than 64 KiB', [...T, '--oauth', '--tenant-id', 't.example', '--client-id', 'c1', '--client-cert', '@BIG'], {}, '', /cannot read --client-cert .*big\.pem: larger than 64 KiB$/m],
    ['a certificate file that is missing', [...T, '--oauth', '--tenant-id', 't.example', '--client-id', 'c1', '--client-cert', '@MISSING'], {}, '', /cannot read --client-cert .*missing\.pem: ENOENT/],
    ['a key file that holds no key', [...T, '--oauth', '--tenant-id', 't.example', '--client-id', 'c1', '--client-cert', '@CERT_ONLY', '--client-key', '@CERT_ONLY'], {}, '', /--client-key .*: no private key found$/m],
    // The grant's input is checked before any request: a certificate whose key cannot sign PS256 is a usage error (the grant itself: test/cli/oauth-grant.test.ts).
    ['the certificate grant with an EC key (PS256 needs RSA)', [...T, '--oauth', '--tenant-id', 'contoso.onmicrosoft.com', '--client-id', 'c1', '--client-cert', '@CERT_ONLY', '--client-key', '@KEY_ONLY'], {}, '', /^m365audit: --client-key .*: the key is ec, not RSA$/m],
    ['the same, one file', [...T, '--oauth', '--tenant-id', 'contoso.onmicrosoft.com', '--client-id', 'c1', '--client-cert', '@CERT_AND_KEY'], {}, '', /the key is ec, not RSA/],
  ];

  it.each(cases)('%s', async (_name, args, env, input, message) => {
    const files: Record<string, string> = { '@CERT_AND_KEY': certAndKey, '@CERT_ONLY': certOnly, '@KEY_ONLY': keyOnly, '@MISSING': join(dir, 'missing.pem'), '@FIFO': fifo, '@BIG': big };
    const r = await runInProcess(args.map((a) => files[a] ?? a), { env: { ...ENV_CLEAN, ...env }, input });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    for (const secret of [TOKEN, PASSWORD, CLIENT_SECRET, SHORT]) {
      expect(r.stderr).not.toContain(secret);
      expect(r.stderr).not.toContain(Buffer.from(secret).toString('base64'));
    }
  });
});
