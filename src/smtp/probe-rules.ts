/**
 * The probe's rules: each step's outcome -> findings, and what the result
 * records of it (the mapping table is in probe.ts's header).
 */
import { finding, type Finding } from '../findings/catalog.js';
import { explainCode } from './codes.js';
import { isMicrosoftBanner } from './endpoint.js';
import { isWeakTls, type AuthOutcome, type BannerOutcome, type ConnectOutcome, type EhloOutcome, type LoginOutcome, type LoginTurn, type OAuthOutcome, type OAuthTurn, type ProbeContext, type ReadFailure, type StarttlsOutcome, type StepOutcome, type TlsOutcome } from './outcomes.js';
import { authMechanisms, formatReply, type SmtpReply } from './reply.js';
import { basicAuthOutlook, TIMELINE_SOURCE } from './timeline.js';
import type { AuthTestResult, ProbeResult } from './types.js';

/** What the rules may know of the probe so far, beside the outcome and the context. */
export type ProbeFacts = Pick<ProbeResult, 'banner'>;
const NO_FACTS: ProbeFacts = { banner: null };
// ---------------------------------------------------------------------------
// The rules: outcome -> Finding[] (the table in the header)

/** What a wait was for, as messages say it. */
export const WAITING_FOR = {
  banner: 'while waiting for the banner',
  ehlo: 'while waiting for the EHLO reply before TLS',
  ehlo2: 'while waiting for the EHLO reply after TLS',
  starttls: 'while waiting for the reply to STARTTLS',
} as const;

/** What each AUTH LOGIN line is, as messages say it. */
export const LOGIN_TURN: Record<LoginTurn, string> = { command: 'AUTH LOGIN', user: 'the user name', password: 'the password' };
/** What each AUTH XOAUTH2 line is, as messages say it. */
export const OAUTH_TURN: Record<OAuthTurn, string> = {
  initial: 'AUTH XOAUTH2 with the token',
  command: 'AUTH XOAUTH2',
  token: 'the token',
  empty: "the empty line that answers the server's 334 challenge",
};

/** The client line an AUTH reply (or a failed wait) answered, as messages say it. */
export function turnLabel(o: Extract<AuthOutcome, { turn: string }>): string {
  switch (o.mechanism) {
    case 'LOGIN':
      return LOGIN_TURN[o.turn];
    case 'XOAUTH2':
      return OAUTH_TURN[o.turn];
  }
}

export const HELD_FIX = 'Check that nothing between here and the server (firewall, antivirus, proxy) holds the SMTP session.';
export const CUT_FIX = 'Check that nothing between here and the server (firewall, antivirus, proxy) cuts the SMTP session.';
export const REFUSED_FIX = 'A firewall or proxy may accept and drop the connection; check the path to the server.';

export function late(deadline: boolean, ctx: ProbeContext, stage: string): string {
  return deadline ? `the probe's overall deadline passed ${stage}` : `nothing within ${ctx.timeoutMs} ms ${stage}`;
}

/** A wait that gave no reply: SMTP_TIMEOUT, whatever ended it. */
export function waitFailed(f: ReadFailure, stage: string, ctx: ProbeContext): Finding {
  switch (f.failure) {
    case 'timeout':
      return finding('SMTP_TIMEOUT', `${ctx.where}: ${late(f.deadline, ctx, stage)}.`, { fix: HELD_FIX });
    case 'too-long':
      return finding('SMTP_TIMEOUT', `${ctx.where}: no usable reply ${stage}: ${f.error === 'line-too-long' ? 'a line ran past 4096 bytes without ending' : 'a reply ran past 200 lines'}.`, { evidence: f.sample, fix: 'Something other than an SMTP server answers on this port.' });
    case 'closed':
    case 'error':
      return finding('SMTP_TIMEOUT', `${ctx.where}: the connection ${f.failure === 'error' ? `failed (${f.code})` : 'was closed'} ${stage}.`, { fix: CUT_FIX });
  }
}

export const ended = (f: { failure: 'closed' } | { failure: 'error'; code: string }): string => (f.failure === 'error' ? `broken (${f.code})` : 'closed');

export function checkConnect(o: ConnectOutcome, ctx: ProbeContext): Finding[] {
  if (o.ok) return [];
  if (o.failure === 'timeout') {
    return [finding('SMTP_TIMEOUT', `${ctx.where}: no TCP connection within ${o.waitedMs} ms.`, { fix: `Port ${ctx.port} is probably filtered (many ISPs and networks block outbound SMTP); try another network or ask for the port to be opened.` })];
  }
  const what = o.code === 'ECONNREFUSED' ? 'the connection was refused' : o.code === 'ENOTFOUND' || o.code === 'EAI_AGAIN' ? 'the host name does not resolve' : `the host is unreachable (${o.code})`;
  return [finding('SMTP_UNREACHABLE', `${ctx.where}: ${what}.`, { evidence: o.code, fix: `Check the host name and that outbound TCP port ${ctx.port} is allowed from here.` })];
}

export function checkBanner(o: BannerOutcome, ctx: ProbeContext): Finding[] {
  if (o.ok) {
    const banner = formatReply(o.reply);
    if (!ctx.expectMicrosoft || isMicrosoftBanner(banner)) return [];
    return [finding('SMTP_BANNER_NOT_M365', `${ctx.where}: the banner is not Microsoft's, though a Microsoft host was targeted: something in between (proxy, antivirus, firewall) may intercept SMTP.`, { evidence: banner })];
  }
  switch (o.failure) {
    case 'refused-greeting': {
      const banner = formatReply(o.reply);
      return [finding('SMTP_UNREACHABLE', `${ctx.where}: the server greets with ${o.reply.code} instead of 220: it refuses the session.`, { evidence: banner, fix: explainCode(banner)?.fix ?? 'Check why the server refuses connections from this address.' })];
    }
    case 'closed':
    case 'error':
      return [finding('SMTP_UNREACHABLE', `${ctx.where}: the connection was ${ended(o)} before the server sent a banner.`, { fix: REFUSED_FIX })];
    default:
      return [waitFailed(o, WAITING_FOR.banner, ctx)];
  }
}

export function checkEhlo(o: EhloOutcome, ctx: ProbeContext): Finding[] {
  if (o.ok) {
    if (o.step === 'ehlo' || authMechanisms(o.capabilities).length > 0 || !ctx.expectAuth) return [];
    return [finding('SMTP_NO_AUTH', `${ctx.where}: no AUTH mechanisms are offered after TLS.`, { evidence: `EHLO: ${o.capabilities.join(', ') || '(no extensions)'}`, fix: 'Clients cannot authenticate here; for Microsoft 365 use smtp.office365.com:587.' })];
  }
  switch (o.failure) {
    case 'refused':
      // No ESMTP means no STARTTLS (before TLS) and no AUTH (after it).
      return [finding(o.step === 'ehlo' ? 'SMTP_NO_STARTTLS' : 'SMTP_NO_AUTH', `${ctx.where}: EHLO was refused (${o.reply.code}), so no extensions are available.`, { evidence: formatReply(o.reply) })];
    case 'closed':
    case 'error':
      // Like a close before the banner: the service ends the session instead of answering, it refuses us.
      return [finding('SMTP_UNREACHABLE', `${ctx.where}: the connection was ${ended(o)} ${WAITING_FOR[o.step]}: the server ends the session instead of answering EHLO.`, { fix: 'The server, or a firewall or proxy in between, ends the session on EHLO; check why it refuses this client (its logs, blocklists, connection limits).' })];
    default:
      return [waitFailed(o, WAITING_FOR[o.step], ctx)];
  }
}

export function checkStarttls(o: StarttlsOutcome, ctx: ProbeContext): Finding[] {
  if (o.ok) return [];
  switch (o.failure) {
    case 'not-offered':
      return [finding('SMTP_NO_STARTTLS', `${ctx.where}: STARTTLS is not offered; mail and credentials would travel in clear.`, { evidence: `EHLO: ${o.capabilities.join(', ') || '(no extensions)'}`, fix: 'Enable STARTTLS on the server, or find what strips it on the way (an SMTP-inspecting firewall or antivirus).' })];
    case 'refused':
      return [finding('SMTP_NO_STARTTLS', `${ctx.where}: STARTTLS is offered but the server refuses it (${o.reply.code}).`, { evidence: formatReply(o.reply), fix: 'Check the server\'s TLS configuration.' })];
    default:
      return [waitFailed(o, WAITING_FOR.starttls, ctx)];
  }
}

export function checkTls(o: TlsOutcome, ctx: ProbeContext): Finding[] {
  if (!o.ok) {
    switch (o.failure) {
      case 'timeout':
        return [finding('SMTP_TIMEOUT', `${ctx.where}: ${o.deadline ? "the probe's overall deadline passed during" : `no TLS handshake within ${ctx.timeoutMs} ms of`} ${ctx.mode === 'starttls' ? 'STARTTLS' : 'connecting'}.`)];
      case 'protocol-version':
        return [finding('SMTP_TLS_WEAK', `${ctx.where}: the TLS handshake failed on the protocol version: the server offers no protocol this client can use.`, { evidence: o.code, fix: 'Enable TLS 1.2 or 1.3 on the server.' })];
      case 'error':
        return ctx.mode === 'starttls'
          ? [finding('SMTP_NO_STARTTLS', `${ctx.where}: STARTTLS was accepted but the TLS handshake failed, so there is no usable TLS.`, { evidence: `${o.code}: ${o.message}`, fix: 'Check the server\'s TLS configuration (certificate, key, protocols).' })]
          : [finding('SMTP_UNREACHABLE', `${ctx.where}: TCP connected but the implicit TLS handshake failed.`, { evidence: `${o.code}: ${o.message}`, fix: 'Check that the port speaks implicit TLS (465); Microsoft 365 submission uses STARTTLS on 587.' })];
    }
  }
  const out: Finding[] = [];
  if (isWeakTls(o.version)) {
    out.push(finding('SMTP_TLS_WEAK', `${ctx.where}: ${o.version} was negotiated; TLS 1.2 or later is required.`, { evidence: `${o.version} ${o.cipher ?? ''}`.trim(), fix: 'Enable TLS 1.2 or 1.3 on the server and disable older protocols.' }));
  }
  const c = o.certificate;
  if (!c?.verified) {
    out.push(finding('SMTP_TLS_CERT_INVALID', `${ctx.where}: the certificate does not verify for ${ctx.verifyName}${c?.error ? ` (${c.error})` : ''}.`, {
      evidence: c ? `subject ${c.subject}; issuer ${c.issuer}; names ${c.altNames.join(' ') || '-'}; valid ${c.validFrom ?? '?'} to ${c.validTo ?? '?'}` : 'no certificate',
      fix: ctx.insecure ? 'Install a certificate from a trusted CA that names this host.' : 'Install a certificate from a trusted CA that names this host; to trust a private CA use --tls-ca FILE, or --insecure to carry on anyway.',
    }));
  }
  return out;
}

/** The reason an AUTH exchange broke off (AuthTestResult.reason and the finding say it). */
export function brokeOff(f: ReadFailure, label: string, ctx: ProbeContext): string {
  const stage = `while waiting for the reply to ${label}`;
  if (f.failure === 'timeout') return late(f.deadline, ctx, stage);
  return `the connection ${f.failure === 'error' ? `failed (${f.code})` : f.failure === 'too-long' ? 'sent an unusable reply' : 'was closed'} ${stage}`;
}

/** Microsoft's endpoint: a Microsoft host was targeted, or the banner is Microsoft's (the sandbox's stand-in says so too). */
function atMicrosoft(ctx: ProbeContext, facts: ProbeFacts): boolean {
  return ctx.expectMicrosoft || (facts.banner !== null && isMicrosoftBanner(facts.banner));
}

/** The findings both mechanisms give alike: 5.7.139, another reply, an exchange that broke off. */
function commonAuthFindings(o: Extract<AuthOutcome, { turn: string }> & { ok: false }, ctx: ProbeContext): Finding[] {
  if ('reply' in o) {
    const reply = formatReply(o.reply);
    const enhanced = o.reply.enhanced?.text ?? null;
    const explained = explainCode(reply);
    if (o.failure === 'disabled') {
      // Disabling SMTP AUTH blocks OAuth too (research oauth.md §2 [S]: email-oauth2-proxy #66).
      return [finding('SMTP_AUTH_DISABLED', `${ctx.where}: SMTP AUTH is disabled or blocked for ${o.user} (5.7.139)${o.mechanism === 'XOAUTH2' ? ': this blocks OAuth (XOAUTH2) as well as Basic auth' : ''}.`, { evidence: reply, fix: explained?.fix ?? undefined })];
    }
    const what = explained ? `${explained.title}: ${explained.meaning}` : `reply ${o.reply.code}`;
    return [finding('SMTP_AUTH_OTHER', `${ctx.where}: the AUTH test got ${o.reply.code}${enhanced ? ` ${enhanced}` : ''} after ${turnLabel(o)}: ${what}`, { evidence: reply, fix: explained?.fix ?? undefined })];
  }
  return [finding('SMTP_TIMEOUT', `${ctx.where}: the AUTH test broke off: ${brokeOff(o, turnLabel(o), ctx)}.`)];
}

/**
 * AUTH LOGIN's findings. Accepted at Microsoft's endpoint: Basic auth works
 * today, and the warning says when Microsoft's timeline turns it off
 * (timeline.ts, for ctx.clock); 550 5.7.30: it has been removed.
 */
export function checkLogin(o: LoginOutcome, ctx: ProbeContext, facts: ProbeFacts = NO_FACTS): Finding[] {
  if (o.ok) {
    if (!atMicrosoft(ctx, facts)) return [];
    const outlook = basicAuthOutlook(ctx.clock());
    return [finding('SMTP_BASIC_AUTH_RETIRING', `${ctx.where}: AUTH LOGIN (Basic auth, a password) works for ${o.user} today. ${outlook.summary}`, {
      evidence: `${formatReply(o.reply)}; timeline: ${TIMELINE_SOURCE}`,
      fix: 'Move the app or device to OAuth 2.0 (XOAUTH2; test it with m365audit probe --auth-user USER --oauth), or to another sending path: High Volume Email, Azure Communication Services Email, direct send, or a relay connector (m365audit send-paths).',
    })];
  }
  switch (o.failure) {
    case 'weak-tls':
    case 'mx-port':
      return [];
    case 'not-offered':
      if (o.offered.length === 0) return [];
      return [finding('SMTP_AUTH_OTHER', `${ctx.where}: AUTH LOGIN is not offered (only ${o.offered.join(' ')}), so the credentials were not tested.`, { fix: 'Basic SMTP AUTH is not available here; use OAuth (XOAUTH2).' })];
    case 'retired':
      return [finding('SMTP_BASIC_AUTH_RETIRED', `${ctx.where}: Basic authentication (AUTH LOGIN) is no longer accepted for ${o.user}: Microsoft has removed it for SMTP AUTH client submission (550 5.7.30).`, {
        evidence: formatReply(o.reply),
        fix: explainCode(formatReply(o.reply))?.fix ?? 'Move the app to OAuth 2.0 (XOAUTH2).',
      })];
    case 'rejected': {
      const reply = formatReply(o.reply);
      const enhanced = o.reply.enhanced?.text ?? null;
      return [finding('SMTP_AUTH_FAILED', `${ctx.where}: the AUTH test for ${o.user} was rejected${enhanced ? ` (${enhanced})` : ''}.`, { evidence: reply, fix: explainCode(reply)?.fix ?? 'Check the user name (full UPN) and the password.' })];
    }
    default:
      return commonAuthFindings(o, ctx);
  }
}

/**
 * What a rejected token may lack: Exchange Online answers 535 5.7.3 to every
 * token problem (wrong audience, expired, no SMTP.SendAsApp role, a service
 * principal registered with the wrong object id, no mailbox permission) and
 * never tells them apart on the wire, so the token's claims decide (research
 * oauth.md §2 and §3; Learn "Authenticate an IMAP, POP or SMTP connection
 * using OAuth").
 */
export const OAUTH_FAILED_FIX =
  "Decode the token's claims: aud must be Exchange Online (https://outlook.office365.com), an app token needs roles SMTP.SendAsApp (delegated: scp SMTP.Send), exp in the future, tid your tenant. Then in Exchange Online PowerShell register the app: New-ServicePrincipal -AppId <client id> -ObjectId <the Enterprise application's object id>, and give it the mailbox: Add-MailboxPermission -Identity <mailbox> -User <service principal id> -AccessRights FullAccess.";

/** AUTH XOAUTH2's findings: 535 is SMTP_OAUTH_FAILED, whose cause the token's claims tell (the wire does not). */
export function checkOAuth(o: OAuthOutcome, ctx: ProbeContext): Finding[] {
  if (o.ok) return [];
  switch (o.failure) {
    case 'weak-tls':
    case 'mx-port':
      return [];
    case 'not-offered':
      if (o.offered.length === 0) return [];
      return [finding('SMTP_AUTH_OTHER', `${ctx.where}: XOAUTH2 is not offered (only ${o.offered.join(' ')}), so the token was not tested.`, { fix: "OAuth SMTP AUTH needs an endpoint that offers XOAUTH2: Exchange Online's smtp.office365.com:587 offers AUTH LOGIN XOAUTH2 after STARTTLS." })];
    case 'rejected': {
      const reply = formatReply(o.reply);
      const enhanced = o.reply.enhanced?.text ?? null;
      const challenged = o.turn === 'empty' ? ' after a 334 challenge' : '';
      return [finding('SMTP_OAUTH_FAILED', `${ctx.where}: the XOAUTH2 test for ${o.user} was rejected${enhanced ? ` (${enhanced})` : ''}${challenged}. Exchange Online gives this one reply to every token problem and never tells the cause apart on the wire, so the token's claims decide (audience, SMTP.SendAsApp or SMTP.Send, expiry, tenant), and then the Exchange side (service principal, mailbox permission).`, { evidence: reply, fix: OAUTH_FAILED_FIX })];
    }
    default:
      return commonAuthFindings(o, ctx);
  }
}

/** An AuthTestResult, its fields in the order the JSON has always had them. */
export function authTestResult(user: string, mechanism: AuthTestResult['mechanism'], outcome: AuthTestResult['outcome'], reason: string | null, reply: SmtpReply | null = null): AuthTestResult {
  return { user, mechanism, outcome, reply: reply ? formatReply(reply) : null, enhancedCode: reply?.enhanced?.text ?? null, reason };
}

/** The AUTH test's result in the ProbeResult. */
export function authResult(o: AuthOutcome, ctx: ProbeContext): AuthTestResult {
  if (o.ok) return authTestResult(o.user, o.mechanism, 'accepted', null, o.reply);
  switch (o.failure) {
    case 'weak-tls':
      return authTestResult(o.user, o.mechanism, 'not-sent', `${o.version} is too weak to carry credentials (use --insecure to send them anyway)`);
    case 'mx-port':
      return authTestResult(o.user, o.mechanism, 'not-sent', `port ${o.port} is for server-to-server mail: credentials are only sent to a submission port (587, or 465 with --tls)`);
    case 'not-offered':
      return authTestResult(o.user, o.mechanism, 'not-offered', `the server offers ${o.offered.join(' ') || 'no AUTH mechanism'}`);
    case 'disabled':
    case 'rejected':
    case 'retired':
    case 'other':
      return authTestResult(o.user, o.mechanism, o.failure, null, o.reply);
    default:
      return authTestResult(o.user, o.mechanism, 'incomplete', brokeOff(o, turnLabel(o), ctx));
  }
}

/** When the probe stops at this outcome with credentials in hand: why they were not sent (null: no AUTH result). */
export function notSentReason(o: StepOutcome, ctx: ProbeContext): string | null {
  if (o.ok) return null;
  if (o.step === 'starttls' && o.failure === 'not-offered') return 'the server offers no STARTTLS, and credentials are never sent in clear';
  if (o.step === 'starttls' && o.failure === 'refused') return 'STARTTLS was refused, and credentials are never sent in clear';
  if (o.step === 'tls' && ctx.mode === 'starttls') return 'the TLS handshake failed';
  if (o.step === 'trust') return `the certificate did not verify for ${ctx.verifyName} (use --tls-ca FILE to trust its CA, or --insecure)`;
  return null;
}

/** Every step's findings, by its rule; `facts`: what the probe has recorded so far (the AUTH rules read the banner). */
export function checkStep(o: StepOutcome, ctx: ProbeContext, facts: ProbeFacts = NO_FACTS): Finding[] {
  switch (o.step) {
    case 'connect':
      return checkConnect(o, ctx);
    case 'banner':
      return checkBanner(o, ctx);
    case 'ehlo':
    case 'ehlo2':
      return checkEhlo(o, ctx);
    case 'starttls':
      return checkStarttls(o, ctx);
    case 'tls':
      return checkTls(o, ctx);
    case 'trust':
      return [];
    case 'auth':
      return checkAuth(o, ctx, facts);
  }
}

/** The AUTH step's findings, by the mechanism's rule. */
export function checkAuth(o: AuthOutcome, ctx: ProbeContext, facts: ProbeFacts = NO_FACTS): Finding[] {
  switch (o.mechanism) {
    case 'LOGIN':
      return checkLogin(o, ctx, facts);
    case 'XOAUTH2':
      return checkOAuth(o, ctx);
  }
}

/**
 * What follows an outcome: the next step, QUIT and stop, or stop without
 * QUIT (nothing to say it on: no connection, no usable channel after a
 * failed TLS handshake, a banner or STARTTLS reply that did not come).
 */
export function nextAfter(o: StepOutcome): 'next' | 'quit' | 'stop' {
  if (o.ok) return 'next';
  switch (o.step) {
    case 'connect':
    case 'tls':
      return 'stop';
    case 'banner':
      return o.failure === 'refused-greeting' ? 'quit' : 'stop';
    case 'starttls':
      return o.failure === 'not-offered' || o.failure === 'refused' ? 'quit' : 'stop';
    default:
      return 'quit';
  }
}

/** The facts an outcome adds to the result. */
export function recordOutcome(result: ProbeResult, o: StepOutcome, ctx: ProbeContext): void {
  switch (o.step) {
    case 'connect':
      if (o.ok) {
        result.reachable = true;
        result.timing.connectMs = o.ms;
      }
      return;
    case 'banner':
      if (o.ok || o.failure === 'refused-greeting') {
        result.timing.bannerMs = o.ms;
        result.banner = formatReply(o.reply);
      }
      return;
    case 'ehlo':
      if (o.ok) result.ehlo.beforeTls = o.capabilities;
      return;
    case 'starttls':
      result.starttls = o.ok || o.failure !== 'not-offered';
      return;
    case 'tls':
      if (o.ok) {
        result.timing.tlsMs = o.ms;
        result.tlsVersion = o.version;
        result.cipher = o.cipher;
        result.certificate = o.certificate;
      }
      return;
    case 'trust':
      return;
    case 'ehlo2':
      if (o.ok) {
        result.ehlo.afterTls = o.capabilities;
        result.authMechanisms = authMechanisms(o.capabilities);
      }
      return;
    case 'auth':
      result.auth = authResult(o, ctx);
      return;
  }
}

