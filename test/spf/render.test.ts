import { describe, expect, it } from 'vitest';
import { createMemoryDnsClient } from '../../src/dns/memory.js';
import { renderSpfJson, renderSpfTable } from '../../src/report/spf.js';
import { auditSpf, type SpfReport } from '../../src/spf/report.js';

const MS = { TXT: ['v=spf1 ip4:40.92.0.0/15 ip6:2a01:111:f400::/48 -all'] };
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

async function report(table: Parameters<typeof createMemoryDnsClient>[0], req: { domain: string; ip?: string; sender?: string; helo?: string }): Promise<SpfReport> {
  return auditSpf({ dns: createMemoryDnsClient({ 'spf.protection.outlook.com': MS, ...table }) }, req);
}

describe('renderSpfTable', () => {
  it('shows the result, explanation, counts and an indented tree with per-node lookups', async () => {
    const r = await report(
      {
        'contoso.example': { TXT: ['v=spf1 mx a:gone.contoso.example include:_spf.contoso.example -all exp=why.contoso.example'], MX: [{ priority: 0, exchange: 'mail.contoso.example' }] },
        'mail.contoso.example': { A: ['192.0.2.25'] },
        '_spf.contoso.example': { TXT: ['v=spf1 include:spf.protection.outlook.com ~all'] },
        'why.contoso.example': { TXT: ['%{i} is not a Contoso server'] },
      },
      { domain: 'contoso.example', ip: '198.51.100.9' },
    );
    const text = renderSpfTable(r);
    expect(text).toContain('Result       fail\n');
    expect(text).toContain('Why          "-all" in the record of contoso.example matched\n');
    expect(text).toContain('Explanation  198.51.100.9 is not a Contoso server\n');
    expect(text).toContain('Lookups      4 of 10 in the tree, 1 void of 2; this check used 4 and 1 void\n');
    expect(text).toContain('Microsoft    include:spf.protection.outlook.com, nested (depth 2, via contoso.example > _spf.contoso.example), qualifier + (cloud worldwide)\n');
    expect(text).toContain('Policy       -all\n');
    const tree = text.slice(text.indexOf('Include tree'), text.indexOf('Findings')).trimEnd().split('\n').slice(1);
    expect(tree).toEqual([
      'contoso.example  [3/4] void 1  v=spf1 mx a:gone.contoso.example include:_spf.contoso.example -all exp=why.contoso.example',
      '└─ include:_spf.contoso.example  [1/1]  v=spf1 include:spf.protection.outlook.com ~all',
      '   └─ include:spf.protection.outlook.com  [0/0]  v=spf1 ip4:40.92.0.0/15 ip6:2a01:111:f400::/48 -all',
    ]);
    expect(text).toContain('Findings: none');
  });

  it('shows the path of a permerror and a broken node in the tree', async () => {
    const r = await report(
      {
        'contoso.example': { TXT: ['v=spf1 include:_spf.contoso.example -all'] },
        '_spf.contoso.example': { TXT: ['v=spf1 include:gone.contoso.example include:spf.protection.outlook.com ~all'] },
      },
      { domain: 'contoso.example', ip: '198.51.100.9' },
    );
    const text = renderSpfTable(r);
    expect(text).toContain('Result       permerror\n');
    expect(text).toContain('Path         include:_spf.contoso.example > include:gone.contoso.example\n');
    expect(text).toContain('   ├─ include:gone.contoso.example  [nxdomain]  the name does not exist\n');
    expect(text).toMatch(/error {3}SPF_INCLUDE_BROKEN {2}"include:gone\.contoso\.example" in the record of _spf\.contoso\.example/);
  });

  it('lets no control character or bidi override from DNS reach the terminal', async () => {
    const evil = 'v=spf1 include:\u001b[2Jx.example -all \u202eevil';
    const r = await report(
      {
        'evil.example': { TXT: ['v=spf1 -all exp=why.evil.example'] },
        'why.evil.example': { TXT: ['ok'] },
        'inject.example': { TXT: [evil] },
      },
      { domain: 'inject.example', ip: '192.0.2.1' },
    );
    const text = renderSpfTable(r);
    expect(text).not.toMatch(CONTROL);
    expect(text).toContain('\\x1b[2J');
    const json = renderSpfJson(r);
    expect(json).not.toMatch(/[\u007f-\u009f\u202a-\u202e]/);
    expect((JSON.parse(json) as { record: string }).record).toBe(evil);
  });

  it('shows analysis only without an address', async () => {
    const r = await report({ 'a.example': { TXT: ['v=spf1 include:spf.protection.outlook.com -all'] } }, { domain: 'a.example' });
    const text = renderSpfTable(r);
    expect(text).not.toContain('check_host ');
    expect(text).toContain('samples: 40.92.0.0 pass, 2a01:111:f400:: pass');
    expect(text).toContain('Findings: none');
  });
});

describe('renderSpfJson', () => {
  it('prints the DESIGN fields first: result, explanation, lookups, voidLookups, tree, findings', async () => {
    const r = await report({ 'a.example': { TXT: ['v=spf1 include:spf.protection.outlook.com ?all'] } }, { domain: 'a.example', ip: '40.92.1.1', sender: '' , helo: 'mx.a.example' });
    const doc = JSON.parse(renderSpfJson(r)) as Record<string, unknown>;
    expect(Object.keys(doc).slice(0, 6)).toEqual(['result', 'explanation', 'lookups', 'voidLookups', 'tree', 'findings']);
    expect(doc).toMatchObject({ result: 'pass', explanation: null, lookups: 1, voidLookups: 0, evaluation: { lookups: 1, voidLookups: 0 }, sender: '', helo: 'mx.a.example' });
    expect((doc.findings as { code: string }[]).map((f) => f.code)).toEqual(['SPF_ALL_NEUTRAL']);
    expect((doc.tree as { children: { domain: string }[] }).children[0]?.domain).toBe('spf.protection.outlook.com');
  });

  it('gives null result and explanation without an address', async () => {
    const r = await report({ 'a.example': { TXT: ['v=spf1 -all'] } }, { domain: 'a.example' });
    expect(JSON.parse(renderSpfJson(r))).toMatchObject({ result: null, explanation: null, ip: null, evaluation: null });
  });
});
