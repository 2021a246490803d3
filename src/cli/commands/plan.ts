import { Command } from 'commander';
import { normalizeDomain } from '../../domain/normalize.js';
import type { Cloud } from '../../m365/clouds.js';
import { planDomain } from '../../audit/plan.js';
import { renderPlanJson, renderPlanMarkdown, renderPlanTable, renderPlanZone } from '../../report/plan.js';
import { createTrail } from '../../report/run.js';
import { cleanText } from '../../report/safe-text.js';
import { reviewSpfProposal } from '../../spf/lookups.js';
import { emit, singleChoiceOption, UsageError, cloudOption } from '../common.js';
import { addDnsOptions, dnsClientFromOptions, dnsTrail, parseTenant, type DnsCliOptions } from '../dns-options.js';
import type { CliRun } from '../io.js';
import { describe } from '../command-table.js';
import { addZoneOption, zoneOverlayFromOptions, type ZoneCliOptions } from '../zone-overlay.js';

export const PLAN_FORMATS = ['table', 'zone', 'json', 'markdown'] as const;

export function planCommand(run: CliRun): Command {
  const cmd = new Command('plan')
    .description(describe('plan'))
    .argument('<domain>', 'the domain')
    .requiredOption('--tenant <prefix>', 'initial-domain prefix (contoso for contoso.onmicrosoft.com)', parseTenant);
  addDnsOptions(cmd)
    .addOption(cloudOption())
    .addOption(singleChoiceOption('--format <format>', `output format: ${PLAN_FORMATS.join(', ')}`, PLAN_FORMATS, 'table'))
    .option('--output <file>', 'write the result to a file instead of stdout');
  addZoneOption(cmd)
    .action(async (input: string, opts: DnsCliOptions & ZoneCliOptions & { tenant: string; cloud?: Cloud; format?: (typeof PLAN_FORMATS)[number]; output?: string }) => {
      const norm = normalizeDomain(input);
      if (!norm.ok) throw new UsageError(`not a domain name: ${JSON.stringify(cleanText(input.slice(0, 256)))} (${norm.reason})`);
      const tenant = opts.tenant;
      const startedAt = new Date();
      const dns = dnsClientFromOptions(opts);
      const overlay = await zoneOverlayFromOptions(opts, dns);
      const plan = await planDomain({ dns: overlay ?? dns }, norm.domain, tenant, { cloud: opts.cloud, reviewSpf: reviewSpfProposal });
      if (overlay) {
        // "Now" of a row the files answered is the file's, not live DNS.
        const fromFiles = new Set(overlay.used().answers);
        for (const row of plan.rows) if (fromFiles.has(`${row.name} ${row.type}`)) row.notes.push(`now: from ${(opts.zone ?? []).map((f) => `--zone ${f}`).join(', ')}, not live DNS`);
      }
      const { resolvers, timeoutMs, retries } = dnsTrail(opts, dns);
      const trail = createTrail({ startedAt, finishedAt: new Date(), resolvers, options: { tenant, cloud: opts.cloud ?? null, timeoutMs, retries, ...(opts.zone && opts.zone.length > 0 ? { zones: [...opts.zone] } : {}) } });
      const render = { table: renderPlanTable, zone: renderPlanZone, json: renderPlanJson, markdown: renderPlanMarkdown }[opts.format ?? 'table'];
      await emit(run, render(plan, trail), opts);
      run.exitCode = 0;
    });
  return cmd;
}
