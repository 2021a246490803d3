/**
 * The MTA-STS policy file (RFC 8461 §3.2) and MX matching (§4.1).
 *
 *     sts-policy-record      = sts-policy-field *WSP
 *                              *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
 *     sts-policy-term        = LF / CRLF
 *     sts-policy-field-delim = ":" *WSP
 *     version: STSv1          (required)
 *     mode: enforce | testing | none   (required)
 *     max_age: 1*10DIGIT      (required; at most 31557600, about a year)
 *     mx: ["*."] Domain       (one or more; required unless mode is none)
 *     sts-policy-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *     sts-policy-ext-value   = sts-policy-vchar [*(%x20 / sts-policy-vchar) sts-policy-vchar]
 *
 * Field names and values are case-sensitive (`%s`). Unknown fields are
 * ignored; "if any field other than mx is given more than once, all but
 * the first SHALL be ignored" (§3.2); "if any required field is missing,
 * the policy is invalid". Lines end in LF or CRLF (the ABNF's
 * sts-policy-term, erratum 6253 on the prose's "CRLF-separated"), the last
 * one optionally. The ABNF allows no empty line, no white space before a
 * field name or the colon, and no other field order rule: `version` may come
 * anywhere (mox and checkdmarc agree; the RFC's examples put it first).
 * Where this differs from checkdmarc (which rejects unknown keys and
 * duplicates, and splits at every ":"): README "MTA-STS and TLS-RPT".
 *
 * Parsing is one pass over the lines with no backtracking regex: linear on
 * any body (the body itself is capped at 64 KiB before it gets here, §3.3).
 */
import { canonicalName, MAX_LABEL_LENGTH, MAX_NAME_LENGTH } from '../domain/normalize.js';
import { classifyMxHost } from '../m365/mx.js';
import { trimEndChars, trimStartChars, WSP } from '../util/trim.js';
import type { RecordTag } from './tags.js';

/** What a sender does with the policy (§5): refuse MX hosts it does not cover (`enforce`), report only (`testing`), or nothing (`none`). */
export type MtaStsMode = 'enforce' | 'testing' | 'none';

/** A parsed policy file. */
export interface MtaStsPolicy {
  version: 'STSv1';
  mode: MtaStsMode;
  /** Seconds a sender may cache the policy (0 to 31,557,600). */
  maxAge: number;
  /** The `mx` patterns, in order, as written. */
  mx: string[];
  /** Fields the RFC does not define (ignored by senders), as written. */
  extensions: RecordTag[];
  /** Fields other than mx given more than once: the first is the one in force. */
  duplicates: string[];
}

/** parseMtaStsPolicy's result: the policy, or the first thing that makes it invalid (with its 1-based line, when one line is to blame). */
export type MtaStsPolicyParse =
  | { ok: true; policy: MtaStsPolicy }
  | { ok: false; problem: string; line: number | null; text: string | null };

/** §3.2: "This value MUST be less than or equal to 31557600 (approximately 1 year)." */
export const MAX_MTA_STS_MAX_AGE = 31_557_600;
const MODES: readonly MtaStsMode[] = ['enforce', 'testing', 'none'];
const FIELD_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
/** sts-policy-max-age-value = 1*10(DIGIT). */
const MAX_AGE = /^[0-9]{1,10}$/;
/** RFC 5321 §4.1.2 sub-domain: Let-dig [Ldh-str] (letters, digits, inner hyphens). */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
/** An ext-value character: VCHAR or UTF-8 beyond ASCII (sts-policy-vchar), or a space inside. */
const EXT_VALUE_CHARS = /^[^\x00-\x1f\x7f]*$/;

/**
 * Whether `pattern` is a valid `mx` value (§3.2): `["*."] Domain`, a Domain
 * being LDH labels (RFC 5321 §4.1.2) of at most 63 characters, at most 253
 * in all (RFC 1035 §2.3.4). A wildcard is the whole left-most label only;
 * no trailing dot; A-labels only (no Unicode). Pure.
 */
export function isMxPattern(pattern: string): boolean {
  const name = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
  if (name === '' || name.length > MAX_NAME_LENGTH) return false;
  return name.split('.').every((l) => l.length <= MAX_LABEL_LENGTH && LABEL.test(l));
}

/**
 * Whether an MX host is covered by one `mx` pattern (§4.1): compared without
 * case and without a trailing dot; `*.example.com` covers exactly one more
 * label (`mail.example.com`), not `example.com` nor `a.b.example.com`. Pure.
 */
export function mxPatternMatches(pattern: string, host: string): boolean {
  const h = canonicalName(host);
  const p = pattern.toLowerCase();
  if (!p.startsWith('*.')) return h === p;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

/** The first of `patterns` that covers `host` (§4.1), or null. Pure. */
export function matchMxPatterns(patterns: readonly string[], host: string): string | null {
  return patterns.find((p) => mxPatternMatches(p, host)) ?? null;
}

/**
 * The `mx` pattern to publish for an MX host. A Microsoft 365 host gets the
 * wildcard of its parent, which covers every tenant's token there:
 * `*.mail.protection.outlook.com` (Microsoft Learn, "Enhancing mail flow with
 * MTA-STS"; `*.mail.protection.office365.us`, `*.mail.protection.partner.outlook.cn`
 * in the sovereign clouds), and `*.<c>-v1.mx.microsoft` for the DNSSEC form,
 * since a wildcard covers one label only and `*.mx.microsoft` does not cover
 * `token.o-v1.mx.microsoft` (§4.1; reference R2.5). Any other host: itself. Pure.
 */
export function mxPatternFor(host: string): string {
  const h = canonicalName(host);
  const kind = classifyMxHost(h, 0).kind;
  if (kind === 'm365' || kind === 'm365-dnssec') return `*.${h.slice(h.indexOf('.') + 1)}`;
  return h;
}

/** Parses a policy file (§3.2, see the module comment). Pure; never throws. */
export function parseMtaStsPolicy(body: string): MtaStsPolicyParse {
  const lines = body.split('\n');
  // One final line end is allowed ([sts-policy-term]): it leaves one empty string behind.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const fail = (problem: string, line: number | null = null, text: string | null = null): MtaStsPolicyParse => ({ ok: false, problem, line, text });
  let version: 'STSv1' | null = null;
  let mode: MtaStsMode | null = null;
  let maxAge: number | null = null;
  const mx: string[] = [];
  const extensions: RecordTag[] = [];
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const n = i + 1;
    if (text === '') return fail(body === '' ? 'the policy is empty' : `line ${n} is empty (the format allows no blank line)`, body === '' ? null : n, body === '' ? null : text);
    const colon = text.indexOf(':');
    if (colon < 0) return fail(`line ${n} is not "key: value"`, n, text);
    const name = text.slice(0, colon);
    if (!FIELD_NAME.test(name)) return fail(`line ${n}: "${name}" is not a field name (a letter or digit, then up to 31 letters, digits, "_", "-" or "."; no space before the ":")`, n, text);
    const value = trimEndChars(trimStartChars(text.slice(colon + 1), WSP), WSP);
    if (seen.has(name) && name !== 'mx' && !duplicates.includes(name)) duplicates.push(name);
    const first = !seen.has(name);
    seen.add(name);
    switch (name) {
      case 'version':
        if (value !== 'STSv1') return fail(`line ${n}: the version "${value}" is not STSv1`, n, text);
        if (first) version = 'STSv1';
        break;
      case 'mode':
        if (!(MODES as readonly string[]).includes(value)) return fail(`line ${n}: the mode "${value}" is not enforce, testing or none`, n, text);
        if (first) mode = value as MtaStsMode;
        break;
      case 'max_age': {
        if (!MAX_AGE.test(value)) return fail(`line ${n}: max_age "${value}" is not 1 to 10 digits`, n, text);
        const seconds = Number(value);
        if (seconds > MAX_MTA_STS_MAX_AGE) return fail(`line ${n}: max_age ${seconds} is over ${MAX_MTA_STS_MAX_AGE} seconds (about a year)`, n, text);
        if (first) maxAge = seconds;
        break;
      }
      case 'mx':
        if (!isMxPattern(value)) return fail(`line ${n}: "${value}" is not a host name or a "*." wildcard of one (A-labels, no trailing dot)`, n, text);
        mx.push(value);
        break;
      default:
        if (value === '' || !EXT_VALUE_CHARS.test(value)) return fail(`line ${n}: the value of "${name}" is empty or holds control characters`, n, text);
        extensions.push({ name, value });
    }
  }
  const hint = (key: string): string => {
    const near = extensions.find((e) => e.name.toLowerCase() === key);
    return near ? ` (field names are case-sensitive: "${near.name}" is not "${key}")` : '';
  };
  if (version === null) return fail(`there is no version field${hint('version')}`);
  if (mode === null) return fail(`there is no mode field${hint('mode')}`);
  if (maxAge === null) return fail(`there is no max_age field${hint('max_age')}`);
  if (mode !== 'none' && mx.length === 0) return fail(`mode ${mode} needs at least one mx field${hint('mx')}`);
  return { ok: true, policy: { version, mode, maxAge, mx, extensions, duplicates } };
}
