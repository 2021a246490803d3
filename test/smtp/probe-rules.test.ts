/**
 * The probe's rules, each alone: a step outcome in, findings (or the next
 * move, or the AUTH result) out. No network: outcomes are written by hand.
 */
import { type EhloOutcome, type LoginOutcome, type OAuthOutcome, type ProbeContext, type ReadFailure, type StepOutcome, type TlsOutcome } from '../../src/smtp/outcomes.js';
import { authResult, checkBanner, checkConnect, checkEhlo, checkLogin, checkOAuth, checkStarttls, checkStep, checkTls, nextAfter, notSentReason } from '../../src/smtp/probe-rules.js';
import { describe, expect, it } from 'vitest';
import { CATALOG, type Finding } from '../../src/findings/catalog.js';
import { authFailure, createProbeContext } from '../../src/smtp/probe.js';
import { parseReplies, type SmtpReply } from '../../src/smtp/reply.js';
import type { CertificateInfo } from '../../src/smtp/types.js';

const ctx: ProbeContext = createProbeContext({ host: '127.0.0.1', port: 587, timeoutMs: 800 });
const implicit: ProbeContext = createProbeContext({ host: '127.0.0.1', port: 465, tls: 'implicit', timeoutMs: 800 });

const codes = (fs: Finding[]): string[] => fs.map((f) => f.code);
function reply(text: string): SmtpReply {
  const r = parseReplies(`${text}\r\n`).replies[0];
  if (!r) throw new Error(`not a reply: ${text}`);
  return r;
}

/** Every way a wait can give no reply. */
const FAILURES: ReadFailure[] = [
  { failure: 'timeout', deadline: false },
  { failure: 'timeout', deadline: true },
  { failure: 'closed' },
  { failure: 'error', code: 'ECONNRESET' },
  { failure: 'too-long', error: 'line-too-long', sample: 'A'.repeat(80) },
];

const VERIFIED: CertificateInfo = {
  subject: 'CN=localhost', issuer: 'CN=Test CA', altNames: ['localhost'], validFrom: '2026-01-01T00:00:00.000Z', validTo: '2027-01-01T00:00:00.000Z',
  fingerprint256: 'AA', verified: true, error: null,
};
const tlsOk = (over: Partial<Extract<TlsOutcome, { ok: true }>> = {}): TlsOutcome => ({ step: 'tls', ok: true, version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', certificate: VERIFIED, ms: 3, ...over });
const login = (o: Record<string, unknown>): LoginOutcome => ({ step: 'auth', mechanism: 'LOGIN', user: 'printer@contoso.com', ...o }) as LoginOutcome;
const oauth = (o: Record<string, unknown>): OAuthOutcome => ({ step: 'auth', mechanism: 'XOAUTH2', user: 'printer@contoso.com', ...o }) as OAuthOutcome;
const MICROSOFT_BANNER = '220 MW4PR03CA0001.outlook.office365.com Microsoft ESMTP MAIL Service ready at Tue, 1 Dec 2026 12:00:00 +0000';

describe('createProbeContext', () => {
  it('gives the defaults each rule relies on', () => {
    expect(ctx).toEqual({ host: '127.0.0.1', port: 587, mode: 'starttls', where: '127.0.0.1:587', timeoutMs: 800, verifyName: '127.0.0.1', insecure: false, expectMicrosoft: false, expectAuth: true, clock: expect.any(Function) });
    const pinned = new Date('2027-03-01T00:00:00Z');
    expect(createProbeContext({ host: 'x.test', clock: () => pinned }).clock()).toBe(pinned);
    expect(createProbeContext({ host: 'SMTP.Office365.com.' })).toMatchObject({ host: 'smtp.office365.com', port: 587, timeoutMs: 10_000, expectMicrosoft: true });
    expect(createProbeContext({ host: '::1', port: 25 })).toMatchObject({ where: '[::1]:25', expectAuth: false });
    expect(implicit).toMatchObject({ mode: 'implicit', port: 465 });
    expect(createProbeContext({ host: 'x.test', tls: 'implicit' }).port).toBe(465);
  });
});

describe('checkConnect', () => {
  it('maps a refused, unresolved or unreachable host to SMTP_UNREACHABLE with the code as evidence', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']) {
      const fs = checkConnect({ step: 'connect', ok: false, failure: 'error', code }, ctx);
      expect(codes(fs)).toEqual(['SMTP_UNREACHABLE']);
      expect(fs[0]?.evidence).toBe(code);
    }
  });
  it('maps no connection within the wait to SMTP_TIMEOUT, naming the wait', () => {
    const fs = checkConnect({ step: 'connect', ok: false, failure: 'timeout', waitedMs: 300 }, ctx);
    expect(codes(fs)).toEqual(['SMTP_TIMEOUT']);
    expect(fs[0]?.message).toContain('300 ms');
  });
  it('gives nothing for a connection', () => {
    expect(checkConnect({ step: 'connect', ok: true, ms: 1 }, ctx)).toEqual([]);
  });
});

describe('checkBanner', () => {
  it('maps a close or a broken connection before the banner to SMTP_UNREACHABLE', () => {
    expect(codes(checkBanner({ step: 'banner', ok: false, failure: 'closed' }, ctx))).toEqual(['SMTP_UNREACHABLE']);
    expect(codes(checkBanner({ step: 'banner', ok: false, failure: 'error', code: 'ECONNRESET' }, ctx))).toEqual(['SMTP_UNREACHABLE']);
  });
  it('maps a greeting other than 220 to SMTP_UNREACHABLE with the greeting as evidence', () => {
    const fs = checkBanner({ step: 'banner', ok: false, failure: 'refused-greeting', reply: reply('554 5.7.1 Service unavailable'), ms: 1 }, ctx);
    expect(codes(fs)).toEqual(['SMTP_UNREACHABLE']);
    expect(fs[0]?.evidence).toBe('554 5.7.1 Service unavailable');
  });
  it('maps a silent, slow or endless banner to SMTP_TIMEOUT', () => {
    expect(codes(checkBanner({ step: 'banner', ok: false, failure: 'timeout', deadline: false }, ctx))).toEqual(['SMTP_TIMEOUT']);
    const long = checkBanner({ step: 'banner', ok: false, failure: 'too-long', error: 'line-too-long', sample: 'AAAA' }, ctx);
    expect(codes(long)).toEqual(['SMTP_TIMEOUT']);
    expect(long[0]?.evidence).toBe('AAAA');
  });
  it('tells the overall deadline from the per-wait timeout by the bound, not the clock', () => {
    expect(checkBanner({ step: 'banner', ok: false, failure: 'timeout', deadline: true }, ctx)[0]?.message).toMatch(/overall deadline/);
    expect(checkBanner({ step: 'banner', ok: false, failure: 'timeout', deadline: false }, ctx)[0]?.message).toMatch(/nothing within 800 ms/);
  });
  it('flags a banner that is not Microsoft\'s only when Microsoft is expected', () => {
    const postfix = { step: 'banner', ok: true, reply: reply('220 mail.example.net ESMTP Postfix'), ms: 1 } as const;
    expect(checkBanner(postfix, ctx)).toEqual([]);
    const fs = checkBanner(postfix, { ...ctx, expectMicrosoft: true });
    expect(codes(fs)).toEqual(['SMTP_BANNER_NOT_M365']);
    expect(fs[0]?.severity).toBe('info');
    const microsoft = { step: 'banner', ok: true, reply: reply('220 MW4PR03CA0001.outlook.office365.com Microsoft ESMTP MAIL Service ready at Thu, 1 Jan 2026 00:00:00 +0000 [08DE4B2C1A7F3E90]'), ms: 1 } as const;
    expect(checkBanner(microsoft, { ...ctx, expectMicrosoft: true })).toEqual([]);
  });
});

describe('checkEhlo', () => {
  it('maps a server that closes (or resets) in reply to EHLO to SMTP_UNREACHABLE, before and after TLS', () => {
    for (const step of ['ehlo', 'ehlo2'] as const) {
      for (const f of [{ failure: 'closed' }, { failure: 'error', code: 'ECONNRESET' }] as const) {
        const fs = checkEhlo({ step, ok: false, ...f }, ctx);
        expect(codes(fs)).toEqual(['SMTP_UNREACHABLE']);
        expect(fs[0]?.severity).toBe(CATALOG.SMTP_UNREACHABLE.severity);
      }
    }
  });
  it('maps an EHLO that gets no usable reply in time to SMTP_TIMEOUT', () => {
    for (const step of ['ehlo', 'ehlo2'] as const) {
      expect(codes(checkEhlo({ step, ok: false, failure: 'timeout', deadline: false }, ctx))).toEqual(['SMTP_TIMEOUT']);
      expect(codes(checkEhlo({ step, ok: false, failure: 'too-long', error: 'too-many-lines', sample: 'x' }, ctx))).toEqual(['SMTP_TIMEOUT']);
    }
  });
  it('chooses the code of a refused EHLO by the step: no STARTTLS before TLS, no AUTH after it', () => {
    const refused = reply('502 5.5.1 Command not implemented');
    expect(codes(checkEhlo({ step: 'ehlo', ok: false, failure: 'refused', reply: refused }, ctx))).toEqual(['SMTP_NO_STARTTLS']);
    expect(codes(checkEhlo({ step: 'ehlo2', ok: false, failure: 'refused', reply: refused }, ctx))).toEqual(['SMTP_NO_AUTH']);
    expect(checkEhlo({ step: 'ehlo2', ok: false, failure: 'refused', reply: refused }, ctx)[0]?.evidence).toBe('502 5.5.1 Command not implemented');
  });
  it('reports no AUTH after TLS only where AUTH is expected', () => {
    const none: EhloOutcome = { step: 'ehlo2', ok: true, capabilities: ['SIZE 10', 'PIPELINING'] };
    expect(codes(checkEhlo(none, ctx))).toEqual(['SMTP_NO_AUTH']);
    expect(checkEhlo(none, { ...ctx, expectAuth: false })).toEqual([]);
    expect(checkEhlo({ step: 'ehlo2', ok: true, capabilities: ['AUTH LOGIN XOAUTH2'] }, ctx)).toEqual([]);
    // Before TLS no AUTH is expected (Microsoft offers it only after STARTTLS).
    expect(checkEhlo({ step: 'ehlo', ok: true, capabilities: ['STARTTLS'] }, ctx)).toEqual([]);
  });
});

describe('checkStarttls', () => {
  it('maps STARTTLS missing or refused to SMTP_NO_STARTTLS', () => {
    const missing = checkStarttls({ step: 'starttls', ok: false, failure: 'not-offered', capabilities: ['PIPELINING', '8BITMIME'] }, ctx);
    expect(codes(missing)).toEqual(['SMTP_NO_STARTTLS']);
    expect(missing[0]?.evidence).toBe('EHLO: PIPELINING, 8BITMIME');
    expect(checkStarttls({ step: 'starttls', ok: false, failure: 'not-offered', capabilities: [] }, ctx)[0]?.evidence).toBe('EHLO: (no extensions)');
    const refused = checkStarttls({ step: 'starttls', ok: false, failure: 'refused', reply: reply('454 4.7.0 TLS not available') }, ctx);
    expect(codes(refused)).toEqual(['SMTP_NO_STARTTLS']);
    expect(refused[0]?.evidence).toBe('454 4.7.0 TLS not available');
  });
  it('maps every failed wait for its reply to SMTP_TIMEOUT (a close here included)', () => {
    for (const f of FAILURES) expect(codes(checkStarttls({ step: 'starttls', ok: false, ...f }, ctx))).toEqual(['SMTP_TIMEOUT']);
  });
  it('gives nothing for a 220', () => {
    expect(checkStarttls({ step: 'starttls', ok: true }, ctx)).toEqual([]);
  });
});

describe('checkTls', () => {
  it('maps a version alert to SMTP_TLS_WEAK, whatever the mode', () => {
    for (const c of [ctx, implicit]) expect(codes(checkTls({ step: 'tls', ok: false, failure: 'protocol-version', code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' }, c))).toEqual(['SMTP_TLS_WEAK']);
  });
  it('maps another handshake failure by the mode: no usable STARTTLS, or an implicit-TLS port that does not speak TLS', () => {
    const failed = { step: 'tls', ok: false, failure: 'error', code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' } as const;
    expect(codes(checkTls(failed, ctx))).toEqual(['SMTP_NO_STARTTLS']);
    expect(codes(checkTls(failed, implicit))).toEqual(['SMTP_UNREACHABLE']);
    expect(checkTls(failed, ctx)[0]?.evidence).toBe('ERR_SSL_WRONG_VERSION_NUMBER: wrong version number');
  });
  it('maps a handshake that does not finish in time to SMTP_TIMEOUT', () => {
    expect(codes(checkTls({ step: 'tls', ok: false, failure: 'timeout', deadline: false }, ctx))).toEqual(['SMTP_TIMEOUT']);
    expect(checkTls({ step: 'tls', ok: false, failure: 'timeout', deadline: true }, implicit)[0]?.message).toMatch(/overall deadline passed during connecting/);
  });
  it('reports TLS below 1.2, and a certificate that does not verify, in that order', () => {
    expect(checkTls(tlsOk(), ctx)).toEqual([]);
    for (const version of ['TLSv1', 'TLSv1.1', 'SSLv3']) expect(codes(checkTls(tlsOk({ version }), ctx))).toEqual(['SMTP_TLS_WEAK']);
    const bad = { ...VERIFIED, verified: false, error: 'CERT_HAS_EXPIRED' };
    expect(codes(checkTls(tlsOk({ version: 'TLSv1', certificate: bad }), ctx))).toEqual(['SMTP_TLS_WEAK', 'SMTP_TLS_CERT_INVALID']);
    expect(checkTls(tlsOk({ certificate: null }), ctx)[0]).toMatchObject({ code: 'SMTP_TLS_CERT_INVALID', evidence: 'no certificate' });
  });
  it('suggests --tls-ca and --insecure only when not already insecure', () => {
    const bad = tlsOk({ certificate: { ...VERIFIED, verified: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' } });
    expect(checkTls(bad, ctx)[0]?.fix).toMatch(/--tls-ca FILE, or --insecure/);
    expect(checkTls(bad, { ...ctx, insecure: true })[0]?.fix).not.toMatch(/--insecure/);
  });
});

describe('authFailure', () => {
  it('classifies a final AUTH reply by its codes', () => {
    expect(authFailure(reply('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled'))).toBe('disabled');
    expect(authFailure(reply('535 5.7.3 Authentication unsuccessful'))).toBe('rejected');
    expect(authFailure(reply('535 no enhanced code'))).toBe('rejected');
    expect(authFailure(reply('550 5.7.30 Basic authentication is not supported for Client Submission.'))).toBe('retired');
    expect(authFailure(reply('504 5.7.4 Unrecognized authentication type'))).toBe('other');
    // 5.7.30 speaks of Basic auth: to XOAUTH2 it is just another reply; 5.7.139 blocks both.
    expect(authFailure(reply('550 5.7.30 Basic authentication is not supported for Client Submission.'), 'XOAUTH2')).toBe('other');
    expect(authFailure(reply('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled'), 'XOAUTH2')).toBe('disabled');
    expect(authFailure(reply('535 5.7.3 Authentication unsuccessful'), 'XOAUTH2')).toBe('rejected');
  });
});

describe('checkLogin and authResult', () => {
  it('gives nothing and "accepted" for a 235 to the password at an endpoint that is not Microsoft\'s', () => {
    const o = login({ ok: true, turn: 'password', reply: reply('235 2.7.0 Authentication successful') });
    expect(checkLogin(o, ctx)).toEqual([]);
    expect(checkLogin(o, ctx, { banner: '220 mail.example.net ESMTP Postfix' })).toEqual([]);
    expect(authResult(o, ctx)).toEqual({ user: 'printer@contoso.com', mechanism: 'LOGIN', outcome: 'accepted', reply: '235 2.7.0 Authentication successful', enhancedCode: '2.7.0', reason: null });
  });
  it('warns at Microsoft\'s endpoint (by name or by banner) that Basic auth goes, dated from the timeline for the clock', () => {
    const o = login({ ok: true, turn: 'password', reply: reply('235 2.7.0 Authentication successful') });
    const before = { ...ctx, clock: () => new Date('2026-12-01T09:00:00Z') };
    const after = { ...ctx, clock: () => new Date('2027-01-15T09:00:00Z') };
    for (const [c, facts] of [[{ ...before, expectMicrosoft: true }, { banner: null }], [before, { banner: MICROSOFT_BANNER }]] as const) {
      const fs = checkLogin(o, c, facts);
      expect(codes(fs)).toEqual(['SMTP_BASIC_AUTH_RETIRING']);
      expect(fs[0]?.severity).toBe('warning');
      expect(fs[0]?.message).toMatch(/AUTH LOGIN \(Basic auth, a password\) works for printer@contoso\.com today\. Microsoft turns Basic auth for SMTP AUTH client submission off by default for existing tenants at the end of December 2026/);
      expect(fs[0]?.evidence).toBe('235 2.7.0 Authentication successful; timeline: Exchange Team blog 4489835 of 2026-01-27, MC786329');
      expect(fs[0]?.fix).toMatch(/XOAUTH2/);
    }
    const late = checkLogin(o, after, { banner: MICROSOFT_BANNER });
    expect(codes(late)).toEqual(['SMTP_BASIC_AUTH_RETIRING']);
    expect(late[0]?.message).toMatch(/has been off by default for existing tenants since the end of December 2026, so it works here because an administrator turned it back on/);
    expect(late[0]?.message).not.toMatch(/turns Basic auth .* at the end of December 2026/);
  });
  it('maps 535 to SMTP_AUTH_FAILED, 5.7.139 to SMTP_AUTH_DISABLED, 550 5.7.30 to SMTP_BASIC_AUTH_RETIRED, anything else to SMTP_AUTH_OTHER', () => {
    const cases = [
      ['rejected', '535 5.7.3 Authentication unsuccessful', 'SMTP_AUTH_FAILED'],
      ['disabled', '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.', 'SMTP_AUTH_DISABLED'],
      ['retired', '550 5.7.30 Basic authentication is not supported for Client Submission.', 'SMTP_BASIC_AUTH_RETIRED'],
      ['other', '530 5.7.57 Client not authenticated to send mail', 'SMTP_AUTH_OTHER'],
    ] as const;
    for (const [failure, text, code] of cases) {
      const o = login({ ok: false, failure, turn: 'password', reply: reply(text) });
      const fs = checkLogin(o, ctx);
      expect(codes(fs)).toEqual([code]);
      expect(fs[0]?.evidence).toBe(text);
      expect(authResult(o, ctx)).toMatchObject({ outcome: failure, reply: text, enhancedCode: text.split(' ')[1], reason: null });
    }
  });
  it('names the line a reply answered', () => {
    const o = login({ ok: false, failure: 'other', turn: 'command', reply: reply('504 5.7.4 Unrecognized authentication type') });
    expect(checkLogin(o, ctx)[0]?.message).toMatch(/got 504 5\.7\.4 after AUTH LOGIN:/);
  });
  it('maps an exchange that broke off, whatever broke it, to SMTP_TIMEOUT and "incomplete" with the reason', () => {
    for (const f of FAILURES) {
      const o = login({ ok: false, turn: 'user', ...f });
      expect(codes(checkLogin(o, ctx))).toEqual(['SMTP_TIMEOUT']);
      const r = authResult(o, ctx);
      expect(r).toMatchObject({ outcome: 'incomplete', reply: null, enhancedCode: null });
      expect(r.reason).toMatch(/while waiting for the reply to the user name$/);
    }
  });
  it('reports LOGIN missing (SMTP_AUTH_OTHER) only when other mechanisms are offered; credentials are not sent', () => {
    const only = login({ ok: false, failure: 'not-offered', offered: ['XOAUTH2'] });
    expect(codes(checkLogin(only, ctx))).toEqual(['SMTP_AUTH_OTHER']);
    expect(authResult(only, ctx)).toMatchObject({ outcome: 'not-offered', reason: 'the server offers XOAUTH2' });
    const none = login({ ok: false, failure: 'not-offered', offered: [] });
    expect(checkLogin(none, ctx)).toEqual([]);
    expect(authResult(none, ctx).reason).toBe('the server offers no AUTH mechanism');
  });
  it('sends no credentials over TLS below 1.2: no finding of its own (checkTls gave SMTP_TLS_WEAK), "not-sent"', () => {
    const o = login({ ok: false, failure: 'weak-tls', version: 'TLSv1' });
    expect(checkLogin(o, ctx)).toEqual([]);
    expect(authResult(o, ctx)).toMatchObject({ outcome: 'not-sent', reason: expect.stringMatching(/^TLSv1 is too weak/) });
  });
  it('keeps the AuthTestResult fields in their JSON order', () => {
    expect(Object.keys(authResult(login({ ok: false, failure: 'weak-tls', version: 'TLSv1' }), ctx))).toEqual(['user', 'mechanism', 'outcome', 'reply', 'enhancedCode', 'reason']);
  });
  it('sends no credentials to port 25: no finding, "not-sent" with the reason', () => {
    for (const o of [login({ ok: false, failure: 'mx-port', port: 25 }), oauth({ ok: false, failure: 'mx-port', port: 25 })]) {
      expect(checkStep(o, ctx)).toEqual([]);
      expect(authResult(o, ctx)).toMatchObject({ outcome: 'not-sent', reason: expect.stringMatching(/^port 25 is for server-to-server mail/) });
    }
  });
});

describe('checkOAuth and authResult', () => {
  const MS535 = '535 5.7.3 Authentication unsuccessful [SN2PR00CA0018.namprd00.prod.outlook.com]';
  it('gives nothing and "accepted" for a 235 to the token, at Microsoft or not', () => {
    const o = oauth({ ok: true, turn: 'token', reply: reply('235 2.7.0 Authentication successful') });
    expect(checkOAuth(o, { ...ctx, expectMicrosoft: true })).toEqual([]);
    expect(checkStep(o, ctx, { banner: MICROSOFT_BANNER })).toEqual([]);
    expect(authResult(o, ctx)).toEqual({ user: 'printer@contoso.com', mechanism: 'XOAUTH2', outcome: 'accepted', reply: '235 2.7.0 Authentication successful', enhancedCode: '2.7.0', reason: null });
  });
  it('maps 535 5.7.3 to SMTP_OAUTH_FAILED: the wire does not tell the cause, the claims decide', () => {
    for (const turn of ['initial', 'token'] as const) {
      const o = oauth({ ok: false, failure: 'rejected', turn, reply: reply(MS535) });
      const fs = checkOAuth(o, ctx);
      expect(codes(fs)).toEqual(['SMTP_OAUTH_FAILED']);
      expect(fs[0]?.severity).toBe('error');
      expect(fs[0]?.evidence).toBe(MS535);
      expect(fs[0]?.message).toMatch(/the XOAUTH2 test for printer@contoso\.com was rejected \(5\.7\.3\)\. Exchange Online gives this one reply to every token problem and never tells the cause apart on the wire, so the token's claims decide/);
      expect(fs[0]?.fix).toMatch(/SMTP\.SendAsApp.*New-ServicePrincipal -AppId <client id> -ObjectId .*Add-MailboxPermission/);
      expect(authResult(o, ctx)).toMatchObject({ mechanism: 'XOAUTH2', outcome: 'rejected', enhancedCode: '5.7.3', reply: MS535 });
    }
    const challenged = checkOAuth(oauth({ ok: false, failure: 'rejected', turn: 'empty', reply: reply('535 5.7.8 Username and Password not accepted') }), ctx);
    expect(challenged[0]?.message).toMatch(/rejected \(5\.7\.8\) after a 334 challenge/);
  });
  it('maps 5.7.139 to SMTP_AUTH_DISABLED (it blocks OAuth too), other replies to SMTP_AUTH_OTHER with their meaning', () => {
    const disabled = checkOAuth(oauth({ ok: false, failure: 'disabled', turn: 'token', reply: reply('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.') }), ctx);
    expect(codes(disabled)).toEqual(['SMTP_AUTH_DISABLED']);
    expect(disabled[0]?.message).toMatch(/blocks OAuth \(XOAUTH2\) as well as Basic auth/);
    const other = checkOAuth(oauth({ ok: false, failure: 'other', turn: 'command', reply: reply('504 5.7.4 Unrecognized authentication type') }), ctx);
    expect(codes(other)).toEqual(['SMTP_AUTH_OTHER']);
    expect(other[0]?.message).toMatch(/got 504 5\.7\.4 after AUTH XOAUTH2:/);
    const hve = checkOAuth(oauth({ ok: false, failure: 'other', turn: 'initial', reply: reply('501 5.5.124 Invalid XOAUTH2 auth data') }), ctx);
    expect(hve[0]?.message).toMatch(/got 501 5\.5\.124 after AUTH XOAUTH2 with the token/);
  });
  it('reports XOAUTH2 missing (info) only when other mechanisms are offered', () => {
    const only = oauth({ ok: false, failure: 'not-offered', offered: ['LOGIN'] });
    const fs = checkOAuth(only, ctx);
    expect(codes(fs)).toEqual(['SMTP_AUTH_OTHER']);
    expect(fs[0]?.severity).toBe('info');
    expect(fs[0]?.message).toMatch(/XOAUTH2 is not offered \(only LOGIN\), so the token was not tested/);
    expect(authResult(only, ctx)).toMatchObject({ mechanism: 'XOAUTH2', outcome: 'not-offered', reason: 'the server offers LOGIN' });
    expect(checkOAuth(oauth({ ok: false, failure: 'not-offered', offered: [] }), ctx)).toEqual([]);
  });
  it('maps an exchange that broke off to SMTP_TIMEOUT, naming the line', () => {
    for (const f of FAILURES) {
      const o = oauth({ ok: false, turn: 'token', ...f });
      expect(codes(checkOAuth(o, ctx))).toEqual(['SMTP_TIMEOUT']);
      expect(authResult(o, ctx).reason).toMatch(/while waiting for the reply to the token$/);
    }
  });
  it('sends no token over TLS below 1.2', () => {
    const o = oauth({ ok: false, failure: 'weak-tls', version: 'TLSv1.1' });
    expect(checkOAuth(o, ctx)).toEqual([]);
    expect(authResult(o, ctx)).toMatchObject({ outcome: 'not-sent', reason: expect.stringMatching(/^TLSv1\.1 is too weak/) });
  });
});

describe('nextAfter', () => {
  it('goes on after every success', () => {
    const oks: StepOutcome[] = [{ step: 'connect', ok: true, ms: 1 }, { step: 'starttls', ok: true }, { step: 'trust', ok: true }, tlsOk()];
    for (const o of oks) expect(nextAfter(o)).toBe('next');
  });
  it('stops without QUIT when there is nothing to say it on, and says QUIT otherwise', () => {
    expect(nextAfter({ step: 'connect', ok: false, failure: 'error', code: 'ECONNREFUSED' })).toBe('stop');
    expect(nextAfter({ step: 'tls', ok: false, failure: 'timeout', deadline: false })).toBe('stop');
    expect(nextAfter({ step: 'banner', ok: false, failure: 'timeout', deadline: false })).toBe('stop');
    expect(nextAfter({ step: 'banner', ok: false, failure: 'refused-greeting', reply: reply('554 no'), ms: 1 })).toBe('quit');
    expect(nextAfter({ step: 'starttls', ok: false, failure: 'closed' })).toBe('stop');
    expect(nextAfter({ step: 'starttls', ok: false, failure: 'refused', reply: reply('454 no') })).toBe('quit');
    expect(nextAfter({ step: 'starttls', ok: false, failure: 'not-offered', capabilities: [] })).toBe('quit');
    expect(nextAfter({ step: 'ehlo', ok: false, failure: 'closed' })).toBe('quit');
    expect(nextAfter({ step: 'trust', ok: false, failure: 'unverified' })).toBe('quit');
  });
});

describe('notSentReason', () => {
  it('says why credentials were not sent when the probe stops before AUTH', () => {
    expect(notSentReason({ step: 'starttls', ok: false, failure: 'not-offered', capabilities: [] }, ctx)).toMatch(/no STARTTLS/);
    expect(notSentReason({ step: 'starttls', ok: false, failure: 'refused', reply: reply('454 no') }, ctx)).toMatch(/STARTTLS was refused/);
    expect(notSentReason({ step: 'tls', ok: false, failure: 'timeout', deadline: false }, ctx)).toBe('the TLS handshake failed');
    expect(notSentReason({ step: 'trust', ok: false, failure: 'unverified' }, ctx)).toMatch(/did not verify for 127\.0\.0\.1/);
  });
  it('has no reason for a stop that leaves no AUTH result', () => {
    expect(notSentReason({ step: 'banner', ok: false, failure: 'closed' }, ctx)).toBeNull();
    expect(notSentReason({ step: 'starttls', ok: false, failure: 'timeout', deadline: false }, ctx)).toBeNull();
    expect(notSentReason({ step: 'tls', ok: false, failure: 'timeout', deadline: false }, implicit)).toBeNull();
    expect(notSentReason({ step: 'trust', ok: true }, ctx)).toBeNull();
  });
});

describe('checkStep', () => {
  it('gives every finding a catalog severity', () => {
    const outcomes: StepOutcome[] = [
      { step: 'connect', ok: false, failure: 'timeout', waitedMs: 1 },
      { step: 'banner', ok: false, failure: 'closed' },
      { step: 'ehlo', ok: false, failure: 'closed' },
      { step: 'starttls', ok: false, failure: 'not-offered', capabilities: [] },
      tlsOk({ version: 'TLSv1' }),
      { step: 'trust', ok: false, failure: 'unverified' },
      { step: 'ehlo2', ok: true, capabilities: [] },
      login({ ok: false, failure: 'disabled', turn: 'password', reply: reply('535 5.7.139 disabled') }),
      login({ ok: true, turn: 'password', reply: reply('235 2.7.0 ok') }),
      login({ ok: false, failure: 'retired', turn: 'password', reply: reply('550 5.7.30 Basic authentication is not supported for Client Submission.') }),
      oauth({ ok: false, failure: 'rejected', turn: 'token', reply: reply('535 5.7.3 Authentication unsuccessful') }),
      oauth({ ok: false, failure: 'not-offered', offered: ['LOGIN'] }),
    ];
    const fs = outcomes.flatMap((o) => checkStep(o, { ...ctx, expectMicrosoft: true }));
    expect(codes(fs)).toEqual(['SMTP_TIMEOUT', 'SMTP_UNREACHABLE', 'SMTP_UNREACHABLE', 'SMTP_NO_STARTTLS', 'SMTP_TLS_WEAK', 'SMTP_NO_AUTH', 'SMTP_AUTH_DISABLED', 'SMTP_BASIC_AUTH_RETIRING', 'SMTP_BASIC_AUTH_RETIRED', 'SMTP_OAUTH_FAILED', 'SMTP_AUTH_OTHER']);
    expect(fs.map((f) => f.severity).slice(-4)).toEqual(['warning', 'error', 'error', 'info']);
    for (const f of fs) expect(f.severity).toBe(CATALOG[f.code].severity);
  });
});
