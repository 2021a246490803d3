import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsClient } from '../../src/dns/client.js';
import { runCli } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';
import { isLoopbackHost } from '../support/loopback-guard.js';
import { takeLoopbackViolations } from '../support/loopback-setup.js';

/**
 * The loopback guard (vitest setupFiles, test/support/loopback-setup.ts)
 * fires on every way off loopback, in this process and in the CLI processes
 * tests start. Each test takes the violations it caused, so the guard's own
 * afterEach (which fails a test that left any) stays quiet.
 */
let server: TestDnsServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(() => server.close());

const GUARD = /^loopback guard: /;

describe('the loopback guard', () => {
  it('knows loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost', 'a.localhost', undefined]) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['192.0.2.1', '10.0.0.1', '0.0.0.0', '::', '2001:db8::1', 'fe80::1', 'example.com', 'localhost.example']) expect(isLoopbackHost(h)).toBe(false);
  });

  it('refuses TCP and TLS connections off loopback, and lets loopback through', async () => {
    expect(() => net.connect({ host: '192.0.2.1', port: 25 })).toThrow(GUARD);
    expect(() => net.connect(587, 'smtp.office365.com')).toThrow(/TCP connection to smtp\.office365\.com:587/);
    expect(() => new net.Socket().connect({ host: '2001:db8::25', port: 25 })).toThrow(GUARD);
    expect(() => tls.connect({ host: '198.51.100.1', port: 443 })).toThrow(/TLS connection to 198\.51\.100\.1:443/);
    expect(() => tls.connect(443, 'outlook.office365.com')).toThrow(GUARD);
    expect(takeLoopbackViolations()).toHaveLength(5);

    const listener = net.createServer((s) => s.end('ok'));
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;
    const got = await new Promise<string>((resolve, reject) => {
      const c = net.connect({ host: '127.0.0.1', port });
      c.setEncoding('utf8').on('data', resolve).on('error', reject);
    });
    await new Promise<void>((r) => listener.close(() => r()));
    expect(got).toBe('ok');
    expect(takeLoopbackViolations()).toEqual([]);
  });

  it('refuses UDP datagrams and UDP connects off loopback', async () => {
    const s4 = dgram.createSocket('udp4');
    const s6 = dgram.createSocket('udp6');
    try {
      expect(() => s4.send(Buffer.from('x'), 53, '203.0.113.53')).toThrow(/UDP datagram to 203\.0\.113\.53:53/);
      expect(() => s4.send(Buffer.from('xyz'), 0, 3, 53, '192.0.2.53')).toThrow(GUARD);
      expect(() => s6.connect(53, '2001:db8::53')).toThrow(/UDP connect to 2001:db8::53:53/);
      expect(takeLoopbackViolations()).toHaveLength(3);
      // To loopback it is sent.
      const sink = dgram.createSocket('udp4');
      await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
      const received = new Promise<string>((r) => sink.once('message', (m) => r(m.toString())));
      s4.send(Buffer.from('hello'), sink.address().port, '127.0.0.1');
      expect(await received).toBe('hello');
      sink.close();
    } finally {
      s4.close();
      s6.close();
    }
    expect(takeLoopbackViolations()).toEqual([]);
  });

  it('refuses resolvers on the system servers or off-loopback servers; a loopback test server is fine', async () => {
    expect(() => new dns.promises.Resolver().resolveTxt('example.com')).toThrow(/resolveTxt\(example\.com\) on a resolver with the system's servers/);
    expect(() => new dns.Resolver().resolve4('example.com', () => undefined)).toThrow(GUARD);
    expect(() => new dns.promises.Resolver().setServers(['192.0.2.53'])).toThrow(/names the DNS server 192\.0\.2\.53/);
    expect(() => new dns.promises.Resolver().setServers(dns.getServers())).toThrow(GUARD);
    expect(() => dns.promises.resolveMx('example.com')).toThrow(/dns\.resolveMx\(example\.com\) on the system's resolver/);
    expect(() => dns.lookup('example.com', () => undefined)).toThrow(/dns\.lookup\(example\.com\)/);
    expect(takeLoopbackViolations()).toHaveLength(6);

    const r = new dns.promises.Resolver({ timeout: 1000, tries: 1 });
    r.setServers([server.server]);
    expect(await r.resolveMx('ready.test')).toEqual([{ exchange: 'ready-test.mail.protection.outlook.com', priority: 0 }]);
    expect(takeLoopbackViolations()).toEqual([]);
  });

  it('fails a test even when the code under test catches the error', async () => {
    // A DNS client on the system's resolvers: the guard throws at its first query; a caller that swallows it hides nothing.
    const system = createDnsClient({ timeoutMs: 500, retries: 0 });
    const outcome = await system.resolve('ready.test', 'TXT').then((a) => a.kind, (err: unknown) => String(err));
    expect(outcome).toMatch(/loopback guard|tempfail/);
    const seen = takeLoopbackViolations();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^loopback guard: Resolver#setServers names the (DNS server|system's own resolver) /);
  });

  it('is in the CLI processes tests start: a check without --dns-server is caught', async () => {
    const r = await runCli(['check', 'ready.test', '--no-probe', '--timeout', '300', '--retries', '0', '--format', 'json']);
    expect(r.stderr).toMatch(/loopback guard/);
    const seen = takeLoopbackViolations();
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen[0]).toMatch(/dist\/src\/cli\/main\.js check ready\.test .*: loopback guard: /);
    // With a loopback server the same run is clean.
    const ok = await runCli(['check', 'ready.test', '--no-probe', '--dns-server', server.server, '--format', 'json']);
    expect(ok.code).toBe(0);
    expect(takeLoopbackViolations()).toEqual([]);
  });
});
