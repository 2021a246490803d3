import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Command } from 'commander';
import { auditMessage, type AuditedMessageReport } from '../../audit/message.js';
import type { AuditContext } from '../../audit/context.js';
import { renderMessageHtml } from '../../report/message-html.js';
import { renderMessageMarkdown } from '../../report/message-markdown.js';
import { renderMessageJson, renderMessageTable, type MessageRunInfo } from '../../report/message.js';
import { cleanText } from '../../report/safe-text.js';
import { parseClientIp } from '../../spf/ip.js';
import { VERSION } from '../../version.js';
import { describe } from '../command-table.js';
import { emit, exitCodeFor, failOnOption, singleChoiceOption, UsageError, useColor, type FailOn } from '../common.js';
import { addDnsOptions, dnsClientFromOptions, dnsTrail, type DnsCliOptions } from '../dns-options.js';
import type { CliIo, CliRun } from '../io.js';
import { transportFromOptions } from '../transport-options.js';

/** The formats of `message`. */
export const MESSAGE_FORMATS = ['table', 'json', 'markdown', 'html'] as const;
type MessageFormat = (typeof MESSAGE_FORMATS)[number];

/**
 * Largest input read: 256 MiB. Exchange Online accepts messages of at most
 * 150 MB (Learn "Exchange Online limits", message size limits); the reader
 * keeps 1 MiB of header and 2 MiB of body whatever the size, and streams the
 * rest through the DKIM body hash, so this bounds time, not memory.
 */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
/** Bytes read at a time from a file. */
const READ_CHUNK = 64 * 1024;

export interface MessageCliOptions extends DnsCliOptions {
  ip?: string;
  audit?: boolean;
  format?: MessageFormat;
  output?: string;
  failOn: FailOn;
  color?: boolean;
}

export function messageCommand(run: CliRun): Command {
  const cmd = new Command('message')
    .description(describe('message'))
    .argument('[file]', 'a message (.eml, or its headers pasted alone) or an NDR; - or nothing reads stdin')
    .option('--ip <ip>', 'the connecting IP to check SPF for, instead of the one the headers record (for an NDR: the returned message\'s)')
    .option('--audit', 'also run the full domain audit of the From domain (an NDR\'s: the returned message\'s) and attach it')
    .addOption(singleChoiceOption('--format <format>', `output format: ${MESSAGE_FORMATS.join(', ')}`, MESSAGE_FORMATS, 'table'))
    .option('--output <file>', 'write the result to a file instead of stdout');
  addDnsOptions(cmd)
    .addOption(failOnOption())
    .option('--no-color', 'no colour (also NO_COLOR)');
  return cmd.action(async (file: string | undefined, opts: MessageCliOptions) => {
    const input = file ?? '-';
    const ip = opts.ip === undefined ? null : parseClientIp(opts.ip)?.readable ?? null;
    if (opts.ip !== undefined && ip === null) throw new UsageError(`--ip: not an IP address: ${JSON.stringify(cleanText(opts.ip.slice(0, 80)))}`);
    const startedAt = new Date();
    const dns = dnsClientFromOptions(opts);
    const ctx: AuditContext = opts.audit ? transportFromOptions(opts, dns, undefined) : { dns };
    // Ctrl-C while waiting for stdin or DNS: nothing is written, exit 130.
    const stopListening = run.io.onInterrupt(() => run.io.exitNow(130));
    let report: AuditedMessageReport;
    try {
      const source = await openMessage(input, run.io);
      const analysis = await auditMessage(ctx, source, { ip, audit: opts.audit === true });
      if (analysis.kind === 'not-message') throw new UsageError(`${nameOf(input)}: ${analysis.notMessage.detail}`);
      report = analysis.report;
    } finally {
      stopListening();
    }
    const { resolvers, timeoutMs, retries } = dnsTrail(opts, dns);
    const trail: MessageRunInfo = {
      startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), version: VERSION, resolvers,
      options: { input, ip, audit: opts.audit === true, timeoutMs, retries },
    };
    await emit(run, renderMessage(opts.format ?? 'table', report, trail, useColor(run.io, opts)), opts);
    run.exitCode = exitCodeFor([...report.findings, ...(report.audit?.findings ?? [])], opts.failOn);
  });
}

function renderMessage(format: MessageFormat, report: AuditedMessageReport, run: MessageRunInfo, color: boolean): string {
  if (format === 'json') return renderMessageJson(report, run);
  if (format === 'markdown') return renderMessageMarkdown(report, run);
  if (format === 'html') return renderMessageHtml(report, { run });
  return renderMessageTable(report, { color, run });
}

const nameOf = (input: string): string => (input === '-' ? 'standard input' : input);

/**
 * The input as a stream of chunks, bounded to MAX_MESSAGE_BYTES: a regular
 * file or a pipe (read as it comes, never whole), or stdin. A missing file,
 * a directory, a file over the bound or a read error is one UsageError line.
 */
async function openMessage(input: string, io: CliIo): Promise<AsyncIterable<Uint8Array>> {
  const name = nameOf(input);
  let stream: Readable;
  if (input === '-') {
    if ((io.stdin as { isTTY?: boolean }).isTTY) throw new UsageError('give a message file, or pipe the message (or its headers) into standard input');
    stream = io.stdin;
  } else {
    const info = await stat(input).catch((err: NodeJS.ErrnoException) => Promise.reject(new UsageError(`cannot read ${name}: ${err.code ?? 'error'}`)));
    if (info.isDirectory()) throw new UsageError(`cannot read ${name}: it is a directory`);
    if (info.isFile() && info.size > MAX_MESSAGE_BYTES) throw new UsageError(`${name} is larger than ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB, which no mail system delivers`);
    stream = createReadStream(input, { highWaterMark: READ_CHUNK });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`cannot read ${name}: ${err.code ?? 'error'}`)));
    });
  }
  return bounded(stream, name, input === '-' ? null : stream);
}

/** The stream's chunks, failing with one line past MAX_MESSAGE_BYTES or on a read error; a file stream is closed at the end. */
async function* bounded(stream: Readable, name: string, own: Readable | null): AsyncGenerator<Uint8Array> {
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += bytes.length;
      if (total > MAX_MESSAGE_BYTES) throw new UsageError(`${name} is larger than ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB, which no mail system delivers`);
      yield bytes;
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    own?.destroy();
  }
}
