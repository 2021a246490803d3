import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createDnsClient, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, parseServerAddress } from '../dns/client.js';
import type { DnsClient } from '../dns/types.js';
import { normalizeTenant } from '../dkim/target.js';
import { CLOUDS } from '../m365/clouds.js';

/** Thrown from an action for bad input: one line on stderr, exit 2. */
export class UsageError extends Error {}

export interface DnsCliOptions {
  dnsServer?: string[];
  timeout?: number;
  retries?: number;
  qps?: number;
}

function collect(value: string, previous: string[] | undefined): string[] {
  if (parseServerAddress(value) === null) throw new InvalidArgumentError('expected ADDR, ADDR:PORT or [IPv6]:PORT.');
  return [...(previous ?? []), value];
}

export function positiveInt(name: string, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number of at least ${min}.`);
    return n;
  };
}

/** --dns-server (repeatable), --timeout, --retries. */
export function addDnsOptions(cmd: Command): Command {
  return cmd
    .option('--dns-server <addr>', 'resolver ADDR[:PORT] or [IPv6]:PORT; repeat for fallbacks (default: the system resolvers)', collect)
    .option('--timeout <ms>', `deadline of one DNS attempt in ms (default ${DEFAULT_TIMEOUT_MS})`, positiveInt('--timeout'))
    .option('--retries <n>', `further DNS attempts after a failure (default ${DEFAULT_RETRIES})`, positiveInt('--retries', 0));
}

export function cloudOption(): Option {
  return new Option('--cloud <cloud>', 'Microsoft 365 cloud (default: detect, else worldwide)').choices([...CLOUDS]);
}

export function dnsClientFromOptions(opts: DnsCliOptions): DnsClient {
  return createDnsClient({ servers: opts.dnsServer, timeoutMs: opts.timeout, retries: opts.retries, qps: opts.qps });
}

/** Writes a result to stdout, or to --output. */
export async function emit(text: string, opts: { output?: string | undefined }): Promise<void> {
  if (opts.output) {
    try {
      await writeFile(opts.output, text);
    } catch (err) {
      throw new UsageError(`cannot write ${opts.output}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return;
  }
  await new Promise<void>((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}

/** Colour only on a TTY, and never with NO_COLOR or --no-color. */
export function useColor(opts: { color?: boolean }, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (opts.color === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return Boolean(stream.isTTY);
}

export type FailOn = 'error' | 'warning' | 'never';

export function failOnOption(): Option {
  return new Option('--fail-on <level>', 'exit 1 at this severity').choices(['error', 'warning', 'never']).default('error');
}

/** Exit code as a pure function of the findings (DESIGN: 0 none, 1 at the threshold). */
export function exitCodeFor(findings: readonly { severity: string }[], failOn: FailOn): 0 | 1 {
  if (failOn === 'never') return 0;
  const hit = findings.some((f) => f.severity === 'error' || (failOn === 'warning' && f.severity === 'warning'));
  return hit ? 1 : 0;
}

/** --tenant: `contoso` or `contoso.onmicrosoft.com` (.us, .partner.onmschina.cn) -> `contoso`. */
export function parseTenant(value: string): string {
  const t = normalizeTenant(value);
  if (t === null) throw new InvalidArgumentError('expected an initial-domain prefix such as contoso (or contoso.onmicrosoft.com).');
  return t;
}

/** --selector NAME, repeatable: a DKIM selector is one or more DNS labels. */
export function collectSelector(value: string, previous: string[] | undefined): string[] {
  const v = value.trim().toLowerCase();
  if (!/^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/.test(v) || v.length > 200) {
    throw new InvalidArgumentError('expected a DKIM selector such as s1 or google (letters, digits, - and _).');
  }
  return [...(previous ?? []), v];
}

/**
 * First Ctrl-C: abort the controller (no new domain is started, those in
 * flight finish within their timeouts, what is done is written, exit 130).
 * Second Ctrl-C: exit 130 at once. Returns the function that removes the handler.
 */
export function interruptOnSigint(controller: AbortController): () => void {
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nm365audit: interrupted; finishing the domains in flight (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return () => process.off('SIGINT', onSigint);
}
