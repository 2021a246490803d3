import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { DomainReport } from '../audit/audit.js';
import { finding } from '../findings/catalog.js';
import { tempfailFinding } from '../findings/status.js';
import { reachability } from '../report/probe-summary.js';
import { CLOUD_ENDPOINTS, type Cloud } from '../m365/clouds.js';
import { parseEndpoint, SMTP_PORT, SUBMISSION_PORT } from '../smtp/endpoint.js';
import type { DnsAnswer, DnsClient } from '../dns/types.js';
import { createEndpointProber, DEFAULT_PROBE_TIMEOUT_MS, probeSmtp } from '../smtp/probe.js';
import type { ProbeResult } from '../smtp/types.js';
import { cleanText } from '../report/safe-text.js';
import { createRunInfo, type RunInfo, type RunRows } from '../report/run.js';
import { positiveInt, rejectConflicts, UsageError } from './common.js';
import { dnsTrail } from './dns-options.js';

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
    .option('--tls-ca <file>', 'also trust the CA certificate(s) in this PEM file for the probes')
    .option('--insecure', 'carry on past a certificate that does not verify (still reported)');
}

/** The probe's wait deadline, like --timeout, has an upper bound: beyond it a value is a typo. */
export const MAX_PROBE_TIMEOUT_MS = 120_000;

/** --no-probe with an option that only tunes the submission probe is a contradiction (exit 2). */
export function rejectProbeConflicts(cmd: Command): void {
  // --tls-ca and --insecure also serve --probe-mx, so they only conflict without it.
  const mx = cmd.getOptionValue('probeMx') === true;
  rejectConflicts(cmd, [
    ['probe', 'probeHost', 'there is no submission probe to point elsewhere'],
    ...(mx ? [] : ([
      ['probe', 'tlsCa', 'no probe would use the CA (add --probe-mx to probe MX hosts)'],
      ['probe', 'insecure', 'no probe would use it (add --probe-mx to probe MX hosts)'],
    ] as [string, string, string][])),
  ]);
}

/** A PEM file of CA certificates, or a usage error naming why not. */
export async function readCaFile(file: string, flag = '--tls-ca'): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`${flag} ${file} holds no PEM certificate`);
  try {
    new X509Certificate(text);
  } catch {
    throw new UsageError(`${flag} ${file}: the certificate does not parse`);
  }
  return text;
}

export interface RunProber {
  /** The submission probe: --probe-host (or --cloud's host, started at once), else the submission host of `cloud` (the run's most common: see createCloudTally). */
  submission(cloud: Cloud): Promise<ProbeResult | null>;
  /**
   * Probes the domain's MX host on port 25 (each distinct host once per run)
   * and attaches it. The host's address comes from the audit's own DnsClient,
   * so --dns-server applies to the probe as it does to the audit.
   */
  attachMx(report: DomainReport, dns: DnsClient): Promise<void>;
}

/**
 * One probe per distinct endpoint per run (createEndpointProber de-duplicates):
 * the submission host once, each MX host once however many domains share it.
 * Probe findings never change a domain's score or grade.
 */
export async function createRunProber(opts: RunProbeOptions): Promise<RunProber> {
  const explicit = opts.probeHost ? parseEndpoint(opts.probeHost, SUBMISSION_PORT) : null;
  if (opts.probeHost && !explicit) throw new UsageError(`--probe-host: not a host[:port]: ${JSON.stringify(cleanText(opts.probeHost))}`);
  let ca: string | undefined = opts.caPem;
  if (opts.tlsCa) ca = await readCaFile(opts.tlsCa);
  const prober = createEndpointProber({ timeoutMs: opts.probeTimeout ?? DEFAULT_PROBE_TIMEOUT_MS, ca, insecure: opts.insecure });
  const timeoutMs = opts.probeTimeout ?? DEFAULT_PROBE_TIMEOUT_MS;
  const mxProbes = new Map<string, Promise<ProbeResult>>();
  let submission: Promise<ProbeResult> | null = null;
  if (opts.probe && explicit) submission = prober.probe({ host: explicit.host, port: explicit.port });
  else if (opts.probe && opts.cloud) submission = prober.probe({ host: CLOUD_ENDPOINTS[opts.cloud].smtpHost, port: SUBMISSION_PORT });
  return {
    async submission(cloud) {
      if (!opts.probe) return null;
      if (!submission) {
        submission = prober.probe({ host: CLOUD_ENDPOINTS[cloud].smtpHost, port: SUBMISSION_PORT });
      }
      return submission;
    },
    async attachMx(report, dns) {
      if (!opts.probeMx || !report.mx) return;
      const host = report.mx.m365Host ?? report.mx.hosts.find((h) => h.kind !== 'null')?.exchange;
      if (!host) return;
      const port = opts.probeMxPort ?? SMTP_PORT;
      let p = mxProbes.get(host);
      if (!p) {
        p = (async () => {
          const found = await addressOf(dns, host);
          // No address through the audit's resolver: say so, rather than ask the system resolver behind --dns-server's back.
          if (typeof found !== 'string') return unresolvedProbe(host, port, found);
          return probeSmtp({ host: found, servername: host, port, timeoutMs, ca, insecure: opts.insecure, expectAuth: false });
        })();
        mxProbes.set(host, p);
      }
      const result = await p;
      // A failed lookup is not an answer: the next domain with this MX host asks again.
      if (reachability(result) === 'not probed' && mxProbes.get(host) === p) mxProbes.delete(host);
      report.mxProbe = { ...result, host };
    },
  };
}

type Unresolved = { a: DnsAnswer<string>; aaaa: DnsAnswer<string> };

/** The host's first IPv4 address, else its first IPv6 one, else what the two lookups answered. */
async function addressOf(dns: DnsClient, host: string): Promise<string | Unresolved> {
  const a = await dns.resolve(host, 'A');
  if (a.kind === 'records' && a.records[0]) return a.records[0];
  const aaaa = await dns.resolve(host, 'AAAA');
  if (aaaa.kind === 'records' && aaaa.records[0]) return aaaa.records[0];
  return { a, aaaa };
}

/**
 * The MX probe of a host with no address, with no socket opened: not
 * reachable when both lookups said so; unknown (DNS_TEMPFAIL) when one failed,
 * since the host may well have an address.
 */
function unresolvedProbe(host: string, port: number, { a, aaaa }: Unresolved): ProbeResult {
  const failed = a.kind === 'tempfail' ? { type: 'A' as const, answer: a } : aaaa.kind === 'tempfail' ? { type: 'AAAA' as const, answer: aaaa } : null;
  const say = (x: DnsAnswer<string>): string => (x.kind === 'nxdomain' ? 'NXDOMAIN' : 'no records');
  const found = failed
    ? { ...tempfailFinding(host, failed.type, failed.answer), message: `${host}:${port} was not probed: the ${failed.type} lookup for it failed (${failed.answer.reason}).` }
    : finding('SMTP_UNREACHABLE', `${host}:${port}: the host name does not resolve, so it was not probed.`, {
        evidence: `A: ${say(a)}; AAAA: ${say(aaaa)}`,
        fix: 'Publish the MX host\'s address records (for Microsoft 365, the MX value from the admin center), or fix the MX record.',
      });
  return {
    host, port, tls: 'starttls', reachable: false, banner: null, ehlo: { beforeTls: null, afterTls: null },
    starttls: null, tlsVersion: null, cipher: null, certificate: null, authMechanisms: null, auth: null,
    findings: [found],
    timing: { connectMs: null, bannerMs: null, tlsMs: null, totalMs: 0 },
  };
}

/**
 * Counts the clouds of a run's domains as they come (four counters, however
 * many rows) for the submission probe's host: the most common cloud, the
 * first seen on a tie, worldwide when no row is a domain.
 */
export function createCloudTally(): { add(r: Pick<DomainReport, 'domain' | 'cloud'>): void; mostCommon(): Cloud } {
  const counts = new Map<Cloud, number>();
  return {
    add(r) {
      if (r.domain) counts.set(r.cloud, (counts.get(r.cloud) ?? 0) + 1);
    },
    mostCommon() {
      let best: Cloud = 'worldwide';
      let n = 0;
      for (const [c, k] of counts) if (k > n) [best, n] = [c, k];
      return best;
    },
  };
}

/** The most common cloud of these reports (see createCloudTally). */
export function mostCommonCloud(reports: Iterable<Pick<DomainReport, 'domain' | 'cloud'>>): Cloud {
  const tally = createCloudTally();
  for (const r of reports) tally.add(r);
  return tally.mostCommon();
}

/** What a command knows of its run at the end, for the audit trail (JSON `run`, the footers, jsonl's last line). */
export interface RunTrail {
  startedAt: Date;
  dns: DnsClient;
  probe: ProbeResult | null;
  opts: RunProbeOptions & { timeout?: number | undefined; retries?: number | undefined; tenant?: string | undefined; selector?: string[] | undefined };
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
    rows: t.rows,
  });
}
