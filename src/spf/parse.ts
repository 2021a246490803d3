/**
 * SPF record parsing (RFC 7208 sections 4.5, 4.6, 5, 6 and 12): record text to
 * terms. Pure and total: it never throws; every syntax error is returned with
 * the offset of the term where it starts. A record with any error is a
 * permerror (RFC 7208 4.6: errors anywhere in the record count, even in terms
 * evaluation would never reach).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { deepFreeze } from '../util/freeze.js';
import { parseDomainSpec, parseMacroString, visible, type MacroToken } from './macro.js';

/** An SPF qualifier (RFC 7208 4.6.2): `+` pass (the default), `-` fail, `~` softfail, `?` neutral. */
export type Qualifier = '+' | '-' | '~' | '?';
/** The eight SPF mechanisms (RFC 7208 5). */
export type MechanismName = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists';

/** Mechanisms and modifiers that cost one of the 10 DNS lookups (RFC 7208 4.6.4). */
export const LOOKUP_MECHANISMS: ReadonlySet<MechanismName> = new Set(['include', 'a', 'mx', 'ptr', 'exists']);

/** One mechanism of a record as parsed (RFC 7208 5), with its domain-spec and CIDR lengths. */
export interface SpfMechanism {
  type: 'mechanism';
  name: MechanismName;
  qualifier: Qualifier;
  /** The term as written. */
  text: string;
  /** Offset of the term in the record. */
  position: number;
  /** The domain-spec as written, or null when the mechanism has none. */
  domainSpec: string | null;
  /** Its macro tokens (a parsed domain-spec). */
  domainTokens: MacroToken[] | null;
  /** ip4/ip6: the network as written. */
  network: string | null;
  /** ip4 prefix (ip4, a, mx), or null for the default /32. */
  cidr4: number | null;
  /** ip6 prefix (ip6, a, mx), or null for the default /128. */
  cidr6: number | null;
}

/** One modifier of a record (RFC 7208 6): `redirect=`, `exp=` or an unknown one. */
export interface SpfModifier {
  type: 'modifier';
  /** Lower case. */
  name: string;
  value: string;
  text: string;
  position: number;
  /** The parsed value (domain-spec for redirect/exp, macro-string otherwise). */
  tokens: MacroToken[];
}

/** A term of an SPF record: a mechanism or a modifier (RFC 7208 4.6.1). */
export type SpfTerm = SpfMechanism | SpfModifier;

/** One syntax error in a record, where it starts and why; any one makes the record a permerror (RFC 7208 4.6). */
export interface SpfSyntaxError {
  /** Offset in the record where the faulty term (or the fault) starts. */
  position: number;
  /** The term as written. */
  term: string;
  message: string;
}

/**
 * A parsed SPF record: its terms in order, split into mechanisms and the
 * modifiers evaluation uses, and every syntax error (none when it is valid).
 */
export interface SpfRecord {
  text: string;
  terms: SpfTerm[];
  mechanisms: SpfMechanism[];
  redirect: SpfModifier | null;
  exp: SpfModifier | null;
  /** Unknown modifiers (ignored by evaluation, RFC 7208 6). */
  unknownModifiers: SpfModifier[];
  /** Empty when the record is valid. */
  errors: SpfSyntaxError[];
}

/** RFC 7208 4.5: a record starts with "v=spf1" followed by a space or its end (case-insensitive). */
export function isSpfRecord(txt: string): boolean {
  return /^v=spf1(?: |$)/i.test(txt);
}

/** The hosts the SPF records among `txt` include directly (`include:` mechanisms, any qualifier), as written. */
export function spfIncludeHosts(txt: readonly string[]): string[] {
  return txt.filter(isSpfRecord).flatMap((r) => parseSpfShared(r).mechanisms.flatMap((m) => (m.name === 'include' && m.domainSpec ? [m.domainSpec] : [])));
}

/** A leftover Sender ID record (RFC 4406): "spf2.0/…". */
export function isSenderIdRecord(txt: string): boolean {
  return /^spf2\.0\//i.test(txt);
}

const QUALIFIERS = new Set<string>(['+', '-', '~', '?']);
const MECHANISMS = new Set<string>(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);
const MODIFIER = /^([A-Za-z][A-Za-z0-9\-_.]*)=(.*)$/s;
/** ip4-cidr-length / ip6-cidr-length: no leading zeros (RFC 7208 5.6, 12). */
const CIDR4 = /^(?:0|[1-9]\d?)$/;
const CIDR6 = /^(?:0|[1-9]\d{0,2})$/;

/** Parses a record into terms (RFC 7208 4.6, 5, 6); text without "v=spf1" is one error. Pure; never throws: errors are in `errors`. */
export function parseSpf(text: string): SpfRecord {
  const record: SpfRecord = { text, terms: [], mechanisms: [], redirect: null, exp: null, unknownModifiers: [], errors: [] };
  if (!isSpfRecord(text)) {
    record.errors.push({ position: 0, term: text.slice(0, 16), message: 'the record does not start with "v=spf1" (RFC 7208 4.5)' });
    return record;
  }
  // Terms are separated by one or more spaces only (RFC 7208 4.6.1); any
  // other character, tabs and control characters included, belongs to a term.
  const re = / +|[^ ]+/g;
  let m: RegExpExecArray | null;
  let first = true;
  while ((m = re.exec(text)) !== null) {
    const term = m[0];
    if (first) {
      first = false;
      continue; // "v=spf1" itself
    }
    if (term.startsWith(' ')) continue;
    parseTerm(term, m.index, record);
  }
  return record;
}

function parseTerm(term: string, position: number, record: SpfRecord): void {
  const fail = (message: string, at = position): void => void record.errors.push({ position: at, term, message });
  const bad = /[^\x21-\x7e]/.exec(term);
  if (bad) {
    fail(`character ${charName(bad[0])} in "${visible(term, 60)}" is not allowed: terms are visible ASCII separated by spaces (RFC 7208 3.1, 4.6.1)`, position + bad.index);
    return;
  }
  const mod = MODIFIER.exec(term);
  if (mod) {
    parseModifier(term, position, (mod[1] ?? '').toLowerCase(), mod[2] ?? '', record, fail);
    return;
  }
  let rest = term;
  let qualifier: Qualifier = '+';
  if (QUALIFIERS.has(rest[0] ?? '')) {
    qualifier = rest[0] as Qualifier;
    rest = rest.slice(1);
  }
  const nameMatch = /^[A-Za-z0-9]*/.exec(rest);
  const rawName = nameMatch?.[0] ?? '';
  const name = rawName.toLowerCase();
  const args = rest.slice(rawName.length);
  if (!MECHANISMS.has(name)) {
    const hint = name === 'redirect' || name === 'exp' ? `; ${name} is a modifier, written ${name}=` : '';
    fail(rawName === '' ? `"${visible(term, 60)}" is not a mechanism or modifier (RFC 7208 4.6.1)` : `unknown mechanism "${visible(rawName, 40)}"${hint} (RFC 7208 5)`);
    return;
  }
  const mech: SpfMechanism = {
    type: 'mechanism', name: name as MechanismName, qualifier, text: term, position,
    domainSpec: null, domainTokens: null, network: null, cidr4: null, cidr6: null,
  };
  const ok = parseArgs(mech, args, fail);
  if (!ok) return;
  record.terms.push(mech);
  record.mechanisms.push(mech);
}

/** Reads a mechanism's arguments; false (after reporting) when they are invalid. */
function parseArgs(mech: SpfMechanism, args: string, fail: (message: string, at?: number) => void): boolean {
  const argAt = mech.position + mech.text.length - args.length;
  switch (mech.name) {
    case 'all':
      if (args !== '') return fail(`"all" takes no argument, found "${visible(args, 40)}" (RFC 7208 5.1)`, argAt), false;
      return true;
    case 'include':
    case 'exists': {
      if (!args.startsWith(':')) return fail(`"${mech.name}" needs ":" and a domain (RFC 7208 ${mech.name === 'include' ? '5.2' : '5.7'})`, argAt), false;
      return domainArg(mech, args.slice(1), argAt + 1, fail);
    }
    case 'ptr': {
      if (args === '') return true;
      if (!args.startsWith(':')) return fail(`"ptr" takes only ":" and a domain, found "${visible(args, 40)}" (RFC 7208 5.5)`, argAt), false;
      return domainArg(mech, args.slice(1), argAt + 1, fail);
    }
    case 'a':
    case 'mx': {
      const section = mech.name === 'a' ? '5.3' : '5.4';
      let spec = '';
      let cidr = args;
      if (args.startsWith(':')) {
        // The dual-cidr-length can only be at the end; a domain may itself hold "/" (RFC 7208 7.1).
        const split = /^(.*?)((?:\/[0-9]+)?(?:\/\/[0-9]+)?)$/s.exec(args.slice(1));
        spec = split?.[1] ?? '';
        cidr = split?.[2] ?? '';
      }
      if (!parseDualCidr(mech, cidr)) return fail(`"${visible(cidr || args, 40)}" is not a valid prefix length: /0-/32 for IPv4, //0-//128 for IPv6, no leading zeros (RFC 7208 ${section})`, argAt), false;
      if (args.startsWith(':')) return domainArg(mech, spec, argAt + 1, fail);
      return true;
    }
    case 'ip4':
    case 'ip6': {
      const v4 = mech.name === 'ip4';
      if (!args.startsWith(':')) return fail(`"${mech.name}" needs ":" and a network (RFC 7208 5.6)`, argAt), false;
      const body = args.slice(1);
      const slash = body.indexOf('/');
      const network = slash < 0 ? body : body.slice(0, slash);
      const prefix = slash < 0 ? null : body.slice(slash + 1);
      const validNet = v4 ? isIPv4(network) : isIPv6(network) && !network.includes('%');
      if (!validNet) return fail(`"${visible(network, 60)}" is not an ${v4 ? 'IPv4' : 'IPv6'} address (RFC 7208 5.6)`, argAt + 1), false;
      if (prefix !== null) {
        const n = Number(prefix);
        if (!(v4 ? CIDR4 : CIDR6).test(prefix) || n > (v4 ? 32 : 128)) {
          return fail(`"/${visible(prefix, 20)}" is not a valid ${v4 ? 'IPv4 prefix (0-32' : 'IPv6 prefix (0-128'}, no leading zeros) (RFC 7208 5.6)`, argAt + 1 + slash), false;
        }
        if (v4) mech.cidr4 = n;
        else mech.cidr6 = n;
      }
      mech.network = network;
      return true;
    }
  }
}

function domainArg(mech: SpfMechanism, spec: string, at: number, fail: (message: string, at?: number) => void): boolean {
  const parsed = parseDomainSpec(spec);
  if (!parsed.ok) return fail(parsed.message, at + parsed.offset), false;
  mech.domainSpec = spec;
  mech.domainTokens = parsed.tokens;
  return true;
}

function parseDualCidr(mech: SpfMechanism, cidr: string): boolean {
  if (cidr === '') return true;
  const m = /^(?:\/([0-9]+))?(?:\/\/([0-9]+))?$/.exec(cidr);
  if (!m) return false;
  const [, c4, c6] = m;
  if (c4 !== undefined) {
    if (!CIDR4.test(c4) || Number(c4) > 32) return false;
    mech.cidr4 = Number(c4);
  }
  if (c6 !== undefined) {
    if (!CIDR6.test(c6) || Number(c6) > 128) return false;
    mech.cidr6 = Number(c6);
  }
  return true;
}

function parseModifier(term: string, position: number, name: string, value: string, record: SpfRecord, fail: (message: string, at?: number) => void): void {
  const valueAt = position + term.length - value.length;
  if (name === 'redirect' || name === 'exp') {
    if ((name === 'redirect' ? record.redirect : record.exp) !== null) {
      fail(`"${name}=" appears more than once (RFC 7208 6)`);
      return;
    }
    const parsed = parseDomainSpec(value);
    if (!parsed.ok) {
      fail(`${name}=: ${parsed.message}`, valueAt + parsed.offset);
      return;
    }
    const mod: SpfModifier = { type: 'modifier', name, value, text: term, position, tokens: parsed.tokens };
    if (name === 'redirect') record.redirect = mod;
    else record.exp = mod;
    record.terms.push(mod);
    return;
  }
  const parsed = parseMacroString(value, 'domain');
  if (!parsed.ok) {
    fail(`modifier "${visible(name, 40)}": ${parsed.message}`, valueAt + parsed.offset);
    return;
  }
  const mod: SpfModifier = { type: 'modifier', name, value, text: term, position, tokens: parsed.tokens };
  record.unknownModifiers.push(mod);
  record.terms.push(mod);
}

function charName(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The term's DNS cost: 1 for include, a, mx, ptr, exists and (when it applies) redirect. */
export function isLookupTerm(term: SpfTerm): boolean {
  return term.type === 'mechanism' ? LOOKUP_MECHANISMS.has(term.name) : term.name === 'redirect';
}

/** RFC 7208 6.1: redirect is ignored when the record has an "all" mechanism anywhere. */
export function effectiveRedirect(record: SpfRecord): SpfModifier | null {
  return record.redirect && !record.mechanisms.some((m) => m.name === 'all') ? record.redirect : null;
}

/** The record's own "all" mechanism (the first one; later ones are never reached), or null. */
export function allMechanism(record: SpfRecord): SpfMechanism | null {
  return record.mechanisms.find((m) => m.name === 'all') ?? null;
}

/** Parses kept for reuse: the same include records (Microsoft's above all) recur in every domain of a batch. */
const PARSE_CACHE_SIZE = 2048;
const parseCache = new Map<string, SpfRecord>();

/**
 * parseSpf with a bounded memo, for the evaluator and the analysis, which
 * only read the result: in a batch, spf.protection.outlook.com is parsed
 * once instead of four times per domain (measured: parsing was a quarter
 * of checkSpf's CPU time).
 */
export function parseSpfShared(text: string): Readonly<SpfRecord> {
  let r = parseCache.get(text);
  if (!r) {
    if (parseCache.size >= PARSE_CACHE_SIZE) parseCache.clear();
    // Shared by every caller of the run: frozen, so that no caller can change what the next one reads.
    r = deepFreeze(parseSpf(text));
    parseCache.set(text, r);
  }
  return r;
}

