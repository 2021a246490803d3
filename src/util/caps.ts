/**
 * Bounds on what a report keeps of lists and strings that grow with what DNS
 * returns. A hostile (or just careless) zone can publish a 56 KB TXT record,
 * a DMARC record naming 1,000 report addresses or 500 MX hosts; the checks
 * still evaluate all of it, but a report section keeps at most MAX_LISTED
 * entries of each such list, with the full count beside it as `<list>Total`
 * (`hosts` / `hostsTotal`), and strings cut at MAX_TEXT_LENGTH with a marker
 * that gives the full length. Measured before: one 56 KB record made a
 * 645 KB DMARC section.
 */

/** Most entries of one DNS-grown list kept in a report section (the count is kept as `<list>Total`). */
export const MAX_LISTED = 20;
/** Longest string from DNS kept in a report section or a finding; longer ones end in CUT_MARK. */
export const MAX_TEXT_LENGTH = 2048;
/** Most certificates of a TLS peer's chain kept and matched (the SMTP probe's `chain`, DANE's PeerChain); servers send 2-4. */
export const MAX_CHAIN_CERTIFICATES = 10;
/** Most findings of one code a check reports; the last one kept says how many more there were. */
export const MAX_FINDINGS_PER_CODE = MAX_LISTED;

/** `…abc… [cut: 56000 characters]`: the first `max` characters and the full length. */
export function capText(s: string, max: number = MAX_TEXT_LENGTH): string {
  if (s.length <= max) return s;
  // Never split a surrogate pair (a lone half is not text).
  const code = s.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${s.slice(0, end)}… [cut: ${s.length} characters]`;
}

/** The first `max` entries of a list. */
export function capList<T>(items: readonly T[], max: number = MAX_LISTED): T[] {
  return items.slice(0, max);
}

/** The first `max` strings of a list, each cut to MAX_TEXT_LENGTH. */
export function capTexts(items: readonly string[], max: number = MAX_LISTED): string[] {
  return capList(items, max).map((s) => capText(s));
}

/** `a, b, c … and 980 more`: at most `max` entries joined, the whole cut to MAX_TEXT_LENGTH. */
export function listText(items: readonly string[], separator: string, max: number = MAX_LISTED): string {
  const shown = items.slice(0, max).join(separator);
  return capText(items.length > max ? `${shown}${separator}… and ${items.length - max} more` : shown);
}

interface FindingLike {
  code: string;
  message: string;
  evidence?: string;
  fix?: string;
}

/**
 * Findings as a report keeps them: at most MAX_FINDINGS_PER_CODE of each
 * code (the last kept one's message says how many more there were), and
 * message, evidence and fix cut to MAX_TEXT_LENGTH (evidence quotes records
 * from DNS as they are). Order is kept. DNS_TEMPFAIL findings pass through as
 * they are (the same objects): the audit merges them per failure kind.
 */
export function capFindings<T extends FindingLike>(findings: readonly T[], max: number = MAX_FINDINGS_PER_CODE): T[] {
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
  const seen = new Map<string, number>();
  const out: T[] = [];
  for (const f of findings) {
    // DNS_TEMPFAIL findings are merged into one per failure kind later (audit), with their own cap on the queries named.
    if (f.code === 'DNS_TEMPFAIL') {
      out.push(f);
      continue;
    }
    const n = (seen.get(f.code) ?? 0) + 1;
    seen.set(f.code, n);
    if (n > max) continue;
    const total = counts.get(f.code) ?? n;
    const kept: T = { ...f, message: capText(f.message) };
    if (n === max && total > max) kept.message = `${kept.message} (${total - max} more ${f.code} findings like this are not listed.)`;
    if (f.evidence !== undefined) kept.evidence = capText(f.evidence);
    if (f.fix !== undefined) kept.fix = capText(f.fix);
    out.push(kept);
  }
  return out;
}
