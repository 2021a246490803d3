import dgram from 'node:dgram';
import * as packet from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';

/**
 * c-ares 1.34 times a query out at 5x the server's average latency (250 ms
 * floor) once its channel has recorded 3 answers. Node hands c-ares answers
 * to JavaScript as immediates, so other I/O of the same loop turn (here the
 * raw client's DKIM reply) can send a query before the callbacks of answers
 * c-ares has already counted. That query must still get --timeout.
 */
describe('c-ares channels and the configured timeout', () => {
  it('a query sent while five answers wait for their callbacks still gets the whole timeout', async () => {
    const sock = dgram.createSocket('udp4');
    let held: (() => void)[] = [];
    sock.on('message', (msg, rinfo) => {
      const q = packet.decode(msg);
      const question = q.questions?.[0];
      if (!question) return;
      const { name, type } = question;
      const answers = type === 'TXT' ? [{ type: 'TXT', name, ttl: 60, data: 'v=DKIM1; p=' }] : [{ type: 'A', name, ttl: 60, data: '192.0.2.1' }];
      const reply = packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: q.questions, answers: answers as packet.Answer[] });
      const send = (): void => void sock.send(reply, rinfo.port, rinfo.address);
      // The slow name answers after 1800 ms: past c-ares's adaptive timer, within --timeout.
      if (name.startsWith('slow')) setTimeout(send, 1800);
      else if (type === 'TXT') held.push(send);
      else held.unshift(send);
      // The five A answers and the DKIM key go out together, the key last.
      if (held.length === 6) {
        const h = held;
        held = [];
        setImmediate(() => h.forEach((f) => f()));
      }
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
    try {
      const dns = createDnsClient({ servers: [`127.0.0.1:${sock.address().port}`], timeoutMs: 3000, retries: 0 });
      const fast = [1, 2, 3, 4, 5].map((i) => dns.resolve(`mx${i}.example`, 'A'));
      let slow: Promise<unknown> | null = null;
      const key = dns.resolve('selector1._domainkey.example.com', 'TXT').then(() => {
        slow = dns.resolve('slow.example', 'A');
      });
      await Promise.all([...fast, key]);
      expect(await slow).toEqual({ kind: 'records', records: ['192.0.2.1'] });
      expect(dns.stats().tempfails).toBe(0);
    } finally {
      sock.close();
    }
  });
});

describe('queries asked in one turn of the event loop', () => {
  it('go out together, at most 32 from one UDP source port (RFC 5452 9.2)', async () => {
    const sock = dgram.createSocket('udp4');
    const ports = new Map<number, number>();
    let held: (() => void)[] = [];
    let rawPort = 0;
    sock.on('message', (msg, rinfo) => {
      const q = packet.decode(msg);
      const question = q.questions?.[0];
      if (!question) return;
      ports.set(rinfo.port, (ports.get(rinfo.port) ?? 0) + 1);
      if (question.type === 'TXT') rawPort = rinfo.port;
      const reply = packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: q.questions, answers: [question.type === 'TXT' ? { type: 'TXT', name: question.name, ttl: 60, data: 'v=DKIM1; p=' } : { type: 'A', name: question.name, ttl: 60, data: '192.0.2.1' }] as packet.Answer[] });
      const send = (): void => void sock.send(reply, rinfo.port, rinfo.address);
      // The ten `held` answers go out together: read in one turn, one callback each.
      if (!question.name.startsWith('held')) return send();
      held.push(send);
      if (held.length === 10) {
        const h = held;
        held = [];
        h.forEach((f) => f());
      }
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
    try {
      const dns = createDnsClient({ servers: [`127.0.0.1:${sock.address().port}`], timeoutMs: 2000, retries: 2 });
      const first = await Promise.all(Array.from({ length: 100 }, (_, i) => dns.resolve(`n${i}.example`, 'A')));
      expect(first.filter((a) => a.kind === 'records')).toHaveLength(100);
      expect([...ports.values()].sort((a, b) => b - a)).toEqual([32, 32, 32, 4]);
      ports.clear();
      // Ten DKIM keys (the raw client: a callback for each datagram) answered in one turn; each callback
      // asks one more name through c-ares: the ten go out together, from one channel.
      const ask = (i: number): Promise<unknown> => dns.resolve(`held${i}._domainkey.example`, 'TXT').then(() => dns.resolve(`later${i}.example`, 'A'));
      const later = (await Promise.all(Array.from({ length: 10 }, (_, i) => ask(i)))) as { kind: string }[];
      expect(later.filter((a) => a.kind === 'records')).toHaveLength(10);
      expect(ports.get(rawPort)).toBe(10);
      ports.delete(rawPort);
      // One channel when the ten datagrams are read in one turn (a loaded machine may split them over two or three);
      // a channel for each callback would be ten.
      expect([...ports.values()].reduce((a, b) => a + b, 0)).toBe(10);
      expect(ports.size).toBeLessThanOrEqual(3);
    } finally {
      sock.close();
    }
  });
});

describe('DKIM keys over EDNS0, and a server that refuses EDNS0', () => {
  it('asks again without EDNS0 (RFC 6891 §7) when the server answers FORMERR to the OPT record', async () => {
    const sock = dgram.createSocket('udp4');
    const seen: boolean[] = [];
    sock.on('message', (msg, rinfo) => {
      const q = packet.decode(msg);
      const question = q.questions?.[0];
      if (!question) return;
      const withOpt = (q.additionals ?? []).some((a) => a.type === 'OPT');
      seen.push(withOpt);
      const reply = withOpt
        ? packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | 1 /* FORMERR */, questions: q.questions })
        : packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'TXT', name: question.name, ttl: 60, data: 'v=DKIM1; k=rsa; p=' } as packet.Answer] });
      sock.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
    try {
      const dns = createDnsClient({ servers: [`127.0.0.1:${sock.address().port}`], timeoutMs: 2000, retries: 0 });
      expect(await dns.resolve('selector1._domainkey.example.com', 'TXT')).toEqual({ kind: 'records', records: ['v=DKIM1; k=rsa; p='] });
      expect(seen).toEqual([true, false]);
    } finally {
      sock.close();
    }
  });
});
