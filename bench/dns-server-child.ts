/**
 * The benchmark's DNS server, in its own process so that the batch's peak
 * RSS is measured alone. Parent talks over the IPC channel:
 * receives { n, latencyMs, maxPending? }, answers { port }, then { stats } on request.
 */
import { fileURLToPath } from 'node:url';
import { startDnsServer } from '../src/sandbox/dns-server.js';
import { ZoneStore } from '../src/sandbox/zone-store.js';
import { buildSyntheticZones } from './synthetic.js';

const infra = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../fixtures/infra/' : '../fixtures/infra/', import.meta.url));

process.on('message', async (msg: { n?: number; latencyMs?: number; maxPending?: number; stats?: boolean; reset?: boolean }) => {
  if (msg.n !== undefined) {
    const zones = buildSyntheticZones(msg.n, new ZoneStore().loadDir(infra));
    server = await startDnsServer({ zones, latencyMs: msg.latencyMs ?? 20, ...(msg.maxPending !== undefined ? { maxPending: msg.maxPending } : {}) });
    process.send?.({ port: server.port, server: server.server });
  } else if (msg.reset && server) {
    server.resetStats();
    cpuAtReset = process.cpuUsage();
    process.send?.({ reset: true });
  } else if (msg.stats && server) {
    const s = server.stats();
    const cpu = process.cpuUsage(cpuAtReset);
    process.send?.({ stats: { udpQueries: s.udpQueries, tcpQueries: s.tcpQueries, truncated: s.truncated, unique: s.unique, dropped: s.dropped, cpuMs: (cpu.user + cpu.system) / 1000 } });
  }
});
let server: Awaited<ReturnType<typeof startDnsServer>> | undefined;
/** The server's own CPU since the last reset: the benchmark shows what the loopback server costs beside the client. */
let cpuAtReset = process.cpuUsage();
process.on('disconnect', () => {
  void server?.close().then(() => process.exit(0));
});
