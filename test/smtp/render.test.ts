import { describe, expect, it } from 'vitest';
import { finding } from '../../src/findings/catalog.js';
import { probeVerdict, renderProbeJson, renderProbeSummary, renderProbeTable } from '../../src/report/probe.js';
import type { OAuthClaimFacts, ProbeResult } from '../../src/smtp/types.js';

function result(over: Partial<ProbeResult> = {}): ProbeResult {
  return {
    host: 'smtp.office365.com', port: 587, tls: 'starttls', reachable: true,
    banner: '220 MW4PR03CA0001.outlook.office365.com Microsoft ESMTP MAIL Service ready at Thu, 1 Jan 2026 00:00:00 +0000',
    ehlo: { beforeTls: ['SIZE 157286400', 'STARTTLS'], afterTls: ['SIZE 157286400', 'AUTH LOGIN XOAUTH2'] },
    starttls: true, tlsVersion: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384',
    certificate: { subject: 'CN=outlook.com', issuer: 'CN=DigiCert', altNames: ['smtp.office365.com'], validFrom: '2026-01-01T00:00:00.000Z', validTo: '2027-01-01T00:00:00.000Z', fingerprint256: 'AA:BB', verified: true, error: null },
    authMechanisms: ['LOGIN', 'XOAUTH2'], auth: null, findings: [],
    timing: { connectMs: 10, bannerMs: 20, tlsMs: 30, totalMs: 90 },
    ...over,
  };
}

describe('probe renderers', () => {
  it('shows the facts of a clean probe', () => {
    const text = renderProbeTable(result());
    for (const s of ['smtp.office365.com:587 (STARTTLS)', 'TLSv1.3 TLS_AES_256_GCM_SHA384', 'LOGIN, XOAUTH2', 'verified', 'no findings', 'connect 10 ms']) expect(text).toContain(s);
    expect(probeVerdict(result())).toBe('ok');
  });

  it('escapes control characters and bidi overrides from server text', () => {
    const r = result({
      banner: '220 evil\x1b]0;pwned\x07 \u202Eroot',
      ehlo: { beforeTls: ['X-\x1b[2JCLEAR'], afterTls: null },
      findings: [finding('SMTP_BANNER_NOT_M365', 'banner', { evidence: '220 \x1b[31mred' })],
    });
    for (const text of [renderProbeTable(r, { color: false }), renderProbeSummary([r])]) {
      expect(text).not.toContain('\x1b');
      expect(text).not.toContain('\u202E');
    }
    const table = renderProbeTable(r);
    expect(table).toContain('\\x1b]0;pwned\\x07');
    expect(table).toContain('\\u202e');
  });

  it('summarises failed probes with their findings', () => {
    const r = result({ reachable: false, banner: null, tlsVersion: null, certificate: null, authMechanisms: null, findings: [finding('SMTP_UNREACHABLE', 'smtp.office365.com:587: the connection was refused.')] });
    expect(probeVerdict(r)).toBe('failed');
    expect(renderProbeSummary([r])).toBe('SMTP smtp.office365.com:587: failed (unreachable)\n  ✗ error   SMTP_UNREACHABLE: smtp.office365.com:587: the connection was refused.\n');
  });

  it('prints the AUTH test outcome and JSON with the contract fields', () => {
    const r = result({ auth: { user: 'u@contoso.com', mechanism: 'LOGIN', outcome: 'rejected', reply: '535 5.7.3 Authentication unsuccessful', enhancedCode: '5.7.3', reason: null } });
    expect(renderProbeTable(r)).toContain('u@contoso.com via LOGIN: rejected: 535 5.7.3');
    const json = JSON.parse(renderProbeJson(r)) as Record<string, unknown>;
    for (const k of ['host', 'port', 'reachable', 'banner', 'starttls', 'tlsVersion', 'cipher', 'certificate', 'authMechanisms', 'findings', 'timing', 'ehlo', 'auth']) expect(json).toHaveProperty(k);
  });

  it('shows the XOAUTH2 test, the token\'s source and its claims, escaped; never a token field', () => {
    const claims: OAuthClaimFacts = {
      format: 'jwt', kind: 'app', alg: 'RS256', aud: ['https://graph.microsoft.com\x1b[31m'], roles: ['SMTP.SendAsApp', 'x\u202ey'], scp: null,
      tid: '11111111-2222-3333-4444-555555555555', iss: null, appid: 'app-id', appidacr: '1', credential: 'secret', idtyp: 'app', ver: '1.0',
      oid: null, exp: 1_796_083_200, nbf: null, iat: null, expiresAt: '2026-12-01T00:00:00.000Z',
    };
    const r = result({
      auth: { user: 'u@contoso.com', mechanism: 'XOAUTH2', outcome: 'rejected', reply: '535 5.7.3 Authentication unsuccessful', enhancedCode: '5.7.3', reason: null },
      oauth: { source: 'stdin', claims },
      findings: [finding('SMTP_OAUTH_FAILED', 'rejected')],
    });
    const text = renderProbeTable(r);
    expect(text).toContain('u@contoso.com via XOAUTH2: rejected: 535 5.7.3');
    expect(text).toMatch(/OAuth token\s+│ from stdin \(--token-stdin\)/);
    for (const s of ['aud: https://graph.microsoft.com\\x1b[31m', 'roles: SMTP.SendAsApp x\\u202ey', 'tid: 11111111-2222-3333-4444-555555555555', 'exp: 2026-12-01T00:00:00.000Z', 'idtyp: app']) expect(text).toContain(s);
    expect(text).not.toMatch(/[\x1b\u202e]/);
    expect(text).not.toContain('scp:');
    // A claim that is no date is shown as the number, not thrown on.
    expect(renderProbeTable(result({ oauth: { source: 'env', claims: { ...claims, exp: 1e300 } } }))).toContain('exp: 1e+300');
    expect(renderProbeTable(result({ oauth: { source: 'env', claims: null } }))).toMatch(/from M365AUDIT_OAUTH_TOKEN[\s│]+claims: not decoded/);
    expect(renderProbeTable(result({ oauth: { source: 'env', claims: { ...claims, format: 'opaque' } } }))).toMatch(/claims: none readable \(not a JWT\)/);
    const failed = renderProbeTable(result({ oauth: { source: 'secret', claims: null, tokenUrl: 'https://login.example/t\x1b', error: { kind: 'aadsts', status: 401, error: 'invalid_client', codes: [7000215], description: null, traceId: null, correlationId: null, timestamp: null } } }));
    expect(failed).toContain('token endpoint: https://login.example/t\\x1b');
    expect(failed).toContain('no token: invalid_client (AADSTS7000215)');
    expect(probeVerdict(r)).toBe('failed');
  });
});
