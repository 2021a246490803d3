import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { cleanText } from '../report/safe-text.js';
import { TOOL_NAME, VERSION } from '../version.js';
import type { CliIo, CliRun } from './io.js';
import { DESCRIPTIONS, type CommandName } from './command-table.js';
import { UsageError } from './usage.js';

/** A command's definition: built only when that command runs (the CLI starts at once). */
export type CommandFactory = (run: CliRun) => Command;

/**
 * Where each command's code lives (its description is in command-table.ts).
 * Only the command named on the command line is loaded; `--help` and
 * `--version` load none (bench: `--version` within 100 ms of bare node).
 */
export const COMMANDS: Readonly<Record<CommandName, () => Promise<CommandFactory>>> = {
  check: async () => (await import('./commands/check.js')).checkCommand,
  batch: async () => (await import('./commands/batch.js')).batchCommand,
  spf: async () => (await import('./commands/spf.js')).spfCommand,
  probe: async () => (await import('./commands/probe.js')).probeCommand,
  explain: async () => (await import('./commands/explain.js')).explainCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  diff: async () => (await import('./commands/diff.js')).diffCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  message: async () => (await import('./commands/message.js')).messageCommand,
  'send-paths': async () => (await import('./commands/send-paths.js')).sendPathsCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  sandbox: async () => (await import('./commands/sandbox.js')).sandboxCommand,
};

/** The command a command line names: the first argument that is not an option (`help X` names X). */
function commandNamed(args: readonly string[]): string | null {
  const first = args.find((a) => !a.startsWith('-'));
  if (first === undefined) return null;
  if (first === 'help') {
    const next = args[args.indexOf(first) + 1];
    return next !== undefined && Object.hasOwn(COMMANDS, next) ? next : null;
  }
  return Object.hasOwn(COMMANDS, first) ? first : null;
}

/**
 * The commander program for one run. The command named in `args` is built in
 * full (its options, its action); every other command is a stub with its
 * name and description, enough for `--help` and for commander's
 * "did you mean" suggestions.
 */
export async function buildProgram(run: CliRun, args: readonly string[] = []): Promise<Command> {
  const { io } = run;
  const program = new Command(TOOL_NAME)
    .description('Audit mail domains for Microsoft 365: SPF, DKIM, DMARC, MX, autodiscover, verification, SMTP submission.')
    .version(VERSION)
    .showSuggestionAfterError(true);
  const named = commandNamed(args);
  for (const name of Object.keys(COMMANDS) as CommandName[]) {
    if (name === named) program.addCommand(forbidRepeats((await COMMANDS[name]())(run)));
    else program.command(name).description(DESCRIPTIONS[name]).helpOption(false).allowUnknownOption().allowExcessArguments();
  }
  const output = {
    writeOut: (s: string) => void io.stdout.write(s),
    writeErr: (s: string) => void io.stderr.write(s),
    // One prefix for every error, commander's own included; what the user typed is echoed as data (escaped).
    // An unknown `--name=value` is echoed without its value: it may be a secret typed on the command line (`--secret=…`).
    outputError: (s: string, write: (s: string) => void) => write(safeLines(s.replace(/^error: /, `${TOOL_NAME}: `).replace(/unknown option '(-{1,2}[^=']*)=[^']*'/, "unknown option '$1=…' (its value not shown)"))),
  };
  program.configureOutput(output).exitOverride();
  for (const cmd of program.commands) cmd.configureOutput(output).exitOverride();
  return program;
}

/** Options that may be given more than once (each adds to a list). */
const REPEATABLE = new Set(['--dns-server', '--selector', '--zone']);

/**
 * An option with a value given twice is a usage error: commander would keep
 * the last one silently (`--format json --format csv`, `--cloud a --cloud b`).
 */
function forbidRepeats(cmd: Command): Command {
  for (const option of cmd.options) {
    if (!(option.required || option.optional) || option.variadic || (option.long && REPEATABLE.has(option.long))) continue;
    const parse = option.parseArg;
    let seen = false;
    option.argParser((value: string, previous: unknown) => {
      if (seen) throw new InvalidArgumentError(`${option.long ?? option.flags} is given more than once.`);
      seen = true;
      // commander's own choices check lives in parseArg too.
      return parse ? parse.call(option, value, previous) : value;
    });
  }
  return cmd;
}

/** Each line made safe for a terminal (control and bidi characters escaped), the line breaks kept. */
function safeLines(s: string): string {
  return s.split('\n').map(cleanText).join('\n');
}

/**
 * Runs one command line (without `node` and the script) and returns the
 * exit code: 0 none, 1 findings at the threshold, 2 usage or input error
 * (one line on stderr), 3 internal failure, 130 interrupted.
 */
export async function runProgram(args: readonly string[], io: CliIo): Promise<number> {
  const run: CliRun = { io, exitCode: 0 };
  try {
    const program = await buildProgram(run, args);
    await program.parseAsync([...args], { from: 'user' });
    return run.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its one-line message (help and version exit 0).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      io.stderr.write(`${TOOL_NAME}: ${cleanText(err.message)}\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`${TOOL_NAME}: internal error: ${cleanText(message.split('\n')[0] ?? '')}\n`);
    if (io.env.M365AUDIT_DEBUG) io.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return 3;
  }
}
