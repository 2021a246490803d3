import { describe, expect, it } from 'vitest';
import { authExtra, authProperty, authResult, MAX_AUTH_RESULTS, parseArcAuthenticationResults, parseAuthenticationResults } from '../../src/message/authres.js';

describe('parseAuthenticationResults: Microsoft 365 shapes', () => {
  it("today's EOP field: no authserv-id, action= without ptype, compauth with its reason code, the sender IP in a comment", () => {
    const r = parseAuthenticationResults('spf=softfail (sender IP is 203.0.113.9)\n smtp.mailfrom=fabrikam.example; dkim=fail (body hash did not verify)\n header.d=fabrikam.example;dmarc=fail action=oreject\n header.from=fabrikam.example;compauth=fail reason=001');
    expect(r.authservId).toBeNull();
    expect(r.results.map((x) => [x.method, x.result])).toEqual([['spf', 'softfail'], ['dkim', 'fail'], ['dmarc', 'fail'], ['compauth', 'fail']]);
    const [spf, dkim, dmarc, compauth] = r.results;
    expect(spf?.comments).toEqual(['sender IP is 203.0.113.9']);
    expect(authProperty(spf!, 'smtp', 'mailfrom')).toBe('fabrikam.example');
    expect(dkim?.comments).toEqual(['body hash did not verify']);
    expect(authProperty(dkim!, 'header', 'd')).toBe('fabrikam.example');
    expect(authExtra(dmarc!, 'action')).toBe('oreject');
    expect(authProperty(dmarc!, 'header', 'from')).toBe('fabrikam.example');
    expect(compauth?.reason).toBe('001');
    expect(r.problems).toEqual(['no authserv-id (RFC 8601 2.2; Microsoft 365 writes none)', '"action=" has no ptype (RFC 8601 2.2 propspec is ptype.property=value)']);
  });

  it('older EOP fields with the authserv-id after the first result', () => {
    const r = parseAuthenticationResults('spf=none (sender IP is 192.0.2.6) smtp.mailfrom=a@example.ed.jp; example.com; dkim=none (message not signed) header.d=none;example.com; dmarc=none action=none header.from=example.ed.jp;');
    expect(r.authservId).toBe('example.com');
    expect(r.results.map((x) => x.method)).toEqual(['spf', 'dkim', 'dmarc']);
    expect(r.problems).toContain('the authserv-id comes after a result');
    expect(r.problems).toContain('stray text "example.com"');
  });

  it('ARC-Authentication-Results: the i= instance, then the payload', () => {
    const r = parseArcAuthenticationResults('i=2; mx.microsoft.com 1; spf=pass smtp.mailfrom=contoso.com; dmarc=pass action=none header.from=contoso.com; dkim=pass header.d=contoso.com; arc=pass (0 oda=1 ltdi=1)');
    expect(r).toMatchObject({ instance: 2, authservId: 'mx.microsoft.com', version: '1' });
    expect(r.results.map((x) => `${x.method}=${x.result}`)).toEqual(['spf=pass', 'dmarc=pass', 'dkim=pass', 'arc=pass']);
    const noInstance = parseArcAuthenticationResults('mx.example; spf=pass smtp.mailfrom=a.example');
    expect(noInstance.instance).toBeNull();
    expect(noInstance.problems[0]).toContain('no i= instance');
    expect(noInstance.authservId).toBe('mx.example');
  });
});

describe('parseAuthenticationResults: RFC 8601 details', () => {
  it('method versions, quoted reasons, CFWS around "=", glued base64 padding, upper case', () => {
    const r = parseAuthenticationResults('mx.example; DKIM/1=Pass reason="good signature" header.d = a.example header.b=abc+/de==; SPF=None');
    expect(r.results[0]).toMatchObject({ method: 'dkim', methodVersion: '1', result: 'pass', reason: 'good signature' });
    expect(r.results[0]?.properties).toEqual([{ ptype: 'header', property: 'd', value: 'a.example' }, { ptype: 'header', property: 'b', value: 'abc+/de==' }]);
    expect(r.results[1]).toMatchObject({ method: 'spf', result: 'none' });
    expect(r.problems).toEqual([]);
  });

  it('"; none" and an empty header.d=', () => {
    expect(parseAuthenticationResults('mx.example 1; none')).toMatchObject({ authservId: 'mx.example', version: '1', none: true, results: [] });
    const r = parseAuthenticationResults('mx.example; dkim=none header.d= header.s=sel');
    expect(r.results[0]?.properties).toEqual([{ ptype: 'header', property: 'd', value: '' }, { ptype: 'header', property: 's', value: 'sel' }]);
  });

  it('keeps at most MAX_AUTH_RESULTS results and counts them all', () => {
    const r = parseAuthenticationResults(`mx.example; ${Array.from({ length: MAX_AUTH_RESULTS + 7 }, () => 'spf=pass').join('; ')}`);
    expect(r.results).toHaveLength(MAX_AUTH_RESULTS);
    expect(r.resultsTotal).toBe(MAX_AUTH_RESULTS + 7);
    expect(authResult(r, 'spf')?.result).toBe('pass');
    expect(authResult(r, 'dkim')).toBeNull();
  });

  it('garbage is read as far as it goes, never thrown', () => {
    for (const v of ['', ';;;', '=', '(unterminated', '"unterminated', 'a; =b; c=; d', 'x; spf=pass smtp.mailfrom=a (((']) {
      const r = parseAuthenticationResults(v);
      expect(Array.isArray(r.results)).toBe(true);
    }
    expect(parseAuthenticationResults('a; =b; c=').problems.length).toBeGreaterThan(0);
  });
});
