import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps a long batch's memory flat. Each audit's objects outlive a few
 * scavenges (256 domains are in flight), so V8 promotes them and lets the old
 * generation grow to ~100 MiB of garbage before collecting: peak RSS rose
 * from 117 MiB (2,000 domains) to 158 MiB (10,000) with a live set of 11 MiB.
 * A full collection once the old generation (and the Buffers outside the
 * heap, collectableBytes) has grown by GC_GROWTH_MIB since the last forced
 * one, looked at every 25 rows, keeps it flat whatever N. It was one every
 * 250 rows (10,000 domains peaked at 176 MiB at 500 rows and 150 MiB at
 * 250); 12 MiB of growth
 * collects about as often on the synthetic tenants (33 full collections for
 * 10,000 domains against 40, peak RSS 135-137 against 130-138 MiB), while
 * rows that leave little behind are not collected for nothing: 200,000
 * invalid names took 40 s in the test suite, mostly in 800 full collections
 * of its large heap, and take 5 s.
 * Returns null where the runtime does not allow it.
 */
export const GC_GROWTH_MIB = 12;
/** Rows between two looks at the heap's size (a look costs a few microseconds). */
const GC_LOOK_EVERY = 25;

/**
 * What a full collection can give back: the old generation (every V8 heap
 * space but the young one) and the memory outside the heap that V8 counts
 * for ArrayBuffers and Buffers (datagrams, TLS), which only a collection of
 * their owners frees.
 */
export function collectableBytes(): number {
  let bytes = getHeapStatistics().external_memory;
  for (const s of getHeapSpaceStatistics()) if (s.space_name !== 'new_space' && s.space_name !== 'new_large_object_space') bytes += s.space_used_size;
  return bytes;
}

/**
 * The hint batch calls after each row with the rows done so far. `used` and
 * `gcFunction` are V8's by default (a test passes its own); null when the
 * runtime gives no gc().
 */
export function createGcHint(growthMiB = GC_GROWTH_MIB, used: () => number = collectableBytes, gcFunction?: () => void): ((rowsDone: number) => void) | null {
  let gc: (() => void) | null = gcFunction ?? null;
  if (!gc) {
    try {
      setFlagsFromString('--expose-gc');
      const fn = runInNewContext('gc') as unknown;
      if (typeof fn === 'function') gc = fn as () => void;
    } catch {
      return null;
    }
  }
  if (!gc) return null;
  const collect = gc;
  const growth = growthMiB * 2 ** 20;
  let base = used();
  keepTimerMapAlive();
  return (rowsDone) => {
    if (rowsDone % GC_LOOK_EVERY !== 0 || used() - base < growth) return;
    collect();
    base = used();
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

/**
 * When V8 optimizes. By default it compiles a function with TurboFan once it
 * has run 67,584 bytes' worth of bytecode (`--interrupt-budget`), and a batch
 * then compiles the same functions again and again: each full collection
 * above drops maps and objects that optimized code was specialised on, that
 * code is thrown away (node --trace-deopt: "weak objects", "wrong map") and
 * compiled again. On 10,000 synthetic domains at 0 ms, --trace-opt counted
 * 891 TurboFan compilations taking 6.4 s of compiler-thread time, in a
 * process that spent 13.5 s of CPU in all. With a budget 16 times the
 * default, 465 compilations and 1.7 s: only the functions that stay hot are
 * compiled. 32 times is what the batch uses (BENCHMARKS.md has the runs,
 * back to back against V8's defaults). Applied only on V8 11.3 (Node 20),
 * where it was measured: later V8s count invocations instead
 * (`--invocation-count-for-turbofan`), and V8 takes an unknown flag without
 * a word to the caller but prints an error on stderr.
 */
export const BATCH_V8_FLAGS: readonly string[] = ['--interrupt-budget=2162688'];

/**
 * Applies BATCH_V8_FLAGS for a long run when the V8 is the one they were
 * measured on (11.3, every Node 20); true when applied. Process-wide, for
 * the rest of the process: `batch` alone calls it.
 */
export function tuneCompilerForBatch(v8Version: string | undefined, setFlags: (flags: string) => void = setFlagsFromString): boolean {
  if (v8Version === undefined || !/^11\.3\./.test(v8Version)) return false;
  for (const flag of BATCH_V8_FLAGS) setFlags(flag);
  return true;
}
