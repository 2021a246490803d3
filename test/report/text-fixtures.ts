/**
 * The fixture run the ticket formats are measured on (markdown.test.ts,
 * text.test.ts): every domain of fixtures/zones and fixtures/demo, audited
 * in process through the loopback DNS server, the demo's MTA-STS policy on
 * the sandbox's policy host (every fetch stays on loopback).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DomainReport } from '../../src/audit/audit.js';
import { startMtaStsHost } from '../../src/sandbox/https-server.js';
import { readMtaStsPolicies } from '../../src/sandbox/mta-sts-files.js';
import { runInProcess } from '../support/cli.js';
import { FIXTURES, startFixtureServer } from '../support/fixtures.js';

/** The fixture domains: each zone file's origin. */
export const FIXTURE_DOMAINS = [...readdirSync(`${FIXTURES}zones`), ...readdirSync(`${FIXTURES}demo`)].filter((f) => f.endsWith('.zone')).map((f) => f.slice(0, -'.zone'.length));

/** "Typical" domains: the audited names of the fixtures (the Microsoft-side zones, up to 38 characters, are not a tenant's domain). */
export const isTypical = (domain: string): boolean => domain.length <= 30;

export interface TicketFixtures {
  reports: DomainReport[];
  /** The check options that reach the servers: DNS, the policy host and its CA, no probe. */
  args: string[];
  close(): Promise<void>;
}

export async function startTicketFixtures(): Promise<TicketFixtures> {
  const [server, policies] = await Promise.all([startFixtureServer({ dirs: ['zones', 'demo'] }), startMtaStsHost({ policies: readMtaStsPolicies(`${FIXTURES}demo`)?.policies ?? {} })]);
  const dir = mkdtempSync(join(tmpdir(), 'm365audit-ticket-'));
  writeFileSync(join(dir, 'ca.pem'), policies.caPem);
  const args = ['--dns-server', server.server, '--timeout', '1500', '--retries', '0', '--no-probe', '--mta-sts-host', `127.0.0.1:${policies.port}`, '--tls-ca', join(dir, 'ca.pem')];
  const r = await runInProcess(['check', ...FIXTURE_DOMAINS, ...args, '--format', 'json'], { timeoutMs: 60_000 });
  const reports = (JSON.parse(r.stdout) as { domains: DomainReport[] }).domains;
  return {
    reports,
    args,
    async close() {
      await Promise.all([server.close(), policies.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
