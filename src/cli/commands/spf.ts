import { Command } from 'commander';
import { normalizeDomain } from '../../domain/normalize.js';
import type { Cloud } from '../../m365/clouds.js';
import { createTrail } from '../../report/run.js';
import { cleanText } from '../../report/safe-text.js';
import { spfIdentity } from '../../spf/evaluate.js';
import { parseClientIp } from '../../spf/ip.js';
import { renderSpfJson, renderSpfTable } from '../../report/spf.js';
import { auditSpf, type SpfRequest } from '../../spf/report.js';
import { emit, exitCodeFor, failOnOption, singleChoiceOption, UsageError, cloudOption, type FailOn } from '../common.js';
import { addDnsOptions, dnsClientFromOptions, dnsTrail, type DnsCliOptions } from '../dns-options.js';
import type { CliRun } from '../io.js';
import { describe } from '../command-table.js';

export interface SpfCliOptions extends DnsCliOptions {
  ip?: string;
  sender?: string;
  helo?: string;
  cloud?: Cloud;
  format?: 'table' | 'json';
  output?: string;
  failOn: FailOn;
}

export function spfCommand(run: CliRun): Command {
  const cmd = new Command('spf')
    .description(describe('spf'))
    .argument('[domain]', "the domain whose policy is checked (default: --sender's domain, or --helo for an empty sender)")
    .option('--ip <ip>', 'the SMTP client address to evaluate (IPv4 or IPv6); without it, analysis and findings only')
    .option('--sender <addr>', 'MAIL FROM (default postmaster@<domain>; "" is the null sender, checked as postmaster@<helo>)')
    .option('--helo <name>', 'HELO/EHLO name, for the %{h} macro (default: the domain)')
    .addOption(cloudOption())
    .addOption(singleChoiceOption('--format <format>', 'output format: table, json', ['table', 'json'], 'table'))
    .option('--output <file>', 'write the result to a file instead of stdout')
    .addOption(failOnOption());
  addDnsOptions(cmd);
  return cmd.action(async (domain: string | undefined, opts: SpfCliOptions) => {
    const req = spfRequestFromCli(domain, opts);
    const startedAt = new Date();
    const dns = dnsClientFromOptions(opts);
    const report = await auditSpf({ dns }, req);
    const { resolvers, timeoutMs, retries } = dnsTrail(opts, dns);
    const options = { ip: opts.ip ?? null, sender: opts.sender ?? null, helo: opts.helo ?? null, cloud: opts.cloud ?? null, timeoutMs, retries };
    const trail = createTrail({ startedAt, finishedAt: new Date(), resolvers, options });
    await emit(run, opts.format === 'json' ? renderSpfJson(report, trail) : renderSpfTable(report, trail), opts);
    run.exitCode = exitCodeFor(report.findings, opts.failOn);
  });
}

/** Options to a request; throws UsageError for bad input. */
export function spfRequestFromCli(domainArg: string | undefined, opts: SpfCliOptions): SpfRequest {
  if (opts.ip !== undefined && !parseClientIp(opts.ip)) throw new UsageError(`--ip: not an IP address: ${JSON.stringify(cleanText(opts.ip))}`);
  let target = domainArg;
  if (target === undefined) {
    if (opts.sender === undefined) throw new UsageError('give a domain, or --sender (the domain is then the sender\'s)');
    if (opts.sender === '' && !opts.helo) throw new UsageError('an empty --sender (the null sender) needs --helo: the domain is then the HELO name');
    target = spfIdentity(opts.sender, opts.helo ?? '').domain;
  }
  const norm = normalizeDomain(target);
  if (!norm.ok) throw new UsageError(`not a domain name: ${JSON.stringify(cleanText(target))} (${norm.reason})`);
  const sender = opts.sender === undefined ? undefined : opts.sender === '' ? `postmaster@${opts.helo ?? norm.domain}` : opts.sender;
  return { domain: norm.domain, ip: opts.ip, sender, helo: opts.helo, cloud: opts.cloud };
}
