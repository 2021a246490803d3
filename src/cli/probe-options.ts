import { X509Certificate } from 'node:crypto';
import type { Command } from 'commander';
import type { Cloud } from '../m365/clouds.js';
import { parseEndpoint, SMTP_PORT, SUBMISSION_PORT } from '../smtp/endpoint.js';
import type { DnsClient } from '../dns/types.js';
import { DEFAULT_PROBE_TIMEOUT_MS } from '../smtp/probe.js';
import { createRunProber as createProber, type RunProber } from '../audit/probes.js';
import type { ProbeResult } from '../smtp/types.js';
import { cleanText } from '../report/safe-text.js';
import { createRunInfo, type RunInfo, type RunRows } from '../report/run.js';
import { positiveInt, rejectConflicts, UsageError } from './common.js';
import { dnsTrail } from './dns-options.js';
import { readOptionFile } from './read-file.js';

export interface RunProbeOptions {
  probe: boolean;
  probeHost?: string;
  probeMx?: boolean;
  probeTimeout?: number;
  /** Port of the MX probe (default 25). */
  probeMxPort?: number;
  tlsCa?: string;
  /** A CA given as PEM text rather than a file (the demo's loopback endpoint). */
  caPem?: string;
  insecure?: boolean;
  cloud?: Cloud;
}

/** The probe options shared by check and batch. */
export function addProbeOptions(cmd: Command): Command {
  return cmd
    .option('--no-probe', 'skip the SMTP submission probe')
    .option('--probe-host <host[:port]>', "probe this SMTP endpoint instead of the cloud's submission host (port 587)")
    .option('--probe-mx', "also probe each domain's MX host on port 25 (STARTTLS, no AUTH)")
    .option('--probe-mx-port <port>', 'port of the MX probe (default 25; for relays and tests)', positiveInt('--probe-mx-port', 1, 65535))
    .option('--probe-timeout <ms>', `deadline of each SMTP wait, at most ${MAX_PROBE_TIMEOUT_MS} (default ${DEFAULT_PROBE_TIMEOUT_MS})`, positiveInt('--probe-timeout', 1, MAX_PROBE_TIMEOUT_MS))
    .option('--tls-ca <file>', 'also trust the CA certificate(s) in this PEM file for the probes and the MTA-STS policy fetch')
    .option('--insecure', 'carry on past a certificate that does not verify (still reported)');
}

/** The probe's wait deadline, like --timeout, has an upper bound: beyond it a value is a typo. */
export const MAX_PROBE_TIMEOUT_MS = 120_000;

/** --no-probe with an option that only tunes the submission probe is a contradiction (exit 2). */
export function rejectProbeConflicts(cmd: Command): void {
  // --insecure also serves --probe-mx, so it only conflicts without it; --tls-ca also serves the MTA-STS policy fetch.
  const mx = cmd.getOptionValue('probeMx') === true;
  rejectConflicts(cmd, [
    ['probe', 'probeHost', 'there is no submission probe to point elsewhere'],
    ...(mx ? [] : ([
      ['probe', 'insecure', 'no probe would use it (add --probe-mx to probe MX hosts)'],
    ] as [string, string, string][])),
  ]);
}

/** Largest --tls-ca file read: a bundle of a few hundred CA certificates (Mozilla's whole store is about 220 KiB). */
export const MAX_CA_FILE_BYTES = 1024 * 1024;

/** A PEM file of CA certificates, or a usage error naming why not. */
export async function readCaFile(file: string, flag = '--tls-ca'): Promise<string> {
  const text = await readOptionFile(file, { flag, maxBytes: MAX_CA_FILE_BYTES });
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`${flag} ${file} holds no PEM certificate`);
  try {
    new X509Certificate(text);
  } catch {
    throw new UsageError(`${flag} ${file}: the certificate does not parse`);
  }
  return text;
}

/**
 * The run's prober from the command line's options: --probe-host parsed,
 * --tls-ca read (a usage error when either is bad), the rest handed to the
 * library's createRunProber (audit/probes.ts).
 */
export type { RunProber };

export async function createRunProber(opts: RunProbeOptions): Promise<RunProber> {
  const endpoint = opts.probeHost ? parseEndpoint(opts.probeHost, SUBMISSION_PORT) : null;
  if (opts.probeHost && !endpoint) throw new UsageError(`--probe-host: not a host[:port]: ${JSON.stringify(cleanText(opts.probeHost))}`);
  const ca = opts.tlsCa ? await readCaFile(opts.tlsCa) : opts.caPem;
  return createProber({
    submission: opts.probe,
    endpoint: endpoint ?? undefined,
    cloud: opts.cloud,
    mx: opts.probeMx === true,
    mxPort: opts.probeMxPort,
    timeoutMs: opts.probeTimeout,
    ca,
    insecure: opts.insecure,
  });
}

/** What a command knows of its run at the end, for the audit trail (JSON `run`, the footers, jsonl's last line). */
export interface RunTrail {
  startedAt: Date;
  dns: DnsClient;
  probe: ProbeResult | null;
  opts: RunProbeOptions & { timeout?: number | undefined; retries?: number | undefined; tenant?: string | undefined; selector?: string[] | undefined; zone?: string[] | undefined };
  /** How far the run got through its input (complete, stopped, rows read and reported). */
  rows: RunRows;
  clock?: () => Date;
}

/** The run object of a check, batch or demo run that ends now. */
export function finishRun(t: RunTrail): RunInfo {
  const { opts } = t;
  const { resolvers, timeoutMs, retries } = dnsTrail(opts, t.dns);
  return createRunInfo({
    startedAt: t.startedAt,
    finishedAt: (t.clock ?? (() => new Date()))(),
    resolvers,
    cloud: opts.cloud,
    tenant: opts.tenant,
    selectors: opts.selector,
    probe: t.probe,
    probeMx: opts.probeMx ? (opts.probeMxPort ?? SMTP_PORT) : null,
    timeoutMs,
    retries,
    zones: opts.zone,
    rows: t.rows,
  });
}
