/**
 * The `_mta-sts.<domain>` TXT record (RFC 8461 §3.1):
 *
 *     sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
 *     sts-version     = %s"v=STSv1"
 *     sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *     sts-extension   = sts-ext-name "=" sts-ext-value     ; ignored by senders
 *
 * "If multiple TXT records for _mta-sts are returned by the resolver,
 * records that do not begin with v=STSv1; are discarded. If the number of
 * resulting records is not one, or if the resulting record is syntactically
 * invalid, senders MUST assume the recipient domain does not have an
 * available MTA-STS policy" (§3.1). Strings of one TXT record are joined
 * with nothing between them (the DnsClient does that). A tag given twice
 * keeps its first value: §3.2's rule for duplicated fields, which mox also
 * applies to the record (checkdmarc rejects it instead).
 */
import { beginsWithVersion, isExtValue, splitRecordTags, type RecordTag } from './tags.js';

/** The version tag that opens an MTA-STS TXT record, exactly (§3.1: `%s` is case-sensitive). */
export const MTA_STS_VERSION = 'v=STSv1';

/** A parsed `_mta-sts` TXT record: the policy id and any extension tags (which senders ignore). */
export interface MtaStsRecord {
  /** `id=`: 1 to 32 letters and digits; a new id tells senders to fetch the policy again. */
  id: string;
  /** Tags other than v and id, as written. */
  extensions: RecordTag[];
  /** Tags given more than once (the first value is the one used). */
  duplicates: string[];
}

/** parseMtaStsRecord's result: the record, or why it is not one a sender can use. */
export type MtaStsRecordParse = { ok: true; record: MtaStsRecord } | { ok: false; problem: string };

/** §3.1 sts-id value: 1*32(ALPHA / DIGIT). */
const ID = /^[A-Za-z0-9]{1,32}$/;
/** Loosely "v=STSv…", any case or spacing: a TXT record meant as MTA-STS, whether or not a sender would keep it. */
const LOOKS_LIKE = /^[ \t]*v[ \t]*=[ \t]*stsv/i;

/** Whether a TXT record is one a sender keeps for MTA-STS: it begins with `v=STSv1` and then `;` (§3.1). */
export function isMtaStsRecord(txt: string): boolean {
  return beginsWithVersion(txt, MTA_STS_VERSION);
}

/** Whether a TXT record looks meant as MTA-STS (`v=STSv…` in any case or spacing), kept by senders or not. */
export function looksLikeMtaStsRecord(txt: string): boolean {
  return LOOKS_LIKE.test(txt);
}

/** Parses one `_mta-sts` TXT record strictly (§3.1). Pure; never throws. */
export function parseMtaStsRecord(txt: string): MtaStsRecordParse {
  const split = splitRecordTags(txt, MTA_STS_VERSION);
  if (!split.ok) return { ok: false, problem: split.problem };
  let id: string | null = null;
  const extensions: RecordTag[] = [];
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const tag of split.tags) {
    if (seen.has(tag.name) && !duplicates.includes(tag.name)) duplicates.push(tag.name);
    const first = !seen.has(tag.name);
    seen.add(tag.name);
    if (tag.name === 'id') {
      if (!ID.test(tag.value)) return { ok: false, problem: `the id "${tag.value}" is not 1 to 32 letters and digits` };
      if (first) id = tag.value;
    } else {
      if (!isExtValue(tag.value)) return { ok: false, problem: `the value of "${tag.name}" holds a space, ";", "=" or a character outside printable ASCII` };
      extensions.push(tag);
    }
  }
  if (id === null) return { ok: false, problem: 'it has no id tag' };
  return { ok: true, record: { id, extensions, duplicates } };
}
