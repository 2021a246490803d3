/**
 * The SMTP probe's result (DESIGN.md: `probe --format json` prints it, and
 * `check`/`batch` put it under `probe`). Field names are a contract.
 */
import type { Finding } from '../findings/catalog.js';
import type { ChainCertificate } from '../util/chain.js';
import type { TokenError } from './token.js';
import type { TokenFacts } from './token-claims.js';

/** How a probe gets to TLS: `starttls` on a plain port (587, 25), or `implicit` TLS from the first byte (465, RFC 8314). */
export type TlsMode = 'starttls' | 'implicit';

/** The server certificate a probe saw, and whether it verified against the host name. */
export interface CertificateInfo {
  /** `CN=smtp.office365.com, O=Microsoft Corporation, …` */
  subject: string;
  issuer: string;
  /** DNS and IP names from subjectAltName. */
  altNames: string[];
  /** ISO 8601, or null when the certificate's date does not parse. */
  validFrom: string | null;
  validTo: string | null;
  /** SHA-256 fingerprint, colon-separated hex as Node gives it. */
  fingerprint256: string;
  /** The chain verified against the trusted CAs and the name matched the host. */
  verified: boolean;
  /** Node/OpenSSL's verification error code (`ERR_TLS_CERT_ALTNAME_INVALID`, `DEPTH_ZERO_SELF_SIGNED_CERT`, …). */
  error: string | null;
  /**
   * The chain presented, leaf first (at most 10), as DANE matching needs it
   * (src/transport/tlsa.ts PeerChain): absent in results saved before it.
   */
  chain?: ChainCertificate[];
}

/** One certificate of a presented chain (its one home: src/util/chain.ts). */
export type { ChainCertificate } from '../util/chain.js';

/** What the optional AUTH test came to. */
export type AuthOutcome =
  /** 235: the credentials were accepted. */
  | 'accepted'
  /** 535 (5.7.3 and the like): the credentials (password or token) were rejected. */
  | 'rejected'
  /** 5.7.139: SMTP AUTH is switched off or blocked by policy. */
  | 'disabled'
  /** 550 5.7.30 to AUTH LOGIN: Basic authentication is no longer accepted for Client Submission. */
  | 'retired'
  /** Another reply (530 5.7.57, 504 5.7.4 …). */
  | 'other'
  /** Credentials were not sent: no TLS, TLS that did not verify, or port 25 (see `reason`). */
  | 'not-sent'
  /** The server does not offer the mechanism after TLS. */
  | 'not-offered'
  /** The exchange broke off (timeout or closed connection). */
  | 'incomplete';

/** The SASL mechanisms the AUTH test speaks: LOGIN (Basic auth, a password) and XOAUTH2 (an OAuth 2.0 access token). */
export type AuthMechanismName = 'LOGIN' | 'XOAUTH2';

/** The optional AUTH test of a probe. The password or token is never part of it, nor of the reply (redacted). */
export interface AuthTestResult {
  user: string;
  mechanism: AuthMechanismName;
  outcome: AuthOutcome;
  /** The server's final reply to the AUTH exchange (secrets redacted). */
  reply: string | null;
  enhancedCode: string | null;
  /** Why credentials were not sent, or what broke the exchange. */
  reason: string | null;
}

/** How long the steps of a probe took, in ms; null for a step that did not happen. */
export interface ProbeTiming {
  connectMs: number | null;
  bannerMs: number | null;
  tlsMs: number | null;
  totalMs: number;
}

/**
 * What probeSmtp found at one endpoint: reachability, banner, EHLO keywords
 * before and after TLS, the TLS version and certificate, the AUTH mechanisms,
 * the optional AUTH test, findings and timing. Field names are a contract
 * (schema/report.schema.json); text from the server is data to escape.
 */
export interface ProbeResult {
  host: string;
  port: number;
  tls: TlsMode;
  /**
   * An SMTP service took the connection: TCP connected and nothing refused
   * the session. False with SMTP_UNREACHABLE (refused, no route, the host
   * does not resolve, the connection closed before a banner or in reply
   * to EHLO, a greeting other than 220, an implicit-TLS handshake that
   * failed) and with a TCP connect that timed out; the two never
   * disagree. A TCP connect that succeeded shows in `timing.connectMs`
   * (null when there was none).
   */
  reachable: boolean;
  /** The greeting reply as received (`220 … Microsoft ESMTP MAIL Service ready at …`). */
  banner: string | null;
  /** EHLO keywords before and after TLS (`SIZE 157286400`, `STARTTLS`, `AUTH LOGIN XOAUTH2`). */
  ehlo: { beforeTls: string[] | null; afterTls: string[] | null };
  /** STARTTLS offered (null with implicit TLS, or when EHLO was not reached). */
  starttls: boolean | null;
  /** As Node names it: `TLSv1.3`, `TLSv1.2`, `TLSv1.1`, `TLSv1`. */
  tlsVersion: string | null;
  cipher: string | null;
  certificate: CertificateInfo | null;
  /** SASL mechanisms offered after TLS (null when TLS was not reached). */
  authMechanisms: string[] | null;
  /** The optional AUTH test, when credentials were given. */
  auth: AuthTestResult | null;
  /** Where the XOAUTH2 test's token came from, and its claims; absent without an XOAUTH2 test. Never the token. */
  oauth?: OAuthFacts;
  findings: Finding[];
  timing: ProbeTiming;
}

/** Where an XOAUTH2 token came from: M365AUDIT_OAUTH_TOKEN, stdin, or the client-credentials grant with a secret or a certificate. */
export type OAuthTokenSource = 'env' | 'stdin' | 'secret' | 'certificate';

/**
 * The claims of an access token that decide SMTP (research oauth.md §3),
 * decoded without a signature check (we are the client): token-claims.ts
 * parseTokenClaims' facts.
 */
export type OAuthClaimFacts = TokenFacts;

/**
 * The ProbeResult's `oauth` section: the token's source and claims, never
 * the token. With the client-credentials grant, the token URL asked and,
 * when no token came, the error (Entra's fields, redacted).
 */
export interface OAuthFacts {
  source: OAuthTokenSource;
  /** Null when no token came (see `error`). An opaque token has `format: 'opaque'` and null claims. */
  claims: OAuthClaimFacts | null;
  /** The grant's token endpoint (`https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`). */
  tokenUrl?: string;
  /** Why the grant gave no token (then no AUTH test ran). */
  error?: TokenError;
}

/** One line of the SMTP conversation, for `--trace` (ProbeOptions.onTranscript); the password and the token are masked. */
export interface TranscriptLine {
  /** C: client, S: server, *: an event (connect, TLS). */
  dir: 'C' | 'S' | '*';
  text: string;
}
