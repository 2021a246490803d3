import type { DomainReport } from '../audit/audit.js';
import type { ProbeResult } from '../smtp/types.js';
import { renderCsvChunks, type CsvRows } from './csv.js';
import { renderHtmlChunks } from './html.js';
import { renderJsonChunks, renderJsonlChunks } from './json.js';
import { renderMarkdownChunks } from './markdown.js';
import { reconstructRun, type RunInfo } from './run.js';
import { summarize, type RunSummary } from './summary.js';
import { renderTableChunks } from './table.js';
import { renderTextChunks } from './text.js';

/** The output formats of check, batch and report (`--format`). */
export const FORMATS = ['table', 'json', 'jsonl', 'csv', 'markdown', 'text', 'html'] as const;
/** One of FORMATS. */
export type Format = (typeof FORMATS)[number];

/** Options of renderReports and renderChunks, the same for every format (each uses what applies to it). */
export interface RenderOptions {
  color: boolean;
  csvRows?: CsvRows | undefined;
  /** Add the per-grade counts and most frequent findings (batch). */
  summary?: boolean | undefined;
  /** The run's audit trail (every format shows it); rebuilt from the reports' auditedAt when absent. */
  run?: RunInfo | null | undefined;
  /** The summary when the caller already counted it (batch counts as the reports come). */
  counted?: RunSummary | undefined;
  /** The heading of markdown, text and html (--title). */
  title?: string | undefined;
  /** html: input CSV columns (a report's `meta`) shown as columns of the readiness table (--columns). */
  columns?: readonly string[] | undefined;
}

/** Renders a finished run in any format as one string; every format takes the same data. */
export function renderReports(format: Format, reports: Iterable<DomainReport>, probe: ProbeResult | null, options: RenderOptions): string {
  return [...renderChunks(format, reports, probe, options)].join('');
}

/**
 * Renders a finished run as a sequence of chunks, so that output of any size
 * is written as a stream (the caller writes each chunk with backpressure).
 * `reports` is read once per pass a format needs: an array, or a spool file
 * read again, keeps memory bounded in the number of domains.
 */
export function renderChunks(format: Format, reports: Iterable<DomainReport>, probe: ProbeResult | null, options: RenderOptions): Iterable<string> {
  const run = options.run ?? reconstructRun(reports);
  switch (format) {
    case 'json':
      return renderJsonChunks(reports, probe, { run, summary: options.summary ? (options.counted ?? summarize(reports)) : undefined });
    case 'jsonl':
      return renderJsonlChunks(reports, { probe, run });
    case 'csv':
      return renderCsvChunks(reports, probe, options.csvRows);
    case 'markdown':
      return renderMarkdownChunks(reports, probe, { run, title: options.title });
    case 'text':
      return renderTextChunks(reports, probe, { run, title: options.title });
    case 'html':
      return renderHtmlChunks(reports, probe, { run, title: options.title, columns: options.columns });
    case 'table':
      return renderTableChunks(reports, { color: options.color, probe, run, summary: options.summary });
  }
}
