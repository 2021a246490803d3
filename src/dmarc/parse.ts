import { FWS_CHARS, trimChars } from '../util/trim.js';
import { parseDmarcUriList, type DmarcUri } from './uri.js';

/**
 * The DMARC policy record parser, RFC 9989 4.7 (which obsoletes RFC 7489):
 * pct, rf and ri are removed (read and noted, because older receivers still
 * honour them), np, psd and t are new, p is only RECOMMENDED, unknown tags
 * are ignored. Pure; never throws.
 */
/** A DMARC policy (RFC 9989 4.7 p=, sp=, np=). */
export type DmarcPolicy = 'none' | 'quarantine' | 'reject';
/** DKIM or SPF identifier alignment (adkim=, aspf=): `r` relaxed (the default), `s` strict. */
export type DmarcAlignment = 'r' | 's';

/** The kind of an issue parseDmarcRecord found in a record. */
export type DmarcIssueKind =
  | 'syntax' // a segment that is not tag=value, or a character DMARC does not allow
  | 'duplicate' // a tag given twice: the whole tag-list is invalid (RFC 6376 3.2)
  | 'value' // a known tag with a value outside its grammar
  | 'uri' // a rua/ruf URI that is not usable
  | 'legacy' // pct, rf, ri: removed by RFC 9989
  | 'unknown' // a tag DMARC does not define
  | 'order' // p not right after v (RFC 7489 required it)
  | 'no-policy' // no p tag
  | 'weak-subdomains' // sp or np weaker than p
  | 'fo' // fo listed in a form RFC 9989 does not, or without ruf
  | 'size' // an RFC 7489 !size suffix
  | 'scheme'; // a URI scheme other than mailto

/** One issue of a DMARC record: how serious, of what kind, in which tag, in one sentence. */
export interface DmarcIssue {
  /** error: the record is wrong (DMARC_SYNTAX); warning: valid but worth changing; info: a remark. */
  level: 'error' | 'warning' | 'info';
  kind: DmarcIssueKind;
  tag: string | null;
  message: string;
}

/**
 * A parsed DMARC record: whether receivers take it as DMARC at all, every tag
 * with RFC 9989's defaults filled in (psd=u, adkim=r, aspf=r, fo=0), the
 * report URIs, and every issue found.
 */
export interface DmarcRecord {
  raw: string;
  /** Starts with v=DMARC1 (exact case of DMARC1), as receivers require; anything else they discard. */
  isDmarc: boolean;
  /** Looks meant as DMARC (names v=DMARC1 in any case or place, or has a p= tag) even when receivers discard it. */
  meantAsDmarc: boolean;
  /**
   * A record receivers can take a policy from: v=DMARC1 first, no tag given
   * twice, p/sp/np (when present) valid. An unusable record is treated as absent.
   */
  usable: boolean;
  /** Every tag as written (names lower-cased, values trimmed), first occurrence. */
  tags: Record<string, string>;
  p: DmarcPolicy | null;
  sp: DmarcPolicy | null;
  np: DmarcPolicy | null;
  psd: 'y' | 'n' | 'u';
  /** t=y: test mode, receivers apply one level below the policy. */
  testing: boolean;
  adkim: DmarcAlignment;
  aspf: DmarcAlignment;
  fo: string[];
  rua: DmarcUri[];
  ruf: DmarcUri[];
  /** Legacy pct (0-100) when valid, else null. */
  pct: number | null;
  legacyTags: string[];
  unknownTags: string[];
  issues: DmarcIssue[];
}

const POLICIES: readonly DmarcPolicy[] = ['none', 'quarantine', 'reject'];
const KNOWN = new Set(['v', 'p', 'sp', 'np', 'psd', 't', 'adkim', 'aspf', 'fo', 'rua', 'ruf']);
const LEGACY = new Set(['pct', 'rf', 'ri']);
/** tag-name as DKIM's tag-value syntax has it (RFC 6376 3.2), which DMARC records follow. */
const TAG = /^([A-Za-z][A-Za-z0-9_]*)[ \t]*=[ \t]*([\s\S]*)$/;
/** dmarc-value: printing characters and space, no semicolon. */
const VALUE_CHARS = /^[\x20-\x3a\x3c-\x7e]+$/;
const FO_FORMS = new Set(['0', '1', 'd', 's', 'd:s', 's:d']);

/**
 * Parses one TXT string as a DMARC policy record (RFC 9989 4.7): tags,
 * defaults, report URIs and issues. Pure; never throws: a string that is
 * not DMARC comes back with `isDmarc` false.
 */
export function parseDmarcRecord(input: string): DmarcRecord {
  const raw = typeof input === 'string' ? input : String(input);
  const rec: DmarcRecord = {
    raw, isDmarc: false, meantAsDmarc: false, usable: false, tags: {}, p: null, sp: null, np: null, psd: 'u',
    testing: false, adkim: 'r', aspf: 'r', fo: ['0'], rua: [], ruf: [], pct: null, legacyTags: [], unknownTags: [], issues: [],
  };
  const issue = (level: DmarcIssue['level'], kind: DmarcIssueKind, tag: string | null, message: string): void => {
    rec.issues.push({ level, kind, tag, message });
  };
  const segments = raw.split(';').map((s) => trimChars(s, FWS_CHARS)).filter((s) => s !== '');
  const first = TAG.exec(segments[0] ?? '');
  rec.isDmarc = first !== null && (first[1] as string).toLowerCase() === 'v' && first[2] === 'DMARC1';
  rec.meantAsDmarc = rec.isDmarc || /(^|;)[ \t]*v[ \t]*=[ \t]*dmarc/i.test(raw) || segments.some((s) => /^p[ \t]*=/i.test(s));
  if (!rec.isDmarc) {
    if (rec.meantAsDmarc) {
      const where = segments.findIndex((s) => /^v[ \t]*=[ \t]*dmarc/i.test(s));
      const v = where >= 0 ? TAG.exec(segments[where] as string)?.[2] : undefined;
      issue('error', 'syntax', 'v', where > 0
        ? 'v=DMARC1 is not the first tag, so receivers ignore the record'
        : v !== undefined ? `the version is "${v}", not exactly "DMARC1" (case matters), so receivers ignore the record`
          : 'the record does not start with v=DMARC1, so receivers ignore it');
    }
    return rec;
  }

  const seen = new Map<string, string>();
  let duplicate = false;
  for (const [i, segment] of segments.entries()) {
    if (i === 0) {
      seen.set('v', 'DMARC1');
      rec.tags.v = 'DMARC1';
      continue;
    }
    const m = TAG.exec(segment);
    if (!m) {
      issue('error', 'syntax', null, `"${segment}" is not a tag=value pair; receivers skip it`);
      continue;
    }
    const name = (m[1] as string).toLowerCase();
    const value = trimChars(m[2] as string, FWS_CHARS);
    if (seen.has(name)) {
      duplicate = true;
      issue('error', 'duplicate', name, `${name}= is given twice, which makes the whole record invalid`);
      continue;
    }
    seen.set(name, value);
    if (value === '' || !VALUE_CHARS.test(value)) {
      issue('error', 'syntax', name, value === '' ? `${name}= has no value` : `${name}= holds characters DMARC does not allow`);
      // Kept for the report; the parsed policy stays null.
      rec.tags[name] = value;
      continue;
    }
    rec.tags[name] = value;
    readTag(rec, name, value, issue);
  }
  if (duplicate) rec.usable = false;
  else rec.usable = !rec.issues.some((x) => x.kind === 'value' && (x.tag === 'p' || x.tag === 'sp' || x.tag === 'np'))
    && !rec.issues.some((x) => x.kind === 'syntax' && (x.tag === 'p' || x.tag === 'sp' || x.tag === 'np'));

  const names = [...seen.keys()];
  if (!('p' in rec.tags)) {
    issue('warning', 'no-policy', 'p', rec.rua.some((u) => u.valid)
      ? 'there is no p= tag: receivers act as if p=none (monitoring only)'
      : 'there is no p= tag and no valid rua=, so receivers apply no DMARC at all');
  } else if (names[1] !== 'p') {
    issue('warning', 'order', 'p', 'p= is not right after v=DMARC1: RFC 9989 allows that, but receivers still on RFC 7489 reject the record');
  }
  // Only none is called out: a quarantine below reject is a choice, monitoring-only subdomains are a gap.
  if (rec.p && rec.p !== 'none' && rec.sp === 'none') issue('warning', 'weak-subdomains', 'sp', `sp=none leaves subdomains unprotected under p=${rec.p}`);
  if (rec.p && rec.p !== 'none' && rec.np === 'none') issue('warning', 'weak-subdomains', 'np', `np=none leaves non-existent subdomains unprotected under p=${rec.p}`);
  if ('fo' in rec.tags && rec.ruf.length === 0) issue('info', 'fo', 'fo', 'fo= is ignored without ruf=');
  return rec;
}

type IssueFn = (level: DmarcIssue['level'], kind: DmarcIssueKind, tag: string | null, message: string) => void;

function readTag(rec: DmarcRecord, name: string, value: string, issue: IssueFn): void {
  const lower = value.toLowerCase();
  const bad = (expected: string): void => issue('error', 'value', name, `${name}=${value} is not valid (expected ${expected})`);
  switch (name) {
    case 'p':
    case 'sp':
    case 'np': {
      // Literal values are case-insensitive (RFC 5234 strings); p=n is not a prefix form.
      if ((POLICIES as readonly string[]).includes(lower)) rec[name] = lower as DmarcPolicy;
      else bad('none, quarantine or reject');
      return;
    }
    case 'psd':
      if (lower === 'y' || lower === 'n' || lower === 'u') rec.psd = lower;
      else bad('y, n or u');
      return;
    case 't':
      if (lower === 'y' || lower === 'n') rec.testing = lower === 'y';
      else bad('y or n');
      return;
    case 'adkim':
    case 'aspf':
      if (lower === 'r' || lower === 's') rec[name] = lower;
      else bad('r or s');
      return;
    case 'fo': {
      const parts = lower.split(':').map((s) => s.trim());
      if (parts.some((x) => !['0', '1', 'd', 's'].includes(x))) {
        bad('0, 1, d, s, d:s or s:d');
        return;
      }
      rec.fo = [...new Set(parts)];
      if (!FO_FORMS.has(parts.join(':'))) issue('warning', 'fo', 'fo', `fo=${value} is not one of the forms RFC 9989 lists (0, 1, d, s, d:s, s:d)`);
      return;
    }
    case 'rua':
    case 'ruf': {
      const uris = parseDmarcUriList(value);
      rec[name] = uris;
      for (const u of uris) {
        if (!u.valid) issue('error', 'uri', name, `${name}: ${u.problem ?? 'not a valid URI'}`);
        else if (u.scheme !== 'mailto') issue('warning', 'scheme', name, `${name}: ${u.problem ?? `${u.scheme}: is not mailto:`}`);
        if (u.size !== null) issue('info', 'size', name, `${name}: the !size limit on ${u.uri} is RFC 7489 syntax that RFC 9989 dropped; newer receivers ignore it`);
      }
      return;
    }
    default:
      break;
  }
  if (LEGACY.has(name)) {
    rec.legacyTags.push(name);
    if (name === 'pct') {
      const n = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
      if (n >= 0 && n <= 100) rec.pct = n;
      issue('warning', 'legacy', name, Number.isNaN(n) || n > 100
        ? `pct=${value} is not 0-100; pct was removed by RFC 9989 anyway`
        : 'pct was removed by RFC 9989 (use t=y for testing); receivers still on RFC 7489 read it');
      return;
    }
    issue('warning', 'legacy', name, `${name} was removed by RFC 9989 (reporting moved to RFC 9990/9991); receivers ignore it`);
    return;
  }
  if (!KNOWN.has(name)) {
    rec.unknownTags.push(name);
    issue('warning', 'unknown', name, `${name}= is not a DMARC tag; receivers ignore it`);
  }
}

/** A single verdict for conformance tables: ignored (not DMARC), error, warning or valid. */
export function dmarcVerdict(rec: DmarcRecord): 'ignored' | 'error' | 'warning' | 'valid' {
  if (!rec.isDmarc) return 'ignored';
  if (rec.issues.some((i) => i.level === 'error')) return 'error';
  if (rec.issues.some((i) => i.level === 'warning')) return 'warning';
  return 'valid';
}

/** At least one syntactically valid reporting URI in rua= (RFC 9989 4.10.1: then a record without a valid p acts as p=none). */
export function hasValidRua(rec: DmarcRecord): boolean {
  return rec.rua.some((u) => u.valid);
}
