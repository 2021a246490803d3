import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeSpfInclude, type Plan } from '../../src/audit/plan.js';
import { zoneTxt } from '../../src/report/plan.js';
import { runInProcess } from '../support/cli.js';
import type { TestDnsServer } from '../../src/sandbox/dns-server.js';
import { startFixtureServer } from '../support/fixtures.js';
import { parseCharacterStrings } from '../../src/sandbox/zone-store.js';

let server: TestDnsServer;
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(() => server.close());

async function plan(domain: string, tenant: string, format = 'json'): Promise<{ code: number | null; stdout: string; plan: Plan | null }> {
  const r = await runInProcess(['plan', domain, '--tenant', tenant, '--dns-server', server.server, '--timeout', '1000', '--retries', '0', '--format', format]);
  return { code: r.code, stdout: r.stdout, plan: format === 'json' ? (JSON.parse(r.stdout) as Plan) : null };
}
const byArea = (p: Plan) => Object.fromEntries(p.rows.map((r) => [`${r.area}:${r.name}`, r]));

describe('m365audit plan', () => {
  it('a domain that does not exist yet gets the full plan, every row add', async () => {
    const { plan: p, code } = await plan('fresh-domain.test', 'fresh');
    expect(code).toBe(0);
    expect(p!.exists).toBe(false);
    expect(p!.rows.map((r) => [r.type, r.name, r.status])).toEqual([
      ['MX', 'fresh-domain.test', 'add'],
      ['TXT', 'fresh-domain.test', 'add'],
      ['CNAME', 'selector1._domainkey.fresh-domain.test', 'add'],
      ['CNAME', 'selector2._domainkey.fresh-domain.test', 'add'],
      ['TXT', '_dmarc.fresh-domain.test', 'add'],
      ['CNAME', 'autodiscover.fresh-domain.test', 'add'],
      ['TXT', '_mta-sts.fresh-domain.test', 'add'],
      ['HTTPS', 'https://mta-sts.fresh-domain.test/.well-known/mta-sts.txt', 'add'],
      ['TXT', '_smtp._tls.fresh-domain.test', 'add'],
    ]);
    const rows = byArea(p!);
    expect(rows['mx:fresh-domain.test']).toMatchObject({ value: 'fresh-domain-test.mail.protection.outlook.com', priority: 0 });
    expect(rows['spf:fresh-domain.test']?.value).toBe('v=spf1 include:spf.protection.outlook.com -all');
    expect(rows['dkim:selector1._domainkey.fresh-domain.test']?.value).toBe('selector1-fresh-domain-test._domainkey.fresh.onmicrosoft.com');
    expect(rows['dmarc:_dmarc.fresh-domain.test']?.value).toBe('v=DMARC1; p=none; rua=mailto:dmarc-reports@fresh-domain.test');
    expect(rows['autodiscover:autodiscover.fresh-domain.test']?.value).toBe('autodiscover.outlook.com');
  });

  it('a Google-hosted domain: SPF merged (kept mechanisms, include before ~all), MX to change, lookups counted', async () => {
    const { plan: p } = await plan('google.plan.test', 'googletenant');
    const rows = byArea(p!);
    expect(rows['spf:google.plan.test']).toMatchObject({
      status: 'change',
      value: 'v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all',
      current: ['v=spf1 include:_spf.google.com ~all'],
    });
    expect(rows['spf:google.plan.test']?.notes).toContain('5 DNS lookups in the merged tree (limit 10).');
    expect(rows['mx:google.plan.test']).toMatchObject({ status: 'change', value: 'google-plan-test.mail.protection.outlook.com', current: ['1 aspmx.l.google.com', '5 alt1.aspmx.l.google.com'] });
    expect(rows['dmarc:_dmarc.google.plan.test']?.status).toBe('add');
    expect(p!.warnings).toEqual([]);
  });

  it('keeps live DKIM targets of Microsoft\'s forms (suffixed legacy, new) as present; another tenant\'s are a change', async () => {
    const dkim = (p: Plan) => p.rows.filter((r) => r.area === 'dkim').map((r) => [r.status, r.value]);
    const suffixed = (await plan('dkim-suffix.test', 'dkim-fixtures')).plan!;
    expect(dkim(suffixed)).toEqual([
      ['present', 'selector1-dkim-suffix-test01e._domainkey.dkim-fixtures.onmicrosoft.com'],
      ['present', 'selector2-dkim-suffix-test01e._domainkey.dkim-fixtures.onmicrosoft.com'],
    ]);
    const fresh = (await plan('dkim-ready-new.test', 'dkim-fixtures')).plan!;
    expect(dkim(fresh)).toEqual([
      ['present', 'selector1-dkim-ready-new-test._domainkey.dkim-fixtures.n-v1.dkim.mail.microsoft'],
      ['present', 'selector2-dkim-ready-new-test._domainkey.dkim-fixtures.n-v1.dkim.mail.microsoft'],
    ]);
    // Another domain's targets (copied values) under the same tenant: to change, with a note.
    const copied = (await plan('dkim-copied.test', 'dkim-fixtures')).plan!;
    expect(dkim(copied)).toEqual([
      ['change', 'selector1-dkim-copied-test._domainkey.dkim-fixtures.onmicrosoft.com'],
      ['change', 'selector2-dkim-copied-test._domainkey.dkim-fixtures.onmicrosoft.com'],
    ]);
    expect(copied.rows.find((r) => r.area === 'dkim')?.notes[0]).toBe('The live target\'s domain part dkim-ready-legacy-test does not fit dkim-copied.test: it looks like another domain\'s value.');
    const other = (await plan('dkim-suffix.test', 'othertenant')).plan!;
    expect(dkim(other)).toEqual([
      ['change', 'selector1-dkim-suffix-test._domainkey.othertenant.onmicrosoft.com'],
      ['change', 'selector2-dkim-suffix-test._domainkey.othertenant.onmicrosoft.com'],
    ]);
  });

  it('a ready domain has nothing to change', async () => {
    const { plan: p } = await plan('ready.test', 'readytest');
    expect(p!.rows.filter((r) => !r.optional).map((r) => r.status)).toEqual(['present', 'present', 'present', 'present', 'present', 'present']);
    // Only the optional hardening is left to add, and it raises no warning.
    expect(p!.rows.filter((r) => r.optional).map((r) => [r.area, r.status])).toEqual([['mta-sts', 'add'], ['mta-sts', 'add'], ['tls-rpt', 'add']]);
    expect(p!.warnings).toEqual([]);
  });

  it('prints a zone snippet whose records parse back to the planned values', async () => {
    const { stdout, code } = await plan('google.plan.test', 'googletenant', 'zone');
    expect(code).toBe(0);
    expect(stdout).toContain('$ORIGIN google.plan.test.');
    expect(stdout).toMatch(/^@ +3600 IN MX +0 google-plan-test\.mail\.protection\.outlook\.com\. ; change/m);
    expect(stdout).toMatch(/^selector1\._domainkey +3600 IN CNAME selector1-google-plan-test\._domainkey\.googletenant\.onmicrosoft\.com\. ; add$/m);
    const spfLine = stdout.split('\n').find((l) => l.includes('IN TXT') && l.includes('v=spf1'))!;
    const quoted = /IN TXT +((?:"(?:[^"\\]|\\.)*" ?)+)/.exec(spfLine)?.[1] ?? '';
    expect(parseCharacterStrings(quoted).join('')).toBe('v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all');
  });

  it('never proposes +all: a live "+all" becomes "~all", with a warning in every format', async () => {
    const { plan: p } = await plan('allpass.spf-codes.example', 'allpass');
    expect(byArea(p!)['spf:allpass.spf-codes.example']).toMatchObject({
      status: 'change', value: 'v=spf1 include:spf.protection.outlook.com ~all', current: ['v=spf1 include:spf.protection.outlook.com +all'],
    });
    expect(p!.warnings.filter((w) => w.includes('ends in "+all"'))).toHaveLength(1);
    const zone = await plan('allpass.spf-codes.example', 'allpass', 'zone');
    expect(zone.stdout).toMatch(/^@ +3600 IN TXT +"v=spf1 include:spf\.protection\.outlook\.com ~all" ; change \(now: v=spf1 include:spf\.protection\.outlook\.com \+all\)$/m);
    expect(zone.stdout).toMatch(/^; WARNING: The live SPF record of allpass\.spf-codes\.example ends in "\+all"/m);
    const table = await plan('allpass.spf-codes.example', 'allpass', 'table');
    expect(table.stdout).toMatch(/^WARNING: The live SPF record of allpass\.spf-codes\.example ends in "\+all"/m);
  });

  it('leaves out the terms of a pasted zone line (stray quote, line break, $INCLUDE) and names each', async () => {
    const { plan: p } = await plan('spf-invalid.test', 'spfinvalid');
    const spf = byArea(p!)['spf:spf-invalid.test']!;
    expect(spf).toMatchObject({ status: 'change', value: 'v=spf1 include:spf.protection.outlook.com ip4:192.0.2.1 ~all' });
    for (const t of ['-all"', '$INCLUDE', 'spf.zone']) expect(spf.notes.filter((n) => n.startsWith(`Left out "${t}", which receivers reject`))).toHaveLength(1);
    expect(p!.warnings).toContain('The live SPF record of spf-invalid.test does not parse, so receivers give permerror today (RFC 7208 4.6); its line breaks are written as spaces; left out of the proposal: "-all"", "$INCLUDE", "spf.zone". Check that no sender needed them.');
    // The zone snippet still reads back as the values planned; what DNS holds now is shown with its control characters escaped.
    const { stdout } = await plan('spf-invalid.test', 'spfinvalid', 'zone');
    const spfLine = stdout.split('\n').find((l) => l.includes('IN TXT') && l.includes('v=spf1'))!;
    expect(parseCharacterStrings(/IN TXT +((?:"(?:[^"\\]|\\.)*" ?)+)/.exec(spfLine)?.[1] ?? '').join('')).toBe(spf.value);
    expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(stdout.split('\n').filter((l) => l.startsWith('@'))).toHaveLength(2);
  });

  it('proposes one valid DMARC record in place of two', async () => {
    const { plan: p } = await plan('dmarc-multiple.test', 'dmarcmultiple');
    expect(byArea(p!)['dmarc:_dmarc.dmarc-multiple.test']).toMatchObject({ status: 'change', value: 'v=DMARC1; p=reject; rua=mailto:dmarc@dmarc-multiple.test' });
  });

  it('prints the table with values whole', async () => {
    const { stdout } = await plan('google.plan.test', 'googletenant', 'table');
    expect(stdout).toContain('v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all');
    expect(stdout).toContain('selector2-google-plan-test._domainkey.googletenant.onmicrosoft.com');
  });

  it.each([
    [['plan', 'contoso.test'], 'tenant'],
    [['plan', 'not a domain', '--tenant', 'x'], 'not a domain name'],
    [['plan', 'contoso.test', '--tenant', 'bad tenant!'], '--tenant'],
  ])('refuses %j with exit 2', async (args, message) => {
    const r = await runInProcess(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('mergeSpfInclude', () => {
  const inc = 'spf.protection.outlook.com';
  it.each([
    [null, 'v=spf1 include:spf.protection.outlook.com -all', true],
    ['v=spf1 -all', 'v=spf1 include:spf.protection.outlook.com -all', true],
    ['v=spf1 ip4:192.0.2.1 ~all', 'v=spf1 ip4:192.0.2.1 include:spf.protection.outlook.com ~all', true],
    ['v=spf1 include:spf.protection.outlook.com -all', 'v=spf1 include:spf.protection.outlook.com -all', false],
    ['v=spf1 +include:SPF.Protection.Outlook.com -all', 'v=spf1 +include:SPF.Protection.Outlook.com -all', false],
    ['v=spf1 ~include:spf.protection.outlook.com -all', 'v=spf1 include:spf.protection.outlook.com -all', true],
    ['v=spf1 mx redirect=_spf.example.com', 'v=spf1 mx include:spf.protection.outlook.com redirect=_spf.example.com', true],
    ['v=spf1 mx', 'v=spf1 mx include:spf.protection.outlook.com ~all', true],
    ['v=spf1 include:spf.protection.outlook.com +all', 'v=spf1 include:spf.protection.outlook.com ~all', true],
    ['v=spf1 include:spf.protection.outlook.com ?all', 'v=spf1 include:spf.protection.outlook.com ~all', true],
    ['v=spf1 include:spf.protection.outlook.com -all"', 'v=spf1 include:spf.protection.outlook.com ~all', true],
  ])('%j -> %j', (record, value, changed) => {
    expect(mergeSpfInclude(record, inc)).toEqual({ value, changed });
  });
  it('never adds the include twice (idempotent)', () => {
    const once = mergeSpfInclude('v=spf1 a mx ~all', inc).value;
    expect(mergeSpfInclude(once, inc)).toEqual({ value: once, changed: false });
  });
});

describe('zoneTxt', () => {
  it.each(['plain', 'with "quotes" and \\ backslash', 'x'.repeat(600), 'ünïcode \u0001 ctl'])('round-trips %j', (v) => {
    expect(Buffer.from(parseCharacterStrings(zoneTxt(v)).join(''), 'latin1').toString('utf8')).toBe(v);
  });
});
