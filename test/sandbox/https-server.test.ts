import https from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import { startHttpsServer, type SandboxHttpsServer } from '../../src/sandbox/index.js';

const servers: SandboxHttpsServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

function request(url: string, ca: string | undefined, body?: string): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: body === undefined ? 'GET' : 'POST', ca, servername: 'localhost' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the sandbox HTTPS server', () => {
  it('answers through its handler over TLS that verifies with its CA, and records each request', async () => {
    const s = await startHttpsServer({ handler: (r) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: `${r.method} ${r.path} ${r.body}` }) });
    servers.push(s);
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await request(`${s.url}/.well-known/x?y=1`, s.caPem, 'hello')).toEqual({ status: 200, body: 'POST /.well-known/x?y=1 hello', type: 'text/plain' });
    expect(s.requests().map((r) => [r.method, r.path, r.body, r.servername])).toEqual([['POST', '/.well-known/x?y=1', 'hello', 'localhost']]);
    s.setHandler(() => ({ status: 404 }));
    expect((await request(`${s.url}/`, s.caPem)).status).toBe(404);
  });

  it('is refused by a client that does not trust its CA; a body over the bound is 413 without the handler', async () => {
    let called = 0;
    const s = await startHttpsServer({ handler: () => ((called += 1), { status: 200 }), maxBodyBytes: 10 });
    servers.push(s);
    await expect(request(`${s.url}/`, undefined)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect((await request(`${s.url}/`, s.caPem, 'x'.repeat(11))).status).toBe(413);
    expect(called).toBe(0);
  });
});
