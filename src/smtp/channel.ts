/**
 * One SMTP connection: a socket (plain, then TLS) read as replies, each read
 * with a deadline; the TCP connect and the TLS handshake within theirs; what
 * the certificate says.
 */
import { createHash, X509Certificate } from 'node:crypto';
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import tls from 'node:tls';
import { MAX_CHAIN_CERTIFICATES } from '../util/caps.js';
import { settleWithin, TIMEOUT, type Timeout } from '../util/deadline.js';
import type { ReadFailure } from './outcomes.js';
import { createRedactor, redactReply, type Redactor } from './redact.js';
import { createReplyParser, formatReply, type SmtpReply } from './reply.js';
import type { CertificateInfo, ChainCertificate, TranscriptLine } from './types.js';
// ---------------------------------------------------------------------------
// The connection

/** How the probe opens its TCP connection (tests and a --probe-mx relay pass their own). */
export type SocketFactory = (target: { host: string; port: number }) => net.Socket;
/** Extra trusted CA(s), PEM, added to Node's root store (--tls-ca). */
export type TrustedCa = string | Buffer | readonly (string | Buffer)[];

/** How long a wait may take, and whether the overall deadline (not the per-wait timeout) set that. */
export interface Bound {
  ms: number;
  deadline: boolean;
}

export type Read = { ok: true; reply: SmtpReply } | ({ ok: false } & ReadFailure);
export type Ended = Exclude<ReadFailure, { failure: 'timeout' }>;

/** One SMTP connection: a socket (plain, then TLS) read as replies, each read with a timeout. */
export class Channel {
  private socket: net.Socket;
  private parser = createReplyParser();
  private decoder = new StringDecoder('utf8');
  private replies: SmtpReply[] = [];
  private terminal: Ended | null = null;
  private wake: (() => void) | null = null;
  /** Set once the password or token is sent: every server line after that passes through it. */
  private redact: Redactor | null = null;
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
   * Writes the line that carries the secret (password, token): from here on
   * every server line is redacted of it, of any 12-character run of it and
   * of `also` (the forms it travels in, such as the XOAUTH2 blob): redact.ts.
   * Set before the write, so no reply to it can come in unredacted.
   */
  writeSecret(line: string, shown: string, secret: string, also: readonly string[] = []): void {
    this.redact = createRedactor(secret, also);
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

export type Connected = { ok: true; socket: net.Socket } | { ok: false; code: string };

/** A TCP connection within `ms`; the socket is destroyed unless it connected. */
export function connectTcp(factory: SocketFactory, host: string, port: number, ms: number): Promise<Connected | Timeout> {
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

export type Handshake = { ok: true; socket: tls.TLSSocket } | { ok: false; code: string; message: string };

/** The TLS handshake over `raw` within `ms`; the TLS socket is destroyed unless it completed. */
export function startTls(raw: net.Socket, name: string, ca: TrustedCa | undefined, ms: number): Promise<Handshake | Timeout> {
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
export function discard(socket: net.Socket): void {
  socket.on('error', () => undefined);
  socket.destroy();
}

/** OpenSSL's codes for a handshake that found no common protocol version. */
export const VERSION_ALERT = /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_LOW/i;

// ---------------------------------------------------------------------------
// Certificates, EHLO name, secrets

export function nameString(n: unknown): string {
  if (!n || typeof n !== 'object') return '';
  return Object.entries(n as Record<string, string | string[]>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

export function isoDate(s: string | undefined): string | null {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

export function certificateInfo(socket: tls.TLSSocket): CertificateInfo | null {
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
    chain: describeChain(presentedChain(socket)),
  };
}

/** Longest subject or issuer kept per chain certificate. */
const MAX_CHAIN_NAME = 256;

/**
 * The chain as Node links it, leaf first: the certificates the server sent,
 * each followed by its issuer among them, and last the trust store's
 * issuer of the top one when the store has it (Node's getPeerCertificate).
 * At most MAX_CHAIN_CERTIFICATES; a loop ends it.
 */
function presentedChain(socket: tls.TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (c && Buffer.isBuffer(c.raw) && out.length < MAX_CHAIN_CERTIFICATES && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    try {
      out.push(new X509Certificate(c.raw));
    } catch {
      break;
    }
    c = c.issuerCertificate;
  }
  return out;
}

/**
 * What DANE matching (src/transport/tlsa.ts) needs of each certificate,
 * without the certificates: SHA-256 and SHA-512 of the DER and of the
 * SubjectPublicKeyInfo DER (TLSA selectors 0/1, matching types 1/2, and
 * type 0 by the SHA-256 of its data), the names, and whether the next
 * certificate issued it and signed it (DANE-TA: a trust anchor the leaf
 * chains up to, RFC 7672 3.1.1).
 */
export function describeChain(certs: readonly X509Certificate[]): ChainCertificate[] {
  const digest = (algorithm: 'sha256' | 'sha512', der: Buffer | null): string => (der ? createHash(algorithm).update(der).digest('hex') : '');
  return certs.slice(0, MAX_CHAIN_CERTIFICATES).map((x, i) => {
    let spki: Buffer | null = null;
    try {
      spki = x.publicKey.export({ type: 'spki', format: 'der' });
    } catch {
      // a key type node:crypto cannot export: no SPKI digests
    }
    const next = certs[i + 1];
    let signedByNext = false;
    if (next) {
      try {
        signedByNext = x.checkIssued(next) && x.verify(next.publicKey);
      } catch {
        signedByNext = false;
      }
    }
    // An anonymous certificate (an empty subject, DANE-EE's kind) has none: node:crypto gives undefined.
    const name = (n: string | undefined): string => (n ?? '').split('\n').join(', ').slice(0, MAX_CHAIN_NAME);
    return {
      subject: name(x.subject),
      issuer: name(x.issuer),
      sha256: digest('sha256', x.raw),
      sha512: digest('sha512', x.raw),
      spkiSha256: digest('sha256', spki),
      spkiSha512: digest('sha512', spki),
      selfIssued: (x.subject ?? '') === (x.issuer ?? ''),
      signedByNext,
    };
  });
}

export function ehloArgument(socket: net.Socket): string {
  const a = socket.localAddress;
  if (!a) return '[127.0.0.1]';
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return net.isIP(v4) === 6 ? `[IPv6:${v4}]` : net.isIP(v4) === 4 ? `[${v4}]` : '[127.0.0.1]';
}

