#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { TOOL_NAME, VERSION } from '../version.js';
import { batchCommand } from './commands/batch.js';
import { checkCommand } from './commands/check.js';
import { demoCommand } from './commands/demo.js';
import { explainCommand } from './commands/explain.js';
import { planCommand } from './commands/plan.js';
import { probeCommand } from './commands/probe.js';
import { reportCommand } from './commands/report.js';
import { spfCommand } from './commands/spf.js';
import { UsageError } from './common.js';

/** The commander program; thin: parse options, call the library, render. */
export function buildProgram(): Command {
  const program = new Command(TOOL_NAME)
    .description('Audit mail domains for Microsoft 365: SPF, DKIM, DMARC, MX, autodiscover, verification, SMTP submission.')
    .version(VERSION)
    .showSuggestionAfterError(true);
  for (const cmd of [checkCommand(), batchCommand(), spfCommand(), probeCommand(), explainCommand(), reportCommand(), planCommand(), demoCommand()]) program.addCommand(cmd);
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<void> {
  // `m365audit batch list | head`: the reader left, so stop quietly, as Unix tools do.
  // Any other stdout failure is one line, never a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') process.stderr.write(`${TOOL_NAME}: cannot write the output: ${err.code ?? err.message}\n`);
    process.exit(err.code === 'EPIPE' ? (typeof process.exitCode === 'number' ? process.exitCode : 0) : 2);
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its one-line message.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${TOOL_NAME}: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${TOOL_NAME}: internal error: ${message.split('\n')[0]}\n`);
    if (process.env.M365AUDIT_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    process.exitCode = 3;
  }
}

await main(process.argv);
