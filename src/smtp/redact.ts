/**
 * Redaction of the password, the token or the client credential from
 * everything a server says after it was sent (structural: see probe.ts's
 * header on secrets), and from the result as a last net. The one home of the
 * rule; the SMTP channel, the token endpoint's reader (token.ts) and the
 * token's claims (oauth-result.ts) all use it.
 *
 * The rule (issue 15 review). Once a secret has been sent, a server line
 * that shares a run of LEAK_WINDOW (12) characters with it is withheld whole
 * (WITHHELD), not only one holding it whole: a server may echo the secret
 * minus a character, a part of it, or re-encoded. The runs are taken from
 * every form the secret may come back in:
 * - the secret itself, URL-encoded (encodeURIComponent) and form-encoded
 *   (application/x-www-form-urlencoded, as the token request sends it);
 * - its base64 at each of the 3 byte alignments (RFC 4648 §4 encodes 3 bytes
 *   as 4 characters, so `base64(x + secret)` shares no 4-character group
 *   with `base64(secret)`): the inner part, the groups that hold the secret's
 *   bytes only. The XOAUTH2 blob is base64 of the token at one of them;
 * - for a JWT (the token, the client assertion: `header.payload.signature`,
 *   RFC 7515 §7.1), the payload and signature only: the header (alg, kid,
 *   x5t) is public and alike in every token.
 * The runs go into one Set, built once per secret; a line is read in one
 * pass (one Set lookup per position), so the cost is linear in the line
 * (measured: an 8.5 KB token's Set takes 9 ms and 2 MB to build, a 64 KB
 * one 130 ms and 18 MB; a 4 KiB line takes 0.2 ms to read).
 * A reply's lines are also read joined (without the enhanced code that
 * starts each), so a secret split over lines into parts shorter than the
 * window is seen; then every line of the reply is withheld.
 *
 * A secret shorter than the window cannot be told apart from ordinary
 * words by its runs, so every line after it was sent is withheld. A whole
 * echo of a long secret is cut out as `***` and the rest of the line kept,
 * unless what is left still holds a run.
 *
 * The bound: a run of 11 characters or fewer is not recognised (any
 * 11-character piece of a 40-character secret leaves 29 unknown).
 */
import type { Finding } from '../findings/catalog.js';
import type { SmtpReply } from './reply.js';
export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/**
 * Shortest secret the last net (createSafetyNet) cuts out of any text as
 * `***`; a shorter one may be part of ordinary words.
 */
export const MIN_SCRUB_LENGTH = 8;
/** The run of a secret's characters (in any of its forms) that withholds a line: 12 (see the module comment). */
export const LEAK_WINDOW = 12;
/** What replaces a server line that may hold the secret (or a form of it). */
export const WITHHELD = '[line withheld: it holds the secret]';

/** A redactor: the line as it is, cut of the secret, or WITHHELD; `holds` says whether text gives the secret away. */
export interface Redactor {
  (line: string): string;
  holds(text: string): boolean;
}

const redactor = (redact: (line: string) => string, holds: (text: string) => boolean): Redactor => Object.assign(redact, { holds });

/** The form-encoded value, as URLSearchParams (the token request's body) writes it. */
const formEncoded = (s: string): string => new URLSearchParams({ s }).toString().slice(2);

/** A JWT's secret part: `payload.signature` (its header is public); null when the secret is not one. */
function jwtSecretPart(secret: string): string | null {
  const first = secret.indexOf('.');
  if (!secret.startsWith('eyJ') || first === -1 || secret.indexOf('.', first + 1) === -1) return null;
  return secret.slice(first + 1);
}

/** The forms cut out whole: the secret, its base64, URL- and form-encoded, a JWT's payload and signature, and `also`; longest first. */
function wholeForms(secret: string, also: readonly string[], minLength: number): string[] {
  const jwt = jwtSecretPart(secret);
  const parts = jwt === null ? [] : jwt.split('.');
  const forms = [secret, b64(secret), encodeURIComponent(secret), formEncoded(secret), ...parts, ...also];
  return [...new Set(forms)].filter((f) => f.length >= Math.max(1, minLength)).sort((a, b) => b.length - a.length);
}

/** base64 of `s` after 0, 1 and 2 bytes: the characters of the 4-character groups that hold bytes of `s` only. */
function base64Inner(s: string): string[] {
  const bytes = Buffer.from(s, 'utf8');
  return [0, 1, 2].map((shift) => {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const whole = Math.floor((shift + bytes.length) / 3) * 4;
    return encoded.slice(shift === 0 ? 0 : 4, whole);
  });
}

/** Every LEAK_WINDOW-character run of the secret's forms (see the module comment). */
function leakWindows(secret: string): Set<string> {
  const jwt = jwtSecretPart(secret);
  const part = jwt !== null && jwt.length >= LEAK_WINDOW ? jwt : secret;
  const windows = new Set<string>();
  for (const form of [part, encodeURIComponent(part), formEncoded(part), ...base64Inner(part)]) {
    for (let i = 0; i + LEAK_WINDOW <= form.length; i++) windows.add(form.slice(i, i + LEAK_WINDOW));
  }
  return windows;
}

const LINE_BREAK = /[\r\n]/;
const LINE_BREAKS = /\r\n|\r|\n/g;

/**
 * A redactor for what a server says after the secret was sent (see the
 * module comment): a line sharing a LEAK_WINDOW run with the secret or its
 * forms is WITHHELD; a whole echo of the secret, its base64 or `also` (the
 * XOAUTH2 blob) is cut as `***`; for a secret shorter than the window,
 * every line is WITHHELD.
 */
export function createRedactor(secret: string, also: readonly string[] = []): Redactor {
  if (secret.length < LEAK_WINDOW) return redactor(() => WITHHELD, () => true);
  const forms = wholeForms(secret, also, LEAK_WINDOW);
  const windows = leakWindows(secret);
  const scan = (text: string): boolean => {
    for (let i = 0; i + LEAK_WINDOW <= text.length; i++) if (windows.has(text.slice(i, i + LEAK_WINDOW))) return true;
    return false;
  };
  // A field of several lines (Entra's error_description) is also read with its line breaks taken out.
  const holds = (text: string): boolean => forms.some((f) => text.includes(f)) || scan(text) || (LINE_BREAK.test(text) && scan(text.replace(LINE_BREAKS, '')));
  return redactor((line) => {
    if (!holds(line)) return line;
    const cut = forms.reduce((text, f) => text.split(f).join('***'), line);
    // Cutting can join pieces back into the secret ('****' out of '*****'), or leave a part of it: then withhold.
    return holds(cut) ? WITHHELD : cut;
  }, holds);
}

/**
 * The last net over a whole result, text from before the secret was sent
 * included (the banner, our own user name): a secret of MIN_SCRUB_LENGTH
 * or more is cut out where it stands whole (with its base64, encodings and
 * `also`); null for a shorter one. Runs are not looked for here: the user
 * name or the host may share 12 characters with a password, and a server's
 * lines after sending went through createRedactor already.
 */
export function createSafetyNet(secret: string, also: readonly string[] = []): Redactor | null {
  if (secret.length < MIN_SCRUB_LENGTH) return null;
  const forms = wholeForms(secret, also, MIN_SCRUB_LENGTH);
  const holds = (text: string): boolean => forms.some((f) => text.includes(f));
  return redactor((line) => {
    if (!holds(line)) return line;
    const cut = forms.reduce((text, f) => text.split(f).join('***'), line);
    return holds(cut) ? WITHHELD : cut;
  }, holds);
}

// A reply line's leading enhanced code (RFC 3463 §2), left out when the lines are read joined.
const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} ?/;

/**
 * A reply with each line redacted; when one line is withheld, or the lines
 * read joined hold a run (a secret split over lines), every line is. The
 * code and the enhanced code are kept, so findings still name them (and
 * take the catalog's text for them, codes.ts).
 */
export function redactReply(reply: SmtpReply, redact: Redactor): SmtpReply {
  let lines = reply.lines.map((l) => redact(l));
  const split = lines.length > 1 && redact.holds(lines.map((l) => l.replace(ENHANCED_PREFIX, '')).join(''));
  if (split || lines.includes(WITHHELD)) lines = lines.map(() => WITHHELD);
  if (lines[0] === WITHHELD && reply.enhanced) lines[0] = `${reply.enhanced.text} ${WITHHELD}`;
  return { ...reply, lines };
}

/** Every string in a value through the redactor (a last net over the whole result, for long passwords). */
export function scrub<T>(value: T, redact: ((line: string) => string) | null): T {
  if (!redact) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** A finding with its message, evidence and fix through the redactor (its code, severity and area are ours). */
export function redactFinding(f: Finding, redact: (text: string) => string): Finding {
  return {
    ...f,
    message: redact(f.message),
    ...(f.evidence !== undefined ? { evidence: redact(f.evidence) } : {}),
    ...(f.fix !== undefined ? { fix: redact(f.fix) } : {}),
  };
}
