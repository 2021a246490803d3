/**
 * Settle once, within a deadline: the shape every network wait here has (a
 * TCP connect, a TLS handshake, a DNS exchange). Some I/O is started; the
 * first of its result or the deadline wins, the rest is ignored, and the
 * I/O is cleaned up exactly once. Ground floor: imports nothing of the project.
 */

/** What `settleWithin` resolves with when the deadline came first. */
export const TIMEOUT: unique symbol = Symbol('timeout');
export type Timeout = typeof TIMEOUT;

/** Runs once, with whatever won (the result or TIMEOUT). Must not throw: it may run inside an event handler. */
export type Cleanup<T> = (outcome: T | Timeout) => void;

/**
 * Starts some I/O and resolves with the first value it passes to `settle`,
 * or with TIMEOUT after `ms` (a negative `ms` counts as 0). Whichever comes
 * first, the timer is cleared and the cleanup `start` returned runs once
 * with it; later calls to `settle` are ignored. A `settle` during `start`
 * itself counts (the cleanup then runs as soon as `start` returns). If
 * `start` throws before settling, the promise rejects with what it threw.
 */
export function settleWithin<T>(ms: number, start: (settle: (value: T) => void) => Cleanup<T> | void): Promise<T | Timeout> {
  return new Promise<T | Timeout>((resolve, reject) => {
    // An object, not `let`s: TypeScript does not see the closure's writes and would narrow them away.
    const state: { done: boolean; outcome: T | Timeout; cleanup: Cleanup<T> | null } = { done: false, outcome: TIMEOUT, cleanup: null };
    let started = false;
    const finish = (outcome: T | Timeout): void => {
      if (state.done) return;
      state.done = true;
      state.outcome = outcome;
      clearTimeout(timer);
      if (started) state.cleanup?.(outcome);
      resolve(outcome);
    };
    const timer = setTimeout(() => finish(TIMEOUT), Math.max(0, ms));
    try {
      state.cleanup = start(finish) ?? null;
    } catch (err) {
      if (!state.done) {
        state.done = true;
        clearTimeout(timer);
        reject(err);
      }
      return;
    }
    started = true;
    if (state.done) state.cleanup?.(state.outcome);
  });
}
