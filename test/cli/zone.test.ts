import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainReport } from '../../src/audit/audit.js';
import type { Plan } from '../../src/audit/plan.js';
import { SANDBOX_READY } from '../../src/cli/commands/sandbox.js';
import { runInProcess, startInProcess, type InProcessRun } from '../support/cli.js';
import { FIXTURES } from '../support/fixtures.js';

/**
 * `--zone FILE` on check, batch and plan, against the sandbox serving the
 * bundled fixtures: the pre-flight loop `plan --format zone > next.zone`,
 * then `check --zone next.zone`.
 */
const AREAS = new Set(['mx', 'spf', 'dkim', 'dmarc', 'autodiscover']);
/** As test/audit/plan-property.test.ts: the keys at the CNAME targets are Microsoft's to publish, not the plan's. */
const KEY_CODES = new Set(['DKIM_NO_KEY', 'DKIM_KEY_INVALID', 'DKIM_KEY_INSECURE']);
const errorsOf = (r: DomainReport): string[] => r.findings.filter((f) => f.severity === 'error' && (AREAS.has(f.area) || f.code === 'DNS_TEMPFAIL') && !KEY_CODES.has(f.code)).map((f) => f.code);

const Ajv2020 = Ajv2020Module.default;
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8')) as { $id: string };
ajv.addSchema(schema);
const validateDoc = ajv.getSchema(schema.$id);

let sandbox: InProcessRun;
let dnsArgs: string[];
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'm365audit-zone-'));
  // The sandbox of the fixture zones and Microsoft's stand-ins: the "live DNS" of these tests.
  sandbox = startInProcess(['sandbox', '--zones', `${FIXTURES}zones`]);
  const out = await sandbox.stdoutMatches(new RegExp(`^${SANDBOX_READY}$`, 'm'));
  dnsArgs = ['--dns-server', /--dns-server (\S+)/.exec(out)?.[1] as string, '--timeout', '2000', '--retries', '0'];
});
afterAll(async () => {
  sandbox?.interrupt();
  expect((await sandbox?.done)?.code).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const reportsOf = (stdout: string): DomainReport[] => (JSON.parse(stdout) as { domains: DomainReport[] }).domains;

describe('the pre-flight loop: plan --format zone, then check --zone', () => {
  it('ends with no error finding for mx-multi.test with its tenant given (SPF, DKIM and DMARC errors before)', async () => {
    const args = ['mx-multi.test', '--tenant', 'mxmulti', ...dnsArgs];
    const before = await runInProcess(['check', ...args, '--no-probe', '--format', 'json']);
    expect(before.code).toBe(1);
    expect(errorsOf(reportsOf(before.stdout)[0] as DomainReport)).toEqual(['SPF_MISSING', 'DKIM_MISSING', 'DMARC_MISSING']);

    const next = join(dir, 'next.zone');
    const plan = await runInProcess(['plan', ...args, '--format', 'zone', '--output', next]);
    expect(plan.code).toBe(0);
    expect(readFileSync(next, 'utf8')).toMatch(/^\$ORIGIN mx-multi\.test\.$/m);

    const after = await runInProcess(['check', ...args, '--zone', next, '--no-probe', '--format', 'json']);
    const [r] = reportsOf(after.stdout);
    expect(errorsOf(r as DomainReport)).toEqual([]);
    // The report says which answers came from the file, as a typed field and as a note.
    expect(r?.overlay).toEqual({
      files: [next],
      answers: expect.arrayContaining(['mx-multi.test MX', 'mx-multi.test TXT', 'selector1._domainkey.mx-multi.test CNAME', 'selector2._domainkey.mx-multi.test CNAME', '_dmarc.mx-multi.test TXT', 'autodiscover.mx-multi.test CNAME']),
      answersTotal: 6,
    });
    expect(r?.notes).toContainEqual(expect.stringMatching(new RegExp(`^From --zone ${next.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, not live DNS: mx-multi\\.test MX, `)));
    expect(validateDoc?.(JSON.parse(after.stdout)), ajv.errorsText(validateDoc?.errors)).toBe(true);

    // The human formats show the note too.
    const table = await runInProcess(['check', ...args, '--zone', next, '--no-probe']);
    expect(table.stdout).toMatch(/note: From --zone .*next\.zone, not live DNS: mx-multi\.test MX/);
  });
});

describe('check --zone', () => {
  it('overrides only what the file holds; the rest (spf.protection.outlook.com, the DKIM targets) is live', async () => {
    const zone = write('ready.test.zone', '_dmarc TXT "v=DMARC1; p=none"\n');
    const r = await runInProcess(['check', 'ready.test', '--zone', zone, ...dnsArgs, '--no-probe', '--format', 'json']);
    const [report] = reportsOf(r.stdout);
    // The file's origin is its name; the live record said p=reject.
    expect(report?.dmarc?.record).toBe('v=DMARC1; p=none');
    expect(report?.findings.map((f) => f.code)).toContain('DMARC_POLICY_NONE');
    expect(report?.spf?.lookups).toBe(1);
    expect(report?.overlay).toEqual({ files: [zone], answers: ['_dmarc.ready.test TXT'], answersTotal: 1 });
  });

  it('is repeatable, and each domain of a run lists only its own answers', async () => {
    const a = write('a.zone', '$ORIGIN ready.test.\n_dmarc TXT "v=DMARC1; p=quarantine"\n');
    const b = write('b.zone', '$ORIGIN mx-none.test.\n@ MX 0 mx-none-test.mail.protection.outlook.com.\n');
    const r = await runInProcess(['check', 'ready.test', 'mx-none.test', 'dmarc-none.test', '--zone', a, '--zone', b, ...dnsArgs, '--no-probe', '--format', 'json']);
    const [ready, mxNone, other] = reportsOf(r.stdout);
    expect(ready?.overlay).toEqual({ files: [a], answers: ['_dmarc.ready.test TXT'], answersTotal: 1 });
    expect(mxNone?.overlay).toEqual({ files: [b], answers: ['mx-none.test MX'], answersTotal: 1 });
    expect(other?.overlay).toEqual({ files: [], answers: [], answersTotal: 0 });
    expect(other?.notes).toContain(`No answer came from --zone ${a}, --zone ${b}: it holds none of the names this audit asked for (check its $ORIGIN); every answer is live DNS.`);
  });

  it.each([
    ['bad.zone', '$ORIGIN ready.test.\n@ MX 0 mail\n\nmail A 192.0.2\n', 'line 4: A: not an IPv4 address: "192.0.2"'],
    ['next.zone', '@ MX 0 ready-test.mail.protection.outlook.com.\n', 'line 1: @ needs an origin: add $ORIGIN or name the file DOMAIN.zone'],
    ['conflict.zone', '$ORIGIN ready.test.\nautodiscover CNAME autodiscover.outlook.com.\nautodiscover A 192.0.2.7\n', 'line 3: autodiscover.ready.test has a CNAME beside other records (RFC 1034 3.6.2: an alias holds nothing else)'],
  ])('%s that does not parse is one line with its line number, exit 2, nothing audited', async (name, text, reason) => {
    const file = write(name, text);
    const r = await runInProcess(['check', 'ready.test', '--zone', file, ...dnsArgs, '--no-probe']);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', `m365audit: ${file}: ${reason}\n`]);
  });

  it('a file that cannot be read is one line, exit 2', async () => {
    const missing = await runInProcess(['check', 'ready.test', '--zone', join(dir, 'nope.zone'), ...dnsArgs, '--no-probe']);
    expect([missing.code, missing.stderr]).toEqual([2, `m365audit: cannot read --zone ${join(dir, 'nope.zone')}: ENOENT\n`]);
    const folder = await runInProcess(['check', 'ready.test', '--zone', dir, ...dnsArgs, '--no-probe']);
    expect([folder.code, folder.stderr]).toEqual([2, `m365audit: cannot read --zone ${dir}: it is a directory (--zone takes one zone file; repeat it for more)\n`]);
  });
});

describe('batch --zone and plan --zone', () => {
  it('batch: every row says what came from the file; an input that is not a domain has no overlay', async () => {
    const zone = write('mxtoken.test.zone', '@ MX 0 mxtoken-test.mail.protection.outlook.com.\n@ TXT "v=spf1 include:spf.protection.outlook.com -all"\n');
    const list = write('list.txt', 'mxtoken.test\nready.test\nnot a domain!\n');
    const r = await runInProcess(['batch', list, '--zone', zone, ...dnsArgs, '--no-probe', '--format', 'jsonl']);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as DomainReport);
    expect(rows.map((x) => x.overlay?.answers ?? null)).toEqual([['mxtoken.test MX', 'mxtoken.test TXT'], [], null]);
    // mxtoken.test has no SPF record live (SPF_MISSING): the file's record is audited.
    expect(rows[0]?.findings.map((f) => f.code)).not.toContain('SPF_MISSING');
    expect(rows[0]?.spf?.record).toBe('v=spf1 include:spf.protection.outlook.com -all');
  });

  it('plan: rows the file holds are present, with a note that "now" is the file', async () => {
    const next = join(dir, 'plan-next.zone');
    expect((await runInProcess(['plan', 'mx-multi.test', '--tenant', 'mxmulti', ...dnsArgs, '--format', 'zone', '--output', next])).code).toBe(0);
    const again = await runInProcess(['plan', 'mx-multi.test', '--tenant', 'mxmulti', '--zone', next, ...dnsArgs, '--format', 'json']);
    expect(again.code).toBe(0);
    const plan = JSON.parse(again.stdout) as Plan;
    // The optional rows are comments in the file (published by hand), so they are still to add.
    const required = plan.rows.filter((row) => !row.optional);
    expect(required.map((row) => row.status)).toEqual(required.map(() => 'present'));
    for (const row of required) expect(row.notes).toContain(`now: from --zone ${next}, not live DNS`);
    expect(plan.rows.filter((row) => row.optional).map((row) => [row.type, row.status])).toEqual([['TXT', 'add'], ['HTTPS', 'add'], ['TXT', 'add']]);
  });
});

describe('the audit trail names the --zone files (they change results)', () => {
  it('check and plan: run.options.zones; without --zone, no zones field', async () => {
    const next = write('trail.zone', '$ORIGIN mx-multi.test.\n@ 3600 IN TXT "v=spf1 include:spf.protection.outlook.com -all"\n');
    const check = await runInProcess(['check', 'mx-multi.test', ...dnsArgs, '--no-probe', '--zone', next, '--format', 'json']);
    const doc = JSON.parse(check.stdout) as { run: { options: { zones?: string[] } } };
    expect(doc.run.options.zones).toEqual([next]);
    expect(validateDoc?.(doc)).toBe(true);
    const plan = await runInProcess(['plan', 'mx-multi.test', '--tenant', 'mxmulti', ...dnsArgs, '--zone', next, '--format', 'json']);
    expect((JSON.parse(plan.stdout) as { run: { options: { zones?: string[] } } }).run.options.zones).toEqual([next]);
    const live = await runInProcess(['check', 'mx-multi.test', ...dnsArgs, '--no-probe', '--format', 'json']);
    expect((JSON.parse(live.stdout) as { run: { options: Record<string, unknown> } }).run.options).not.toHaveProperty('zones');
  });
});
