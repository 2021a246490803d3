import { describe, expect, it } from 'vitest';
import { createMemoryDnsClient, type MemoryName } from '../../src/dns/memory.js';
import type { HttpsClient, HttpsOutcome } from '../../src/http/client.js';
import { FORMATS, renderReports } from '../../src/report/render.js';
import { checkMtaSts, MTA_STS_MAX_POLICY_BYTES } from '../../src/transport/mta-sts.js';
import { isMxPattern, matchMxPatterns, mxPatternFor, mxPatternMatches, parseMtaStsPolicy } from '../../src/transport/mta-sts-policy.js';
import { isMtaStsRecord, parseMtaStsRecord } from '../../src/transport/mta-sts-record.js';
import { parseTlsRptRecord } from '../../src/transport/tls-rpt.js';
import { hostileReport } from '../support/hostile.js';

/** An HttpsClient that answers every request with one outcome, and records the URLs and caps asked for. */
function answering(outcome: HttpsOutcome): HttpsClient & { asked: { url: string; maxBytes: number | undefined; timeoutMs: number | undefined }[] } {
  const asked: { url: string; maxBytes: number | undefined; timeoutMs: number | undefined }[] = [];
  return { asked, request: async (url, init) => (asked.push({ url: String(url), maxBytes: init?.maxBytes, timeoutMs: init?.timeoutMs }), outcome) };
}
const plain = (body: string): HttpsOutcome => ({ kind: 'ok', status: 200, headers: { 'content-type': 'text/plain' }, body, bytes: Buffer.byteLength(body) });
const DOMAIN: Record<string, MemoryName> = { '_mta-sts.contoso.example': { TXT: ['v=STSv1; id=1'] } };

describe('parseMtaStsPolicy (RFC 8461 §3.2)', () => {
  it('keeps the first of a duplicated field and says which; version may come anywhere; LF or CRLF', () => {
    expect(parseMtaStsPolicy('mode: testing\r\nmx: a.example\nmode: enforce\nmax_age: 5\r\nversion: STSv1')).toEqual({
      ok: true, policy: { version: 'STSv1', mode: 'testing', maxAge: 5, mx: ['a.example'], extensions: [], duplicates: ['mode'] },
    });
  });

  it.each<[string, RegExp, number | null]>([
    ['version: STSv1\n\nmode: none\nmax_age: 1\n', /^line 2 is empty/, 2],
    ['version: STSv1\nmode: none\nmax_age: 1\n\n', /^line 4 is empty/, 4],
    [' version: STSv1\nmode: none\nmax_age: 1', /^line 1: " version" is not a field name/, 1],
    ['version : STSv1\nmode: none\nmax_age: 1', /^line 1: "version " is not a field name/, 1],
    ['version: STSv1\nMode: enforce\nmx: a.example\nmax_age: 1', /^there is no mode field \(field names are case-sensitive: "Mode" is not "mode"\)$/, null],
    ['version: STSv1\nmode: ENFORCE\nmx: a.example\nmax_age: 1', /^line 2: the mode "ENFORCE" is not enforce, testing or none$/, 2],
    ['version: STSv1\nmode: enforce\nmx: a.example.\nmax_age: 1', /^line 3: "a\.example\." is not a host name/, 3],
    ['version: STSv1\nmode: enforce\nmx: *.example\nmax_age: 31557601', /^line 4: max_age 31557601 is over 31557600 seconds/, 4],
    ['version: STSv1\nmode: none\nmax_age: 1\next: a\u0007b', /^line 4: the value of "ext" is empty or holds control characters$/, 4],
  ])('%j is invalid: %s', (body, problem, line) => {
    const r = parseMtaStsPolicy(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problem).toMatch(problem);
      expect(r.line).toBe(line);
    }
  });

  it('a million mx lines parse in one linear pass, every pattern kept (the check stores 20)', () => {
    const body = `version: STSv1\nmode: enforce\nmax_age: 86400\n${'mx: mx.example.com\n'.repeat(1_000_000)}`;
    const r = parseMtaStsPolicy(body);
    expect(r.ok && r.policy.mx.length).toBe(1_000_000);
  });

  it('is linear on a megabyte of spaces inside a value and around it', () => {
    const spaces = ' '.repeat(1024 * 1024);
    const r = parseMtaStsPolicy(`version:${spaces}STSv1${spaces}\nmode: none\nmax_age: 1\next: a${spaces}b${spaces}`);
    expect(r.ok && r.policy.extensions[0]?.value.length).toBe(spaces.length + 2);
    expect(parseMtaStsRecord(`v=STSv1;${spaces}id=1${spaces};${spaces}`)).toMatchObject({ ok: true, record: { id: '1' } });
    expect(parseTlsRptRecord(`v=TLSRPTv1;${spaces}rua=mailto:a@example.com${spaces},${spaces}x${spaces}`).ok).toBe(false);
  });
});

describe('mx patterns (RFC 8461 §4.1) and Microsoft 365\'s', () => {
  it('match without case or a trailing dot; a wildcard covers exactly one label', () => {
    expect(mxPatternMatches('*.Mail.Protection.Outlook.com', 'CONTOSO-COM.mail.protection.outlook.com.')).toBe(true);
    expect(mxPatternMatches('*.mail.protection.outlook.com', 'mail.protection.outlook.com')).toBe(false);
    expect(mxPatternMatches('*.mx.microsoft', 'contoso-com.o-v1.mx.microsoft')).toBe(false);
    expect(mxPatternMatches('*.o-v1.mx.microsoft', 'contoso-com.o-v1.mx.microsoft')).toBe(true);
    expect(matchMxPatterns(['mx1.example.com', '*.example.net'], 'a.example.net')).toBe('*.example.net');
    expect(isMxPattern('*.*.example')).toBe(false);
    expect(isMxPattern('mx*.example')).toBe(false);
  });

  it('mxPatternFor: Microsoft\'s wildcard for its hosts in every cloud and the DNSSEC form, the exact host otherwise', () => {
    expect(mxPatternFor('contoso-com.mail.protection.outlook.com')).toBe('*.mail.protection.outlook.com');
    expect(mxPatternFor('contoso.mail.protection.office365.us')).toBe('*.mail.protection.office365.us');
    expect(mxPatternFor('contoso-com.mail.protection.partner.outlook.cn')).toBe('*.mail.protection.partner.outlook.cn');
    expect(mxPatternFor('Contoso-com.O-v1.mx.microsoft.')).toBe('*.o-v1.mx.microsoft');
    expect(mxPatternFor('eu-smtp-inbound-1.mimecast.com')).toBe('eu-smtp-inbound-1.mimecast.com');
  });
});

describe('checkMtaSts without servers (memory DNS, an injected HTTPS answer)', () => {
  it('asks for the policy with the 64 KiB cap and the deadline given, clamped to 60 s', async () => {
    const https = answering(plain('version: STSv1\nmode: none\nmax_age: 1\n'));
    await checkMtaSts({ dns: createMemoryDnsClient(DOMAIN), https }, 'contoso.example', { mxHosts: [], cloud: 'worldwide', timeoutMs: 600_000 });
    expect(https.asked).toEqual([{ url: 'https://mta-sts.contoso.example/.well-known/mta-sts.txt', maxBytes: MTA_STS_MAX_POLICY_BYTES, timeoutMs: 60_000 }]);
  });

  it('a failed TXT lookup is DNS_TEMPFAIL and unknown, never missing, and nothing is fetched', async () => {
    const https = answering(plain(''));
    const r = await checkMtaSts({ dns: createMemoryDnsClient({ '_mta-sts.contoso.example': { servfail: true } }), https }, 'contoso.example', { mxHosts: [], cloud: 'worldwide' });
    expect(r.findings.map((f) => f.code)).toEqual(['DNS_TEMPFAIL']);
    expect(r.section).toMatchObject({ status: 'unknown', state: 'unknown', reason: 'the TXT lookup for _mta-sts.contoso.example failed' });
    expect(https.asked).toEqual([]);
  });

  it('a record meant as MTA-STS that senders skip (no ";" after the version) is MTA_STS_TXT_INVALID, not missing', async () => {
    for (const record of ['v=STSv1', 'V=STSv1; id=1', 'v=STSv12; id=1', ' v=STSv1; id=1']) {
      expect(isMtaStsRecord(record)).toBe(false);
      const r = await checkMtaSts({ dns: createMemoryDnsClient({ '_mta-sts.contoso.example': { TXT: [record, 'v=spf1 -all'] } }) }, 'contoso.example', { mxHosts: [], cloud: 'worldwide' });
      expect(r.findings.map((f) => f.code), record).toEqual(['MTA_STS_TXT_INVALID']);
      expect(r.section.records).toEqual([record]);
    }
  });

  it('MTA_STS_MISSING proposes the sovereign cloud\'s pattern when no Microsoft MX is live yet', async () => {
    const r = await checkMtaSts({ dns: createMemoryDnsClient({}) }, 'contoso.example', { mxHosts: null, cloud: 'gcc-high' });
    expect(r.findings[0]?.fix).toContain('"mx: *.mail.protection.office365.us"');
  });

  it('mode none: no MX is matched, nothing is reported; MX unknown (null): nothing is matched either', async () => {
    const none = await checkMtaSts({ dns: createMemoryDnsClient(DOMAIN), https: answering(plain('version: STSv1\nmode: none\nmax_age: 1\n')) }, 'contoso.example', { mxHosts: ['a.example'], cloud: 'worldwide' });
    expect(none.findings).toEqual([]);
    expect(none.section).toMatchObject({ state: 'none', policy: { matches: [], mode: 'none' } });
    const unknownMx = await checkMtaSts({ dns: createMemoryDnsClient(DOMAIN), https: answering(plain('version: STSv1\nmode: enforce\nmx: b.example\nmax_age: 1\n')) }, 'contoso.example', { mxHosts: null, cloud: 'worldwide' });
    expect(unknownMx.findings).toEqual([]);
    expect(unknownMx.section.policy?.matchesTotal).toBe(0);
  });

  it('keeps the policy bounded: 20 lines, 20 patterns, 20 matches, with the totals; findings per code capped', async () => {
    const patterns = Array.from({ length: 3000 }, (_, i) => `mx: m${i}.example`).join('\n');
    const body = `version: STSv1\nmode: enforce\nmax_age: 86400\n${patterns}\n`;
    expect(Buffer.byteLength(body)).toBeLessThan(MTA_STS_MAX_POLICY_BYTES);
    const hosts = Array.from({ length: 100 }, (_, i) => `in${i}.example.org`);
    const r = await checkMtaSts({ dns: createMemoryDnsClient(DOMAIN), https: answering(plain(body)) }, 'contoso.example', { mxHosts: hosts, cloud: 'worldwide' });
    const p = r.section.policy!;
    expect([p.lines.length, p.linesTotal, p.mx.length, p.mxTotal, p.matches.length, p.matchesTotal]).toEqual([20, 3003, 20, 3000, 20, 100]);
    expect(r.findings.filter((f) => f.code === 'MTA_STS_MX_MISMATCH')).toHaveLength(20);
    expect(r.findings.at(-1)?.message).toContain('(80 more MTA_STS_MX_MISMATCH findings like this are not listed.)');
  });
});

describe('hostile policy files: bounded, and escaped in every format', () => {
  const HOSTILE: [string, string, string][] = [
    ['terminal escapes', 'text/plain', 'version: STSv1\nmode: enforce\nmx: \x1b]0;owned\x07\x1b[2J.example\nmax_age: 1\n'],
    ['HTML as text/plain', 'text/plain', '<html><script>alert(1)</script></html>\n'],
    ['a C1 CSI and bidi controls in an extension', 'text/plain', 'version: STSv1\nmode: none\nmax_age: 1\nnote: \u009b31m \u202eevil\u202c\n'],
    ['HTML as text/html', 'text/html', '<script>alert(1)</script>'],
  ];
  it.each(HOSTILE)('%s', async (_what, contentType, body) => {
    const https = answering({ kind: 'ok', status: 200, headers: { 'content-type': `${contentType}\x1b[31m` }, body, bytes: body.length });
    const r = await checkMtaSts({ dns: createMemoryDnsClient(DOMAIN), https }, 'contoso.example', { mxHosts: ['contoso-example.mail.protection.outlook.com'], cloud: 'worldwide' });
    const report = { ...hostileReport(0), input: 'contoso.example', findings: r.findings, meta: { policy: r.section.policy?.lines.join('\n') ?? '' } };
    for (const format of FORMATS) {
      // CSV rows end in CRLF (RFC 4180): those are the layout, not data.
      const out = renderReports(format, [report], null, { color: false }).replace(/\r\n/g, '\n');
      // No raw C0 (but tab and line feed), DEL, C1 or bidi control reaches any output.
      expect(out, format).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      // The policy's markup is text: in HTML no element of its own (the page's one script is m365audit's), in Markdown escaped.
      if (format === 'html' || format === 'markdown') expect(out, format).not.toContain('<script>alert');
      if (format === 'html') expect(out.match(/<script\b/g), format).toHaveLength(1);
    }
  });
});
