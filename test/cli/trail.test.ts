import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseZone } from 'dnsz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { runInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';
import { startMicrosoftLikeSmtpServer, type TestSmtpServer } from '../support/smtp-servers.js';

/** plan, spf and probe carry the run's audit trail in every format, as check and batch do. */
let dns: TestDnsServer;
let smtp: TestSmtpServer;
let dir: string;
let caFile: string;
beforeAll(async () => {
  [dns, smtp] = await Promise.all([startFixtureServer(), startMicrosoftLikeSmtpServer({ credentials: { user: 'scanner@contoso.com', password: PASSWORD } })]);
  dir = await mkdtemp(join(tmpdir(), 'm365audit-trail-'));
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, smtp.caPem);
});
afterAll(async () => {
  await Promise.all([dns?.close(), smtp?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const PASSWORD = 'c0rrect-h0rse-Battery-staple!';
const dnsArgs = (): string[] => ['--dns-server', dns.server, '--timeout', '800', '--retries', '1'];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const lastLine = (text: string): string => text.trimEnd().split('\n').pop() ?? '';
type Run = { startedAt: string; finishedAt: string; version: string; resolvers: string[]; options: Record<string, unknown> };

/** The times of a run: UTC ISO 8601, in order, within the test's own clock. */
function expectTimes(run: Run, before: string, after: string): void {
  expect(run.startedAt).toMatch(ISO);
  expect(run.finishedAt).toMatch(ISO);
  expect(run.startedAt >= before && run.startedAt <= run.finishedAt && run.finishedAt <= after).toBe(true);
}

describe('plan', () => {
  const args = (): string[] => ['plan', 'google.plan.test', '--tenant', 'contoso', ...dnsArgs()];
  const esc = (s: string): string => s.replace(/[.[\]]/g, '\\$&');
  const footer = (): string => `Planned (\\S+) to (\\S+); m365audit ${esc(VERSION)}; resolver ${esc(dns.server)}; tenant contoso; cloud detected; DNS timeout 800 ms, 1 retry\\.`;

  it('json: run with the times, version, resolvers, tenant, cloud, timeout and retries; the plan fields unchanged', async () => {
    const before = new Date().toISOString();
    const r = await runInProcess([...args(), '--format', 'json']);
    const after = new Date().toISOString();
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { domain: string; tenant: string; rows: unknown[]; run: Run };
    expect(Object.keys(doc)).toEqual(['domain', 'tenant', 'cloud', 'exists', 'rows', 'warnings', 'run']);
    expect(doc.run).toEqual({ startedAt: expect.any(String), finishedAt: expect.any(String), version: VERSION, resolvers: [dns.server], options: { tenant: 'contoso', cloud: null, timeoutMs: 800, retries: 1 } });
    expectTimes(doc.run, before, after);
    const cloud = JSON.parse((await runInProcess([...args(), '--cloud', 'gcc-high', '--format', 'json'])).stdout) as { run: Run };
    expect(cloud.run.options.cloud).toBe('gcc-high');
  });

  it('table and markdown end with the footer line; zone ends with it as a ; comment and still parses', async () => {
    const table = (await runInProcess(args())).stdout;
    const [, start, end] = new RegExp(`^${footer()}$`).exec(lastLine(table)) ?? [];
    expect(start).toMatch(ISO);
    expect(end).toMatch(ISO);
    const md = (await runInProcess([...args(), '--format', 'markdown'])).stdout;
    expect(lastLine(md)).toMatch(new RegExp(`^_${footer()}_$`));
    const zone = (await runInProcess([...args(), '--format', 'zone'])).stdout;
    expect(lastLine(zone)).toMatch(new RegExp(`^; ${footer()}$`));
    expect(zone.split('\n').filter((l) => l.startsWith('; Planned'))).toHaveLength(1);
    // The comment changes nothing a zone parser reads: the same six records.
    const records = parseZone(zone, { defaultTTL: 300, defaultClass: 'IN' }).records;
    expect(records.map((x) => x.type)).toEqual(['MX', 'TXT', 'CNAME', 'CNAME', 'TXT', 'CNAME']);
  });
});

describe('spf', () => {
  it('json: run with ip, sender, helo and cloud as given, and the DNS options; the contract fields first', async () => {
    const before = new Date().toISOString();
    const r = await runInProcess(['spf', '--sender', '', '--helo', 'ready.test', '--ip', '192.0.2.1', ...dnsArgs(), '--format', 'json']);
    const after = new Date().toISOString();
    const doc = JSON.parse(r.stdout) as { result: string; run: Run } & Record<string, unknown>;
    expect(Object.keys(doc).slice(0, 6)).toEqual(['result', 'explanation', 'lookups', 'voidLookups', 'tree', 'findings']);
    expect(Object.keys(doc).pop()).toBe('run');
    expect(doc.result).toBe('fail');
    expect(doc.run).toEqual({ startedAt: expect.any(String), finishedAt: expect.any(String), version: VERSION, resolvers: [dns.server], options: { ip: '192.0.2.1', sender: '', helo: 'ready.test', cloud: null, timeoutMs: 800, retries: 1 } });
    expectTimes(doc.run, before, after);
    const bare = JSON.parse((await runInProcess(['spf', 'ready.test', '--cloud', 'worldwide', ...dnsArgs(), '--format', 'json'])).stdout) as { run: Run };
    expect(bare.run.options).toEqual({ ip: null, sender: null, helo: null, cloud: 'worldwide', timeoutMs: 800, retries: 1 });
  });

  it('table: the footer line', async () => {
    const with_ = (await runInProcess(['spf', 'ready.test', '--ip', '192.0.2.1', '--sender', 'a@ready.test', ...dnsArgs()])).stdout;
    expect(lastLine(with_)).toMatch(new RegExp(`^Checked \\S+ to \\S+; m365audit .*; resolver ${dns.server}; ip 192\\.0\\.2\\.1; sender a@ready\\.test; cloud detected; DNS timeout 800 ms, 1 retry\\.$`));
    const without = (await runInProcess(['spf', 'ready.test', ...dnsArgs()])).stdout;
    expect(lastLine(without)).toMatch(/; no client address \(analysis only\); cloud detected; DNS timeout 800 ms, 1 retry\.$/);
  });
});

describe('probe', () => {
  it('json: run with the endpoint, TLS mode, AUTH user and timeout; never the password', async () => {
    const before = new Date().toISOString();
    const r = await runInProcess(['probe', `${smtp.host}:${smtp.port}`, '--tls-ca', caFile, '--auth-user', 'scanner@contoso.com', '--timeout', '4000', '--format', 'json'], { env: { M365AUDIT_SMTP_PASSWORD: PASSWORD } });
    const after = new Date().toISOString();
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { reachable: boolean; auth: { outcome: string }; run: Run };
    expect(doc.reachable).toBe(true);
    expect(doc.auth.outcome).toBe('accepted');
    // An address is not looked up: no resolver was asked.
    expect(doc.run).toEqual({
      startedAt: expect.any(String), finishedAt: expect.any(String), version: VERSION, resolvers: [],
      options: { endpoint: `127.0.0.1:${smtp.port}`, tls: 'starttls', authUser: 'scanner@contoso.com', timeoutMs: 4000, insecure: false, tlsCa: caFile },
    });
    expectTimes(doc.run, before, after);
    for (const out of [r.stdout, r.stderr]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    }
  });

  it('table: the footer line, with a hostile user name escaped', async () => {
    const r = await runInProcess(['probe', `${smtp.host}:${smtp.port}`, '--tls-ca', caFile, '--insecure', '--tls', '--timeout', '1500']);
    expect(lastLine(r.stdout)).toMatch(new RegExp(`^Probed \\S+ to \\S+; m365audit .*; no DNS lookup \\(an address\\); endpoint 127\\.0\\.0\\.1:${smtp.port} \\(implicit TLS\\); no AUTH test; wait timeout 1500 ms; extra CA .*ca\\.pem; --insecure\\.$`));
    const evil = 'u\u202eser\u001b[31m@contoso.com';
    const h = await runInProcess(['probe', `${smtp.host}:${smtp.port}`, '--tls-ca', caFile, '--auth-user', evil], { env: { M365AUDIT_SMTP_PASSWORD: PASSWORD } });
    const footer = lastLine(h.stdout);
    expect(footer).toContain('AUTH test as u\\u202eser\\x1b[31m@contoso.com');
    expect(footer).not.toMatch(/[\u001b\u202e]/);
    expect(h.stdout).not.toContain(PASSWORD);
  });
});
