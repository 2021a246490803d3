import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BCL_DEFAULT_THRESHOLD, describeAuthResult, describeBcl, describeCompauthReason, describeDmarcAction, describeScl, parseForefrontReport, parseMicrosoftAntispam } from '../../src/message/antispam.js';
import { parseHeaderBlock, parseHeaderText } from '../../src/message/headers.js';
import { parseMessageHeaders } from '../../src/message/parse.js';
import { FIXTURES } from '../support/fixtures.js';

describe('X-Forefront-Antispam-Report', () => {
  it('decodes every documented field to words and keeps unknown ones raw', () => {
    const r = parseForefrontReport('CIP:203.0.113.7;CTRY:NL;LANG:en;SCL:5;SRV:BULK;IPV:NLI;SFV:SPM;H:mail.fabrikam.example;PTR:mail.fabrikam.example;CAT:HPHISH;SFTY:9.19;SFS:(13230040)(8096899003);DIR:INB;X-CustomSpam:Image links');
    expect(r).toMatchObject({ cip: '203.0.113.7', ctry: 'NL', lang: 'en', scl: 5, srv: 'BULK', ipv: 'NLI', sfv: 'SPM', helo: 'mail.fabrikam.example', ptr: 'mail.fabrikam.example', cat: 'HPHISH', sfty: '9.19', dir: 'INB' });
    const byName = Object.fromEntries(r.fields.map((f) => [f.name, f]));
    expect(byName.SFV).toEqual({ name: 'SFV', value: 'SPM', label: 'spam filtering verdict', meaning: 'marked as spam by spam filtering' });
    expect(byName.CAT?.meaning).toBe('high confidence phishing');
    expect(byName.SFTY?.meaning).toContain('domain impersonation');
    expect(byName.SCL?.meaning).toContain('spam: Junk Email folder');
    expect(byName.SRV?.meaning).toContain('bulk email by the BCL threshold');
    expect(byName.IPV?.meaning).toBe('the IP address is not on any IP reputation list');
    expect(byName.DIR?.meaning).toBe('inbound');
    expect(byName['X-CustomSpam']).toMatchObject({ label: 'Advanced Spam Filter (ASF) setting matched', value: 'Image links' });
    expect(byName.SFS).toEqual({ name: 'SFS', value: '(13230040)(8096899003)', label: null, meaning: null });
  });

  it('every SFV and CAT value Learn lists has words', () => {
    for (const v of ['BLK', 'NSPM', 'SFE', 'SKA', 'SKB', 'SKI', 'SKN', 'SKQ', 'SKS', 'SPM']) expect(parseForefrontReport(`SFV:${v}`).fields[0]?.meaning).toBeTruthy();
    for (const v of ['AMP', 'BIMP', 'BULK', 'DIMP', 'FTBP', 'GIMP', 'HPHSH', 'HPHISH', 'HSPM', 'INTOS', 'MALW', 'OSPM', 'PHSH', 'SAP', 'SPM', 'SPOOF', 'UIMP', 'NONE']) expect(parseForefrontReport(`CAT:${v}`).fields[0]?.meaning).toBeTruthy();
    expect(parseForefrontReport('IPV:CAL').fields[0]?.meaning).toContain('IP Allow List');
    expect(parseForefrontReport('SFV:XYZ').fields[0]).toMatchObject({ label: 'spam filtering verdict', meaning: null });
  });

  it('an IPv6 CIP keeps its colons; a CIP that is no address gives cip null; empty and odd fields are tolerated', () => {
    expect(parseForefrontReport('CIP:2001:DB8::7;SCL:-1;').cip).toBe('2001:db8::7');
    expect(parseForefrontReport('CIP:255.255.255.255;SCL:-1').scl).toBe(-1);
    const odd = parseForefrontReport(';;CIP:not-an-ip; SCL :x;constructor:1;__proto__:2;;');
    expect(odd.cip).toBeNull();
    expect(odd.scl).toBeNull();
    expect(odd.fields.map((f) => [f.name, f.label])).toEqual([['CIP', 'connecting IP address'], ['SCL', 'spam confidence level'], ['constructor', null], ['__proto__', null]]);
  });
});

describe('X-Microsoft-Antispam, SCL, BCL', () => {
  it('BCL and its words; the rest raw', () => {
    const r = parseMicrosoftAntispam('BCL:7;PCL:0;RULEID:(22001);ARA:1|2;');
    expect(r.bcl).toBe(7);
    expect(r.fields.map((f) => [f.name, f.label !== null, f.meaning])).toEqual([['BCL', true, 'from a bulk sender that draws a mixed number of complaints'], ['PCL', true, null], ['RULEID', false, null], ['ARA', false, null]]);
    expect(BCL_DEFAULT_THRESHOLD).toBe(7);
  });

  it('SCL and BCL scales (Learn)', () => {
    expect([-1, 0, 1, 2, 5, 6, 7, 9, 10].map((n) => describeScl(n)?.split(':')[0] ?? null)).toEqual(['spam filtering skipped (safe sender or recipient, IP Allow List)', 'not spam', 'not spam', 'a level spam filtering never stamps (set by a mail flow rule or another feature)', 'spam', 'spam', 'high confidence spam', 'high confidence spam', null]);
    expect([0, 3, 4, 8, 10].map(describeBcl)).toEqual(['not from a bulk sender', 'from a bulk sender that draws few complaints', 'from a bulk sender that draws a mixed number of complaints', 'from a bulk sender that draws many complaints', null]);
  });
});

describe('compauth reasons and Authentication-Results words', () => {
  it('each reason class of Learn, 130 the ARC override', () => {
    const cases: [string, string | null, string | null][] = [
      ['000', '000', 'fail'], ['001', '001', 'fail'], ['002', '002', 'fail'], ['010', '010', 'fail'],
      ['100', '1xx', 'pass'], ['130', '1xx', 'pass'], ['199', '1xx', 'pass'], ['701', '7xx', 'pass'],
      ['201', '2xx', 'softpass'], ['301', '3xx', 'none'], ['451', '4xx', 'none'], ['905', '9xx', 'none'],
      ['601', '6xx', 'fail'], ['501', null, null], ['811', null, null], ['011', null, null], ['1', null, null], ['abc', null, null],
    ];
    for (const [code, cls, result] of cases) {
      const r = describeCompauthReason(code);
      expect([r.code, r.class, r.result], code).toEqual([code, cls, result]);
      expect(r.meaning === null, code).toBe(cls === null);
    }
    expect(describeCompauthReason('130')).toMatchObject({ arcOverride: true, meaning: 'passed: the ARC result overrode a DMARC failure' });
    expect(describeCompauthReason('100').arcOverride).toBe(false);
    expect(describeCompauthReason('001').meaning).toContain('implicit authentication failed');
  });

  it('results and DMARC actions in words; unknown ones null', () => {
    expect(describeAuthResult('dmarc', 'bestguesspass')).toContain('no DMARC record');
    expect(describeAuthResult('SPF', 'SoftFail')).toContain('~all');
    expect(describeAuthResult('spf', 'constructor')).toBeNull();
    expect(describeAuthResult('constructor', 'pass')).toBeNull();
    expect(describeDmarcAction('oreject')).toContain('override reject');
    expect(describeDmarcAction('o.reject')).toBe(describeDmarcAction('oreject'));
    expect(describeDmarcAction('pct.quarantine')).toContain('pct');
    expect(describeDmarcAction('toString')).toBeNull();
  });
});

describe('parseMicrosoftHeaders over a junked message', () => {
  it('the newest reports, the stamps in order, compauth with words, the sender IP', () => {
    const h = parseHeaderBlock(readFileSync(`${FIXTURES}message/m365-junked.eml`));
    const ms = parseMessageHeaders(h).microsoft;
    expect(ms.forefront).toMatchObject({ scl: 5, sfv: 'SPM', cat: 'SPOOF', cip: '203.0.113.7' });
    expect(ms.antispam?.bcl).toBe(0);
    expect(ms.organizationScl).toBe(5);
    expect(ms.originalClientIp).toBe('203.0.113.7');
    expect(ms.authResultsSenderIp).toBe('203.0.113.7');
    expect(ms.stamps.map((s) => [s.field, s.value, s.meaning])).toEqual([
      ['X-MS-Exchange-Organization-OriginalClientIPAddress', '203.0.113.7', null],
      ['X-MS-Exchange-Organization-AuthSource', 'BN2PEPF000044A9.namprd04.prod.outlook.com', null],
      ['X-MS-Exchange-Organization-AuthAs', 'Anonymous', 'not authenticated: mail from outside the organization'],
      ['X-MS-Exchange-Organization-SCL', '5', 'spam: Junk Email folder (Strict preset: quarantine)'],
    ]);
    expect(ms.compauth).toEqual([{ result: 'fail', reason: describeCompauthReason('000') }]);
    expect(ms.mailboxDelivery?.find((f) => f.name === 'dest')?.value).toBe('J');
  });

  it('a message with no Microsoft headers gives nulls and empty lists', () => {
    const ms = parseMessageHeaders(parseHeaderText('From: a@example.com\nSubject: x\n')).microsoft;
    expect(ms).toEqual({ forefront: null, antispam: null, mailboxDelivery: null, organizationScl: null, stamps: [], originalClientIp: null, compauth: [], authResultsSenderIp: null });
  });
});
