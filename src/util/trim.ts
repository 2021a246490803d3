/**
 * Trimming a chosen set of white-space characters in one pass from each end.
 * The regex forms this replaces (`/[ \t]+$/`, `/^[ \t]+|[ \t]+$/g`) are
 * quadratic on text with long inner runs of spaces: from every start inside
 * a run the engine consumes it to the end and backtracks, so a 64 KB TXT
 * record of spaces cost seconds per parse (measured: 80,000 spaces, 15 s in
 * parseDmarcRecord). These scan each character at most once.
 */

/** Space and horizontal tab: WSP (RFC 5234 B.1). */
export const WSP = ' \t';
/** WSP plus CR and LF: what DKIM's FWS can leave in a tag (RFC 6376 3.2). */
export const FWS_CHARS = ' \t\r\n';

export function trimStartChars(s: string, chars: string = WSP): string {
  let i = 0;
  while (i < s.length && chars.includes(s.charAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}

export function trimEndChars(s: string, chars: string = WSP): string {
  let j = s.length;
  while (j > 0 && chars.includes(s.charAt(j - 1))) j--;
  return j === s.length ? s : s.slice(0, j);
}

export function trimChars(s: string, chars: string = WSP): string {
  return trimStartChars(trimEndChars(s, chars), chars);
}
