/**
 * The SMTP submission probe: TCP connect, banner, EHLO, STARTTLS, the TLS
 * handshake (SNI, verification against the host name), EHLO again, AUTH
 * mechanisms, an optional AUTH LOGIN test, QUIT. It never sends MAIL, RCPT or
 * DATA (reference §8: probing RCPT trips directory and reputation blocks).
 *
 * Every wait has its own timeout and the whole probe an overall deadline.
 * Expected outcomes (refused, silent, hostile servers) become findings;
 * `probeSmtp` does not throw for them.
 *
 * How failures map onto the catalog, since it has no "protocol error" code:
 * - refused / unreachable / host not found, the connection closed before a
 *   banner, or a greeting other than 220 (the service refuses us): SMTP_UNREACHABLE;
 * - nothing (or no complete line) within the wait — a silent server, one byte
 *   a second, an endless line cut off at 4 KiB: SMTP_TIMEOUT ("no banner");
 * - STARTTLS missing, refused, or a handshake that fails for another reason
 *   than the protocol version: SMTP_NO_STARTTLS; a version alert: SMTP_TLS_WEAK;
 * - a later wait that times out or a connection that closes: SMTP_TIMEOUT.
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
import { finding, type Finding } from '../findings/catalog.js';
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

type ReadResult =
  | { kind: 'reply'; reply: SmtpReply }
  | { kind: 'timeout' }
  | { kind: 'closed' }
  | { kind: 'error'; code: string }
  | { kind: 'too-long'; error: ReplyError; sample: string };

/** One SMTP connection: a socket (plain, then TLS) read as replies, each read with a timeout. */
class Channel {
  private socket: net.Socket;
  private parser = createReplyParser();
  private decoder = new StringDecoder('utf8');
  private replies: SmtpReply[] = [];
  private terminal: ReadResult | null = null;
  private wake: (() => void) | null = null;
  /** Set once the password is sent: every server line after that passes through it. */
  private redact: ((line: string) => string) | null = null;
  private readonly listeners = {
    data: (d: Buffer) => this.onText(this.decoder.write(d)),
    end: () => this.onEnd({ kind: 'closed' }),
    close: () => this.onEnd({ kind: 'closed' }),
    error: (e: NodeJS.ErrnoException) => this.onEnd({ kind: 'error', code: e.code ?? 'EIO' }),
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
        this.terminal ??= { kind: 'too-long', error: e.error, sample: redact ? redact(e.sample) : e.sample };
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

  private onEnd(result: ReadResult): void {
    this.parser.end();
    this.terminal ??= result;
    this.wake?.();
  }

  /** The next complete reply, or why there is none within `ms`. */
  read(ms: number): Promise<ReadResult> {
    return new Promise((resolve) => {
      const take = (): boolean => {
        const reply = this.replies.shift();
        if (reply) {
          resolve({ kind: 'reply', reply });
          return true;
        }
        if (this.terminal) {
          resolve(this.terminal);
          return true;
        }
        return false;
      };
      if (take()) return;
      const timer = setTimeout(() => {
        this.wake = null;
        resolve({ kind: 'timeout' });
      }, Math.max(0, ms));
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

  get current(): net.Socket {
    return this.socket;
  }

  close(): void {
    this.socket.destroy();
  }
}

type ConnectOutcome = { ok: true; socket: net.Socket } | { ok: false; kind: 'timeout' } | { ok: false; kind: 'error'; code: string };

function connectTcp(factory: SocketFactory, host: string, port: number, ms: number): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    let socket: net.Socket;
    try {
      socket = factory({ host, port });
    } catch (err) {
      resolve({ ok: false, kind: 'error', code: (err as NodeJS.ErrnoException).code ?? 'EINVAL' });
      return;
    }
    const done = (o: ConnectOutcome): void => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (!o.ok) {
        socket.on('error', () => undefined);
        socket.destroy();
      }
      resolve(o);
    };
    const onConnect = (): void => done({ ok: true, socket });
    const onError = (e: NodeJS.ErrnoException): void => done({ ok: false, kind: 'error', code: e.code ?? 'EIO' });
    const timer = setTimeout(() => done({ ok: false, kind: 'timeout' }), Math.max(0, ms));
    socket.once('connect', onConnect);
    socket.once('error', onError);
  });
}

type TlsOutcome = { ok: true; socket: tls.TLSSocket } | { ok: false; kind: 'timeout' } | { ok: false; kind: 'error'; code: string; message: string };

function startTls(raw: net.Socket, name: string, ca: ProbeOptions['ca'], ms: number): Promise<TlsOutcome> {
  return new Promise((resolve) => {
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
    const done = (o: TlsOutcome): void => {
      clearTimeout(timer);
      socket.off('secureConnect', onSecure);
      socket.off('error', onError);
      if (!o.ok) {
        socket.on('error', () => undefined);
        socket.destroy();
      }
      resolve(o);
    };
    const onSecure = (): void => done({ ok: true, socket });
    const onError = (e: NodeJS.ErrnoException): void => done({ ok: false, kind: 'error', code: e.code ?? 'EPROTO', message: e.message.split('\n')[0] ?? '' });
    const timer = setTimeout(() => done({ ok: false, kind: 'timeout' }), Math.max(0, ms));
    socket.once('secureConnect', onSecure);
    socket.once('error', onError);
  });
}

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

/** Probes one SMTP endpoint. Resolves with findings; does not throw for network outcomes. */
export async function probeSmtp(opts: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const mode: TlsMode = opts.tls ?? 'starttls';
  const host = canonicalName(opts.host);
  const port = opts.port ?? (mode === 'implicit' ? IMPLICIT_TLS_PORT : SUBMISSION_PORT);
  const timeoutMs = Math.max(1, opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
  const deadline = started + (opts.deadlineMs ?? timeoutMs * DEADLINE_FACTOR);
  // An MX probed by address carries its name in servername: that name says whether Microsoft is expected.
  const expectMicrosoft = opts.expectMicrosoft ?? (isMicrosoftSmtpHost(host) || (opts.servername !== undefined && isMicrosoftSmtpHost(opts.servername)));
  const expectAuth = opts.expectAuth ?? port !== 25;
  const verifyName = (opts.servername ?? host).toLowerCase();
  const where = net.isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  // Over text that did not come after the password (the banner, EHLO) only a long password is cut: a short one is in ordinary words.
  const safetyNet = opts.auth && opts.auth.password.length >= MIN_SCRUB_LENGTH ? createRedactor(opts.auth.password) : null;
  const emit = opts.onTranscript ?? (() => undefined);
  const transcript = (line: TranscriptLine): void => emit(scrub(line, safetyNet));

  const result: ProbeResult = {
    host, port, tls: mode, reachable: false, banner: null, ehlo: { beforeTls: null, afterTls: null },
    starttls: null, tlsVersion: null, cipher: null, certificate: null, authMechanisms: null, auth: null,
    findings: [], timing: { connectMs: null, bannerMs: null, tlsMs: null, totalMs: 0 },
  };
  const findings: Finding[] = result.findings;
  // Whether the last wait was cut short by the overall deadline rather than given the full timeout: what a
  // timeout is called is decided by the bound that was set, not by re-reading the clock (a timer may fire a
  // millisecond before Date.now() reaches the deadline).
  let deadlineBound = false;
  const wait = (): number => {
    const left = deadline - Date.now();
    deadlineBound = left < timeoutMs;
    return Math.min(timeoutMs, left);
  };
  const finish = (): ProbeResult => {
    // `reachable` means an SMTP service took the session (types.ts): never beside SMTP_UNREACHABLE.
    if (findings.some((f) => f.code === 'SMTP_UNREACHABLE')) result.reachable = false;
    result.timing.totalMs = Date.now() - started;
    return scrub(result, safetyNet);
  };
  const lateWhat = (stage: string): string => (deadlineBound ? `the probe's overall deadline passed ${stage}` : `nothing within ${timeoutMs} ms ${stage}`);

  /** A wait that did not give a reply, as a finding. */
  const failed = (r: Exclude<ReadResult, { kind: 'reply' }>, stage: string): void => {
    if (r.kind === 'timeout') {
      findings.push(finding('SMTP_TIMEOUT', `${where}: ${lateWhat(stage)}.`, { fix: 'Check that nothing between here and the server (firewall, antivirus, proxy) holds the SMTP session.' }));
    } else if (r.kind === 'too-long') {
      findings.push(finding('SMTP_TIMEOUT', `${where}: no usable reply ${stage}: ${r.error === 'line-too-long' ? 'a line ran past 4096 bytes without ending' : 'a reply ran past 200 lines'}.`, { evidence: r.sample, fix: 'Something other than an SMTP server answers on this port.' }));
    } else {
      findings.push(finding('SMTP_TIMEOUT', `${where}: the connection ${r.kind === 'error' ? `failed (${r.code})` : 'was closed'} ${stage}.`, { fix: 'Check that nothing between here and the server (firewall, antivirus, proxy) cuts the SMTP session.' }));
    }
  };

  // 1. TCP
  transcript({ dir: '*', text: `connecting to ${where}` });
  const conn = await connectTcp(opts.connect ?? ((t) => net.connect({ host: t.host, port: t.port })), host, port, wait());
  if (!conn.ok) {
    if (conn.kind === 'timeout') {
      findings.push(finding('SMTP_TIMEOUT', `${where}: no TCP connection within ${Math.min(timeoutMs, deadline - started)} ms.`, { fix: `Port ${port} is probably filtered (many ISPs and networks block outbound SMTP); try another network or ask for the port to be opened.` }));
    } else {
      const what = conn.code === 'ECONNREFUSED' ? 'the connection was refused' : conn.code === 'ENOTFOUND' || conn.code === 'EAI_AGAIN' ? 'the host name does not resolve' : `the host is unreachable (${conn.code})`;
      findings.push(finding('SMTP_UNREACHABLE', `${where}: ${what}.`, { evidence: conn.code, fix: `Check the host name and that outbound TCP port ${port} is allowed from here.` }));
    }
    return finish();
  }
  result.reachable = true;
  result.timing.connectMs = Date.now() - started;
  const ehloName = opts.ehloName ?? ehloArgument(conn.socket);

  let channel: Channel | null = null;
  const sockets: net.Socket[] = [conn.socket];

  /** The TLS handshake and what it shows; null (with a finding) when it fails. */
  const handshake = async (raw: net.Socket): Promise<tls.TLSSocket | null> => {
    const t0 = Date.now();
    transcript({ dir: '*', text: `TLS handshake (verifying ${verifyName})` });
    const out = await startTls(raw, verifyName, opts.ca, wait());
    if (!out.ok) {
      if (out.kind === 'timeout') {
        findings.push(finding('SMTP_TIMEOUT', `${where}: ${deadlineBound ? "the probe's overall deadline passed during" : `no TLS handshake within ${timeoutMs} ms of`} ${mode === 'starttls' ? 'STARTTLS' : 'connecting'}.`));
      } else if (/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_LOW/i.test(out.code)) {
        findings.push(finding('SMTP_TLS_WEAK', `${where}: the TLS handshake failed on the protocol version: the server offers no protocol this client can use.`, { evidence: out.code, fix: 'Enable TLS 1.2 or 1.3 on the server.' }));
      } else if (mode === 'starttls') {
        findings.push(finding('SMTP_NO_STARTTLS', `${where}: STARTTLS was accepted but the TLS handshake failed, so there is no usable TLS.`, { evidence: `${out.code}: ${out.message}`, fix: 'Check the server\'s TLS configuration (certificate, key, protocols).' }));
      } else {
        findings.push(finding('SMTP_UNREACHABLE', `${where}: TCP connected but the implicit TLS handshake failed.`, { evidence: `${out.code}: ${out.message}`, fix: 'Check that the port speaks implicit TLS (465); Microsoft 365 submission uses STARTTLS on 587.' }));
      }
      return null;
    }
    sockets.push(out.socket);
    result.timing.tlsMs = Date.now() - t0;
    result.tlsVersion = out.socket.getProtocol();
    result.cipher = out.socket.getCipher()?.name ?? null;
    result.certificate = certificateInfo(out.socket);
    transcript({ dir: '*', text: `TLS ${result.tlsVersion ?? '?'} ${result.cipher ?? ''}, certificate ${result.certificate?.verified ? 'verified' : `not verified (${result.certificate?.error ?? 'none'})`}` });
    if (result.tlsVersion && WEAK_TLS.has(result.tlsVersion)) {
      findings.push(finding('SMTP_TLS_WEAK', `${where}: ${result.tlsVersion} was negotiated; TLS 1.2 or later is required.`, { evidence: `${result.tlsVersion} ${result.cipher ?? ''}`.trim(), fix: 'Enable TLS 1.2 or 1.3 on the server and disable older protocols.' }));
    }
    if (!result.certificate?.verified) {
      const c = result.certificate;
      findings.push(finding('SMTP_TLS_CERT_INVALID', `${where}: the certificate does not verify for ${verifyName}${c?.error ? ` (${c.error})` : ''}.`, {
        evidence: c ? `subject ${c.subject}; issuer ${c.issuer}; names ${c.altNames.join(' ') || '-'}; valid ${c.validFrom ?? '?'} to ${c.validTo ?? '?'}` : 'no certificate',
        fix: opts.insecure ? 'Install a certificate from a trusted CA that names this host.' : 'Install a certificate from a trusted CA that names this host; to trust a private CA use --tls-ca FILE, or --insecure to carry on anyway.',
      }));
    }
    return out.socket;
  };

  const quit = async (): Promise<void> => {
    if (!channel) return;
    channel.write('QUIT');
    await channel.read(Math.min(QUIT_WAIT_MS, Math.max(0, deadline - Date.now())));
    channel.close();
  };

  try {
    if (mode === 'implicit') {
      const secure = await handshake(conn.socket);
      if (!secure) return finish();
      channel = new Channel(secure, transcript);
    } else {
      channel = new Channel(conn.socket, transcript);
    }

    // 2. Banner
    const bannerStart = Date.now();
    const bannerRead = await channel.read(wait());
    if (bannerRead.kind !== 'reply') {
      if (bannerRead.kind === 'closed' || bannerRead.kind === 'error') {
        findings.push(finding('SMTP_UNREACHABLE', `${where}: the connection was ${bannerRead.kind === 'error' ? `broken (${bannerRead.code})` : 'closed'} before the server sent a banner.`, { fix: 'A firewall or proxy may accept and drop the connection; check the path to the server.' }));
      } else {
        failed(bannerRead, 'while waiting for the banner');
      }
      return finish();
    }
    result.timing.bannerMs = Date.now() - bannerStart;
    result.banner = formatReply(bannerRead.reply);
    if (bannerRead.reply.code !== 220) {
      findings.push(finding('SMTP_UNREACHABLE', `${where}: the server greets with ${bannerRead.reply.code} instead of 220: it refuses the session.`, { evidence: result.banner, fix: explainCode(result.banner)?.fix ?? 'Check why the server refuses connections from this address.' }));
      await quit();
      return finish();
    }
    if (expectMicrosoft && !isMicrosoftBanner(result.banner)) {
      findings.push(finding('SMTP_BANNER_NOT_M365', `${where}: the banner is not Microsoft's, though a Microsoft host was targeted: something in between (proxy, antivirus, firewall) may intercept SMTP.`, { evidence: result.banner }));
    }

    // 3. EHLO
    const ehlo = async (stage: string): Promise<string[] | null> => {
      channel?.write(`EHLO ${ehloName}`);
      const r = await (channel as Channel).read(wait());
      if (r.kind !== 'reply') {
        failed(r, stage);
        return null;
      }
      if (r.reply.code !== 250) {
        // No ESMTP means no STARTTLS and no AUTH.
        findings.push(finding(stage.includes('before TLS') ? 'SMTP_NO_STARTTLS' : 'SMTP_NO_AUTH', `${where}: EHLO was refused (${r.reply.code}), so no extensions are available.`, { evidence: formatReply(r.reply) }));
        return null;
      }
      return ehloCapabilities(r.reply);
    };

    let caps: string[] | null;
    if (mode === 'starttls') {
      caps = await ehlo('while waiting for the EHLO reply before TLS');
      result.ehlo.beforeTls = caps;
      if (caps === null) {
        await quit();
        return finish();
      }
      result.starttls = hasCapability(caps, 'STARTTLS');
      if (!result.starttls) {
        findings.push(finding('SMTP_NO_STARTTLS', `${where}: STARTTLS is not offered; mail and credentials would travel in clear.`, { evidence: `EHLO: ${caps.join(', ') || '(no extensions)'}`, fix: 'Enable STARTTLS on the server, or find what strips it on the way (an SMTP-inspecting firewall or antivirus).' }));
        if (opts.auth) result.auth = notSent(opts.auth.user, 'the server offers no STARTTLS, and credentials are never sent in clear');
        await quit();
        return finish();
      }
      channel.write('STARTTLS');
      const st = await channel.read(wait());
      if (st.kind !== 'reply') {
        failed(st, 'while waiting for the reply to STARTTLS');
        return finish();
      }
      if (st.reply.code !== 220) {
        findings.push(finding('SMTP_NO_STARTTLS', `${where}: STARTTLS is offered but the server refuses it (${st.reply.code}).`, { evidence: formatReply(st.reply), fix: 'Check the server\'s TLS configuration.' }));
        if (opts.auth) result.auth = notSent(opts.auth.user, 'STARTTLS was refused, and credentials are never sent in clear');
        await quit();
        return finish();
      }
      const secure = await handshake(channel.detach());
      if (!secure) {
        if (opts.auth) result.auth = notSent(opts.auth.user, 'the TLS handshake failed');
        return finish();
      }
      channel.resume(secure);
    }

    const verified = result.certificate?.verified === true;
    if (!verified && !opts.insecure) {
      // Without trust in the peer, stop here: nothing more is learned safely.
      if (opts.auth) result.auth = notSent(opts.auth.user, `the certificate did not verify for ${verifyName} (use --tls-ca FILE to trust its CA, or --insecure)`);
      await quit();
      return finish();
    }

    // 4. EHLO after TLS, AUTH mechanisms
    caps = await ehlo('while waiting for the EHLO reply after TLS');
    result.ehlo.afterTls = caps;
    if (caps === null) {
      await quit();
      return finish();
    }
    result.authMechanisms = authMechanisms(caps);
    if (result.authMechanisms.length === 0 && expectAuth) {
      findings.push(finding('SMTP_NO_AUTH', `${where}: no AUTH mechanisms are offered after TLS.`, { evidence: `EHLO: ${caps.join(', ') || '(no extensions)'}`, fix: 'Clients cannot authenticate here; for Microsoft 365 use smtp.office365.com:587.' }));
    }

    // 5. Optional AUTH LOGIN test
    if (opts.auth) {
      const weak = result.tlsVersion !== null && WEAK_TLS.has(result.tlsVersion);
      if (weak && !opts.insecure) {
        result.auth = notSent(opts.auth.user, `${result.tlsVersion} is too weak to carry credentials (use --insecure to send them anyway)`);
      } else if (!result.authMechanisms.includes('LOGIN')) {
        result.auth = { user: opts.auth.user, mechanism: 'LOGIN', outcome: 'not-offered', reply: null, enhancedCode: null, reason: `the server offers ${result.authMechanisms.join(' ') || 'no AUTH mechanism'}` };
        if (result.authMechanisms.length > 0) {
          findings.push(finding('SMTP_AUTH_OTHER', `${where}: AUTH LOGIN is not offered (only ${result.authMechanisms.join(' ')}), so the credentials were not tested.`, { fix: 'Basic SMTP AUTH is not available here; use OAuth (XOAUTH2).' }));
        }
      } else {
        result.auth = await authLogin(channel, opts.auth, wait, where, findings, lateWhat);
      }
    }
    await quit();
    return finish();
  } finally {
    // Whatever happened, no socket outlives the probe.
    for (const s of sockets) s.destroy();
  }
}

function notSent(user: string, reason: string): AuthTestResult {
  return { user, mechanism: 'LOGIN', outcome: 'not-sent', reply: null, enhancedCode: null, reason };
}

/** AUTH LOGIN without an initial response: the user after the first 334, the password after the second (RFC 4954, draft-murchison-sasl-login). */
async function authLogin(
  channel: Channel,
  auth: { user: string; password: string },
  wait: () => number,
  where: string,
  findings: Finding[],
  lateWhat: (stage: string) => string,
): Promise<AuthTestResult> {
  const res: AuthTestResult = { user: auth.user, mechanism: 'LOGIN', outcome: 'incomplete', reply: null, enhancedCode: null, reason: null };
  const steps: { send: string; shown: string; stage: string }[] = [
    { send: 'AUTH LOGIN', shown: 'AUTH LOGIN', stage: 'while waiting for the reply to AUTH LOGIN' },
    { send: b64(auth.user), shown: `${b64(auth.user)} (user name)`, stage: 'while waiting for the reply to the user name' },
    { send: b64(auth.password), shown: '*** (password, hidden)', stage: 'while waiting for the reply to the password' },
  ];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as (typeof steps)[number];
    if (i === steps.length - 1) channel.writeSecret(step.send, step.shown, auth.password);
    else channel.write(step.send, step.shown);
    const r = await channel.read(wait());
    if (r.kind !== 'reply') {
      res.reason = r.kind === 'timeout' ? lateWhat(step.stage) : `the connection ${r.kind === 'error' ? `failed (${r.code})` : r.kind === 'too-long' ? 'sent an unusable reply' : 'was closed'} ${step.stage}`;
      findings.push(finding('SMTP_TIMEOUT', `${where}: the AUTH test broke off: ${res.reason}.`));
      return res;
    }
    const last = i === steps.length - 1;
    if (!last && r.reply.code === 334) continue;
    res.reply = formatReply(r.reply);
    res.enhancedCode = r.reply.enhanced?.text ?? null;
    if (last && r.reply.code === 235) {
      res.outcome = 'accepted';
      return res;
    }
    const explained = explainCode(res.reply);
    if (r.reply.enhanced?.text === '5.7.139') {
      res.outcome = 'disabled';
      findings.push(finding('SMTP_AUTH_DISABLED', `${where}: SMTP AUTH is disabled or blocked for ${auth.user} (5.7.139).`, { evidence: res.reply, fix: explained?.fix ?? undefined }));
    } else if (r.reply.code === 535) {
      res.outcome = 'rejected';
      findings.push(finding('SMTP_AUTH_FAILED', `${where}: the AUTH test for ${auth.user} was rejected${res.enhancedCode ? ` (${res.enhancedCode})` : ''}.`, { evidence: res.reply, fix: explained?.fix ?? 'Check the user name (full UPN) and the password.' }));
    } else {
      res.outcome = 'other';
      const what = explained ? `${explained.title}: ${explained.meaning}` : `reply ${r.reply.code}`;
      findings.push(finding('SMTP_AUTH_OTHER', `${where}: the AUTH test got ${r.reply.code}${res.enhancedCode ? ` ${res.enhancedCode}` : ''} ${step.stage.replace(/^while waiting for the reply to /, 'after ')}: ${what}`, { evidence: res.reply, fix: explained?.fix ?? undefined }));
    }
    return res;
  }
  return res;
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
 * and TLS mode as given), in first-seen order. Port 25 endpoints (MX hosts)
 * never get credentials. `check`/`batch` call this so one run probes the
 * submission host and each MX host once however many domains share them.
 */
export function createEndpointProber(opts: SharedProbeOptions = {}): { probe(e: EndpointProbe): Promise<ProbeResult>; results(): Promise<ProbeResult[]> } {
  const seen = new Map<string, Promise<ProbeResult>>();
  const limit = Math.max(1, opts.concurrency ?? 4);
  let running = 0;
  const queue: (() => void)[] = [];
  const slot = async (): Promise<void> => {
    if (running < limit) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => queue.push(resolve));
    running++;
  };
  const release = (): void => {
    running--;
    queue.shift()?.();
  };
  return {
    probe(e: EndpointProbe): Promise<ProbeResult> {
      const host = canonicalName(e.host);
      const mode = e.tls ?? 'starttls';
      const key = `${mode}:${host}:${e.port}`;
      const existing = seen.get(key);
      if (existing) return existing;
      const p = (async () => {
        await slot();
        try {
          const { concurrency: _c, ...shared } = opts;
          return await probeSmtp({ ...shared, host, port: e.port, tls: mode, expectAuth: e.expectAuth, auth: e.port === 25 ? undefined : shared.auth });
        } finally {
          release();
        }
      })();
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
