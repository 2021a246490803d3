/**
 * The SMTP submission probe: TCP connect, banner, EHLO, STARTTLS, the TLS
 * handshake (SNI, verification against the host name), EHLO again, AUTH
 * mechanisms, an optional AUTH test (LOGIN with a password, or XOAUTH2 with
 * an OAuth 2.0 access token), QUIT. It never sends MAIL, RCPT or
 * DATA (reference §8: probing RCPT trips directory and reputation blocks).
 *
 * The probe is a sequence of steps, each a small function that does its
 * I/O and returns a typed outcome (`{ step, ok: true, … }` or `{ step, ok:
 * false, failure, … }`); the findings are built from those outcomes by one
 * rule per step (`check*`, outcome -> Finding[]), and the result's facts by
 * `recordOutcome`. No finding code is chosen from message text.
 *
 *   STARTTLS (587): connect, banner, ehlo, starttls, tls, trust, ehlo2, auth
 *   implicit (465): connect, tls, banner, trust, ehlo2, auth
 *
 * (`trust` does no I/O: past a certificate that did not verify, only
 * --insecure goes on; `auth` runs only with credentials.) Every wait has its
 * own timeout and the whole probe an overall deadline. Expected outcomes
 * (refused, silent, hostile servers) become findings; `probeSmtp` does not
 * throw for them.
 *
 * How outcomes map onto the catalog, which has no "protocol error" code
 * (`ok` outcomes give nothing unless a row says so):
 *
 *   step      outcome                                      finding
 *   --------  -------------------------------------------  ---------------------------
 *   connect   error: refused, no route, host not found     SMTP_UNREACHABLE
 *   connect   timeout: no TCP connection within the wait   SMTP_TIMEOUT
 *   banner    closed / error: the connection ended first   SMTP_UNREACHABLE
 *   banner    refused-greeting: a greeting other than 220  SMTP_UNREACHABLE
 *   banner    timeout / too-long: nothing, or no complete  SMTP_TIMEOUT ("no banner")
 *             line, in time (silent, one byte a second,
 *             an endless line cut off at 4 KiB)
 *   banner    ok, not Microsoft's, a Microsoft host aimed  SMTP_BANNER_NOT_M365 (info)
 *   ehlo      closed / error: the server ends the session  SMTP_UNREACHABLE (it refuses us, as
 *   ehlo2       instead of answering EHLO                    a close before the banner; this
 *                                                             was SMTP_TIMEOUT until issue 14)
 *   ehlo      refused (not 250): no ESMTP, no STARTTLS     SMTP_NO_STARTTLS
 *   ehlo2     refused (not 250): no ESMTP, no AUTH         SMTP_NO_AUTH
 *   ehlo2     ok, no AUTH mechanism (AUTH expected:        SMTP_NO_AUTH
 *               not port 25)
 *   ehlo      timeout / too-long                           SMTP_TIMEOUT
 *   ehlo2
 *   starttls  not-offered / refused (not 220)              SMTP_NO_STARTTLS
 *   starttls  timeout / too-long / closed / error          SMTP_TIMEOUT
 *   tls       protocol-version: no common version          SMTP_TLS_WEAK
 *   tls       error, after STARTTLS                        SMTP_NO_STARTTLS
 *   tls       error, implicit TLS                          SMTP_UNREACHABLE
 *   tls       timeout                                      SMTP_TIMEOUT
 *   tls       ok, below TLS 1.2                            SMTP_TLS_WEAK
 *   tls       ok, the certificate does not verify          SMTP_TLS_CERT_INVALID
 *   trust     unverified (no --insecure): stop             (none: tls gave the finding)
 *   auth      weak-tls: not sent over TLS below 1.2        (none: tls gave SMTP_TLS_WEAK)
 *   auth      mx-port: not sent to port 25                 (none: auth says not-sent)
 *   auth      not-offered: the mechanism is not offered,   SMTP_AUTH_OTHER (info)
 *               others are
 *   auth      disabled: 5.7.139 (either mechanism)         SMTP_AUTH_DISABLED
 *   LOGIN     ok: 235, at a Microsoft endpoint             SMTP_BASIC_AUTH_RETIRING (warning;
 *                                                             the message says when, from
 *                                                             timeline.ts, for ctx.clock)
 *   LOGIN     retired: 550 5.7.30                          SMTP_BASIC_AUTH_RETIRED
 *   LOGIN     rejected: 535                                SMTP_AUTH_FAILED
 *   XOAUTH2   rejected: 535 (5.7.3)                        SMTP_OAUTH_FAILED
 *   auth      other: any other final reply                 SMTP_AUTH_OTHER (info)
 *   auth      timeout / too-long / closed / error: the     SMTP_TIMEOUT
 *               exchange broke off
 *
 * Secrets: the password (or token) is written to the socket once, base64-
 * encoded, and nowhere else; the transcript shows that line masked
 * (`*** (password, hidden)`, `AUTH XOAUTH2 <redacted>`). A server may echo it
 * back, whole, in part, split over lines or re-encoded, and a short secret
 * cannot be cut out of text without mangling it (a one-letter password is in
 * every word), so redaction is structural (redact.ts): every server line
 * read after the secret was sent that shares a 12-character run with it, its
 * base64 (at any alignment) or the XOAUTH2 blob is withheld whole; a whole
 * echo of a long secret is cut; after a secret shorter than 12 characters
 * every line is withheld; all before anything sees it: the transcript, the
 * AUTH reply, findings and their evidence. The code and enhanced code of a
 * withheld reply are kept. Lines read before the secret was sent cannot
 * echo it and are kept as they are.
 */
import net from 'node:net';
import pLimit from 'p-limit';
import { canonicalName } from '../domain/normalize.js';
import { TIMEOUT } from '../util/deadline.js';
import { certificateInfo, Channel, connectTcp, ehloArgument, startTls, VERSION_ALERT, type Bound, type SocketFactory, type TrustedCa } from './channel.js';
import { IMPLICIT_TLS_PORT, isMicrosoftSmtpHost, SMTP_PORT, SUBMISSION_PORT } from './endpoint.js';
import { IMPLICIT_STEPS, isWeakTls, STARTTLS_STEPS, type AuthExchangeOutcome, type AuthFailure, type BannerOutcome, type ConnectOutcome, type EhloOutcome, type EhloStep, type LoginTurn, type OAuthTurn, type ProbeContext, type StarttlsOutcome, type StepName, type StepOutcome, type TlsOutcome, type TrustOutcome } from './outcomes.js';
import { authTestResult, checkStep, nextAfter, notSentReason, recordOutcome } from './probe-rules.js';
import { b64, createSafetyNet, scrub } from './redact.js';
import { ehloCapabilities, hasCapability, type SmtpReply } from './reply.js';
import type { AuthMechanismName, CertificateInfo, ProbeResult, TlsMode, TranscriptLine } from './types.js';

/** Each wait of a probe (connect, banner, each reply, the TLS handshake), in ms (`--probe-timeout`). */
export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
/** Waits in a full probe with AUTH: about ten; three timeouts' worth bounds a crawling server. */
const DEADLINE_FACTOR = 3;
/** QUIT is a courtesy: never wait long for its reply. */
const QUIT_WAIT_MS = 1_000;

export type { SocketFactory, TrustedCa };

/** AUTH LOGIN's credentials (Basic auth): `mechanism` may be left out. */
export interface LoginCredentials {
  mechanism?: 'LOGIN';
  user: string;
  password: string;
}

/** AUTH XOAUTH2's credentials: the mailbox (`user=`) and an OAuth 2.0 access token. */
export interface OAuthCredentials {
  mechanism: 'XOAUTH2';
  /** The mailbox to send as (for a shared mailbox, its address: research oauth.md §2). */
  user: string;
  token: string;
}

/** The optional AUTH test's credentials: a password (LOGIN, the default) or a token (XOAUTH2). */
export type ProbeAuth = LoginCredentials | OAuthCredentials;

/** The secret a test's credentials carry: the password or the token. */
export function secretOf(auth: ProbeAuth): string {
  return auth.mechanism === 'XOAUTH2' ? auth.token : auth.password;
}

/**
 * What probeSmtp probes and how: the endpoint, TLS mode, waits, trust, the
 * optional AUTH test's credentials. The password or token is only ever
 * written to the socket, base64-encoded, over TLS 1.2+ that verified (or
 * with `insecure`), and never to port 25.
 */
export interface ProbeOptions {
  host: string;
  /** Default 587, or 465 with implicit TLS. */
  port?: number;
  tls?: TlsMode;
  /** Each wait (connect, banner, each reply, the TLS handshake). */
  timeoutMs?: number;
  /** The whole probe (default three times timeoutMs). */
  deadlineMs?: number;
  /** Name for SNI and certificate verification (default: host). */
  servername?: string;
  /** Extra trusted CA(s), added to Node's root store (--tls-ca). */
  ca?: TrustedCa;
  /** Carry on past a certificate that does not verify (still reported). */
  insecure?: boolean;
  /** Check the banner is Microsoft's (default: when host or servername is a Microsoft host). */
  expectMicrosoft?: boolean;
  /** Report SMTP_NO_AUTH when no AUTH follows TLS (default: not on port 25, where Microsoft's MX offers none). */
  expectAuth?: boolean;
  /** Optional AUTH test: LOGIN with a password, or XOAUTH2 with a token. */
  auth?: ProbeAuth;
  /** Today, for Microsoft's Basic-auth timeline in SMTP_BASIC_AUTH_RETIRING (default: the system clock). */
  clock?: () => Date;
  /** EHLO argument (default: the address literal of our end, RFC 5321 4.1.3). */
  ehloName?: string;
  /** Socket factory (tests); default net.connect. */
  connect?: SocketFactory;
  /** Receives the SMTP conversation; the password and the token are masked. */
  onTranscript?: (line: TranscriptLine) => void;
}

export function createProbeContext(opts: ProbeOptions): ProbeContext {
  const mode: TlsMode = opts.tls ?? 'starttls';
  const host = canonicalName(opts.host);
  const port = opts.port ?? (mode === 'implicit' ? IMPLICIT_TLS_PORT : SUBMISSION_PORT);
  return {
    host,
    port,
    mode,
    where: net.isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`,
    timeoutMs: Math.max(1, opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS),
    verifyName: (opts.servername ?? host).toLowerCase(),
    insecure: opts.insecure === true,
    // An MX probed by address carries its name in servername: that name says whether Microsoft is expected.
    expectMicrosoft: opts.expectMicrosoft ?? (isMicrosoftSmtpHost(host) || (opts.servername !== undefined && isMicrosoftSmtpHost(opts.servername))),
    expectAuth: opts.expectAuth ?? port !== 25,
    clock: opts.clock ?? (() => new Date()),
  };
}

// ---------------------------------------------------------------------------
// The steps: each does its I/O and returns its outcome

/** What the steps share: the context, the clock, the transcript and the live connection. */
interface Session {
  readonly ctx: ProbeContext;
  readonly opts: ProbeOptions;
  readonly started: number;
  readonly deadline: number;
  readonly transcript: (line: TranscriptLine) => void;
  /** Every socket opened, destroyed when the probe ends. */
  readonly sockets: net.Socket[];
  /** The TCP socket, once connected. */
  plain: net.Socket | null;
  /** The SMTP conversation: on the plain socket (STARTTLS), or once TLS is up (implicit TLS). */
  channel: Channel | null;
  ehloName: string;
}

/** The next wait: the per-wait timeout, or what is left of the overall deadline when that is less. */
function nextWait(s: Session): Bound {
  const left = s.deadline - Date.now();
  return { ms: Math.min(s.ctx.timeoutMs, left), deadline: left < s.ctx.timeoutMs };
}

function channelOf(s: Session): Channel {
  if (!s.channel) throw new Error('probe: a step that talks SMTP ran before the connection was up');
  return s.channel;
}

async function connectStep(s: Session): Promise<ConnectOutcome> {
  s.transcript({ dir: '*', text: `connecting to ${s.ctx.where}` });
  const factory = s.opts.connect ?? ((t) => net.connect({ host: t.host, port: t.port }));
  const r = await connectTcp(factory, s.ctx.host, s.ctx.port, nextWait(s).ms);
  if (r === TIMEOUT) return { step: 'connect', ok: false, failure: 'timeout', waitedMs: Math.min(s.ctx.timeoutMs, s.deadline - s.started) };
  if (!r.ok) return { step: 'connect', ok: false, failure: 'error', code: r.code };
  s.sockets.push(r.socket);
  s.plain = r.socket;
  s.ehloName = s.opts.ehloName ?? ehloArgument(r.socket);
  if (s.ctx.mode === 'starttls') s.channel = new Channel(r.socket, s.transcript);
  return { step: 'connect', ok: true, ms: Date.now() - s.started };
}

async function bannerStep(s: Session): Promise<BannerOutcome> {
  const t0 = Date.now();
  const r = await channelOf(s).read(nextWait(s));
  if (!r.ok) return { step: 'banner', ...r };
  const ms = Date.now() - t0;
  if (r.reply.code !== 220) return { step: 'banner', ok: false, failure: 'refused-greeting', reply: r.reply, ms };
  return { step: 'banner', ok: true, reply: r.reply, ms };
}

async function ehloStep<S extends EhloStep>(s: Session, step: S): Promise<EhloOutcome<S>> {
  const channel = channelOf(s);
  channel.write(`EHLO ${s.ehloName}`);
  const r = await channel.read(nextWait(s));
  if (!r.ok) return { step, ...r };
  if (r.reply.code !== 250) return { step, ok: false, failure: 'refused', reply: r.reply };
  return { step, ok: true, capabilities: ehloCapabilities(r.reply) };
}

async function starttlsStep(s: Session, capabilities: string[]): Promise<StarttlsOutcome> {
  if (!hasCapability(capabilities, 'STARTTLS')) return { step: 'starttls', ok: false, failure: 'not-offered', capabilities };
  const channel = channelOf(s);
  channel.write('STARTTLS');
  const r = await channel.read(nextWait(s));
  if (!r.ok) return { step: 'starttls', ...r };
  if (r.reply.code !== 220) return { step: 'starttls', ok: false, failure: 'refused', reply: r.reply };
  return { step: 'starttls', ok: true };
}

/** The TLS handshake, on the plain socket (implicit TLS) or taken over from the channel after STARTTLS. */
async function tlsStep(s: Session): Promise<TlsOutcome> {
  const raw = s.channel ? s.channel.detach() : s.plain;
  if (!raw) throw new Error('probe: TLS before the connection was up');
  const t0 = Date.now();
  s.transcript({ dir: '*', text: `TLS handshake (verifying ${s.ctx.verifyName})` });
  const wait = nextWait(s);
  const r = await startTls(raw, s.ctx.verifyName, s.opts.ca, wait.ms);
  if (r === TIMEOUT) return { step: 'tls', ok: false, failure: 'timeout', deadline: wait.deadline };
  if (!r.ok) return VERSION_ALERT.test(r.code) ? { step: 'tls', ok: false, failure: 'protocol-version', code: r.code } : { step: 'tls', ok: false, failure: 'error', code: r.code, message: r.message };
  s.sockets.push(r.socket);
  const ms = Date.now() - t0;
  const version = r.socket.getProtocol();
  const cipher = r.socket.getCipher()?.name ?? null;
  const certificate = certificateInfo(r.socket);
  s.transcript({ dir: '*', text: `TLS ${version ?? '?'} ${cipher ?? ''}, certificate ${certificate?.verified ? 'verified' : `not verified (${certificate?.error ?? 'none'})`}` });
  if (s.channel) s.channel.resume(r.socket);
  else s.channel = new Channel(r.socket, s.transcript);
  return { step: 'tls', ok: true, version, cipher, certificate, ms };
}

function trustStep(certificate: CertificateInfo | null, insecure: boolean): TrustOutcome {
  // Without trust in the peer, stop here: nothing more is learned safely.
  return certificate?.verified === true || insecure ? { step: 'trust', ok: true } : { step: 'trust', ok: false, failure: 'unverified' };
}


/** One client line of a SASL exchange. */
interface AuthTurn<T extends string> {
  turn: T;
  send: string;
  /** What the transcript shows instead of `send`. */
  shown: string;
  /** The secret the line carries: every server line read after it is redacted of it. */
  secret?: string;
  /** Other forms the secret travels in (the XOAUTH2 blob): redacted as well. */
  also?: string[];
}

/**
 * A SASL mechanism the AUTH test runs: its name as EHLO advertises it, and
 * its client lines, each sent after a 334 to the one before (RFC 4954
 * section 4). XOAUTH2 is another entry with its own credentials and turns.
 */
interface AuthMechanism<M extends string, T extends string, C> {
  name: M;
  turns(credentials: C): AuthTurn<T>[];
}

/** AUTH LOGIN without an initial response: the user after the first 334, the password after the second (RFC 4954, draft-murchison-sasl-login). */
const LOGIN: AuthMechanism<'LOGIN', LoginTurn, LoginCredentials> = {
  name: 'LOGIN',
  turns: ({ user, password }) => [
    { turn: 'command', send: 'AUTH LOGIN', shown: 'AUTH LOGIN' },
    { turn: 'user', send: b64(user), shown: `${b64(user)} (user name)` },
    { turn: 'password', send: b64(password), shown: '*** (password, hidden)', secret: password },
  ],
};

/** RFC 5321 section 4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
export const MAX_COMMAND_LINE = 512;

/**
 * The XOAUTH2 initial client response: base64("user=" USER ^A "auth=Bearer "
 * TOKEN ^A ^A), ^A being 0x01 (Learn, "Authenticate an IMAP, POP or SMTP
 * connection using OAuth": research oauth.md §2, whose worked example is a
 * unit-test vector). Pure.
 */
export function xoauth2Response(user: string, token: string): string {
  return b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`);
}

/**
 * AUTH XOAUTH2: the initial-response form `AUTH XOAUTH2 <blob>` when that
 * line fits RFC 5321's 512 octets, else `AUTH XOAUTH2`, a 334, then the blob
 * (RFC 4954 section 4: "If use of the initial response argument would cause
 * the AUTH command to exceed this length, the client MUST NOT use the
 * initial response parameter"; Exchange Online tokens run to 1,500 characters
 * and more, so the two-step form, Learn's sample, is the usual one). Exchange
 * Online answers a bad token with 535 5.7.3 at once; a server that answers
 * with a 334 challenge instead (Google's XOAUTH2) gets one empty line and
 * then gives its final reply (research oauth.md §2). The transcript shows
 * `AUTH XOAUTH2 <redacted>`, never the blob.
 */
const XOAUTH2: AuthMechanism<'XOAUTH2', OAuthTurn, OAuthCredentials> = {
  name: 'XOAUTH2',
  turns: ({ user, token }) => {
    const blob = xoauth2Response(user, token);
    const empty: AuthTurn<OAuthTurn> = { turn: 'empty', send: '', shown: '(empty line: ends the failed XOAUTH2 exchange)' };
    const initial = `AUTH XOAUTH2 ${blob}`;
    if (Buffer.byteLength(initial) + 2 <= MAX_COMMAND_LINE) {
      return [{ turn: 'initial', send: initial, shown: 'AUTH XOAUTH2 <redacted>', secret: token, also: [blob] }, empty];
    }
    return [
      { turn: 'command', send: 'AUTH XOAUTH2', shown: 'AUTH XOAUTH2' },
      { turn: 'token', send: blob, shown: '<redacted> (XOAUTH2 token, hidden)', secret: token, also: [blob] },
      empty,
    ];
  },
};

/**
 * The AUTH step for one mechanism: not sent to port 25, over TLS below 1.2
 * (unless --insecure), nor when the mechanism is not offered; else the
 * exchange, ended by the first reply that is not a 334 asking for the next
 * line (never a loop: each line is sent once).
 */
async function authStep<M extends AuthMechanismName, T extends string, C extends { user: string }>(
  s: Session,
  mechanism: AuthMechanism<M, T, C>,
  credentials: C,
  offered: readonly string[],
  tlsVersion: string | null,
): Promise<AuthExchangeOutcome<M, T>> {
  const head = { step: 'auth', mechanism: mechanism.name, user: credentials.user } as const;
  if (s.ctx.port === SMTP_PORT) return { ...head, ok: false, failure: 'mx-port', port: s.ctx.port };
  if (isWeakTls(tlsVersion) && !s.ctx.insecure) return { ...head, ok: false, failure: 'weak-tls', version: tlsVersion };
  if (!offered.includes(mechanism.name)) return { ...head, ok: false, failure: 'not-offered', offered: [...offered] };
  const channel = channelOf(s);
  const turns = mechanism.turns(credentials);
  let secretSent = false;
  for (const [i, t] of turns.entries()) {
    if (t.secret !== undefined) {
      channel.writeSecret(t.send, t.shown, t.secret, t.also);
      secretSent = true;
    } else {
      channel.write(t.send, t.shown);
    }
    const r = await channel.read(nextWait(s));
    if (!r.ok) return { ...head, turn: t.turn, ...r };
    if (r.reply.code === 334 && i < turns.length - 1) continue;
    if (r.reply.code === 235 && secretSent) return { ...head, ok: true, turn: t.turn, reply: r.reply };
    return { ...head, ok: false, failure: authFailure(r.reply, mechanism.name), turn: t.turn, reply: r.reply };
  }
  throw new Error(`probe: AUTH ${mechanism.name} has no turns`);
}

/**
 * A final AUTH reply that is not success, by its codes: Microsoft's 5.7.139
 * before the generic 535; 550 5.7.30 to AUTH LOGIN is Basic auth removed
 * (Exchange Team blog 4114750: "550 5.7.30 Basic authentication is not
 * supported for Client Submission").
 */
export function authFailure(reply: SmtpReply, mechanism: AuthMechanismName = 'LOGIN'): AuthFailure {
  if (reply.enhanced?.text === '5.7.139') return 'disabled';
  if (mechanism === 'LOGIN' && reply.enhanced?.text === '5.7.30') return 'retired';
  if (reply.code === 535) return 'rejected';
  return 'other';
}

async function quit(s: Session): Promise<void> {
  const channel = s.channel;
  if (!channel) return;
  channel.write('QUIT');
  await channel.read({ ms: Math.min(QUIT_WAIT_MS, Math.max(0, s.deadline - Date.now())), deadline: true });
  channel.close();
}

// ---------------------------------------------------------------------------
// The probe

/**
 * Probes one SMTP endpoint (see the module comment for the steps and the
 * findings each outcome gives). Connects only to `opts.host`:`opts.port`
 * (through `opts.connect` when given); never sends MAIL, RCPT or DATA; every
 * wait has `opts.timeoutMs` and the whole probe `opts.deadlineMs`. Resolves
 * with findings; does not throw for network outcomes, and no socket outlives
 * it.
 */
export async function probeSmtp(opts: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const ctx = createProbeContext(opts);
  // Over text that did not come after the secret (the banner, EHLO) only a long one is cut: a short one is in ordinary words.
  const secret = opts.auth ? secretOf(opts.auth) : '';
  const safetyNet = opts.auth ? createSafetyNet(secret, opts.auth.mechanism === 'XOAUTH2' ? [xoauth2Response(opts.auth.user, secret)] : []) : null;
  const emit = opts.onTranscript ?? (() => undefined);
  const s: Session = {
    ctx,
    opts,
    started,
    deadline: started + (opts.deadlineMs ?? ctx.timeoutMs * DEADLINE_FACTOR),
    transcript: (line) => emit(scrub(line, safetyNet)),
    sockets: [],
    plain: null,
    channel: null,
    ehloName: '',
  };
  const result: ProbeResult = {
    host: ctx.host, port: ctx.port, tls: ctx.mode, reachable: false, banner: null, ehlo: { beforeTls: null, afterTls: null },
    starttls: null, tlsVersion: null, cipher: null, certificate: null, authMechanisms: null, auth: null,
    findings: [], timing: { connectMs: null, bannerMs: null, tlsMs: null, totalMs: 0 },
  };
  const run = (step: StepName): Promise<StepOutcome> | StepOutcome => {
    switch (step) {
      case 'connect':
        return connectStep(s);
      case 'banner':
        return bannerStep(s);
      case 'ehlo':
      case 'ehlo2':
        return ehloStep(s, step);
      case 'starttls':
        return starttlsStep(s, result.ehlo.beforeTls ?? []);
      case 'tls':
        return tlsStep(s);
      case 'trust':
        return trustStep(result.certificate, ctx.insecure);
      case 'auth': {
        const auth = opts.auth;
        if (!auth) throw new Error('probe: the AUTH step without credentials');
        const offered = result.authMechanisms ?? [];
        return auth.mechanism === 'XOAUTH2' ? authStep(s, XOAUTH2, auth, offered, result.tlsVersion) : authStep(s, LOGIN, auth, offered, result.tlsVersion);
      }
    }
  };

  try {
    let next: 'next' | 'quit' | 'stop' = 'next';
    for (const step of ctx.mode === 'implicit' ? IMPLICIT_STEPS : STARTTLS_STEPS) {
      if (step === 'auth' && !opts.auth) break;
      const outcome = await run(step);
      recordOutcome(result, outcome, ctx);
      result.findings.push(...checkStep(outcome, ctx, result));
      next = nextAfter(outcome);
      if (next === 'next') continue;
      const reason = opts.auth ? notSentReason(outcome, ctx) : null;
      if (opts.auth && reason) result.auth = authTestResult(opts.auth.user, opts.auth.mechanism ?? LOGIN.name, 'not-sent', reason);
      break;
    }
    if (next !== 'stop') await quit(s);
    // `reachable` means an SMTP service took the session (types.ts): never beside SMTP_UNREACHABLE.
    if (result.findings.some((f) => f.code === 'SMTP_UNREACHABLE')) result.reachable = false;
    result.timing.totalMs = Date.now() - started;
    return scrub(result, safetyNet);
  } finally {
    // Whatever happened, no socket outlives the probe.
    for (const socket of s.sockets) socket.destroy();
  }
}

/** One endpoint for createEndpointProber or probeEndpoints: host, port and TLS mode. */
export interface EndpointProbe {
  host: string;
  port: number;
  tls?: TlsMode;
  /** Default: not on port 25 (Microsoft's MX offers no AUTH). */
  expectAuth?: boolean;
}

/** ProbeOptions shared by every endpoint of a prober, and how many probes may run at once (`concurrency`, default 4). */
export type SharedProbeOptions = Omit<ProbeOptions, 'host' | 'port' | 'tls' | 'expectAuth'> & { concurrency?: number };

/**
 * Probes each distinct endpoint once (host compared case-insensitively, port
 * and TLS mode as given), in first-seen order, at most `concurrency` (default
 * 4) at a time. Port 25 endpoints (MX hosts) never get credentials.
 * `check`/`batch` call this so one run probes the submission host and each MX
 * host once however many domains share them.
 */
export function createEndpointProber(opts: SharedProbeOptions = {}): { probe(e: EndpointProbe): Promise<ProbeResult>; results(): Promise<ProbeResult[]> } {
  const seen = new Map<string, Promise<ProbeResult>>();
  const { concurrency, ...shared } = opts;
  // p-limit takes whole numbers from 1 (or Infinity): 2.5 allows 3, as the hand-written semaphore did; NaN the default.
  const wanted = concurrency === undefined || Number.isNaN(concurrency) ? 4 : concurrency;
  const limit = pLimit(Math.max(1, Math.ceil(wanted)));
  return {
    probe(e: EndpointProbe): Promise<ProbeResult> {
      const host = canonicalName(e.host);
      const mode = e.tls ?? 'starttls';
      const key = `${mode}:${host}:${e.port}`;
      const existing = seen.get(key);
      if (existing) return existing;
      const p = limit(() => probeSmtp({ ...shared, host, port: e.port, tls: mode, expectAuth: e.expectAuth, auth: e.port === 25 ? undefined : shared.auth }));
      seen.set(key, p);
      return p;
    },
    results(): Promise<ProbeResult[]> {
      return Promise.all(seen.values());
    },
  };
}

/** Probes a list of endpoints, each distinct one once; results in first-seen order. */
export async function probeEndpoints(endpoints: readonly EndpointProbe[], opts: SharedProbeOptions = {}): Promise<ProbeResult[]> {
  const prober = createEndpointProber(opts);
  for (const e of endpoints) void prober.probe(e);
  return prober.results();
}
