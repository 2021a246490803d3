/** Input echoed into a report (its `input`, DOMAIN_INVALID's evidence, CSV meta cells) is cut to this many characters. */
export const MAX_ECHO_CHARS = 256;

export interface Echo {
  /** The text, at most MAX_ECHO_CHARS characters; when cut, its last one is `…`. */
  text: string;
  /** The length of the whole text in characters (Unicode code points). */
  length: number;
  cut: boolean;
}

/**
 * What a report may repeat of a user's input: a 100,000-character line must
 * not come back as 100,000 characters in every format. Counted in code
 * points, so a cut never splits a surrogate pair.
 */
export function echoInput(s: string): Echo {
  // Fast path: a string of at most MAX_ECHO_CHARS UTF-16 units has at most that many code points.
  if (s.length <= MAX_ECHO_CHARS) return { text: s, length: [...s].length, cut: false };
  let text = '';
  let length = 0;
  for (const ch of s) {
    if (length < MAX_ECHO_CHARS - 1) text += ch;
    length++;
  }
  return length <= MAX_ECHO_CHARS ? { text: s, length, cut: false } : { text: `${text}…`, length, cut: true };
}
