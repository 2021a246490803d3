/**
 * The client-credentials grant end to end, in process: `probe --oauth` and
 * `send-paths --oauth` with --tenant-id/--client-id and a secret
 * (M365AUDIT_CLIENT_SECRET) or a certificate (--client-cert), against the
 * sandbox's Entra stand-in (src/sandbox/token-endpoint.ts) and its
 * Microsoft-like SMTP endpoint, which accepts a token the way Exchange
 * Online does: signed by the token endpoint, for Exchange Online's
 * resource, with SMTP.SendAsApp (or, for App RBAC, without the role), not
 * expired. Both servers share one certificate, so one --tls-ca trusts both.
 * Loopback only; the secret, the token and the assertion on no stream.
 */
import crypto from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientCertificate, startTokenEndpoint, type SandboxTokenEndpoint, type TestDnsServer } from '../../src/sandbox/index.js';
import { xoauth2Response } from '../../src/smtp/probe.js';
import { runInProcess, type CliResult } from '../support/cli.js';
import { createTestCertificates, startMicrosoftLikeSmtpServer, type TestSmtpServer } from '../support/smtp-servers.js';
import { startFixtureServer } from '../support/fixtures.js';
import { PATHS_NAMES } from '../support/send-paths.js';
import { expectNoRun } from '../support/leaks.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP = '11111111-2222-3333-4444-555555555555';
const CERT_APP = '22222222-3333-4444-5555-666666666666';
const GRAPH_APP = '33333333-4444-5555-6666-777777777777';
const RBAC_APP = '44444444-5555-6666-7777-888888888888';
/** An app whose tokens carry the client secret in their claims (appid, tid, aud whole; a role with it minus its last character). */
const LEAKY_APP = '55555555-6666-7777-8888-999999999999';
const SECRET = 'Gr4nt~Secret.Value_0123456789abcdef';
const OLD_SECRET = 'Old~Secret.Value_9876543210';
const USER = 'scanner@contoso.com';
const ENV_CLEAN = { M365AUDIT_SMTP_PASSWORD: undefined, M365AUDIT_OAUTH_TOKEN: undefined, M365AUDIT_CLIENT_SECRET: undefined };

let dir: string;
let caFile: string;
let certFile: string;
let certOnlyFile: string;
let keyOnlyFile: string;
let chainFile: string;
let entra: SandboxTokenEndpoint;
let smtp: TestSmtpServer;
let rbacSmtp: TestSmtpServer;
let dns: TestDnsServer;
/** Every token the SMTP endpoints were shown: none may appear in any output. */
const tokensSeen: string[] = [];

/** Exchange Online's checks, as far as a token shows them: the token endpoint's signature, the audience, the role (unless App RBAC), the expiry. */
function exchangeAccepts(requireRole: boolean) {
  return (token: string): boolean => {
    tokensSeen.push(token);
    const [h, p, sig] = token.split('.');
    if (!h || !p || !sig) return false;
    if (!crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), entra.signingKeyPem, Buffer.from(sig, 'base64url'))) return false;
    const c = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { aud?: string | string[]; roles?: string[]; exp?: number };
    const roleOk = !requireRole || (c.roles ?? []).includes('SMTP.SendAsApp');
    return [c.aud].flat().includes('https://outlook.office365.com') && roleOk && (c.exp ?? 0) > Date.now() / 1000;
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'm365audit-grant-'));
  // One certificate for both servers (one --tls-ca), naming the paths-in.test MX host too (send-paths' port-25 probe).
  const [certificates, appCert] = await Promise.all([createTestCertificates({ names: PATHS_NAMES }), createClientCertificate()]);
  entra = await startTokenEndpoint({
    certificates,
    tenants: [{ id: TENANT, domains: ['contoso.onmicrosoft.com'] }],
    apps: [
      { clientId: APP, tenantId: TENANT, secret: SECRET, expiredSecret: OLD_SECRET },
      { clientId: CERT_APP, tenantId: TENANT, certificatePem: appCert.certPem },
      { clientId: GRAPH_APP, tenantId: TENANT, secret: SECRET, claims: { aud: 'https://graph.microsoft.com' } },
      { clientId: RBAC_APP, tenantId: TENANT, secret: SECRET, claims: { roles: null } },
      { clientId: LEAKY_APP, tenantId: TENANT, secret: SECRET, claims: { appid: SECRET, tid: SECRET, aud: ['https://outlook.office365.com', SECRET], roles: ['SMTP.SendAsApp', `x${SECRET.slice(0, -1)}`] } },
    ],
  });
  [smtp, rbacSmtp, dns] = await Promise.all([
    startMicrosoftLikeSmtpServer({ certificates, oauth: { user: USER, accepts: exchangeAccepts(true) } }),
    startMicrosoftLikeSmtpServer({ certificates, oauth: { user: USER, accepts: exchangeAccepts(false) } }),
    startFixtureServer(),
  ]);
  caFile = join(dir, 'ca.pem');
  certFile = join(dir, 'app.pem');
  certOnlyFile = join(dir, 'app-cert.pem');
  keyOnlyFile = join(dir, 'app-key.pem');
  chainFile = join(dir, 'app-chain.pem');
  await Promise.all([writeFile(caFile, certificates.caPem), writeFile(certFile, appCert.combinedPem), writeFile(certOnlyFile, appCert.certPem), writeFile(keyOnlyFile, appCert.keyPem), writeFile(chainFile, `${certificates.caPem}\n${appCert.combinedPem}`)]);
}, 60_000);
afterAll(async () => {
  await Promise.all([entra.close(), smtp.close(), rbacSmtp.close(), dns.close()]);
  await rm(dir, { recursive: true, force: true });
});

interface ProbeJson {
  findings: { code: string; severity: string; evidence?: string; fix?: string; message: string }[];
  auth: { mechanism: string; outcome: string } | null;
  oauth?: { source: string; tokenUrl?: string; claims: Record<string, unknown> | null; error?: { kind: string; codes: number[]; error: string | null; network?: string } };
}
const json = (r: CliResult): ProbeJson => JSON.parse(r.stdout) as ProbeJson;
const codes = (r: CliResult): string[] => json(r).findings.map((f) => f.code);

const grant = (clientId: string, server = smtp): string[] => ['probe', `${server.host}:${server.port}`, '--tls-ca', caFile, '--auth-user', USER, '--oauth', '--tenant-id', TENANT, '--client-id', clientId, '--authority', entra.url, '--format', 'json'];
const withSecret = (secret = SECRET) => ({ env: { ...ENV_CLEAN, M365AUDIT_CLIENT_SECRET: secret } });

/** Neither the secret, nor a token, nor an assertion, in any form, on any stream. */
function nothingSecret(r: CliResult): void {
  const assertions = entra.requests().map((q) => q.form.client_assertion).filter((a): a is string => typeof a === 'string');
  const secrets = [SECRET, OLD_SECRET, encodeURIComponent(SECRET), ...tokensSeen, ...tokensSeen.map((t) => xoauth2Response(USER, t)), ...assertions];
  for (const s of secrets) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
  // No piece of a token either (its signature part is the secret part).
  for (const t of tokensSeen) {
    const sig = t.split('.')[2] ?? t;
    expect(r.stdout + r.stderr).not.toContain(sig.slice(0, 24));
  }
}

describe('probe --oauth with the client-credentials grant', () => {
  it('a secret: the token endpoint gives a token, Exchange accepts it, exit 0; the JSON says source secret, the token URL and the claims', async () => {
    const before = entra.requests().length;
    const r = await runInProcess([...grant(APP), '--trace'], withSecret());
    expect(r.code).toBe(0);
    const out = json(r);
    expect(out.findings).toEqual([]);
    expect(out.auth).toMatchObject({ mechanism: 'XOAUTH2', outcome: 'accepted' });
    expect(out.oauth).toMatchObject({ source: 'secret', tokenUrl: `${entra.url}/${TENANT}/oauth2/v2.0/token`, claims: { format: 'jwt', kind: 'app', aud: ['https://outlook.office365.com'], roles: ['SMTP.SendAsApp'], tid: TENANT, appid: APP, credential: 'secret' } });
    // One request, the form Learn gives for a secret.
    const sent = entra.requests().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.form).toEqual({ client_id: APP, client_secret: SECRET, scope: 'https://outlook.office365.com/.default', grant_type: 'client_credentials' });
    expect(r.stderr).toContain('C: AUTH XOAUTH2');
    expect(r.stderr).toContain('S: 235 2.7.0 Authentication successful');
    nothingSecret(r);
  });

  it('a certificate (one PEM, or the certificate and key apart): a PS256 assertion with x5t#S256, source certificate, exit 0', async () => {
    // A PEM with a CA before the certificate (a chain) is fine: the certificate the key belongs to signs.
    for (const files of [[certFile], [certOnlyFile, '--client-key', keyOnlyFile], [chainFile]]) {
      const before = entra.requests().length;
      const r = await runInProcess([...grant(CERT_APP), '--client-cert', ...files], { env: ENV_CLEAN });
      expect(r.code).toBe(0);
      expect(json(r).oauth).toMatchObject({ source: 'certificate', claims: { credential: 'certificate', appid: CERT_APP } });
      const [sent] = entra.requests().slice(before);
      expect(sent?.answer).toBe('token');
      expect(sent?.form).toMatchObject({ client_id: CERT_APP, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', grant_type: 'client_credentials' });
      expect(sent?.form.client_secret).toBeUndefined();
      expect(sent?.assertion?.header).toMatchObject({ alg: 'PS256', typ: 'JWT', 'x5t#S256': expect.any(String) });
      expect(sent?.assertion?.claims).toMatchObject({ iss: CERT_APP, sub: CERT_APP, aud: `${entra.url}/${TENANT}/oauth2/v2.0/token` });
      nothingSecret(r);
    }
  });

  it.each([
    ['a wrong secret', 'a-wrong-secret-value', 7000215, 'invalid_client'],
    ['an expired secret', OLD_SECRET, 7000222, 'invalid_client'],
  ])('%s: OAUTH_TOKEN_ERROR with the AADSTS code and its fix, exit 1, no AUTH sent', async (_name, secret, code, error) => {
    const attempts = smtp.authAttempts().length;
    const r = await runInProcess(grant(APP), withSecret(secret));
    expect(r.code).toBe(1);
    expect(codes(r)).toEqual(['OAUTH_TOKEN_ERROR']);
    const f = json(r).findings[0];
    expect(f?.evidence).toContain(`AADSTS${code}`);
    expect(f?.fix).toBeTruthy();
    expect(json(r).auth).toBeNull();
    expect(json(r).oauth).toMatchObject({ source: 'secret', claims: null, error: { kind: 'aadsts', codes: [code], error } });
    expect(smtp.authAttempts()).toHaveLength(attempts);
    expect(r.stdout + r.stderr).not.toContain(secret);
    nothingSecret(r);
  });

  it('an unknown tenant: AADSTS90002, and the table says so in words', async () => {
    const args = grant(APP).map((a) => (a === TENANT ? '00000000-0000-0000-0000-000000000001' : a)).filter((a) => a !== 'json' && a !== '--format');
    const r = await runInProcess(args, withSecret());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('OAUTH_TOKEN_ERROR');
    expect(r.stdout).toContain('no token: invalid_request (AADSTS90002)');
    nothingSecret(r);
  });

  it('a token endpoint that does not answer (nothing on the port): OAUTH_TOKEN_ERROR (network), exit 1', async () => {
    const r = await runInProcess(grant(APP).map((a) => (a === entra.url ? 'https://127.0.0.1:9' : a)), withSecret());
    expect(r.code).toBe(1);
    expect(codes(r)).toEqual(['OAUTH_TOKEN_ERROR']);
    expect(json(r).oauth?.error).toMatchObject({ kind: 'network', network: 'refused' });
  });

  it('a token for the wrong audience (Graph): Exchange says 535 5.7.3, the claims say why (OAUTH_TOKEN_AUDIENCE), exit 1', async () => {
    const r = await runInProcess(grant(GRAPH_APP), withSecret());
    expect(r.code).toBe(1);
    expect(codes(r)).toEqual(['SMTP_OAUTH_FAILED', 'OAUTH_TOKEN_AUDIENCE']);
    expect(json(r).oauth?.claims).toMatchObject({ aud: ['https://graph.microsoft.com'] });
    expect(json(r).findings[1]?.evidence).toContain('https://graph.microsoft.com');
    nothingSecret(r);
  });

  it('an app token without SMTP.SendAsApp: refused → OAUTH_TOKEN_NO_SMTP_PERMISSION (exit 1); accepted (Exchange App RBAC) → OAUTH_TOKEN_APP_RBAC, info (exit 0)', async () => {
    const refused = await runInProcess(grant(RBAC_APP), withSecret());
    expect(refused.code).toBe(1);
    expect(codes(refused)).toEqual(['SMTP_OAUTH_FAILED', 'OAUTH_TOKEN_NO_SMTP_PERMISSION']);
    expect(json(refused).findings[1]?.fix).toMatch(/SMTP\.SendAsApp/);
    const rbac = await runInProcess(grant(RBAC_APP, rbacSmtp), withSecret());
    expect(rbac.code).toBe(0);
    expect(json(rbac).findings.map((f) => [f.code, f.severity])).toEqual([['OAUTH_TOKEN_APP_RBAC', 'info']]);
    nothingSecret(refused);
    nothingSecret(rbac);
  });

  it('an expired token given in the environment: Exchange refuses, OAUTH_TOKEN_EXPIRED says why, exit 1', async () => {
    const b64u = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) - 3600;
    const token = `${b64u({ typ: 'JWT', alg: 'RS256' })}.${b64u({ aud: 'https://outlook.office365.com', roles: ['SMTP.SendAsApp'], tid: TENANT, appid: APP, idtyp: 'app', exp })}.c2lnbmF0dXJl`;
    tokensSeen.push(token);
    const r = await runInProcess(['probe', `${smtp.host}:${smtp.port}`, '--tls-ca', caFile, '--auth-user', USER, '--oauth', '--format', 'json'], { env: { ...ENV_CLEAN, M365AUDIT_OAUTH_TOKEN: token } });
    expect(r.code).toBe(1);
    expect(codes(r)).toEqual(['SMTP_OAUTH_FAILED', 'OAUTH_TOKEN_EXPIRED']);
    expect(json(r).oauth).toMatchObject({ source: 'env', claims: { exp } });
    nothingSecret(r);
  });
});

describe('probe --oauth with the grant: no run of the secret or the assertion, whatever the endpoint sends back (issue 15 review)', () => {
  /** Runs the grant with the endpoint answering `handler` (the request's form at hand), then puts it back. */
  async function answered(handler: (form: URLSearchParams) => { status: number; headers?: Record<string, string>; body: string }, args: string[], env: { env: Record<string, string | undefined> } = withSecret()): Promise<CliResult> {
    entra.override((req) => handler(new URLSearchParams(req.body)));
    try {
      return await runInProcess([...args, '--trace'], env);
    } finally {
      entra.override(null);
    }
  }
  const seen = (r: CliResult): string => r.stdout + r.stderr;

  it('error_description carrying the secret minus its last character: exit 1, OAUTH_TOKEN_ERROR naming the code, the description withheld', async () => {
    const r = await answered(() => ({ status: 401, body: JSON.stringify({ error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided: ${SECRET.slice(0, -1)}`, error_codes: [7000215] }) }), grant(APP));
    expect(r.code).toBe(1);
    expect(codes(r)).toEqual(['OAUTH_TOKEN_ERROR']);
    expect(json(r).oauth?.error).toMatchObject({ kind: 'aadsts', codes: [7000215] });
    expectNoRun(seen(r), SECRET);
    nothingSecret(r);
  });

  it('a 500 whose JSON escapes the secret (\\u0047r4nt…): exit 1, the evidence withheld', async () => {
    const body = `{"message":"bad secret \\u00${SECRET.charCodeAt(0).toString(16)}${SECRET.slice(1)}"}`;
    expect(JSON.parse(body)).toEqual({ message: `bad secret ${SECRET}` });
    const r = await answered(() => ({ status: 500, headers: { 'content-type': 'application/json' }, body }), grant(APP));
    expect(r.code).toBe(1);
    expect(json(r).oauth?.error).toMatchObject({ kind: 'http' });
    expectNoRun(seen(r), SECRET);
  });

  it('the assertion\'s signature minus its last character in the description (--client-cert): exit 1, withheld', async () => {
    let signature = '';
    const r = await answered((form) => {
      const assertion = form.get('client_assertion') ?? '';
      signature = assertion.slice(assertion.lastIndexOf('.') + 1);
      return { status: 401, body: JSON.stringify({ error: 'invalid_client', error_description: `AADSTS700027: bad signature ${signature.slice(0, -1)}`, error_codes: [700027] }) };
    }, [...grant(CERT_APP), '--client-cert', certFile], { env: ENV_CLEAN });
    expect(r.code).toBe(1);
    expect(signature.length).toBeGreaterThan(300);
    expect(json(r).oauth?.error).toMatchObject({ kind: 'aadsts', codes: [700027] });
    expectNoRun(seen(r), signature);
  });

  it('a token whose claims carry the secret (appid, tid, aud, roles): exit 0, the secret in neither the JSON nor the table', async () => {
    const r = await runInProcess([...grant(LEAKY_APP), '--trace'], withSecret());
    expect(r.code).toBe(0);
    expect(json(r).auth).toMatchObject({ outcome: 'accepted' });
    expect(json(r).oauth?.claims).toMatchObject({ aud: ['https://outlook.office365.com', '***'], appid: '***', tid: '***', roles: ['SMTP.SendAsApp', expect.stringMatching(/^\[withheld/)] });
    expectNoRun(seen(r), SECRET);
    const table = await runInProcess(grant(LEAKY_APP).filter((a) => a !== 'json' && a !== '--format'), withSecret());
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('withheld');
    expectNoRun(seen(table), SECRET);
  });
});

describe('send-paths --oauth with the grant', () => {
  const paths = (secret: string): Promise<CliResult> => runInProcess(
    ['send-paths', 'paths-in.test', '--ip', '192.0.2.25', '--dns-server', dns.server, '--timeout', '2000', '--probe-host', `${smtp.host}:${smtp.port}`, '--probe-mx-port', String(smtp.port), '--tls-ca', caFile,
      '--auth-user', USER, '--oauth', '--tenant-id', TENANT, '--client-id', APP, '--authority', entra.url, '--format', 'json'],
    withSecret(secret),
  );
  type PathsJson = { findings: { code: string }[]; paths: { path: string; verdict: string; conditions: { check: string; state: string; codes: string[] }[] }[]; submission: ProbeJson };

  it('a good secret: the AUTH condition is ok (XOAUTH2 accepted), the token facts ride on the submission probe', async () => {
    const r = await paths(SECRET);
    const doc = JSON.parse(r.stdout) as PathsJson;
    const auth = doc.paths.find((p) => p.path === 'smtp-auth')?.conditions.find((c) => c.check === 'auth');
    expect(auth).toMatchObject({ state: 'ok', codes: [] });
    expect(doc.submission.oauth).toMatchObject({ source: 'secret', claims: { roles: ['SMTP.SendAsApp'] } });
    nothingSecret(r);
  });

  it('the grant asks for the cloud the domain is in: GCC High from its MX, so the GCC High Exchange Online scope', async () => {
    const before = entra.requests().length;
    const r = await runInProcess(
      ['send-paths', 'paths-gcc.test', '--ip', '192.0.2.25', '--dns-server', dns.server, '--timeout', '2000', '--probe-host', `${smtp.host}:${smtp.port}`, '--probe-mx-port', String(smtp.port), '--tls-ca', caFile,
        '--auth-user', USER, '--oauth', '--tenant-id', TENANT, '--client-id', APP, '--authority', entra.url, '--format', 'json'],
      withSecret(SECRET),
    );
    const doc = JSON.parse(r.stdout) as PathsJson & { cloud: string };
    expect(doc.cloud).toBe('gcc-high');
    const sent = entra.requests().slice(before);
    expect(sent.map((q) => q.form.scope)).toEqual(['https://outlook.office365.us/.default']);
    // The sandbox stands in for worldwide Entra: it refuses that scope (AADSTS70011), and says so.
    expect(doc.submission.oauth?.error).toMatchObject({ kind: 'aadsts', codes: [70011] });
    nothingSecret(r);
  });

  it('a wrong secret: no token, the AUTH condition is blocked by OAUTH_TOKEN_ERROR, exit 1', async () => {
    const r = await paths('not-the-secret');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as PathsJson;
    const auth = doc.paths.find((p) => p.path === 'smtp-auth')?.conditions.find((c) => c.check === 'auth');
    expect(auth).toMatchObject({ state: 'blocked', codes: ['OAUTH_TOKEN_ERROR'] });
    expect(doc.paths.find((p) => p.path === 'smtp-auth')?.verdict).toBe('blocked');
    expect(doc.findings.map((f) => f.code)).toContain('OAUTH_TOKEN_ERROR');
    expect(r.stdout + r.stderr).not.toContain('not-the-secret');
    nothingSecret(r);
  });
});
