import { WITHHELD } from '../../src/smtp/redact.js';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMicrosoftBanner } from '../../src/smtp/endpoint.js';
import { createEndpointProber, MAX_COMMAND_LINE, probeEndpoints, probeSmtp, xoauth2Response, type ProbeOptions } from '../../src/smtp/probe.js';
import type { ProbeResult, TranscriptLine } from '../../src/smtp/types.js';
import {
  createTestCertificates,
  MICROSOFT_AUTH_REPLIES,
  startHostileSmtpServer,
  startMicrosoftLikeSmtpServer,
  type HostileKind,
  type MicrosoftLikeOptions,
  type TestSmtpServer,
} from '../support/smtp-servers.js';
import { expectNoRun } from '../support/leaks.js';

const USER = 'printer@contoso.com';
const PASSWORD = 'Tr0ub4dor&3-horse-battery';
const PASSWORD_B64 = Buffer.from(PASSWORD).toString('base64');
/** A token of the length Exchange Online's run to (1,500 characters and more): the two-step form. */
const TOKEN = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'.repeat(40)}.c2lnbmF0dXJl`;
const TOKEN_B64 = Buffer.from(TOKEN).toString('base64');
/** Today, as the research and the brief date it; and a day after the end of December 2026. */
const TODAY = (): Date => new Date('2026-12-01T12:00:00Z');
const NEXT_YEAR = (): Date => new Date('2027-01-15T12:00:00Z');
/** Hostile servers are judged with a short wait so the suite stays fast. */
const SHORT = 800;

const codes = (r: ProbeResult): string[] => r.findings.map((f) => f.code);
const FORBIDDEN = ['MAIL', 'RCPT', 'DATA', 'BDAT'];

const servers: TestSmtpServer[] = [];
async function microsoft(opts: MicrosoftLikeOptions = {}): Promise<TestSmtpServer> {
  const s = await startMicrosoftLikeSmtpServer({ credentials: { user: USER, password: PASSWORD }, oauth: { user: USER, token: TOKEN }, ...opts });
  servers.push(s);
  return s;
}
async function hostile(kind: HostileKind, opts: Parameters<typeof startHostileSmtpServer>[1] = {}): Promise<TestSmtpServer> {
  const s = await startHostileSmtpServer(kind, opts);
  servers.push(s);
  return s;
}
function probe(s: TestSmtpServer, opts: Partial<ProbeOptions> = {}): Promise<ProbeResult> {
  return probeSmtp({ host: s.host, port: s.port, ca: s.caPem || undefined, timeoutMs: 2000, ...opts });
}

let ms: TestSmtpServer;
beforeAll(async () => {
  ms = await microsoft();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('probeSmtp against the Microsoft-like endpoint', () => {
  it('reads banner, EHLO before and after STARTTLS, TLS and AUTH mechanisms', async () => {
    const r = await probe(ms, { expectMicrosoft: true });
    expect(r.findings).toEqual([]);
    expect(r.reachable).toBe(true);
    expect(r.banner).toMatch(/^220 MW4PR03CA0001\.outlook\.office365\.com Microsoft ESMTP MAIL Service ready at .+ \[[0-9A-F]+\]$/);
    expect(isMicrosoftBanner(r.banner ?? '')).toBe(true);
    expect(r.ehlo.beforeTls).toEqual(['SIZE 157286400', 'PIPELINING', 'DSN', 'ENHANCEDSTATUSCODES', 'STARTTLS', '8BITMIME', 'BINARYMIME', 'CHUNKING', 'SMTPUTF8']);
    expect(r.ehlo.afterTls).toEqual(['SIZE 157286400', 'PIPELINING', 'DSN', 'ENHANCEDSTATUSCODES', 'AUTH LOGIN XOAUTH2', '8BITMIME', 'BINARYMIME', 'CHUNKING', 'SMTPUTF8']);
    expect(r.starttls).toBe(true);
    expect(r.authMechanisms).toEqual(['LOGIN', 'XOAUTH2']);
    expect(['TLSv1.2', 'TLSv1.3']).toContain(r.tlsVersion);
    expect(r.cipher).toMatch(/\w/);
    expect(r.certificate).toMatchObject({ subject: 'CN=localhost', verified: true, error: null });
    expect(r.certificate?.altNames).toContain('127.0.0.1');
    expect(r.certificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(Date.parse(r.certificate?.validTo ?? '')).toBeGreaterThan(Date.now());
    expect(r.auth).toBeNull();
    expect(r.timing.connectMs).toBeGreaterThanOrEqual(0);
    expect(r.timing.bannerMs).toBeGreaterThanOrEqual(0);
    expect(r.timing.tlsMs).toBeGreaterThanOrEqual(0);
    expect(r.timing.totalMs).toBeGreaterThanOrEqual(r.timing.tlsMs ?? 0);
  });

  it('speaks implicit TLS with --tls', async () => {
    const s = await microsoft({ tls: 'implicit' });
    const r = await probe(s, { tls: 'implicit' });
    expect(r.findings).toEqual([]);
    expect(r.tls).toBe('implicit');
    expect(r.starttls).toBeNull();
    expect(r.ehlo.beforeTls).toBeNull();
    expect(r.authMechanisms).toEqual(['LOGIN', 'XOAUTH2']);
    expect(r.certificate?.verified).toBe(true);
  });

  it('reports a certificate from an untrusted CA and stops, or carries on with insecure', async () => {
    const r = await probe(ms, { ca: undefined });
    expect(codes(r)).toEqual(['SMTP_TLS_CERT_INVALID']);
    expect(r.certificate?.verified).toBe(false);
    expect(r.certificate?.error).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|LOCAL_ISSUER/);
    expect(r.authMechanisms).toBeNull();
    const insecure = await probe(ms, { ca: undefined, insecure: true });
    expect(codes(insecure)).toEqual(['SMTP_TLS_CERT_INVALID']);
    expect(insecure.authMechanisms).toEqual(['LOGIN', 'XOAUTH2']);
  });

  it('verifies the certificate against the host name (SNI name that the certificate does not hold)', async () => {
    const r = await probe(ms, { servername: 'smtp.office365.com' });
    expect(codes(r)).toEqual(['SMTP_TLS_CERT_INVALID']);
    expect(r.certificate?.error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('reports an expired certificate', async () => {
    const certificates = await createTestCertificates({ notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const s = await microsoft({ certificates });
    const r = await probe(s);
    expect(codes(r)).toEqual(['SMTP_TLS_CERT_INVALID']);
    expect(r.certificate?.error).toBe('CERT_HAS_EXPIRED');
  });

  it('flags a banner that is not Microsoft\'s when a Microsoft host is the target', async () => {
    const s = await microsoft({ greeting: 'mail.example.net ESMTP Postfix' });
    const r = await probe(s, { expectMicrosoft: true });
    expect(codes(r)).toEqual(['SMTP_BANNER_NOT_M365']);
    expect(r.findings[0]?.severity).toBe('info');
    expect(r.findings[0]?.evidence).toBe('220 mail.example.net ESMTP Postfix');
    // A loopback address is not a Microsoft host: no expectation by default.
    expect(codes(await probe(s))).toEqual([]);
  });

  it('never sends MAIL, RCPT or DATA', async () => {
    const s = await microsoft();
    await probe(s, { auth: { user: USER, password: PASSWORD } });
    expect(s.commands()).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'AUTH', 'AUTH', 'QUIT']);
    expect(s.commands().filter((c) => FORBIDDEN.includes(c))).toEqual([]);
  });
});

describe('the AUTH LOGIN test', () => {
  const auth = { user: USER, password: PASSWORD };

  it('accepts good credentials: user after the first 334, password after the second; Basic auth retiring, dated for the clock', async () => {
    const s = await microsoft();
    const lines: TranscriptLine[] = [];
    const r = await probe(s, { auth, onTranscript: (l) => lines.push(l), clock: TODAY });
    expect(codes(r)).toEqual(['SMTP_BASIC_AUTH_RETIRING']);
    expect(r.findings[0]?.severity).toBe('warning');
    expect(r.findings[0]?.message).toContain('off by default for existing tenants at the end of December 2026');
    expect(r.auth).toEqual({ user: USER, mechanism: 'LOGIN', outcome: 'accepted', reply: '235 2.7.0 Authentication successful', enhancedCode: '2.7.0', reason: null });
    expect(s.authAttempts()).toEqual([{ method: 'LOGIN', user: USER, accepted: true }]);
    const client = lines.filter((l) => l.dir === 'C').map((l) => l.text);
    expect(client).toEqual(['EHLO [127.0.0.1]', 'STARTTLS', 'EHLO [127.0.0.1]', 'AUTH LOGIN', `${Buffer.from(USER).toString('base64')} (user name)`, '*** (password, hidden)', 'QUIT']);
    const all = JSON.stringify([r, lines]);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(PASSWORD_B64);
  });

  it('gives SMTP_AUTH_FAILED for 535 5.7.3', async () => {
    const s = await microsoft();
    const r = await probe(s, { auth: { user: USER, password: 'wrong-password-123' } });
    expect(codes(r)).toEqual(['SMTP_AUTH_FAILED']);
    expect(r.auth).toMatchObject({ outcome: 'rejected', enhancedCode: '5.7.3' });
    expect(r.auth?.reply).toMatch(/^535 5\.7\.3 Authentication unsuccessful/);
  });

  it('gives SMTP_AUTH_DISABLED for 535 5.7.139, both wordings', async () => {
    for (const reply of [MICROSOFT_AUTH_REPLIES.disabled, MICROSOFT_AUTH_REPLIES.securityDefaults]) {
      const s = await microsoft({ auth: reply });
      const r = await probe(s, { auth });
      expect(codes(r)).toEqual(['SMTP_AUTH_DISABLED']);
      expect(r.auth).toMatchObject({ outcome: 'disabled', enhancedCode: '5.7.139' });
      expect(r.findings[0]?.fix).toMatch(/SmtpClientAuthenticationDisabled|OAuth/);
    }
  });

  it('says when Basic auth went off by default once the clock is past the end of December 2026', async () => {
    const s = await microsoft();
    const r = await probe(s, { auth, clock: NEXT_YEAR });
    expect(codes(r)).toEqual(['SMTP_BASIC_AUTH_RETIRING']);
    expect(r.findings[0]?.message).toContain('has been off by default for existing tenants since the end of December 2026');
    expect(r.findings[0]?.message).toContain('the second half of 2027');
  });

  it('gives no SMTP_BASIC_AUTH_RETIRING at an endpoint that is not Microsoft\'s', async () => {
    const s = await microsoft({ greeting: 'mail.example.net ESMTP Postfix' });
    const r = await probe(s, { auth, clock: TODAY });
    expect(r.findings).toEqual([]);
    expect(r.auth?.outcome).toBe('accepted');
  });

  it('gives SMTP_BASIC_AUTH_RETIRED for 550 5.7.30', async () => {
    const s = await microsoft({ auth: MICROSOFT_AUTH_REPLIES.basicRetired });
    const r = await probe(s, { auth });
    expect(codes(r)).toEqual(['SMTP_BASIC_AUTH_RETIRED']);
    expect(r.findings[0]?.severity).toBe('error');
    expect(r.auth).toMatchObject({ outcome: 'retired', enhancedCode: '5.7.30', reply: '550 5.7.30 Basic authentication is not supported for Client Submission.' });
    expect(r.findings[0]?.fix).toMatch(/XOAUTH2/);
  });

  it('scrubs the password from a server reply that echoes it', async () => {
    const s = await microsoft({ auth: { code: 535, text: `5.7.3 Authentication unsuccessful for ${PASSWORD} (${PASSWORD_B64})` } });
    const lines: TranscriptLine[] = [];
    const r = await probe(s, { auth, onTranscript: (l) => lines.push(l) });
    expect(codes(r)).toEqual(['SMTP_AUTH_FAILED']);
    const all = JSON.stringify([r, lines]);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(PASSWORD_B64);
    expect(r.auth?.reply).toBe('535 5.7.3 Authentication unsuccessful for *** (***)');
  });

  it('does not send credentials over TLS that did not verify', async () => {
    const s = await microsoft();
    const r = await probe(s, { auth, ca: undefined });
    expect(r.auth).toMatchObject({ outcome: 'not-sent' });
    expect(r.auth?.reason).toMatch(/did not verify/);
    expect(s.commands()).not.toContain('AUTH');
    expect(s.authAttempts()).toEqual([]);
    // insecure: sent anyway, the certificate still reported.
    const r2 = await probe(s, { auth, ca: undefined, insecure: true });
    expect(codes(r2)).toEqual(['SMTP_TLS_CERT_INVALID', 'SMTP_BASIC_AUTH_RETIRING']);
    expect(r2.auth?.outcome).toBe('accepted');
  });

  it('does not send credentials in clear when STARTTLS is missing', async () => {
    const s = await hostile('no-starttls');
    const r = await probe(s, { auth });
    expect(codes(r)).toEqual(['SMTP_NO_STARTTLS']);
    expect(r.auth?.outcome).toBe('not-sent');
    expect(s.commands()).toEqual(['EHLO', 'QUIT']);
  });

  it('does not send credentials over TLS below 1.2 unless insecure', async () => {
    const s = await hostile('tls-legacy');
    const r = await probe(s, { auth });
    expect(codes(r)).toEqual(['SMTP_TLS_WEAK']);
    expect(r.auth?.outcome).toBe('not-sent');
    expect(s.commands()).not.toContain('AUTH');
  });
});

describe('the AUTH XOAUTH2 test', () => {
  const oauth = { mechanism: 'XOAUTH2', user: USER, token: TOKEN } as const;
  const client = (lines: TranscriptLine[]): string[] => lines.filter((l) => l.dir === 'C').map((l) => l.text);

  it('builds the SASL string as Learn does: its worked example, byte for byte', () => {
    // Learn, "Authenticate an IMAP, POP or SMTP connection using OAuth" (research oauth.md §2).
    expect(xoauth2Response('test@contoso.onmicrosoft.com', 'EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA')).toBe(
      'dXNlcj10ZXN0QGNvbnRvc28ub25taWNyb3NvZnQuY29tAWF1dGg9QmVhcmVyIEV3QkFBbDNCQUFVRkZwVUFvN0ozVmUwYmpMQldaV0NjbFJDM0VvQUEBAQ==',
    );
    expect(Buffer.from(xoauth2Response('a@b.c', 't'), 'base64').toString('latin1')).toBe('user=a@b.c\x01auth=Bearer t\x01\x01');
  });

  it('accepts exactly the configured user and token: the two-step form for a token of real length, nothing but the mechanism in the transcript', async () => {
    const s = await microsoft();
    const lines: TranscriptLine[] = [];
    const r = await probe(s, { auth: oauth, onTranscript: (l) => lines.push(l), clock: TODAY });
    expect(r.findings).toEqual([]);
    expect(r.auth).toEqual({ user: USER, mechanism: 'XOAUTH2', outcome: 'accepted', reply: '235 2.7.0 Authentication successful', enhancedCode: '2.7.0', reason: null });
    expect(s.authAttempts()).toEqual([{ method: 'XOAUTH2', user: USER, accepted: true }]);
    expect(client(lines)).toEqual(['EHLO [127.0.0.1]', 'STARTTLS', 'EHLO [127.0.0.1]', 'AUTH XOAUTH2', '<redacted> (XOAUTH2 token, hidden)', 'QUIT']);
    // The blob comes as its own line after the 334 (smtp-server logs it as AUTH).
    expect(s.commands()).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'AUTH', 'QUIT']);
    const all = JSON.stringify([r, lines]);
    for (const secret of [TOKEN, TOKEN_B64, xoauth2Response(USER, TOKEN), TOKEN.slice(40, 80)]) expect(all).not.toContain(secret);
  });

  it('uses the initial-response form while `AUTH XOAUTH2 <blob>` fits 512 octets, the two-step form from one octet more', async () => {
    // n = 20 + |user| + |token| bytes of SASL string; its base64 is 4*ceil(n/3); 13 + that + CRLF <= 512.
    const fits = 'x'.repeat(372 - 20 - USER.length);
    const over = `${fits}x`;
    expect(`AUTH XOAUTH2 ${xoauth2Response(USER, fits)}`.length + 2).toBeLessThanOrEqual(MAX_COMMAND_LINE);
    expect(`AUTH XOAUTH2 ${xoauth2Response(USER, over)}`.length + 2).toBeGreaterThan(MAX_COMMAND_LINE);
    for (const [token, expected] of [[fits, ['AUTH XOAUTH2 <redacted>']], [over, ['AUTH XOAUTH2', '<redacted> (XOAUTH2 token, hidden)']]] as const) {
      const s = await microsoft({ oauth: { user: USER, token } });
      const lines: TranscriptLine[] = [];
      const r = await probe(s, { auth: { ...oauth, token }, onTranscript: (l) => lines.push(l) });
      expect(r.auth?.outcome).toBe('accepted');
      expect(client(lines).slice(3, -1)).toEqual(expected);
    }
  });

  it('gives SMTP_OAUTH_FAILED for Exchange Online\'s 535 5.7.3 to a token that is not the one, and says the claims decide', async () => {
    const s = await microsoft();
    const lines: TranscriptLine[] = [];
    const wrong = `${TOKEN.slice(0, -4)}AAAA`;
    const r = await probe(s, { auth: { ...oauth, token: wrong }, onTranscript: (l) => lines.push(l) });
    expect(codes(r)).toEqual(['SMTP_OAUTH_FAILED']);
    expect(r.findings[0]?.severity).toBe('error');
    expect(r.findings[0]?.message).toMatch(/never tells the cause apart on the wire, so the token's claims decide/);
    expect(r.auth).toMatchObject({ mechanism: 'XOAUTH2', outcome: 'rejected', enhancedCode: '5.7.3' });
    expect(r.auth?.reply).toMatch(/^535 5\.7\.3 Authentication unsuccessful \[MW4PR03CA0001\.namprd03\.prod\.outlook\.com /);
    expect(s.authAttempts()).toEqual([{ method: 'XOAUTH2', user: USER, accepted: false }]);
    // Microsoft answers at once: no 334 challenge, no empty line.
    expect(client(lines)).not.toContain('(empty line: ends the failed XOAUTH2 exchange)');
    // The right token for another user is not accepted either.
    const other = await probe(s, { auth: { ...oauth, user: 'someone@contoso.com' } });
    expect(codes(other)).toEqual(['SMTP_OAUTH_FAILED']);
    expect(JSON.stringify([r, lines])).not.toContain(wrong);
  });

  it('answers a 334 challenge after the token with one empty line, then takes the final reply (Google\'s way)', async () => {
    const s = await microsoft({ oauthChallenge: true });
    const lines: TranscriptLine[] = [];
    const r = await probe(s, { auth: { ...oauth, token: 'not-the-token' }, onTranscript: (l) => lines.push(l) });
    expect(codes(r)).toEqual(['SMTP_OAUTH_FAILED']);
    expect(r.findings[0]?.message).toMatch(/after a 334 challenge/);
    expect(r.auth?.outcome).toBe('rejected');
    expect(r.auth?.reply).toMatch(/^535 /);
    expect(client(lines)).toEqual(['EHLO [127.0.0.1]', 'STARTTLS', 'EHLO [127.0.0.1]', 'AUTH XOAUTH2 <redacted>', '(empty line: ends the failed XOAUTH2 exchange)', 'QUIT']);
    expect(lines.find((l) => l.dir === 'S' && l.text.startsWith('334 '))?.text).toBe(`334 ${Buffer.from(JSON.stringify({ status: '400', schemes: 'Bearer', scope: 'https://outlook.office365.com/.default' })).toString('base64')}`);
  });

  it('gives SMTP_AUTH_DISABLED for 5.7.139: disabled SMTP AUTH blocks OAuth too', async () => {
    const s = await microsoft({ auth: MICROSOFT_AUTH_REPLIES.disabled });
    const r = await probe(s, { auth: oauth });
    expect(codes(r)).toEqual(['SMTP_AUTH_DISABLED']);
    expect(r.auth).toMatchObject({ mechanism: 'XOAUTH2', outcome: 'disabled', enhancedCode: '5.7.139' });
  });

  it('passes where Basic auth is gone: 550 5.7.30 to AUTH LOGIN, 235 to XOAUTH2 on the same endpoint', async () => {
    const s = await microsoft({ login: MICROSOFT_AUTH_REPLIES.basicRetired });
    const basic = await probe(s, { auth: { user: USER, password: PASSWORD } });
    expect(codes(basic)).toEqual(['SMTP_BASIC_AUTH_RETIRED']);
    const modern = await probe(s, { auth: oauth });
    expect(modern.findings).toEqual([]);
    expect(modern.auth?.outcome).toBe('accepted');
    expect(s.authAttempts().map((a) => [a.method, a.accepted])).toEqual([['LOGIN', false], ['XOAUTH2', true]]);
  });

  it('reports XOAUTH2 not offered (info) and sends nothing', async () => {
    const s = await microsoft({ mechanisms: ['LOGIN'] });
    const r = await probe(s, { auth: oauth });
    expect(r.authMechanisms).toEqual(['LOGIN']);
    expect(codes(r)).toEqual(['SMTP_AUTH_OTHER']);
    expect(r.findings[0]?.severity).toBe('info');
    expect(r.auth).toMatchObject({ mechanism: 'XOAUTH2', outcome: 'not-offered', reason: 'the server offers LOGIN' });
    expect(s.commands()).not.toContain('AUTH');
  });

  it('sends the token only over TLS that verified (or insecure), never in clear, never to port 25', async () => {
    const s = await microsoft();
    const unverified = await probe(s, { auth: oauth, ca: undefined });
    expect(unverified.auth).toMatchObject({ mechanism: 'XOAUTH2', outcome: 'not-sent', reason: expect.stringMatching(/did not verify/) });
    expect(s.commands()).not.toContain('AUTH');
    const insecure = await probe(s, { auth: oauth, ca: undefined, insecure: true });
    expect(codes(insecure)).toEqual(['SMTP_TLS_CERT_INVALID']);
    expect(insecure.auth?.outcome).toBe('accepted');
    const plain = await hostile('no-starttls');
    const clear = await probe(plain, { auth: oauth });
    expect(clear.auth).toMatchObject({ mechanism: 'XOAUTH2', outcome: 'not-sent' });
    expect(plain.commands()).toEqual(['EHLO', 'QUIT']);
    const legacy = await hostile('tls-legacy');
    expect((await probe(legacy, { auth: oauth })).auth?.outcome).toBe('not-sent');
    expect(legacy.commands()).not.toContain('AUTH');
    // Port 25 cannot be bound in a test; the socket factory sends it to the loopback server.
    const mx = await microsoft();
    const r25 = await probeSmtp({ host: '127.0.0.1', port: 25, ca: mx.caPem, timeoutMs: 2000, auth: oauth, connect: (t) => net.connect({ host: t.host, port: mx.port }) });
    expect(r25.auth).toMatchObject({ outcome: 'not-sent', reason: expect.stringMatching(/^port 25 is for server-to-server mail/) });
    expect(mx.commands()).not.toContain('AUTH');
    const login25 = await probeSmtp({ host: '127.0.0.1', port: 25, ca: mx.caPem, timeoutMs: 2000, auth: { user: USER, password: PASSWORD }, connect: (t) => net.connect({ host: t.host, port: mx.port }) });
    expect(login25.auth?.outcome).toBe('not-sent');
    expect(mx.authAttempts()).toEqual([]);
  });

  // Characters found nowhere else in a probe's output, and ordinary letters.
  it.each(['§', '§¤¶µ', 'x', 'tokn'])('never shows the %j token, its base64 or the blob, even where the server echoes them', async (token) => {
    const s = await hostile('echo-oauth');
    const lines: TranscriptLine[] = [];
    const r = await probe(s, { auth: { ...oauth, token }, onTranscript: (l) => lines.push(l) });
    expect(s.commands()).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'QUIT']);
    expect(codes(r)).toEqual(['SMTP_OAUTH_FAILED']);
    expect(client(lines)).toContain('AUTH XOAUTH2 <redacted>');
    const after = lines.slice(lines.findIndex((l) => l.text === 'AUTH XOAUTH2 <redacted>') + 1);
    expect(after).toEqual([
      { dir: 'S', text: `(not a reply line) ${WITHHELD}` },
      { dir: 'S', text: `535-5.7.3 ${WITHHELD}\n535-${WITHHELD}\n535 ${WITHHELD}` },
      { dir: 'C', text: 'QUIT' },
      { dir: 'S', text: `221 2.0.0 ${WITHHELD}` },
    ]);
    const all = JSON.stringify([r, lines]);
    expect(all).not.toContain(xoauth2Response(USER, token));
    expect(all).not.toContain(Buffer.from(token).toString('base64'));
    if (!/^[a-z]+$/.test(token)) expect(all).not.toContain(token);
    for (const echo of ['you sent', 'is wrong', 'bye']) expect(all).not.toContain(echo);
  });

  it('cuts a long token, its base64 and the blob out of an echo, in either form', async () => {
    for (const token of [TOKEN, 'short-enough-token-1234567890']) {
      const s = await hostile('echo-oauth');
      const lines: TranscriptLine[] = [];
      const r = await probe(s, { auth: { ...oauth, token }, onTranscript: (l) => lines.push(l) });
      expect(codes(r)).toEqual(['SMTP_OAUTH_FAILED']);
      expect(r.auth?.reply).toBe('535-5.7.3 token *** is wrong\n535-***\n535 5.7.3 ***');
      const all = JSON.stringify([r, lines]);
      for (const secret of [token, Buffer.from(token).toString('base64'), xoauth2Response(USER, token)]) expect(all).not.toContain(secret);
    }
  });
});

describe('a server that echoes the password back', () => {
  const b64 = (p: string): string => Buffer.from(p).toString('base64');
  /** What a client sees after the password line: every line the echoing server writes, withheld. */
  const AFTER_PASSWORD: TranscriptLine[] = [
    { dir: 'S', text: `(not a reply line) ${WITHHELD}` },
    { dir: 'S', text: `535-5.7.3 ${WITHHELD}\n535-${WITHHELD}\n535 ${WITHHELD}` },
    { dir: 'C', text: 'QUIT' },
    { dir: 'S', text: `221 2.0.0 ${WITHHELD}` },
  ];

  async function echoed(password: string): Promise<{ r: ProbeResult; lines: TranscriptLine[]; all: string }> {
    const s = await hostile('echo-auth');
    const lines: TranscriptLine[] = [];
    const r = await probe(s, { auth: { user: USER, password }, onTranscript: (l) => lines.push(l) });
    expect(s.commands()).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'AUTH', 'AUTH', 'QUIT']);
    expect(codes(r)).toEqual(['SMTP_AUTH_FAILED']);
    expect(r.auth).toMatchObject({ outcome: 'rejected', enhancedCode: '5.7.3' });
    return { r, lines, all: JSON.stringify([r, lines]) };
  }

  // Characters found nowhere else in a probe's output, so "appears nowhere" can be asserted for 1 to 4 characters.
  it.each(['§', '§¤', '§¤¶', '§¤¶µ'])('never shows the %j password or its base64 (length 1 to 4)', async (password) => {
    const { r, lines, all } = await echoed(password);
    expect(all).not.toContain(password);
    expect(all).not.toContain(b64(password));
    expect(lines.slice(lines.findIndex((l) => l.text === '*** (password, hidden)') + 1)).toEqual(AFTER_PASSWORD);
    expect(r.auth?.reply).toBe(`535-5.7.3 ${WITHHELD}\n535-${WITHHELD}\n535 ${WITHHELD}`);
    expect(r.findings[0]?.evidence).toBe(r.auth?.reply);
  });

  // Ordinary letters: they occur in the banner and EHLO, which are kept; everything said after the password is withheld.
  it.each(['x', 'ab', 'pw1', 'pass'])('withholds every line after the %j password, keeping the codes', async (password) => {
    const { r, lines, all } = await echoed(password);
    expect(lines.slice(lines.findIndex((l) => l.text === '*** (password, hidden)') + 1)).toEqual(AFTER_PASSWORD);
    expect(r.auth?.reply).toBe(`535-5.7.3 ${WITHHELD}\n535-${WITHHELD}\n535 ${WITHHELD}`);
    expect(all).not.toContain(b64(password));
    for (const echo of ['you sent', 'is wrong', 'bye']) expect(all).not.toContain(echo);
  });

  it('cuts a long password out of the echo and keeps the rest of the line', async () => {
    const { r, all } = await echoed(PASSWORD);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(PASSWORD_B64);
    expect(r.auth?.reply).toBe('535-5.7.3 password *** is wrong\n535-***\n535 5.7.3 ***');
  });
});

describe('a server that echoes part of the secret, split or re-encoded (issue 15 review)', () => {
  const b64 = (p: string): string => Buffer.from(p).toString('base64');
  /** TOKEN with a signature of RS256's length (256 bytes, 342 characters). */
  const SIGNED = `${TOKEN.slice(0, TOKEN.lastIndexOf('.'))}.${Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37 + 11) % 256)).toString('base64url')}`;
  async function run(kind: 'echo-auth' | 'echo-oauth', secret: string, echo: (s: string) => string): Promise<{ r: ProbeResult; all: string }> {
    const s = await hostile(kind, { echo });
    const lines: TranscriptLine[] = [];
    const auth = kind === 'echo-auth' ? { user: USER, password: secret } : { mechanism: 'XOAUTH2' as const, user: USER, token: secret };
    const r = await probe(s, { auth, onTranscript: (l) => lines.push(l) });
    return { r, all: JSON.stringify([r, lines]) };
  }

  it.each([
    ['the token minus its last character', (t: string) => `535 5.7.3 bad token ${t.slice(0, -1)}`],
    ['base64 of x + the token (shifted alignment)', (t: string) => `535 5.7.3 ${b64(`x${t}`)}`],
    ['the signature alone, minus its last character', (t: string) => `535 5.7.3 signature ${t.slice(t.lastIndexOf('.') + 1, -1)}`],
  ])('XOAUTH2, %s: the reply withheld, SMTP_OAUTH_FAILED with 535 5.7.3, no run of the token anywhere', async (_, echo) => {
    const { r, all } = await run('echo-oauth', SIGNED, echo);
    expect(codes(r)).toEqual(['SMTP_OAUTH_FAILED']);
    expect(r.auth).toMatchObject({ outcome: 'rejected', enhancedCode: '5.7.3', reply: `535 5.7.3 ${WITHHELD}` });
    expectNoRun(all, SIGNED);
    expectNoRun(all, b64(`x${SIGNED}`).slice(4, -4));
  });

  it.each([
    ['the password minus its last character', (p: string) => `535 5.7.3 bad password ${p.slice(0, -1)}`],
    ['the password split over two reply lines (15 + 10 characters)', (p: string) => `535-5.7.3 bad ${p.slice(0, 15)}\r\n535 5.7.3 ${p.slice(15)}`],
    ['base64 of xy + the password', (p: string) => `535 5.7.3 ${b64(`xy${p}`)}`],
  ])('LOGIN, %s: every line of the reply withheld, SMTP_AUTH_FAILED with 5.7.3, no run of the password anywhere', async (_, echo) => {
    const { r, all } = await run('echo-auth', PASSWORD, echo);
    expect(codes(r)).toEqual(['SMTP_AUTH_FAILED']);
    expect(r.auth).toMatchObject({ outcome: 'rejected', enhancedCode: '5.7.3' });
    expect(r.auth?.reply).toMatch(new RegExp(`^535[- ]5\\.7\\.3 \\[line withheld`));
    expect(r.auth?.reply?.split('\n').every((l) => l.endsWith(WITHHELD))).toBe(true);
    expectNoRun(all, PASSWORD);
    // The split's second part (10 characters) alone is below the window: the reply is withheld whole, so it is gone too.
    expect(all).not.toContain(PASSWORD.slice(15));
  });

  it('a withheld 5.7.139 reply still names the code: SMTP_AUTH_DISABLED with the catalog\'s fix', async () => {
    const { r, all } = await run('echo-auth', PASSWORD, (p) => `535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for ${p.slice(0, -1)}`);
    expect(codes(r)).toEqual(['SMTP_AUTH_DISABLED']);
    expect(r.auth).toMatchObject({ outcome: 'disabled', enhancedCode: '5.7.139', reply: `535 5.7.139 ${WITHHELD}` });
    expect(r.findings[0]?.fix).toContain('Set-CASMailbox');
    expectNoRun(all, PASSWORD);
  });
});

describe('probeSmtp against hostile servers: each gives its finding within the timeout', () => {
  // A server that stalls: the probe gives up at its deadline (SHORT), not at the default one; the
  // bound leaves room for a loaded machine and still tells SHORT from DEFAULT_PROBE_TIMEOUT_MS.
  const within = async (s: TestSmtpServer, opts: Partial<ProbeOptions> = {}): Promise<ProbeResult> => {
    const started = Date.now();
    const r = await probe(s, { timeoutMs: SHORT, ...opts });
    expect(Date.now() - started).toBeLessThan(SHORT + 2500);
    return r;
  };
  // A server that answers (refuses, offers no STARTTLS, speaks old TLS, closes): the finding comes
  // from what it said, so the deadline is wide enough that no load turns it into SMTP_TIMEOUT.
  const completes = (s: TestSmtpServer, opts: Partial<ProbeOptions> = {}): Promise<ProbeResult> => probe(s, { timeoutMs: 5000, ...opts });

  it('silent after accept: SMTP_TIMEOUT', async () => {
    const r = await within(await hostile('silent'));
    expect(codes(r)).toEqual(['SMTP_TIMEOUT']);
    expect(r.reachable).toBe(true);
    expect(r.banner).toBeNull();
  });

  it('connection refused: SMTP_UNREACHABLE', async () => {
    const r = await completes(await hostile('refused'));
    expect(codes(r)).toEqual(['SMTP_UNREACHABLE']);
    expect(r.reachable).toBe(false);
    expect(r.findings[0]?.evidence).toBe('ECONNREFUSED');
  });

  it('no TCP connection within the timeout: SMTP_TIMEOUT', async () => {
    // A socket that never connects stands in for a filtered port (no blackhole on loopback).
    const r = await within(ms, { connect: () => new net.Socket() });
    expect(codes(r)).toEqual(['SMTP_TIMEOUT']);
    expect(r.reachable).toBe(false);
    expect(r.findings[0]?.message).toMatch(/no TCP connection/);
  });

  it('no STARTTLS: SMTP_NO_STARTTLS', async () => {
    const r = await completes(await hostile('no-starttls'));
    expect(codes(r)).toEqual(['SMTP_NO_STARTTLS']);
    expect(r.starttls).toBe(false);
    expect(r.ehlo.beforeTls).toEqual(['PIPELINING', 'AUTH LOGIN PLAIN', '8BITMIME']);
    expect(r.authMechanisms).toBeNull();
  });

  it.each(['TLSv1', 'TLSv1.1'] as const)('TLS only %s: SMTP_TLS_WEAK', async (legacyVersion) => {
    const r = await completes(await hostile('tls-legacy', { legacyVersion }));
    expect(codes(r)).toEqual(['SMTP_TLS_WEAK']);
    expect(r.tlsVersion).toBe(legacyVersion);
    expect(r.certificate?.verified).toBe(true);
  });

  it('a banner at one byte a second: SMTP_TIMEOUT', async () => {
    const r = await within(await hostile('slow-banner', { intervalMs: 1000 }));
    expect(codes(r)).toEqual(['SMTP_TIMEOUT']);
    expect(r.banner).toBeNull();
  });

  it('an endless line: SMTP_TIMEOUT (no usable banner), cut off early', async () => {
    const r = await within(await hostile('endless-line'));
    expect(codes(r)).toEqual(['SMTP_TIMEOUT']);
    expect(r.findings[0]?.message).toMatch(/4096 bytes/);
    expect(r.findings[0]?.evidence).toBe('A'.repeat(80));
    expect(r.timing.totalMs).toBeLessThan(SHORT);
  });

  it('garbage lines: tolerated around a multi-line banner and EHLO reply', async () => {
    const r = await completes(await hostile('garbage'));
    expect(r.banner).toBe('220-mx.hostile.test ESMTP\n220 ready');
    expect(r.ehlo.beforeTls).toEqual(['PIPELINING', '8BITMIME', 'SIZE 1000000']);
    expect(codes(r)).toEqual(['SMTP_NO_STARTTLS']);
  });

  it('closing on EHLO: SMTP_UNREACHABLE (the server refuses the session; nothing timed out)', async () => {
    const r = await completes(await hostile('early-close'));
    expect(codes(r)).toEqual(['SMTP_UNREACHABLE']);
    expect(r.reachable).toBe(false);
    expect(r.banner).toBe('220 mx.hostile.test ESMTP ready');
    expect(r.findings[0]?.message).toMatch(/closed while waiting for the EHLO reply before TLS/);
  });

  it('a 554 greeting: SMTP_UNREACHABLE with the greeting as evidence', async () => {
    const r = await completes(await hostile('refuse-session'));
    expect(codes(r)).toEqual(['SMTP_UNREACHABLE']);
    expect(r.findings[0]?.evidence).toMatch(/^554 5\.7\.1 Service unavailable/);
  });

  it('keeps the overall deadline even when each wait is long', async () => {
    const s = await hostile('silent');
    // Each wait may take a minute; the whole probe 300 ms. (Had the per-wait timeout applied, vitest's 20 s would end the test.)
    const r = await probe(s, { timeoutMs: 60_000, deadlineMs: 300 });
    expect(codes(r)).toEqual(['SMTP_TIMEOUT']);
    expect(r.findings[0]?.message).toMatch(/overall deadline/);
  });

  it('none of them was sent MAIL, RCPT or DATA', () => {
    for (const s of servers) expect(s.commands().filter((c) => FORBIDDEN.includes(c))).toEqual([]);
  });
});

describe('probeEndpoints', () => {
  it('probes each distinct endpoint once per run', async () => {
    const s = await microsoft();
    const results = await probeEndpoints(
      [
        { host: '127.0.0.1', port: s.port },
        { host: '127.0.0.1.', port: s.port },
        { host: '127.0.0.1', port: s.port },
      ],
      { ca: s.caPem, timeoutMs: 2000 },
    );
    expect(results).toHaveLength(1);
    expect(s.commands().filter((c) => c === 'STARTTLS')).toHaveLength(1);
  });

  it('runs at most `concurrency` probes at a time', async () => {
    // Sockets that never connect until the test fails them: a probe holds its slot until then.
    const sockets: net.Socket[] = [];
    let opened: () => void = () => undefined;
    const twoOpen = new Promise<void>((resolve) => (opened = () => sockets.length === 2 && resolve()));
    let third: () => void = () => undefined;
    const thirdOpen = new Promise<void>((resolve) => (third = resolve));
    const prober = createEndpointProber({
      concurrency: 2,
      timeoutMs: 20_000,
      connect: () => {
        const s = new net.Socket();
        sockets.push(s);
        opened();
        if (sockets.length === 3) third();
        return s;
      },
    });
    const results = [1, 2, 3].map((n) => prober.probe({ host: '127.0.0.1', port: 1000 + n }));
    await twoOpen;
    // Every pending callback has run (setImmediate comes after them): still two.
    await new Promise((resolve) => setImmediate(resolve));
    expect(sockets).toHaveLength(2);
    sockets[0]?.destroy(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    await thirdOpen;
    expect(sockets).toHaveLength(3);
    for (const s of sockets.slice(1)) s.destroy(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    const all = await Promise.all(results);
    expect(all.map((r) => [r.port, codes(r)])).toEqual([[1001, ['SMTP_UNREACHABLE']], [1002, ['SMTP_UNREACHABLE']], [1003, ['SMTP_UNREACHABLE']]]);
  });

  it('shares in-flight and finished probes through one prober, and never sends credentials to port 25', async () => {
    const s = await microsoft();
    // Port 25 cannot be bound in a test; the socket factory sends it to the loopback server.
    const prober = createEndpointProber({ ca: s.caPem, timeoutMs: 2000, auth: { user: USER, password: PASSWORD }, connect: (t) => net.connect({ host: t.host, port: t.port === 25 ? s.port : t.port }) });
    const [a, b] = await Promise.all([prober.probe({ host: '127.0.0.1', port: 25 }), prober.probe({ host: '127.0.0.1', port: 25 })]);
    expect(a).toBe(b);
    expect(a?.auth).toBeNull();
    expect(s.authAttempts()).toEqual([]);
    const sub = await prober.probe({ host: '127.0.0.1', port: s.port });
    expect(sub.auth?.outcome).toBe('accepted');
    expect(await prober.results()).toHaveLength(2);
  });
});

describe('Microsoft expectation from the name', () => {
  it('expects Microsoft\'s banner when an MX probed by address names a Microsoft host in servername', async () => {
    const s = await microsoft({ greeting: 'mx.gateway.example ESMTP' });
    const r = await probe(s, { servername: 'contoso-com.mail.protection.outlook.com', insecure: true, expectAuth: false });
    expect(codes(r)).toEqual(['SMTP_BANNER_NOT_M365', 'SMTP_TLS_CERT_INVALID']);
  });
});
