import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { ZoneFileError, zoneOriginOf } from '../../dns/zone-file.js';
import { cleanText } from '../../report/safe-text.js';
import { plural } from '../../report/words.js';
import { startDnsServer } from '../../sandbox/dns-server.js';
import { startMtaStsHost, type SandboxMtaStsHost } from '../../sandbox/https-server.js';
import { PolicyFileError, readMtaStsPolicies, type MtaStsPolicyFiles } from '../../sandbox/mta-sts-files.js';
import { startMicrosoftLikeSmtpServer, type TestSmtpServer } from '../../sandbox/smtp-server.js';
import { ZoneStore } from '../../sandbox/zone-store.js';
import { MAX_LISTED } from '../../util/caps.js';
import { TOOL_NAME } from '../../version.js';
import { positiveInt, UsageError } from '../common.js';
import type { CliRun } from '../io.js';
import { describe } from '../command-table.js';
import { fixturesDir } from './demo.js';

interface SandboxOptions {
  zones: string;
  port?: number;
  smtp?: boolean;
  microsoft: boolean;
}

/** What a test (or a script) waits for before it queries the sandbox. */
export const SANDBOX_READY = 'ready: Ctrl-C stops the sandbox';

/**
 * `m365audit sandbox --zones DIR`: serves a folder of zone files on
 * 127.0.0.1 (UDP and TCP), with Microsoft's stand-in zones (fixtures/infra:
 * spf.protection.outlook.com, the DKIM targets, the MX hosts of the
 * fixtures) unless --no-microsoft, so that a migration can be rehearsed
 * against zones the user wrote. When DIR has MTA-STS policy files
 * (`DIR/mta-sts/<domain>.txt`, sandbox/mta-sts-files.ts) an HTTPS policy
 * host serves them too, each `mta-sts.<domain>` with a certificate made at
 * run time. Prints one line per service with the flags to use, and the
 * `check` command line that uses them all, then SANDBOX_READY; Ctrl-C stops
 * it, removes the CA file (--smtp, the policy host) and exits 0 (stopping
 * is its normal end, not an interruption).
 */
export function sandboxCommand(run: CliRun): Command {
  return new Command('sandbox')
    .description(describe('sandbox'))
    .requiredOption('--zones <dir>', 'a folder of RFC 1035 zone files, one zone a file named ORIGIN.zone ($ORIGIN in a file wins), and MTA-STS policies to serve over HTTPS in DIR/mta-sts/DOMAIN.txt; or one zone file')
    .option('--port <n>', 'the DNS port on 127.0.0.1, UDP and TCP (default 0: a free one)', positiveInt('--port', 0, 65535))
    .option('--smtp', 'also serve a Microsoft-like SMTP submission endpoint (STARTTLS, AUTH LOGIN XOAUTH2), its CA in a temporary file')
    .option('--no-microsoft', "leave out Microsoft's stand-in zones (spf.protection.outlook.com, the DKIM targets, autodiscover.outlook.com …)")
    .action(async (opts: SandboxOptions) => {
      const { zones, files, standIns } = loadZones(opts.zones, opts.microsoft);
      const policyFiles = loadPolicies(opts.zones);
      const dns = await startDnsServer({ zones, host: '127.0.0.1', port: opts.port ?? 0 }).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot listen on 127.0.0.1:${opts.port ?? 0}: ${err.code ?? err.message}`);
      });
      let smtp: TestSmtpServer | null = null;
      let policies: SandboxMtaStsHost | null = null;
      let caDir: string | null = null;
      const removeCa = (): void => {
        if (caDir) rmSync(caDir, { recursive: true, force: true });
        caDir = null;
      };
      try {
        if (opts.smtp) smtp = await startMicrosoftLikeSmtpServer();
        if (policyFiles) policies = await startMtaStsHost({ policies: policyFiles.policies });
        // One CA file for every TLS service: --tls-ca takes a file of several CAs (certificates.ts names each CA apart).
        let caFlag = '';
        const cas = [smtp?.caPem, policies?.caPem].filter((pem): pem is string => pem !== undefined);
        if (cas.length > 0) {
          caDir = mkdtempSync(join(tmpdir(), 'm365audit-sandbox-'));
          const caFile = join(caDir, 'ca.pem');
          writeFileSync(caFile, cas.map((pem) => pem.trimEnd()).join('\n').concat('\n'));
          caFlag = `--tls-ca ${shellWord(caFile)}`;
        }
        const out: string[] = [];
        const dnsFlag = `--dns-server ${dns.server}`;
        out.push(`dns: ${dns.server} (UDP and TCP), ${plural(files.length, 'zone')} from ${opts.zones}${standIns > 0 ? ` and ${plural(standIns, 'Microsoft stand-in zone')}` : ''}: ${dnsFlag}`);
        const smtpFlag = smtp ? `--probe-host ${smtp.host}:${smtp.port}` : '';
        if (smtp) out.push(`smtp: ${smtp.host}:${smtp.port}, a Microsoft-like submission endpoint (STARTTLS, AUTH LOGIN XOAUTH2): ${smtpFlag} ${caFlag}`);
        const policyFlag = policies ? `--mta-sts-host 127.0.0.1:${policies.port}` : '';
        let example = files[0] ?? 'contoso.example';
        if (policies && policyFiles) {
          out.push(`mta-sts: 127.0.0.1:${policies.port}, an MTA-STS policy host (HTTPS) for ${listed(policyFiles.domains)}: ${policyFlag} ${caFlag}`);
          const announced = policyFiles.domains.filter((d) => zones.lookup(`_mta-sts.${d}`, 'TXT').answers.some((r) => r.type === 'TXT'));
          const silent = policyFiles.domains.filter((d) => !announced.includes(d));
          if (silent.length > 0) out.push(`not announced: ${listed(silent)} (no _mta-sts TXT in the zones, so senders never fetch the policy)`);
          example = announced[0] ?? example;
        }
        out.push(`zones: ${listed(files)}`);
        const skipped = Object.entries(zones.skippedTypes());
        if (skipped.length > 0) out.push(`not served: ${skipped.map(([type, n]) => `${n} ${type}`).join(', ')} (types the sandbox does not serve)`);
        const flags = [dnsFlag, policyFlag, smtpFlag, caFlag, smtp ? '' : '--no-probe'].filter((f) => f !== '');
        out.push(`try: ${TOOL_NAME} check ${example} ${flags.join(' ')}`);
        out.push(SANDBOX_READY);
        // Listening for Ctrl-C before the ready line: whoever waits for it may stop the sandbox at once.
        const interrupted = untilInterrupted(run, removeCa);
        run.io.stdout.write(`${out.map(cleanText).join('\n')}\n`);
        await interrupted;
        const s = dns.stats();
        const gets = policies ? `, ${plural(policies.requests().length, 'policy request')}` : '';
        run.io.stderr.write(`${TOOL_NAME}: sandbox stopped after ${plural(s.udpQueries + s.tcpQueries, 'DNS query', 'DNS queries')}${gets}\n`);
        run.exitCode = 0;
      } finally {
        removeCa();
        await Promise.all([dns.close(), smtp?.close(), policies?.close()]);
      }
    });
}

/** Resolves at the first Ctrl-C (after removing the CA file at once); a second one exits 130 before the servers have closed. */
function untilInterrupted(run: CliRun, first: () => void): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = run.io.onInterrupt(() => {
      if (stopping) {
        stop();
        run.io.exitNow(130);
        return;
      }
      stopping = true;
      first();
      resolve();
    });
  });
}

/**
 * The sandbox's zones: every `.zone` file of the folder (or the one file),
 * then the Microsoft stand-ins whose origin no user zone has (a user's
 * outlook.com.zone replaces the stand-in). A file that does not parse is
 * one line naming the file and the line.
 */
function loadZones(path: string, microsoft: boolean): { zones: ZoneStore; files: string[]; standIns: number } {
  const zones = new ZoneStore();
  const userFiles = zoneFilesAt(path);
  const load = (file: string): void => {
    try {
      zones.loadFile(file);
    } catch (err) {
      if (err instanceof ZoneFileError) throw new UsageError(err.message);
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  for (const file of userFiles) load(file);
  const origins = zones.zoneOrigins();
  let standIns = 0;
  if (microsoft) {
    const infra = fixturesDir('infra');
    for (const file of zoneFilesAt(infra)) {
      const origin = zoneOriginOf(file);
      if (origin !== null && origins.includes(origin)) continue;
      load(file);
      standIns++;
    }
  }
  return { zones, files: origins, standIns };
}

/** The `.zone` files of a folder in name order, or the one file given. */
function zoneFilesAt(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!isDir) return [path];
  let names: string[];
  try {
    names = readdirSync(path).filter((f) => f.endsWith('.zone')).sort();
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (names.length === 0) throw new UsageError(`no .zone files in ${path} (one zone a file, named ORIGIN.zone)`);
  return names.map((f) => join(path, f));
}

/** The MTA-STS policy files of a zones folder (none for one zone file); a bad one is one line. */
function loadPolicies(path: string): MtaStsPolicyFiles | null {
  if (!statSync(path).isDirectory()) return null;
  try {
    return readMtaStsPolicies(path);
  } catch (err) {
    if (err instanceof PolicyFileError) throw new UsageError(err.message);
    throw err;
  }
}

/** A path as one word a POSIX shell reads back unchanged: as it is when plain, else in single quotes. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** `a, b, c` (at most MAX_LISTED, then how many more). */
function listed(items: readonly string[]): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, MAX_LISTED).join(', ');
  return items.length > MAX_LISTED ? `${shown} and ${items.length - MAX_LISTED} more` : shown;
}
