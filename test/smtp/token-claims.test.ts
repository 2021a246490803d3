import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/findings/catalog.js';
import { EXO_APP_ID } from '../../src/m365/clouds.js';
import { diagnoseToken, MAX_TOKEN_LENGTH, parseTokenClaims, type DiagnoseOptions } from '../../src/smtp/token-claims.js';

const NOW = new Date('2026-12-01T10:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP = '11111111-2222-3333-4444-555555555555';
const SP = '99999999-8888-7777-6666-555555555555';

const b64u = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
/** A JWT as Entra shapes an EXO app token (v1.0, research §1/§3); the signature is not checked, so any bytes do. */
function jwt(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT', x5t: 'abc' }): string {
  return `${b64u(header)}.${b64u(claims)}.c2lnbmF0dXJl`;
}
const APP_TOKEN = {
  aud: 'https://outlook.office365.com', iss: `https://sts.windows.net/${TENANT}/`, iat: NOW_S - 60, nbf: NOW_S - 60, exp: NOW_S + 3540,
  appid: APP, appidacr: '2', idtyp: 'app', oid: SP, roles: ['SMTP.SendAsApp'], tid: TENANT, ver: '1.0',
};
const diagnose = (claims: Record<string, unknown>, opts: Partial<DiagnoseOptions> = {}) => diagnoseToken(jwt(claims), { cloud: 'worldwide', now: NOW, ...opts });
const codes = (claims: Record<string, unknown>, opts: Partial<DiagnoseOptions> = {}) => diagnose(claims, opts).findings.map((f) => f.code);

describe('parseTokenClaims: the facts, unverified', () => {
  it('reads an EXO app token: aud as a list, roles, tid, appid, the credential from appidacr, exp as ISO', () => {
    expect(parseTokenClaims(jwt(APP_TOKEN))).toEqual({
      format: 'jwt', kind: 'app', alg: 'RS256', aud: ['https://outlook.office365.com'], roles: ['SMTP.SendAsApp'], scp: null,
      tid: TENANT, iss: `https://sts.windows.net/${TENANT}/`, appid: APP, appidacr: '2', credential: 'certificate', idtyp: 'app', ver: '1.0', oid: SP,
      exp: NOW_S + 3540, nbf: NOW_S - 60, iat: NOW_S - 60, expiresAt: '2026-12-01T10:59:00Z',
    });
  });

  it('falls back to azp/azpacr (v2) and tells a delegated token by scp or idtyp user', () => {
    const v2 = parseTokenClaims(jwt({ aud: ['a', 'b'], azp: APP, azpacr: '1', scp: 'SMTP.Send  User.Read', ver: '2.0' }));
    expect(v2).toMatchObject({ kind: 'delegated', aud: ['a', 'b'], appid: APP, appidacr: '1', credential: 'secret', scp: ['SMTP.Send', 'User.Read'], roles: null });
    expect(parseTokenClaims(jwt({ idtyp: 'user' })).kind).toBe('delegated');
    expect(parseTokenClaims(jwt({ appidacr: '0', scp: 'x' })).credential).toBe('public-client');
  });

  it('bounds what the claims hold: long strings cut, long lists capped, wrong types dropped', () => {
    const f = parseTokenClaims(jwt({ aud: 'x'.repeat(10_000), roles: [...Array(500).keys()].map((i) => `r${i}`).concat([7 as unknown as string]), tid: { a: 1 }, exp: 'soon' }));
    expect(f.aud[0]?.length).toBeLessThan(400);
    expect(f.aud[0]).toMatch(/\[cut: 10000 characters\]$/);
    expect(f.roles).toHaveLength(50);
    expect(f.tid).toBeNull();
    expect(f.exp).toBeNull();
  });
});

describe('diagnoseToken: what decides SMTP', () => {
  it('a right app token: no findings, with the facts', () => {
    const d = diagnose(APP_TOKEN, { tenantId: TENANT });
    expect(d.findings).toEqual([]);
    expect(d.facts.kind).toBe('app');
  });

  it('accepts every Exchange Online audience of the cloud: with a slash, the EXO app id, outlook.office.com for worldwide; several aud values', () => {
    for (const aud of ['https://outlook.office365.com/', 'HTTPS://OUTLOOK.OFFICE365.COM', EXO_APP_ID, 'https://outlook.office.com', ['https://graph.microsoft.com', 'https://outlook.office365.com']]) {
      expect(codes({ ...APP_TOKEN, aud }), JSON.stringify(aud)).toEqual([]);
    }
    expect(codes({ ...APP_TOKEN, aud: 'https://outlook.office365.us' }, { cloud: 'gcc-high' })).toEqual([]);
    expect(codes({ ...APP_TOKEN, aud: 'https://outlook-dod.office365.us/' }, { cloud: 'dod' })).toEqual([]);
    expect(codes({ ...APP_TOKEN, aud: 'https://partner.outlook.cn' }, { cloud: 'china' })).toEqual([]);
    expect(codes({ ...APP_TOKEN, aud: EXO_APP_ID }, { cloud: 'china' })).toEqual([]);
  });

  it('OAUTH_TOKEN_AUDIENCE for a Graph token, a missing aud, and a token of another cloud (naming it)', () => {
    const graph = diagnose({ ...APP_TOKEN, aud: 'https://graph.microsoft.com' }).findings;
    expect(graph.map((f) => [f.code, f.severity, f.evidence])).toEqual([['OAUTH_TOKEN_AUDIENCE', 'error', 'aud=https://graph.microsoft.com']]);
    expect(graph[0]?.fix).toContain('https://outlook.office365.com/.default');
    const none = diagnose({ ...APP_TOKEN, aud: undefined }).findings;
    expect(none.map((f) => [f.code, f.evidence])).toEqual([['OAUTH_TOKEN_AUDIENCE', 'no aud claim']]);
    const otherCloud = diagnose({ ...APP_TOKEN, aud: 'https://outlook.office365.us' }).findings;
    expect(otherCloud.map((f) => f.code)).toEqual(['OAUTH_TOKEN_AUDIENCE']);
    expect(otherCloud[0]?.message).toMatch(/gcc-high cloud/);
    expect(otherCloud[0]?.fix).toContain('--cloud gcc-high');
    // outlook.office.com is worldwide's delegated audience only.
    const gcc = diagnose({ ...APP_TOKEN, aud: 'https://outlook.office.com' }, { cloud: 'gcc-high' }).findings;
    expect(gcc.map((f) => f.code)).toEqual(['OAUTH_TOKEN_AUDIENCE']);
    expect(gcc[0]?.fix).toContain('https://login.microsoftonline.us/<tenant>/oauth2/v2.0/token');
  });

  it('an app token without SMTP.SendAsApp: an error with the App RBAC nuance when the answer is unknown or a refusal, info when accepted', () => {
    const noRoles = { ...APP_TOKEN, roles: undefined };
    const unknown = diagnose(noRoles).findings;
    expect(unknown.map((f) => [f.code, f.severity, f.evidence])).toEqual([['OAUTH_TOKEN_NO_SMTP_PERMISSION', 'error', 'no roles claim']]);
    expect(unknown[0]?.message).toMatch(/unless the app is granted SMTP through Exchange App RBAC/);
    const fix = unknown[0]?.fix ?? '';
    for (const part of [
      'Office 365 Exchange Online → Application permissions → SMTP.SendAsApp, then Grant admin consent',
      `New-ServicePrincipal -AppId ${APP} -ObjectId ${SP}`,
      `Add-MailboxPermission -Identity <mailbox> -User ${SP} -AccessRights FullAccess`,
      `Add-RecipientPermission -Identity <from address> -Trustee ${SP} -AccessRights SendAs`,
      "New-ManagementRoleAssignment -Role 'Application SMTP.SendAsApp'",
    ]) expect(fix).toContain(part);
    const refused = diagnose({ ...APP_TOKEN, roles: ['Mail.Send'] }, { authAccepted: false }).findings;
    expect(refused.map((f) => [f.code, f.evidence])).toEqual([['OAUTH_TOKEN_NO_SMTP_PERMISSION', 'roles=Mail.Send']]);
    expect(refused[0]?.message).toMatch(/the server refused it/);
    const rbac = diagnose(noRoles, { authAccepted: true }).findings;
    expect(rbac.map((f) => [f.code, f.severity])).toEqual([['OAUTH_TOKEN_APP_RBAC', 'info']]);
    // Without the ids in the token, the fix names what to look up.
    expect(diagnose({ ...noRoles, appid: undefined, oid: undefined }).findings[0]?.fix).toContain('New-ServicePrincipal -AppId <application (client) id> -ObjectId <Enterprise application object id>');
  });

  it('a delegated token: SMTP.Send in scp is enough (no roles needed); without it OAUTH_TOKEN_NO_SMTP_PERMISSION', () => {
    const delegated = { aud: 'https://outlook.office.com', scp: 'Mail.Read SMTP.Send', appid: APP, appidacr: '0', tid: TENANT, exp: NOW_S + 3000, ver: '1.0' };
    expect(codes(delegated)).toEqual([]);
    expect(codes({ ...delegated, scp: 'https://outlook.office.com/SMTP.Send' })).toEqual([]);
    const without = diagnose({ ...delegated, scp: 'Mail.Read' }).findings;
    expect(without.map((f) => [f.code, f.severity, f.evidence])).toEqual([['OAUTH_TOKEN_NO_SMTP_PERMISSION', 'error', 'scp=Mail.Read']]);
    expect(without[0]?.fix).toContain('https://outlook.office.com/SMTP.Send');
  });

  it('expiry with clock skew: expired beyond the skew is an error; within it, or under 5 minutes left, info', () => {
    const expired = diagnose({ ...APP_TOKEN, exp: NOW_S - 3600 }).findings;
    expect(expired.map((f) => [f.code, f.severity])).toEqual([['OAUTH_TOKEN_EXPIRED', 'error']]);
    expect(expired[0]?.evidence).toBe(`exp=${NOW_S - 3600} (2026-12-01T09:00:00Z), now 2026-12-01T10:00:00Z, clock skew allowed 300 s`);
    expect(expired[0]?.message).toBe('The token expired at 2026-12-01T09:00:00Z, 60 minutes ago.');
    expect(codes({ ...APP_TOKEN, exp: NOW_S - 60 })).toEqual(['OAUTH_TOKEN_EXPIRING']);
    expect(codes({ ...APP_TOKEN, exp: NOW_S + 120 })).toEqual(['OAUTH_TOKEN_EXPIRING']);
    expect(codes({ ...APP_TOKEN, exp: NOW_S + 300 })).toEqual([]);
    expect(codes({ ...APP_TOKEN, exp: NOW_S - 60 }, { clockSkewSeconds: 0 })).toEqual(['OAUTH_TOKEN_EXPIRED']);
    expect(codes({ ...APP_TOKEN, exp: NOW_S - 300 })).toEqual(['OAUTH_TOKEN_EXPIRED']);
    expect(codes({ ...APP_TOKEN, nbf: NOW_S + 600 })).toEqual(['OAUTH_TOKEN_NOT_YET_VALID']);
    expect(codes({ ...APP_TOKEN, nbf: NOW_S + 200 })).toEqual([]);
  });

  it('tid against the tenant given: info on a GUID mismatch; a domain tenant or the same GUID in other case says nothing', () => {
    const other = '00000000-0000-0000-0000-000000000001';
    const d = diagnose(APP_TOKEN, { tenantId: other }).findings;
    expect(d.map((f) => [f.code, f.severity, f.evidence])).toEqual([['OAUTH_TOKEN_TENANT_MISMATCH', 'info', `tid=${TENANT}`]]);
    expect(d[0]?.fix).toContain(`https://login.microsoftonline.com/${other}/oauth2/v2.0/token`);
    expect(codes(APP_TOKEN, { tenantId: 'contoso.onmicrosoft.com' })).toEqual([]);
    expect(codes(APP_TOKEN, { tenantId: TENANT.toUpperCase() })).toEqual([]);
  });

  it('a right token the server refused: OAUTH_TOKEN_EXCHANGE_SETUP (info) with the Exchange-side steps', () => {
    const d = diagnose(APP_TOKEN, { authAccepted: false }).findings;
    expect(d.map((f) => [f.code, f.severity])).toEqual([['OAUTH_TOKEN_EXCHANGE_SETUP', 'info']]);
    expect(d[0]?.fix).toContain(`New-ServicePrincipal -AppId ${APP} -ObjectId ${SP}`);
    expect(d[0]?.fix).not.toContain('API permissions');
    // Not when the token explains the refusal itself.
    expect(codes({ ...APP_TOKEN, exp: NOW_S - 3600 }, { authAccepted: false })).toEqual(['OAUTH_TOKEN_EXPIRED']);
  });

  it('an opaque token is said as such (info), never an error; so is one too long to decode', () => {
    for (const token of ['EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA', 'a.b.c', '', `${jwt(APP_TOKEN)}${'x'.repeat(MAX_TOKEN_LENGTH)}`]) {
      const d = diagnoseToken(token, { cloud: 'worldwide', now: NOW, authAccepted: false });
      expect(d.facts.format, token.slice(0, 20)).toBe('opaque');
      expect(d.findings.map((f) => [f.code, f.severity])).toEqual([['OAUTH_TOKEN_OPAQUE', 'info']]);
    }
    expect(diagnoseToken('EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA', { cloud: 'worldwide', now: NOW }).findings[0]?.evidence).toBe('40 characters, not header.payload.signature');
  });

  it('a server that accepted the token outranks the lists: an unlisted audience or scope is info (OAUTH_TOKEN_ACCEPTED_UNLISTED), never an error', () => {
    // DoD's webmail.apps.mil is not a listed audience [U]; the server's 235 says it works.
    const dod = diagnose({ ...APP_TOKEN, aud: 'https://webmail.apps.mil' }, { cloud: 'dod', authAccepted: true }).findings;
    expect(dod.map((f) => [f.code, f.severity, f.evidence])).toEqual([['OAUTH_TOKEN_ACCEPTED_UNLISTED', 'info', 'aud=https://webmail.apps.mil']]);
    expect(dod[0]?.message).toMatch(/accepted/);
    expect(dod[0]?.message).toContain('dod');
    // Another cloud's audience, accepted: info naming that cloud.
    const other = diagnose({ ...APP_TOKEN, aud: 'https://outlook.office365.us' }, { authAccepted: true }).findings;
    expect(other.map((f) => [f.code, f.severity])).toEqual([['OAUTH_TOKEN_ACCEPTED_UNLISTED', 'info']]);
    expect(other[0]?.fix).toContain('--cloud gcc-high');
    // A delegated token without SMTP.Send the server took.
    const delegated = { aud: 'https://outlook.office.com', scp: 'Mail.Read', appid: APP, appidacr: '0', tid: TENANT, exp: NOW_S + 3000, ver: '1.0' };
    const scope = diagnose(delegated, { authAccepted: true }).findings;
    expect(scope.map((f) => [f.code, f.severity, f.evidence])).toEqual([['OAUTH_TOKEN_ACCEPTED_UNLISTED', 'info', 'scp=Mail.Read']]);
    // Refused or not tried: the errors as before.
    expect(codes({ ...APP_TOKEN, aud: 'https://webmail.apps.mil' }, { cloud: 'dod', authAccepted: false })).toEqual(['OAUTH_TOKEN_AUDIENCE']);
    expect(codes(delegated)).toEqual(['OAUTH_TOKEN_NO_SMTP_PERMISSION']);
    expect(CATALOG.OAUTH_TOKEN_ACCEPTED_UNLISTED.severity).toBe('info');
  });

  it('no role and no verdict: the message says what is known (no test ran, the token was not sent, the answer was no verdict)', () => {
    const noRoles = { ...APP_TOKEN, roles: undefined };
    expect(diagnose(noRoles).findings[0]?.message).toMatch(/probe --oauth/);
    const notSent = diagnose(noRoles, { authTest: 'not-sent' }).findings[0]?.message ?? '';
    expect(notSent).toMatch(/was not sent/);
    expect(notSent).not.toMatch(/--oauth/);
    const unanswered = diagnose(noRoles, { authTest: 'no-verdict' }).findings[0]?.message ?? '';
    expect(unanswered).toMatch(/no verdict on the token/);
    expect(unanswered).not.toMatch(/--oauth/);
  });

  it('a token too long to decode says so, with its length, not "not a JWT"', () => {
    const token = `${jwt(APP_TOKEN)}${'x'.repeat(MAX_TOKEN_LENGTH)}`;
    const [f] = diagnoseToken(token, { cloud: 'worldwide', now: NOW }).findings;
    expect(f?.code).toBe('OAUTH_TOKEN_OPAQUE');
    expect(f?.message).toContain(`too long to decode here (${token.length} characters)`);
    expect(f?.message).not.toMatch(/not a JWT/);
    expect(diagnoseToken('EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA', { cloud: 'worldwide', now: NOW }).findings[0]?.message).toMatch(/not a JWT/);
  });

  it('every finding has the catalog severity and a fix', () => {
    const all = [
      diagnose({ aud: 'x', exp: NOW_S - 9999, nbf: NOW_S + 9999, tid: 'aaaaaaaa-0000-0000-0000-000000000000' }, { tenantId: TENANT }),
      diagnose({ ...APP_TOKEN, roles: [] }, { authAccepted: true }),
      diagnose(APP_TOKEN, { authAccepted: false }),
      diagnose({ ...APP_TOKEN, exp: NOW_S + 1 }),
    ].flatMap((d) => d.findings);
    expect(new Set(all.map((f) => f.code))).toEqual(new Set(['OAUTH_TOKEN_AUDIENCE', 'OAUTH_TOKEN_NO_SMTP_PERMISSION', 'OAUTH_TOKEN_EXPIRED', 'OAUTH_TOKEN_NOT_YET_VALID', 'OAUTH_TOKEN_TENANT_MISMATCH', 'OAUTH_TOKEN_APP_RBAC', 'OAUTH_TOKEN_EXCHANGE_SETUP', 'OAUTH_TOKEN_EXPIRING']));
    for (const f of all) {
      expect(f.severity, f.code).toBe(CATALOG[f.code].severity);
      expect(f.fix?.length, f.code).toBeGreaterThan(20);
    }
  });
});
