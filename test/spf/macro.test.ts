import { describe, expect, it } from 'vitest';
import { parseClientIp } from '../../src/spf/ip.js';
import { expandMacros, parseDomainSpec, parseMacroString, urlEscape, type MacroValues } from '../../src/spf/macro.js';

/** The RFC 7208 7.4 example: sender strong-bad@email.example.com, client 192.0.2.3 (or 2001:db8::cb01). */
function values(ip = '192.0.2.3', over: Partial<MacroValues> = {}): MacroValues {
  const client = parseClientIp(ip);
  if (!client) throw new Error(ip);
  return {
    sender: 'strong-bad@email.example.com',
    localPart: 'strong-bad',
    senderDomain: 'email.example.com',
    domain: 'email.example.com',
    ip: client,
    helo: 'mx.example.org',
    receiver: 'mx.receiver.example',
    timestamp: 1_700_000_000,
    validatedName: async () => 'mx.example.org',
    ...over,
  };
}

async function expand(s: string, v: MacroValues = values(), context: 'domain' | 'explanation' = 'domain'): Promise<string> {
  const parsed = parseMacroString(s, context);
  if (!parsed.ok) throw new Error(parsed.message);
  return expandMacros(parsed.tokens, v);
}

describe('RFC 7208 7.4 examples', () => {
  it.each([
    ['%{s}', 'strong-bad@email.example.com'],
    ['%{o}', 'email.example.com'],
    ['%{d}', 'email.example.com'],
    ['%{d4}', 'email.example.com'],
    ['%{d3}', 'email.example.com'],
    ['%{d2}', 'example.com'],
    ['%{d1}', 'com'],
    ['%{dr}', 'com.example.email'],
    ['%{d2r}', 'example.email'],
    ['%{l}', 'strong-bad'],
    ['%{l-}', 'strong.bad'],
    ['%{lr}', 'strong-bad'],
    ['%{lr-}', 'bad.strong'],
    ['%{l1r-}', 'strong'],
    ['%{ir}.%{v}._spf.%{d2}', '3.2.0.192.in-addr._spf.example.com'],
    ['%{lr-}.lp._spf.%{d2}', 'bad.strong.lp._spf.example.com'],
    ['%{lr-}.lp.%{ir}.%{v}._spf.%{d2}', 'bad.strong.lp.3.2.0.192.in-addr._spf.example.com'],
    ['%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}', '3.2.0.192.in-addr.strong.lp._spf.example.com'],
    ['%{d2}.trusted-domains.example.net', 'example.com.trusted-domains.example.net'],
  ])('%s -> %s', async (macro, want) => {
    expect(await expand(macro)).toBe(want);
  });

  it('expands an IPv6 client into nibbles', async () => {
    expect(await expand('%{ir}.%{v}._spf.%{d2}', values('2001:db8::cb01'))).toBe('1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com');
  });
});

describe('the other letters and escapes', () => {
  it('expands h, p, c, r, t and the escapes', async () => {
    expect(await expand('%{h} %{p} %{c} %{r} %{t} %% %_ %-', values(), 'explanation')).toBe('mx.example.org mx.example.org 192.0.2.3 mx.receiver.example 1700000000 %   %20');
    expect(await expand('%{c}', values('2001:DB8:0:0::CB01'), 'explanation')).toBe('2001:db8::cb01');
    expect(await expand('%{i}', values('::ffff:192.0.2.3'))).toBe('192.0.2.3');
    expect(await expand('%{v}', values('::ffff:192.0.2.3'))).toBe('in-addr');
  });

  it('URL-escapes upper-case macros (RFC 7208 7.3), unreserved characters kept', async () => {
    expect(await expand('%{L}', values('192.0.2.3', { localPart: '~jack&jill=up-a_b3.c' }))).toBe('~jack%26jill%3Dup-a_b3.c');
    expect(urlEscape("a b/c!*'()é")).toBe('a%20b%2Fc%21%2A%27%28%29%C3%A9');
  });

  it('splits on several delimiters and joins with dots', async () => {
    expect(await expand('%{l2r+-}', values('192.0.2.3', { localPart: 'foo-bar+zip+quux' }))).toBe('bar.foo');
  });

  it('asks for the validated name only when p is used', async () => {
    let asked = 0;
    const v = values('192.0.2.3', { validatedName: async () => (asked++, 'x.example') });
    await expand('%{d}.%{i}', v);
    expect(asked).toBe(0);
    expect(await expand('%{p}', v)).toBe('x.example');
    expect(asked).toBe(1);
  });
});

describe('syntax (RFC 7208 7.1)', () => {
  it.each([
    ['%{a}', /macro letter "a"/],
    ['%{c}.example.com', /outside explanation text/],
    ['%{d0}', /nonzero/],
    ['%{d2x}', /not a macro delimiter/],
    ['%(ir).example.com', /must be followed/],
    ['foo%', /must be followed/],
    ['%{d', /unterminated/],
    ['a b', /not allowed/],
  ])('rejects %j', (s, message) => {
    const r = parseMacroString(s, 'domain');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it('allows spaces and c, r, t in explanation text only', () => {
    expect(parseMacroString('Mail from %{c} refused at %{t} by %{r}', 'explanation').ok).toBe(true);
    expect(parseMacroString('\u00e9', 'explanation').ok).toBe(false);
  });

  it.each([
    ['example.com', true],
    ['example.com.', true],
    ['%{d}', true],
    ['foo.%{d}', true],
    ['%{d}.example.xn--zckzah', true],
    ['foo%-', true],
    ['museum', false],
    ['museum.', false],
    ['abc.123', false],
    ['example.-com', false],
    ['example.com-', false],
    ['', false],
  ])('domain-spec %j valid: %s', (spec, ok) => {
    expect(parseDomainSpec(spec).ok).toBe(ok);
  });
});
