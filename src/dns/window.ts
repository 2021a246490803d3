/**
 * How many queries one resolver gets at once: a window that adapts to what
 * the server can take, after TCP's congestion control (RFC 5681 §3.1: slow
 * start, then additive increase; halve on loss, once per round). A resolver
 * that falls behind drops queries (cloud resolvers past about 1,000 packets
 * a second, a loaded one when its receive buffer overflows); a batch that
 * keeps sending at full width turns those drops into timeouts and, after
 * the retries, into domains it cannot grade. With the window, the batch
 * slows down instead.
 *
 * - A query waits (first come, first served) while `inFlight` is at the
 *   window; its own deadline starts once it is sent.
 * - Every answer grows the window: by one while under `ssthresh` (slow
 *   start: doubling each round trip), else by 1/window (about one a round
 *   trip), up to `max` (`--concurrency` x QUERIES_PER_DOMAIN).
 * - Loss: a query still unanswered LATE_FACTOR times the smoothed round
 *   trip after it was sent (at least MIN_LATE_MS), or one that timed out.
 *   Seeing it only at the deadline would let slow start overshoot for a
 *   whole timeout. One slow name is not congestion: the window is halved
 *   only when at least LOSS_SHARE of the queries answered or lost in the
 *   current round were lost (and at least MIN_LOSSES), once per round (a
 *   round ends at a cut; queries sent before it do not count again), and
 *   to no more than what the server has been answering (the rate of the
 *   last RATE_SAMPLES answers times the round trip), and grows by one a
 *   round trip from there.
 * - The window never falls below `min`.
 */

/** Most queries in flight to one server for each domain in flight (a domain's widest phase asks about eight names at once). */
export const QUERIES_PER_DOMAIN = 8;
/** A query unanswered for this many smoothed round trips counts as lost for the window (it still waits for its deadline). */
const LATE_FACTOR = 8;
/** ... and never before this: answers that recurse take longer than cached ones. */
const MIN_LATE_MS = 200;
/** Share of a round's outcomes that must be losses before the window is halved. */
const LOSS_SHARE = 0.1;
const MIN_LOSSES = 8;
/** Answers whose rate estimates what the server sustains. */
const RATE_SAMPLES = 64;
/** How often the oldest queries in flight are looked at for lateness. */
const SCAN_MS = 50;

/** Options of createQueryWindow. */
export interface QueryWindowOptions {
  /** The first window (default 64). */
  initial?: number;
  /** The ceiling. */
  max: number;
  /** The floor (default 8). */
  min?: number;
  /** Clock (tests); default Date.now. */
  now?: () => number;
}

/** What the window knows, for statistics and tests. */
export interface QueryWindowState {
  window: number;
  inFlight: number;
  waiting: number;
  /** Times the window was halved. */
  cuts: number;
  /** Largest window reached. */
  peak: number;
  /** The smoothed round trip of the answers so far, in ms (roundTripMs()); null before the first. */
  roundTripMs: number | null;
}

/** A slot: give it back with how the query ended. */
export type QuerySlot = (outcome: 'answer' | 'timeout' | 'other') => void;

/** One server's window (see the module comment). */
export interface QueryWindow {
  /** A slot for one query: at once while the window has room, else when a query ends. */
  acquire(): QuerySlot | Promise<QuerySlot>;
  state(): QueryWindowState;
  /** The smoothed round trip of the answers so far (RFC 6298 §2), or null before the first. */
  roundTripMs(): number | null;
}

interface Sent {
  at: number;
  round: number;
  late: boolean;
}

/** A QueryWindow for one server. */
export function createQueryWindow(options: QueryWindowOptions): QueryWindow {
  const now = options.now ?? Date.now;
  const max = Math.max(1, options.max);
  const min = Math.min(max, Math.max(1, options.min ?? 8));
  let window = Math.min(max, Math.max(min, options.initial ?? 64));
  let ssthresh = max;
  let peak = window;
  let cuts = 0;
  let srtt: number | null = null;
  let round = 0;
  let roundLosses = 0;
  let roundOutcomes = 0;
  let nextId = 0;
  const inFlight = new Map<number, Sent>();
  const waiting: ((slot: QuerySlot) => void)[] = [];
  let timer: NodeJS.Timeout | null = null;

  const lateAfter = (): number => Math.max(MIN_LATE_MS, LATE_FACTOR * (srtt ?? MIN_LATE_MS));

  // When the last RATE_SAMPLES answers came: their rate times the round trip is what the server sustains (Little's law).
  const answeredAt = new Array<number>(RATE_SAMPLES).fill(0);
  let answers = 0;
  const sustained = (): number => {
    if (answers < RATE_SAMPLES || srtt === null) return Infinity;
    const newest = answeredAt[(answers - 1) % RATE_SAMPLES] as number;
    const oldest = answeredAt[answers % RATE_SAMPLES] as number;
    return ((RATE_SAMPLES - 1) / Math.max(1, newest - oldest)) * srtt;
  };

  function loss(sent: Sent): void {
    if (sent.round !== round) return;
    roundLosses++;
    roundOutcomes++;
    if (roundLosses >= MIN_LOSSES && roundLosses >= LOSS_SHARE * roundOutcomes) {
      // Half, and no more than what the server has been answering: slow start may have overshot by far.
      window = Math.max(min, Math.min(window / 2, sustained()));
      ssthresh = window;
      cuts++;
      round++;
      roundLosses = 0;
      roundOutcomes = 0;
    }
  }

  /** Marks the queries in flight longest as late, oldest first; runs while any is in flight. */
  function scan(): void {
    const limit = now() - lateAfter();
    for (const sent of inFlight.values()) {
      if (sent.at > limit) break;
      if (sent.late) continue;
      sent.late = true;
      loss(sent);
    }
    if (inFlight.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  }

  function take(): QuerySlot {
    const id = nextId++;
    const sent: Sent = { at: now(), round, late: false };
    inFlight.set(id, sent);
    if (!timer) {
      timer = setInterval(scan, SCAN_MS);
      timer.unref();
    }
    let done = false;
    return (outcome) => {
      if (done) return;
      done = true;
      inFlight.delete(id);
      if (outcome === 'answer') {
        const rtt = Math.max(1, now() - sent.at);
        srtt = srtt === null ? rtt : srtt + (rtt - srtt) / 8; // RFC 6298 §2: alpha = 1/8
        if (sent.round === round && !sent.late) roundOutcomes++;
        answeredAt[answers % RATE_SAMPLES] = now();
        answers++;
        window = Math.min(max, window < ssthresh ? window + 1 : window + 1 / window);
        peak = Math.max(peak, window);
      } else if (outcome === 'timeout' && !sent.late) {
        sent.late = true;
        loss(sent);
      }
      while (waiting.length > 0 && inFlight.size < Math.floor(window)) (waiting.shift() as (slot: QuerySlot) => void)(take());
    };
  }

  return {
    acquire() {
      if (waiting.length === 0 && inFlight.size < Math.floor(window)) return take();
      return new Promise<QuerySlot>((resolve) => waiting.push(resolve));
    },
    roundTripMs: () => srtt,
    state: () => ({ window: Math.floor(window), inFlight: inFlight.size, waiting: waiting.length, cuts, peak: Math.floor(peak), roundTripMs: srtt }),
  };
}
