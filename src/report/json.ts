import type { DomainReport } from '../audit/audit.js';
import { TOOL_NAME, VERSION } from '../version.js';

export const SCHEMA_VERSION = 1;

export interface JsonDocument<P = unknown> {
  schemaVersion: 1;
  tool: { name: string; version: string };
  domains: DomainReport[];
  probe: P | null;
}

/** The DESIGN JSON document (JSON.stringify escapes every control character). */
export function renderJson<P>(reports: readonly DomainReport[], probe: P | null = null): string {
  const doc: JsonDocument<P> = { schemaVersion: SCHEMA_VERSION, tool: { name: TOOL_NAME, version: VERSION }, domains: [...reports], probe };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** One DomainReport per line, nothing else. */
export function renderJsonLine(report: DomainReport): string {
  return `${JSON.stringify(report)}\n`;
}
