import { describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { DEFAULT_CONCURRENCY, runBatch } from '../../src/audit/batch.js';
import type { BatchRow } from '../../src/audit/input.js';
import { nextDomainLimit, PACE_CUT } from '../../src/audit/pace.js';
import type { DnsClient } from '../../src/dns/types.js';
import { createLoopLag, LOOP_LAG_RESOLUTION_MS } from '../../src/cli/loop-lag.js';

const bounds = { floor: 64, ceiling: 256 };

describe('nextDomainLimit', () => {
  it('holds before the first answer (no round trip known), whatever the lag', () => {
    expect(nextDomainLimit(256, { lagMs: 500, roundTripMs: null, active: 256 }, bounds)).toBe(256);
    expect(nextDomainLimit(100, { lagMs: 0, roundTripMs: null, active: 100 }, bounds)).toBe(100);
  });

  it('cuts by PACE_CUT when the loop lags more than the network takes, down to the floor and no further', () => {
    // 30 ms measured, 20 of it lag: the network's part is 10 ms, the lag twice that.
    expect(nextDomainLimit(256, { lagMs: 20, roundTripMs: 30, active: 256 }, bounds)).toBe(Math.round(256 * PACE_CUT));
    expect(nextDomainLimit(256, { lagMs: 20, roundTripMs: 30, active: 256 }, bounds)).toBe(218);
    expect(nextDomainLimit(70, { lagMs: 20, roundTripMs: 30, active: 70 }, bounds)).toBe(64);
    expect(nextDomainLimit(64, { lagMs: 20, roundTripMs: 30, active: 64 }, bounds)).toBe(64);
  });

  it('grows by a tenth while the lag is under half the network round trip and the limit is in use, up to the ceiling', () => {
    expect(nextDomainLimit(100, { lagMs: 1, roundTripMs: 21, active: 100 }, bounds)).toBe(110);
    expect(nextDomainLimit(250, { lagMs: 1, roundTripMs: 21, active: 250 }, bounds)).toBe(256);
    // Not in use (the input is slower than the audits): no reason to grow.
    expect(nextDomainLimit(100, { lagMs: 1, roundTripMs: 21, active: 40 }, bounds)).toBe(100);
  });

  it('holds between half the network round trip and all of it', () => {
    // network 15 ms: grows under 7.5 ms of lag, cuts over 15.
    expect(nextDomainLimit(120, { lagMs: 15, roundTripMs: 30, active: 120 }, bounds)).toBe(120);
    expect(nextDomainLimit(120, { lagMs: 10, roundTripMs: 30, active: 120 }, bounds)).toBe(120);
    expect(nextDomainLimit(120, { lagMs: 7, roundTripMs: 30, active: 120 }, bounds)).toBe(132);
    expect(nextDomainLimit(120, { lagMs: 16, roundTripMs: 30, active: 120 }, bounds)).toBe(102);
  });

  it('allows a loop that keeps up 2 ms of lag even when the network takes no time (a resolver on the same host)', () => {
    expect(nextDomainLimit(100, { lagMs: 1.5, roundTripMs: 1.5, active: 100 }, bounds)).toBe(110);
    expect(nextDomainLimit(100, { lagMs: 3, roundTripMs: 3, active: 100 }, bounds)).toBe(100);
    expect(nextDomainLimit(100, { lagMs: 4.5, roundTripMs: 4.5, active: 100 }, bounds)).toBe(85);
  });

  it('stays within the bounds given, and at the ceiling when the floor is above it', () => {
    expect(nextDomainLimit(300, { lagMs: 0, roundTripMs: 20, active: 300 }, bounds)).toBe(256);
    expect(nextDomainLimit(10, { lagMs: 0, roundTripMs: null, active: 0 }, bounds)).toBe(64);
    expect(nextDomainLimit(32, { lagMs: 50, roundTripMs: 10, active: 32 }, { floor: 64, ceiling: 32 })).toBe(32);
  });
});

async function* rowsOf(n: number): AsyncGenerator<BatchRow> {
  for (let i = 0; i < n; i++) yield { line: i + 1, input: `r${i}.pace.test` };
}

/**
 * A batch of `n` rows run against a server whose round trip is 30 ms, with
 * `lag` as the loop's lag (lagMs is called once at the start, then at each
 * look). The first `concurrency` audits wait until the pacer has looked
 * `looks` times; the later ones wait three looks more, so they pile up to
 * whatever the limit is by then. Returns the result and, for each row, how
 * many audits were running when it started.
 */
async function pacedRun(n: number, concurrency: number, lag: number, looks: number): Promise<{ result: Awaited<ReturnType<typeof runBatch>>; activeAtStart: number[]; calls: number }> {
  let calls = 0;
  const gate = (): { promise: Promise<void>; open: () => void } => {
    let open = (): void => undefined;
    const promise = new Promise<void>((r) => (open = r));
    return { promise, open };
  };
  const first = gate();
  const later = gate();
  if (looks === 0) {
    first.open();
    later.open();
  }
  const dns: DnsClient = {
    resolve: () => Promise.resolve({ kind: 'nxdomain' }),
    stats: () => ({ queries: 0, unique: 0, cacheHits: 0, tempfails: 0 }),
    windows: () => [{ server: '127.0.0.1:53', window: 64, inFlight: 0, waiting: 0, cuts: 0, peak: 64, roundTripMs: 30 }],
  };
  let active = 0;
  const activeAtStart: number[] = [];
  const audit = async (_ctx: unknown, input: string): Promise<DomainReport> => {
    const row = Number(/^r(\d+)\./.exec(input)?.[1]);
    activeAtStart[row] = ++active;
    await (row < concurrency ? first : later).promise;
    active--;
    return { domain: input, input, grade: 'ready', findings: [] } as unknown as DomainReport;
  };
  const result = await runBatch({ dns }, rowsOf(n), {
    concurrency,
    onReport: () => undefined,
    audit: audit as never,
    pace: {
      lagMs: () => {
        calls++;
        if (calls > looks) first.open();
        if (calls > looks + 3) later.open();
        return lag;
      },
      everyMs: 1,
    },
  });
  return { result, activeAtStart, calls };
}

describe('runBatch pacing', () => {
  it('cuts the rows at once to the default while the loop lags the network: the rows after the first wave run at most 64 at once', async () => {
    // 256 -> 218 -> 185 -> 157 -> 133 -> 113 -> 96 -> 82 -> 70 -> 64: nine looks; the first wave waits for twelve.
    const { result, activeAtStart } = await pacedRun(600, 256, 40, 12);
    expect(result.done).toBe(600);
    expect(result.atOnce).toEqual({ least: DEFAULT_CONCURRENCY, last: DEFAULT_CONCURRENCY });
    expect(Math.max(...activeAtStart.slice(0, 256))).toBe(256);
    expect(Math.max(...activeAtStart.slice(256))).toBe(DEFAULT_CONCURRENCY);
  });

  it('keeps the ceiling while the loop keeps up: the later rows pile up to 256 at once too', async () => {
    const { result, activeAtStart } = await pacedRun(600, 256, 0, 5);
    expect(result.done).toBe(600);
    expect(result.atOnce).toEqual({ least: 256, last: 256 });
    expect(Math.max(...activeAtStart.slice(256))).toBe(256);
  });

  it('does not pace at or below the default concurrency: the lag is never read', async () => {
    const { result, calls } = await pacedRun(200, DEFAULT_CONCURRENCY, 40, 0);
    expect(result.done).toBe(200);
    expect(result.atOnce).toBeNull();
    expect(calls).toBe(0);
  });
});

describe('createLoopLag', () => {
  it('gives the mean lag in ms past the resolution, 0 before any sample, and starts a new interval each time', () => {
    const h = { count: 0, mean: Number.NaN, resets: 0, enabled: 0, reset() { this.resets++; }, enable() { this.enabled++; return true; }, disable() { this.enabled--; return true; } };
    const lag = createLoopLag(h);
    expect(h.enabled).toBe(1);
    expect(lag.lagMs()).toBe(0);
    h.count = 40;
    h.mean = (LOOP_LAG_RESOLUTION_MS + 3.5) * 1e6;
    expect(lag.lagMs()).toBeCloseTo(3.5, 9);
    h.mean = (LOOP_LAG_RESOLUTION_MS - 0.1) * 1e6; // a timer that fired a little early
    expect(lag.lagMs()).toBe(0);
    expect(h.resets).toBe(3);
    lag.stop();
    expect(h.enabled).toBe(0);
  });
});
