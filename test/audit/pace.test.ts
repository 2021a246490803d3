import { describe, expect, it, vi } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import { DEFAULT_CONCURRENCY, runBatch } from '../../src/audit/batch.js';
import type { BatchRow } from '../../src/audit/input.js';
import { nextDomainLimit, PACE_CUT } from '../../src/audit/pace.js';
import type { DnsClient } from '../../src/dns/types.js';

const bounds = { floor: 64, ceiling: 256 };

describe('nextDomainLimit', () => {
  /** The next limit from `limit`, with this lag, round trip and domains in flight, between 64 and 256. */
  const at = (limit: number, lagMs: number, roundTripMs: number | null, active: number): number => nextDomainLimit(limit, { lagMs, roundTripMs, active }, bounds);

  it('holds before the first answer (no round trip known), whatever the lag', () => {
    expect(at(256, 500, null, 256)).toBe(256);
    expect(at(100, 0, null, 100)).toBe(100);
  });

  it('waits with a cut until the domains in flight are down to the limit (the lag read meanwhile is the old limit\'s)', () => {
    expect(at(218, 20, 30, 250)).toBe(218);
    expect(at(218, 20, 30, 218)).toBe(185);
  });

  it('cuts by PACE_CUT when the loop lags more than the network takes, down to the floor and no further', () => {
    // 30 ms measured, 20 of it lag: the network's part is 10 ms, the lag twice that.
    expect(at(256, 20, 30, 256)).toBe(Math.round(256 * PACE_CUT));
    expect(at(256, 20, 30, 256)).toBe(218);
    expect(at(70, 20, 30, 70)).toBe(64);
    expect(at(64, 20, 30, 64)).toBe(64);
  });

  it('grows by a tenth while the lag is under half the network round trip and the limit is in use, up to the ceiling', () => {
    expect(at(100, 1, 21, 100)).toBe(110);
    expect(at(250, 1, 21, 250)).toBe(256);
    // Not in use (the input is slower than the audits): no reason to grow.
    expect(at(100, 1, 21, 40)).toBe(100);
  });

  it('holds between half the network round trip and all of it', () => {
    // 30 ms measured: the network's part is 30 less the lag; grows while the lag is under half of it (under 10 ms), cuts while over all of it (over 15 ms).
    expect(at(120, 15, 30, 120)).toBe(120);
    expect(at(120, 10, 30, 120)).toBe(120);
    expect(at(120, 7, 30, 120)).toBe(132);
    expect(at(120, 16, 30, 120)).toBe(102);
  });

  it('allows a loop that keeps up 2 ms of lag even when the network takes no time (a resolver on the same host)', () => {
    expect(at(100, 1.5, 1.5, 100)).toBe(110);
    expect(at(100, 3, 3, 100)).toBe(100);
    expect(at(100, 4.5, 4.5, 100)).toBe(85);
  });

  it('stays within the bounds given, and at the ceiling when the floor is above it', () => {
    expect(at(300, 0, 20, 300)).toBe(256);
    expect(at(10, 0, null, 0)).toBe(64);
    expect(nextDomainLimit(32, { lagMs: 50, roundTripMs: 10, active: 32 }, { floor: 64, ceiling: 32 })).toBe(32);
  });
});

async function* rowsOf(n: number, failAfter = Infinity, onFail?: () => void): AsyncGenerator<BatchRow> {
  for (let i = 0; i < n; i++) {
    if (i === failAfter) {
      onFail?.();
      throw new Error('the input broke');
    }
    yield { line: i + 1, input: `r${i}.pace.test` };
  }
}

type Server = { server: string; roundTripMs: number | null; state?: 'alive' | 'suspect' };

/** A DnsClient that answers nothing itself: only its servers' windows and health are read. */
function serversDns(servers: Server[]): DnsClient {
  return {
    resolve: () => Promise.resolve({ kind: 'nxdomain' }),
    stats: () => ({ queries: 0, unique: 0, cacheHits: 0, tempfails: 0 }),
    windows: () => servers.map((s) => ({ server: s.server, window: 64, inFlight: 0, waiting: 0, cuts: 0, peak: 64, roundTripMs: s.roundTripMs })),
    health: () => ({ servers: servers.map((s) => ({ server: s.server, state: s.state ?? 'alive', lastAnswerAt: 0 })), silentSince: null, deadAfterMs: 9000, dead: false }),
  };
}

/**
 * A paced batch of `n` rows whose audits each wait for the pacer's next
 * look: every look (a call of lagMs, which reads `lag`) first notes how many
 * audits are waiting, then lets them all finish. So each look sees one wave
 * of audits, as many as the limit allowed to start after the previous look.
 * The first `holdLooks` looks let nothing finish (the first wave stays in
 * flight through them).
 */
async function waves(n: number, concurrency: number, lag: number, servers: Server[], holdLooks = 0): Promise<{ result: Awaited<ReturnType<typeof runBatch>>; waves: number[]; calls: number }> {
  let calls = 0;
  let held: (() => void)[] = [];
  const seen: number[] = [];
  const audit = async (_ctx: unknown, input: string): Promise<DomainReport> => {
    await new Promise<void>((r) => held.push(r));
    return { domain: input, input, grade: 'ready', findings: [] } as unknown as DomainReport;
  };
  const result = await runBatch({ dns: serversDns(servers) }, rowsOf(n), {
    concurrency,
    onReport: () => undefined,
    audit: audit as never,
    pace: {
      lagMs: () => {
        calls++;
        // The first call starts the pacer's first interval, before any row.
        if (calls <= 1 + holdLooks) return lag;
        if (held.length > 0) seen.push(held.length);
        for (const release of held) release();
        held = [];
        return lag;
      },
      everyMs: 1,
    },
  });
  return { result, waves: seen, calls };
}

const one: Server[] = [{ server: '127.0.0.1:53', roundTripMs: 30 }];

describe('runBatch pacing', () => {
  it('cuts the rows at once step by step while the loop lags the network, each cut once the last has taken effect, down to the default', async () => {
    const { result, waves: w } = await waves(2000, 256, 40, one);
    expect(result.done).toBe(2000);
    expect(w.slice(0, 12)).toEqual([256, 218, 185, 157, 133, 113, 96, 82, 70, 64, 64, 64]);
    expect(Math.max(...w.slice(9))).toBe(DEFAULT_CONCURRENCY);
    expect(w.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(result.atOnce).toEqual({ least: DEFAULT_CONCURRENCY, last: DEFAULT_CONCURRENCY });
  });

  it('waits with the next cut while the first wave is still in flight: one cut for the three looks it lasts, not three', async () => {
    // Without the wait: 256 -> 218 -> 185 -> 157 during the hold, 133 at the look that lets it finish, and the second wave would be 133.
    const { result, waves: w } = await waves(2000, 256, 40, one, 3);
    expect(w.slice(0, 4)).toEqual([256, 218, 185, 157]);
    expect(result.done).toBe(2000);
  });

  it('keeps the ceiling while the loop keeps up', async () => {
    const { result, waves: w } = await waves(600, 256, 0, one);
    expect(w).toEqual([256, 256, 88]);
    expect(result.atOnce).toEqual({ least: 256, last: 256 });
  });

  it('sets the lag against the slowest server answering: a fast one beside it does not make the network look instant', async () => {
    // 8 ms of lag: under half of the 40 ms server's part (32 ms), over four times the 5 ms one's.
    const both: Server[] = [{ server: 'a', roundTripMs: 5 }, { server: 'b', roundTripMs: 40 }];
    expect((await waves(600, 256, 8, both)).waves).toEqual([256, 256, 88]);
    // The slow one suspect (its round trip is stale): the fast one is the network, and the lag is too much.
    const slowSuspect: Server[] = [{ server: 'a', roundTripMs: 5 }, { server: 'b', roundTripMs: 40, state: 'suspect' }];
    expect((await waves(600, 256, 8, slowSuspect)).waves.slice(0, 3)).toEqual([256, 218, 126]);
  });

  it('holds the ceiling while no server has answered yet, or none is alive (no round trip to set the lag against)', async () => {
    expect((await waves(600, 256, 40, [{ server: 'a', roundTripMs: null }])).result.atOnce).toEqual({ least: 256, last: 256 });
    const allSuspect: Server[] = [{ server: 'a', roundTripMs: 5, state: 'suspect' }, { server: 'b', roundTripMs: 40, state: 'suspect' }];
    expect((await waves(600, 256, 40, allSuspect)).result.atOnce).toEqual({ least: 256, last: 256 });
    // The same servers alive: 40 ms of lag is over the 40 ms server's part, and the limit is cut.
    expect((await waves(600, 256, 40, [{ server: 'a', roundTripMs: 5 }, { server: 'b', roundTripMs: 40 }])).result.atOnce?.least).toBeLessThan(256);
  });

  it('does not pace at or below the default concurrency: the lag is never read', async () => {
    let calls = 0;
    const result = await runBatch({ dns: serversDns(one) }, rowsOf(200), { concurrency: DEFAULT_CONCURRENCY, onReport: () => undefined, pace: { lagMs: () => ++calls, everyMs: 1 }, audit: (async (_c: unknown, input: string) => ({ domain: input, input, grade: 'ready', findings: [] })) as never });
    expect(result.done).toBe(200);
    expect(result.atOnce).toBeNull();
    expect(calls).toBe(0);
  });

  it('stops its timer when the run ends with an error (the input broke)', async () => {
    vi.useFakeTimers();
    try {
      let timersWhileRunning = -1;
      const run = runBatch({ dns: serversDns(one) }, rowsOf(100, 10, () => (timersWhileRunning = vi.getTimerCount())), { concurrency: 256, onReport: () => undefined, pace: { lagMs: () => 0 }, audit: (async (_c: unknown, input: string) => ({ domain: input, input, grade: 'ready', findings: [] })) as never });
      await expect(run).rejects.toThrow('the input broke');
      expect(timersWhileRunning).toBe(1);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
