import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/common.js';
import { explainInputs } from '../../src/cli/commands/explain.js';
import { isFindingCode } from '../../src/findings/catalog.js';
import { explainCode, findCodeEntry, SMTP_CODES, type CodeEntry } from '../../src/smtp/codes.js';
import { renderExplanationsJson, renderExplanationsTable } from '../../src/report/probe.js';

/** Reference §9, one code per row: the catalog must hold each. */
const REFERENCE_CODES = [
  '5.7.139', '5.7.3', '5.7.57', '5.7.60', '5.2.252', '5.7.1', '5.7.30', '5.7.64', '5.7.68', '5.4.1',
  '4.7.500', '5.7.705', '5.7.708', '5.7.750', '5.7.606', '5.7.23', '5.7.509', '5.7.515', '5.7.26', '4.7.26', '4.4.62',
];

/** The enhanced codes an entry covers, as test inputs: its bounds and a middle value for ranges. */
function samples(e: CodeEntry): string[] {
  const [lo, hi] = e.detail;
  const details = lo === hi ? [lo] : [lo, Math.floor((lo + hi) / 2), hi];
  return details.map((d) => `${e.cls}.${e.subject}.${d}`);
}

describe('SMTP code catalog', () => {
  it('holds every code of reference §9', () => {
    for (const code of REFERENCE_CODES) {
      const [c, s, d] = code.split('.').map(Number) as [number, number, number];
      expect(findCodeEntry(c, s, d), code).not.toBeNull();
    }
  });

  it('has unique ids, ranges that only nest (a code inside a range), and complete texts', () => {
    expect(new Set(SMTP_CODES.map((e) => e.id)).size).toBe(SMTP_CODES.length);
    for (const e of SMTP_CODES) {
      for (const o of SMTP_CODES) {
        if (o === e || o.cls !== e.cls || o.subject !== e.subject) continue;
        const apart = o.detail[1] < e.detail[0] || o.detail[0] > e.detail[1];
        const oInsideE = o.detail[0] >= e.detail[0] && o.detail[1] <= e.detail[1] && o.detail[1] - o.detail[0] < e.detail[1] - e.detail[0];
        const eInsideO = e.detail[0] >= o.detail[0] && e.detail[1] <= o.detail[1] && e.detail[1] - e.detail[0] < o.detail[1] - o.detail[0];
        expect(apart || oInsideE || eInsideO, `${e.id} overlaps ${o.id}`).toBe(true);
      }
      for (const t of [e.title, e.meaning, e.cause, e.fix]) expect(t.length).toBeGreaterThan(10);
      if (e.generic) for (const t of [e.generic.title, e.generic.meaning, e.generic.cause, e.generic.fix]) expect(t.length).toBeGreaterThan(10);
      expect(e.generic && e.shared, `${e.id}: generic and shared exclude each other`).toBeFalsy();
      if (e.finding) expect(isFindingCode(e.finding)).toBe(true);
    }
  });

  describe.each(SMTP_CODES.map((e) => [e.id, e] as const))('%s: lookup forms', (_id, entry) => {
    // Without a Microsoft marker a code the RFCs register (generic or shared) is not read as Microsoft's; Microsoft-only codes always are.
    const plainSender = entry.source === 'gmail' ? 'gmail' : entry.generic || entry.shared ? null : 'microsoft';
    it('finds the entry alone, with each reply code, dashed, with text and inside an NDR line', () => {
      for (const enh of samples(entry)) {
        const forms: { input: string; reply: number | null }[] = [{ input: enh, reply: null }, { input: ` ${enh} `, reply: null }];
        for (const reply of entry.replyCodes) {
          forms.push(
            { input: `${reply} ${enh}`, reply },
            { input: `${reply}-${enh}`, reply },
            { input: `${reply} ${enh} something went wrong`, reply },
            { input: `Remote server returned '${reply} ${enh} something went wrong'`, reply },
            { input: `${reply} #${enh}`, reply },
          );
        }
        for (const { input, reply } of forms) {
          const e = explainCode(input);
          expect(e, input).not.toBeNull();
          expect(e?.source, input).toBe('catalog');
          expect(e?.id, input).toBe(entry.id);
          expect(e?.enhancedCode, input).toBe(enh);
          expect(e?.replyCode, input).toBe(reply);
          expect(e?.finding ?? undefined, input).toBe(entry.generic ? undefined : entry.finding);
          expect(e?.cls?.code, input).toBe(entry.cls);
          expect(e?.sender, input).toBe(plainSender);
          expect(e?.microsoft, input).toBe(plainSender === 'microsoft');
          expect(e?.title, input).toBe(entry.generic ? entry.generic.title : entry.title);
          expect(e?.fix, input).toBeTruthy();
        }
      }
    });
    it('gives Microsoft\'s meaning when the reply names a Microsoft host', () => {
      for (const enh of samples(entry)) {
        const input = `${entry.replyCodes[0] ?? 550} ${enh} [AM0PR01MB1234.eurprd01.prod.outlook.com]`;
        const e = explainCode(input);
        expect(e?.id, input).toBe(entry.id);
        expect(e?.markers, input).toEqual(['prod.outlook.com']);
        expect(e?.sender, input).toBe(entry.source);
        expect(e?.microsoft, input).toBe(entry.source === 'microsoft');
        expect(e?.title, input).toBe(entry.title);
        expect(e?.finding ?? undefined, input).toBe(entry.finding);
        // Where the readings differ, the registered one is named too.
        expect(e?.otherReading?.title ?? null, input).toBe(entry.generic?.title ?? null);
        if (entry.generic) expect(e?.meaning, input).toContain(entry.generic.title);
      }
    });
    it('is listed under a bare reply code it is sent with', () => {
      for (const reply of entry.replyCodes) expect(explainCode(String(reply))?.related, String(reply)).toContain(entry.id);
    });
  });

  it('picks the variant the reply text names', () => {
    const cases: [string, RegExp][] = [
      ['535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.', /disabled for the tenant or mailbox/i],
      ['535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully.', /Conditional Access/],
      ["535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy.", /Security Defaults/],
      ['535 5.7.139 Authentication unsuccessful, basic authentication is disabled.', /Conditional Access/],
      ['550 5.7.1 Unable to relay', /^Unable to relay$/],
      ['550 5.7.1 Delivery not authorized, message refused', /^Delivery not authorized/],
      ['550 5.7.1 Client was not authenticated', /^Client was not authenticated$/],
      ['550 5.7.1 Client does not have permissions to send as this sender', /send as/i],
      ['550 5.4.1 Recipient address rejected: Access denied. AS(201806281)', /DBEB/],
      ['550 5.4.1 Relay Access Denied', /^Relay Access Denied$/],
    ];
    for (const [input, title] of cases) expect(explainCode(input)?.title, input).toMatch(title);
    // Without text: the entry's own, general wording.
    expect(explainCode('5.7.139')?.title).toBe('Authentication unsuccessful: SMTP AUTH is blocked');
  });

  it('maps the AUTH replies to the probe findings', () => {
    expect(explainCode('535 5.7.139')?.finding).toBe('SMTP_AUTH_DISABLED');
    expect(explainCode('535 5.7.3')?.finding).toBe('SMTP_AUTH_FAILED');
    expect(explainCode('530 5.7.57')?.finding).toBe('SMTP_AUTH_OTHER');
    expect(explainCode('550 5.7.30 Basic authentication is not supported for Client Submission.')?.finding).toBe('SMTP_BASIC_AUTH_RETIRED');
    // Without Microsoft's wording 5.7.30 is RFC 8689's REQUIRETLS code, and no probe finding.
    expect(explainCode('550 5.7.30')).toMatchObject({ finding: null, microsoft: false, title: 'REQUIRETLS support required', otherReading: { reading: 'microsoft' } });
  });

  it('tells Gmail 5.7.26 from Microsoft 4.7.26', () => {
    expect(explainCode('550-5.7.26 Unauthenticated email')).toMatchObject({ sender: 'gmail', microsoft: false });
    expect(explainCode('451 4.7.26')).toMatchObject({ sender: 'microsoft', microsoft: true });
  });

  it('gives unknown codes their RFC 3463 class, subject and detail', () => {
    const e = explainCode('550 5.1.2');
    expect(e).toMatchObject({ source: 'rfc', id: null, enhancedCode: '5.1.2', replyCode: 550, microsoft: false, markers: [] });
    expect(e?.cls?.name).toBe('Permanent failure');
    expect(e?.subject?.name).toBe('Addressing status');
    expect(e?.detail).toMatch(/domain does not exist/);
    expect(explainCode('4.2.2')).toMatchObject({ cls: { code: 4 }, subject: { code: 2 }, detail: 'Mailbox full.' });
    expect(explainCode('535 5.7.8')?.detail).toBe('Authentication credentials invalid.');
    // Just outside the catalog's ranges.
    expect(explainCode('5.7.605')?.source).toBe('rfc');
    expect(explainCode('5.7.650')?.source).toBe('rfc');
    expect(explainCode('4.7.499')?.source).toBe('rfc');
    // A registered class with an unregistered detail, and an undefined subject.
    expect(explainCode('5.7.999')).toMatchObject({ source: 'rfc', detail: null, subject: { code: 7 } });
    expect(explainCode('5.9.1')).toMatchObject({ source: 'rfc', subject: null, cls: { code: 5 } });
  });

  it('explains a bare reply code', () => {
    expect(explainCode('535')).toMatchObject({ replyCode: 535, enhancedCode: null, source: 'rfc' });
    expect(explainCode('535')?.related).toEqual(expect.arrayContaining(['5.7.139', '5.7.3']));
    expect(explainCode('421')?.meaning).toMatch(/not available/);
  });

  it('returns null for input that is not a code', () => {
    for (const bad of ['', 'hello', '5.7', 'x.7.1', '123', '6.7.1', '5.7.1234', '1234', 'abc 5.x.3']) expect(explainCode(bad), bad).toBeNull();
  });
});

describe('explainInputs (CLI)', () => {
  it('reads an unquoted "535 5.7.3" as one code', () => {
    const items = explainInputs(['535', '5.7.3', '5.7.139']);
    expect(items.map((i) => [i.replyCode, i.enhancedCode])).toEqual([[535, '5.7.3'], [null, '5.7.139']]);
  });
  it('throws a UsageError naming every input that is not a code', () => {
    expect(() => explainInputs(['5.7.3', 'nonsense', 'x'])).toThrow(UsageError);
    expect(() => explainInputs(['nonsense', 'x'])).toThrow(/"nonsense", "x"/);
  });
  it('renders every catalog entry as table and JSON', () => {
    const items = SMTP_CODES.map((e) => explainCode(samples(e)[0] ?? '')).filter((x) => x !== null);
    expect(items).toHaveLength(SMTP_CODES.length);
    const table = renderExplanationsTable(items);
    for (const e of SMTP_CODES) expect(table).toContain((e.generic?.title ?? e.title).slice(0, 20));
    const json = JSON.parse(renderExplanationsJson(items)) as { explanations: { id: string }[] };
    expect(json.explanations.map((x) => x.id)).toEqual(SMTP_CODES.map((e) => e.id));
  });
  it('escapes control characters from the input', () => {
    const e = explainCode('550 5.7.1 \x1b[31mUnable to relay');
    expect(e).not.toBeNull();
    expect(renderExplanationsTable(e ? [e] : [])).not.toContain('\x1b[31m');
  });
});
