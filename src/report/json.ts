import type { DomainReport } from '../audit/audit.js';
import type { RunSummary } from './summary.js';
import { TOOL_NAME, VERSION } from '../version.js';

export const SCHEMA_VERSION = 1;

export interface JsonDocument<P = unknown> {
  schemaVersion: 1;
  tool: { name: string; version: string };
  domains: DomainReport[];
  probe: P | null;
  /** Counts per grade and the most frequent findings (batch only). */
  summary?: RunSummary;
}

/** The DESIGN JSON document (JSON.stringify escapes every control character). */
export function renderJson<P>(reports: readonly DomainReport[], probe: P | null = null, summary?: RunSummary): string {
  const doc: JsonDocument<P> = { schemaVersion: SCHEMA_VERSION, tool: { name: TOOL_NAME, version: VERSION }, domains: [...reports], probe };
  if (summary) doc.summary = summary;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** One DomainReport per line, nothing else. */
export function renderJsonLine(report: DomainReport): string {
  return `${JSON.stringify(report)}\n`;
}
