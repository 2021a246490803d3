/**
 * The tag list both transport TXT records share: `_mta-sts` (RFC 8461 §3.1)
 * and `_smtp._tls` (RFC 8460 §3) have the same shape,
 *
 *     record      = version 1*(field-delim field) [field-delim]
 *     field-delim = *WSP ";" *WSP
 *     field       = name "=" value
 *     ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *     ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)      ; VCHAR but ";" and "="
 *
 * with the version written exactly (`%s"v=STSv1"`, `%s"v=TLSRPTv1"`: case
 * matters). Two leniencies, both where peers accept the record too: trailing
 * white space after the last field (mox; DNS tools add it), and white space
 * before the first ";" (the ABNF's own `*WSP ";"`, erratum 6285 on the
 * "begin with v=STSv1;" wording). One scan, no regex over the whole record:
 * linear on any input.
 */
import { trimEndChars, WSP } from '../util/trim.js';

/** One `name=value` field of a transport TXT record, as written (the value without its trailing white space). */
export interface RecordTag {
  name: string;
  value: string;
}

/** The fields after the version, or where the record stops following the ABNF (`at`: a 0-based character offset). */
export type TagSplit = { ok: true; tags: RecordTag[] } | { ok: false; problem: string; at: number };

/** RFC 8461 §3.1 sts-ext-name, RFC 8460 §3 tlsrpt-ext-name: at most 32 characters. */
const EXT_NAME_FIRST = /[A-Za-z0-9]/;
const EXT_NAME_REST = /[A-Za-z0-9_.-]/;
const MAX_EXT_NAME = 32;
/** sts-ext-value / tlsrpt-ext-value: one or more of %x21-3A / %x3C / %x3E-7E. */
const EXT_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;

/** Whether a value is an ext-value (RFC 8461 §3.1, RFC 8460 §3): printable ASCII, no space, ";" or "=". */
export function isExtValue(value: string): boolean {
  return EXT_VALUE.test(value);
}

/** Whether a record begins with `version` then (after optional WSP) ";": the records a sender keeps (RFC 8461 §3.1, RFC 8460 §3). */
export function beginsWithVersion(record: string, version: string): boolean {
  if (!record.startsWith(version)) return false;
  let i = version.length;
  while (i < record.length && WSP.includes(record.charAt(i))) i++;
  return record.charAt(i) === ';';
}

/**
 * Splits a record into its fields after `version` (which must open it,
 * exactly). Values run to the next ";" (their trailing WSP dropped); names
 * are checked against ext-name; values are not checked here (each tag has
 * its own rule). Pure; never throws.
 */
export function splitRecordTags(record: string, version: string): TagSplit {
  if (!record.startsWith(version)) return { ok: false, problem: `it does not start with "${version}"`, at: 0 };
  const tags: RecordTag[] = [];
  let i = version.length;
  const n = record.length;
  const skipWsp = (): void => {
    while (i < n && WSP.includes(record.charAt(i))) i++;
  };
  for (;;) {
    skipWsp();
    if (i >= n) break;
    if (record.charAt(i) !== ';') return { ok: false, problem: `expected ";" before "${record.slice(i, i + 20)}"`, at: i };
    i++;
    skipWsp();
    if (i >= n) break; // the optional final delimiter
    const start = i;
    if (!EXT_NAME_FIRST.test(record.charAt(i))) return { ok: false, problem: `expected a tag name at "${record.slice(i, i + 20)}"`, at: i };
    i++;
    while (i < n && i - start < MAX_EXT_NAME && EXT_NAME_REST.test(record.charAt(i))) i++;
    const name = record.slice(start, i);
    if (record.charAt(i) !== '=') return { ok: false, problem: `the tag name "${record.slice(start, i + 1)}" is not a letter or digit followed by up to 31 letters, digits, "_", "-" or ".", then "="`, at: i };
    i++;
    const end = record.indexOf(';', i);
    const raw = record.slice(i, end === -1 ? n : end);
    i = end === -1 ? n : end;
    const value = trimEndChars(raw, WSP);
    if (value === '') return { ok: false, problem: `the tag "${name}" has no value`, at: i };
    tags.push({ name, value });
  }
  return { ok: true, tags };
}
