import type { DomainReport } from '../audit/audit.js';
import type { ProbeResult } from '../smtp/types.js';
import { renderCsv, type CsvRows } from './csv.js';
import { renderHtml } from './html.js';
import { renderJson, renderJsonLine } from './json.js';
import { renderMarkdown } from './markdown.js';
import { summarize, renderSummaryText } from './summary.js';
import { renderTable } from './table.js';

export const FORMATS = ['table', 'json', 'jsonl', 'csv', 'markdown', 'html'] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  color: boolean;
  csvRows?: CsvRows;
  /** Add the per-grade counts and most frequent findings (batch). */
  summary?: boolean;
}

/** Renders a finished run in any format; every format takes the same data. */
export function renderReports(format: Format, reports: readonly DomainReport[], probe: ProbeResult | null, options: RenderOptions): string {
  switch (format) {
    case 'json':
      return renderJson(reports, probe, options.summary ? summarize(reports) : undefined);
    case 'jsonl':
      return reports.map(renderJsonLine).join('');
    case 'csv':
      return renderCsv(reports, probe, options.csvRows);
    case 'markdown':
      return renderMarkdown(reports, probe);
    case 'html':
      return renderHtml(reports, probe);
    case 'table':
      return `${renderTable(reports, { color: options.color, probe })}${options.summary ? `\n${renderSummaryText(summarize(reports))}` : ''}`;
  }
}
