import { Command, Option } from 'commander';
import { auditDomain, type DomainReport } from '../../audit/audit.js';
import type { AuditContext } from '../../audit/context.js';
import type { Cloud } from '../../m365/clouds.js';
import { renderJson } from '../../report/json.js';
import { renderTable } from '../../report/table.js';
import { addDnsOptions, cloudOption, dnsClientFromOptions, emit, exitCodeFor, failOnOption, useColor, type DnsCliOptions, type FailOn } from '../common.js';

export interface CheckOptions extends DnsCliOptions {
  cloud?: Cloud;
  format: 'table' | 'json';
  output?: string;
  probe: boolean;
  probeHost?: string;
  failOn: FailOn;
  color?: boolean;
  tenant?: string;
  selector?: string[];
}

export const CHECK_FORMATS = ['table', 'json'] as const;

export function checkCommand(): Command {
  const cmd = new Command('check')
    .description('audit one or more domains for Microsoft 365')
    .argument('<domain...>', 'domains (URLs and e-mail addresses are audited as their host)');
  addDnsOptions(cmd)
    .addOption(cloudOption())
    .addOption(new Option('--format <format>', 'output format').choices([...CHECK_FORMATS]).default('table'))
    .option('--output <file>', 'write the result to a file instead of stdout')
    .option('--tenant <prefix>', 'initial-domain prefix (contoso for contoso.onmicrosoft.com), before the DKIM CNAMEs exist')
    .option('--selector <name>', 'also check this DKIM selector (repeatable)', (v: string, p: string[] | undefined) => [...(p ?? []), v])
    .option('--no-probe', 'skip the SMTP submission probe')
    .option('--probe-host <host[:port]>', 'probe this SMTP endpoint instead of the cloud default')
    .addOption(failOnOption())
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (domains: string[], opts: CheckOptions) => {
      const ctx: AuditContext = { dns: dnsClientFromOptions(opts), cloud: opts.cloud, tenant: opts.tenant, selectors: opts.selector };
      const reports = await runChecks(ctx, domains);
      const text = opts.format === 'json' ? renderJson(reports, null) : renderTable(reports, { color: !opts.output && useColor(opts) });
      await emit(text, opts);
      process.exitCode = exitCodeFor(reports.flatMap((r) => r.findings), opts.failOn);
    });
  return cmd;
}

/** Audits in input order, a few at a time. */
export async function runChecks(ctx: AuditContext, domains: readonly string[]): Promise<DomainReport[]> {
  return Promise.all(domains.map((d) => auditDomain(ctx, d)));
}
