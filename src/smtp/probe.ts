/**
 * The SMTP submission probe: TCP connect, banner, EHLO, STARTTLS, the TLS
 * handshake (SNI, verification against the host name), EHLO again, AUTH
 * mechanisms, an optional AUTH LOGIN test, QUIT. It never sends MAIL, RCPT or
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
 *   auth      not-offered: no LOGIN, other mechanisms      SMTP_AUTH_OTHER (info)
 *   auth      disabled: 5.7.139                            SMTP_AUTH_DISABLED
 *   auth      rejected: 535                                SMTP_AUTH_FAILED
 *   auth      other: any other final reply                 SMTP_AUTH_OTHER (info)
 *   auth      timeout / too-long / closed / error: the     SMTP_TIMEOUT
 *               exchange broke off
 *
 * Secrets: the password is written to the socket once, base64-encoded, and
 * nowhere else; the transcript shows that line masked. A server may echo it
 * back, and a short password cannot be cut out of text without mangling it
 * (a one-letter password is in every word), so redaction is structural: every
 * server line read after the password was sent that holds the password or its
 * base64 is cut (long passwords) or withheld whole (short ones, or when
 * cutting would leave it) before anything sees it: the transcript, the AUTH
 * reply, findings and their evidence. Lines read before the password was sent
 * cannot echo it and are kept as they are.
 */
import net from 'node:net';
import tls from 'node:tls';
import { StringDecoder } from 'node:string_decoder';
import pLimit from 'p-limit';
import { finding, type Finding } from '../findings/catalog.js';
import { settleWithin, TIMEOUT, type Timeout } from '../net/deadline.js';
import { explainCode } from './codes.js';
import { IMPLICIT_TLS_PORT, isMicrosoftBanner, isMicrosoftSmtpHost, SUBMISSION_PORT } from './endpoint.js';
import { authMechanisms, createReplyParser, ehloCapabilities, formatReply, hasCapability, type ReplyError, type SmtpReply } from './reply.js';
import type { AuthTestResult, CertificateInfo, ProbeResult, TlsMode, TranscriptLine } from './types.js';
import { canonicalName } from '../domain/normalize.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
/** Waits in a full probe with AUTH: about ten; three timeouts' worth bounds a crawling server. */
const DEADLINE_FACTOR = 3;
/** QUIT is a courtesy: never wait long for its reply. */
const QUIT_WAIT_MS = 1_000;
const WEAK_TLS = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1']);

export type SocketFactory = (target: { host: string; port: number }) => net.Socket;

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
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** Carry on past a certificate that does not verify (still reported). */
  insecure?: boolean;
  /** Check the banner is Microsoft's (default: when host or servername is a Microsoft host). */
  expectMicrosoft?: boolean;
  /** Report SMTP_NO_AUTH when no AUTH follows TLS (default: not on port 25, where Microsoft's MX offers none). */
  expectAuth?: boolean;
  /** Optional AUTH LOGIN test. */
  auth?: { user: string; password: string };
  /** EHLO argument (default: the address literal of our end, RFC 5321 4.1.3). */
  ehloName?: string;
  /** Socket factory (tests); default net.connect. */
  connect?: SocketFactory;
  /** Receives the SMTP conversation; the password is masked. */
  onTranscript?: (line: TranscriptLine) => void;
}

/** What the rules need to know about the probe, beside a step's outcome. */
export interface ProbeContext {
  host: string;
  port: number;
  mode: TlsMode;
  /** `host:port` (`[v6]:port`) as messages name the endpoint. */
  where: string;
  /** Each wait. */
  timeoutMs: number;
  /** The name the certificate is verified against. */
  verifyName: string;
  insecure: boolean;
  expectMicrosoft: boolean;
  expectAuth: boolean;
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
  };
}

// ---------------------------------------------------------------------------
// Step outcomes

/**
 * Why a wait gave no reply. `deadline`: the wait was cut short by the
 * probe's overall deadline rather than given the full timeout (decided by
 * the bound that was set, not by re-reading the clock: a timer may fire a
 * millisecond before Date.now() reaches the deadline).
 */
export type ReadFailure =
  | { failure: 'timeout'; deadline: boolean }
  | { failure: 'closed' }
  | { failure: 'error'; code: string }
  | { failure: 'too-long'; error: ReplyError; sample: string };

export type ConnectOutcome =
  | { step: 'connect'; ok: true; ms: number }
  | { step: 'connect'; ok: false; failure: 'timeout'; waitedMs: number }
  | { step: 'connect'; ok: false; failure: 'error'; code: string };

export type BannerOutcome =
  | { step: 'banner'; ok: true; reply: SmtpReply; ms: number }
  | { step: 'banner'; ok: false; failure: 'refused-greeting'; reply: SmtpReply; ms: number }
  | ({ step: 'banner'; ok: false } & ReadFailure);

/** `ehlo` before TLS, `ehlo2` after it (with implicit TLS, the only one). */
export type EhloStep = 'ehlo' | 'ehlo2';
export type EhloOutcome<S extends EhloStep = EhloStep> =
  | { step: S; ok: true; capabilities: string[] }
  | { step: S; ok: false; failure: 'refused'; reply: SmtpReply }
  | ({ step: S; ok: false } & ReadFailure);

export type StarttlsOutcome =
  | { step: 'starttls'; ok: true }
  | { step: 'starttls'; ok: false; failure: 'not-offered'; capabilities: string[] }
  | { step: 'starttls'; ok: false; failure: 'refused'; reply: SmtpReply }
  | ({ step: 'starttls'; ok: false } & ReadFailure);

export type TlsOutcome =
  | { step: 'tls'; ok: true; version: string | null; cipher: string | null; certificate: CertificateInfo | null; ms: number }
  | { step: 'tls'; ok: false; failure: 'timeout'; deadline: boolean }
  | { step: 'tls'; ok: false; failure: 'protocol-version'; code: string }
  | { step: 'tls'; ok: false; failure: 'error'; code: string; message: string };

/** Whether the session goes on past TLS: a certificate that verified, or --insecure. */
export type TrustOutcome = { step: 'trust'; ok: true } | { step: 'trust'; ok: false; failure: 'unverified' };

/**
 * One SASL mechanism's AUTH exchange (RFC 4954). `turn` names the client
 * line the final reply (or the failed wait) answered. A mechanism is a
 * `mechanism` value with its own turns; adding one (XOAUTH2) adds a variant
 * and a rule, and leaves the others alone.
 */
export type AuthExchangeOutcome<M extends string, T extends string> = { step: 'auth'; mechanism: M; user: string } & (
  | { ok: true; turn: T; reply: SmtpReply }
  /** A final reply other than success: 535 (rejected), 5.7.139 (disabled), anything else (other). */
  | { ok: false; failure: 'rejected' | 'disabled' | 'other'; turn: T; reply: SmtpReply }
  /** Not sent: the negotiated TLS is too old to carry credentials (and no --insecure). */
  | { ok: false; failure: 'weak-tls'; version: string }
  /** Not sent: the server does not offer this mechanism. */
  | { ok: false; failure: 'not-offered'; offered: string[] }
  | ({ ok: false; turn: T } & ReadFailure)
);

/** AUTH LOGIN's client lines: the command, the user name after the first 334, the password after the second. */
export type LoginTurn = 'command' | 'user' | 'password';
export type LoginOutcome = AuthExchangeOutcome<'LOGIN', LoginTurn>;
/** Every mechanism the AUTH test speaks (XOAUTH2 joins here). */
export type AuthOutcome = LoginOutcome;

export type StepOutcome = ConnectOutcome | BannerOutcome | EhloOutcome | StarttlsOutcome | TlsOutcome | TrustOutcome | AuthOutcome;
export type StepName = StepOutcome['step'];

const STARTTLS_STEPS: readonly StepName[] = ['connect', 'banner', 'ehlo', 'starttls', 'tls', 'trust', 'ehlo2', 'auth'];
const IMPLICIT_STEPS: readonly StepName[] = ['connect', 'tls', 'banner', 'trust', 'ehlo2', 'auth'];

// ---------------------------------------------------------------------------
// The connection

/** How long a wait may take, and whether the overall deadline (not the per-wait timeout) set that. */
interface Bound {
  ms: number;
  deadline: boolean;
}

type Read = { ok: true; reply: SmtpReply } | ({ ok: false } & ReadFailure);
type Ended = Exclude<ReadFailure, { failure: 'timeout' }>;

/** One SMTP connection: a socket (plain, then TLS) read as replies, each read with a timeout. */
class Channel {
  private socket: net.Socket;
  private parser = createReplyParser();
  private decoder = new StringDecoder('utf8');
  private replies: SmtpReply[] = [];
  private terminal: Ended | null = null;
  private wake: (() => void) | null = null;
  /** Set once the password is sent: every server line after that passes through it. */
  private redact: ((line: string) => string) | null = null;
  private readonly listeners = {
    data: (d: Buffer) => this.onText(this.decoder.write(d)),
    end: () => this.onEnd({ failure: 'closed' }),
    close: () => this.onEnd({ failure: 'closed' }),
    error: (e: NodeJS.ErrnoException) => this.onEnd({ failure: 'error', code: e.code ?? 'EIO' }),
  };

  constructor(
    socket: net.Socket,
    private readonly transcript: (line: TranscriptLine) => void,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.listeners.data);
    socket.on('end', this.listeners.end);
    socket.on('close', this.listeners.close);
    socket.on('error', this.listeners.error);
  }

  private onText(text: string): void {
    const redact = this.redact;
    for (const e of this.parser.push(text)) {
      if (e.type === 'reply') {
        const reply = redact ? redactReply(e.reply, redact) : e.reply;
        this.transcript({ dir: 'S', text: formatReply(reply) });
        this.replies.push(reply);
      } else if (e.type === 'garbage') {
        this.transcript({ dir: 'S', text: `(not a reply line) ${redact ? redact(e.line) : e.line}` });
      } else {
        this.terminal ??= { failure: 'too-long', error: e.error, sample: redact ? redact(e.sample) : e.sample };
        this.socket.destroy();
      }
    }
    this.wake?.();
  }

  /**
   * Writes the password line: from here on every server line is redacted of
   * it. Set before the write, so no reply to it can come in unredacted.
   */
  writeSecret(line: string, shown: string, secret: string): void {
    this.redact = createRedactor(secret);
    this.write(line, shown);
  }

  private onEnd(result: Ended): void {
    this.parser.end();
    this.terminal ??= result;
    this.wake?.();
  }

  /** The next complete reply, or why there is none within the bound. */
  read(bound: Bound): Promise<Read> {
    return new Promise((resolve) => {
      const take = (): boolean => {
        const reply = this.replies.shift();
        if (reply) {
          resolve({ ok: true, reply });
          return true;
        }
        if (this.terminal) {
          resolve({ ok: false, ...this.terminal });
          return true;
        }
        return false;
      };
      if (take()) return;
      const timer = setTimeout(() => {
        this.wake = null;
        resolve({ ok: false, failure: 'timeout', deadline: bound.deadline });
      }, Math.max(0, bound.ms));
      this.wake = () => {
        if (take()) {
          clearTimeout(timer);
          this.wake = null;
        }
      };
    });
  }

  /** Writes one command line; `shown` replaces it in the transcript (for secrets). */
  write(line: string, shown: string = line): void {
    this.transcript({ dir: 'C', text: shown });
    if (!this.socket.destroyed) this.socket.write(`${line}\r\n`);
  }

  /**
   * Hands the plain socket over for the TLS handshake. Anything the server
   * sent after its 220 to STARTTLS is dropped unread (RFC 3207 section 4.2:
   * nothing from before TLS may be trusted after it).
   */
  detach(): net.Socket {
    const s = this.socket;
    s.off('data', this.listeners.data);
    s.off('end', this.listeners.end);
    s.off('close', this.listeners.close);
    s.off('error', this.listeners.error);
    // A late error on the raw socket must not become an unhandled 'error' event.
    s.on('error', () => undefined);
    return s;
  }

  /** Continues on the TLS socket with a fresh parser. */
  resume(socket: net.Socket): void {
    this.socket = socket;
    this.parser = createReplyParser();
    this.decoder = new StringDecoder('utf8');
    this.replies = [];
    this.terminal = null;
    this.attach(socket);
  }

  close(): void {
    this.socket.destroy();
  }
}

type Connected = { ok: true; socket: net.Socket } | { ok: false; code: string };

/** A TCP connection within `ms`; the socket is destroyed unless it connected. */
function connectTcp(factory: SocketFactory, host: string, port: number, ms: number): Promise<Connected | Timeout> {
  let socket: net.Socket;
  try {
    socket = factory({ host, port });
  } catch (err) {
    return Promise.resolve({ ok: false, code: (err as NodeJS.ErrnoException).code ?? 'EINVAL' });
  }
  return settleWithin<Connected>(ms, (settle) => {
    const onConnect = (): void => settle({ ok: true, socket });
    const onError = (e: NodeJS.ErrnoException): void => settle({ ok: false, code: e.code ?? 'EIO' });
    socket.once('connect', onConnect);
    socket.once('error', onError);
    return (outcome) => {
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (outcome === TIMEOUT || !outcome.ok) discard(socket);
    };
  });
}

type Handshake = { ok: true; socket: tls.TLSSocket } | { ok: false; code: string; message: string };

/** The TLS handshake over `raw` within `ms`; the TLS socket is destroyed unless it completed. */
function startTls(raw: net.Socket, name: string, ca: ProbeOptions['ca'], ms: number): Promise<Handshake | Timeout> {
  return settleWithin<Handshake>(ms, (settle) => {
    const isIp = net.isIP(name) !== 0;
    const socket = tls.connect({
      socket: raw,
      // Verification uses servername, else host; SNI must not carry an IP address (RFC 6066 section 3).
      host: name,
      servername: isIp ? undefined : name,
      ca: ca === undefined ? undefined : [...tls.rootCertificates, ...(Array.isArray(ca) ? ca : [ca])],
      // Verified by hand after the handshake, so an invalid certificate can still be described (and --insecure carry on).
      rejectUnauthorized: false,
      // Accept old protocols and ciphers so a weak server is measured (SMTP_TLS_WEAK) instead of failing the
      // handshake; credentials are never sent over them unless --insecure.
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    const onSecure = (): void => settle({ ok: true, socket });
    const onError = (e: NodeJS.ErrnoException): void => settle({ ok: false, code: e.code ?? 'EPROTO', message: e.message.split('\n')[0] ?? '' });
    socket.once('secureConnect', onSecure);
    socket.once('error', onError);
    return (outcome) => {
      socket.off('secureConnect', onSecure);
      socket.off('error', onError);
      if (outcome === TIMEOUT || !outcome.ok) discard(socket);
    };
  });
}

/** Destroys a socket that is given up on; a late error on it must not become an unhandled 'error' event. */
function discard(socket: net.Socket): void {
  socket.on('error', () => undefined);
  socket.destroy();
}

/** OpenSSL's codes for a handshake that found no common protocol version. */
const VERSION_ALERT = /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_LOW/i;

// ---------------------------------------------------------------------------
// Certificates, EHLO name, secrets

function nameString(n: unknown): string {
  if (!n || typeof n !== 'object') return '';
  return Object.entries(n as Record<string, string | string[]>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

function isoDate(s: string | undefined): string | null {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function certificateInfo(socket: tls.TLSSocket): CertificateInfo | null {
  const cert = socket.getPeerCertificate(false);
  if (!cert || Object.keys(cert).length === 0) return null;
  const altNames = (cert.subjectaltname ?? '')
    .split(/,\s*/)
    .map((s) => s.replace(/^(DNS|IP Address):/, ''))
    .filter((s) => s.length > 0);
  const err = socket.authorizationError as unknown;
  return {
    subject: nameString(cert.subject),
    issuer: nameString(cert.issuer),
    altNames,
    validFrom: isoDate(cert.valid_from),
    validTo: isoDate(cert.valid_to),
    fingerprint256: cert.fingerprint256 ?? '',
    verified: socket.authorized,
    error: socket.authorized ? null : err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err ?? 'unknown'),
  };
}

function ehloArgument(socket: net.Socket): string {
  const a = socket.localAddress;
  if (!a) return '[127.0.0.1]';
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return net.isIP(v4) === 6 ? `[IPv6:${v4}]` : net.isIP(v4) === 4 ? `[${v4}]` : '[127.0.0.1]';
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/**
 * Shortest password cut out of an echoing line as `***`; a shorter one may
 * be part of ordinary words, so a line holding it is withheld whole.
 */
const MIN_SCRUB_LENGTH = 8;
/** What replaces a server line that echoed the password (or its base64). */
export const WITHHELD = '[line withheld: it holds the password]';

/** A redactor for server text: the line as it is, cut of the password, or WITHHELD. */
function createRedactor(secret: string): (line: string) => string {
  const forms = [secret, b64(secret)].filter((f) => f.length > 0);
  const leaks = (text: string): boolean => forms.some((f) => text.includes(f));
  return (line) => {
    if (!leaks(line)) return line;
    if (secret.length >= MIN_SCRUB_LENGTH) {
      const cut = forms.reduce((text, f) => text.split(f).join('***'), line);
      // Cutting can join pieces back into the password ('****' out of '*****'): then withhold.
      if (!leaks(cut)) return cut;
    }
    return WITHHELD;
  };
}

/** A reply with each line redacted; code and enhanced code are kept, so findings still name them. */
function redactReply(reply: SmtpReply, redact: (line: string) => string): SmtpReply {
  const lines = reply.lines.map((l, i) => {
    const r = redact(l);
    return r === WITHHELD && i === 0 && reply.enhanced ? `${reply.enhanced.text} ${WITHHELD}` : r;
  });
  return { ...reply, lines };
}

/** Every string in a value through the redactor (a last net over the whole result, for long passwords). */
function scrub<T>(value: T, redact: ((line: string) => string) | null): T {
  if (!redact) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
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

const isWeakTls = (version: string | null): version is string => version !== null && WEAK_TLS.has(version);

/** One client line of a SASL exchange. */
interface AuthTurn<T extends string> {
  turn: T;
  send: string;
  /** What the transcript shows instead of `send`. */
  shown: string;
  /** The secret the line carries: every server line read after it is redacted of it. */
  secret?: string;
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
const LOGIN: AuthMechanism<'LOGIN', LoginTurn, { user: string; password: string }> = {
  name: 'LOGIN',
  turns: ({ user, password }) => [
    { turn: 'command', send: 'AUTH LOGIN', shown: 'AUTH LOGIN' },
    { turn: 'user', send: b64(user), shown: `${b64(user)} (user name)` },
    { turn: 'password', send: b64(password), shown: '*** (password, hidden)', secret: password },
  ],
};

/**
 * The AUTH step for one mechanism: not sent over TLS below 1.2 (unless
 * --insecure) nor when the mechanism is not offered; else the exchange,
 * ended by the first reply that is not a 334 asking for the next line.
 */
async function authStep<M extends string, T extends string, C extends { user: string }>(
  s: Session,
  mechanism: AuthMechanism<M, T, C>,
  credentials: C,
  offered: readonly string[],
  tlsVersion: string | null,
): Promise<AuthExchangeOutcome<M, T>> {
  const head = { step: 'auth', mechanism: mechanism.name, user: credentials.user } as const;
  if (isWeakTls(tlsVersion) && !s.ctx.insecure) return { ...head, ok: false, failure: 'weak-tls', version: tlsVersion };
  if (!offered.includes(mechanism.name)) return { ...head, ok: false, failure: 'not-offered', offered: [...offered] };
  const channel = channelOf(s);
  const turns = mechanism.turns(credentials);
  let secretSent = false;
  for (const [i, t] of turns.entries()) {
    if (t.secret !== undefined) {
      channel.writeSecret(t.send, t.shown, t.secret);
      secretSent = true;
    } else {
      channel.write(t.send, t.shown);
    }
    const r = await channel.read(nextWait(s));
    if (!r.ok) return { ...head, turn: t.turn, ...r };
    if (r.reply.code === 334 && i < turns.length - 1) continue;
    if (r.reply.code === 235 && secretSent) return { ...head, ok: true, turn: t.turn, reply: r.reply };
    return { ...head, ok: false, failure: authFailure(r.reply), turn: t.turn, reply: r.reply };
  }
  throw new Error(`probe: AUTH ${mechanism.name} has no turns`);
}

/** A final AUTH reply that is not success, by its codes (Microsoft's 5.7.139 before the generic 535). */
export function authFailure(reply: SmtpReply): 'rejected' | 'disabled' | 'other' {
  if (reply.enhanced?.text === '5.7.139') return 'disabled';
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
// The rules: outcome -> Finding[] (the table in the header)

/** What a wait was for, as messages say it. */
const WAITING_FOR = {
  banner: 'while waiting for the banner',
  ehlo: 'while waiting for the EHLO reply before TLS',
  ehlo2: 'while waiting for the EHLO reply after TLS',
  starttls: 'while waiting for the reply to STARTTLS',
} as const;

/** What each AUTH LOGIN line is, as messages say it. */
const LOGIN_TURN: Record<LoginTurn, string> = { command: 'AUTH LOGIN', user: 'the user name', password: 'the password' };

/** The client line an AUTH reply (or a failed wait) answered, as messages say it. */
function turnLabel(o: Extract<AuthOutcome, { turn: string }>): string {
  switch (o.mechanism) {
    case 'LOGIN':
      return LOGIN_TURN[o.turn];
  }
}

const HELD_FIX = 'Check that nothing between here and the server (firewall, antivirus, proxy) holds the SMTP session.';
const CUT_FIX = 'Check that nothing between here and the server (firewall, antivirus, proxy) cuts the SMTP session.';
const REFUSED_FIX = 'A firewall or proxy may accept and drop the connection; check the path to the server.';

function late(deadline: boolean, ctx: ProbeContext, stage: string): string {
  return deadline ? `the probe's overall deadline passed ${stage}` : `nothing within ${ctx.timeoutMs} ms ${stage}`;
}

/** A wait that gave no reply: SMTP_TIMEOUT, whatever ended it. */
function waitFailed(f: ReadFailure, stage: string, ctx: ProbeContext): Finding {
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

const ended = (f: { failure: 'closed' } | { failure: 'error'; code: string }): string => (f.failure === 'error' ? `broken (${f.code})` : 'closed');

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
function brokeOff(f: ReadFailure, label: string, ctx: ProbeContext): string {
  const stage = `while waiting for the reply to ${label}`;
  if (f.failure === 'timeout') return late(f.deadline, ctx, stage);
  return `the connection ${f.failure === 'error' ? `failed (${f.code})` : f.failure === 'too-long' ? 'sent an unusable reply' : 'was closed'} ${stage}`;
}

export function checkLogin(o: LoginOutcome, ctx: ProbeContext): Finding[] {
  if (o.ok) return [];
  switch (o.failure) {
    case 'weak-tls':
      return [];
    case 'not-offered':
      if (o.offered.length === 0) return [];
      return [finding('SMTP_AUTH_OTHER', `${ctx.where}: AUTH LOGIN is not offered (only ${o.offered.join(' ')}), so the credentials were not tested.`, { fix: 'Basic SMTP AUTH is not available here; use OAuth (XOAUTH2).' })];
    case 'disabled':
    case 'rejected':
    case 'other': {
      const reply = formatReply(o.reply);
      const enhanced = o.reply.enhanced?.text ?? null;
      const explained = explainCode(reply);
      if (o.failure === 'disabled') return [finding('SMTP_AUTH_DISABLED', `${ctx.where}: SMTP AUTH is disabled or blocked for ${o.user} (5.7.139).`, { evidence: reply, fix: explained?.fix ?? undefined })];
      if (o.failure === 'rejected') return [finding('SMTP_AUTH_FAILED', `${ctx.where}: the AUTH test for ${o.user} was rejected${enhanced ? ` (${enhanced})` : ''}.`, { evidence: reply, fix: explained?.fix ?? 'Check the user name (full UPN) and the password.' })];
      const what = explained ? `${explained.title}: ${explained.meaning}` : `reply ${o.reply.code}`;
      return [finding('SMTP_AUTH_OTHER', `${ctx.where}: the AUTH test got ${o.reply.code}${enhanced ? ` ${enhanced}` : ''} after ${turnLabel(o)}: ${what}`, { evidence: reply, fix: explained?.fix ?? undefined })];
    }
    default:
      return [finding('SMTP_TIMEOUT', `${ctx.where}: the AUTH test broke off: ${brokeOff(o, turnLabel(o), ctx)}.`)];
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
    case 'not-offered':
      return authTestResult(o.user, o.mechanism, 'not-offered', `the server offers ${o.offered.join(' ') || 'no AUTH mechanism'}`);
    case 'disabled':
    case 'rejected':
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

/** Every step's findings, by its rule. */
export function checkStep(o: StepOutcome, ctx: ProbeContext): Finding[] {
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
      return checkAuth(o, ctx);
  }
}

/** The AUTH step's findings, by the mechanism's rule. */
export function checkAuth(o: AuthOutcome, ctx: ProbeContext): Finding[] {
  switch (o.mechanism) {
    case 'LOGIN':
      return checkLogin(o, ctx);
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
function recordOutcome(result: ProbeResult, o: StepOutcome, ctx: ProbeContext): void {
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

// ---------------------------------------------------------------------------
// The probe

/** Probes one SMTP endpoint. Resolves with findings; does not throw for network outcomes. */
export async function probeSmtp(opts: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const ctx = createProbeContext(opts);
  // Over text that did not come after the password (the banner, EHLO) only a long password is cut: a short one is in ordinary words.
  const safetyNet = opts.auth && opts.auth.password.length >= MIN_SCRUB_LENGTH ? createRedactor(opts.auth.password) : null;
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
      case 'auth':
        if (!opts.auth) throw new Error('probe: the AUTH step without credentials');
        return authStep(s, LOGIN, opts.auth, result.authMechanisms ?? [], result.tlsVersion);
    }
  };

  try {
    let next: 'next' | 'quit' | 'stop' = 'next';
    for (const step of ctx.mode === 'implicit' ? IMPLICIT_STEPS : STARTTLS_STEPS) {
      if (step === 'auth' && !opts.auth) break;
      const outcome = await run(step);
      recordOutcome(result, outcome, ctx);
      result.findings.push(...checkStep(outcome, ctx));
      next = nextAfter(outcome);
      if (next === 'next') continue;
      const reason = opts.auth ? notSentReason(outcome, ctx) : null;
      if (opts.auth && reason) result.auth = authTestResult(opts.auth.user, LOGIN.name, 'not-sent', reason);
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

export interface EndpointProbe {
  host: string;
  port: number;
  tls?: TlsMode;
  /** Default: not on port 25 (Microsoft's MX offers no AUTH). */
  expectAuth?: boolean;
}

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
