/**
 * One HTTPS request at a time, as a typed outcome: the answer (status,
 * headers, body text) or why there is none (refused, unreachable, timeout,
 * TLS with Node's verify code, too large, protocol). Used for the OAuth token
 * endpoint (issue 15) and made general (any method, any body) for the
 * MTA-STS policy fetch (RFC 8461 §3.3, issue 16).
 *
 * - The same code path reaches `https://127.0.0.1:PORT` (the sandbox, its CA
 *   given as `ca`) and `login.microsoftonline.com` (Node's CA store): `ca` is
 *   added to Node's roots for this client only, per request (`node:https`
 *   takes it per call, with no global state; the global `fetch` of Node 20
 *   cannot without the undici package: research/oauth.md §6 [P-run]).
 * - Redirects are never followed: a 3xx is an answer like any other
 *   (RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed"; a token
 *   endpoint never redirects).
 * - Every wait is bounded: the connection and the TLS handshake within
 *   `connectTimeoutMs`, the whole request (headers and body too) within
 *   `timeoutMs`. A `timeout` outcome names the stage it was in.
 * - The body is capped at `maxBytes` (a larger Content-Length is refused
 *   before a byte is read), the headers at `maxHeaderBytes`.
 * - No keep-alive pool: each request opens its own TLS socket (one
 *   `tls.connect` of ours, made in `createConnection`), closed when the
 *   outcome is known, so the per-request CA is always the one used. The
 *   request's headers and body (which may hold a secret) never appear in an
 *   outcome.
 * - The connection is injected as a check's DnsClient is: `route` maps the
 *   URL's host and port to the TCP destination (the sandbox's loopback
 *   policy host in tests, so that no test needs port 443), and nothing else
 *   changes: SNI and the certificate's name check stay on the URL's host
 *   (RFC 8461 §3.3: the certificate must be valid for `mta-sts.<domain>`),
 *   and the Host header too. Without a route the destination is the URL's.
 *   Both go through the same code.
 *
 * Never throws for anything the network does: the outcome says it.
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { settleWithin, TIMEOUT } from '../util/deadline.js';

/** CA certificates to trust beside Node's roots (PEM text or DER/PEM buffers), the shape the SMTP probe takes too. */
export type HttpsCa = string | Buffer | readonly (string | Buffer)[];

/** Options of createHttpsClient; every one has a default. */
export interface HttpsClientOptions {
  /** Trusted beside Node's root store (e.g. the sandbox's CA, `--tls-ca`). */
  ca?: HttpsCa;
  /** The whole request, from connect to the last body byte (default 10,000 ms). */
  timeoutMs?: number;
  /** TCP connect plus TLS handshake (default: timeoutMs). */
  connectTimeoutMs?: number;
  /** Largest body read (default 1 MiB); a larger one is `too-large`. */
  maxBytes?: number;
  /** Largest header block read (default 16 KiB, Node's own default); a larger one is `protocol`. */
  maxHeaderBytes?: number;
  /** The User-Agent header sent unless the request sets one (default: none sent). */
  userAgent?: string;
  /**
   * Where to open the TCP connection for a URL's host and port (default: there).
   * Only the destination changes: SNI, the certificate's name check and the
   * Host header stay on the URL's host. Must not throw.
   */
  route?: HttpsRoute;
}

/** Maps a URL's host and port to the TCP destination actually dialled (HttpsClientOptions.route). */
export type HttpsRoute = (host: string, port: number) => { host: string; port: number };

/**
 * One request: the method (default GET), headers, a body (sent with its
 * Content-Length), and this request's own body cap and deadline where the
 * protocol fixes them (an MTA-STS policy: 64 KiB, RFC 8461 §3.3).
 */
export interface HttpsRequestInit {
  method?: string;
  headers?: Readonly<Record<string, string>>;
  body?: string | Buffer;
  /** Largest body read for this request (default: the client's maxBytes). */
  maxBytes?: number;
  /** The whole request's deadline (default: the client's timeoutMs); the connect deadline is never longer. */
  timeoutMs?: number;
}

/** The stage a request was in when its deadline came. */
export type HttpsStage = 'connect' | 'tls' | 'headers' | 'body';

/** The answer: status, headers (lower-case names, repeated ones joined with ", "), the body as UTF-8 text. */
export interface HttpsAnswer {
  kind: 'ok';
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string;
  /** The body's length in bytes, as received (before UTF-8 decoding). */
  bytes: number;
}

/** Why there is no answer. `message` is Node's text (or ours): it never holds the request's headers or body. */
export type HttpsFailure =
  | { kind: 'refused'; message: string }
  | { kind: 'unreachable'; code: string; message: string }
  | { kind: 'timeout'; stage: HttpsStage; ms: number; message: string }
  | { kind: 'tls'; code: string; message: string }
  /** `read`: the body bytes received before the client stopped (0 when the Content-Length was over the cap). */
  | { kind: 'too-large'; limit: number; status: number; read: number; message: string }
  | { kind: 'protocol'; code: string | null; message: string };

/** What request() resolves with: an answer (any status, 3xx included) or a failure. */
export type HttpsOutcome = HttpsAnswer | HttpsFailure;

/** An HTTPS client with its CA, deadlines and caps fixed (createHttpsClient). */
export interface HttpsClient {
  /** Sends one request; resolves with its outcome, never rejects. */
  request(url: string | URL, init?: HttpsRequestInit): Promise<HttpsOutcome>;
}

/** Default deadline of a whole request. */
export const DEFAULT_HTTPS_TIMEOUT_MS = 10_000;
/** Default cap on a body: a token answer is a few KB, an MTA-STS policy at most 64 KB by convention. */
export const DEFAULT_HTTPS_MAX_BYTES = 1024 * 1024;
const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
const MAX_MESSAGE = 300;

/** Node's errors that mean "nothing listens there" vs "no way there". */
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);
/**
 * OpenSSL's verify errors as Node names them (X509_V_ERR_* without the
 * prefix, node/src/crypto/crypto_common.cc) and the host-name mismatch.
 */
const TLS_VERIFY = /^(?:UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|ERR_TLS_CERT_ALTNAME_INVALID$|HOSTNAME_MISMATCH$|INVALID_CA$|PATH_LENGTH_EXCEEDED$|INVALID_PURPOSE$|ERR_SSL_|ERR_TLS_)/;

/**
 * An HTTPS client (see the module comment). The options are fixed for the
 * client's life; each request opens its own connection.
 */
export function createHttpsClient(opts: HttpsClientOptions = {}): HttpsClient {
  const clientTimeoutMs = Math.max(0, opts.timeoutMs ?? DEFAULT_HTTPS_TIMEOUT_MS);
  const clientConnectMs = Math.max(0, opts.connectTimeoutMs ?? clientTimeoutMs);
  const clientMaxBytes = Math.max(0, opts.maxBytes ?? DEFAULT_HTTPS_MAX_BYTES);
  const maxHeaderBytes = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const extra = opts.ca === undefined ? [] : Array.isArray(opts.ca) ? [...(opts.ca as readonly (string | Buffer)[])] : [opts.ca as string | Buffer];
  // Added to the roots, not instead of them: `--tls-ca` trusts one more CA (as the SMTP probe does).
  const ca = extra.length ? [...tls.rootCertificates, ...extra] : undefined;
  const route = opts.route;

  return {
    async request(url, init = {}) {
      let target: URL;
      try {
        target = typeof url === 'string' ? new URL(url) : url;
      } catch {
        return { kind: 'protocol', code: 'ERR_INVALID_URL', message: 'not a URL' };
      }
      if (target.protocol !== 'https:') return { kind: 'protocol', code: 'ERR_INVALID_PROTOCOL', message: `only https: URLs are fetched, not ${target.protocol}` };
      if (target.username || target.password) return { kind: 'protocol', code: 'ERR_INVALID_URL', message: 'a URL with credentials in it is not fetched' };
      const timeoutMs = Math.max(0, init.timeoutMs ?? clientTimeoutMs);
      const connectMs = Math.min(timeoutMs, clientConnectMs);
      const maxBytes = Math.max(0, init.maxBytes ?? clientMaxBytes);
      const body = init.body === undefined ? undefined : typeof init.body === 'string' ? Buffer.from(init.body, 'utf8') : init.body;
      const headers: Record<string, string> = {};
      if (opts.userAgent) headers['user-agent'] = opts.userAgent;
      for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
      if (body) headers['content-length'] = String(body.length);
      // The name the certificate must be valid for, as the URL gives it (brackets off an IPv6 literal).
      const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = target.port === '' ? HTTPS_PORT : Number(target.port);

      let stage: HttpsStage = 'connect';
      let req: ReturnType<typeof https.request> | null = null;
      let connectTimer: NodeJS.Timeout | undefined;
      const outcome = await settleWithin<HttpsOutcome>(timeoutMs, (settle) => {
        const fail = (err: NodeJS.ErrnoException): void => settle(classify(err, stage));
        req = https.request(target, {
          method: init.method ?? 'GET',
          headers,
          // No agent: no pool, and createConnection below opens this request's own socket.
          agent: undefined,
          defaultPort: HTTPS_PORT,
          createConnection: () => connectTls(host, port, route, ca),
          maxHeaderSize: maxHeaderBytes,
        });
        connectTimer = setTimeout(() => settle(timeout(stage, connectMs)), connectMs);
        req.on('socket', (socket) => {
          socket.once('connect', () => (stage = 'tls'));
          socket.once('secureConnect', () => {
            stage = 'headers';
            clearTimeout(connectTimer);
          });
        });
        req.on('error', fail);
        req.on('response', (res: IncomingMessage) => {
          stage = 'body';
          const status = res.statusCode ?? 0;
          const declared = Number(res.headers['content-length']);
          if (Number.isFinite(declared) && declared > maxBytes) {
            settle(tooLarge(maxBytes, status, 0));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBytes) settle(tooLarge(maxBytes, status, size));
            else chunks.push(c);
          });
          res.on('error', fail);
          res.on('aborted', () => settle({ kind: 'protocol', code: 'ECONNRESET', message: 'the server closed the connection in the middle of the body' }));
          res.on('end', () => settle({ kind: 'ok', status, headers: flatHeaders(res), body: Buffer.concat(chunks).toString('utf8'), bytes: size }));
        });
        req.end(body);
        return () => {
          clearTimeout(connectTimer);
          req?.destroy();
        };
      });
      clearTimeout(connectTimer);
      return outcome === TIMEOUT ? timeout(stage, timeoutMs) : outcome;
    },
  };
}

const HTTPS_PORT = 443;

/**
 * The one TLS connection of a request: TCP to where `route` says (the URL's
 * host and port without one), TLS verified for the URL's host. SNI carries
 * that host unless it is an IP address (RFC 6066 §3 forbids one there), and
 * the certificate is checked against it (tls.checkServerIdentity, RFC 6125
 * rules), whatever the TCP destination.
 */
function connectTls(host: string, port: number, route: HttpsRoute | undefined, ca: string[] | (string | Buffer)[] | undefined): tls.TLSSocket {
  const dest = route ? route(host, port) : { host, port };
  return tls.connect({
    host: dest.host,
    port: dest.port,
    servername: net.isIP(host) === 0 ? host : undefined,
    ca,
    // Node verifies the chain by default; said here so nobody turns it off. The name is checked against the URL's host.
    rejectUnauthorized: true,
    checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert),
  });
}

function timeout(stage: HttpsStage, ms: number): HttpsFailure {
  const what = { connect: 'no connection', tls: 'no TLS handshake', headers: 'no answer', body: 'the body did not end' }[stage];
  return { kind: 'timeout', stage, ms, message: `${what} within ${ms} ms` };
}

function tooLarge(limit: number, status: number, read: number): HttpsFailure {
  return { kind: 'too-large', limit, status, read, message: `the body is larger than ${limit} bytes` };
}

/** The one place Node's request errors become outcomes. */
function classify(err: NodeJS.ErrnoException, stage: HttpsStage): HttpsFailure {
  const code = typeof err.code === 'string' ? err.code : '';
  const message = (err.message || code || 'request failed').replace(/[\r\n]+/g, ' ').slice(0, MAX_MESSAGE);
  if (code === 'ECONNREFUSED') return { kind: 'refused', message };
  if (UNREACHABLE.has(code)) return { kind: 'unreachable', code, message };
  if (code === 'ETIMEDOUT') return { kind: 'timeout', stage, ms: 0, message };
  if (TLS_VERIFY.test(code)) return { kind: 'tls', code, message };
  return { kind: 'protocol', code: code || null, message };
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
