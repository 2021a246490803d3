import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsClient } from '../../src/http/client.js';
import { createClientCertificate, createTestCertificates, startTokenEndpoint, type ClientCertificatePems, type HttpsHandler, type SandboxTokenEndpoint } from '../../src/sandbox/index.js';
import { expectNoRun } from '../support/leaks.js';
import { findAadsts } from '../../src/smtp/aadsts.js';
import { withTokenDiagnosis } from '../../src/smtp/oauth-result.js';
import type { ProbeResult } from '../../src/smtp/types.js';
import { acquireToken, MAX_DESCRIPTION, MAX_ERROR_CODES, parseClientCertificate, SECRET_WITHHELD, type TokenContext, type TokenFailure, type TokenRequest, type TokenResult } from '../../src/smtp/token.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP = '11111111-2222-3333-4444-555555555555';
const CERT_APP = '22222222-3333-4444-5555-666666666666';
/** An app whose tokens carry the client secret in their claims (a hostile or broken endpoint). */
const LEAKY_APP = '33333333-4444-5555-6666-777777777777';
const SECRET = 'Xq8~Yp.Zz_0123456789abcdefghijklmnop+/=&%';
const OLD_SECRET = 'old~secret.value_0123456789';
const SHORT_SECRETS = ['§', '¤', '¶µ'];
const NOW = new Date('2026-12-01T10:00:00Z');
const NOW_S = NOW.getTime() / 1000;

let endpoint: SandboxTokenEndpoint;
let gcc: SandboxTokenEndpoint;
let cert: ClientCertificatePems;
let otherCert: ClientCertificatePems;
let ctx: TokenContext;

beforeAll(async () => {
  [cert, otherCert] = await Promise.all([createClientCertificate(), createClientCertificate({ commonName: 'other' })]);
  const apps = [
    { clientId: APP, tenantId: TENANT, secret: SECRET, expiredSecret: OLD_SECRET },
    { clientId: CERT_APP, tenantId: TENANT, certificatePem: cert.certPem },
    { clientId: LEAKY_APP, tenantId: TENANT, secret: SECRET, claims: { appid: SECRET, tid: SECRET, aud: ['https://outlook.office365.com', SECRET], roles: ['SMTP.SendAsApp', `x${SECRET.slice(0, -1)}`] } },
    ...SHORT_SECRETS.map((secret, i) => ({ clientId: `0000000${i}-0000-0000-0000-000000000000`, tenantId: TENANT, secret })),
  ];
  [endpoint, gcc] = await Promise.all([
    startTokenEndpoint({ clock: () => NOW, apps }),
    startTokenEndpoint({ clock: () => NOW, apps, resource: 'https://outlook.office365.us' }),
  ]);
  ctx = { https: createHttpsClient({ ca: endpoint.caPem, timeoutMs: 5_000 }), clock: () => NOW };
}, 60_000);
afterAll(() => Promise.all([endpoint.close(), gcc.close()]));
afterAll(() => {
  endpoint.override(null);
  endpoint.fail(null);
});

const secretReq = (over: Partial<TokenRequest> = {}): TokenRequest => ({ cloud: 'worldwide', tenantId: TENANT, clientId: APP, credential: { kind: 'secret', secret: SECRET }, authority: endpoint.url, ...over });
const certReq = (over: Partial<TokenRequest> = {}): TokenRequest => ({ cloud: 'worldwide', tenantId: TENANT, clientId: CERT_APP, credential: { kind: 'certificate', certPem: cert.combinedPem }, authority: endpoint.url, ...over });
const failed = (r: TokenResult): TokenFailure => {
  if (r.ok) throw new Error('expected a failure');
  return r;
};
/** Runs with a raw answer from the endpoint, then puts it back. */
async function withAnswer(handler: HttpsHandler, req: TokenRequest = secretReq(), c: TokenContext = ctx): Promise<TokenResult> {
  endpoint.override(handler);
  try {
    return await acquireToken(c, req);
  } finally {
    endpoint.override(null);
  }
}
async function withError(code: number): Promise<TokenFailure> {
  endpoint.fail(code);
  try {
    return failed(await acquireToken(ctx, secretReq()));
  } finally {
    endpoint.fail(null);
  }
}
const lastRequest = (e: SandboxTokenEndpoint = endpoint) => e.requests().at(-1);

describe('acquireToken with a client secret', () => {
  it('gets a token: the exact form body, the token, its lifetime and claims', async () => {
    const r = await acquireToken(ctx, secretReq());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.expiresIn).toBe(3599);
    expect(r.tokenUrl).toBe(`${endpoint.url}/${TENANT}/oauth2/v2.0/token`);
    expect(r.accessToken.split('.')).toHaveLength(3);
    expect(r.claims).toMatchObject({ format: 'jwt', kind: 'app', aud: ['https://outlook.office365.com'], roles: ['SMTP.SendAsApp'], tid: TENANT, appid: APP, credential: 'secret' });
    expect(lastRequest()?.form).toEqual({ client_id: APP, scope: 'https://outlook.office365.com/.default', grant_type: 'client_credentials', client_secret: SECRET });
    expect(lastRequest()?.tenant).toBe(TENANT);
  });

  it("asks for the cloud's Exchange Online resource: gcc-high's scope is https://outlook.office365.us/.default", async () => {
    const r = await acquireToken(ctx, secretReq({ cloud: 'gcc-high', authority: `${gcc.url}/` }));
    expect(r.ok).toBe(true);
    expect(lastRequest(gcc)?.form.scope).toBe('https://outlook.office365.us/.default');
    // The worldwide scope at that endpoint is the wrong resource: 70011.
    const wrong = failed(await acquireToken(ctx, secretReq({ authority: gcc.url })));
    expect(wrong.error.codes).toEqual([70011]);
  });
});

describe('acquireToken with a certificate', () => {
  it('signs a PS256 assertion with x5t#S256 and Learn\'s claims; the endpoint verifies it', async () => {
    const r = await acquireToken(ctx, certReq());
    expect(r.ok && r.claims.credential).toBe('certificate');
    const req = lastRequest();
    expect(Object.keys(req?.form ?? {}).sort()).toEqual(['client_assertion', 'client_assertion_type', 'client_id', 'grant_type', 'scope']);
    expect(req?.form.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const der = new crypto.X509Certificate(cert.certPem).raw;
    expect(req?.assertion?.header).toEqual({ alg: 'PS256', typ: 'JWT', 'x5t#S256': crypto.createHash('sha256').update(der).digest('base64url') });
    const claims = req?.assertion?.claims ?? {};
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'sub']);
    expect(claims).toMatchObject({ aud: `${endpoint.url}/${TENANT}/oauth2/v2.0/token`, iss: CERT_APP, sub: CERT_APP, iat: NOW_S, nbf: NOW_S, exp: NOW_S + 600 });
    expect(claims.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('takes the certificate and key as two PEMs, and the right certificate out of a chain', async () => {
    expect((await acquireToken(ctx, certReq({ credential: { kind: 'certificate', certPem: cert.certPem, keyPem: cert.keyPem } }))).ok).toBe(true);
    const chain = `${otherCert.certPem}\n${cert.certPem}\n${cert.keyPem}`;
    expect((await acquireToken(ctx, certReq({ credential: { kind: 'certificate', certPem: chain } }))).ok).toBe(true);
  });

  it('a certificate the app does not have: AADSTS700027 with its fix', async () => {
    const r = failed(await acquireToken(ctx, certReq({ credential: { kind: 'certificate', certPem: otherCert.combinedPem } })));
    expect(r.error).toMatchObject({ kind: 'aadsts', status: 401, error: 'invalid_client', codes: [700027] });
    expect(r.finding.fix).toBe(`${findAadsts(700027)?.fix} (https://login.microsoftonline.com/error?code=700027)`);
  });

  it('a credential that cannot be used is a clear error before any request: encrypted, unparsable, no key, mismatched, not RSA, too large', async () => {
    const encrypted = await createClientCertificate({ passphrase: 'pw' });
    const ec = await createTestCertificates();
    const cases: [string, string | undefined, string][] = [
      [encrypted.certPem, encrypted.keyPem, 'encrypted-key'],
      ['-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n' + cert.keyPem, undefined, 'unparsable'],
      ['just text', undefined, 'unparsable'],
      ['', undefined, 'no-certificate'],
      [cert.certPem, undefined, 'no-key'],
      [cert.certPem, otherCert.keyPem, 'key-mismatch'],
      [ec.certPem, ec.keyPem, 'not-rsa'],
      [cert.certPem + ' '.repeat(70_000), cert.keyPem, 'too-large'],
      [cert.certPem, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', 'unparsable'],
    ];
    const before = endpoint.requests().length;
    for (const [certPem, keyPem, problem] of cases) {
      const parsed = parseClientCertificate(certPem, keyPem);
      expect(parsed.ok ? 'ok' : parsed.problem, problem).toBe(problem);
      const r = failed(await acquireToken(ctx, certReq({ credential: keyPem === undefined ? { kind: 'certificate', certPem } : { kind: 'certificate', certPem, keyPem } })));
      expect(r.error.kind).toBe('credential');
      expect(r.finding.code).toBe('OAUTH_TOKEN_ERROR');
      expect(r.finding.message).toMatch(/^No token: the client certificate cannot be used: /);
      // No key material in anything returned (the fix names the PEM headers, never a key's bytes).
      for (const pem of [certPem, keyPem ?? '']) for (const line of pem.split('\n').filter((l) => l.length > 40)) expect(JSON.stringify(r)).not.toContain(line);
    }
    expect(endpoint.requests().length).toBe(before);
    const ok = parseClientCertificate(cert.combinedPem);
    expect(ok.ok && ok.certificate.thumbprintSha1).toBe(new crypto.X509Certificate(cert.certPem).fingerprint.replace(/:/g, ''));
  });
});

describe('acquireToken: AADSTS errors become OAUTH_TOKEN_ERROR with the codes as evidence', () => {
  it.each([
    ['a wrong secret', 7000215, () => secretReq({ credential: { kind: 'secret', secret: 'a-wrong-secret-value-0123456789' } }), 401, 'invalid_client'],
    ['an expired secret', 7000222, () => secretReq({ credential: { kind: 'secret', secret: OLD_SECRET } }), 401, 'invalid_client'],
    ['an unknown tenant', 90002, () => secretReq({ tenantId: '00000000-0000-0000-0000-00000000beef' }), 400, 'invalid_request'],
    ['a tenant that is not a name', 900023, () => secretReq({ tenantId: 'contoso' }), 400, 'invalid_request'],
    ['an unknown app', 700016, () => secretReq({ clientId: '99999999-9999-9999-9999-999999999999' }), 400, 'unauthorized_client'],
  ] as const)('%s: AADSTS%s', async (_name, code, req, status, error) => {
    const r = failed(await acquireToken(ctx, req()));
    expect(r.error).toMatchObject({ kind: 'aadsts', status, error, codes: [code] });
    expect(r.error.description).toMatch(new RegExp(`^AADSTS${code}: `));
    expect(r.error.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.error.timestamp).toBe('2026-12-01 10:00:00Z');
    expect(r.finding).toMatchObject({ code: 'OAUTH_TOKEN_ERROR', severity: 'error', area: 'smtp' });
    expect(r.finding.message).toBe(`The token endpoint refused the grant: AADSTS${code} (${findAadsts(code)?.title}).`);
    expect(r.finding.evidence).toMatch(new RegExp(`^HTTP ${status} ${error}, error_codes \\[${code}\\]; trace_id ${r.error.traceId}; correlation_id ${r.error.correlationId}: AADSTS${code}: [^\\r\\n]+$`));
    expect(r.finding.fix).toBe(`${findAadsts(code)?.fix} (https://login.microsoftonline.com/error?code=${code})`);
  });

  it('/common and /consumers are refused up front (AADSTS9001023), with no request', async () => {
    const before = endpoint.requests().length;
    for (const tenantId of ['common', 'Consumers', ' common ']) {
      const r = failed(await acquireToken(ctx, secretReq({ tenantId })));
      expect(r.error).toMatchObject({ kind: 'request', codes: [] });
      expect(r.finding.message).toMatch(/AADSTS9001023/);
      expect(r.finding.fix).toBe(findAadsts(9001023)?.fix);
    }
    expect(endpoint.requests().length).toBe(before);
  });

  it('an error on demand: the codes listed, the fix of the first one the catalog knows; an unknown one links its page', async () => {
    const r = await withAnswer(() => ({ status: 400, body: JSON.stringify({ error: 'invalid_request', error_description: 'AADSTS50000: x', error_codes: [50000, 7000215, 'x', 7000222] }) }));
    const f = failed(r);
    expect(f.error.codes).toEqual([50000, 7000215, 7000222]);
    expect(f.finding.message).toBe('The token endpoint refused the grant: AADSTS50000, AADSTS7000215, AADSTS7000222 (Invalid client secret provided).');
    expect(f.finding.fix).toMatch(/^Send the secret's Value/);
    const unknown = await withError(123456);
    expect(unknown.finding.fix).toBe('See https://login.microsoftonline.com/error?code=123456; the description says more.');
    expect((await withError(53003)).error.codes).toEqual([53003]);
    // No error_codes: the number of the description.
    const fromText = failed(await withAnswer(() => ({ status: 400, body: JSON.stringify({ error: 'invalid_scope', error_description: 'AADSTS70011: The scope is not valid.' }) })));
    expect(fromText.error.codes).toEqual([70011]);
  });

  it('keeps what the endpoint says bounded: the description cut, at most 10 codes', async () => {
    const f = failed(await withAnswer(() => ({ status: 400, body: JSON.stringify({ error: 'e'.repeat(5000), error_description: `AADSTS7000215: ${'d'.repeat(100_000)}`, error_codes: Array(1000).fill(7000215), trace_id: 't'.repeat(10_000) }) })));
    expect(f.error.codes).toHaveLength(MAX_ERROR_CODES);
    expect(f.error.description?.length).toBeLessThan(MAX_DESCRIPTION + 40);
    expect(f.error.error?.length).toBeLessThan(140);
    expect(f.error.traceId?.length).toBeLessThan(140);
    expect(f.finding.evidence?.length).toBeLessThan(2100);
  });
});

describe('acquireToken: answers that are not a token, and no answer', () => {
  it('a 200 with an empty or missing access_token, not JSON, or not Bearer, is an error', async () => {
    const empty = failed(await withAnswer(() => ({ status: 200, body: JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: '' }) })));
    expect(empty.error).toMatchObject({ kind: 'answer', status: 200 });
    expect(empty.finding.message).toMatch(/answered 200 without an access token/);
    expect(failed(await withAnswer(() => ({ status: 200, body: '{}' }))).error.kind).toBe('answer');
    expect(failed(await withAnswer(() => ({ status: 200, body: JSON.stringify({ access_token: '   ' }) }))).error.kind).toBe('answer');
    const html = failed(await withAnswer(() => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>sign in</html>' })));
    expect(html.error).toMatchObject({ kind: 'answer', description: 'the answer is not JSON' });
    expect(html.finding.evidence).toBe('HTTP 200, text/html: <html>sign in</html>');
    expect(failed(await withAnswer(() => ({ status: 200, body: JSON.stringify({ access_token: 'abc', token_type: 'pop' }) }))).error.kind).toBe('answer');
  });

  it('a non-JSON error page and a redirect are HTTP failures; the redirect is not followed', async () => {
    const page = failed(await withAnswer(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' })));
    expect(page.error).toMatchObject({ kind: 'http', status: 502, codes: [] });
    expect(page.finding.evidence).toBe('HTTP 502, text/html: <html>Bad gateway</html>');
    const before = endpoint.requests().length;
    const moved = failed(await withAnswer(() => ({ status: 302, headers: { location: 'https://login.example/elsewhere' } })));
    expect(moved.error).toMatchObject({ kind: 'http', status: 302 });
    expect(moved.finding.message).toContain('redirected to https://login.example/elsewhere');
    expect(endpoint.requests().length).toBe(before + 1);
    expect(failed(await withAnswer(() => ({ status: 404, body: '{}' }))).error).toMatchObject({ kind: 'http', status: 404 });
  });

  it('no answer in time, a certificate that does not verify, a refused port: network failures', async () => {
    const quick: TokenContext = { https: createHttpsClient({ ca: endpoint.caPem, timeoutMs: 300 }), clock: () => NOW };
    const slow = failed(await withAnswer(() => new Promise(() => undefined), secretReq(), quick));
    expect(slow.error).toMatchObject({ kind: 'network', network: 'timeout' });
    expect(slow.finding.message).toMatch(/did not answer in time/);
    const untrusted = failed(await acquireToken({ https: createHttpsClient({ timeoutMs: 5_000 }) }, secretReq()));
    expect(untrusted.error).toMatchObject({ kind: 'network', network: 'tls' });
    expect(untrusted.finding.fix).toMatch(/--tls-ca/);
    const closed = await startTokenEndpoint({ apps: [] });
    const url = closed.url;
    await closed.close();
    expect(failed(await acquireToken(ctx, secretReq({ authority: url }))).error).toMatchObject({ kind: 'network', network: 'refused' });
  });

  it('a request that cannot be sent: a bad authority, tenant or client ID, an empty secret', async () => {
    for (const over of [{ authority: 'http://127.0.0.1:1' }, { authority: 'https://h/?x=1' }, { authority: 'not a url' }, { tenantId: 'a/b' }, { tenantId: '' }, { clientId: ' ' }, { clientId: 'a b' }] as Partial<TokenRequest>[]) {
      expect(failed(await acquireToken(ctx, secretReq(over))).error.kind, JSON.stringify(over)).toBe('request');
    }
    expect(failed(await acquireToken(ctx, secretReq({ credential: { kind: 'secret', secret: '' } }))).error.kind).toBe('credential');
    // A path in the authority is kept.
    const r = failed(await withAnswer(() => ({ status: 404 }), secretReq({ authority: `${endpoint.url}/prefix/` })));
    expect(r.error.kind).toBe('http');
    expect(endpoint.requests().at(-1)?.tenant).toBeNull();
  });
});

describe('acquireToken: the secret and the assertion appear in nothing returned', () => {
  /** An endpoint that echoes the whole form body in every field, JSON or not. */
  const echo = (json: boolean): HttpsHandler => (req) => json
    ? { status: 401, body: JSON.stringify({ error: `invalid_client ${req.body}`, error_description: `AADSTS7000215: you sent ${req.body} and ${decodeURIComponent(req.body)}`, error_codes: [7000215], trace_id: req.body, correlation_id: decodeURIComponent(req.body) }) }
    : { status: 500, headers: { 'content-type': `text/plain; ${req.body}` }, body: `${decodeURIComponent(req.body)} ${req.body}` };
  const forms = (s: string): string[] => [s, encodeURIComponent(s), new URLSearchParams({ s }).toString().slice(2), Buffer.from(s).toString('base64')];

  it('a long secret is cut out of the echo, the rest kept', async () => {
    for (const json of [true, false]) {
      const r = failed(await withAnswer(echo(json)));
      const all = JSON.stringify(r);
      for (const f of forms(SECRET)) expect(all, f).not.toContain(f);
      if (json) expect(r.error.description).toMatch(/^AADSTS7000215: you sent client_id=/);
      expect(all).toContain('***');
    }
  });

  it.each(SHORT_SECRETS)('a %j secret (1 or 2 characters): every echoing string is withheld', async (secret) => {
    const req = secretReq({ clientId: `0000000${SHORT_SECRETS.indexOf(secret)}-0000-0000-0000-000000000000`, credential: { kind: 'secret', secret } });
    // The sandbox takes it: the short secret goes through as it is.
    expect((await acquireToken(ctx, req)).ok).toBe(true);
    expect(lastRequest()?.form.client_secret).toBe(secret);
    for (const json of [true, false]) {
      const r = failed(await withAnswer(echo(json), req));
      const all = JSON.stringify(r);
      for (const f of forms(secret)) expect(all, f).not.toContain(f);
      if (json) {
        expect(r.error.description).toBe(SECRET_WITHHELD);
        // The decoded echo holds the secret as it is: withheld whole. (The form-encoded echo of a secret
        // whose encoding is 8 characters or more, like ¶µ's, is cut out instead: checked by `forms` above.)
        expect(r.error.correlationId).toBe(SECRET_WITHHELD);
        expect(r.error.codes).toEqual([7000215]);
      } else {
        expect(r.finding.evidence).toBe(SECRET_WITHHELD);
      }
    }
    // A wrong short secret: the failure names the code, never the secret.
    const wrong = failed(await acquireToken(ctx, { ...req, credential: { kind: 'secret', secret: '¢' } }));
    expect(wrong.error.codes).toEqual([7000215]);
    expect(JSON.stringify(wrong)).not.toContain('¢');
  });

  it('the assertion (and its signature) never comes back, even when echoed', async () => {
    for (const json of [true, false]) {
      const r = failed(await withAnswer(echo(json), certReq()));
      const sent = lastRequest()?.form.client_assertion ?? '';
      expect(sent.length).toBeGreaterThan(100);
      const all = JSON.stringify(r);
      expect(all).not.toContain(sent);
      expect(all).not.toContain(sent.slice(sent.lastIndexOf('.') + 1));
    }
  });


  it('error_description with the secret minus its last character: the description withheld, the codes and their title kept', async () => {
    const r = failed(await withAnswer(() => ({ status: 401, body: JSON.stringify({ error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided: ${SECRET.slice(0, -1)}`, error_codes: [7000215] }) })));
    expect(r.error).toMatchObject({ kind: 'aadsts', status: 401, error: 'invalid_client', codes: [7000215], description: SECRET_WITHHELD });
    expect(r.finding.message).toContain('AADSTS7000215');
    expectNoRun(JSON.stringify(r), SECRET);
  });

  it('a 500 whose JSON escapes the secret (\\u0047…, or every character): the evidence withheld', async () => {
    const escape = (s: string, all: boolean): string => [...s].map((c, i) => (all || i === 0 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('');
    for (const all of [false, true]) {
      const body = `{"message":"bad secret ${escape(SECRET, all)}"}`;
      expect(JSON.parse(body)).toEqual({ message: `bad secret ${SECRET}` });
      const r = failed(await withAnswer(() => ({ status: 500, headers: { 'content-type': 'application/json' }, body })));
      expect(r.error).toMatchObject({ kind: 'http', status: 500 });
      expect(r.finding.evidence).toBe(SECRET_WITHHELD);
      const text = JSON.stringify(r);
      expectNoRun(text, SECRET);
      expectNoRun(text, escape(SECRET, all));
    }
  });

  it('the assertion\'s signature minus its last character in the description: withheld', async () => {
    let signature = '';
    const r = failed(await withAnswer((req) => {
      const assertion = new URLSearchParams(req.body).get('client_assertion') ?? '';
      signature = assertion.slice(assertion.lastIndexOf('.') + 1);
      return { status: 401, body: JSON.stringify({ error: 'invalid_client', error_description: `AADSTS700027: bad signature ${signature.slice(0, -1)}`, error_codes: [700027] }) };
    }, certReq()));
    expect(signature.length).toBeGreaterThan(300);
    expect(r.error).toMatchObject({ codes: [700027], description: SECRET_WITHHELD });
    expectNoRun(JSON.stringify(r), signature);
  });

  it('a token whose claims carry the secret: the success result and the diagnosis show it nowhere; the claims still decide', async () => {
    const r = await acquireToken(ctx, secretReq({ clientId: LEAKY_APP }));
    if (!r.ok) throw new Error('expected a token');
    // The whole secret is cut (***); a part of it withholds the claim.
    expect(r.claims).toMatchObject({ aud: ['https://outlook.office365.com', '***'], appid: '***', tid: '***', roles: ['SMTP.SendAsApp', SECRET_WITHHELD] });
    expectNoRun(JSON.stringify({ ...r, accessToken: '' }), SECRET);
    const probed = { host: '127.0.0.1', port: 587, tls: 'starttls', reachable: true, banner: null, ehlo: { beforeTls: null, afterTls: null }, starttls: true, tlsVersion: 'TLSv1.3', cipher: null, certificate: null, authMechanisms: ['XOAUTH2'], auth: { user: 'u@contoso.com', mechanism: 'XOAUTH2', outcome: 'accepted', reply: '235 2.7.0 Authentication successful', enhancedCode: '2.7.0', reason: null }, findings: [], timing: { connectMs: 1, bannerMs: 1, tlsMs: 1, totalMs: 3 } } satisfies ProbeResult;
    const d = withTokenDiagnosis(probed, r.accessToken, { cloud: 'worldwide', source: 'secret', now: NOW, tenantId: TENANT, tokenUrl: r.tokenUrl });
    // The audience (one of them Exchange Online's) and the role decide on the real values: only the tenant differs (info).
    expect(d.findings.map((f) => f.code)).toEqual(['OAUTH_TOKEN_TENANT_MISMATCH']);
    expect(d.oauth?.claims).toMatchObject({ aud: ['https://outlook.office365.com', '***'], appid: '***', tid: '***', roles: ['SMTP.SendAsApp', SECRET_WITHHELD] });
    expectNoRun(JSON.stringify(d), SECRET);
  });
});
