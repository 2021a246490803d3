/**
 * The sandbox's loopback HTTPS server: a handler answers each request, with
 * a certificate issued at run time (certificates.ts) for the names given, so
 * that a client verifies it for real with `--tls-ca`. Used for stand-ins of
 * HTTPS services (an OAuth token endpoint, an MTA-STS policy host) in tests
 * and rehearsals. Binds 127.0.0.1 only; request bodies are bounded; every
 * request is recorded (method, path, headers, body, the SNI name asked for).
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createTestCertificates, type TestCertificates } from './certificates.js';

/** One request the HTTPS server received, as its handler sees it (and `requests()` lists it). */
export interface HttpsRequest {
  method: string;
  /** The path with its query string, as sent. */
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as UTF-8 text (at most maxBodyBytes; a longer one is answered 413 without calling the handler). */
  body: string;
  /** The TLS server name the client sent (SNI), or null. */
  servername: string | null;
}

/** What a handler answers: the status, headers and body. */
export interface HttpsResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Answers one request; a handler that throws or rejects gets a 500 with its message. */
export type HttpsHandler = (req: HttpsRequest) => HttpsResponse | Promise<HttpsResponse>;

/** Options of startHttpsServer: the handler, the certificate's names (or the certificates), the body bound. */
export interface HttpsServerOptions {
  handler: HttpsHandler;
  /** Names the certificate covers (default: localhost, 127.0.0.1, ::1); or the certificates themselves. */
  names?: string[];
  certificates?: TestCertificates;
  /** Largest request body read (default 1 MiB). */
  maxBodyBytes?: number;
}

/** A running loopback HTTPS server: its URL, the CA to trust, the requests so far, and `close()`. */
export interface SandboxHttpsServer {
  /** `https://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** The CA a client must trust. */
  caPem: string;
  /** Every request so far, in order. */
  requests(): HttpsRequest[];
  /** Replaces the handler (e.g. to answer errors on demand). */
  setHandler(handler: HttpsHandler): void;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

/**
 * Starts the HTTPS server on 127.0.0.1, on a free port, its certificate
 * issued at run time for `opts.names` (see the module comment). Resolves once
 * it listens; rejects when it cannot bind. Makes no outgoing connection.
 */
export async function startHttpsServer(opts: HttpsServerOptions): Promise<SandboxHttpsServer> {
  const certs = opts.certificates ?? (await createTestCertificates(opts.names ? { names: opts.names } : {}));
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  let handler = opts.handler;
  const seen: HttpsRequest[] = [];
  const server = https.createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLong = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) tooLong = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLong) {
        res.writeHead(413).end();
        return;
      }
      const request: HttpsRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        servername: ((req.socket as TLSSocket).servername as string | false | undefined) || null,
      };
      seen.push(request);
      Promise.resolve()
        .then(() => handler(request))
        .then(
          (r) => res.writeHead(r.status, r.headers).end(r.body ?? ''),
          (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err instanceof Error ? err.message : String(err)),
        );
    });
  });
  // A client that connects and sends nothing must not hold a test open.
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caPem: certs.caPem,
    requests: () => [...seen],
    setHandler(h) {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
