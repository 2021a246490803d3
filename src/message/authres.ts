/**
 * Authentication-Results (RFC 8601 2.2) and ARC-Authentication-Results
 * (RFC 8617 4.1.1), parsed tolerantly:
 *
 *     authres-payload = [CFWS] authserv-id [ CFWS authres-version ] ( no-result / 1*resinfo ) [CFWS] CRLF
 *     resinfo         = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
 *     methodspec      = [CFWS] method [CFWS] "=" [CFWS] result
 *     reasonspec      = "reason" [CFWS] "=" [CFWS] value
 *     propspec        = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
 *
 * Microsoft 365 does not follow it: no authserv-id (`spf=pass (sender IP is
 * 192.0.2.1) smtp.mailfrom=contoso.com; dkim=…`), `action=oreject` with no
 * ptype, `compauth=fail reason=001`, and older EOP fields with the
 * authserv-id written after the first result. Strict parsers reject those
 * fields (mox, authres); this one reads them and lists each deviation in
 * `problems`, so a conforming field has none. Comments are kept per result
 * (Microsoft puts the sender IP in one). Method, result, ptype and property
 * are compared without case (2.2), so they are kept in lower case. Never throws.
 */
import { tokenize, type Token } from './tokens.js';
import type { AuthenticationResults, AuthResResult } from './types.js';

/** Most results kept of one field; real ones carry 3-10. */
export const MAX_AUTH_RESULTS = 200;
/** Most problems listed for one field (the last one says how many more there were). */
export const MAX_AUTH_PROBLEMS = 20;

/** tspecials of RFC 2045 5.1 that may not stand in a token, less `/` and `=` (base64 `header.b=` values carry them unquoted everywhere). */
const NOT_IN_VALUE = '()<>,;:\\"[]?';

function isPvalue(v: string): boolean {
  for (const c of v) {
    const code = c.charCodeAt(0);
    if (code <= 32 || code === 127 || NOT_IN_VALUE.includes(c)) return false;
  }
  return true;
}

const significant = (ts: readonly Token[]): Token[] => ts.filter((t) => t.kind !== 'comment');
const isEq = (t: Token | undefined): boolean => t?.kind === 'special' && t.text === '=';
const isValueToken = (t: Token | undefined): t is Token => t !== undefined && (t.kind === 'word' || t.kind === 'quoted');

/**
 * The value after an `=` at `at` (the index of the token after it): one word or
 * quoted string, plus the `=` and words glued to it (base64 padding), and the
 * index after it. A spaced word followed by `=` is the next property, not this value.
 */
function valueAt(ts: readonly Token[], at: number): { value: string; quoted: boolean; next: number } {
  const t = ts[at];
  if (!isValueToken(t) || (t.spaced && isEq(ts[at + 1]))) return { value: '', quoted: false, next: at };
  let value = t.text;
  let i = at + 1;
  while (i < ts.length) {
    const g = ts[i] as Token;
    if (g.spaced || g.kind === 'comment' || (g.kind === 'special' && g.text !== '=')) break;
    value += g.text;
    i++;
  }
  return { value, quoted: t.kind === 'quoted', next: i };
}

/** Splits tokens at `;`. */
function segments(tokens: readonly Token[]): Token[][] {
  const out: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'special' && t.text === ';') out.push([]);
    else (out[out.length - 1] as Token[]).push(t);
  }
  return out;
}

/** Reads one resinfo segment; null when it is not `method=result …`. */
function parseResinfo(seg: readonly Token[], problems: string[]): AuthResResult | null {
  const s = significant(seg);
  const methodToken = s[0];
  if (methodToken?.kind !== 'word' || !isEq(s[1]) || !isValueToken(s[2])) return null;
  const [method, methodVersion] = methodToken.text.split('/', 2) as [string, string?];
  const result: AuthResResult = {
    method: method.toLowerCase(),
    methodVersion: methodVersion ?? null,
    result: (s[2] as Token).text.toLowerCase(),
    reason: null,
    properties: [],
    extras: [],
    comments: seg.filter((t) => t.kind === 'comment').map((t) => t.text),
  };
  let i = 3;
  while (i < s.length) {
    const t = s[i] as Token;
    if (t.kind !== 'word' || !isEq(s[i + 1])) {
      problems.push(`stray text "${t.text}" in the ${result.method} result`);
      i++;
      continue;
    }
    const v = valueAt(s, i + 2);
    const name = t.text;
    i = v.next;
    if (name.toLowerCase() === 'reason') {
      result.reason = v.value;
      continue;
    }
    const dot = name.indexOf('.');
    if (dot <= 0 || dot === name.length - 1) {
      result.extras.push({ name: name.toLowerCase(), value: v.value });
      problems.push(`"${name}=" has no ptype (RFC 8601 2.2 propspec is ptype.property=value)`);
      continue;
    }
    if (!v.quoted && !isPvalue(v.value)) problems.push(`the value of ${name} is neither a token nor a quoted string`);
    result.properties.push({ ptype: name.slice(0, dot).toLowerCase(), property: name.slice(dot + 1).toLowerCase(), value: v.value });
  }
  return result;
}

function parse(value: string, arc: boolean): AuthenticationResults {
  const problems: string[] = [];
  const segs = segments(tokenize(value, ';='));
  let idx = 0;
  let instance: number | null = null;
  if (arc) {
    const s = significant(segs[0] ?? []);
    const n = s[2]?.text ?? '';
    if (s.length === 3 && s[0]?.text.toLowerCase() === 'i' && isEq(s[1]) && /^[0-9]{1,5}$/.test(n)) {
      instance = Number(n);
      idx = 1;
    } else problems.push('no i= instance tag (RFC 8617 4.1.1)');
  }
  let authservId: string | null = null;
  let version: string | null = null;
  const head = significant(segs[idx] ?? []);
  if (head.length > 0 && !head.some((t) => isEq(t))) {
    authservId = (head[0] as Token).text;
    const v = head[1];
    if (v && /^[0-9]+$/.test(v.text)) version = v.text;
    if (head.length > (version === null ? 1 : 2)) problems.push('more than an authserv-id and a version before the first ";"');
    idx++;
  } else {
    problems.push('no authserv-id (RFC 8601 2.2; Microsoft 365 writes none)');
    if (head.length === 0) idx++;
  }
  let none = false;
  const results: AuthResResult[] = [];
  let total = 0;
  for (const seg of segs.slice(idx)) {
    const s = significant(seg);
    if (s.length === 0) {
      problems.push('a ";" with no result after it');
      continue;
    }
    if (s.length === 1 && s[0]?.kind === 'word' && s[0].text.toLowerCase() === 'none') {
      if (total === 0) none = true;
      else problems.push('"none" after results');
      continue;
    }
    const r = parseResinfo(seg, problems);
    if (r) {
      total++;
      if (results.length < MAX_AUTH_RESULTS) results.push(r);
      continue;
    }
    // Older EOP fields: `spf=… smtp.mailfrom=x; contoso.com; dkim=…` (the authserv-id after a result).
    if (authservId === null && s.length === 1 && s[0]?.kind === 'word') {
      authservId = s[0].text;
      problems.push('the authserv-id comes after a result');
      continue;
    }
    problems.push(`stray text "${s.map((t) => t.text).join(' ')}"`);
  }
  const listed = problems.length > MAX_AUTH_PROBLEMS ? [...problems.slice(0, MAX_AUTH_PROBLEMS), `… and ${problems.length - MAX_AUTH_PROBLEMS} more problems`] : problems;
  return { authservId, version, instance, none, results, resultsTotal: total, problems: listed };
}

/** An Authentication-Results field value (after the colon), parsed tolerantly. */
export function parseAuthenticationResults(value: string): AuthenticationResults {
  return parse(value, false);
}

/** An ARC-Authentication-Results field value: `i=N;` then the same payload (RFC 8617 4.1.1). */
export function parseArcAuthenticationResults(value: string): AuthenticationResults {
  return parse(value, true);
}

/** The first result of a method (`spf`, `dkim`, `dmarc`, `compauth`), or null. */
export function authResult(ar: AuthenticationResults, method: string): AuthResResult | null {
  return ar.results.find((r) => r.method === method) ?? null;
}

/** A property's value (`smtp.mailfrom`, `header.d`, `header.from`), or null. */
export function authProperty(r: AuthResResult, ptype: string, property: string): string | null {
  return r.properties.find((p) => p.ptype === ptype && p.property === property)?.value ?? null;
}

/** An extra's value (`action`), or null. */
export function authExtra(r: AuthResResult, name: string): string | null {
  return r.extras.find((e) => e.name === name)?.value ?? null;
}
