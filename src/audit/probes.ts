/**
 * The probes of a check or batch run (DESIGN: "probe as typed steps"; the
 * orchestration lives here so that library users have it too): the SMTP
 * submission probe once per run, and with `mx` each domain's MX host on port
 * 25, each distinct host once. Probe findings never change a domain's score
 * or grade.
 */
import { daneInputOf, regrade, type DomainReport } from './audit.js';
import type { AuditContext } from './context.js';
import { checkDane } from '../transport/dane.js';
import { canonicalName } from '../domain/name.js';
import { finding } from '../findings/catalog.js';
import { tempfailFinding } from '../findings/status.js';
import { CLOUD_ENDPOINTS, type Cloud } from '../m365/clouds.js';
import { SMTP_PORT, SUBMISSION_PORT, type Endpoint } from '../smtp/endpoint.js';
import type { LookupContext } from '../dns/context.js';
import type { DnsAnswer, DnsClient } from '../dns/types.js';
import { createEndpointProber, DEFAULT_PROBE_TIMEOUT_MS, probeSmtp, type SocketFactory } from '../smtp/probe.js';
import { reachability } from '../smtp/reachability.js';
import type { ProbeResult } from '../smtp/types.js';

/**
 * The probe options of a check or batch run (`--no-probe`, `--probe-host`,
 * `--cloud`, `--probe-mx`, `--probe-timeout`, `--tls-ca`, `--insecure`).
 */
export interface RunProberOptions {
  /** Probe the submission endpoint (false: --no-probe). */
  submission: boolean;
  /** The submission endpoint (--probe-host); default: the cloud's submission host on 587. */
  endpoint?: Endpoint | undefined;
  /** A cloud known before the run (--cloud): its submission probe starts at once. */
  cloud?: Cloud | undefined;
  /** Also probe each domain's MX host (--probe-mx). */
  mx?: boolean | undefined;
  /** Port of the MX probe (default 25). */
  mxPort?: number | undefined;
  /** Each SMTP wait (default DEFAULT_PROBE_TIMEOUT_MS). */
  timeoutMs?: number | undefined;
  /** Extra trusted CA(s), PEM. */
  ca?: string | undefined;
  /** Carry on past a certificate that does not verify (still reported). */
  insecure?: boolean | undefined;
}

/**
 * The probes of one run: the submission probe once, each MX host once.
 * Made by createRunProber; its methods resolve with results and never throw
 * for network outcomes (they are findings).
 */
export interface RunProber {
  /** The submission probe: --probe-host (or --cloud's host, started at once), else the submission host of `cloud` (the run's most common: see createCloudTally). */
  submission(cloud: Cloud): Promise<ProbeResult | null>;
  /**
   * Probes the domain's MX host on port 25 (each distinct host once per run)
   * and attaches it as `report.mxProbe`. The host's address comes from the
   * context's DnsClient (the audit's own), so --dns-server applies to the
   * probe as it does to the audit. Does nothing without `mx` or an MX host.
   */
  attachMx(ctx: AuditContext, report: DomainReport): Promise<void>;
}

/**
 * One probe per distinct endpoint per run (createEndpointProber de-duplicates):
 * the submission host once, each MX host once however many domains share it.
 * Probe findings never change a domain's score or grade.
 */
export function createRunProber(opts: RunProberOptions): RunProber {
  const { ca } = opts;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const prober = createEndpointProber({ timeoutMs, ca, insecure: opts.insecure });
  const explicit = opts.endpoint ?? null;
  const mxProbes = new Map<string, Promise<ProbeResult>>();
  let submission: Promise<ProbeResult> | null = null;
  if (opts.submission && explicit) submission = prober.probe({ host: explicit.host, port: explicit.port });
  else if (opts.submission && opts.cloud) submission = prober.probe({ host: CLOUD_ENDPOINTS[opts.cloud].smtpHost, port: SUBMISSION_PORT });
  return {
    async submission(cloud) {
      if (!opts.submission) return null;
      if (!submission) {
        submission = prober.probe({ host: CLOUD_ENDPOINTS[cloud].smtpHost, port: SUBMISSION_PORT });
      }
      return submission;
    },
    async attachMx(ctx, report) {
      if (!opts.mx || !report.mx) return;
      const host = report.mx.m365Host ?? report.mx.hosts.find((h) => h.kind !== 'null')?.exchange;
      if (!host) return;
      const port = opts.mxPort ?? SMTP_PORT;
      let p = mxProbes.get(host);
      if (!p) {
        p = probeMxHost(ctx, host, { port, timeoutMs, ca, insecure: opts.insecure });
        mxProbes.set(host, p);
      }
      const result = await p;
      // A failed lookup is not an answer: the next domain with this MX host asks again.
      if (reachability(result) === 'not probed' && mxProbes.get(host) === p) mxProbes.delete(host);
      report.mxProbe = { ...result, host };
      await matchDane(ctx, report, host, result);
    },
  };
}

/**
 * DANE with the chain the MX host presented (RFC 7672 §3): the TLSA records
 * (already asked: the secure client caches them) matched against it, the
 * dane area's findings replaced and the report regraded. Nothing to do
 * without a DANE section, a DNSSEC one, or a chain.
 */
async function matchDane(ctx: AuditContext, report: DomainReport, host: string, result: ProbeResult): Promise<void> {
  const chain = result.certificate;
  if (!report.dane || !report.dnssec || !report.mx || !chain?.chain) return;
  const dane = await checkDane(ctx, daneInputOf(report.mx), { dnssec: report.dnssec, chains: new Map([[canonicalName(host), chain]]) });
  report.dane = dane.section;
  report.findings = [...report.findings.filter((f) => f.area !== 'dane'), ...dane.findings];
  regrade(report);
}

/** How probeMxHost probes: the port (default 25), each wait, trust, and a socket factory (tests). */
export interface MxProbeOptions {
  /** Default 25 (SMTP_PORT). */
  port?: number | undefined;
  /** Each SMTP wait (default DEFAULT_PROBE_TIMEOUT_MS). */
  timeoutMs?: number | undefined;
  /** Extra trusted CA(s), PEM. */
  ca?: string | undefined;
  /** Carry on past a certificate that does not verify (still reported). */
  insecure?: boolean | undefined;
  /** Socket factory (ProbeOptions.connect); default net.connect. */
  connect?: SocketFactory | undefined;
}

/**
 * Probes an MX host as a sending server meets it: STARTTLS on port 25, no
 * AUTH expected (Microsoft's MX offers none), the certificate verified for
 * the host's name. Its address comes from `ctx.dns` (the audit's resolver,
 * so --dns-server applies); a host with no address is reported without a
 * socket opened (SMTP_UNREACHABLE, or DNS_TEMPFAIL when a lookup failed).
 * Never throws for network outcomes.
 */
export async function probeMxHost(ctx: LookupContext, host: string, opts: MxProbeOptions = {}): Promise<ProbeResult> {
  const port = opts.port ?? SMTP_PORT;
  const found = await addressOf(ctx.dns, host);
  // No address through the audit's resolver: say so, rather than ask the system resolver behind --dns-server's back.
  if (typeof found !== 'string') return unresolvedProbe(host, port, found);
  return probeSmtp({ host: found, servername: host, port, timeoutMs: opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, ca: opts.ca, insecure: opts.insecure, expectAuth: false, connect: opts.connect });
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

