import pLimit from 'p-limit';
import { auditDomain, type DomainReport } from '../audit/audit.js';
import type { AuditContext } from '../audit/context.js';
import type { BatchRow } from './input.js';

export interface BatchRunOptions {
  concurrency: number;
  /** Most reports held waiting for an earlier row (bounded reorder buffer). */
  window?: number;
  /** Once aborted, no further row is started; rows in flight finish. */
  signal?: AbortSignal;
  /** Called once per row, in input order. */
  onReport: (report: DomainReport, row: BatchRow) => void | Promise<void>;
  onProgress?: (done: number) => void;
  /** Runs after a row's audit, before it is emitted (e.g. its MX probe). */
  enrich?: (report: DomainReport) => Promise<void>;
}

export interface BatchRunResult {
  done: number;
  interrupted: boolean;
  /** Rows whose audit failed inside m365audit (reported with a note, never lost). */
  internalErrors: number;
}

export const DEFAULT_CONCURRENCY = 64;

/**
 * Audits rows with bounded concurrency (p-limit), emitting reports in input
 * order as soon as order allows. Rows are pulled from the input only while
 * fewer than `window` reports are started but not yet emitted, so memory is
 * flat in the number of rows.
 */
export async function runBatch(ctx: AuditContext, rows: AsyncIterable<BatchRow>, options: BatchRunOptions): Promise<BatchRunResult> {
  const concurrency = Math.max(1, options.concurrency);
  const window = Math.max(concurrency, options.window ?? concurrency * 4);
  const limit = pLimit(concurrency);
  const ready = new Map<number, { report: DomainReport; row: BatchRow }>();
  let started = 0;
  let emitted = 0;
  let internalErrors = 0;
  let wake: (() => void) | null = null;
  let emitting: Promise<void> = Promise.resolve();
  const audits = new Set<Promise<void>>();

  // The first failure to hand a report on (the output cannot be written) ends the run and is thrown at the end.
  let failure: { error: unknown } | null = null;
  const drain = async (): Promise<void> => {
    for (let next = ready.get(emitted); next && !failure; next = ready.get(emitted)) {
      ready.delete(emitted);
      emitted++;
      await options.onReport(next.report, next.row);
      options.onProgress?.(emitted);
    }
    wake?.();
  };

  for await (const row of rows) {
    if (options.signal?.aborted || failure) break;
    while (started - emitted >= window && !failure) {
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
    if (options.signal?.aborted || failure) break;
    const index = started++;
    const rowCtx: AuditContext = row.tenant ? { ...ctx, tenant: row.tenant } : ctx;
    const p = limit(async () => {
      let report: DomainReport;
      try {
        report = await auditDomain(rowCtx, row.input);
        await options.enrich?.(report);
      } catch (err) {
        internalErrors++;
        report = failedReport(row, err, rowCtx.clock);
      }
      if (row.meta) report.meta = row.meta;
      ready.set(index, { report, row });
      emitting = emitting.then(drain).catch((error: unknown) => {
        failure ??= { error };
        wake?.();
      });
      await emitting;
    });
    audits.add(p);
    const forget = (): void => void audits.delete(p);
    void p.then(forget, forget);
  }
  await Promise.all(audits);
  await emitting;
  if (failure) throw (failure as { error: unknown }).error;
  return { done: emitted, interrupted: options.signal?.aborted ?? false, internalErrors };
}

function failedReport(row: BatchRow, err: unknown, clock: AuditContext['clock']): DomainReport {
  return {
    domain: null, input: row.input, score: null, grade: 'unknown', auditedAt: (clock?.() ?? new Date()).toISOString(), cloud: 'worldwide', tenant: row.tenant ?? null,
    findings: [], mx: null, spf: null, dkim: null, dmarc: null, autodiscover: null, verification: null,
    notes: [`internal error while auditing this row: ${err instanceof Error ? err.message : String(err)}`],
    timing: { ms: 0, queries: 0 },
  };
}
