import { getServers } from 'node:dns';
import { isIP } from 'node:net';
import { Command } from 'commander';
import type { Cloud } from '../../m365/clouds.js';
import { CLOUD_ENDPOINTS } from '../../m365/clouds.js';
import { createTrail, endpointOf, type ProbeRunInfo, type ProbeRunOptions } from '../../report/run.js';
import { cleanText } from '../../report/safe-text.js';
import { IMPLICIT_TLS_PORT, parseEndpoint, SUBMISSION_PORT } from '../../smtp/endpoint.js';
import { DEFAULT_PROBE_TIMEOUT_MS, probeSmtp, type ProbeOptions } from '../../smtp/probe.js';
import { renderProbeJson, renderProbeTable } from '../../report/probe.js';
import type { ProbeResult, TranscriptLine } from '../../smtp/types.js';
import { cloudOption, emit, exitCodeFor, failOnOption, positiveInt, singleChoiceOption, UsageError, useColor, warn, type FailOn } from '../common.js';
import type { CliRun } from '../io.js';
import { describe } from '../command-table.js';
import { MAX_PROBE_TIMEOUT_MS, readCaFile } from '../probe-options.js';
import { addAuthOptions, finishOAuth, readAuthOptions, type AuthCliOptions, type OAuthState } from '../auth-options.js';

export interface ProbeCliOptions extends AuthCliOptions {
  cloud?: Cloud;
  tls?: boolean;
  timeout?: number;
  format?: 'table' | 'json';
  output?: string;
  tlsCa?: string;
  insecure?: boolean;
  trace?: boolean;
  failOn: FailOn;
  color?: boolean;
}

export function probeCommand(run: CliRun): Command {
  const cmd = new Command('probe')
    .description(describe('probe'))
    .argument('[host[:port]]', 'SMTP endpoint: host, host:port or [IPv6]:port')
    .addOption(cloudOption(false))
    .option('--tls', `implicit TLS from the first byte (default port ${IMPLICIT_TLS_PORT}) instead of STARTTLS`)
    .option('--timeout <ms>', `deadline of each wait in ms, at most ${MAX_PROBE_TIMEOUT_MS} (default ${DEFAULT_PROBE_TIMEOUT_MS}); the whole probe gets three times that`, positiveInt('--timeout', 1, MAX_PROBE_TIMEOUT_MS))
    .addOption(singleChoiceOption('--format <format>', 'output format: table, json', ['table', 'json'], 'table'))
    .option('--output <file>', 'write the result to a file instead of stdout')
    .option('--tls-ca <file>', 'also trust the CA certificate(s) in this PEM file')
    .option('--insecure', 'carry on past a certificate that does not verify (still reported), and allow the AUTH test over it');
  return addAuthOptions(cmd)
    .option('--trace', 'print the SMTP conversation to stderr (the password and the token are masked)')
    .addOption(failOnOption())
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (target: string | undefined, opts: ProbeCliOptions) => {
      const { probe, oauth } = await probeOptionsFromCli(run, target, opts);
      const startedAt = new Date();
      const result = finishOAuth(await probeSmtp(probe), oauth, { cloud: opts.cloud ?? 'worldwide', now: new Date() });
      const trail = probeTrail(result, probe, opts, startedAt);
      const text = opts.format === 'json' ? renderProbeJson(result, trail) : renderProbeTable(result, { color: useColor(run.io, opts), run: trail });
      await emit(run, text, opts);
      if (result.auth?.outcome === 'not-sent') {
        warn(run, `credentials not sent: ${cleanText(result.auth.reason ?? 'the connection is not safe')}`);
        run.exitCode = 2;
        return;
      }
      run.exitCode = exitCodeFor(result.findings, opts.failOn);
    });
}

/**
 * The probe's audit trail. A host name is looked up by the system
 * (getaddrinfo, as net.connect does: the hosts file, then the system's
 * resolvers); an address needs no DNS. The password is never part of it.
 */
function probeTrail(result: ProbeResult, probe: ProbeOptions, opts: ProbeCliOptions, startedAt: Date): ProbeRunInfo {
  return createTrail<ProbeRunOptions>({
    startedAt,
    finishedAt: new Date(),
    resolvers: isIP(result.host) === 0 ? getServers() : [],
    options: {
      endpoint: endpointOf(result),
      tls: result.tls,
      authUser: probe.auth?.user ?? null,
      timeoutMs: probe.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      insecure: probe.insecure === true,
      tlsCa: opts.tlsCa ?? null,
    },
  });
}

/** Options to probe arguments, and the XOAUTH2 token's state (in hand, or the grant's failure); throws UsageError for bad input. */
export async function probeOptionsFromCli(run: CliRun, target: string | undefined, opts: ProbeCliOptions): Promise<{ probe: ProbeOptions; oauth: OAuthState | null }> {
  const cloud: Cloud = opts.cloud ?? 'worldwide';
  const defaultPort = opts.tls ? IMPLICIT_TLS_PORT : SUBMISSION_PORT;
  const endpoint = parseEndpoint(target ?? CLOUD_ENDPOINTS[cloud].smtpHost, defaultPort);
  if (!endpoint) throw new UsageError(`not a host or host:port: ${JSON.stringify(cleanText(target ?? ''))}`);
  const probe: ProbeOptions = {
    host: endpoint.host,
    port: endpoint.port,
    tls: opts.tls ? 'implicit' : 'starttls',
    timeoutMs: opts.timeout ?? DEFAULT_PROBE_TIMEOUT_MS,
    insecure: opts.insecure === true,
  };
  if (opts.tlsCa) probe.ca = await readCaFile(opts.tlsCa);
  // --tls-ca also serves the grant's token endpoint.
  const credentials = await readAuthOptions(run, opts, { cloud, ca: probe.ca, timeoutMs: probe.timeoutMs });
  if (credentials?.auth) probe.auth = credentials.auth;
  if (opts.trace) probe.onTranscript = (line) => void run.io.stderr.write(traceLine(line));
  return { probe, oauth: credentials?.oauth ?? null };
}

function traceLine(line: TranscriptLine): string {
  return `${line.text.split('\n').map((l) => `${line.dir}: ${cleanText(l)}`).join('\n')}\n`;
}
