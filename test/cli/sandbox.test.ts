import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_READY } from '../../src/cli/commands/sandbox.js';
import { createDnsClient } from '../../src/dns/client.js';
import { runInProcess, startInProcess, type InProcessRun } from '../support/cli.js';
import { FIXTURES } from '../support/fixtures.js';

const READY = new RegExp(`^${SANDBOX_READY}$`, 'm');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'm365audit-sandbox-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `sandbox`, waits for its ready line, and gives the address of its DNS server. */
async function started(args: string[]): Promise<{ run: InProcessRun; server: string; out: string }> {
  const run = startInProcess(['sandbox', ...args]);
  const out = await Promise.race([run.stdoutMatches(READY), run.done.then((r) => Promise.reject(new Error(`ended early: ${r.code} ${r.stderr}`)))]);
  const server = /--dns-server (127\.0\.0\.1:\d+)/.exec(out)?.[1];
  expect(server).toBeDefined();
  return { run, server: server as string, out };
}

const client = (server: string): ReturnType<typeof createDnsClient> => createDnsClient({ servers: [server], timeoutMs: 2000, retries: 0 });

describe('m365audit sandbox', () => {
  it('serves the folder and the Microsoft stand-ins on 127.0.0.1, prints the flag to use, and stops on Ctrl-C with exit 0', async () => {
    const { run, server, out } = await started(['--zones', `${FIXTURES}demo`]);
    const lines = out.split('\n').filter(Boolean);
    // The demo folder has an MTA-STS policy (fixtures/demo/mta-sts/): the policy host's line, and the try line for its domain (test/cli/sandbox-mta-sts.test.ts).
    const policy = /^mta-sts: 127\.0\.0\.1:(\d+), an MTA-STS policy host \(HTTPS\) for fabrikam\.example: --mta-sts-host 127\.0\.0\.1:\1 --tls-ca (\S+)$/.exec(lines[1] ?? '');
    expect(policy).not.toBeNull();
    expect(lines).toEqual([
      `dns: ${server} (UDP and TCP), 3 zones from ${FIXTURES}demo and 7 Microsoft stand-in zones: --dns-server ${server}`,
      lines[1],
      'zones: contoso.example, fabrikam.example, tailspin.example',
      `try: m365audit check fabrikam.example --dns-server ${server} --mta-sts-host 127.0.0.1:${policy?.[1]} --tls-ca ${policy?.[2]} --no-probe`,
      SANDBOX_READY,
    ]);
    const dns = client(server);
    expect(await dns.resolve('contoso.example', 'MX')).toEqual({ kind: 'records', records: [{ priority: 0, exchange: 'contoso-example.mail.protection.outlook.com' }] });
    // include:spf.protection.outlook.com resolves: the stand-ins are served too.
    const spf = await dns.resolve('spf.protection.outlook.com', 'TXT');
    expect(spf.kind === 'records' && spf.records[0]?.startsWith('v=spf1 ip4:')).toBe(true);
    expect(await dns.resolve('nothere.example', 'A')).toEqual({ kind: 'nxdomain' });
    // A whole audit against it, in the same process.
    const check = await runInProcess(['check', 'contoso.example', '--dns-server', server, '--no-probe', '--format', 'json']);
    expect(check.code).toBe(0);
    expect((JSON.parse(check.stdout) as { domains: { grade: string }[] }).domains[0]?.grade).toBe('ready');
    run.interrupt();
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^m365audit: sandbox stopped after \d+ DNS queries, 0 policy requests\n$/);
    // Closed: nothing answers there any more.
    expect(await createDnsClient({ servers: [server], timeoutMs: 200, retries: 0 }).resolve('contoso.example', 'MX')).toMatchObject({ kind: 'tempfail' });
  });

  it('--no-microsoft leaves the stand-ins out; a user zone with a stand-in\'s origin replaces it', async () => {
    const own = join(dir, 'own');
    writeFileSync(join(mkdir(own), 'outlook.com.zone'), '@ SOA ns1 hostmaster 1 3600 600 86400 300\nspf.protection TXT "v=spf1 ip4:198.51.100.0/24 -all"\n');
    writeFileSync(join(own, 'contoso.test.zone'), '@ MX 0 contoso-test.mail.protection.outlook.com.\n');
    const a = await started(['--zones', own]);
    expect(a.out).toMatch(/2 zones from .* and 6 Microsoft stand-in zones/);
    expect(await client(a.server).resolve('spf.protection.outlook.com', 'TXT')).toEqual({ kind: 'records', records: ['v=spf1 ip4:198.51.100.0/24 -all'] });
    expect(await client(a.server).resolve('autodiscover.outlook.com', 'CNAME')).toEqual({ kind: 'nxdomain' });
    a.run.interrupt();
    expect((await a.run.done).code).toBe(0);

    const b = await started(['--zones', own, '--no-microsoft']);
    expect(b.out).toMatch(/^dns: \S+ \(UDP and TCP\), 2 zones from \S+: --dns-server/m);
    expect(await client(b.server).resolve('selector1-contoso-example._domainkey.contoso.onmicrosoft.com', 'CNAME')).toEqual({ kind: 'nxdomain' });
    b.run.interrupt();
    expect((await b.run.done).code).toBe(0);
  });

  it('--smtp serves a Microsoft-like endpoint, prints --probe-host and --tls-ca, and removes the CA file on exit', async () => {
    const { run, out } = await started(['--zones', `${FIXTURES}demo`, '--smtp']);
    const flags = /^smtp: (127\.0\.0\.1:\d+), a Microsoft-like submission endpoint \(STARTTLS, AUTH LOGIN XOAUTH2\): --probe-host (\S+) --tls-ca (\S+)$/m.exec(out);
    expect(flags?.[1]).toBe(flags?.[2]);
    const caFile = flags?.[3] as string;
    expect(readFileSync(caFile, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const probe = await runInProcess(['probe', flags?.[2] as string, '--tls-ca', caFile, '--format', 'json']);
    expect(probe.code).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject({ reachable: true, starttls: true, authMechanisms: ['LOGIN', 'XOAUTH2'] });
    run.interrupt();
    expect((await run.done).code).toBe(0);
    expect(existsSync(caFile)).toBe(false);
  });

  it('--port N listens on that port; a port in use is one line, exit 2', async () => {
    const first = await started(['--zones', `${FIXTURES}demo`]);
    const port = Number(first.server.split(':')[1]);
    first.run.interrupt();
    await first.run.done;
    const again = await started(['--zones', `${FIXTURES}demo`, '--port', String(port)]);
    expect(again.server).toBe(`127.0.0.1:${port}`);
    expect((await client(again.server).resolve('fabrikam.example', 'MX')).kind).toBe('records');
    const busy = await runInProcess(['sandbox', '--zones', `${FIXTURES}demo`, '--port', String(port)]);
    expect([busy.code, busy.stdout, busy.stderr]).toEqual([2, '', `m365audit: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n`]);
    again.run.interrupt();
    expect((await again.run.done).code).toBe(0);

    // TCP taken but UDP free: still refused (both must be the one port).
    const tcp = createServer();
    const tcpPort = await new Promise<number>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve((tcp.address() as { port: number }).port)));
    const half = await runInProcess(['sandbox', '--zones', `${FIXTURES}demo`, '--port', String(tcpPort)]);
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    expect([half.code, half.stderr]).toEqual([2, `m365audit: cannot listen on 127.0.0.1:${tcpPort}: EADDRINUSE\n`]);
  });

  it('a zone file that does not parse is one line with the file and line number, exit 2, and nothing is served', async () => {
    const bad = mkdir(join(dir, 'bad'));
    writeFileSync(join(bad, 'a.example.zone'), '@ MX 0 mail\nmail A 192.0.2.1\n');
    writeFileSync(join(bad, 'b.example.zone'), '; fine so far\n@ MX 0 mail\nmail A 192.0.2.300\n');
    const r = await runInProcess(['sandbox', '--zones', bad]);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', `m365audit: ${join(bad, 'b.example.zone')}: line 3: A: not an IPv4 address: "192.0.2.300"\n`]);
  });

  it.each([
    [['--zones', '/nonexistent/zones'], 'm365audit: cannot read /nonexistent/zones: ENOENT\n'],
    [['--port', '70000', '--zones', '.'], "m365audit: option '--port <n>' argument '70000' is invalid. --port must be a whole number from 0 to 65535.\n"],
    [[], "m365audit: required option '--zones <dir>' not specified\n"],
  ])('%j: one line, exit 2', async (args, stderr) => {
    const r = await runInProcess(['sandbox', ...args]);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', stderr]);
  });

  it('a folder with no zone files is one line, exit 2', async () => {
    const empty = mkdir(join(dir, 'empty'));
    const r = await runInProcess(['sandbox', '--zones', empty]);
    expect([r.code, r.stderr]).toEqual([2, `m365audit: no .zone files in ${empty} (one zone a file, named ORIGIN.zone)\n`]);
  });

  it('serves one zone file given instead of a folder, and says which record types it leaves out', async () => {
    const file = join(dir, 'fabrikam.test.zone');
    writeFileSync(file, '@ MX 0 fabrikam-test.mail.protection.outlook.com.\n@ CAA 0 issue "ca.example"\n@ CAA 0 iodef "mailto:x@fabrikam.test"\n');
    const { run, server, out } = await started(['--zones', file, '--no-microsoft']);
    expect(out).toMatch(/^not served: 2 CAA \(types the sandbox does not serve\)$/m);
    expect(out).toMatch(/^zones: fabrikam\.test$/m);
    expect((await client(server).resolve('fabrikam.test', 'MX')).kind).toBe('records');
    run.interrupt();
    expect((await run.done).code).toBe(0);
  });
});

function mkdir(path: string): string {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  return path;
}
