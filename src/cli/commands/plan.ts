import { Command, Option } from 'commander';
import { normalizeDomain } from '../../domain/normalize.js';
import type { Cloud } from '../../m365/clouds.js';
import { planDomain } from '../../m365/plan.js';
import { renderPlanJson, renderPlanMarkdown, renderPlanTable, renderPlanZone } from '../../report/plan.js';
import { reviewSpfProposal } from '../../spf/lookups.js';
import { addDnsOptions, cloudOption, dnsClientFromOptions, emit, parseTenant, UsageError, type DnsCliOptions } from '../common.js';

export const PLAN_FORMATS = ['table', 'zone', 'json', 'markdown'] as const;

export function planCommand(): Command {
  const cmd = new Command('plan')
    .description('the records to publish for Microsoft 365, each marked present, change or add against live DNS')
    .argument('<domain>', 'the domain')
    .requiredOption('--tenant <prefix>', 'initial-domain prefix (contoso for contoso.onmicrosoft.com)', parseTenant);
  addDnsOptions(cmd)
    .addOption(cloudOption())
    .addOption(new Option('--format <format>', 'output format').choices([...PLAN_FORMATS]).default('table'))
    .option('--output <file>', 'write the result to a file instead of stdout')
    .action(async (input: string, opts: DnsCliOptions & { tenant: string; cloud?: Cloud; format: (typeof PLAN_FORMATS)[number]; output?: string }) => {
      const norm = normalizeDomain(input);
      if (!norm.ok) throw new UsageError(`not a domain name: ${JSON.stringify(input)} (${norm.reason})`);
      const tenant = opts.tenant;
      const plan = await planDomain({ dns: dnsClientFromOptions(opts) }, norm.domain, tenant, { cloud: opts.cloud, reviewSpf: reviewSpfProposal });
      const render = { table: renderPlanTable, zone: renderPlanZone, json: renderPlanJson, markdown: renderPlanMarkdown }[opts.format];
      await emit(render(plan), opts);
      process.exitCode = 0;
    });
  return cmd;
}
