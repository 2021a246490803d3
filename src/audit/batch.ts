import pLimit from 'p-limit';
import { auditDomain, type DomainReport } from './audit.js';
import type { AuditContext } from './context.js';
import type { BatchRow } from './input.js';
import { nextDomainLimit, PACE_EVERY_MS } from './pace.js';
import { describeDnsSilence } from './stop.js';

/**
 * How runBatch runs: how many rows at once, where each report goes, and when
 * it stops. `onReport` is awaited, so a slow writer holds the run back.
 */
export interface BatchRunOptions {
  concurrency: number;
  /** Most reports held waiting for an earlier row (bounded reorder buffer). */
  window?: number;
  /** Once aborted, no further row is started; rows in flight finish. */
  signal?: AbortSignal;
  /**
   * Default true: while no DNS server is answering (DnsClient#health), start
   * no row; once none has answered for timeout x (retries + 1), stop (the
   * result's `stopped`). Rows in flight finish and are reported.
   */
  stopOnDeadDns?: boolean;
  /** Called once per row, in input order. */
  onReport: (report: DomainReport, row: BatchRow) => void | Promise<void>;
  onProgress?: (done: number) => void;
  /** Runs after a row's audit, before it is emitted (e.g. its MX probe). */
  enrich?: (report: DomainReport) => Promise<void>;
  /** The audit of one row (default auditDomain); --zone gives each row its own view of the zone files. */
  audit?: typeof auditDomain;
  /**
   * Paces the rows at once between DEFAULT_CONCURRENCY and `concurrency`
   * when `concurrency` is above it (src/audit/pace.ts): `lagMs` gives the
   * event loop's mean lag in ms since its previous call (the CLI reads
   * node:perf_hooks' monitorEventLoopDelay), set against the round trip of
   * `ctx.dns`'s servers (DnsClient#windows) every `everyMs` (default
   * PACE_EVERY_MS). Without it, `concurrency` rows at once throughout.
   */
  pace?: { lagMs: () => number; everyMs?: number };
}

/** The paced limit on rows at once over a run (it starts at `concurrency`, the ceiling). */
export interface BatchAtOnce {
  /** The lowest it went. */
  least: number;
  /** Where it was when the run ended. */
  last: number;
}

/** Why a batch ended before its input did. */
export interface BatchStop {
  reason: 'dns-dead';
  /** The servers, as given (or as the system lists them). */
  servers: string[];
  /** How long none of them answered. */
  ms: number;
}

/**
 * How a batch ended: rows read and reported, and why it stopped early if it
 * did. A row whose audit failed inside m365audit is still reported (with a
 * note) and counted in `internalErrors`; no row is ever lost.
 */
export interface BatchRunResult {
  /** Rows reported (onReport called), in input order. */
  done: number;
  /** Rows taken from the input; more than `done` when the run ended early (rows queued behind those in flight are not started). */
  read: number;
  /** The input was read to its end. */
  inputEnded: boolean;
  interrupted: boolean;
  /** Rows whose audit failed inside m365audit (reported with a note, never lost). */
  internalErrors: number;
  /** Set when the run stopped by itself (no DNS server answered); null otherwise. */
  stopped: BatchStop | null;
  /** The range of the paced limit on rows at once (BatchRunOptions#pace); null when the run was not paced. */
  atOnce: BatchAtOnce | null;
}

/** Domains audited at once by `batch` when `--concurrency` is not given. */
export const DEFAULT_CONCURRENCY = 64;

/**
 * p-limit whose tasks ask `proceed` when their turn comes, not when they are
 * queued: once it says no, that task and every one after it resolve to null
 * without running. p-limit starts tasks in the order queued, so the tasks
 * skipped are always the last ones (no gap in an ordered output).
 */
export function limitWhile(concurrency: number, proceed: () => boolean | Promise<boolean>): GatedLimit {
  const limit = pLimit(concurrency);
  let open = true;
  const run = <T>(task: () => Promise<T>): Promise<T | null> =>
    limit(async () => {
      if (open && !(await proceed())) open = false;
      return open ? task() : null;
    });
  return Object.defineProperties(run, {
    concurrency: { get: () => limit.concurrency, set: (n: number) => (limit.concurrency = n) },
    activeCount: { get: () => limit.activeCount },
  }) as GatedLimit;
}

/** limitWhile's limit: queue a task; `concurrency` may change while tasks run (a rise starts queued ones). */
export type GatedLimit = (<T>(task: () => Promise<T>) => Promise<T | null>) & { concurrency: number; readonly activeCount: number };

/** The one line that says why a batch stopped: `no DNS server answered in 9 s: 127.0.0.1:5999`. Pure. */
export function renderBatchStop(stop: BatchStop): string {
  return describeDnsSilence(stop.servers, stop.ms);
}

/**
 * Audits rows with bounded concurrency (p-limit), emitting reports in input
 * order as soon as order allows. Rows are pulled from the input only while
 * fewer than `window` reports are started but not yet emitted, so memory is
 * flat in the number of rows. After an abort, a failed write or a stop, no
 * row starts (queued ones included) and the input is no longer read.
 * A row's tenant overrides `ctx.tenant` for that row. Rejects only with what
 * `onReport` threw (the output cannot be written), once the rows in flight
 * are done; an audit that fails inside m365audit is a report, not an error.
 */
export async function runBatch(ctx: AuditContext, rows: AsyncIterable<BatchRow>, options: BatchRunOptions): Promise<BatchRunResult> {
  const concurrency = Math.max(1, options.concurrency);
  const window = Math.max(concurrency, options.window ?? concurrency * 4);
  const ready = new Map<number, { report: DomainReport; row: BatchRow }>();
  let started = 0;
  let emitted = 0;
  let read = 0;
  let inputEnded = false;
  let internalErrors = 0;
  let wake: (() => void) | null = null;
  let emitting: Promise<void> = Promise.resolve();
  const audits = new Set<Promise<void>>();

  // The first failure to hand a report on (the output cannot be written) ends the run and is thrown at the end.
  let failure: { error: unknown } | null = null;
  let stopped: BatchStop | null = null;
  // Aborted when the run ends early, for whatever reason: releases every wait.
  const halt = new AbortController();
  const ended = (): boolean => halt.signal.aborted || options.signal?.aborted === true;
  const end = (): void => {
    halt.abort();
    wake?.();
  };
  if (options.signal?.aborted) end();
  options.signal?.addEventListener('abort', end, { once: true });

  const dns = options.stopOnDeadDns === false ? null : ctx.dns;
  let waiting: Promise<boolean> | null = null;
  const proceed = (): boolean | Promise<boolean> => {
    if (ended()) return false;
    const health = dns?.health?.();
    if (!dns?.waitForServer || !health || health.servers.some((s) => s.state === 'alive')) return true;
    // No server is answering: start no row until one does; stop once none has for the whole deadline.
    // One wait for every row at the gate, so they all get the same answer, in order.
    waiting ??= dns.waitForServer(halt.signal).then((outcome) => {
      waiting = null;
      if (outcome === 'dead' && !ended()) {
        const h = dns.health?.() ?? health;
        stopped = { reason: 'dns-dead', servers: h.servers.map((s) => s.server), ms: h.deadAfterMs };
        end();
      }
      return !ended();
    });
    return waiting;
  };
  const limit = limitWhile(concurrency, proceed);

  const drain = async (): Promise<void> => {
    for (let next = ready.get(emitted); next && !failure; next = ready.get(emitted)) {
      ready.delete(emitted);
      emitted++;
      await options.onReport(next.report, next.row);
      options.onProgress?.(emitted);
    }
    wake?.();
  };

  // Stopped however the run ends (the input may throw).
  let pacing: ReturnType<typeof startPacing> = null;
  try {
    pacing = startPacing(ctx, limit, concurrency, options.pace);
    const input = rows[Symbol.asyncIterator]();
    try {
      while (!ended()) {
        const next = await nextUnlessHalted(input, halt.signal);
        if (next !== 'halted' && next.done) inputEnded = true;
        if (next === 'halted' || next.done) break;
        read++;
        if (ended()) break;
        const row = next.value;
        while (started - emitted >= window && !ended()) {
          await new Promise<void>((r) => (wake = r));
          wake = null;
        }
        if (ended()) break;
        const index = started++;
        const rowCtx: AuditContext = row.tenant ? { ...ctx, tenant: row.tenant } : ctx;
        const p = limit(async () => {
          let report: DomainReport;
          try {
            report = await (options.audit ?? auditDomain)(rowCtx, row.input, { inputLength: row.inputLength });
            await options.enrich?.(report);
          } catch (err) {
            internalErrors++;
            report = failedReport(row, err, rowCtx.clock);
          }
          // Its place in the input (the row's own index, else its place in this run): how shards merge back and --resume matches rows.
          report.row = row.index ?? index;
          if (row.meta) report.meta = row.meta;
          ready.set(index, { report, row });
          emitting = emitting.then(drain).catch((error: unknown) => {
            failure ??= { error };
            end();
          });
          await emitting;
        }).then(() => undefined);
        audits.add(p);
        const forget = (): void => void audits.delete(p);
        void p.then(forget, forget);
      }
    } finally {
      // Not awaited: a read may still be pending (stdin); the caller's signal closes it.
      void input.return?.().catch(() => undefined);
    }
    await Promise.all(audits);
    await emitting;
  } finally {
    pacing?.stop();
    options.signal?.removeEventListener('abort', end);
  }
  if (failure) throw (failure as { error: unknown }).error;
  return { done: emitted, read, inputEnded, interrupted: options.signal?.aborted ?? false, internalErrors, stopped, atOnce: pacing?.range ?? null };
}

/**
 * Looks at the limit every `everyMs` (nextDomainLimit) while the run lasts;
 * null when there is nothing to pace (no `pace`, or `concurrency` at or
 * below the default). The timer does not hold the process open.
 */
function startPacing(ctx: AuditContext, limit: GatedLimit, concurrency: number, pace: BatchRunOptions['pace']): { stop(): void; range: BatchAtOnce } | null {
  if (!pace || concurrency <= DEFAULT_CONCURRENCY) return null;
  const bounds = { floor: DEFAULT_CONCURRENCY, ceiling: concurrency };
  const range: BatchAtOnce = { least: concurrency, last: concurrency };
  pace.lagMs(); // starts the first interval (a lag that cannot be read throws here, before any row)
  const timer = setInterval(() => {
    let next: number;
    try {
      next = nextDomainLimit(limit.concurrency, { lagMs: pace.lagMs(), roundTripMs: networkRoundTrip(ctx), active: limit.activeCount }, bounds);
    } catch {
      clearInterval(timer); // a lag that cannot be read: the limit stays where it is
      return;
    }
    if (next === limit.concurrency) return;
    limit.concurrency = next;
    range.least = Math.min(range.least, next);
    range.last = next;
  }, pace.everyMs ?? PACE_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer), range };
}

/**
 * The round trip a domain waits on (ms): the largest smoothed round trip
 * among the servers answering (queries go round the servers, so a domain
 * waits on the slower one; DnsClient#health says which are alive, in the
 * same order as its windows; a suspect one's round trip is stale). Null
 * before any answer, while no server is alive, or when the client has no
 * windows: the limit then holds.
 */
function networkRoundTrip(ctx: AuditContext): number | null {
  const windows = ctx.dns.windows?.() ?? [];
  const health = ctx.dns.health?.().servers;
  let slowest: number | null = null;
  for (const [i, w] of windows.entries()) {
    if (w.roundTripMs === null || (health && health[i]?.state !== 'alive')) continue;
    if (slowest === null || w.roundTripMs > slowest) slowest = w.roundTripMs;
  }
  return slowest;
}

/**
 * The next row, or 'halted' as soon as `signal` aborts, even while the read
 * is pending (stdin that may never send another line). The listener goes
 * with each step: nothing accumulates over a long input.
 */
function nextUnlessHalted(input: AsyncIterator<BatchRow>, signal: AbortSignal): Promise<IteratorResult<BatchRow> | 'halted'> {
  return new Promise((resolve, reject) => {
    const onHalt = (): void => resolve('halted');
    signal.addEventListener('abort', onHalt, { once: true });
    input.next().then(
      (r) => {
        signal.removeEventListener('abort', onHalt);
        resolve(r);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onHalt);
        reject(err);
      },
    );
  });
}

function failedReport(row: BatchRow, err: unknown, clock: AuditContext['clock']): DomainReport {
  return {
    domain: null, input: row.input, score: null, grade: 'unknown', auditedAt: (clock?.() ?? new Date()).toISOString(), cloud: 'worldwide', tenant: row.tenant ?? null,
    findings: [], mx: null, spf: null, dkim: null, dmarc: null, autodiscover: null, verification: null, mtaSts: null, tlsRpt: null, dnssec: null, dane: null,
    notes: [`internal error while auditing this row: ${err instanceof Error ? err.message : String(err)}`],
    timing: { ms: 0, queries: 0 },
  };
}
