/**
 * The shared UDP sockets of the raw and secure clients (src/dns/udp-pool.ts):
 * replies reach the query of their ID, a socket carries at most MAX_USES
 * queries (so the source port keeps changing), a busy ID gets a socket of
 * its own, and the secure client skips a server the main client holds
 * suspect. Loopback only; every wait ends on an event.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecureDnsClient } from '../../src/dns/secure.js';
import { MAX_USES, sendShared } from '../../src/dns/udp-pool.js';

let server: dgram.Socket;
let port: number;
const sourcePorts = new Set<number>();

beforeAll(async () => {
  server = dgram.createSocket('udp4');
  // Echoes each datagram back with "!" appended: the ID (first two bytes) is the query's.
  server.on('message', (msg, rinfo) => {
    sourcePorts.add(rinfo.port);
    server.send(Buffer.concat([msg, Buffer.from('!')]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

const message = (id: number, body: string): Buffer => Buffer.concat([Buffer.from([id >> 8, id & 0xff]), Buffer.from(body)]);

function ask(id: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const release = sendShared('127.0.0.1', port, message(id, body), {
      reply: (msg) => {
        release();
        resolve(msg.subarray(2).toString());
      },
      error: reject,
    });
  });
}

describe('shared UDP sockets', () => {
  it('hands each reply to the query of its ID; MAX_USES queries a socket, then a fresh source port', async () => {
    sourcePorts.clear();
    const n = MAX_USES * 3;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => ask(i, `q${i}`)));
    expect(replies).toEqual(Array.from({ length: n }, (_, i) => `q${i}!`));
    expect(sourcePorts.size).toBe(3);
  });

  it('a second query with a busy ID goes out on a socket of its own', async () => {
    sourcePorts.clear();
    const [a, b] = await Promise.all([ask(7, 'first'), ask(7, 'second')]);
    expect([a, b]).toEqual(['first!', 'second!']);
    expect(sourcePorts.size).toBe(2);
  });
});

describe('the secure client and the main client\'s health', () => {
  it('does not ask a server it is told to skip: ENOSERVER at once, no datagram sent', async () => {
    sourcePorts.clear();
    const label = `127.0.0.1:${port}`;
    const secure = createSecureDnsClient({ servers: [label], timeoutMs: 60_000, retries: 2, skip: (s) => s === label });
    expect(await secure.query('example.test', 'TLSA')).toMatchObject({ kind: 'tempfail', code: 'ENOSERVER' });
    expect(secure.stats().queries).toBe(0);
    expect(sourcePorts.size).toBe(0);
  });
});
