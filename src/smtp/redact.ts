/**
 * Redaction of the password or token from everything a server says after it
 * was sent (structural: see probe.ts's header on secrets).
 */
import type { SmtpReply } from './reply.js';
export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/**
 * Shortest secret (password, token) cut out of an echoing line as `***`; a
 * shorter one may be part of ordinary words, so a line holding it is
 * withheld whole.
 */
export const MIN_SCRUB_LENGTH = 8;
/** What replaces a server line that echoed the secret (or its base64). */
export const WITHHELD = '[line withheld: it holds the secret]';

/**
 * A redactor for server text: the line as it is, cut of the secret, or
 * WITHHELD. `also`: further forms that carry it (the XOAUTH2 blob), cut or
 * withheld like the secret and its base64.
 */
export function createRedactor(secret: string, also: readonly string[] = []): (line: string) => string {
  const forms = [secret, b64(secret), ...also].filter((f) => f.length > 0);
  const leaks = (text: string): boolean => forms.some((f) => text.includes(f));
  return (line) => {
    if (!leaks(line)) return line;
    if (secret.length >= MIN_SCRUB_LENGTH) {
      const cut = forms.reduce((text, f) => text.split(f).join('***'), line);
      // Cutting can join pieces back into the password ('****' out of '*****'): then withhold.
      if (!leaks(cut)) return cut;
    }
    return WITHHELD;
  };
}

/** A reply with each line redacted; code and enhanced code are kept, so findings still name them. */
export function redactReply(reply: SmtpReply, redact: (line: string) => string): SmtpReply {
  const lines = reply.lines.map((l, i) => {
    const r = redact(l);
    return r === WITHHELD && i === 0 && reply.enhanced ? `${reply.enhanced.text} ${WITHHELD}` : r;
  });
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

