/**
 * Loaded with `--import` into every node process a test starts (the vitest
 * setup puts it in NODE_OPTIONS): the same loopback guard as in the tests,
 * reporting violations to the file M365AUDIT_LOOPBACK_LOG names, which the
 * test that started the process checks after it.
 */
import { appendFileSync } from 'node:fs';
import { installLoopbackGuard } from './loopback-guard.js';

const log = process.env.M365AUDIT_LOOPBACK_LOG;
installLoopbackGuard((message) => {
  if (log) appendFileSync(log, `${process.argv.slice(1).join(' ')}: ${message}\n`);
});
