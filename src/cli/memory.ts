import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps a long batch's memory flat. Each audit's objects outlive a few
 * scavenges (256 domains are in flight), so V8 promotes them and lets the old
 * generation grow to ~100 MiB of garbage before collecting: peak RSS rose
 * from 117 MiB (2,000 domains) to 158 MiB (10,000) with a live set of 11 MiB.
 * A full collection every GC_EVERY rows keeps it flat whatever N (bench:
 * 111 vs 112 MiB for 2,000 and 10,000 domains at 1,000 rows; 500 since the
 * SPF tree joined the report; 250 since the four transport sections: 10,000
 * domains peaked at 176 MiB at 500 and 150 MiB at 250, for about 4 % more
 * CPU), for a few per cent of the run's time.
 * Returns null where the runtime does not allow it.
 */
export const GC_EVERY = 250;

export function createGcHint(every = GC_EVERY): ((rowsDone: number) => void) | null {
  let gc: (() => void) | null = null;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    if (typeof fn === 'function') gc = fn as () => void;
  } catch {
    return null;
  }
  if (!gc) return null;
  const collect = gc;
  keepTimerMapAlive();
  return (rowsDone) => {
    if (rowsDone > 0 && rowsDone % every === 0) collect();
  };
}

let timerKeeper: NodeJS.Timeout | null = null;

/**
 * A full collection drops the V8 maps that no live object has (objects get
 * theirs by transitions, which the collector holds weakly), and with them
 * every optimized function that was specialised on one: it runs unoptimized
 * until V8 compiles it again. Timers come and go with each DNS attempt, and a
 * collection at a moment with none alive threw away node's timer code and
 * every function that had inlined it (node --trace-deopt: "marking dependent
 * code ... reason: weak objects"; 8,000 domains at 0 ms: 1,621 TurboFan
 * compilations with it, 1,370 with one timer kept). One unref'd timer that
 * never fires within a run (24.8 days, the longest delay) keeps the map.
 */
function keepTimerMapAlive(): void {
  timerKeeper ??= setTimeout(() => undefined, 2 ** 31 - 1).unref();
}
