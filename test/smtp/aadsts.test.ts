import { describe, expect, it } from 'vitest';
import { AADSTS_CODES, aadstsErrorUrl, findAadsts, parseAadstsCode } from '../../src/smtp/aadsts.js';
import { explainCode } from '../../src/smtp/codes.js';
import { runInProcess } from '../support/cli.js';

/** The codes research/oauth.md §4 marks ★ (common for this CLI), and the rest of its table. */
const STARRED = [7000215, 7000222, 700016, 90002, 900023, 700027, 700024, 7000229, 500011, 70011];
const OTHERS = [700021, 700023, 7000218, 7000112, 65001, 1002012, 700022, 90014, 900144, 9001023, 53003, 50049, 50034, 50126, 90038, 900432, 50196];

describe('the AADSTS catalog', () => {
  it('holds every code of the research table once, the starred ones marked common, each with a meaning and a fix', () => {
    const codes = AADSTS_CODES.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual([...STARRED, ...OTHERS].sort());
    expect(AADSTS_CODES.filter((e) => e.common).map((e) => e.code).sort()).toEqual([...STARRED].sort());
    for (const e of AADSTS_CODES) {
      expect(e.meaning.length, String(e.code)).toBeGreaterThan(20);
      expect(e.fix.length, String(e.code)).toBeGreaterThan(20);
    }
    expect(findAadsts(7000215)?.fix).toMatch(/Value/);
    expect(findAadsts(9001023)?.fix).toMatch(/common/);
    expect(findAadsts(1)).toBeNull();
  });

  it('reads AADSTS<n> in any case and inside a pasted description; a bare number only when the catalog knows it', () => {
    expect(parseAadstsCode('AADSTS7000215')).toEqual({ code: 7000215, prefixed: true });
    expect(parseAadstsCode('aadsts7000215')).toEqual({ code: 7000215, prefixed: true });
    expect(parseAadstsCode('{"error_description":"AADSTS700016: Application with identifier \'x\' was not found"}')).toEqual({ code: 700016, prefixed: true });
    expect(parseAadstsCode('AADSTS123456')).toEqual({ code: 123456, prefixed: true });
    expect(parseAadstsCode(' 7000215 ')).toEqual({ code: 7000215, prefixed: false });
    expect(parseAadstsCode('12345')).toBeNull();
    // SMTP codes are never read as AADSTS ones.
    for (const smtp of ['535', '535 5.7.3', '5.7.139', '550-5.7.30 Basic authentication is not supported']) expect(parseAadstsCode(smtp), smtp).toBeNull();
    expect(parseAadstsCode('XAADSTS7000215')).toBeNull();
  });

  it('explainCode: an AADSTS code gives its catalog entry, OAUTH_TOKEN_ERROR and the error page; an unknown one the page only', () => {
    expect(explainCode('AADSTS7000215')).toMatchObject({
      source: 'catalog', id: 'AADSTS7000215', sender: 'entra', finding: 'OAUTH_TOKEN_ERROR', replyCode: null, enhancedCode: null,
      aadsts: { code: 7000215, errorUrl: 'https://login.microsoftonline.com/error?code=7000215', confidence: 'P' },
    });
    expect(explainCode('7000222')).toMatchObject({ id: 'AADSTS7000222', aadsts: { name: 'InvalidClientSecretExpiredKeysProvided' } });
    expect(explainCode('AADSTS99999999')).toMatchObject({ source: 'entra', id: 'AADSTS99999999', fix: null, aadsts: { code: 99999999, name: null, confidence: null } });
    // SMTP explanations say they are not AADSTS ones.
    expect(explainCode('535 5.7.3')?.aadsts).toBeNull();
    expect(explainCode('535')?.aadsts).toBeNull();
    expect(aadstsErrorUrl(90002)).toBe('https://login.microsoftonline.com/error?code=90002');
  });
});

describe('m365audit explain AADSTS… (in-process)', () => {
  it('explains AADSTS7000215, aadsts7000215 and 7000215 alike, as a table', async () => {
    const r = await runInProcess(['explain', 'AADSTS7000215', 'aadsts90002', '7000222']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('AADSTS7000215 — Microsoft Entra ID token endpoint');
    expect(r.stdout).toContain('Invalid client secret provided');
    expect(r.stdout).toContain('https://login.microsoftonline.com/error?code=7000215');
    expect(r.stdout).toContain('InvalidTenantName');
    expect(r.stdout).toContain('AADSTS7000222');
    expect(r.stdout.match(/Token finding\s+│\s+OAUTH_TOKEN_ERROR/g)).toHaveLength(3);
  });

  it('explains every catalog code as JSON, beside SMTP codes', async () => {
    const r = await runInProcess(['explain', '--format', 'json', '535 5.7.3', ...AADSTS_CODES.map((e) => `AADSTS${e.code}`)]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { explanations: { id: string; sender: string; aadsts: { code: number } | null }[] };
    expect(out.explanations.map((e) => e.id)).toEqual(['5.7.3', ...AADSTS_CODES.map((e) => `AADSTS${e.code}`)]);
    expect(out.explanations[0]?.aadsts).toBeNull();
    expect(out.explanations.slice(1).every((e) => e.sender === 'entra')).toBe(true);
  });

  it('exit 2 for a bare number the catalog does not know, naming the AADSTS form', async () => {
    const r = await runInProcess(['explain', '12345']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not an SMTP code: "12345" \(expected e\.g\. 535 5\.7\.3, 5\.7\.139, 550, AADSTS7000215, or a whole NDR line in quotes\)/);
    expect(r.stdout).toBe('');
  });
});
