import { describe, expect, it } from 'vitest';
import { createLoopLag, LOOP_LAG_RESOLUTION_MS } from '../../src/cli/loop-lag.js';

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
