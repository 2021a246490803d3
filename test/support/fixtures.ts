import { fileURLToPath } from 'node:url';
import { startDnsServer, type DnsServerOptions, type TestDnsServer } from './dns-server.js';
import { ZoneStore } from './zone-store.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** Microsoft stand-in zones (fixtures/infra) plus the given fixture folders (default fixtures/zones). */
export function fixtureZones(dirs: readonly string[] = ['zones']): ZoneStore {
  const store = new ZoneStore().loadDir(`${FIXTURES}infra`);
  for (const d of dirs) store.loadDir(`${FIXTURES}${d}`);
  return store;
}

/** A loopback DNS server over the fixture zones. */
export function startFixtureServer(options: Omit<DnsServerOptions, 'zones' | 'zoneDir'> & { dirs?: string[] } = {}): Promise<TestDnsServer> {
  const { dirs, ...rest } = options;
  return startDnsServer({ ...rest, zones: fixtureZones(dirs) });
}
