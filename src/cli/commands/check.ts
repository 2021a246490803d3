import { reachability } from '../../smtp/reachability.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { auditDomain, type DomainReport } from '../../audit/audit.js';
import type { AuditContext } from '../../audit/context.js';
import { limitWhile } from '../../audit/batch.js';
import type { Cloud } from '../../m365/clouds.js';
import { FORMATS, renderChunks, type Format } from '../../report/render.js';
import { MAX_COLUMNS } from '../../report/html.js';
import type { ProbeResult } from '../../smtp/types.js';
import { exitCodeFor, failOnOption, interruptOnSigint, singleChoiceOption, UsageError, useColor, cloudOption, type FailOn } from '../common.js';
import { addDnsOptions, collectSelector, parseTenant, dnsClientFromOptions, type DnsCliOptions } from '../dns-options.js';
import type { CliRun } from '../io.js';
import { addTransportOptions, transportFromOptions, type TransportCliOptions } from '../transport-options.js';
import { emitChunks } from '../output.js';
import { mostCommonCloud } from '../../audit/probes.js';
import { describe } from '../command-table.js';
import { addProbeOptions, createRunProber, finishRun, readCaFile, rejectProbeConflicts, type RunProbeOptions } from '../probe-options.js';
import { addZoneOption, auditThroughOverlay, zoneOverlayFromOptions, type AuditOne, type ZoneCliOptions } from '../zone-overlay.js';

export interface CheckOptions extends DnsCliOptions, RunProbeOptions, ZoneCliOptions, TransportCliOptions {
  cloud?: Cloud;
  format?: Format;
  csvRows?: 'domains' | 'findings';
  output?: string;
  failOn: FailOn;
  color?: boolean;
  tenant?: string;
  selector?: string[];
  title?: string;
}

export function formatOption(): Option {
  return singleChoiceOption('--format <format>', `output format: ${FORMATS.join(', ')}`, FORMATS, 'table');
}

export function csvRowsOption(): Option {
  return new Option('--csv-rows <rows>', 'csv: one row per domain, or one row per finding (default: domains)').choices(['domains', 'findings']);
}

/** The formats with a heading --title sets. */
const TITLED_FORMATS: readonly string[] = ['markdown', 'text', 'html'];
/** A title longer than this is a mistake (a file pasted into the option): refused. */
const MAX_TITLE = 200;

export function titleOption(): Option {
  return new Option('--title <text>', 'the heading of markdown, text and html output, e.g. "Contoso migration wave 3"').argParser((value: string) => {
    const title = value.trim();
    if (title === '') throw new InvalidArgumentError('--title needs some text.');
    if ([...title].length > MAX_TITLE) throw new InvalidArgumentError(`--title takes at most ${MAX_TITLE} characters.`);
    return title;
  });
}

/** --columns client,owner: input CSV columns as columns of the HTML readiness table. */
export function columnsOption(): Option {
  return new Option('--columns <names>', `html: input CSV columns shown in the readiness table, comma-separated (at most ${MAX_COLUMNS}), e.g. client,owner`).argParser((value: string) => {
    const names = value.split(',').map((n) => n.trim());
    if (names.some((n) => n === '')) throw new InvalidArgumentError('--columns takes column names separated by commas, none empty.');
    if (names.length > MAX_COLUMNS) throw new InvalidArgumentError(`--columns takes at most ${MAX_COLUMNS} names.`);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw new InvalidArgumentError(`--columns names ${twice} twice.`);
    return names;
  });
}

/** --title and --columns only mean something with the formats that show them. */
export function rejectReportOptionsElsewhere(opts: { format?: string; title?: string; columns?: string[] }): void {
  const format = opts.format ?? 'table';
  if (opts.title !== undefined && !TITLED_FORMATS.includes(format)) throw new UsageError(`--title needs --format ${TITLED_FORMATS.join(', ')}`);
  if (opts.columns !== undefined && format !== 'html') throw new UsageError('--columns needs --format html');
}

/** --csv-rows only means something with --format csv. */
export function rejectCsvRowsWithoutCsv(opts: { format?: string; csvRows?: string }): void {
  if (opts.csvRows !== undefined && opts.format !== 'csv') throw new UsageError('--csv-rows needs --format csv');
}

export function checkCommand(run: CliRun): Command {
  const cmd = new Command('check')
    .description(describe('check'))
    .argument('<domain...>', 'domains (URLs and e-mail addresses are audited as their host)');
  addDnsOptions(cmd)
    .addOption(cloudOption())
    .addOption(formatOption())
    .addOption(csvRowsOption())
    .option('--output <file>', 'write the result to a file instead of stdout')
    .addOption(titleOption())
    .option('--tenant <prefix>', 'initial-domain prefix (contoso for contoso.onmicrosoft.com), before the DKIM CNAMEs exist', parseTenant)
    .option('--selector <name>', 'also check this DKIM selector (repeatable)', collectSelector);
  addZoneOption(cmd);
  addTransportOptions(cmd);
  addProbeOptions(cmd)
    .addOption(failOnOption())
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (domains: string[], opts: CheckOptions) => {
      rejectCsvRowsWithoutCsv(opts);
      rejectReportOptionsElsewhere(opts);
      rejectProbeConflicts(cmd);
      const format = opts.format ?? 'table';
      const startedAt = new Date();
      const live = dnsClientFromOptions(opts);
      const { dns, ...transport } = transportFromOptions(opts, live, opts.tlsCa ? await readCaFile(opts.tlsCa) : undefined);
      const overlay = await zoneOverlayFromOptions(opts, dns);
      const ctx: AuditContext = { ...transport, dns: overlay ?? dns, cloud: opts.cloud, tenant: opts.tenant, selectors: opts.selector };
      const prober = await createRunProber(opts);
      const controller = new AbortController();
      const stopListening = interruptOnSigint(run, controller);
      try {
        const reports = await runChecks(ctx, domains, (r) => prober.attachMx(ctx, r), controller.signal, auditThroughOverlay(overlay, opts.zone ?? []));
        const interrupted = controller.signal.aborted;
        // Interrupted: write the domains that finished, without starting the submission probe.
        const probe = interrupted ? null : await prober.submission(mostCommonCloud(reports));
        const rows = { read: domains.length, reported: reports.length, inputEnded: true, stopped: interrupted ? { reason: 'interrupted' as const } : null };
        const trail = finishRun({ startedAt, dns: ctx.dns, probe, opts, rows });
        await emitChunks(run, renderChunks(format, reports, probe, { color: useColor(run.io, opts), csvRows: opts.csvRows, run: trail, title: opts.title }), opts);
        if (probe && format === 'jsonl') run.io.stderr.write(renderProbeNote(probe));
        run.exitCode = controller.signal.aborted ? 130 : exitCodeFor(allFindings(reports, probe), opts.failOn);
      } finally {
        stopListening();
      }
    });
  return cmd;
}

/** Domains of one `check` audited at once (a long argument list is a batch in disguise). */
const CHECK_CONCURRENCY = 32;

/**
 * Audits the domains a few at a time; reports in input order. Once `signal`
 * is aborted no further domain is started: the result holds those that finished.
 */
export async function runChecks(ctx: AuditContext, domains: readonly string[], enrich?: (r: DomainReport) => Promise<void>, signal?: AbortSignal, audit: AuditOne = auditDomain): Promise<DomainReport[]> {
  const limit = limitWhile(CHECK_CONCURRENCY, () => !signal?.aborted);
  const reports = await Promise.all(domains.map((d) => limit(async () => {
    const r = await audit(ctx, d);
    await enrich?.(r);
    return r;
  })));
  return reports.filter((r): r is DomainReport => r !== null);
}

/** Domain findings and probe findings: the exit code counts both (DESIGN). */
export function allFindings(reports: readonly DomainReport[], probe: ProbeResult | null): { severity: string }[] {
  return [...reports.flatMap((r) => [...r.findings, ...(r.mxProbe?.findings ?? [])]), ...(probe?.findings ?? [])];
}

/** jsonl keeps stdout to one report a line: the probe goes to stderr as text. */
export function renderProbeNote(p: ProbeResult): string {
  const codes = p.findings.map((f) => f.code).join(', ') || 'no findings';
  return `probe ${p.host}:${p.port}: ${reachability(p)}${p.tlsVersion ? `, ${p.tlsVersion}` : ''}; ${codes}\n`;
}
