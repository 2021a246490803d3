import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { normalizeTenant } from '../dkim/target.js';

/** One input row of a batch: exactly one report comes out for each. */
export interface BatchRow {
  /** 1-based line number in the input. */
  line: number;
  /** The domain cell as given (may be garbage: it becomes DOMAIN_INVALID). */
  input: string;
  tenant?: string;
  /** The other CSV columns, carried into the report. */
  meta?: Record<string, string>;
}

const DOMAIN_COLUMNS = ['domain', 'domains', 'domain_name', 'domainname', 'domain name', 'fqdn', 'mail_domain', 'email_domain', 'primary_domain', 'hostname', 'host', 'email', 'website', 'url'];
const TENANT_COLUMNS = ['tenant', 'tenant_prefix', 'tenant prefix', 'initial_domain', 'initial domain', 'onmicrosoft'];

/**
 * Reads a batch input as a stream of rows: a plain list (one domain a line)
 * or a CSV with a header naming a domain column. `#` comment lines and blank
 * lines are skipped; CRLF and a UTF-8 BOM are accepted. Each line is parsed on
 * its own (csv-parse handles the quoting), so a stray quote cannot swallow the
 * lines after it: every other line yields exactly one row.
 */
export async function* readBatchInput(stream: Readable, signal?: AbortSignal): AsyncGenerator<BatchRow> {
  // Already aborted: no reader is attached, so the stream is left as it was.
  if (signal?.aborted) return;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  // Ends the rows at once on abort, even while waiting for a line that may never come (stdin).
  const stop = (): void => {
    lines.close();
    stream.pause();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    yield* rows(lines);
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

async function* rows(lines: AsyncIterable<string>): AsyncGenerator<BatchRow> {
  let lineNo = 0;
  let header: { domainAt: number; tenantAt: number; names: string[] } | null | undefined;
  for await (const raw of lines) {
    lineNo++;
    const line = (lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw).replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (header === undefined) {
      header = detectHeader(trimmed);
      if (header) continue;
    }
    if (!header) {
      yield { line: lineNo, input: trimmed.replace(/\s+#.*$/, '') };
      continue;
    }
    const cells = parseCsvLine(line);
    if (cells === null) {
      yield { line: lineNo, input: trimmed };
      continue;
    }
    const row: BatchRow = { line: lineNo, input: (cells[header.domainAt] ?? '').trim() };
    const tenant = header.tenantAt >= 0 ? tenantPrefix(cells[header.tenantAt] ?? '') : '';
    if (tenant) row.tenant = tenant;
    const meta: Record<string, string> = {};
    header.names.forEach((name, i) => {
      if (i !== header?.domainAt && i !== header?.tenantAt) meta[name] = cells[i] ?? '';
    });
    if (Object.keys(meta).length > 0) row.meta = meta;
    yield row;
  }
}

function detectHeader(line: string): { domainAt: number; tenantAt: number; names: string[] } | null {
  const cells = parseCsvLine(line);
  if (!cells) return null;
  const names = cells.map((c) => c.trim());
  const lower = names.map((c) => c.toLowerCase());
  const domainAt = lower.findIndex((c) => DOMAIN_COLUMNS.includes(c));
  if (domainAt < 0) return null;
  const tenantAt = lower.findIndex((c) => TENANT_COLUMNS.includes(c));
  return { domainAt, tenantAt, names: names.map((n, i) => n || `column${i + 1}`) };
}

function parseCsvLine(line: string): string[] | null {
  try {
    const rows = parse(line, { relax_column_count: true, relax_quotes: true, skip_empty_lines: false }) as string[][];
    return rows[0] ?? [];
  } catch {
    return null;
  }
}

/** `contoso`, `contoso.onmicrosoft.com` or `contoso.onmicrosoft.us` -> `contoso`; '' for anything else. */
export function tenantPrefix(cell: string): string {
  return normalizeTenant(cell) ?? '';
}
