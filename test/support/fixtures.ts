import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDnsServer, type DnsServerOptions, type TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startMicrosoftLikeSmtpServer, type TestSmtpServer } from './smtp-servers.js';
import { ZoneStore } from '../../src/sandbox/zone-store.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** Microsoft stand-in zones (fixtures/infra) plus the given fixture folders (default fixtures/zones). */
export function fixtureZones(dirs: readonly string[] = ['zones']): ZoneStore {
  const store = new ZoneStore().loadDir(`${FIXTURES}infra`);
  for (const d of dirs) store.loadDir(`${FIXTURES}${d}`);
  return store;
}

/** A validating and a non-validating (DNSSEC-aware) sandbox resolver over fixtures/transport: [validating, plain]. */
export function startDnssecServers(): Promise<[TestDnsServer, TestDnsServer]> {
  return Promise.all([
    startDnsServer({ zones: fixtureZones(['transport']) }),
    startDnsServer({ zones: fixtureZones(['transport']), validating: false }),
  ]);
}

/** A loopback DNS server over the fixture zones. */
export function startFixtureServer(options: Omit<DnsServerOptions, 'zones' | 'zoneDir'> & { dirs?: string[] } = {}): Promise<TestDnsServer> {
  const { dirs, ...rest } = options;
  return startDnsServer({ ...rest, zones: fixtureZones(dirs) });
}

/** The fixture DNS server and a Microsoft-like SMTP endpoint, with the endpoint's CA written to a file for --tls-ca. */
export async function startFixtureServers(tmpPrefix: string): Promise<{ dns: TestDnsServer; smtp: TestSmtpServer; dir: string; caFile: string }> {
  const [dns, smtp] = await Promise.all([startFixtureServer(), startMicrosoftLikeSmtpServer()]);
  const dir = mkdtempSync(join(tmpdir(), tmpPrefix));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, smtp.caPem);
  return { dns, smtp, dir, caFile };
}
