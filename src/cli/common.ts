/** What every command shares, and nothing heavy: the light commands (explain) load only this. */
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CLOUDS } from '../m365/clouds.js';
import { TOOL_NAME } from '../version.js';
import { writeText, type CliIo, type CliRun } from './io.js';
import { UsageError } from './usage.js';

export { UsageError };

/** A whole number in [min, max]. */
export function positiveInt(name: string, min = 1, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `${name} must be a whole number of at least ${min}.` : `${name} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** --cloud; `detected` says whether the command can detect the cloud (from DNS) when it is not given. */
export function cloudOption(detected = true): Option {
  return new Option('--cloud <cloud>', `Microsoft 365 cloud (default: ${detected ? 'detect, else worldwide' : 'worldwide'})`).choices([...CLOUDS]);
}

/**
 * An option that takes one of `choices` (given once: the program refuses a
 * repeated option). The default is applied by the caller (`opts.format ??
 * 'table'`) and shown in --help once.
 */
export function singleChoiceOption(flags: string, description: string, choices: readonly string[], defaultValue: string): Option {
  return new Option(flags, `${description} (default: ${defaultValue})`).argParser((value: string) => {
    if (!choices.includes(value)) throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
    return value;
  });
}

/** Writes a result to the run's stdout, or to --output. */
export async function emit(run: CliRun, text: string, opts: { output?: string | undefined }): Promise<void> {
  if (opts.output) {
    try {
      await writeFile(opts.output, text);
    } catch (err) {
      throw new UsageError(`cannot write ${opts.output}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return;
  }
  await writeText(run.io.stdout, text);
}

/** One line on the run's stderr, with the tool's prefix. */
export function warn(run: CliRun, message: string): void {
  run.io.stderr.write(`${TOOL_NAME}: ${message}\n`);
}

/** Colour only on a TTY, and never with NO_COLOR or --no-color. */
export function useColor(io: CliIo, opts: { color?: boolean; output?: string | undefined }, stream: CliIo['stdout'] = io.stdout): boolean {
  if (opts.color === false || opts.output) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
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

/**
 * First Ctrl-C: abort the controller (no new domain is started, those in
 * flight finish within their timeouts, what is done is written, exit 130).
 * Second Ctrl-C: exit 130 at once. Returns the function that removes the handler.
 */
export function interruptOnSigint(run: CliRun, controller: AbortController): () => void {
  return run.io.onInterrupt(() => {
    if (controller.signal.aborted) run.io.exitNow(130);
    // On a terminal the ^C echo leaves the cursor mid-line: start a new one.
    run.io.stderr.write(`${run.io.stderr.isTTY ? '\n' : ''}${TOOL_NAME}: interrupted; finishing the domains in flight (Ctrl-C again to quit now)\n`);
    controller.abort();
  });
}

/**
 * Options that cannot go together are a usage error (exit 2, one line).
 * `given` tells whether an option came from the command line (not a default).
 */
export function rejectConflicts(cmd: Command, pairs: readonly [string, string, string?][]): void {
  const fromCli = (key: string): boolean => cmd.getOptionValueSource(key) === 'cli';
  for (const [a, b, why] of pairs) {
    if (fromCli(a) && fromCli(b)) throw new UsageError(`${flagOf(cmd, a)} cannot be used with ${flagOf(cmd, b)}${why ? `: ${why}` : ''}`);
  }
}

function flagOf(cmd: Command, key: string): string {
  const o = cmd.options.find((x) => x.attributeName() === key);
  return o?.long ?? key;
}
