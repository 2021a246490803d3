import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsClient, type HttpsClient } from '../../src/http/client.js';
import { startMtaStsHost, type SandboxMtaStsHost } from '../../src/sandbox/index.js';

/** The sandbox's MTA-STS policy host, through the project's HTTPS client and its route. */
let host: SandboxMtaStsHost;
let client: HttpsClient;
beforeAll(async () => {
  host = await startMtaStsHost({ policies: { 'Contoso.Example.': { body: 'version: STSv1\nmode: none\nmax_age: 1\n' }, 'plain.example': { body: 'x', contentType: null } } });
  client = createHttpsClient({ ca: host.caPem, route: host.route, timeoutMs: 5000 });
});
afterAll(() => host.close());

describe('startMtaStsHost', () => {
  it('serves the policy by SNI and Host, with a certificate for mta-sts.<domain> from its CA', async () => {
    const r = await client.request('https://mta-sts.contoso.example/.well-known/mta-sts.txt');
    expect(r).toMatchObject({ kind: 'ok', status: 200, headers: { 'content-type': 'text/plain', 'content-length': '37' }, body: 'version: STSv1\nmode: none\nmax_age: 1\n' });
    expect(host.requests().at(-1)).toMatchObject({ domain: 'contoso.example', path: '/.well-known/mta-sts.txt', servername: 'mta-sts.contoso.example' });
    expect(host.requests().at(-1)?.bodyBytesWritten()).toBe(37);
  });

  it('answers 404 off the well-known path; a null contentType sends none', async () => {
    expect(await client.request('https://mta-sts.contoso.example/other')).toMatchObject({ kind: 'ok', status: 404 });
    const r = await client.request('https://mta-sts.plain.example/.well-known/mta-sts.txt');
    expect(r.kind === 'ok' && r.headers['content-type']).toBe(undefined);
  });

  it('routes every name it does not serve to a closed loopback port: refused, never the network', async () => {
    expect(host.route('mta-sts.elsewhere.example', 443).host).toBe('127.0.0.1');
    expect(host.route('www.contoso.example', 443).port).not.toBe(host.port);
    expect(await client.request('https://mta-sts.elsewhere.example/.well-known/mta-sts.txt')).toMatchObject({ kind: 'refused' });
  });

  it('a domain added later gets its own certificate on its first connection; nextRequest resolves on arrival', async () => {
    host.setPolicy('later.example', { body: 'late', status: 200 });
    const seen = host.nextRequest();
    const r = await client.request('https://mta-sts.later.example/.well-known/mta-sts.txt');
    expect(r).toMatchObject({ kind: 'ok', body: 'late' });
    expect((await seen).servername).toBe('mta-sts.later.example');
  });
});
