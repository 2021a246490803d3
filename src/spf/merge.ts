/**
 * One SPF record to publish, merged from what a domain publishes now and the
 * include a mail provider needs. Every term is read with the project's SPF
 * parser (parse.ts), so the proposal is judged by the same rules as the
 * check: what the parser rejects is left out, and the record is rebuilt from
 * the terms it accepts. Pure; never throws.
 */
import { visible } from './macro.js';
import { isSpfRecord, parseSpf, type SpfMechanism } from './parse.js';

/** The record mergeSpfRecords proposes, and what it changed on the way, each change with a note. */
export interface SpfMerge {
  /** The record to publish. */
  value: string;
  /** False when the one live record is already this record (spacing apart). */
  changed: boolean;
  /** Terms the parser rejected, as read (after line breaks became spaces): left out of the value. */
  dropped: string[];
  /** A live record held line breaks or tabs (a permerror today), written as spaces. */
  spacedBreaks: boolean;
  /** Terms left out because the caller asked (options.leaveOut). */
  leftOut: string[];
  /** What was changed and why, one sentence each. */
  notes: string[];
  /** The live "all" that became "~all": its qualifier, or `missing` when there was none; null when none was replaced. */
  replacedAll: '+' | '?' | 'missing' | null;
}

/** How mergeSpfRecords places the include, and which live terms it leaves out. */
export interface SpfMergeOptions {
  /** Terms (as written) to leave out, each with the reason a note gives. */
  leaveOut?: ReadonlyMap<string, string>;
  /** Put the include first, so that no earlier term decides its senders' result. */
  includeFirst?: boolean;
  /** Add the include when the record does not name it (default true); false when it is reached through another include or a redirect. */
  addInclude?: boolean;
}

/** Line breaks and tabs: RFC 7208 4.6.1 separates terms by spaces only, so receivers read them as part of a term. */
const NON_SPACE_BREAKS = /[\t\n\v\f\r]/g;
const QUALIFIER_RESULT = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' } as const;

/**
 * Merges live SPF records (normally one; several are a permerror, RFC 7208
 * 4.5) and `include:<includeHost>` into one record:
 * - terms the parser rejects are dropped, each named in a note;
 * - line breaks and tabs inside the record become spaces;
 * - mechanisms after the first "all" (never evaluated, RFC 7208 5.1), a
 *   redirect beside an "all" (ignored, RFC 7208 6.1), a second exp= and
 *   repeated mechanisms (a later copy can never match) are dropped;
 * - the include is added before the "all" term (or the modifiers), never
 *   twice (options: first, or not at all), and a qualified one (-, ~, ?)
 *   loses its qualifier;
 * - "+all", "?all" and a missing "all" (with no redirect to decide) become
 *   "~all"; "-all" and "~all" stay; ptr, macros and unknown modifiers stay;
 * - several records become one: every record's mechanisms in order, a
 *   record's redirect as an include of its target, the first "all".
 * With no live record the result is `v=spf1 include:<host> -all`.
 * Pure; never throws.
 */
export function mergeSpfRecords(records: readonly string[], includeHost: string, options: SpfMergeOptions = {}): SpfMerge {
  const host = includeHost.toLowerCase();
  const wanted = `include:${host}`;
  const live = records.filter(isSpfRecord);
  if (live.length === 0) return { value: `v=spf1 ${wanted} -all`, changed: true, dropped: [], spacedBreaks: false, leftOut: [], notes: [], replacedAll: null };

  const leaveOut = options.leaveOut ?? new Map<string, string>();
  const notes: string[] = [];
  const dropped: string[] = [];
  const leftOut: string[] = [];
  const mechanisms: { text: string; key: string }[] = [];
  const modifiers: string[] = [];
  const seenModifiers = new Set<string>();
  let all: SpfMechanism | null = null;
  let redirect: string | null = null;
  let exp: string | null = null;
  const several = live.length > 1;
  let spacedBreaks = false;

  /** False (after a note) when the caller asked to leave the term out. */
  const keep = (text: string): boolean => {
    const why = leaveOut.get(text);
    if (why === undefined) return true;
    leftOut.push(text);
    notes.push(`Left out "${visible(text, 80)}": ${why}.`);
    return false;
  };
  const addMechanism = (text: string, key: string): void => {
    if (mechanisms.some((m) => m.key === key)) {
      notes.push(`Left out "${visible(text, 80)}": the same mechanism comes earlier, so this copy can never match.`);
      return;
    }
    if (keep(text)) mechanisms.push({ text, key });
  };

  for (const record of live) {
    const text = record.replace(NON_SPACE_BREAKS, ' ');
    if (text !== record) {
      spacedBreaks = true;
      notes.push('The record held a line break or tab, which receivers read as part of a term (RFC 7208 4.6.1: terms are separated by spaces): written with spaces.');
    }
    const parsed = parseSpf(text);
    for (const e of parsed.errors) {
      dropped.push(e.term);
      notes.push(`Left out "${visible(e.term, 80)}", which receivers reject (permerror): ${e.message}.`);
    }
    const ownAll = parsed.mechanisms.find((m) => m.name === 'all') ?? null;
    let afterAll = false;
    for (const term of parsed.terms) {
      if (term.type === 'mechanism') {
        if (afterAll) {
          notes.push(`Left out "${visible(term.text, 80)}": it comes after "${ownAll?.text ?? 'all'}", so it is never evaluated (RFC 7208 5.1).`);
          continue;
        }
        if (term.name === 'all') {
          afterAll = true;
          all ??= term;
          continue;
        }
        if (term.name === 'ptr') notes.push(`"${visible(term.text, 80)}" is kept, but ptr is deprecated (RFC 7208 5.5: slow, and many receivers skip it): list the sender's ip4:/ip6: ranges instead.`);
        const key = mechanismKey(term);
        const unqualify = key === wanted && term.qualifier !== '+' && !mechanisms.some((m) => m.key === key);
        if (unqualify) notes.push(`"${visible(term.text, 80)}" gives the senders it lists ${QUALIFIER_RESULT[term.qualifier]} instead of pass (RFC 7208 4.6.2): written without the qualifier.`);
        addMechanism(unqualify ? `include:${term.domainSpec ?? host}` : term.text, key);
        continue;
      }
      if (term.name === 'redirect') {
        if (ownAll) notes.push(`Left out "${visible(term.text, 80)}": a record with an "all" term ignores redirect (RFC 7208 6.1).`);
        else if (several) {
          notes.push(`"${visible(term.text, 80)}" becomes "include:${visible(term.value, 80)}", so that the senders it names stay listed in the merged record.`);
          addMechanism(`include:${term.value}`, includeKey(term.value));
        } else if (keep(term.text)) redirect = term.text;
        continue;
      }
      if (term.name === 'exp') {
        if (exp === null) exp = term.text;
        else notes.push(`Left out "${visible(term.text, 80)}": one exp= is allowed (RFC 7208 6).`);
        continue;
      }
      // Unknown modifiers are ignored by receivers (RFC 7208 6): kept as written, once.
      const key = term.text.toLowerCase();
      if (!seenModifiers.has(key)) {
        seenModifiers.add(key);
        modifiers.push(term.text);
      }
    }
  }
  if (several) notes.unshift(`${live.length} SPF records now, which is a permerror (RFC 7208 4.5): merged into this one record, to publish in their place.`);

  const at = mechanisms.findIndex((m) => m.key === wanted);
  if (options.includeFirst && at > 0) {
    const [ours] = mechanisms.splice(at, 1);
    mechanisms.unshift(ours as { text: string; key: string });
    notes.push(`"${visible(ours?.text ?? wanted, 80)}" moved to the front, so that no earlier term decides the result for its senders first.`);
  } else if (at < 0 && options.includeFirst) {
    mechanisms.unshift({ text: wanted, key: wanted });
  } else if (at < 0 && (options.addInclude ?? true)) {
    mechanisms.push({ text: wanted, key: wanted });
  }

  let allText: string | null = null;
  let replacedAll: SpfMerge['replacedAll'] = null;
  if (all && (all.qualifier === '-' || all.qualifier === '~')) allText = all.text;
  else if (all || redirect === null) {
    allText = '~all';
    replacedAll = all ? (all.qualifier as '+' | '?') : 'missing';
    notes.push(all
      ? `"${all.text}" ${all.qualifier === '+' ? 'lets every address on the Internet pass' : 'asserts nothing about other senders'}: replaced by "~all".`
      : 'The record has no "all" term and no redirect, so unlisted senders get neutral (RFC 7208 4.7): "~all" added.');
  }
  if (allText?.startsWith('~')) {
    notes.push('"~all" makes unlisted senders softfail; once the DMARC reports show every sender is listed, "-all" is the better end state.');
  }

  const version = several ? 'v=spf1' : (live[0] as string).slice(0, 'v=spf1'.length);
  const value = [version, ...mechanisms.map((m) => m.text), ...(allText === null ? [] : [allText]), ...(redirect === null ? [] : [redirect]), ...(exp === null ? [] : [exp]), ...modifiers].join(' ');
  const unchanged = !several && value === (live[0] as string).replace(/ +/g, ' ').trim();
  return { value: unchanged ? (live[0] as string) : value, changed: !unchanged, dropped, spacedBreaks, leftOut, notes, replacedAll };
}

/** A mechanism without its qualifier: two terms with the same key match the same senders. */
function mechanismKey(term: SpfMechanism): string {
  if (term.name === 'include' && term.domainSpec) return includeKey(term.domainSpec);
  const bare = term.text.replace(/^[+\-~?]/, '');
  // Macro letters are case-sensitive (upper case URL-escapes, RFC 7208 7.3); names are not.
  return bare.includes('%') ? bare : bare.toLowerCase();
}

function includeKey(domainSpec: string): string {
  return `include:${domainSpec.includes('%') ? domainSpec : domainSpec.toLowerCase().replace(/\.$/, '')}`;
}
