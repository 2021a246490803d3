import { describe, expect, it } from 'vitest';
import { allMechanism, effectiveRedirect, isSenderIdRecord, isSpfRecord, parseSpf, type SpfMechanism } from '../../src/spf/parse.js';

const mech = (record: string, i = 0): SpfMechanism => {
  const r = parseSpf(record);
  expect(r.errors).toEqual([]);
  return r.mechanisms[i] as SpfMechanism;
};

describe('isSpfRecord (RFC 7208 4.5)', () => {
  it.each([
    ['v=spf1', true],
    ['v=spf1 -all', true],
    ['V=SpF1 ~all', true],
    ['v=spf1  a', true],
    ['v=spf10', false],
    ['v=spf1\t-all', false],
    [' v=spf1 -all', false],
    ['spf2.0/mfrom -all', false],
    ['', false],
  ])('%j -> %s', (txt, yes) => {
    expect(isSpfRecord(txt)).toBe(yes);
  });

  it('tells a Sender ID record', () => {
    expect(isSenderIdRecord('spf2.0/mfrom,pra -all')).toBe(true);
    expect(isSenderIdRecord('SPF2.0/pra ~all')).toBe(true);
    expect(isSenderIdRecord('v=spf1 -all')).toBe(false);
  });
});

describe('parseSpf: mechanisms', () => {
  it('reads qualifiers, names case-insensitively, and the default +', () => {
    const r = parseSpf('v=spf1 a -mx ~PTR ?Exists:%{i}.x.example +ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.com -all');
    expect(r.errors).toEqual([]);
    expect(r.mechanisms.map((m) => `${m.qualifier}${m.name}`)).toEqual(['+a', '-mx', '~ptr', '?exists', '+ip4', '+ip6', '+include', '-all']);
    expect(r.mechanisms.map((m) => m.position)).toEqual([7, 9, 13, 18, 41, 59, 77, 102]);
  });

  it('reads domain-spec and dual CIDR of a and mx', () => {
    expect(mech('v=spf1 a')).toMatchObject({ domainSpec: null, cidr4: null, cidr6: null });
    expect(mech('v=spf1 a/24')).toMatchObject({ domainSpec: null, cidr4: 24, cidr6: null });
    expect(mech('v=spf1 a//64')).toMatchObject({ domainSpec: null, cidr4: null, cidr6: 64 });
    expect(mech('v=spf1 mx:mail.example.com/24//64')).toMatchObject({ domainSpec: 'mail.example.com', cidr4: 24, cidr6: 64 });
    // "/" inside the domain is part of it; only a trailing prefix is a CIDR (RFC 7208 7.1).
    expect(mech('v=spf1 a:foo:bar/baz.example.com')).toMatchObject({ domainSpec: 'foo:bar/baz.example.com', cidr4: null });
  });

  it('reads ip4 and ip6 networks', () => {
    expect(mech('v=spf1 ip4:192.0.2.1')).toMatchObject({ network: '192.0.2.1', cidr4: null });
    expect(mech('v=spf1 ip6:2001:db8::/32')).toMatchObject({ network: '2001:db8::', cidr6: 32 });
    expect(mech('v=spf1 ip6:::1.1.1.1/0')).toMatchObject({ network: '::1.1.1.1', cidr6: 0 });
  });

  it('keeps macros in a domain-spec as tokens', () => {
    const m = mech('v=spf1 exists:%{ir}.%{l1r-}.lp._spf.%{d2}');
    expect(m.domainTokens?.filter((t) => t.kind === 'macro').map((t) => t.kind === 'macro' && `${t.letter}${t.digits ?? ''}${t.reverse ? 'r' : ''}${t.delimiters}`)).toEqual(['ir.', 'l1r-', 'd2.']);
  });
});

describe('parseSpf: modifiers', () => {
  it('reads redirect, exp and unknown modifiers', () => {
    const r = parseSpf('v=spf1 mx exp=explain._spf.%{d} foo.bar-baz_1=anything:at/all redirect=_spf.example.com');
    expect(r.errors).toEqual([]);
    expect(r.redirect?.value).toBe('_spf.example.com');
    expect(r.exp?.value).toBe('explain._spf.%{d}');
    expect(r.unknownModifiers.map((m) => m.name)).toEqual(['foo.bar-baz_1']);
  });

  it('ignores redirect when the record has all (RFC 7208 6.1)', () => {
    expect(effectiveRedirect(parseSpf('v=spf1 redirect=a.example -all'))).toBeNull();
    expect(effectiveRedirect(parseSpf('v=spf1 redirect=a.example'))?.value).toBe('a.example');
    expect(allMechanism(parseSpf('v=spf1 ?all -all'))?.qualifier).toBe('?');
  });
});

describe('parseSpf: syntax errors with their position', () => {
  it.each<[string, number, RegExp]>([
    ['v=spf1 ip4:192.0.2.300 -all', 11, /not an IPv4 address/],
    ['v=spf1 ip4:192.0.2.1/33', 20, /IPv4 prefix/],
    ['v=spf1 ip4:1.2.3.4/032', 18, /IPv4 prefix/],
    ['v=spf1 ip6:2001:db8::/129', 21, /IPv6 prefix/],
    ['v=spf1 a/33', 8, /prefix length/],
    ['v=spf1 a//129', 8, /prefix length/],
    ['v=spf1 a:example.com/24/64', 8, /"\/64" is not a valid prefix length/],
    ['v=spf1 -all.', 11, /"all" takes no argument/],
    ['v=spf1 include', 14, /needs ":"/],
    ['v=spf1 include:', 15, /empty domain-spec/],
    ['v=spf1 a:foo-bar -all', 9, /top label/],
    ['v=spf1 a:111.222.33.44', 9, /top label/],
    ['v=spf1 redirect:example.com', 7, /"redirect" is a modifier|unknown mechanism "redirect"; redirect is a modifier/],
    ['v=spf1 1up=foo', 7, /unknown mechanism "1up"/],
    ['v=spf1 =all', 7, /not a mechanism or modifier/],
    ['v=spf1 exp=a.example.com exp=b.example.com', 25, /more than once/],
    ['v=spf1 foo=%abc', 11, /"%" must be followed/],
    ['v=spf1 exists:%{a}.example.com', 14, /macro letter "a"/],
    ['v=spf1 exp=%{r}.example.com', 11, /outside explanation text/],
    ['v=spf1 exists:%{d0}.example.com', 14, /nonzero/],
    ['v=spf1 a:ctrl.example.com\rptr -all', 25, /\\x0d/],
    ['v=spf1 a:caf\u00e9.example.com', 12, /U\+00E9|\\xe9/],
  ])('%j: error at %i', (record, position, message) => {
    const r = parseSpf(record);
    expect(r.errors[0]?.position).toBe(position);
    expect(r.errors[0]?.message).toMatch(message);
  });

  it('finds errors anywhere in the record, even after all (RFC 7208 4.6)', () => {
    const r = parseSpf('v=spf1 -all moo ip4:1.2.3.4/99');
    expect(r.errors.map((e) => e.position)).toEqual([12, 27]);
  });

  it('reports a record that is not v=spf1 at position 0', () => {
    expect(parseSpf('v=spf10 -all').errors[0]?.position).toBe(0);
  });

  it('accepts repeated spaces and a trailing space (RFC 7208 4.5, 12)', () => {
    expect(parseSpf('v=spf1  a   -all ').errors).toEqual([]);
    expect(parseSpf('v=spf1').mechanisms).toEqual([]);
  });
});
