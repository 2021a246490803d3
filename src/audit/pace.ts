/**
 * How many domains a batch audits at once when `--concurrency` is above the
 * default: as many as keep the CPU busy, no more, with `--concurrency` as
 * the ceiling.
 *
 * Why fewer can be faster: a domain in flight keeps its promises, closures,
 * suspended async frames and partial report alive, about 48 KB of live heap
 * (two heap snapshots of the same run, 256 against 64 domains at once), and
 * every young-generation collection copies what is alive. Once the batch is
 * bound by the CPU rather than by the network, more domains at once only
 * make each wait longer, so each lives through more collections and more of
 * it is promoted. 10,000 synthetic tenants at 0 ms (`--trace-gc-nvp`): 256
 * at once copied 703-719 MB and promoted 377-405 MB in 212-217 scavenges
 * (1.7-2.0 s of pauses, 2.5-3.1 s on the helper threads, 32-34 full
 * collections); 64 at once 407-418 MB and 170-172 MB (0.9-1.1 s, 1.0-1.1 s,
 * 18-19), and 0.16-0.35 ms less CPU a domain in three pairs (a fixed
 * --concurrency 64 against 256, both under --trace-gc-nvp). Fewer than 64
 * gave back part of that gain (16 at once: 0.07-0.19 ms more than 64; the
 * loop waits on the server more often).
 *
 * The signal is the event loop's lag (how late a timer due every 2 ms fires,
 * on average: how long a ready callback, such as a DNS reply that has
 * arrived, waits for its turn), set against the network's part of the round
 * trip: the DNS servers' smoothed round trip, which includes that wait, less
 * the lag. Lag under half the network's part, or under PACE_MIN_LAG_MS: the
 * CPU keeps up and the network is the limit, so more domains at
 * once go faster: grow by PACE_GROW, while the limit is in use. Lag over the
 * network's part (over twice PACE_MIN_LAG_MS at least): domains wait for the
 * CPU, not the network: cut by PACE_CUT, once the domains in flight are down
 * to the last cut. In between: hold. Against a resolver tens of milliseconds
 * away, with a CPU that keeps up, the limit stays at the ceiling, as without
 * pacing; against one on the same host (a millisecond), the CPU is the limit
 * and the domains at once are cut while the lag is over twice
 * PACE_MIN_LAG_MS, down to the floor.
 *
 * The mean lateness of the timer weighs every firing alike, so one long
 * block among many short waits reads low (a time-weighted figure would read
 * higher); the thresholds were set on that reading (BENCHMARKS.md).
 */

/** How often the limit is looked at. */
export const PACE_EVERY_MS = 200;
/** The lag the CPU may add while the limit may still grow: this share of the network round trip ... */
export const PACE_LAG_SHARE = 0.5;
/** ... and never less than this (a loop that keeps up still lags a little). */
export const PACE_MIN_LAG_MS = 2;
/** The factor a cut multiplies the limit by. */
export const PACE_CUT = 0.85;
/** The share of the limit a step up adds (at least one). */
export const PACE_GROW = 0.1;

/** What the pacer reads at each look. */
export interface PaceReading {
  /** The event loop's mean lag since the previous look, in ms. */
  lagMs: number;
  /** The DNS servers' smoothed round trip (the slowest answering server's), in ms; null before any answer. */
  roundTripMs: number | null;
  /** Domains being audited now. */
  active: number;
}

/**
 * The next limit on domains at once, between `floor` and `ceiling`, from one
 * reading (see the module comment). Pure.
 */
export function nextDomainLimit(limit: number, reading: PaceReading, bounds: { floor: number; ceiling: number }): number {
  const floor = Math.max(1, Math.min(bounds.floor, bounds.ceiling));
  const lag = Math.max(0, reading.lagMs);
  // Before the first answer nothing is known about the network: hold.
  if (reading.roundTripMs === null || !Number.isFinite(lag)) return clamp(limit, floor, bounds.ceiling);
  const network = Math.max(0, reading.roundTripMs - lag);
  const allowed = Math.max(PACE_MIN_LAG_MS, PACE_LAG_SHARE * network);
  let next = limit;
  // A cut waits for the last one to take effect (domains in flight finish; none is stopped): the lag read meanwhile is the old limit's.
  if (lag > 2 * allowed) next = reading.active > limit ? limit : Math.round(limit * PACE_CUT);
  else if (lag < allowed && reading.active >= limit) next = limit + Math.max(1, Math.round(limit * PACE_GROW));
  return clamp(next, floor, bounds.ceiling);
}

function clamp(n: number, floor: number, ceiling: number): number {
  return Math.min(ceiling, Math.max(floor, n));
}
