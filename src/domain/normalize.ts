import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { getDomain } from 'tldts';

export const MAX_NAME_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;

/**
 * What normalizeDomain made of an input: the ASCII domain, or the reason it is
 * not one (which becomes a DOMAIN_INVALID finding). `input` is as given.
 */
export type NormalizedDomain =
  | { ok: true; input: string; domain: string }
  | { ok: false; input: string; reason: string };

const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Turns what a user typed or pasted into the ASCII domain to audit. Accepts a
 * URL (its host), an e-mail address (its domain), upper case, a trailing dot
 * and Unicode (to punycode). Validation is syntax only: any TLD is fine.
 * Never throws.
 */
export function normalizeDomain(input: string): NormalizedDomain {
  const fail = (reason: string): NormalizedDomain => ({ ok: false, input, reason });
  let s = String(input).replace(/^\uFEFF/, '').trim();
  if (s === '') return fail('empty input');
  if (/[\u0000-\u001f\u007f-\u009f]/.test(s)) return fail('contains control characters');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    try {
      s = new URL(s).hostname;
    } catch {
      return fail('not a valid URL');
    }
  } else {
    const at = s.lastIndexOf('@');
    if (at >= 0) s = s.slice(at + 1);
    s = s.replace(/[/?#].*$/, '');
  }
  if (s.startsWith('[') || isIP(s) !== 0 || isIP(s.replace(/:\d+$/, '')) !== 0) return fail('an IP address, not a domain name');
  s = s.replace(/:\d+$/, '');
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s === '') return fail('empty domain name');
  if (/\s/.test(s)) return fail('contains white space');
  if (s.length > 1000) return fail(`name of ${s.length} characters (at most ${MAX_NAME_LENGTH})`);
  // The label checks come first so that a too-long label is named as such
  // (domainToASCII rejects it with no reason).
  for (const label of s.split('.')) {
    if (label === '') return fail('empty label');
    if (label.length > MAX_LABEL_LENGTH) return fail(`label of ${label.length} characters (at most ${MAX_LABEL_LENGTH})`);
  }
  const ascii = /^[\x00-\x7f]*$/.test(s) ? s.toLowerCase() : domainToASCII(s.toLowerCase());
  if (ascii === '') return fail('not a valid internationalised domain name');
  if (ascii.length > MAX_NAME_LENGTH) return fail(`name of ${ascii.length} characters (at most ${MAX_NAME_LENGTH})`);
  const labels = ascii.split('.');
  if (labels.length < 2) return fail('a single label, not a domain name');
  for (const label of labels) {
    if (label === '') return fail('empty label');
    if (label.length > MAX_LABEL_LENGTH) return fail(`label of ${label.length} characters (at most ${MAX_LABEL_LENGTH})`);
    if (!LDH_LABEL.test(label)) return fail(`label "${label}" is not letters, digits and inner hyphens`);
  }
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return fail('the last label is all digits');
  return { ok: true, input, domain: ascii };
}

export { canonicalName } from './name.js';

/** The organizational domain (public suffix + 1 label, from the public-suffix list via tldts, private suffixes ignored) of a normalised name; the name itself when it has none. Pure; no network. */
export function organizationalDomain(domain: string): string {
  return getDomain(domain, { allowPrivateDomains: false }) ?? domain;
}
