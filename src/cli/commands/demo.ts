import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { startDnsServer } from '../../../test/support/dns-server.js';
import { ZoneStore } from '../../../test/support/zone-store.js';
import type { AuditContext } from '../../audit/context.js';
import { createDnsClient } from '../../dns/client.js';
import { renderJson } from '../../report/json.js';
import { renderTable } from '../../report/table.js';
import { useColor } from '../common.js';
import { runChecks } from './check.js';

/** fixtures/ relative to this file, in src/ (tests) and dist/src/ (built) alike. */
export function fixturesDir(sub: string): string {
  const here = fileURLToPath(import.meta.url);
  const root = here.includes('/dist/') ? new URL('../../../../', import.meta.url) : new URL('../../../', import.meta.url);
  return fileURLToPath(new URL(`fixtures/${sub}/`, root));
}

export const DEMO_DOMAINS = ['contoso.example', 'fabrikam.example', 'tailspin.example'];

export function demoCommand(): Command {
  return new Command('demo')
    .description('the whole check offline, on bundled zones served from a loopback DNS server')
    .option('--format <format>', 'table or json', 'table')
    .option('--no-color', 'no colour (also NO_COLOR)')
    .action(async (opts: { format: string; color?: boolean }) => {
      const zones = new ZoneStore().loadDir(fixturesDir('infra')).loadDir(fixturesDir('demo'));
      const dns = await startDnsServer({ zones });
      try {
        const ctx: AuditContext = { dns: createDnsClient({ servers: [dns.server], timeoutMs: 2000, retries: 1 }) };
        process.stderr.write(`Demo: ${DEMO_DOMAINS.length} domains served from a loopback DNS server at ${dns.server}; nothing leaves this machine.\n`);
        const reports = await runChecks(ctx, DEMO_DOMAINS);
        process.stdout.write(opts.format === 'json' ? renderJson(reports, null) : renderTable(reports, { color: useColor(opts) }));
      } finally {
        await dns.close();
      }
    });
}
