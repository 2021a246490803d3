import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { limitWhile, renderBatchStop, runBatch } from '../../src/audit/batch.js';
import type { BatchRow } from '../../src/audit/input.js';
import { createDnsClient } from '../../src/dns/client.js';
import type { DnsAnswer, DnsClient, RRType } from '../../src/dns/types.js';
import { openStdin, runInProcess, startInProcess } from '../support/cli.js';
import { startDnsServer, type TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startSilentServer, type SilentServer } from '../dns/udp-servers.js';

async function* rowsOf(inputs: readonly string[], onPulled?: (n: number) => void): AsyncGenerator<BatchRow> {
  let line = 0;
  for (const input of inputs) {
    yield { line: ++line, input };
    onPulled?.(line);
  }
}

/** The row (`r<N>.<anything>`) a DNS name belongs to, or -1. */
const rowOf = (name: string): number => Number(/(?:^|\.)r(\d+)\.[a-z]+\.test$/.exec(name)?.[1] ?? -1);
const codes = (r: DomainReport): string[] => r.findings.map((f) => f.code);

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A DnsClient that holds every query until `release()`, then answers NXDOMAIN,
 * and records which rows had a query asked: the rows whose audit started.
 */
function heldDns(): { dns: DnsClient; started: Set<number>; whenStarted(n: number): Promise<void>; release(): void } {
  const started = new Set<number>();
  const gate = deferred();
  const watchers: { n: number; resolve: () => void }[] = [];
  const dns: DnsClient = {
    async resolve<T extends RRType>(name: string, _type: T): Promise<DnsAnswer<never>> {
      started.add(rowOf(name));
      for (const w of watchers) if (started.size >= w.n) w.resolve();
      await gate.promise;
      return { kind: 'nxdomain' };
    },
    stats: () => ({ queries: 0, unique: 0, cacheHits: 0, tempfails: 0 }),
  };
  return {
    dns,
    started,
    whenStarted: (n) => new Promise((resolve) => (started.size >= n ? resolve() : watchers.push({ n, resolve }))),
    release: gate.resolve,
  };
}

describe('limitWhile', () => {
  it('asks when a task starts, not when it is queued: after a no, no queued task runs', async () => {
    let open = true;
    const ran: number[] = [];
    const two = deferred();
    const hold = deferred();
    const limit = limitWhile(2, () => open);
    const all = Promise.all(Array.from({ length: 6 }, (_, i) => limit(async () => {
      ran.push(i);
      if (ran.length === 2) two.resolve();
      await hold.promise;
      return i;
    })));
    await two.promise;
    open = false;
    hold.resolve();
    expect(await all).toEqual([0, 1, null, null, null, null]);
    expect(ran).toEqual([0, 1]);
  });
});

describe('runBatch', () => {
  it('starts no queued row after an abort; the rows in flight finish and are reported', async () => {
    const held = heldDns();
    const controller = new AbortController();
    const reports: DomainReport[] = [];
    const inputs = Array.from({ length: 10 }, (_, i) => `r${i}.held.test`);
    // Concurrency 2, window 8: two rows run and six are queued when the abort comes.
    const queued = deferred();
    const run = runBatch({ dns: held.dns }, rowsOf(inputs, (n) => n === 8 && queued.resolve()), { concurrency: 2, signal: controller.signal, onReport: (r) => void reports.push(r) });
    await held.whenStarted(2);
    await queued.promise;
    controller.abort();
    held.release();
    // Eight rows were read (the window), two reported: the input was not read to its end.
    expect(await run).toEqual({ done: 2, read: 8, inputEnded: false, interrupted: true, internalErrors: 0, stopped: null, atOnce: null });
    expect([...held.started].sort()).toEqual([0, 1]);
    expect(reports.map((r) => [r.input, codes(r)])).toEqual([['r0.held.test', ['DOMAIN_NOT_FOUND']], ['r1.held.test', ['DOMAIN_NOT_FOUND']]]);
  });

  describe('against resolvers that do not answer', () => {
    let dead: SilentServer;
    beforeAll(async () => {
      dead = await startSilentServer();
    });
    afterAll(() => dead.close());

    it('stops once no server has answered for timeout x (retries + 1): the rows done are reported, no row starts after', async () => {
      dead.queries.length = 0;
      const dns = createDnsClient({ servers: [dead.server], timeoutMs: 100, retries: 0 });
      const reports: DomainReport[] = [];
      const inputs = Array.from({ length: 8 }, (_, i) => `r${i}.dead.test`);
      const result = await runBatch({ dns }, rowsOf(inputs), { concurrency: 2, onReport: (r) => void reports.push(r) });
      expect(result).toEqual({ done: 2, read: 8, inputEnded: true, interrupted: false, internalErrors: 0, stopped: { reason: 'dns-dead', servers: [dead.server], ms: 100 }, atOnce: null });
      expect(renderBatchStop(result.stopped ?? { reason: 'dns-dead', servers: [], ms: 0 })).toBe(`no DNS server answered in 0.1 s: ${dead.server}`);
      expect(reports.map((r) => [r.input, r.grade])).toEqual([['r0.dead.test', 'unknown'], ['r1.dead.test', 'unknown']]);
      expect(reports.every((r) => codes(r).every((c) => c === 'DNS_TEMPFAIL'))).toBe(true);
      expect(new Set(dead.queries.map((q) => rowOf(q.name)))).toEqual(new Set([0, 1]));
    });

    it('with stopOnDeadDns false, audits every row (failing fast once the server is dead)', async () => {
      const dns = createDnsClient({ servers: [dead.server], timeoutMs: 100, retries: 0 });
      const inputs = Array.from({ length: 6 }, (_, i) => `r${i}.dead.test`);
      const reports: DomainReport[] = [];
      const result = await runBatch({ dns }, rowsOf(inputs), { concurrency: 2, stopOnDeadDns: false, onReport: (r) => void reports.push(r) });
      expect(result).toMatchObject({ done: 6, read: 6, inputEnded: true, stopped: null });
      expect(reports.map((r) => r.grade)).toEqual(Array(6).fill('unknown'));
    });

    it('an abort while waiting for a server ends the run at once, without a stop', async () => {
      dead.queries.length = 0;
      const dns = createDnsClient({ servers: [dead.server], timeoutMs: 100, retries: 50 });
      const controller = new AbortController();
      const inputs = Array.from({ length: 4 }, (_, i) => `r${i}.dead.test`);
      const result = await runBatch({ dns }, rowsOf(inputs), { concurrency: 1, signal: controller.signal, onReport: () => controller.abort() });
      expect(result).toEqual({ done: 1, read: 4, inputEnded: true, interrupted: true, internalErrors: 0, stopped: null, atOnce: null });
      expect(new Set(dead.queries.map((q) => rowOf(q.name)))).toEqual(new Set([0]));
    });

    it('starts no row while no server answers, and goes on when one answers again', async () => {
      const flaky = await startSilentServer();
      try {
        // timeout x (retries + 1) = 750 ms: long enough for the probe after the first row.
        const dns = createDnsClient({ servers: [flaky.server], timeoutMs: 150, retries: 4 });
        const reports: DomainReport[] = [];
        const inputs = ['r0.flaky.test', 'r1.flaky.test', 'r2.flaky.test'];
        const result = await runBatch({ dns }, rowsOf(inputs), {
          concurrency: 1,
          onReport: (r) => {
            reports.push(r);
            flaky.answer('nxdomain'); // the server comes back after the first row
          },
        });
        expect(result).toMatchObject({ done: 3, read: 3, inputEnded: true, stopped: null });
        // Rows 1 and 2 waited for the server rather than failing fast into DNS_TEMPFAIL.
        expect(reports.map((r) => [r.input, r.grade])).toEqual([['r0.flaky.test', 'unknown'], ['r1.flaky.test', 'not-ready'], ['r2.flaky.test', 'not-ready']]);
        expect(reports.slice(1).map(codes)).toEqual([['DOMAIN_NOT_FOUND'], ['DOMAIN_NOT_FOUND']]);
      } finally {
        await flaky.close();
      }
    });
  });
});

describe('m365audit batch against resolvers that do not answer (built binary)', () => {
  let dir: string;
  let one: SilentServer;
  let two: SilentServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'm365audit-run-'));
    [one, two] = await Promise.all([startSilentServer(), startSilentServer()]);
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close()]);
  });
  const deadArgs = () => ['--dns-server', one.server, '--dns-server', two.server, '--timeout', '200', '--retries', '0', '--no-probe'];

  it('stops with one line naming the servers, writes the rows done, exits 2; both servers were asked', async () => {
    one.queries.length = 0;
    two.queries.length = 0;
    const list = join(dir, 'dead.txt');
    writeFileSync(list, Array.from({ length: 6 }, (_, i) => `r${i}.dead.test`).join('\n'));
    const r = await runInProcess(['batch', list, ...deadArgs(), '--format', 'jsonl', '--concurrency', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`m365audit: no DNS server answered in 0.2 s: ${one.server}, ${two.server}\n`);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { input: string; grade: string });
    expect(rows.map((x) => [x.input, x.grade])).toEqual([['r0.dead.test', 'unknown'], ['r1.dead.test', 'unknown']]);
    expect(new Set(one.queries.map((q) => rowOf(q.name)))).toEqual(new Set([0, 1]));
    expect(new Set(two.queries.map((q) => rowOf(q.name)))).toEqual(new Set([0, 1]));
  });

  it('says so in the run of every format: not complete, stopped dns-dead with the servers, 2 of 6 rows', async () => {
    const list = join(dir, 'dead-trail.txt');
    writeFileSync(list, Array.from({ length: 6 }, (_, i) => `r${i}.dead.test`).join('\n'));
    const stop = { complete: false, stopped: 'dns-dead', deadServers: [one.server, two.server], deadAfterMs: 200, rowsRead: 6, rowsReported: 2 };
    const jsonl = await runInProcess(['batch', list, ...deadArgs(), '--format', 'jsonl', '--concurrency', '2']);
    const last = JSON.parse(jsonl.stdout.trimEnd().split('\n').pop() ?? '') as { run: Record<string, unknown> };
    expect(last.run).toMatchObject(stop);
    const json = await runInProcess(['batch', list, ...deadArgs(), '--format', 'json', '--concurrency', '2']);
    expect((JSON.parse(json.stdout) as { run: Record<string, unknown> }).run).toMatchObject(stop);
    const footer = `Incomplete: stopped after 2 of 6 rows read: no DNS server answered in 0.2 s: ${one.server}, ${two.server}.`;
    for (const format of ['table', 'markdown', 'html']) {
      const r = await runInProcess(['batch', list, ...deadArgs(), '--format', format, '--concurrency', '2']);
      expect(r.code, format).toBe(2);
      expect(r.stdout, format).toContain(footer);
    }
  });

  it('stops the same way, and exits, while stdin is still open', async () => {
    const stdin = openStdin();
    const run = startInProcess(['batch', '-', ...deadArgs(), '--format', 'csv'], { stdin });
    stdin.write(Array.from({ length: 70 }, (_, i) => `r${i}.dead.test\n`).join('')); // and the pipe stays open
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(2);
    expect(stderr).toBe(`m365audit: no DNS server answered in 0.2 s: ${one.server}, ${two.server}\n`);
    // The CSV of the rows done: a header and one line per row.
    expect(stdout.trim().split('\n').length).toBeGreaterThan(1);
  });
});

describe('m365audit batch on Ctrl-C', () => {
  let server: TestDnsServer;
  beforeAll(async () => {
    // Every name is NXDOMAIN after 500 ms: each row takes one round of lookups.
    server = await startDnsServer({ latencyMs: 500 });
  });
  afterAll(() => server.close());

  it('starts no queued domain after SIGINT: the server is asked only about the rows written; exit 130', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365audit-sigint-'));
    const list = join(dir, 'list.txt');
    // Concurrency 2, window 8: all eight rows are queued before the first is done.
    writeFileSync(list, Array.from({ length: 8 }, (_, i) => `r${i}.slow.test`).join('\n'));
    const run = startInProcess(['batch', list, '--dns-server', server.server, '--timeout', '3000', '--retries', '0', '--no-probe', '--format', 'jsonl', '--concurrency', '2']);
    await run.stdoutMatches(/\n/); // the first row is out
    run.interrupt();
    const { code, stdout } = await run.done;
    expect(code).toBe(130);
    const written = stdout.trim().split('\n').map((l) => (JSON.parse(l) as { input: string }).input);
    expect(written.length).toBeLessThan(8);
    expect(written).toEqual(Array.from({ length: written.length }, (_, i) => `r${i}.slow.test`));
    const asked = new Set([...server.stats().perQuery.keys()].map((k) => rowOf(k.split(' ')[0] ?? '')));
    expect([...asked].sort()).toEqual(written.map((_, i) => i));
  });

  it('records the interruption in the run: not complete, stopped interrupted, rows reported of rows read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365audit-sigint-'));
    const list = join(dir, 'list.txt');
    writeFileSync(list, Array.from({ length: 8 }, (_, i) => `r${i}.slow.test`).join('\n'));
    const args = ['batch', list, '--dns-server', server.server, '--timeout', '3000', '--retries', '0', '--no-probe', '--concurrency', '2'];
    const json = startInProcess([...args, '--format', 'json']);
    await json.stdoutMatches(/"input": "r0\.slow\.test"/); // the first report is out
    json.interrupt();
    const done = await json.done;
    expect(done.code).toBe(130);
    const doc = JSON.parse(done.stdout) as { domains: unknown[]; run: Record<string, unknown> };
    expect(doc.domains.length).toBeLessThan(8);
    // All eight rows were read (the window is concurrency x 4), fewer reported.
    expect(doc.run).toMatchObject({ complete: false, stopped: 'interrupted', rowsRead: 8, rowsReported: doc.domains.length });
    expect(doc.run).not.toHaveProperty('deadServers');
    // The table is written at the end: interrupted once the first domain's lookups are asked.
    const asked = server.nextQuery(/^r0\.slow\.test /);
    const table = startInProcess(args);
    await asked;
    await table.interruptible;
    table.interrupt();
    const t = await table.done;
    expect(t.code).toBe(130);
    const rows = t.stdout.split('\n').filter((l) => /^│ r\d\.slow\.test /.test(l)).length;
    expect(rows).toBeGreaterThan(0);
    expect(t.stdout.trimEnd().split('\n').pop()).toMatch(new RegExp(`Incomplete: interrupted after ${rows} of 8 rows read\\.$`));
  });
});
