/**
 * Loaded with `--import` into every node process a test starts (the vitest
 * setup puts it in NODE_OPTIONS): the same loopback guard as in the tests,
 * reporting violations to the file M365AUDIT_LOOPBACK_LOG names, which the
 * test that started the process checks after it, and on the process's stderr.
 */
import { appendFileSync } from 'node:fs';
import { installLoopbackGuard } from './loopback-guard.js';

const log = process.env.M365AUDIT_LOOPBACK_LOG;
installLoopbackGuard((message) => {
  if (log) appendFileSync(log, `${process.argv.slice(1).join(' ')}: ${message}\n`);
  // Said on stderr too: the product may turn the guard's throw into a failed lookup (a DnsClient never rejects).
  process.stderr.write(`${message}\n`);
});
