import { describe, expect, it } from 'vitest';
import { dkimCnameFixes, spfFix, spfRecordWith, spfTermForIp, tenantOfSigningDomain } from '../../src/message/fixes.js';
import { mdCodeBlock } from '../../src/report/safe-text.js';
import { fixLine } from '../../src/report/message.js';

/** The records the diagnosis proposes (src/message/fixes.ts), and how Markdown carries them (mdCodeBlock). */
describe('spfRecordWith: one term added where RFC 7208 5.1 still evaluates it', () => {
  it.each([
    ['v=spf1 ip4:192.0.2.10 -all', 'ip4:203.0.113.7', 'v=spf1 ip4:192.0.2.10 ip4:203.0.113.7 -all'],
    ['v=spf1 mx ~all exp=why.%{d}', 'include:spf.protection.outlook.com', 'v=spf1 mx include:spf.protection.outlook.com ~all exp=why.%{d}'],
    ['v=spf1 a redirect=_spf.example.com', 'ip4:203.0.113.7', 'v=spf1 a ip4:203.0.113.7 redirect=_spf.example.com'],
    ['v=spf1 a', 'ip6:2001:db8::1', 'v=spf1 a ip6:2001:db8::1'],
    ['v=spf1 include:spf.protection.outlook.com -all', 'include:spf.protection.outlook.com', 'v=spf1 include:spf.protection.outlook.com -all'],
    ['v=spf1   ip4:192.0.2.1    -all', 'ip4:203.0.113.7', 'v=spf1 ip4:192.0.2.1 ip4:203.0.113.7 -all'],
  ])('%s + %s', (record, term, want) => {
    expect(spfRecordWith(record, term)).toBe(want);
  });

  it('no record (or none that is SPF): a new one ending in ~all', () => {
    expect(spfRecordWith(null, 'ip4:203.0.113.7')).toBe('v=spf1 ip4:203.0.113.7 ~all');
    expect(spfRecordWith('google-site-verification=x', 'ip4:203.0.113.7')).toBe('v=spf1 ip4:203.0.113.7 ~all');
  });

  it('the term for an address; a record that already has it is no fix', () => {
    expect(spfTermForIp('203.0.113.7')).toBe('ip4:203.0.113.7');
    expect(spfTermForIp('2001:DB8::1')).toBe('ip6:2001:db8::1');
    expect(spfTermForIp('not an ip')).toBeNull();
    expect(spfFix('MESSAGE_SPF_FAIL', 'a.test', 'v=spf1 ip4:203.0.113.7 -all', 'ip4:203.0.113.7', 'why')).toBeNull();
    expect(spfFix('MESSAGE_SPF_FAIL', 'a.test', null, 'ip4:203.0.113.7', 'why')).toMatchObject({ name: 'a.test', type: 'TXT', action: 'add', value: 'v=spf1 ip4:203.0.113.7 ~all' });
  });
});

describe('DKIM CNAMEs from the tenant a signature names', () => {
  it('d=contoso.onmicrosoft.com names the tenant; the two selector CNAMEs of the From domain follow', () => {
    expect(tenantOfSigningDomain('contoso.onmicrosoft.com')).toBe('contoso');
    expect(tenantOfSigningDomain('sender.test')).toBeNull();
    expect(dkimCnameFixes('MESSAGE_DKIM_NOT_ALIGNED', 'contoso.com', 'contoso', 'worldwide')).toEqual([
      expect.objectContaining({ name: 'selector1._domainkey.contoso.com', type: 'CNAME', value: 'selector1-contoso-com._domainkey.contoso.onmicrosoft.com', action: 'add' }),
      expect.objectContaining({ name: 'selector2._domainkey.contoso.com', type: 'CNAME', value: 'selector2-contoso-com._domainkey.contoso.onmicrosoft.com', action: 'add' }),
    ]);
  });
});

describe('a record in a Markdown code block', () => {
  it('is a zone line, quotes escaped; the fence is longer than any backtick run inside, and control characters are made visible', () => {
    const line = fixLine({ code: 'MESSAGE_SPF_FAIL', name: 'a.test', type: 'TXT', value: 'v=spf1 "x" ```` \x1b[31m -all', action: 'replace', note: '' });
    expect(line).toBe('a.test. 3600 IN TXT "v=spf1 \\"x\\" ```` \x1b[31m -all"');
    const block = mdCodeBlock([line], 'dns');
    const lines = block.split('\n');
    expect(lines[0]).toBe('`````dns');
    expect(lines[2]).toBe('`````');
    expect(lines).toHaveLength(3);
    expect(block).not.toContain('\x1b');
    expect(lines[1]).toContain('\\x1b[31m');
  });
});
