import dgram from 'node:dgram';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/** How many more Resolvers (c-ares channels) fail to be made; set by the test. */
const failing = vi.hoisted(() => ({ next: 0 }));
vi.mock('node:dns/promises', async (original) => {
  const real = await original<typeof import('node:dns/promises')>();
  class Resolver extends real.Resolver {
    constructor(options?: ConstructorParameters<typeof real.Resolver>[0]) {
      if (failing.next > 0) {
        failing.next--;
        throw Object.assign(new Error('channel could not be made'), { code: 'ENOMEM' });
      }
      super(options);
    }
  }
  return { ...real, Resolver };
});
const { createDnsClient } = await import('../../src/dns/client.js');

let sock: dgram.Socket;
let server: string;
beforeAll(async () => {
  sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const q = packet.decode(msg);
    const name = q.questions?.[0]?.name ?? '';
    sock.send(packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name, ttl: 60, data: '192.0.2.1' }] }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  server = `127.0.0.1:${sock.address().port}`;
});
afterAll(() => sock.close());

describe('a c-ares channel that cannot be made', () => {
  it('fails the queries meant for it (a tempfail each, no uncaught error); the next channel carries on', async () => {
    const dns = createDnsClient({ servers: [server], timeoutMs: 2000, retries: 0 });
    failing.next = 1;
    // 40 lookups of one turn: the first 32 were meant for the channel that failed, the other 8 for the next one.
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => dns.resolve(`n${i}.example`, 'A')));
    expect(answers.slice(0, 32).every((a) => a.kind === 'tempfail')).toBe(true);
    expect(answers.slice(32)).toEqual(Array.from({ length: 8 }, () => ({ kind: 'records', records: ['192.0.2.1'] })));
    // With a retry, on a server that has answered before (so one failure does not make it suspect), they are asked again on a channel that works.
    const retried = createDnsClient({ servers: [server], timeoutMs: 2000, retries: 1 });
    expect((await retried.resolve('warm.example', 'A')).kind).toBe('records');
    failing.next = 1;
    const again = await Promise.all(Array.from({ length: 4 }, (_, i) => retried.resolve(`r${i}.example`, 'A')));
    expect(again).toEqual(Array.from({ length: 4 }, () => ({ kind: 'records', records: ['192.0.2.1'] })));
  });
});
