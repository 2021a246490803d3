/** `--zone FILE` (check, batch, plan): audit records before they are published (src/dns/overlay.ts has the rules). */
import { readOptionFile } from './read-file.js';
import type { Command } from 'commander';
import { auditDomain, type DomainReport } from '../audit/audit.js';
import type { AuditContext } from '../audit/context.js';
import { createZoneOverlay, type OverlayUse, type OverlayZone, type ZoneOverlay } from '../dns/overlay.js';
import type { DnsClient } from '../dns/types.js';
import { MAX_ZONE_FILE_BYTES, parseZoneFile, ZoneFileError, zoneOriginOf } from '../dns/zone-file.js';
import { UsageError } from './usage.js';

export interface ZoneCliOptions {
  zone?: string[];
}

/** The audit of one domain (auditDomain's signature): what check and batch run per row. */
export type AuditOne = (ctx: AuditContext, input: string, source?: { inputLength?: number | undefined }) => Promise<DomainReport>;

export function addZoneOption(cmd: Command): Command {
  return cmd.option(
    '--zone <file>',
    'audit as if this RFC 1035 zone file were published: its records replace live DNS for the names it holds (origin: $ORIGIN, else the file name DOMAIN.zone); repeatable',
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  );
}

/**
 * The overlay of the --zone files over `dns`, or null without --zone. A file
 * that cannot be read or does not parse is one line naming it and the line
 * (exit 2), before any domain is audited.
 */
export async function zoneOverlayFromOptions(opts: ZoneCliOptions, dns: DnsClient): Promise<ZoneOverlay | null> {
  if (!opts.zone || opts.zone.length === 0) return null;
  const zones: OverlayZone[] = [];
  for (const file of opts.zone) {
    const text = await readZoneFile(file);
    try {
      zones.push({ file, zone: parseZoneFile(text, { origin: zoneOriginOf(file) }) });
    } catch (err) {
      throw err instanceof ZoneFileError ? new UsageError(err.inFile(file).message) : err;
    }
  }
  try {
    return createZoneOverlay(dns, zones);
  } catch (err) {
    throw err instanceof ZoneFileError ? new UsageError(err.message) : err;
  }
}

async function readZoneFile(file: string): Promise<string> {
  return readOptionFile(file, { flag: '--zone', maxBytes: MAX_ZONE_FILE_BYTES, directoryHint: '--zone takes one zone file; repeat it for more' });
}

/**
 * auditDomain through a view of the overlay of its own, so that the report
 * says which of its answers came from the files (`overlay`, and a note);
 * undefined without --zone (the caller's default audit).
 */
export function auditThroughOverlay(overlay: ZoneOverlay | null, files: readonly string[]): AuditOne | undefined {
  if (!overlay) return undefined;
  return async (ctx, input, source) => {
    const view = overlay.scope();
    const report = await auditDomain({ ...ctx, dns: view }, input, source);
    // An input that is not a domain name asked nothing.
    if (report.domain !== null) {
      const use = view.used();
      report.overlay = use;
      report.notes.push(renderOverlayNote(use, files));
    }
    return report;
  };
}

/** `From --zone next.zone, not live DNS: contoso.com MX, contoso.com TXT …` (at most MAX_LISTED names, then how many more). */
export function renderOverlayNote(use: OverlayUse, files: readonly string[]): string {
  const given = files.map((f) => `--zone ${f}`).join(', ');
  if (use.answersTotal === 0) return `No answer came from ${given}: it holds none of the names this audit asked for (check its $ORIGIN); every answer is live DNS.`;
  const more = use.answersTotal > use.answers.length ? ` and ${use.answersTotal - use.answers.length} more` : '';
  return `From ${use.files.map((f) => `--zone ${f}`).join(', ')}, not live DNS: ${use.answers.join(', ')}${more}. Every other answer is live DNS.`;
}
