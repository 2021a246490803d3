import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import { createQueryWindow, type QuerySlot } from '../../src/dns/window.js';
import { startDnsServer, type TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startSilentServer } from './udp-servers.js';

describe('the adaptive window of queries in flight', () => {
  it('hands out slots up to the window, then queues in order; every answer grows it by one in slow start', async () => {
    const w = createQueryWindow({ initial: 2, max: 10, min: 1, now: () => 0 });
    const a = w.acquire() as QuerySlot;
    const b = w.acquire() as QuerySlot;
    expect(typeof a).toBe('function');
    const order: string[] = [];
    const c = Promise.resolve(w.acquire()).then((s) => (order.push('c'), s));
    const d = Promise.resolve(w.acquire()).then((s) => (order.push('d'), s));
    expect(w.state()).toMatchObject({ window: 2, inFlight: 2, waiting: 2 });
    a('answer'); // window 3: both waiting queries get in
    await Promise.all([c, d]);
    expect(order).toEqual(['c', 'd']);
    expect(w.state()).toMatchObject({ window: 3, inFlight: 3, waiting: 0 });
    b('answer');
    (await c)('answer');
    (await d)('answer');
    expect(w.state()).toMatchObject({ window: 6, inFlight: 0, cuts: 0 });
  });

  it('never grows past its ceiling', () => {
    const w = createQueryWindow({ initial: 4, max: 5, now: () => 0 });
    for (let i = 0; i < 20; i++) (w.acquire() as QuerySlot)('answer');
    expect(w.state()).toMatchObject({ window: 5, peak: 5 });
  });

  it('is halved once a round when losses pass a tenth of its outcomes, never for a few slow names', () => {
    const w = createQueryWindow({ initial: 64, max: 64, min: 8, now: () => 0 });
    const slots = Array.from({ length: 64 }, () => w.acquire() as QuerySlot);
    // 7 timeouts among 57 answers: one slow name is not congestion.
    for (let i = 0; i < 57; i++) slots[i]?.('answer');
    for (let i = 57; i < 64; i++) slots[i]?.('timeout');
    expect(w.state()).toMatchObject({ window: 64, cuts: 0 });
    const more = Array.from({ length: 64 }, () => w.acquire() as QuerySlot);
    for (const s of more) s('timeout');
    // One cut for the round, not one per lost query: the queries sent before the cut do not count again.
    expect(w.state()).toMatchObject({ window: 32, cuts: 1 });
    const next = Array.from({ length: 32 }, () => w.acquire() as QuerySlot);
    for (const s of next) s('timeout');
    expect(w.state()).toMatchObject({ window: 16, cuts: 2 });
    for (let r = 0; r < 4; r++) for (const s of Array.from({ length: w.state().window }, () => w.acquire() as QuerySlot)) s('timeout');
    expect(w.state().window).toBe(8);
  });

  it('counts a query unanswered long past the round trip as lost before its deadline', async () => {
    let t = 0;
    const w = createQueryWindow({ initial: 32, max: 32, min: 4, now: () => t });
    for (let i = 0; i < 8; i++) (w.acquire() as QuerySlot)('answer'); // srtt 1 ms
    const stuck = Array.from({ length: 30 }, () => w.acquire() as QuerySlot);
    t = 1000; // past 200 ms: the next scan (every 50 ms) marks them late
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (w.state().cuts > 0) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    expect(w.state()).toMatchObject({ cuts: 1, window: 16 });
    for (const s of stuck) s('timeout'); // already counted: no second cut
    expect(w.state().cuts).toBe(1);
  });
});

describe('a resolver that falls behind', () => {
  let server: TestDnsServer;
  beforeAll(async () => {
    // 20 ms a query and at most 100 answers waiting: about 5,000 answers a second, the rest dropped.
    server = await startDnsServer({ latencyMs: 20, maxPending: 100 });
    server.addZone('load.test', '$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n* A 192.0.2.7\n');
  });
  afterAll(() => server.close());

  it('gets every answer of 3,000 names asked at once: the window slows the client down instead of losing lookups', async () => {
    // Deadlines and retries as for answers that must come under load (the server shares this process's event loop).
    const dns = createDnsClient({ servers: [server.server], timeoutMs: 2000, retries: 3, maxInFlight: 4096 });
    const names = Array.from({ length: 3000 }, (_, i) => `n${i}.load.test`);
    const answers = await Promise.all(names.map((n) => dns.resolve(n, 'A')));
    expect(answers.filter((a) => a.kind !== 'records')).toEqual([]);
    expect(dns.stats().tempfails).toBe(0);
    const [w] = dns.windows?.() ?? [];
    expect(w?.server).toBe(server.server);
    // The window was allowed to grow past what the server takes, and was cut back.
    expect(w?.cuts).toBeGreaterThan(0);
    expect(server.stats().dropped).toBeGreaterThan(0);
  });
});

describe('a dead resolver and lookups waiting for room in its window', () => {
  it('are not sent once the server is suspect: they fail at once, not one timeout each', async () => {
    const silent = await startSilentServer();
    try {
      const dns = createDnsClient({ servers: [silent.server], timeoutMs: 300, retries: 2 });
      // 400 lookups: the first window (64) goes out and times out; the rest wait for room.
      const answers = await Promise.all(Array.from({ length: 400 }, (_, i) => dns.resolve(`d${i}.dead.test`, 'A')));
      expect(answers.every((a) => a.kind === 'tempfail')).toBe(true);
      // The first window, its health check and a probe or two: not 400 x 3 attempts trickling out one window at a time.
      expect(silent.queries.length).toBeLessThan(100);
    } finally {
      await silent.close();
    }
  });
});
