import crypto from 'node:crypto';
import { importSPKI, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsClient, type HttpsClient } from '../../src/http/client.js';
import { createClientCertificate, SANDBOX_AADSTS, startTokenEndpoint, type ClientCertificatePems, type SandboxTokenEndpoint } from '../../src/sandbox/index.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP = '11111111-2222-3333-4444-555555555555';
const CERT_APP = '22222222-3333-4444-5555-666666666666';
const BARE_APP = '33333333-4444-5555-6666-777777777777';
const SECRET = 'sandbox-secret-value~0123456789';
const OLD_SECRET = 'sandbox-old-secret~9876543210';
const SCOPE = 'https://outlook.office365.com/.default';
const NOW = new Date('2026-12-01T10:00:00Z');
const NOW_S = NOW.getTime() / 1000;

let endpoint: SandboxTokenEndpoint;
let http: HttpsClient;
let cert: ClientCertificatePems;
let otherCert: ClientCertificatePems;

beforeAll(async () => {
  [cert, otherCert] = await Promise.all([createClientCertificate(), createClientCertificate({ commonName: 'another app' })]);
  endpoint = await startTokenEndpoint({
    clock: () => NOW,
    tenants: [{ id: TENANT, domains: ['contoso.onmicrosoft.com'] }],
    apps: [
      { clientId: APP, tenantId: TENANT, secret: SECRET, expiredSecret: OLD_SECRET },
      { clientId: CERT_APP, tenantId: TENANT, certificatePem: cert.certPem, claims: { roles: null, aud: 'https://graph.microsoft.com', extra: 'yes' } },
      { clientId: BARE_APP, tenantId: TENANT, disabled: true, secret: SECRET },
    ],
  });
  http = createHttpsClient({ ca: endpoint.caPem, timeoutMs: 5_000 });
}, 60_000);
afterAll(() => endpoint.close());

interface Answer { status: number; json: Record<string, unknown> }
async function post(fields: Record<string, string>, tenant = TENANT): Promise<Answer> {
  const r = await http.request(endpoint.tokenUrl(tenant), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  if (r.kind !== 'ok') throw new Error(`no answer: ${r.kind}`);
  return { status: r.status, json: JSON.parse(r.body) as Record<string, unknown> };
}
const secretForm = (over: Record<string, string> = {}): Record<string, string> => ({ client_id: APP, scope: SCOPE, grant_type: 'client_credentials', client_secret: SECRET, ...over });

/** An assertion as Learn describes it (PS256, x5t#S256, aud = the token URL), with parts to spoil. */
async function assertion(over: { key?: string; certPem?: string; claims?: Record<string, unknown>; alg?: string } = {}): Promise<string> {
  const x509 = new crypto.X509Certificate(over.certPem ?? cert.certPem);
  const claims = { aud: endpoint.tokenUrl(TENANT), iss: CERT_APP, sub: CERT_APP, jti: crypto.randomUUID(), nbf: NOW_S, iat: NOW_S, exp: NOW_S + 600, ...over.claims };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: over.alg ?? 'PS256', typ: 'JWT', 'x5t#S256': crypto.createHash('sha256').update(x509.raw).digest('base64url') })
    .sign(crypto.createPrivateKey(over.key ?? cert.keyPem));
}
const certForm = async (over: Parameters<typeof assertion>[0] = {}): Promise<Record<string, string>> => ({
  client_id: CERT_APP, scope: SCOPE, grant_type: 'client_credentials',
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion(over),
});

/** Entra's error body: status, error, `AADSTS<n>: ` first, the trace lines, error_codes, ids. */
function expectAadsts(a: Answer, code: number): void {
  expect(a.json.error_codes, JSON.stringify(a.json)).toEqual([code]);
  expect(a.status).toBe(SANDBOX_AADSTS[code]?.status);
  expect(a.json.error).toBe(SANDBOX_AADSTS[code]?.error);
  const d = String(a.json.error_description);
  expect(d.startsWith(`AADSTS${code}: `)).toBe(true);
  expect(d).toContain(`\r\nTrace ID: ${String(a.json.trace_id)}\r\nCorrelation ID: ${String(a.json.correlation_id)}\r\nTimestamp: 2026-12-01 10:00:00Z`);
  expect(a.json.timestamp).toBe('2026-12-01 10:00:00Z');
  expect(a.json.trace_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(a.json.error_uri).toBe(`https://login.microsoftonline.com/error?code=${code}`);
}

describe('the sandbox token endpoint: client secret', () => {
  it('issues a Bearer JWT signed by its key, with Entra v1 EXO app claims', async () => {
    const a = await post(secretForm());
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    const { payload, protectedHeader } = await jwtVerify(String(a.json.access_token), await importSPKI(endpoint.signingKeyPem, 'RS256'), { currentDate: NOW });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ aud: 'https://outlook.office365.com', iss: `https://sts.windows.net/${TENANT}/`, appid: APP, appidacr: '1', idtyp: 'app', roles: ['SMTP.SendAsApp'], tid: TENANT, ver: '1.0', iat: NOW_S, nbf: NOW_S, exp: NOW_S + 3599 });
    expect(payload.oid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // A domain of the tenant names it too.
    expect((await post(secretForm(), 'contoso.onmicrosoft.com')).status).toBe(200);
  });

  it('answers the natural errors with Entra-shaped bodies', async () => {
    expectAadsts(await post(secretForm({ client_secret: 'wrong' })), 7000215);
    expectAadsts(await post(secretForm({ client_secret: OLD_SECRET })), 7000222);
    expectAadsts(await post(secretForm({ client_id: '99999999-0000-0000-0000-000000000000' })), 700016);
    expectAadsts(await post(secretForm(), '00000000-0000-0000-0000-000000000009'), 90002);
    expectAadsts(await post(secretForm(), 'fabrikam.com'), 90002);
    expectAadsts(await post(secretForm(), 'contoso'), 900023);
    expectAadsts(await post(secretForm(), 'common'), 9001023);
    expectAadsts(await post(secretForm(), 'Consumers'), 9001023);
    expectAadsts(await post(secretForm({ scope: 'https://graph.microsoft.com/.default' })), 70011);
    expectAadsts(await post(secretForm({ scope: 'https://outlook.office365.com/SMTP.SendAsApp' })), 1002012);
    expectAadsts(await post(secretForm({ grant_type: 'password' })), 70003);
    expectAadsts(await post({ scope: SCOPE, grant_type: 'client_credentials', client_secret: SECRET }), 900144);
    expectAadsts(await post({ client_id: APP, scope: SCOPE, grant_type: 'client_credentials' }), 7000218);
    expectAadsts(await post(secretForm({ client_id: BARE_APP })), 7000112);
    const unknownApp = await post(secretForm({ client_id: 'abc' }));
    expect(unknownApp.json.error_description).toMatch(/^AADSTS700016: Application with identifier 'abc' was not found in the directory '72f988bf-/);
  });
});

describe('the sandbox token endpoint: certificate assertions', () => {
  it('verifies a PS256 assertion against the registered certificate and issues a token with the app\'s claims', async () => {
    const a = await post(await certForm());
    expect(a.status).toBe(200);
    const { payload } = await jwtVerify(String(a.json.access_token), await importSPKI(endpoint.signingKeyPem, 'RS256'), { currentDate: NOW });
    expect(payload).toMatchObject({ appid: CERT_APP, appidacr: '2', aud: 'https://graph.microsoft.com', extra: 'yes' });
    expect(payload.roles).toBeUndefined();
    // The legacy form (RS256) is accepted too.
    expect((await post(await certForm({ alg: 'RS256' }))).status).toBe(200);
  });

  it('refuses a spoiled assertion with the code Entra gives', async () => {
    // Signed by another key while naming the registered certificate; naming another certificate; made for an app without one.
    expectAadsts(await post(await certForm({ key: otherCert.keyPem })), 700027);
    expectAadsts(await post(await certForm({ certPem: otherCert.certPem, key: otherCert.keyPem })), 700027);
    expectAadsts(await post({ ...(await certForm({ claims: { iss: APP, sub: APP } })), client_id: APP }), 700027);
    expectAadsts(await post(await certForm({ claims: { iss: APP } })), 700021);
    expectAadsts(await post(await certForm({ claims: { aud: 'https://login.microsoftonline.com/x/oauth2/v2.0/token' } })), 700023);
    expectAadsts(await post(await certForm({ claims: { exp: NOW_S - 3600, nbf: NOW_S - 4200, iat: NOW_S - 4200 } })), 700024);
    expectAadsts(await post(await certForm({ claims: { nbf: NOW_S + 3600, exp: NOW_S + 4200 } })), 700024);
    const garbled = await certForm();
    expectAadsts(await post({ ...garbled, client_assertion: `${garbled.client_assertion ?? ''}x` }), 700027);
    expectAadsts(await post({ ...garbled, client_assertion_type: 'jwt' }), 900144);
  });

  it('records each request: the tenant, the form fields and the decoded assertion', async () => {
    const before = endpoint.requests().length;
    await post(await certForm());
    const [r] = endpoint.requests().slice(before);
    expect(r?.tenant).toBe(TENANT);
    expect(Object.keys(r?.form ?? {}).sort()).toEqual(['client_assertion', 'client_assertion_type', 'client_id', 'grant_type', 'scope']);
    expect(r?.assertion?.header).toMatchObject({ alg: 'PS256', typ: 'JWT' });
    expect(r?.assertion?.claims).toMatchObject({ iss: CERT_APP, sub: CERT_APP, aud: endpoint.tokenUrl(TENANT) });
    expect(r?.answer).toBe('token');
  });
});

describe('the sandbox token endpoint: on demand', () => {
  it('answers a chosen AADSTS error to every request until told otherwise, then a raw answer, then normal again', async () => {
    endpoint.fail(53003);
    const blocked = await post(secretForm());
    expect(blocked.json.error_codes).toEqual([53003]);
    expect(blocked.status).toBe(400);
    endpoint.fail({ code: 7000215, text: 'custom words' });
    expect((await post(secretForm())).json.error_description).toMatch(/^AADSTS7000215: custom words\r\nTrace ID: /);
    endpoint.fail(null);
    endpoint.override(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>bad gateway</html>' }));
    const raw = await http.request(endpoint.tokenUrl(TENANT), { method: 'POST', body: 'x=1' });
    expect(raw).toMatchObject({ kind: 'ok', status: 502, body: '<html>bad gateway</html>' });
    endpoint.override(null);
    expect((await post(secretForm())).status).toBe(200);
    expect(endpoint.requests().slice(-4).map((r) => r.answer)).toEqual(['AADSTS53003', 'AADSTS7000215', 'override', 'token']);
  });

  it('404 for a path that is not a token path', async () => {
    const r = await http.request(`${endpoint.url}/${TENANT}/oauth2/token`, { method: 'POST', body: '' });
    expect(r).toMatchObject({ kind: 'ok', status: 404 });
  });
});
