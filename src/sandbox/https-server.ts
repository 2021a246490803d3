/**
 * The sandbox's loopback HTTPS server: a handler answers each request, with
 * a certificate issued at run time (certificates.ts) for the names given, so
 * that a client verifies it for real with `--tls-ca`. Used for stand-ins of
 * HTTPS services (an OAuth token endpoint, an MTA-STS policy host) in tests
 * and rehearsals. Binds 127.0.0.1 only; request bodies are bounded; every
 * request is recorded (method, path, headers, body, the SNI name asked for).
 *
 * startMtaStsHost is an MTA-STS policy host on the same terms: one CA, a
 * certificate per `mta-sts.<domain>` made on first use, and the faults the
 * policy fetch must tell apart (RFC 8461 §3.3).
 */
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { createTestCa, createTestCertificates, type TestCa, type TestCertificates } from './certificates.js';

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

// ---------------------------------------------------------------------------
// An MTA-STS policy host

/**
 * What the policy host serves for one domain at
 * `https://mta-sts.<domain>/.well-known/mta-sts.txt` (RFC 8461 §3.3), and
 * the faults to serve instead: a status, a redirect, another media type, a
 * slow answer, a body without a Content-Length, a certificate that must not
 * verify, or no listener at all.
 */
export interface MtaStsPolicySpec {
  /** The policy file (default: empty). */
  body?: string | Buffer;
  /** Default 200 (301 with `redirect`). */
  status?: number;
  /** Default `text/plain`; null sends no Content-Type. */
  contentType?: string | null;
  /** A Location to redirect to. */
  redirect?: string;
  /** Answer this long after the request arrived (a deadline test waits for `nextRequest()`, never for this). */
  delayMs?: number;
  /** Stream the body in 16 KiB pieces without a Content-Length (chunked), as far as the client reads. */
  chunked?: boolean;
  /**
   * The certificate `mta-sts.<domain>` is served with: `valid` (default),
   * `wrong-name` (for `<domain>` only), `expired`, or `untrusted` (from
   * another CA than `caPem`).
   */
  certificate?: 'valid' | 'wrong-name' | 'expired' | 'untrusted';
  /** No HTTPS listener for this domain: `route` sends it to a closed port (connection refused). */
  refuse?: boolean;
}

/** Options of startMtaStsHost: the domains and what each one's policy host serves. */
export interface MtaStsHostOptions {
  /** By domain (`contoso.com`, not `mta-sts.contoso.com`). */
  policies: Record<string, MtaStsPolicySpec>;
}

/** One request the policy host received. */
export interface MtaStsHostRequest {
  /** The domain the Host header names (`mta-sts.<domain>`), or null. */
  domain: string | null;
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The TLS server name the client sent (SNI), or null. */
  servername: string | null;
  /** Body bytes handed to the socket for this answer so far (a client that stops reading stops it early). */
  bodyBytesWritten(): number;
}

/** A running MTA-STS policy host on loopback (startMtaStsHost). */
export interface SandboxMtaStsHost {
  port: number;
  /** The CA a client must trust (`--tls-ca`). */
  caPem: string;
  /**
   * The route an HTTPS client dials by (the shape of the client's `route`
   * option): `mta-sts.<domain>` of a served domain to this host, every
   * other name (and a `refuse` domain) to a closed loopback port. Nothing
   * ever leaves loopback.
   */
  route(host: string, port: number): { host: string; port: number };
  /** Every request so far, in order. */
  requests(): MtaStsHostRequest[];
  /** Resolves when the next request arrives (before it is answered). */
  nextRequest(): Promise<MtaStsHostRequest>;
  /** Serves `spec` for `domain` from now on (a new domain gets its certificate on its first connection). */
  setPolicy(domain: string, spec: MtaStsPolicySpec): void;
  close(): Promise<void>;
}

const POLICY_PATH = '/.well-known/mta-sts.txt';
const CHUNK_BYTES = 16 * 1024;
const DAY_MS = 86_400_000;

/**
 * Starts an MTA-STS policy host on 127.0.0.1 (see MtaStsPolicySpec): it
 * answers by SNI and Host `mta-sts.<domain>` with a certificate its own CA
 * issues at run time for that name (or the faulty one asked for). Pair it
 * with an HTTPS client's `route` option set to `route`. Makes no outgoing
 * connection.
 */
export async function startMtaStsHost(opts: MtaStsHostOptions): Promise<SandboxMtaStsHost> {
  const ca = await createTestCa();
  const policies = new Map<string, MtaStsPolicySpec>(Object.entries(opts.policies).map(([d, s]) => [d.toLowerCase().replace(/\.$/, ''), s]));
  const fallback = await ca.issue({ names: ['localhost'] });
  const contexts = new Map<string, Promise<tls.SecureContext>>();
  let otherCa: Promise<TestCa> | null = null;
  const contextFor = (servername: string): Promise<tls.SecureContext> | null => {
    const name = servername.toLowerCase();
    const domain = name.startsWith('mta-sts.') ? name.slice('mta-sts.'.length) : null;
    const spec = domain === null ? undefined : policies.get(domain);
    if (domain === null || !spec) return null;
    const kind = spec.certificate ?? 'valid';
    const key = `${kind} ${name}`;
    let ctx = contexts.get(key);
    if (!ctx) {
      const now = Date.now();
      const issued = kind === 'wrong-name' ? ca.issue({ names: [domain] })
        : kind === 'expired' ? ca.issue({ names: [name], notBefore: new Date(now - 2 * DAY_MS), notAfter: new Date(now - DAY_MS) })
          : kind === 'untrusted' ? (otherCa ??= createTestCa({ commonName: 'm365audit untrusted test CA' })).then((o) => o.issue({ names: [name] }))
            : ca.issue({ names: [name] });
      ctx = issued.then((c) => tls.createSecureContext({ cert: c.certPem, key: c.keyPem }));
      contexts.set(key, ctx);
    }
    return ctx;
  };

  const seen: MtaStsHostRequest[] = [];
  const waiting: ((r: MtaStsHostRequest) => void)[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = https.createServer({
    cert: fallback.certPem,
    key: fallback.keyPem,
    SNICallback: (servername, cb) => {
      const ctx = contextFor(servername);
      if (!ctx) cb(null, undefined);
      else ctx.then((c) => cb(null, c), (err: Error) => cb(err, undefined));
    },
  }, (req, res) => {
    const hostHeader = String(req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
    const domain = hostHeader.startsWith('mta-sts.') ? hostHeader.slice('mta-sts.'.length) : null;
    let written = 0;
    const request: MtaStsHostRequest = {
      domain,
      path: req.url ?? '/',
      headers: req.headers,
      servername: ((req.socket as TLSSocket).servername as string | false | undefined) || null,
      bodyBytesWritten: () => written,
    };
    seen.push(request);
    for (const w of waiting.splice(0)) w(request);
    req.resume();
    const spec = domain === null ? undefined : policies.get(domain);
    if (!spec || request.path !== POLICY_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no policy here\n');
      return;
    }
    const answer = (): void => {
      const headers: Record<string, string> = {};
      const contentType = spec.contentType === undefined ? 'text/plain' : spec.contentType;
      if (contentType !== null) headers['content-type'] = contentType;
      if (spec.redirect !== undefined) headers.location = spec.redirect;
      const status = spec.status ?? (spec.redirect !== undefined ? 301 : 200);
      const body = typeof spec.body === 'string' ? Buffer.from(spec.body, 'utf8') : (spec.body ?? Buffer.alloc(0));
      if (!spec.chunked) {
        headers['content-length'] = String(body.length);
        res.writeHead(status, headers);
        written = body.length;
        res.end(body);
        return;
      }
      res.writeHead(status, headers);
      let offset = 0;
      const pump = (): void => {
        while (offset < body.length && !res.destroyed) {
          const piece = body.subarray(offset, offset + CHUNK_BYTES);
          offset += piece.length;
          written += piece.length;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      pump();
    };
    if (spec.delayMs === undefined) answer();
    else {
      const t = setTimeout(() => (timers.delete(t), res.destroyed || answer()), spec.delayMs);
      timers.add(t);
      res.once('close', () => (clearTimeout(t), timers.delete(t)));
    }
  });
  // A client that connects and sends nothing must not hold a test open.
  server.requestTimeout = 10_000;
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const closedPort = await freePort();
  return {
    port,
    caPem: ca.caPem,
    route(host) {
      const name = host.toLowerCase().replace(/\.$/, '');
      const spec = name.startsWith('mta-sts.') ? policies.get(name.slice('mta-sts.'.length)) : undefined;
      return { host: '127.0.0.1', port: spec && !spec.refuse ? port : closedPort };
    },
    requests: () => [...seen],
    nextRequest: () => new Promise<MtaStsHostRequest>((resolve) => waiting.push(resolve)),
    setPolicy(domain, spec) {
      policies.set(domain.toLowerCase().replace(/\.$/, ''), spec);
      for (const key of [...contexts.keys()]) if (key.endsWith(` mta-sts.${domain.toLowerCase()}`)) contexts.delete(key);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (bound, then closed): connecting to it is refused. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
