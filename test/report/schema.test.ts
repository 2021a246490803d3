import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020Module, { type ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/findings/catalog.js';
import { renderJson, renderJsonLine } from '../../src/report/json.js';
import { summarize } from '../../src/report/summary.js';
import type { ProbeResult } from '../../src/smtp/types.js';
import { runInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startMtaStsHost, type SandboxMtaStsHost } from '../../src/sandbox/index.js';
import { FIXTURES, startFixtureServer } from '../support/fixtures.js';
import { HOSTILE_STRINGS, hostileReport } from '../support/hostile.js';
import { closedPort } from '../support/send-paths.js';
import { createTestCertificates, MICROSOFT_AUTH_REPLIES, startHostileSmtpServer, startMicrosoftLikeSmtpServer, type TestSmtpServer } from '../support/smtp-servers.js';

const SCHEMA_FILE = new URL('../../schema/report.schema.json', import.meta.url);
const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { $id: string; $defs: Record<string, { enum?: string[] }> };
const ID = schema.$id;

/** RFC 3339 date-time (the one format the schema uses); ajv-formats is not a dependency. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

// ajv is CommonJS: under NodeNext its class is the module's `default` (module.exports.default is the class too).
const Ajv2020 = Ajv2020Module.default;
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
ajv.addSchema(schema);
const get = (ref: string): ValidateFunction => {
  const v = ajv.getSchema(ref);
  if (!v) throw new Error(`no schema at ${ref}`);
  return v;
};
const validateDoc = get(ID);
const validateLine = get(`${ID}#/$defs/JsonlLine`);
const validateReport = get(`${ID}#/$defs/DomainReport`);
const validateProbe = get(`${ID}#/$defs/ProbeResult`);
const validateProbeDoc = get(`${ID}#/$defs/ProbeDocument`);
const validatePlanRun = get(`${ID}#/$defs/PlanRunInfo`);
const validateSpfRun = get(`${ID}#/$defs/SpfRunInfo`);
const validateSendPaths = get(`${ID}#/$defs/SendPathsDocument`);

/** Asserts validity with ajv's errors in the failure message. */
function expectValid(v: ValidateFunction, data: unknown, what: string): void {
  const ok = v(data);
  expect(ok, `${what}: ${ajv.errorsText(v.errors, { separator: '\n' })}`).toBe(true);
}

const ZONES = readdirSync(`${FIXTURES}zones`).filter((f) => f.endsWith('.zone')).map((f) => f.slice(0, -'.zone'.length)).sort();

let dns: TestDnsServer;
let smtp: TestSmtpServer;
let dir: string;
let caFile: string;
let policyHost: SandboxMtaStsHost;
beforeAll(async () => {
  [dns, smtp, policyHost] = await Promise.all([
    startFixtureServer(),
    startMicrosoftLikeSmtpServer({ auth: MICROSOFT_AUTH_REPLIES.disabled }),
    // mtasts.test publishes _mta-sts: its policy comes from the sandbox (--mta-sts-host), a real fetch on loopback.
    startMtaStsHost({ policies: { 'mtasts.test': { body: 'version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmax_age: 604800\n' } } }),
  ]);
  // timeout.test's zone says so: its TXT lookups time out, giving DNS_TEMPFAIL and unknown sections.
  dns.setFault('timeout.test', 'timeout', 'TXT');
  dir = await mkdtemp(join(tmpdir(), 'm365audit-schema-'));
  caFile = join(dir, 'ca.pem');
  // One --tls-ca for the SMTP endpoint and the MTA-STS policy host.
  await writeFile(caFile, `${smtp.caPem}\n${policyHost.caPem}`);
}, 30_000);
afterAll(async () => {
  await Promise.all([dns?.close(), smtp?.close(), policyHost?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

// 1500 ms: the answers that must come (a loaded machine, a second suite beside this one) beat it; the injected timeouts wait it out once.
const dnsArgs = (): string[] => ['--dns-server', dns.server, '--timeout', '1500', '--retries', '0'];
/** check and batch also fetch MTA-STS policies: from the sandbox's policy host, trusted by --tls-ca. */
const auditArgs = (): string[] => [...dnsArgs(), '--mta-sts-host', `127.0.0.1:${policyHost.port}`, '--tls-ca', caFile];
const INPUTS = [...ZONES, 'nonexistent.test', 'not a domain!', ''];

describe('schema/report.schema.json', () => {
  it('is a valid draft 2020-12 schema that compiles in strict mode', () => {
    expect((schema as { $schema?: string }).$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(ajv.validateSchema(schema)).toBe(true);
  });

  it('lists exactly the catalog codes, severities and areas', () => {
    const defs = schema.$defs;
    expect(defs.FindingCode?.enum).toEqual(Object.keys(CATALOG));
    for (const code of Object.keys(CATALOG)) expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
    const entries = Object.values(CATALOG);
    expect(new Set(defs.Severity?.enum)).toEqual(new Set(entries.map((e) => e.severity)));
    for (const e of entries) expect(defs.Area?.enum).toContain(e.area);
  });

  it('(a) check --format json over every fixture zone, a missing domain and invalid inputs', async () => {
    const r = await runInProcess(['check', ...INPUTS, ...auditArgs(), '--no-probe', '--format', 'json'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as { domains: { grade: string; findings: { code: string }[]; spf: { status: string } | null }[]; probe: unknown };
    expectValid(validateDoc, doc, 'check --format json');
    expect(doc.domains).toHaveLength(INPUTS.length);
    expect(doc.probe).toBeNull();
    // The transport sections are filled and valid: mtasts.test's policy fetched from the sandbox, the DNSSEC zones' states.
    const byDomain = new Map((doc.domains as unknown as { domain: string | null; mtaSts: { state: string; policy: { fetch: string } | null } | null; dnssec: { state: string } | null }[]).map((d) => [d.domain, d]));
    expect(byDomain.get('mtasts.test')?.mtaSts).toMatchObject({ state: 'enforce', policy: { fetch: 'ok' } });
    expect(byDomain.get('ready.test')?.mtaSts).toMatchObject({ state: 'absent' });
    expect(byDomain.get('ready.test')?.dnssec).toMatchObject({ state: 'unsigned' });
    // The run covers the failure paths too: NXDOMAIN, invalid input, a failed lookup (an unknown section).
    const grades = new Set(doc.domains.map((d) => d.grade));
    expect(grades).toContain('ready');
    expect(grades).toContain('not-ready');
    expect(doc.domains.some((d) => d.spf?.status === 'unknown')).toBe(true);
    const codes = new Set(doc.domains.flatMap((d) => d.findings.map((f) => f.code)));
    for (const c of ['DOMAIN_INVALID', 'DOMAIN_NOT_FOUND', 'DNS_TEMPFAIL', 'MX_MISSING']) expect(codes).toContain(c);
  }, 60_000);

  it('(a) check --format json with the submission probe and --probe-mx', async () => {
    // mx-unresolved.test's MX host has no address (an MX probe result without a connection); ready.test's would be a
    // documentation address off loopback, which the loopback guard refuses.
    const r = await runInProcess(['check', 'mx-unresolved.test', 'probe-mx.test', ...dnsArgs(), '--probe-host', `${smtp.host}:${smtp.port}`, '--tls-ca', caFile,
      '--probe-mx', '--probe-mx-port', String(smtp.port), '--insecure', '--format', 'json']);
    const doc = JSON.parse(r.stdout) as { probe: ProbeResult | null; domains: { mxProbe?: ProbeResult }[] };
    expectValid(validateDoc, doc, 'check with probes');
    expect(doc.probe?.reachable).toBe(true);
    expect(doc.domains[1]?.mxProbe?.host).toBe('mx.probe-mx.test');
    // jsonl: the last line carries the probe and the run.
    const l = await runInProcess(['check', 'ready.test', 'probe-mx.test', ...dnsArgs(), '--probe-host', `${smtp.host}:${smtp.port}`, '--tls-ca', caFile, '--format', 'jsonl']);
    const lines = l.stdout.trimEnd().split('\n').map((x) => JSON.parse(x) as Record<string, unknown>);
    for (const [i, line] of lines.entries()) expectValid(validateLine, line, `jsonl line ${i + 1}`);
    expect((lines[1]?.probe as ProbeResult).reachable).toBe(true);
    expect(validateLine({ ...lines[1], probe: 'x' })).toBe(false);
    expect(validateLine({ ...lines[1], run: undefined })).toBe(false);
  });

  it('(a) a domain whose lookups failed: grade unknown, score null', async () => {
    dns.setFault('ready.test', 'servfail');
    try {
      const r = await runInProcess(['check', 'ready.test', ...dnsArgs(), '--no-probe', '--format', 'json']);
      const doc = JSON.parse(r.stdout) as { domains: { grade: string; score: number | null }[] };
      expectValid(validateDoc, doc, 'unknown domain');
      expect(doc.domains[0]).toMatchObject({ grade: 'unknown', score: null });
    } finally {
      dns.setFault('ready.test', null);
    }
  });

  it('(b) every line of batch - --format jsonl is a DomainReport; batch --format json is a document', async () => {
    const input = [...INPUTS.filter((d) => d !== ''), '# a comment', 'https://ready.test/path', 'user@mx-none.test', 'a..b', '-', 'xn--', 'x'.repeat(300)].join('\n');
    const r = await runInProcess(['batch', '-', ...auditArgs(), '--no-probe', '--format', 'jsonl'], { input, timeoutMs: 60_000 });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(INPUTS.length);
    for (const [i, line] of lines.entries()) {
      const value = JSON.parse(line) as Record<string, unknown>;
      expectValid(validateLine, value, `jsonl line ${i + 1}`);
      // The last line also carries the run's probe and run; without them it is a DomainReport like the others.
      const last = i === lines.length - 1;
      expect(Object.hasOwn(value, 'run'), `line ${i + 1} has run`).toBe(last);
      const { probe: _p, run: _r, ...report } = value;
      expectValid(validateReport, report, `jsonl line ${i + 1} as DomainReport`);
      if (last) expect(validateReport(value)).toBe(false);
    }
    const j = await runInProcess(['batch', '-', ...dnsArgs(), '--no-probe', '--format', 'json'], { input: 'ready.test\nmx-none.test\nnot a domain!\n' });
    const doc = JSON.parse(j.stdout) as { summary?: { domains: number } };
    expectValid(validateDoc, doc, 'batch --format json');
    expect(doc.summary?.domains).toBe(3);
  }, 60_000);

  it('(b2) batch reports carry their row index, and a --shard run its shard; check reports carry none; old runs without them stay valid', async () => {
    const input = '# tenants\nready.test\n\nmx-none.test\nnot a domain!\nready.test\n';
    const all = await runInProcess(['batch', '-', ...dnsArgs(), '--no-probe', '--format', 'jsonl'], { input });
    const lines = all.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { run?: { options: Record<string, unknown> } });
    for (const [i, line] of lines.entries()) expectValid(validateLine, line, `jsonl line ${i + 1}`);
    expect(lines.map((l) => l.row)).toEqual([0, 1, 2, 3]);
    expect(lines[3]?.run?.options).not.toHaveProperty('shard');
    const shard = await runInProcess(['batch', '-', ...dnsArgs(), '--no-probe', '--format', 'json', '--shard', '1/2'], { input });
    const doc = JSON.parse(shard.stdout) as { domains: { row: number }[]; run: { options: Record<string, unknown> } };
    expectValid(validateDoc, doc, 'batch --shard --format json');
    expect(doc.domains.map((d) => d.row)).toEqual([1, 3]);
    expect(doc.run.options.shard).toEqual({ index: 1, count: 2 });
    const check = JSON.parse((await runInProcess(['check', 'ready.test', ...dnsArgs(), '--no-probe', '--format', 'json'])).stdout) as { domains: Record<string, unknown>[] };
    expect(check.domains[0]).not.toHaveProperty('row');
    const { row: _row, ...withoutRow } = lines[0] as Record<string, unknown>;
    expectValid(validateLine, withoutRow, 'a line saved before rows were recorded');
    const bad: [string, unknown][] = [
      ['a negative row', { ...lines[0], row: -1 }],
      ['a fractional row', { ...lines[0], row: 1.5 }],
      ['a row that is a string', { ...lines[0], row: '1' }],
      ['a shard without count', { ...doc, run: { ...doc.run, options: { ...doc.run.options, shard: { index: 0 } } } }],
      ['a shard of count 0', { ...doc, run: { ...doc.run, options: { ...doc.run.options, shard: { index: 0, count: 0 } } } }],
      ['a shard with an extra field', { ...doc, run: { ...doc.run, options: { ...doc.run.options, shard: { index: 0, count: 2, of: 'x' } } } }],
    ];
    for (const [what, v] of bad) expect(what.includes('shard') ? validateDoc(v) : validateLine(v), what).toBe(false);
  });

  it('(c) demo --format json', async () => {
    const r = await runInProcess(['demo', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { probe: ProbeResult | null; summary?: unknown };
    expectValid(validateDoc, doc, 'demo --format json');
    expect(doc.probe?.certificate?.verified).toBe(true);
    expect(doc.summary).toBeDefined();
  });

  it('(d) probe --format json is a ProbeResult with its run: Microsoft-like with an AUTH test, and hostile endpoints', async () => {
    const servers = await Promise.all([startHostileSmtpServer('no-starttls'), startHostileSmtpServer('refused'), startHostileSmtpServer('garbage')]);
    try {
      const runs = [
        runInProcess(['probe', `${smtp.host}:${smtp.port}`, '--tls-ca', caFile, '--auth-user', 'scanner@contoso.com', '--format', 'json'], { env: { M365AUDIT_SMTP_PASSWORD: 'not-the-password' } }),
        runInProcess(['probe', `${smtp.host}:${smtp.port}`, '--format', 'json']),
        ...servers.map((s) => runInProcess(['probe', `${s.host}:${s.port}`, '--timeout', '2000', '--format', 'json'])),
      ];
      const results = (await Promise.all(runs)).map((r) => JSON.parse(r.stdout) as ProbeResult & { run: Record<string, unknown> });
      for (const [i, p] of results.entries()) {
        expectValid(validateProbeDoc, p, `probe ${i}`);
        const { run, ...result } = p;
        expectValid(validateProbe, result, `probe ${i} without its run`);
        expect(validateProbe(p), 'a ProbeResult has no run').toBe(false);
        expect(run).toMatchObject({ version: expect.any(String), resolvers: [], options: { tls: 'starttls', insecure: false } });
      }
      expect(results[0]?.run.options).toEqual({ endpoint: `${smtp.host}:${smtp.port}`, tls: 'starttls', authUser: 'scanner@contoso.com', timeoutMs: 10_000, insecure: false, tlsCa: caFile });
      expect(JSON.stringify(results[0])).not.toContain('not-the-password');
      expect(validateProbeDoc({ ...results[1], run: { ...results[1]?.run, options: { ...(results[1]?.run.options as object), password: 'x' } } })).toBe(false);
      expect(results[0]?.auth?.outcome).toBe('disabled');
      expect(results[1]?.certificate?.verified).toBe(false);
      // The presented chain for DANE matching (issue 16): the leaf and the CA Node links it to, digests only.
      const chain = results[0]?.certificate?.chain ?? [];
      expect(chain.map((c) => [c.selfIssued, c.signedByNext])).toEqual([[false, true], [true, false]]);
      const { run: _run, ...probe0 } = results[0] as ProbeResult & { run: unknown };
      const withChain = (c: Record<string, unknown>): unknown => ({ ...probe0, certificate: { ...probe0.certificate, chain: [{ ...chain[0], ...c }] } });
      expect(validateProbe(withChain({ sha256: 'AB' }))).toBe(false);
      expect(validateProbe(withChain({ der: 'MIIB' }))).toBe(false);
      expectValid(validateProbe, withChain({ spkiSha256: '', spkiSha512: '' }), 'a key that could not be read');
      expect(results[2]?.findings.map((f) => f.code)).toContain('SMTP_NO_STARTTLS');
      expect(results[3]?.reachable).toBe(false);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  }, 30_000);

  it('(d2) probe --oauth --format json: XOAUTH2 with its oauth section (source, claims), Basic auth retired; never a token field', async () => {
    const token = 'eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL291dGxvb2sub2ZmaWNlMzY1LmNvbSJ9.c2ln';
    const s = await startMicrosoftLikeSmtpServer({ oauth: { user: 'scanner@contoso.com', token }, login: MICROSOFT_AUTH_REPLIES.basicRetired });
    try {
      const args = ['probe', `${s.host}:${s.port}`, '--tls-ca', caFile, '--auth-user', 'scanner@contoso.com', '--format', 'json'];
      const sent = await Promise.all([
        runInProcess([...args, '--oauth'], { env: { M365AUDIT_OAUTH_TOKEN: token } }),
        runInProcess(args, { env: { M365AUDIT_SMTP_PASSWORD: 'not-the-password' } }),
        // Not sent (no trust in the certificate): the oauth section all the same.
        runInProcess(['probe', `${s.host}:${s.port}`, '--auth-user', 'scanner@contoso.com', '--oauth', '--format', 'json'], { env: { M365AUDIT_OAUTH_TOKEN: token } }),
      ]);
      expect(sent.map((r) => r.code)).toEqual([0, 1, 2]);
      const [x, b, n] = sent.map((r) => JSON.parse(r.stdout) as ProbeResult & { run: unknown });
      expectValid(validateProbeDoc, x, 'probe --oauth');
      expectValid(validateProbeDoc, b, 'probe, Basic auth retired');
      expectValid(validateProbeDoc, n, 'probe --oauth, not sent');
      expect(x?.auth).toMatchObject({ mechanism: 'XOAUTH2', outcome: 'accepted' });
      // The claims decoded (a token without roles or expiry: the server accepted it, so App RBAC, info).
      expect(x?.oauth).toMatchObject({ source: 'env', claims: { format: 'jwt', kind: 'app', aud: ['https://outlook.office365.com'], roles: null, exp: null } });
      expect(x?.findings.map((f) => f.code)).toEqual(['OAUTH_TOKEN_APP_RBAC']);
      expect(b?.auth).toMatchObject({ mechanism: 'LOGIN', outcome: 'retired' });
      expect(b?.oauth).toBeUndefined();
      expect(b?.findings.map((f) => f.code)).toEqual(['SMTP_BASIC_AUTH_RETIRED']);
      expect(n?.auth).toMatchObject({ mechanism: 'XOAUTH2', outcome: 'not-sent' });
      expect(JSON.stringify(sent.map((r) => r.stdout))).not.toContain(token);
      const { run: _run, ...result } = x as ProbeResult & { run: unknown };
      const claims = { ...(x?.oauth?.claims ?? {}), aud: ['https://outlook.office365.com'], roles: ['SMTP.SendAsApp'], tid: 't', appid: 'a', exp: 1_796_083_200, idtyp: 'app' };
      expectValid(validateProbe, { ...result, oauth: { source: 'secret', claims, tokenUrl: 'https://login.microsoftonline.com/t/oauth2/v2.0/token' } }, 'claims');
      const error = { kind: 'aadsts', status: 401, error: 'invalid_client', codes: [7000215], description: 'AADSTS7000215: Invalid client secret provided.', traceId: null, correlationId: null, timestamp: null };
      expectValid(validateProbe, { ...result, auth: null, oauth: { source: 'secret', claims: null, error } }, 'grant error');
      expect(validateProbe({ ...result, oauth: { source: 'secret', claims: null, error: { ...error, kind: 'other' } } })).toBe(false);
      expect(validateProbe({ ...result, oauth: { source: 'secret', claims: { ...claims, aud: 'https://outlook.office365.com' } } })).toBe(false);
      expect(validateProbe({ ...result, oauth: { source: 'env', claims: null, token } })).toBe(false);
      expect(validateProbe({ ...result, oauth: { source: 'env', claims: { ...claims, upn: 'x' } } })).toBe(false);
      expect(validateProbe({ ...result, oauth: { source: 'argv', claims: null } })).toBe(false);
      expect(validateProbe({ ...result, auth: { ...result.auth, mechanism: 'PLAIN' } })).toBe(false);
    } finally {
      await s.close();
    }
  }, 30_000);

  it('(e) plan and spf --format json carry their run: PlanRunInfo, SpfRunInfo', async () => {
    const plan = JSON.parse((await runInProcess(['plan', 'ready.test', '--tenant', 'contoso', ...dnsArgs(), '--format', 'json'])).stdout) as { rows: unknown[]; run: unknown };
    expect(plan.rows.length).toBeGreaterThan(0);
    expectValid(validatePlanRun, plan.run, 'plan run');
    expect(plan.run).toMatchObject({ resolvers: [dns.server], options: { tenant: 'contoso', cloud: null, timeoutMs: 1500, retries: 0 } });
    const spf = JSON.parse((await runInProcess(['spf', 'ready.test', '--ip', '192.0.2.1', '--sender', '', '--helo', 'mta.ready.test', '--cloud', 'worldwide', ...dnsArgs(), '--format', 'json'])).stdout) as { result: string; run: unknown };
    expect(spf.result).toBeTypeOf('string');
    expectValid(validateSpfRun, spf.run, 'spf run');
    expect(spf.run).toMatchObject({ resolvers: [dns.server], options: { ip: '192.0.2.1', sender: '', helo: 'mta.ready.test', cloud: 'worldwide', timeoutMs: 1500, retries: 0 } });
    // The three shapes do not pass for each other.
    expect(validatePlanRun(spf.run)).toBe(false);
    expect(validateSpfRun(plan.run)).toBe(false);
  });

  it('(f) send-paths --format json is a SendPathsDocument: every verdict, the AUTH test, a closed port 25, a certificate', async () => {
    const closed = await closedPort();
    const certFile = join(dir, 'device.pem');
    const device = await createTestCertificates({ names: ['printer.local'] });
    await writeFile(certFile, device.certPem);
    const base = [...dnsArgs(), '--probe-host', `${smtp.host}:${smtp.port}`, '--tls-ca', caFile, '--format', 'json'];
    const runs = await Promise.all([
      runInProcess(['send-paths', 'paths-in.test', '--ip', '192.0.2.25', '--from', 'scanner@paths-in.test', '--auth-user', 'scanner@paths-in.test', '--probe-mx-port', String(smtp.port), '--insecure', '--cert', certFile, ...base], { env: { M365AUDIT_SMTP_PASSWORD: 'not-the-password' } }),
      runInProcess(['send-paths', 'paths-out.test', '--ip', '2001:db8::25', '--probe-mx-port', String(closed), ...base]),
      runInProcess(['send-paths', 'paths-other.test', ...base]),
      // Only the paths-* Microsoft MX hosts are loopback: any other would take the port-25 probe off this machine.
      runInProcess(['send-paths', 'mx-none.test', '--cloud', 'gcc-high', ...base]),
    ]);
    const docs = runs.map((r) => JSON.parse(r.stdout) as { paths: { verdict: string }[]; findings: { code: string }[]; run: { options: Record<string, unknown> } } & Record<string, unknown>);
    for (const [i, d] of docs.entries()) expectValid(validateSendPaths, d, `send-paths ${i}`);
    expect(new Set(docs.flatMap((d) => d.paths.map((p) => p.verdict)))).toEqual(new Set(['works', 'blocked', 'unknown']));
    const codes = new Set(docs.flatMap((d) => d.findings.map((f) => f.code)));
    for (const c of ['SMTP_AUTH_DISABLED', 'CONNECTOR_CERT_NAME_MISMATCH', 'MESSAGE_SPF_FAIL', 'SMTP_UNREACHABLE', 'MX_NOT_M365', 'MX_MISSING']) expect(codes).toContain(c);
    expect(docs[0]?.run.options).toEqual({
      ip: '192.0.2.25', from: 'scanner@paths-in.test', cloud: null, submission: `${smtp.host}:${smtp.port}`, authUser: 'scanner@paths-in.test',
      mxPort: smtp.port, probeTimeoutMs: 10_000, insecure: true, tlsCa: caFile, cert: certFile, timeoutMs: 1500, retries: 0,
    });
    expect(JSON.stringify(docs[0])).not.toContain('not-the-password');
    // The shape can fail: a path missing, a verdict or check of another name, a secret in the options, another command's run.
    const good = docs[0] as Record<string, unknown> & { paths: Record<string, unknown>[]; run: { options: Record<string, unknown> } };
    const bad: [string, unknown][] = [
      ['two paths', { ...good, paths: good.paths.slice(0, 2) }],
      ['the paths out of order', { ...good, paths: [good.paths[1], good.paths[0], good.paths[2]] }],
      ['an unknown verdict', { ...good, paths: good.paths.map((p, i) => (i === 0 ? { ...p, verdict: 'maybe' } : p)) }],
      ['an unknown check', { ...good, paths: good.paths.map((p) => ({ ...p, conditions: [{ check: 'dkim', state: 'ok', reason: 'x', codes: [] }] })) }],
      ['a password in the options', { ...good, run: { ...good.run, options: { ...good.run.options, password: 'x' } } }],
      ['a probe run instead', { ...good, run: { ...good.run, options: { endpoint: 'x:1', tls: 'starttls', authUser: null, timeoutMs: 1, insecure: false, tlsCa: null } } }],
      ['no findings', { ...good, findings: undefined }],
      ['an extra field', { ...good, extra: 1 }],
    ];
    for (const [what, doc] of bad) expect(validateSendPaths(doc), what).toBe(false);
  }, 30_000);

  it('renderJson and renderJsonLine output validates, hostile strings and all', () => {
    const reports = HOSTILE_STRINGS.map((_, i) => hostileReport(i));
    expectValid(validateDoc, JSON.parse(renderJson(reports, null, { summary: summarize(reports) })), 'renderJson');
    for (const r of reports) expectValid(validateLine, JSON.parse(renderJsonLine(r)), `renderJsonLine ${r.domain}`);
  });

  it('rejects what is not a report: the schema can fail', async () => {
    const r = await runInProcess(['check', 'ready.test', 'mx-none.test', ...dnsArgs(), '--no-probe', '--format', 'json']);
    const good = JSON.parse(r.stdout) as Record<string, unknown> & { domains: Record<string, unknown>[] };
    expectValid(validateDoc, good, 'baseline');
    const mutate = (f: (d: typeof good) => void): unknown => {
      const copy = structuredClone(good);
      f(copy);
      return copy;
    };
    const first = (d: typeof good): Record<string, unknown> => d.domains[0] as Record<string, unknown>;
    const bad: [string, unknown][] = [
      ['no schemaVersion', mutate((d) => delete d.schemaVersion)],
      ['schemaVersion 2', mutate((d) => (d.schemaVersion = 2))],
      ['an unknown grade', mutate((d) => (first(d).grade = 'excellent'))],
      ['a score over 100', mutate((d) => (first(d).score = 101))],
      ['a fractional score', mutate((d) => (first(d).score = 99.5))],
      ['an unknown cloud', mutate((d) => (first(d).cloud = 'mars'))],
      ['no findings list', mutate((d) => delete first(d).findings)],
      ['no probe key', mutate((d) => delete d.probe)],
      ['an extra top-level field', mutate((d) => (d.extra = true))],
      ['a section without status', mutate((d) => delete (first(d).mx as Record<string, unknown>).status)],
      ['a section with an unknown status', mutate((d) => ((first(d).spf as Record<string, unknown>).status = 'missing'))],
      ['an unknown finding code', mutate((d) => ((d.domains[1]?.findings as Record<string, unknown>[])[0]!.code = 'MX_GONE'))],
      ['a lower-case finding code', mutate((d) => ((d.domains[1]?.findings as Record<string, unknown>[])[0]!.code = 'mx_missing'))],
      ['an unknown severity', mutate((d) => ((d.domains[1]?.findings as Record<string, unknown>[])[0]!.severity = 'fatal'))],
      ['a finding with an extra field', mutate((d) => ((d.domains[1]?.findings as Record<string, unknown>[])[0]!.extra = 1))],
      ['a non-string meta value', mutate((d) => (first(d).meta = { n: 1 }))],
      ['a probe of the wrong shape', mutate((d) => (d.probe = { host: 'x' }))],
      ['an SPF tree node with negative lookups', mutate((d) => ((first(d).spf as { tree: Record<string, unknown> }).tree = { domain: 'ready.test', record: null, lookups: -1, children: [] }))],
      ['no run', mutate((d) => delete d.run)],
      ['a run without resolvers', mutate((d) => delete (d.run as Record<string, unknown>).resolvers)],
      ['a run time that is not a date', mutate((d) => ((d.run as Record<string, unknown>).startedAt = 'yesterday'))],
      ['a run without complete', mutate((d) => delete (d.run as Record<string, unknown>).complete)],
      ['complete that is a string', mutate((d) => ((d.run as Record<string, unknown>).complete = 'yes'))],
      ['an unknown stop', mutate((d) => ((d.run as Record<string, unknown>).stopped = 'crashed'))],
      ['dead servers without a stop', mutate((d) => ((d.run as Record<string, unknown>).deadServers = ['192.0.2.53']))],
      ['negative rows read', mutate((d) => ((d.run as Record<string, unknown>).rowsRead = -1))],
      ['plan options in a check run', mutate((d) => ((d.run as Record<string, unknown>).options = { tenant: 'contoso', cloud: null, timeoutMs: 1, retries: 0 }))],
      ['a score beside grade unknown', mutate((d) => Object.assign(first(d), { grade: 'unknown', score: 100 }))],
      ['no auditedAt', mutate((d) => delete first(d).auditedAt)],
      ['an input over 256 characters', mutate((d) => (first(d).input = 'x'.repeat(257)))],
      ['a score that is a string', mutate((d) => (first(d).score = '?'))],
      ['a probe and run on a report of the document', mutate((d) => (first(d).run = d.run))],
      ['an SPF tree node without children', mutate((d) => ((first(d).spf as { tree: Record<string, unknown> }).tree = { domain: 'ready.test', record: null, lookups: 0 }))],
    ];
    for (const [what, doc] of bad) expect(validateDoc(doc), what).toBe(false);
    expectValid(validateDoc, mutate((d) => Object.assign(d.run as object, { complete: false, stopped: 'dns-dead', deadServers: ['192.0.2.53'], deadAfterMs: 9000, rowsRead: 256 })), 'a stopped run');
    expectValid(validateDoc, mutate((d) => Object.assign(d.run as object, { complete: null, rowsRead: null, rowsReported: null })), 'a run that did not record its coverage');
    const line = good.domains[0];
    expectValid(validateLine, line, 'baseline line');
    expect(validateLine({ ...line, grade: 'excellent' })).toBe(false);
    expect(validateLine({ ...line, domain: 5 })).toBe(false);
    expect(validateProbe({ host: 'x', port: 0, tls: 'starttls' })).toBe(false);
  });
});
