import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeSpfRecords } from '../../src/spf/merge.js';
import { allMechanism, effectiveRedirect, parseSpf } from '../../src/spf/parse.js';

const INC = 'spf.protection.outlook.com';
const SOFT_NOTE = '"~all" makes unlisted senders softfail; once the DMARC reports show every sender is listed, "-all" is the better end state.';

/** The proposal parses, names the include once and unqualified, and does not end in +all or ?all (or without an all and a redirect). */
function expectPublishable(value: string): void {
  const parsed = parseSpf(value);
  expect(parsed.errors).toEqual([]);
  expect(parsed.mechanisms.filter((m) => m.name === 'include' && m.domainSpec?.toLowerCase().replace(/\.$/, '') === INC).map((m) => m.qualifier)).toEqual(['+']);
  const all = allMechanism(parsed);
  if (all) expect(['-', '~']).toContain(all.qualifier);
  else expect(effectiveRedirect(parsed)).not.toBeNull();
}

describe('mergeSpfRecords', () => {
  it.each<[string, string[], string, { changed?: boolean; dropped?: string[]; replacedAll?: '+' | '?' | 'missing' | null; note?: string }]>([
    ['no record', [], 'v=spf1 include:spf.protection.outlook.com -all', { replacedAll: null }],
    ['+all', ['v=spf1 include:spf.protection.outlook.com +all'], 'v=spf1 include:spf.protection.outlook.com ~all', { replacedAll: '+', note: '"+all" lets every address on the Internet pass: replaced by "~all".' }],
    ['bare all (+ by default)', ['v=spf1 mx all'], 'v=spf1 mx include:spf.protection.outlook.com ~all', { replacedAll: '+' }],
    ['?all', ['v=spf1 ip4:192.0.2.1 ?all'], 'v=spf1 ip4:192.0.2.1 include:spf.protection.outlook.com ~all', { replacedAll: '?', note: '"?all" asserts nothing about other senders: replaced by "~all".' }],
    ['no all, no redirect', ['v=spf1 mx'], 'v=spf1 mx include:spf.protection.outlook.com ~all', { replacedAll: 'missing' }],
    ['-all kept', ['v=spf1 ip4:192.0.2.1 -all'], 'v=spf1 ip4:192.0.2.1 include:spf.protection.outlook.com -all', { replacedAll: null }],
    ['~all kept, with the note', ['v=spf1 include:_spf.google.com ~all'], 'v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all', { replacedAll: null, note: SOFT_NOTE }],
    ['already right', ['v=spf1 include:spf.protection.outlook.com -all'], 'v=spf1 include:spf.protection.outlook.com -all', { changed: false }],
    ['case and + kept as written', ['v=spf1 +include:SPF.Protection.Outlook.com -all'], 'v=spf1 +include:SPF.Protection.Outlook.com -all', { changed: false }],
    ['extra spaces only', ['v=spf1  include:spf.protection.outlook.com   -all '], 'v=spf1  include:spf.protection.outlook.com   -all ', { changed: false }],
    ['redirect without all (not missing)', ['v=spf1 mx redirect=_spf.example.com'], 'v=spf1 mx include:spf.protection.outlook.com redirect=_spf.example.com', { replacedAll: null }],
    ['redirect beside all is ignored (RFC 7208 6.1)', ['v=spf1 redirect=_spf.example.com -all'], 'v=spf1 include:spf.protection.outlook.com -all', { note: 'Left out "redirect=_spf.example.com": a record with an "all" term ignores redirect (RFC 7208 6.1).' }],
    ['stray quote', ['v=spf1 include:spf.protection.outlook.com -all"'], 'v=spf1 include:spf.protection.outlook.com ~all', { dropped: ['-all"'], replacedAll: 'missing' }],
    ['quoted term', ['v=spf1 "ip4:192.0.2.1" -all'], 'v=spf1 include:spf.protection.outlook.com -all', { dropped: ['"ip4:192.0.2.1"'] }],
    ['embedded newline between terms', ['v=spf1 ip4:192.0.2.1\ninclude:spf.protection.outlook.com\r\n-all'], 'v=spf1 ip4:192.0.2.1 include:spf.protection.outlook.com -all', { dropped: [] }],
    ['$INCLUDE pasted from a zone file', ['v=spf1 include:spf.protection.outlook.com -all\n$INCLUDE spf.zone'], 'v=spf1 include:spf.protection.outlook.com -all', { dropped: ['$INCLUDE', 'spf.zone'] }],
    ['$INCLUDE before the all', ['v=spf1 mx $INCLUDE spf.zone -all'], 'v=spf1 mx include:spf.protection.outlook.com -all', { dropped: ['$INCLUDE', 'spf.zone'] }],
    ['qualified Microsoft include', ['v=spf1 ~include:spf.protection.outlook.com -all'], 'v=spf1 include:spf.protection.outlook.com -all', { note: '"~include:spf.protection.outlook.com" gives the senders it lists softfail instead of pass (RFC 7208 4.6.2): written without the qualifier.' }],
    ['duplicated include', ['v=spf1 include:spf.protection.outlook.com mx include:spf.protection.outlook.com. -all'], 'v=spf1 include:spf.protection.outlook.com mx -all', { note: 'Left out "include:spf.protection.outlook.com.": the same mechanism comes earlier, so this copy can never match.' }],
    ['duplicated, the first qualified', ['v=spf1 ?include:spf.protection.outlook.com include:spf.protection.outlook.com -all'], 'v=spf1 include:spf.protection.outlook.com -all', {}],
    ['other duplicates', ['v=spf1 ip4:192.0.2.1 a -ip4:192.0.2.1 A -all'], 'v=spf1 ip4:192.0.2.1 a include:spf.protection.outlook.com -all', {}],
    ['terms after all are never evaluated', ['v=spf1 mx -all include:_spf.example.com'], 'v=spf1 mx include:spf.protection.outlook.com -all', {}],
    ['ptr kept, with a note', ['v=spf1 ptr -all'], 'v=spf1 ptr include:spf.protection.outlook.com -all', {}],
    ['macros kept (case included)', ['v=spf1 exists:%{i}._spf.%{d} exists:%{I}._spf.%{d} -all'], 'v=spf1 exists:%{i}._spf.%{d} exists:%{I}._spf.%{d} include:spf.protection.outlook.com -all', {}],
    ['a broken macro is dropped', ['v=spf1 exists:%{q}.example.com -all'], 'v=spf1 include:spf.protection.outlook.com -all', { dropped: ['exists:%{q}.example.com'] }],
    ['unknown modifiers kept once, exp kept (RFC 7208 6)', ['v=spf1 moo=bar mx exp=explain.%{d} moo=bar ~all'], 'v=spf1 mx include:spf.protection.outlook.com ~all exp=explain.%{d} moo=bar', {}],
    ['an invalid modifier is dropped', ['v=spf1 moo=%{z} -all'], 'v=spf1 include:spf.protection.outlook.com -all', { dropped: ['moo=%{z}'] }],
    ['a second redirect is dropped', ['v=spf1 redirect=a.example redirect=b.example'], 'v=spf1 include:spf.protection.outlook.com redirect=a.example', { dropped: ['redirect=b.example'] }],
    ['multiple records merged', ['v=spf1 include:spf.protection.outlook.com -all', 'v=spf1 mx -all'], 'v=spf1 include:spf.protection.outlook.com mx -all', { note: '2 SPF records now, which is a permerror (RFC 7208 4.5): merged into this one record, to publish in their place.' }],
    ['multiple, redirect becomes include', ['v=spf1 ip4:192.0.2.1 ~all', 'v=spf1 redirect=_spf.example.com', 'v=spf1 ip4:192.0.2.1 +all'], 'v=spf1 ip4:192.0.2.1 include:_spf.example.com include:spf.protection.outlook.com ~all', {}],
    ['not SPF at all is ignored', ['google-site-verification=abc', ' v=spf1 mx -all'], 'v=spf1 include:spf.protection.outlook.com -all', {}],
  ])('%s', (_, records, value, expected) => {
    const m = mergeSpfRecords(records, INC);
    expect(m.value).toBe(value);
    expect(m.changed).toBe(expected.changed ?? true);
    if (expected.dropped) expect(m.dropped).toEqual(expected.dropped);
    if (expected.replacedAll !== undefined) expect(m.replacedAll).toBe(expected.replacedAll);
    if (expected.note) expect(m.notes).toContain(expected.note);
    if (allMechanism(parseSpf(m.value))?.qualifier === '~') expect(m.notes).toContain(SOFT_NOTE);
    else expect(m.notes).not.toContain(SOFT_NOTE);
    expectPublishable(m.value);
    expect(mergeSpfRecords([m.value], INC)).toMatchObject({ value: m.value, changed: false });
  });

  it('names every dropped term in a note', () => {
    const m = mergeSpfRecords(['v=spf1 ip4:192.0.2.300 a:mailserver01 "x -all'], INC);
    expect(m.dropped).toEqual(['ip4:192.0.2.300', 'a:mailserver01', '"x']);
    for (const t of m.dropped) expect(m.notes.some((n) => n.startsWith(`Left out "${t}", which receivers reject (permerror): `))).toBe(true);
    expect(m.value).toBe('v=spf1 include:spf.protection.outlook.com -all');
  });

  it('escapes control characters in notes', () => {
    const m = mergeSpfRecords(['v=spf1 ip4:192.0.2.1\u0000 -all'], INC);
    expect(m.dropped).toEqual(['ip4:192.0.2.1\u0000']);
    expect(m.notes.join(' ')).not.toMatch(/[\u0000-\u001f]/);
  });

  it('leaves out the terms asked, puts the include first, or does not add it', () => {
    const live = ['v=spf1 -ip4:40.92.0.0/15 include:gone.example include:_spf.example.com -all'];
    const m = mergeSpfRecords(live, INC, { leaveOut: new Map([['include:gone.example', 'gone.example does not exist']]), includeFirst: true });
    expect(m.value).toBe('v=spf1 include:spf.protection.outlook.com -ip4:40.92.0.0/15 include:_spf.example.com -all');
    expect(m.leftOut).toEqual(['include:gone.example']);
    expect(m.notes).toContain('Left out "include:gone.example": gone.example does not exist.');
    expect(mergeSpfRecords(['v=spf1 mx include:spf.protection.outlook.com -all'], INC, { includeFirst: true }).value).toBe('v=spf1 include:spf.protection.outlook.com mx -all');
    expect(mergeSpfRecords(['v=spf1 redirect=_spf.example.com'], INC, { addInclude: false })).toMatchObject({ value: 'v=spf1 redirect=_spf.example.com', changed: false });
  });

  // Random and mutated records (as in parse/property tests): the proposal is always publishable and a fixed point.
  const term = fc.oneof(
    fc.tuple(fc.constantFrom('', '+', '-', '~', '?'), fc.constantFrom('all', 'a', 'mx', 'ptr')).map(([q, m]) => `${q}${m}`),
    fc.tuple(fc.constantFrom('', '-', '~', '?'), fc.constantFrom('include', 'a', 'mx', 'exists'), fc.constantFrom('a.test', INC, `${INC}.`, '%{d}', '%{i}.b.test', 'x..test', 'one')).map(([q, m, n]) => `${q}${m}:${n}`),
    fc.constantFrom('ip4:192.0.2.0/24', 'ip6:2001:db8::/32', 'ip4:192.0.2.300', 'redirect=r.test', 'exp=e.test', 'foo=bar', 'foo=%{', '"', '$INCLUDE', 'v=spf1'),
  );
  const joiner = fc.constantFrom(' ', '  ', '\n', '\t', '\r\n');
  const record = fc.array(fc.tuple(joiner, term), { maxLength: 12 }).map((parts) => `v=spf1${parts.map(([j, t]) => `${j}${t}`).join('')}`);

  it('always proposes a record that parses, ends in -all or ~all (or a redirect), names the include once; merging again changes nothing', () => {
    fc.assert(fc.property(fc.array(record, { minLength: 1, maxLength: 3 }), (records) => {
      const m = mergeSpfRecords(records, INC);
      expectPublishable(m.value);
      expect(mergeSpfRecords([m.value], INC)).toMatchObject({ value: m.value, changed: false });
    }), { seed: 7208, numRuns: 400 });
  });
});
