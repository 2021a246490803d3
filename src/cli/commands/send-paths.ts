import { Command } from 'commander';
import { checkSendPaths, type SendPathsOAuth, type SendPathsOptions } from '../../audit/send-paths.js';
import { normalizeDomain } from '../../domain/normalize.js';
import { CLOUD_ENDPOINTS, type Cloud } from '../../m365/clouds.js';
import { parseConnectorCertificate } from '../../m365/connector.js';
import { renderSendPathsJson, renderSendPathsMarkdown, renderSendPathsTable } from '../../report/send-paths.js';
import { createTrail, endpointOf, type SendPathsRunInfo, type SendPathsRunOptions } from '../../report/run.js';
import { cleanText } from '../../report/safe-text.js';
import { parseEndpoint, SMTP_PORT, SUBMISSION_PORT, type Endpoint } from '../../smtp/endpoint.js';
import { DEFAULT_PROBE_TIMEOUT_MS, type ProbeAuth } from '../../smtp/probe.js';
import { parseClientIp } from '../../spf/ip.js';
import { describe } from '../command-table.js';
import { cloudOption, emit, exitCodeFor, failOnOption, positiveInt, singleChoiceOption, UsageError, useColor, type FailOn } from '../common.js';
import { addDnsOptions, dnsClientFromOptions, dnsTrail, type DnsCliOptions } from '../dns-options.js';
import type { CliRun } from '../io.js';
import { MAX_PROBE_TIMEOUT_MS, readCaFile } from '../probe-options.js';
import { readOptionFile } from '../read-file.js';
import { addZoneOption, zoneOverlayFromOptions, type ZoneCliOptions } from '../zone-overlay.js';
import { addAuthOptions, checkAuthOptions, resolvePendingAuth, type AuthCliOptions, type ResolvedAuth } from '../auth-options.js';

export const SEND_PATHS_FORMATS = ['table', 'json', 'markdown'] as const;

/** A certificate file larger than this is not a device certificate (a PEM chain is a few KiB). */
const MAX_CERT_FILE_BYTES = 1024 * 1024;
/** RFC 5321 4.5.3.1.1: a local part of at most 64 octets. */
const MAX_LOCAL_PART = 64;

export interface SendPathsCliOptions extends DnsCliOptions, ZoneCliOptions, AuthCliOptions {
  ip?: string;
  from?: string;
  cert?: string;
  cloud?: Cloud;
  probeHost?: string;
  probeMxPort?: number;
  probeTimeout?: number;
  tlsCa?: string;
  insecure?: boolean;
  format?: (typeof SEND_PATHS_FORMATS)[number];
  output?: string;
  failOn: FailOn;
  color?: boolean;
}

export function sendPathsCommand(run: CliRun): Command {
  const cmd = new Command('send-paths')
    .description(describe('send-paths'))
    .argument('<domain>', 'the domain the device sends as')
    .option('--ip <ip>', "the device's public IP address: checked against the From domain's SPF (direct send and relay)")
    .option('--from <address>', 'the From / MAIL FROM address the device uses (default postmaster@<domain>)')
    .option('--cert <file>', 'a PEM certificate the device presents to a certificate-based connector: its CN/SAN must name the domain')
    .addOption(cloudOption())
    .option('--probe-host <host[:port]>', "the submission endpoint to probe instead of the cloud's (port 587)")
    .option('--probe-mx-port <port>', 'port of the MX host probe (default 25; for relays and tests)', positiveInt('--probe-mx-port', 1, 65535))
    .option('--probe-timeout <ms>', `deadline of each SMTP wait, at most ${MAX_PROBE_TIMEOUT_MS} (default ${DEFAULT_PROBE_TIMEOUT_MS})`, positiveInt('--probe-timeout', 1, MAX_PROBE_TIMEOUT_MS))
    .option('--tls-ca <file>', 'also trust the CA certificate(s) in this PEM file for the probes')
    .option('--insecure', 'carry on past a certificate that does not verify (still reported), and allow the AUTH test over it')
    .addOption(singleChoiceOption('--format <format>', `output format: ${SEND_PATHS_FORMATS.join(', ')}`, SEND_PATHS_FORMATS, 'table'))
    .option('--output <file>', 'write the result to a file instead of stdout')
    .addOption(failOnOption())
    .option('--no-color', 'no colour (also NO_COLOR)');
  addAuthOptions(cmd);
  addDnsOptions(cmd);
  addZoneOption(cmd);
  return cmd.action(async (input: string, opts: SendPathsCliOptions) => {
    const norm = normalizeDomain(input);
    if (!norm.ok) throw new UsageError(`not a domain name: ${JSON.stringify(cleanText(input.slice(0, 256)))} (${norm.reason})`);
    const request = await sendPathsOptionsFromCli(run, opts);
    const startedAt = new Date();
    const dns = dnsClientFromOptions(opts);
    const overlay = await zoneOverlayFromOptions(opts, dns);
    const report = await checkSendPaths({ dns: overlay ?? dns, cloud: opts.cloud }, norm.domain, request);
    const trail = sendPathsTrail(opts, dns, report.cloud, request, startedAt);
    const format = opts.format ?? 'table';
    const text = format === 'json' ? renderSendPathsJson(report, trail)
      : format === 'markdown' ? renderSendPathsMarkdown(report, trail)
        : renderSendPathsTable(report, { color: useColor(run.io, opts), run: trail });
    await emit(run, text, opts);
    run.exitCode = exitCodeFor(report.findings, opts.failOn);
  });
}

/** Options to checkSendPaths' options; throws UsageError for bad input (one line, exit 2). */
export async function sendPathsOptionsFromCli(run: CliRun, opts: SendPathsCliOptions): Promise<SendPathsOptions> {
  if (opts.ip !== undefined && !parseClientIp(opts.ip)) throw new UsageError(`--ip: not an IP address: ${JSON.stringify(cleanText(opts.ip.slice(0, 256)))}`);
  const from = opts.from === undefined ? undefined : parseFromAddress(opts.from);
  let submission: Endpoint | undefined;
  if (opts.probeHost !== undefined) {
    submission = parseEndpoint(opts.probeHost, SUBMISSION_PORT) ?? undefined;
    if (!submission) throw new UsageError(`--probe-host: not a host[:port]: ${JSON.stringify(cleanText(opts.probeHost.slice(0, 256)))}`);
  }
  const ca = opts.tlsCa ? await readCaFile(opts.tlsCa) : undefined;
  const certificatePem = opts.cert === undefined ? undefined : await readCertificateFile(opts.cert);
  // The AUTH test's credentials exactly as `probe` reads them (src/cli/auth-options.ts): AUTH LOGIN
  // with a password, or with --oauth AUTH XOAUTH2 with a token (environment, stdin, or the grant).
  // The AUTH test's credentials exactly as `probe` reads them (src/cli/auth-options.ts): AUTH LOGIN with a
  // password, or with --oauth AUTH XOAUTH2 with a token (environment, stdin, or the grant). Every usage error
  // comes now, before any query; the grant runs once the domain's cloud is known (its login host and scope).
  const checked = await checkAuthOptions(run, opts, opts.cloud ?? 'worldwide', opts.cloud !== undefined);
  const credentials = checked ? async (cloud: Cloud) => toSendPaths(checked.kind === 'ready' ? checked.resolved : await resolvePendingAuth(checked, cloud, { ca, timeoutMs: opts.probeTimeout })) : undefined;
  return {
    ip: opts.ip?.trim(), from, submission, credentials, ca, certificatePem,
    mxPort: opts.probeMxPort, timeoutMs: opts.probeTimeout, insecure: opts.insecure === true,
  };
}

/** The shared options' credentials in checkSendPaths' terms: the test's credentials, and the token's origin or the grant's failure. */
function toSendPaths(r: ResolvedAuth): { auth?: ProbeAuth; oauth?: SendPathsOAuth } {
  const s = r.oauth;
  const oauth: SendPathsOAuth | undefined = !s ? undefined
    : s.ok ? { source: s.source, tenantId: s.tenantId, tokenUrl: s.tokenUrl }
      : { source: s.source, tokenUrl: s.tokenUrl, failure: s.failure };
  return { ...(r.auth ? { auth: r.auth } : {}), ...(oauth ? { oauth } : {}) };
}

/**
 * --from: `local@domain`, the domain as a domain name (IDN to ASCII), the
 * local part non-empty, at most 64 octets, without spaces or controls.
 * Returns `local@ascii-domain`; a usage error otherwise.
 */
export function parseFromAddress(value: string): string {
  const bad = (why: string): UsageError => new UsageError(`--from: not an email address: ${JSON.stringify(cleanText(value.slice(0, 256)))} (${why})`);
  const at = value.lastIndexOf('@');
  if (at < 0) throw bad('no @');
  const local = value.slice(0, at);
  if (local === '') throw bad('nothing before the @');
  if (Buffer.byteLength(local) > MAX_LOCAL_PART) throw bad(`the part before the @ is over ${MAX_LOCAL_PART} octets`);
  // Spaces, controls and a second @ outside quotes: not an address a device sends as.
  if (/[\s\p{Cc}@<>]/u.test(local)) throw bad('the part before the @ holds a space, a control character, @, < or >');
  const norm = normalizeDomain(value.slice(at + 1));
  if (!norm.ok) throw bad(norm.reason);
  return `${local}@${norm.domain}`;
}

/** --cert FILE: a PEM certificate that parses (a private key beside it is never read); a usage error otherwise. */
async function readCertificateFile(file: string): Promise<string> {
  const text = await readOptionFile(file, { flag: '--cert', maxBytes: MAX_CERT_FILE_BYTES });
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--cert ${file} holds no PEM certificate`);
  if (!parseConnectorCertificate(text)) throw new UsageError(`--cert ${file}: the certificate does not parse`);
  return text;
}

/** The run's audit trail: the inputs and the endpoints as used. Never a secret: the AUTH test's user name only. */
function sendPathsTrail(opts: SendPathsCliOptions, dns: ReturnType<typeof dnsClientFromOptions>, cloud: Cloud, req: SendPathsOptions, startedAt: Date): SendPathsRunInfo {
  const { resolvers, timeoutMs, retries } = dnsTrail(opts, dns);
  const options: SendPathsRunOptions = {
    ip: req.ip ?? null,
    from: req.from ?? null,
    cloud: opts.cloud ?? null,
    submission: endpointOf(req.submission ?? { host: CLOUD_ENDPOINTS[cloud].smtpHost, port: SUBMISSION_PORT }),
    authUser: opts.authUser ?? null,
    mxPort: req.mxPort ?? SMTP_PORT,
    probeTimeoutMs: req.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
    insecure: req.insecure === true,
    tlsCa: opts.tlsCa ?? null,
    cert: opts.cert ?? null,
    timeoutMs,
    retries,
    ...(opts.zone && opts.zone.length > 0 ? { zones: [...opts.zone] } : {}),
  };
  return createTrail({ startedAt, finishedAt: new Date(), resolvers, options });
}
