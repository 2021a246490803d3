import type { DomainReport } from '../audit/audit.js';
import type { Cloud } from '../m365/clouds.js';
import type { ProbeResult } from '../smtp/types.js';
import { VERSION } from '../version.js';

/** The options of a run that change its results (JSON `run.options`). */
export interface RunOptions {
  /** --cloud, or null when the cloud was detected per domain. */
  cloud: Cloud | null;
  /** --tenant (check), or null (batch reads a tenant column per row). */
  tenant: string | null;
  /** Extra DKIM selectors (--selector). */
  selectors: string[];
  /** The submission probe's endpoint as host:port, or null when there was none (--no-probe, interrupted). */
  probe: string | null;
  /** The port of the MX probes (--probe-mx), or null without them. */
  probeMx: number | null;
  /** The DNS deadline of one attempt (--timeout) and the further attempts (--retries). */
  timeoutMs: number;
  retries: number;
}

/**
 * The audit trail of a run (JSON `run`; the last line of jsonl): when, with
 * which version and resolvers, and with what options. A run read back from a
 * jsonl file without it (cut short) is `reconstructed` from the reports'
 * `auditedAt`: then only the times are known and the rest is null.
 */
export interface RunInfo {
  /** UTC ISO 8601; null only when reconstructed from no reports. */
  startedAt: string | null;
  finishedAt: string | null;
  version: string | null;
  /** The DNS servers asked, as ADDR[:PORT]. */
  resolvers: string[] | null;
  options: RunOptions | null;
  reconstructed?: true;
}

/** `host:port`, with IPv6 literals in brackets. */
export function endpointOf(p: { host: string; port: number }): string {
  return p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`;
}

export interface RunFacts {
  startedAt: Date;
  finishedAt: Date;
  resolvers: readonly string[];
  cloud?: Cloud | undefined;
  tenant?: string | undefined;
  selectors?: readonly string[] | undefined;
  probe: ProbeResult | null;
  probeMx?: number | null | undefined;
  timeoutMs: number;
  retries: number;
}

/** The run object of a finished run. */
export function createRunInfo(f: RunFacts): RunInfo {
  return {
    startedAt: f.startedAt.toISOString(),
    finishedAt: f.finishedAt.toISOString(),
    version: VERSION,
    resolvers: [...f.resolvers],
    options: {
      cloud: f.cloud ?? null,
      tenant: f.tenant ?? null,
      selectors: [...(f.selectors ?? [])],
      probe: f.probe ? endpointOf(f.probe) : null,
      probeMx: f.probeMx ?? null,
      timeoutMs: f.timeoutMs,
      retries: f.retries,
    },
  };
}

/** What can be known of a run from its reports alone: the first and last auditedAt. */
export function reconstructRun(reports: Iterable<DomainReport>): RunInfo {
  let first: string | null = null;
  let last: string | null = null;
  for (const r of reports) {
    const t = typeof r.auditedAt === 'string' ? r.auditedAt : null;
    if (t === null) continue;
    // ISO 8601 UTC strings of one format order as text.
    if (first === null || t < first) first = t;
    if (last === null || t > last) last = t;
  }
  return { startedAt: first, finishedAt: last, version: null, resolvers: null, options: null, reconstructed: true };
}

/**
 * The run as one line of plain text for the footers of table, Markdown and
 * HTML (the caller escapes it: resolvers and the tenant come from the command
 * line or a saved file).
 */
export function describeRun(run: RunInfo): string {
  const when = run.startedAt && run.finishedAt ? `${run.startedAt} to ${run.finishedAt}` : (run.startedAt ?? run.finishedAt ?? 'at an unknown time');
  if (run.reconstructed) return `Audited ${when} (from the reports' auditedAt; the run's version, resolvers and options were not saved).`;
  const parts = [`Audited ${when}`, `${run.version === null ? 'unknown version' : `m365audit ${run.version}`}`];
  parts.push(run.resolvers === null ? 'resolvers not recorded' : run.resolvers.length === 0 ? 'no DNS server' : `${run.resolvers.length === 1 ? 'resolver' : 'resolvers'} ${run.resolvers.join(', ')}`);
  const o = run.options;
  if (o) {
    parts.push(o.cloud ? `cloud ${o.cloud}` : 'cloud detected');
    if (o.tenant) parts.push(`tenant ${o.tenant}`);
    if (o.selectors.length > 0) parts.push(`${o.selectors.length === 1 ? 'selector' : 'selectors'} ${o.selectors.join(' ')}`);
    parts.push(o.probe ? `submission probe ${o.probe}` : 'no submission probe');
    if (o.probeMx !== null) parts.push(`MX probe port ${o.probeMx}`);
    parts.push(`DNS timeout ${o.timeoutMs} ms, ${o.retries} ${o.retries === 1 ? 'retry' : 'retries'}`);
  }
  return `${parts.join('; ')}.`;
}
