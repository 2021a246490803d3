/**
 * The probe's typed steps: what each one's outcome can be, and what the rules
 * need to know of the probe beside it (src/smtp/probe.ts runs the steps;
 * src/smtp/probe-rules.ts turns outcomes into findings).
 */
import type { ReplyError, SmtpReply } from './reply.js';
import type { CertificateInfo, TlsMode } from './types.js';
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
  /** Today, for Microsoft's Basic-auth timeline (src/smtp/timeline.ts); tests pin it. */
  clock: () => Date;
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
  /**
   * A final reply other than success: 535 (rejected), 5.7.139 (disabled),
   * 550 5.7.30 to AUTH LOGIN (retired: Basic auth removed), anything else (other).
   */
  | { ok: false; failure: AuthFailure; turn: T; reply: SmtpReply }
  /** Not sent: the negotiated TLS is too old to carry credentials (and no --insecure). */
  | { ok: false; failure: 'weak-tls'; version: string }
  /** Not sent: port 25 is for server-to-server mail; credentials go only to a submission port. */
  | { ok: false; failure: 'mx-port'; port: number }
  /** Not sent: the server does not offer this mechanism. */
  | { ok: false; failure: 'not-offered'; offered: string[] }
  | ({ ok: false; turn: T } & ReadFailure)
);

/** How a final AUTH reply that is not success reads, by its codes. */
export type AuthFailure = 'rejected' | 'disabled' | 'retired' | 'other';

/** AUTH LOGIN's client lines: the command, the user name after the first 334, the password after the second. */
export type LoginTurn = 'command' | 'user' | 'password';
export type LoginOutcome = AuthExchangeOutcome<'LOGIN', LoginTurn>;
/**
 * AUTH XOAUTH2's client lines: `initial` (`AUTH XOAUTH2 <blob>`, when the
 * line fits), or `command` then `token` (the blob after the 334); `empty`
 * answers a 334 challenge after the blob (a failure, Google-style).
 */
export type OAuthTurn = 'initial' | 'command' | 'token' | 'empty';
export type OAuthOutcome = AuthExchangeOutcome<'XOAUTH2', OAuthTurn>;
/** Every mechanism the AUTH test speaks. */
export type AuthOutcome = LoginOutcome | OAuthOutcome;

export type StepOutcome = ConnectOutcome | BannerOutcome | EhloOutcome | StarttlsOutcome | TlsOutcome | TrustOutcome | AuthOutcome;
export type StepName = StepOutcome['step'];

export const STARTTLS_STEPS: readonly StepName[] = ['connect', 'banner', 'ehlo', 'starttls', 'tls', 'trust', 'ehlo2', 'auth'];
export const IMPLICIT_STEPS: readonly StepName[] = ['connect', 'tls', 'banner', 'trust', 'ehlo2', 'auth'];


/** Protocols too old to carry credentials (TLS 1.2 or later is required). */
export const WEAK_TLS = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1']);
export const isWeakTls = (version: string | null): version is string => version !== null && WEAK_TLS.has(version);
