/**
 * RFC 7208 section 7 macros: parsing a macro-string into tokens (pure) and
 * expanding tokens for one check_host() call. The `p` macro needs DNS, so its
 * value is asked for lazily through the context, and only when a token uses it.
 */

/** The letters of RFC 7208 7.2; c, r and t only in explanation text. */
export type MacroLetter = 's' | 'l' | 'o' | 'd' | 'i' | 'p' | 'h' | 'c' | 'r' | 't' | 'v';

const DOMAIN_LETTERS = new Set('slodiphv');
const EXPLANATION_LETTERS = new Set('slodiphvcrt');
const DELIMITERS = new Set('.-+,/_=');
/** RFC 7208 7.3: "implementations MUST support at least a value of 127"; more parts than a name can hold change nothing. */
const MAX_DIGITS = 128;

export type MacroToken =
  | { kind: 'literal'; text: string }
  /** `%%`, `%_` or `%-`: a macro-expand for the grammar (it may end a domain-spec), a fixed text for expansion. */
  | { kind: 'escape'; text: string }
  | {
      kind: 'macro';
      letter: MacroLetter;
      /** Upper-case letter: the value is URL-escaped (RFC 7208 7.3). */
      upper: boolean;
      /** Rightmost parts to keep, or null for all. */
      digits: number | null;
      reverse: boolean;
      /** Characters to split on; '.' when none was given. */
      delimiters: string;
    };

export type MacroContext = 'domain' | 'explanation';

export type MacroParse =
  | { ok: true; tokens: MacroToken[] }
  | { ok: false; offset: number; message: string };

/**
 * Tokenizes a macro-string (domain-spec text, an unknown modifier's value) or
 * an explain-string (`context: 'explanation'`, which also allows spaces and
 * the c, r and t letters). Pure; reports the first error with its offset.
 */
export function parseMacroString(s: string, context: MacroContext = 'domain'): MacroParse {
  const letters = context === 'explanation' ? EXPLANATION_LETTERS : DOMAIN_LETTERS;
  const tokens: MacroToken[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') tokens.push({ kind: 'literal', text: literal });
    literal = '';
  };
  let i = 0;
  while (i < s.length) {
    const ch = s[i] as string;
    const code = ch.charCodeAt(0);
    if (ch !== '%') {
      const visible = code >= 0x21 && code <= 0x7e;
      if (!visible && !(context === 'explanation' && code === 0x20)) {
        return { ok: false, offset: i, message: `character ${describeChar(ch)} is not allowed (RFC 7208 7.1: visible ASCII only)` };
      }
      literal += ch;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '%' || next === '_' || next === '-') {
      flush();
      tokens.push({ kind: 'escape', text: next === '%' ? '%' : next === '_' ? ' ' : '%20' });
      i += 2;
      continue;
    }
    if (next !== '{') {
      return { ok: false, offset: i, message: `"%" must be followed by "{", "%", "_" or "-" (RFC 7208 7.1)` };
    }
    const close = s.indexOf('}', i + 2);
    if (close < 0) return { ok: false, offset: i, message: 'unterminated macro: no "}" (RFC 7208 7.1)' };
    const body = s.slice(i + 2, close);
    const m = /^([a-zA-Z])(\d*)(r?)(.*)$/i.exec(body);
    const letterRaw = m?.[1];
    if (!m || letterRaw === undefined) return { ok: false, offset: i, message: `empty macro "%{}" (RFC 7208 7.1)` };
    const letter = letterRaw.toLowerCase();
    if (!letters.has(letter)) {
      const where = EXPLANATION_LETTERS.has(letter) ? ' outside explanation text' : '';
      return { ok: false, offset: i, message: `macro letter "${letterRaw}" is not allowed${where} (RFC 7208 7.2)` };
    }
    const digitText = m[2] ?? '';
    const reverse = (m[3] ?? '') !== '';
    const delims = m[4] ?? '';
    for (const d of delims) {
      if (!DELIMITERS.has(d)) return { ok: false, offset: i, message: `"${describeChar(d)}" is not a macro delimiter (RFC 7208 7.1)` };
    }
    let digits: number | null = null;
    if (digitText !== '') {
      const n = Number(digitText);
      if (n === 0) return { ok: false, offset: i, message: 'a macro digit transformer must be nonzero (RFC 7208 7.3)' };
      digits = Math.min(n, MAX_DIGITS);
    }
    flush();
    tokens.push({ kind: 'macro', letter: letter as MacroLetter, upper: letterRaw !== letter, digits, reverse, delimiters: delims === '' ? '.' : delims });
    i = close + 1;
  }
  flush();
  return { ok: true, tokens };
}

/** RFC 7208 7.1 toplabel: not all-numeric, no leading or trailing dash. */
const TOPLABEL = /^(?:[a-z0-9]*[a-z][a-z0-9]*|[a-z0-9]+-[a-z0-9-]*[a-z0-9])$/i;

/**
 * Checks a domain-spec (RFC 7208 7.1): a valid macro-string that ends in a
 * macro-expand or in "." toplabel with an optional trailing dot. Returns the
 * tokens, or an error with an offset into `s`.
 */
export function parseDomainSpec(s: string): MacroParse {
  if (s === '') return { ok: false, offset: 0, message: 'empty domain-spec (RFC 7208 7.1)' };
  const parsed = parseMacroString(s, 'domain');
  if (!parsed.ok) return parsed;
  const last = parsed.tokens[parsed.tokens.length - 1];
  if (last && last.kind !== 'literal') return parsed;
  const tail = last?.text ?? '';
  const m = /\.([^.]+)\.?$/.exec(tail);
  if (!m || !TOPLABEL.test(m[1] ?? '')) {
    return { ok: false, offset: 0, message: `"${visible(s)}" does not end in a valid top label such as ".com" (RFC 7208 7.1)` };
  }
  return parsed;
}

/** A client address as the macros need it. */
export interface MacroIp {
  /** 4 or 6 (an IPv4-mapped IPv6 address is 4, RFC 7208 5). */
  family: 4 | 6;
  /** Dotted quad, or 32 dot-separated lower-case nibbles (the `i` macro). */
  dotted: string;
  /** Dotted quad, or the RFC 5952 form (the `c` macro). */
  readable: string;
}

export interface MacroValues {
  sender: string;
  localPart: string;
  senderDomain: string;
  domain: string;
  ip: MacroIp;
  helo: string;
  /** The checking host's name (`r`); "unknown" when not known. */
  receiver: string;
  /** Seconds since the epoch (`t`). */
  timestamp: number;
  /** The validated domain name of the client (`p`), asked for only when used. */
  validatedName: () => Promise<string>;
}

/** Expands tokens for one evaluation. */
export async function expandMacros(tokens: readonly MacroToken[], values: MacroValues): Promise<string> {
  let out = '';
  for (const t of tokens) {
    if (t.kind !== 'macro') {
      out += t.text;
      continue;
    }
    const raw = await letterValue(t.letter, values);
    let parts = raw.split(splitter(t.delimiters));
    if (t.reverse) parts.reverse();
    if (t.digits !== null && t.digits < parts.length) parts = parts.slice(parts.length - t.digits);
    const value = parts.join('.');
    out += t.upper ? urlEscape(value) : value;
  }
  return out;
}

/** True when expanding the tokens would need DNS (the `p` macro). */
export function needsValidatedName(tokens: readonly MacroToken[]): boolean {
  return tokens.some((t) => t.kind === 'macro' && t.letter === 'p');
}

/** True when the tokens hold any macro at all (the result depends on the message). */
export function hasMacros(tokens: readonly MacroToken[]): boolean {
  return tokens.some((t) => t.kind === 'macro');
}

async function letterValue(letter: MacroLetter, v: MacroValues): Promise<string> {
  switch (letter) {
    case 's': return v.sender;
    case 'l': return v.localPart;
    case 'o': return v.senderDomain;
    case 'd': return v.domain;
    case 'i': return v.ip.dotted;
    case 'p': return v.validatedName();
    case 'v': return v.ip.family === 4 ? 'in-addr' : 'ip6';
    case 'h': return v.helo;
    case 'c': return v.ip.readable;
    case 'r': return v.receiver;
    case 't': return String(v.timestamp);
  }
}

const splitterCache = new Map<string, RegExp>();
function splitter(delimiters: string): RegExp {
  let re = splitterCache.get(delimiters);
  if (!re) {
    re = new RegExp(`[${[...delimiters].map((c) => `\\${c}`).join('')}]`);
    splitterCache.set(delimiters, re);
  }
  return re;
}

/** RFC 3986 percent-encoding of everything outside the unreserved set (RFC 7208 7.3). */
export function urlEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code >= 0x21 && code <= 0x7e) return `"${ch}"`;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** DNS data shown inside a message: printable ASCII kept, the rest escaped, long text cut. */
export function visible(s: string, max = 120): string {
  const escaped = s.replace(/[^\x20-\x7e]/g, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped;
}
