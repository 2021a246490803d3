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

/**
 * JSON.stringify escapes only U+0000-U+001F. DEL, the C1 controls (0x9B is a
 * terminal CSI), line/paragraph separators and bidi overrides pass through
 * raw, so a record could still drive a terminal that shows the JSON. They are
 * escaped as \uXXXX too: the same JSON value, safe to print.
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The DESIGN JSON document. */
export function renderJson<P>(reports: readonly DomainReport[], probe: P | null = null, summary?: RunSummary): string {
  const doc: JsonDocument<P> = { schemaVersion: SCHEMA_VERSION, tool: { name: TOOL_NAME, version: VERSION }, domains: [...reports], probe };
  if (summary) doc.summary = summary;
  return `${safeJson(doc, 2)}\n`;
}

/** One DomainReport per line, nothing else. */
export function renderJsonLine(report: DomainReport): string {
  return `${safeJson(report)}\n`;
}
