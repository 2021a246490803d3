import type { DomainReport } from '../audit/audit.js';
import { describeDnsSilence } from '../audit/stop.js';
import type { Cloud } from '../m365/clouds.js';
import type { ProbeResult } from '../smtp/types.js';
import { VERSION } from '../version.js';
import { cleanText } from './safe-text.js';
import { plural } from './words.js';

/** The options of a check, batch or demo run that change its results (JSON `run.options`). */
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
  /** --zone files overlaid on live DNS (absent without): answers came from them, not from what is published. */
  zones?: string[];
  /** batch --shard K/N: only the rows whose index % count is index were audited (absent without). */
  shard?: { index: number; count: number };
}

/** `plan`: what the records are planned for. */
export interface PlanRunOptions {
  tenant: string;
  /** --zone files overlaid on live DNS (absent without). */
  zones?: string[];
  /** --cloud, or null when detected. */
  cloud: Cloud | null;
  timeoutMs: number;
  retries: number;
}

/** `spf`: the check_host() inputs as given (null: not given, the default was used). */
export interface SpfRunOptions {
  ip: string | null;
  /** --sender as given: "" is the null sender. */
  sender: string | null;
  helo: string | null;
  cloud: Cloud | null;
  timeoutMs: number;
  retries: number;
}

/** `probe`: the endpoint and how it was spoken to. Never a secret: the AUTH test's user name only. */
export interface ProbeRunOptions {
  /** host:port, IPv6 literals in brackets. */
  endpoint: string;
  tls: 'starttls' | 'implicit';
  /** --auth-user, or null without the AUTH test. */
  authUser: string | null;
  /** --timeout: the deadline of each wait. */
  timeoutMs: number;
  /** --insecure: carried on past a certificate that did not verify. */
  insecure: boolean;
  /** --tls-ca: the extra trusted CA file as given, or null. */
  tlsCa: string | null;
}

/** `send-paths`: the device's identity, the endpoints probed and how. Never a secret: the AUTH test's user name only. */
export interface SendPathsRunOptions {
  /** --ip, or null. */
  ip: string | null;
  /** --from, or null (postmaster@<domain>). */
  from: string | null;
  /** --cloud, or null when detected. */
  cloud: Cloud | null;
  /** The submission probe's endpoint as host:port (--probe-host, else the cloud's). */
  submission: string;
  /** --auth-user, or null without the AUTH test. */
  authUser: string | null;
  /** The port of the MX probe (--probe-mx-port, default 25). */
  mxPort: number;
  /** --probe-timeout: the deadline of each SMTP wait. */
  probeTimeoutMs: number;
  insecure: boolean;
  /** --tls-ca as given, or null. */
  tlsCa: string | null;
  /** --cert as given, or null. */
  cert: string | null;
  timeoutMs: number;
  retries: number;
  /** --zone files overlaid on live DNS (absent without). */
  zones?: string[];
}

/** The options of any command's run (check/batch/demo, plan, spf, probe, send-paths). */
export type AnyRunOptions = RunOptions | PlanRunOptions | SpfRunOptions | ProbeRunOptions | SendPathsRunOptions;

/**
 * The audit trail every command's output carries: when (UTC ISO 8601), with
 * which version and resolvers, and with the options that change results.
 */
export interface RunTrail<O extends AnyRunOptions = AnyRunOptions> {
  /** UTC ISO 8601; null only when reconstructed from reports that have no time. */
  startedAt: string | null;
  finishedAt: string | null;
  version: string | null;
  /** The DNS servers asked, as ADDR[:PORT]. */
  resolvers: string[] | null;
  options: O | null;
  reconstructed?: true;
}

/** Why a run ended before its input did. */
export type RunStop = 'interrupted' | 'dns-dead';

/**
 * The audit trail of a check, batch or demo run (JSON `run`; the last line of
 * jsonl), with how much of the input it covers. A run read back from a file
 * without it (a jsonl cut short, or a run saved before the audit trail) is
 * `reconstructed` from the reports' `auditedAt`: then only the times are
 * known and the rest is null.
 */
export interface RunInfo extends RunTrail<RunOptions> {
  /**
   * Every input row was read and reported, and nothing stopped the run.
   * false for a jsonl file without its last line; null when not recorded
   * (a run saved before m365audit recorded it).
   */
  complete: boolean | null;
  /** Set when the run ended before its input: Ctrl-C, or no DNS server answered. */
  stopped?: RunStop;
  /** dns-dead: the servers, none of which answered for deadAfterMs. */
  deadServers?: string[];
  deadAfterMs?: number;
  /** Input rows read (each is one report, unless the run stopped first), and reports written; null when not recorded. */
  rowsRead: number | null;
  rowsReported: number | null;
}

/** The audit trail of `plan` (schema `#/$defs/PlanRunInfo`). */
export type PlanRunInfo = RunTrail<PlanRunOptions>;
/** The audit trail of `spf` (schema `#/$defs/SpfRunInfo`). */
export type SpfRunInfo = RunTrail<SpfRunOptions>;
/** The audit trail of `probe` (schema: ProbeDocument's `run`). */
export type ProbeRunInfo = RunTrail<ProbeRunOptions>;
/** The audit trail of `send-paths` (schema `#/$defs/SendPathsRunInfo`). */
export type SendPathsRunInfo = RunTrail<SendPathsRunOptions>;

/** `host:port`, with IPv6 literals in brackets. */
export function endpointOf(p: { host: string; port: number }): string {
  return p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`;
}

/** How far a run got through its input. */
export interface RunRows {
  read: number;
  reported: number;
  /** The input was read to its end. */
  inputEnded: boolean;
  stopped: null | { reason: 'interrupted' } | { reason: 'dns-dead'; servers: readonly string[]; ms: number };
}

/** What createRunInfo is told of a finished check, batch or demo run: its times, resolvers, options, probe and how far it got. */
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
  /** --zone files (none: live DNS only). */
  zones?: readonly string[] | undefined;
  rows: RunRows;
}

/** The trail of a run of any command that ends now. */
export function createTrail<O extends AnyRunOptions>(f: { startedAt: Date; finishedAt: Date; resolvers: readonly string[]; options: O }): RunTrail<O> {
  return { startedAt: f.startedAt.toISOString(), finishedAt: f.finishedAt.toISOString(), version: VERSION, resolvers: [...f.resolvers], options: f.options };
}

/** The run object of a finished check, batch or demo run. */
export function createRunInfo(f: RunFacts): RunInfo {
  const trail = createTrail({
    startedAt: f.startedAt,
    finishedAt: f.finishedAt,
    resolvers: f.resolvers,
    options: {
      cloud: f.cloud ?? null,
      tenant: f.tenant ?? null,
      selectors: [...(f.selectors ?? [])],
      probe: f.probe ? endpointOf(f.probe) : null,
      probeMx: f.probeMx ?? null,
      timeoutMs: f.timeoutMs,
      retries: f.retries,
      ...(f.zones && f.zones.length > 0 ? { zones: [...f.zones] } : {}),
    },
  });
  const { rows } = f;
  const run: RunInfo = {
    ...trail,
    complete: rows.stopped === null && rows.inputEnded && rows.read === rows.reported,
    rowsRead: rows.read,
    rowsReported: rows.reported,
  };
  if (rows.stopped) run.stopped = rows.stopped.reason;
  if (rows.stopped?.reason === 'dns-dead') {
    run.deadServers = [...rows.stopped.servers];
    run.deadAfterMs = rows.stopped.ms;
  }
  return run;
}

/**
 * What can be known of a run from its reports alone: the first and last
 * auditedAt and how many there are. `complete` is false when the file is
 * known to be cut short (a jsonl without its last line), else null (unknown).
 */
export function reconstructRun(reports: Iterable<Pick<DomainReport, 'auditedAt'>>, complete: false | null = null): RunInfo {
  const r = createRunReconstruction();
  for (const report of reports) r.add(report);
  return r.result(complete);
}

/** reconstructRun a report at a time, in constant memory (a saved run read as a stream). */
export function createRunReconstruction(): { add(report: Pick<DomainReport, 'auditedAt'>): void; result(complete: false | null): RunInfo } {
  let first: string | null = null;
  let last: string | null = null;
  let count = 0;
  return {
    add(report) {
      count++;
      const t = typeof report.auditedAt === 'string' ? report.auditedAt : null;
      if (t === null) return;
      // ISO 8601 UTC strings of one format order as text.
      if (first === null || t < first) first = t;
      if (last === null || t > last) last = t;
    },
    result: (complete) => ({ startedAt: first, finishedAt: last, version: null, resolvers: null, options: null, reconstructed: true, complete, rowsRead: null, rowsReported: count }),
  };
}

const VERB = { audit: 'Audited', plan: 'Planned', spf: 'Checked', probe: 'Probed', 'send-paths': 'Checked' } as const;

/** Which command's options these are (their shapes share no required field name but tenant/cloud). */
function kindOf(o: AnyRunOptions): keyof typeof VERB {
  if ('selectors' in o) return 'audit';
  if ('mxPort' in o) return 'send-paths';
  if ('endpoint' in o) return 'probe';
  if ('ip' in o) return 'spf';
  return 'plan';
}

/**
 * The run as one line of plain text: the footer of every table and Markdown
 * output (and HTML's), and a `;` comment of `plan --format zone`. The caller
 * escapes it: resolvers, the tenant and the user come from the command line
 * or a saved file.
 */
export function describeRun(run: RunTrail | RunInfo): string {
  const kind = run.options ? kindOf(run.options) : 'audit';
  const when = run.startedAt && run.finishedAt ? `${run.startedAt} to ${run.finishedAt}` : (run.startedAt ?? run.finishedAt ?? 'at an unknown time');
  const rows = 'complete' in run ? describeRows(run) : '';
  if (run.reconstructed) {
    if (!run.startedAt && !run.finishedAt) return `${VERB[kind]} at an unknown time (saved before m365audit recorded its runs: no time, version, resolvers or options).${rows}`;
    return `${VERB[kind]} ${when} (from the reports' auditedAt; the run's version, resolvers and options were not saved).${rows}`;
  }
  const parts = [`${VERB[kind]} ${when}`, `${run.version === null ? 'unknown version' : `m365audit ${run.version}`}`];
  const none = kind === 'probe' ? 'no DNS lookup (an address)' : 'no DNS server';
  parts.push(run.resolvers === null ? 'resolvers not recorded' : run.resolvers.length === 0 ? none : `${run.resolvers.length === 1 ? 'resolver' : 'resolvers'} ${run.resolvers.join(', ')}`);
  if (run.options) parts.push(...describeOptions(run.options));
  return `${parts.join('; ')}.${rows}`;
}

/** The footer as a line of terminal text (tables, the `;` comment of a zone snippet): describeRun, escaped. */
export function renderRunFooter(run: RunTrail | RunInfo): string {
  return cleanText(describeRun(run));
}

function describeOptions(o: AnyRunOptions): string[] {
  const parts: string[] = [];
  const cloud = (c: Cloud | null): string => (c ? `cloud ${c}` : 'cloud detected');
  const dns = (x: { timeoutMs: number; retries: number }): string => `DNS timeout ${x.timeoutMs} ms, ${x.retries} ${x.retries === 1 ? 'retry' : 'retries'}`;
  if ('selectors' in o) {
    parts.push(cloud(o.cloud));
    if (o.tenant) parts.push(`tenant ${o.tenant}`);
    if (o.selectors.length > 0) parts.push(`${o.selectors.length === 1 ? 'selector' : 'selectors'} ${o.selectors.join(' ')}`);
    parts.push(o.probe ? `submission probe ${o.probe}` : 'no submission probe');
    if (o.probeMx !== null) parts.push(`MX probe port ${o.probeMx}`);
    if (o.shard) parts.push(`shard ${o.shard.index}/${o.shard.count}`);
    parts.push(dns(o));
  } else if ('mxPort' in o) {
    parts.push(o.ip === null ? 'no device address' : `ip ${o.ip}`);
    if (o.from !== null) parts.push(`from ${o.from}`);
    parts.push(cloud(o.cloud), `submission probe ${o.submission}`, o.authUser === null ? 'no AUTH test' : `AUTH test as ${o.authUser}`, `MX probe port ${o.mxPort}`, `wait timeout ${o.probeTimeoutMs} ms`);
    if (o.cert !== null) parts.push(`certificate ${o.cert}`);
    if (o.tlsCa !== null) parts.push(`extra CA ${o.tlsCa}`);
    if (o.insecure) parts.push('--insecure');
    if (o.zones && o.zones.length > 0) parts.push(`zones ${o.zones.join(' ')}`);
    parts.push(dns(o));
  } else if ('endpoint' in o) {
    parts.push(`endpoint ${o.endpoint} (${o.tls === 'implicit' ? 'implicit TLS' : 'STARTTLS'})`);
    parts.push(o.authUser === null ? 'no AUTH test' : `AUTH test as ${o.authUser}`);
    parts.push(`wait timeout ${o.timeoutMs} ms`);
    if (o.tlsCa !== null) parts.push(`extra CA ${o.tlsCa}`);
    if (o.insecure) parts.push('--insecure');
  } else if ('ip' in o) {
    parts.push(o.ip === null ? 'no client address (analysis only)' : `ip ${o.ip}`);
    if (o.sender !== null) parts.push(o.sender === '' ? 'null sender' : `sender ${o.sender}`);
    if (o.helo !== null) parts.push(`helo ${o.helo}`);
    parts.push(cloud(o.cloud), dns(o));
  } else {
    parts.push(`tenant ${o.tenant}`, cloud(o.cloud), dns(o));
  }
  return parts;
}

/** " Incomplete: interrupted after 64 of 256 rows read." for a run that did not cover its input; "" otherwise. */
function describeRows(run: RunInfo): string {
  if (run.complete !== false) return '';
  const of = run.rowsRead !== null && run.rowsReported !== null ? ` after ${run.rowsReported} of ${plural(run.rowsRead, 'row')} read` : '';
  if (run.stopped === 'interrupted') return ` Incomplete: interrupted${of}.`;
  if (run.stopped === 'dns-dead') {
    const why = run.deadServers && run.deadAfterMs !== undefined ? `: ${describeDnsSilence(run.deadServers, run.deadAfterMs)}` : ': no DNS server answered';
    return ` Incomplete: stopped${of}${why}.`;
  }
  if (run.reconstructed) return ` Incomplete: the file has no run line (its last line), so rows may be missing (${plural(run.rowsReported ?? 0, 'row')} in the file).`;
  // Every row read was reported, yet the input is not covered: shards merged without all of them.
  if (run.rowsRead !== null && run.rowsRead === run.rowsReported) return ` Incomplete: rows of the input are missing (${plural(run.rowsReported, 'row')} reported).`;
  return ` Incomplete: ${run.rowsReported ?? '?'} of ${run.rowsRead === null ? '?' : plural(run.rowsRead, 'row')} read were reported.`;
}
