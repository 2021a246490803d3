#!/usr/bin/env node
import { TOOL_NAME } from '../version.js';
import type { CliIo } from './io.js';
import { runProgram } from './program.js';

/** The one place that touches `process`: the real streams, environment and signals. */
function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    // Ctrl-C, and SIGTERM (a service manager, `kill`, a container stopping) the same way: stop starting work,
    // write what is done, clean up (the sandbox's CA file); a second signal ends the process at once.
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
    exitNow: (code) => process.exit(code),
    peakRssMiB: () => Math.round(process.resourceUsage().maxRSS / 1024),
    cpuMs: () => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1000;
    },
    v8Version: process.versions.v8,
  };
}

// `m365audit batch list | head`: the reader left, so stop quietly, as Unix tools do.
// Any other stdout failure is one line, never a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') process.stderr.write(`${TOOL_NAME}: cannot write the output: ${err.code ?? err.message}\n`);
  process.exit(err.code === 'EPIPE' ? (typeof process.exitCode === 'number' ? process.exitCode : 0) : 2);
});
process.exitCode = await runProgram(process.argv.slice(2), processIo());
