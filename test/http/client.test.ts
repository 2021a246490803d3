import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsClient, type HttpsOutcome } from '../../src/http/client.js';
import { createTestCa, createTestCertificates, startHttpsServer, type HttpsResponse, type SandboxHttpsServer, type TestCertificates } from '../../src/sandbox/index.js';

/** A deadline for answers that must not come: short, since nothing waits for it to pass but the client itself. */
const SHORT = 300;
/** A deadline that must outlast a TLS handshake under load (the handshake must complete before the stage under test). */
const AFTER_TLS = 1500;
/** A deadline for answers that must come, under a loaded test run. */
const LONG = 5_000;

const closers: (() => Promise<void>)[] = [];
afterAll(() => Promise.all(closers.map((c) => c())));

let certs: TestCertificates;
let server: SandboxHttpsServer;
beforeAll(async () => {
  certs = await createTestCertificates();
  server = await startHttpsServer({
    certificates: certs,
    handler: (r): HttpsResponse => {
      if (r.path === '/redirect') return { status: 302, headers: { location: 'https://127.0.0.1:1/elsewhere' }, body: 'moved' };
      if (r.path === '/big') return { status: 200, body: 'x'.repeat(5000) };
      return { status: r.method === 'POST' ? 201 : 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-twice': 'ok' }, body: `${r.method} ${r.path} ${r.body} ✓` };
    },
  });
  closers.push(() => server.close());
});

/** A server of our own on the sandbox's certificate, for answers the sandbox's handler cannot give (stalls, chunked bodies). */
async function rawHttps(onRequest: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<string> {
  const s = https.createServer({ cert: certs.certPem, key: certs.keyPem }, onRequest);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve()))));
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** A TCP listener that accepts and never says a word (no TLS handshake), and counts its connections. */
async function silentTcp(): Promise<{ url: string; accepted: Promise<void> }> {
  const sockets: net.Socket[] = [];
  let accepted!: () => void;
  const once = new Promise<void>((resolve) => (accepted = resolve));
  const s = net.createServer((sock) => (sockets.push(sock), accepted()));
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => (sockets.forEach((x) => x.destroy()), s.close(() => resolve()))));
  return { url: `https://127.0.0.1:${(s.address() as AddressInfo).port}`, accepted: once };
}

describe('createHttpsClient: answers', () => {
  it('GET: status, lower-case headers and the UTF-8 body, over TLS verified with the injected CA', async () => {
    const r = await createHttpsClient({ ca: certs.caPem, timeoutMs: LONG }).request(`${server.url}/policy?x=1`);
    expect(r).toMatchObject({ kind: 'ok', status: 200, body: 'GET /policy?x=1  ✓' });
    expect(r.kind === 'ok' && r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.kind === 'ok' && r.headers['x-twice']).toBe('ok');
  });

  it('POST: the body with its Content-Length and the given headers reach the server', async () => {
    const before = server.requests().length;
    const r = await createHttpsClient({ ca: [certs.caPem], timeoutMs: LONG, userAgent: 'm365audit-test' })
      .request(new URL(`${server.url}/token`), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=%C3%A9' });
    expect(r).toMatchObject({ kind: 'ok', status: 201, body: 'POST /token a=1&b=%C3%A9 ✓' });
    const seen = server.requests().slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded', 'content-length': '12', 'user-agent': 'm365audit-test' });
  });

  it('never follows a redirect: the 302 is the answer, and one request was made', async () => {
    const before = server.requests().length;
    const r = await createHttpsClient({ ca: certs.caPem, timeoutMs: LONG }).request(`${server.url}/redirect`);
    expect(r).toMatchObject({ kind: 'ok', status: 302, body: 'moved', headers: { location: 'https://127.0.0.1:1/elsewhere' } });
    expect(server.requests().slice(before).map((q) => q.path)).toEqual(['/redirect']);
  });
});

describe('createHttpsClient: failures, each typed', () => {
  it('refused: nothing listens on the port', async () => {
    const s = net.createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const r = await createHttpsClient({ timeoutMs: LONG }).request(`https://127.0.0.1:${port}/`);
    expect(r.kind).toBe('refused');
  });

  it('timeout in the TLS stage: a listener that accepts and never answers, with a short connect deadline', async () => {
    const silent = await silentTcp();
    const r = await createHttpsClient({ timeoutMs: LONG, connectTimeoutMs: SHORT }).request(silent.url);
    await silent.accepted;
    expect(r).toMatchObject({ kind: 'timeout', stage: 'tls', ms: SHORT });
  });

  it('timeout while waiting for the headers: the handler never answers', async () => {
    const never = await startHttpsServer({ certificates: certs, handler: () => new Promise(() => undefined) });
    closers.push(() => never.close());
    const r = await createHttpsClient({ ca: certs.caPem, timeoutMs: AFTER_TLS }).request(never.url);
    expect(r).toMatchObject({ kind: 'timeout', stage: 'headers', ms: AFTER_TLS });
    expect(never.requests()).toHaveLength(1);
  });

  it('timeout in the body: the headers come, the body never ends', async () => {
    let wrote!: () => void;
    const started = new Promise<void>((resolve) => (wrote = resolve));
    const url = await rawHttps((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part', () => wrote());
    });
    const r = await createHttpsClient({ ca: certs.caPem, timeoutMs: AFTER_TLS }).request(url);
    await started;
    expect(r).toMatchObject({ kind: 'timeout', stage: 'body' });
  });

  it('tls: a client without the CA gets the verify code; a CA of another issuer too; a name the certificate lacks too', async () => {
    const none = await createHttpsClient({ timeoutMs: LONG }).request(server.url);
    expect(none).toMatchObject({ kind: 'tls', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const other = await createTestCertificates({ names: ['other.test'] });
    const wrongCa = await createHttpsClient({ ca: other.caPem, timeoutMs: LONG }).request(server.url);
    // Each throw-away CA has its own name, so another CA is no issuer at all (with one name it would fail on the signature).
    expect(wrongCa).toMatchObject({ kind: 'tls', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const sameName = await createTestCa({ commonName: 'one name' });
    const twin = await createTestCa({ commonName: 'one name' });
    const twinServer = await startHttpsServer({ certificates: await sameName.issue(), handler: () => ({ status: 200 }) });
    closers.push(() => twinServer.close());
    expect(await createHttpsClient({ ca: twin.caPem, timeoutMs: LONG }).request(twinServer.url)).toMatchObject({ kind: 'tls', code: 'CERT_SIGNATURE_FAILURE' });
    const named = await startHttpsServer({ certificates: other, handler: () => ({ status: 200 }) });
    closers.push(() => named.close());
    const mismatch = await createHttpsClient({ ca: other.caPem, timeoutMs: LONG }).request(named.url);
    expect(mismatch).toMatchObject({ kind: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(named.requests()).toHaveLength(0);
  });

  it('too-large: by Content-Length before reading, and by counting a chunked body', async () => {
    // The sandbox's handler answers without a Content-Length (chunked): the bytes are counted as they come.
    const chunked = await createHttpsClient({ ca: certs.caPem, timeoutMs: LONG, maxBytes: 4096 }).request(`${server.url}/big`);
    expect(chunked).toMatchObject({ kind: 'too-large', limit: 4096, status: 200, message: 'the body is larger than 4096 bytes' });
    expect(chunked.kind === 'too-large' && chunked.read).toBeGreaterThan(4096);
    const announced = await rawHttps((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5000' }).end('x'.repeat(5000)));
    const declared = await createHttpsClient({ ca: certs.caPem, timeoutMs: LONG, maxBytes: 4096 }).request(announced);
    expect(declared).toEqual({ kind: 'too-large', limit: 4096, status: 200, read: 0, message: 'the body is larger than 4096 bytes' });
    const url = await rawHttps((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 10; i++) res.write('y'.repeat(1000));
      res.end();
    });
    const counted = await createHttpsClient({ ca: certs.caPem, timeoutMs: LONG, maxBytes: 4096 }).request(url);
    expect(counted).toMatchObject({ kind: 'too-large', limit: 4096, status: 200 });
    const fits = await createHttpsClient({ ca: certs.caPem, timeoutMs: LONG, maxBytes: 10_000 }).request(url);
    expect(fits).toMatchObject({ kind: 'ok', bytes: 10_000 });
    expect(fits.kind === 'ok' && fits.body.length).toBe(10_000);
    // A request's own cap wins over the client's.
    const own = await createHttpsClient({ ca: certs.caPem, timeoutMs: LONG, maxBytes: 10_000 }).request(url, { maxBytes: 2048 });
    expect(own).toMatchObject({ kind: 'too-large', limit: 2048 });
  });

  it('protocol: headers over the cap; a URL that is not https, or not a URL, is never fetched', async () => {
    const url = await rawHttps((_req, res) => res.writeHead(200, { 'x-long': 'z'.repeat(3000) }).end('ok'));
    const long: HttpsOutcome = await createHttpsClient({ ca: certs.caPem, timeoutMs: LONG, maxHeaderBytes: 1024 }).request(url);
    expect(long).toMatchObject({ kind: 'protocol', code: 'HPE_HEADER_OVERFLOW' });
    const before = server.requests().length;
    expect(await createHttpsClient().request(server.url.replace('https:', 'http:'))).toMatchObject({ kind: 'protocol', code: 'ERR_INVALID_PROTOCOL' });
    expect(await createHttpsClient().request('not a url')).toMatchObject({ kind: 'protocol', code: 'ERR_INVALID_URL' });
    expect(await createHttpsClient().request(`https://user:pw@127.0.0.1:${server.port}/`)).toMatchObject({ kind: 'protocol', code: 'ERR_INVALID_URL' });
    expect(server.requests().length).toBe(before);
  });
});

describe('createHttpsClient: the injected route (tests never need port 443)', () => {
  let named: SandboxHttpsServer;
  beforeAll(async () => {
    // A certificate for the policy host's name only: not for 127.0.0.1, where the TCP connection goes.
    const policyCerts = await createTestCertificates({ names: ['mta-sts.contoso.test'] });
    named = await startHttpsServer({ certificates: policyCerts, handler: (r) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: `${r.servername} ${String(r.headers.host)}` }) });
    closers.push(() => named.close());
    certsOfNamed = policyCerts;
  });
  let certsOfNamed: TestCertificates;

  it('dials where the route says; SNI, the certificate check and the Host header stay on the URL host', async () => {
    const calls: [string, number][] = [];
    const client = createHttpsClient({ ca: certsOfNamed.caPem, timeoutMs: LONG, route: (host, port) => (calls.push([host, port]), { host: '127.0.0.1', port: named.port }) });
    const r = await client.request('https://mta-sts.contoso.test/.well-known/mta-sts.txt');
    expect(r).toMatchObject({ kind: 'ok', status: 200, body: 'mta-sts.contoso.test mta-sts.contoso.test' });
    expect(calls).toEqual([['mta-sts.contoso.test', 443]]);
    expect(named.requests().at(-1)).toMatchObject({ path: '/.well-known/mta-sts.txt', servername: 'mta-sts.contoso.test' });
    // A port in the URL reaches the route and the Host header.
    const p = await client.request('https://mta-sts.contoso.test:8443/x');
    expect(calls.at(-1)).toEqual(['mta-sts.contoso.test', 8443]);
    expect(p).toMatchObject({ kind: 'ok', body: 'mta-sts.contoso.test mta-sts.contoso.test:8443' });
  });

  it('a host the certificate does not name fails verification, though the destination is the same server', async () => {
    const before = named.requests().length;
    const client = createHttpsClient({ ca: certsOfNamed.caPem, timeoutMs: LONG, route: () => ({ host: '127.0.0.1', port: named.port }) });
    expect(await client.request('https://mta-sts.fabrikam.test/.well-known/mta-sts.txt')).toMatchObject({ kind: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    // By address, unrouted: the certificate names no 127.0.0.1 either.
    expect(await createHttpsClient({ ca: certsOfNamed.caPem, timeoutMs: LONG }).request(named.url)).toMatchObject({ kind: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(named.requests().length).toBe(before);
  });

  it('a request\'s own deadline wins over the client\'s', async () => {
    const never = await startHttpsServer({ certificates: certs, handler: () => new Promise(() => undefined) });
    closers.push(() => never.close());
    const r = await createHttpsClient({ ca: certs.caPem, timeoutMs: LONG }).request(never.url, { timeoutMs: AFTER_TLS });
    expect(r).toMatchObject({ kind: 'timeout', stage: 'headers', ms: AFTER_TLS });
  });
});
