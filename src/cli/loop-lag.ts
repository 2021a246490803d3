import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** How often the event loop's lag is sampled, in ms (a libuv timer; 500 wakeups a second cost nothing measurable). */
export const LOOP_LAG_RESOLUTION_MS = 2;

/**
 * The event loop's mean lag, for runBatch's pacing (src/audit/pace.ts):
 * `lagMs()` is the mean time, in ms, a timer due every
 * LOOP_LAG_RESOLUTION_MS fired late since the previous call (0 when it
 * never fired), and starts a new interval. node's histogram records the
 * whole interval between two firings, so the resolution is subtracted.
 * `stop()` ends the sampling. `histogram` is node's by default (a test
 * passes its own).
 */
export function createLoopLag(histogram: Pick<IntervalHistogram, 'count' | 'mean' | 'reset' | 'enable' | 'disable'> = monitorEventLoopDelay({ resolution: LOOP_LAG_RESOLUTION_MS })): { lagMs(): number; stop(): void } {
  histogram.enable();
  return {
    lagMs() {
      const ms = histogram.count > 0 ? histogram.mean / 1e6 - LOOP_LAG_RESOLUTION_MS : 0;
      histogram.reset();
      return Math.max(0, ms);
    },
    stop: () => histogram.disable(),
  };
}
