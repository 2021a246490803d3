import { afterEach, describe, expect, it, vi } from 'vitest';
import { settleWithin, TIMEOUT, type Timeout } from '../../src/util/deadline.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A settleWithin of 1000 ms under fake timers whose settle is kept and whose cleanups are recorded. */
function startWithCleanup(): { p: Promise<string | Timeout>; cleaned: (string | Timeout)[]; settle: (v: string) => void } {
  vi.useFakeTimers();
  const cleaned: (string | Timeout)[] = [];
  let kept: (v: string) => void = () => undefined;
  const p = settleWithin<string>(1000, (s) => {
    kept = s;
    return (outcome) => cleaned.push(outcome);
  });
  return { p, cleaned, settle: (v) => kept(v) };
}

describe('settleWithin', () => {
  it('resolves with the first value, runs the cleanup once with it, and ignores later values', async () => {
    const { p, cleaned, settle } = startWithCleanup();
    settle('first');
    settle('second');
    expect(await p).toBe('first');
    expect(cleaned).toEqual(['first']);
    // The deadline timer is gone: nothing fires later.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves with TIMEOUT when the deadline comes first, cleans up with it, and ignores a late value', async () => {
    const { p, cleaned, settle } = startWithCleanup();
    vi.advanceTimersByTime(999);
    expect(cleaned).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(await p).toBe(TIMEOUT);
    settle('late');
    expect(cleaned).toEqual([TIMEOUT]);
  });

  it('takes a value given during start, and cleans up once start has returned its cleanup', async () => {
    vi.useFakeTimers();
    const cleaned: (string | Timeout)[] = [];
    const p = settleWithin<string>(1000, (settle) => {
      settle('at once');
      expect(cleaned).toEqual([]);
      return (outcome) => cleaned.push(outcome);
    });
    expect(cleaned).toEqual(['at once']);
    expect(await p).toBe('at once');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with what start throws, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const p = settleWithin<string>(1000, () => {
      throw new Error('no socket');
    });
    await expect(p).rejects.toThrow('no socket');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps a value given before start threw', async () => {
    const p = settleWithin<string>(1000, (settle) => {
      settle('kept');
      throw new Error('ignored');
    });
    expect(await p).toBe('kept');
  });

  it('treats a negative wait as none', async () => {
    vi.useFakeTimers();
    const p = settleWithin<string>(-5, () => undefined);
    vi.advanceTimersByTime(1);
    expect(await p).toBe(TIMEOUT);
  });
});
