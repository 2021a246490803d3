import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { startDnsServer } from '../../sandbox/dns-server.js';
import { startMtaStsHost } from '../../sandbox/https-server.js';
import { readMtaStsPolicies } from '../../sandbox/mta-sts-files.js';
import { startMicrosoftLikeSmtpServer } from '../../sandbox/smtp-server.js';
import { ZoneStore } from '../../sandbox/zone-store.js';
import type { AuditContext } from '../../audit/context.js';
import { createDnsClient } from '../../dns/client.js';
import { createSecureDnsClient } from '../../dns/secure.js';
import { createHttpsClient } from '../../http/client.js';
import { FORMATS, renderChunks, type Format } from '../../report/render.js';
import { singleChoiceOption, useColor } from '../common.js';
import type { CliRun } from '../io.js';
import { emitChunks } from '../output.js';
import { mostCommonCloud } from '../../audit/probes.js';
import { describe } from '../command-table.js';
import { createRunProber, finishRun } from '../probe-options.js';
import { runChecks } from './check.js';

/** fixtures/ relative to this file, in src/ (tests) and dist/src/ (built) alike. */
export function fixturesDir(sub: string): string {
  const here = fileURLToPath(import.meta.url);
  const root = here.includes('/dist/') ? new URL('../../../../', import.meta.url) : new URL('../../../', import.meta.url);
  return fileURLToPath(new URL(`fixtures/${sub}/`, root));
}

export const DEMO_DOMAINS = ['contoso.example', 'fabrikam.example', 'tailspin.example'];

export function demoCommand(run: CliRun): Command {
  return new Command('demo')
    .description(describe('demo'))
    .addOption(singleChoiceOption('--format <format>', `output format: ${FORMATS.join(', ')}`, FORMATS, 'table'))
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (opts: { format?: Format; color?: boolean }) => {
      const zones = new ZoneStore().loadDir(fixturesDir('infra')).loadDir(fixturesDir('demo'));
      // The demo zones' MTA-STS policies (fixtures/demo/mta-sts/<domain>.txt), from a loopback policy host.
      const [dns, smtp, policies] = await Promise.all([startDnsServer({ zones }), startMicrosoftLikeSmtpServer(), startMtaStsHost({ policies: readMtaStsPolicies(fixturesDir('demo'))?.policies ?? {} })]);
      try {
        run.io.stderr.write(`Demo: ${DEMO_DOMAINS.length} domains from a loopback DNS server at ${dns.server}, SMTP probe of a loopback endpoint at ${smtp.host}:${smtp.port}; nothing leaves this machine.\n`);
        const startedAt = new Date();
        const dnsOptions = { timeout: 2000, retries: 1 };
        const servers = [dns.server];
        const ctx: AuditContext = {
          dns: createDnsClient({ servers, timeoutMs: dnsOptions.timeout, retries: dnsOptions.retries }),
          // DNSSEC and TLSA from the same loopback server (a validating resolver's view).
          secure: createSecureDnsClient({ servers, timeoutMs: dnsOptions.timeout, retries: dnsOptions.retries }),
          https: createHttpsClient({ ca: policies.caPem, route: policies.route }),
        };
        const probeOptions = { probe: true, probeHost: `${smtp.host}:${smtp.port}`, caPem: smtp.caPem, probeTimeout: 5000 };
        const prober = await createRunProber(probeOptions);
        const reports = await runChecks(ctx, DEMO_DOMAINS);
        const probe = await prober.submission(mostCommonCloud(reports));
        const rows = { read: DEMO_DOMAINS.length, reported: reports.length, inputEnded: true, stopped: null };
        const trail = finishRun({ startedAt, dns: ctx.dns, probe, opts: { ...probeOptions, ...dnsOptions }, rows });
        await emitChunks(run, renderChunks(opts.format ?? 'table', reports, probe, { color: useColor(run.io, opts), summary: true, run: trail }), {});
      } finally {
        await Promise.all([dns.close(), smtp.close(), policies.close()]);
      }
    });
}
