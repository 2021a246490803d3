import { canonicalName, normalizeDomain } from '../domain/normalize.js';
import { trimChars, trimEndChars, WSP } from '../util/trim.js';

/**
 * One report URI of a DMARC rua= or ruf= list (RFC 9989 4.7: a URI per
 * RFC 3986; receivers must support mailto:). The RFC 7489 size limit
 * (`!10m`) is still read, because older receivers honour it.
 */
export interface DmarcUri {
  /** The URI as written, without a size suffix. */
  uri: string;
  /** The scheme in lower case (`mailto`), or null when there is none. */
  scheme: string | null;
  /** For mailto: the address, percent-decoded; else null. */
  address: string | null;
  /** The destination host: the mailto address's domain, or an http(s) URI's host (ASCII, lower case). */
  domain: string | null;
  /** The RFC 7489 `!size` limit in bytes, or null. */
  size: number | null;
  /** Syntactically usable as a report destination. */
  valid: boolean;
  /** Why it is not valid, or a remark on a valid one; null when there is nothing to say. */
  problem: string | null;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
/** RFC 3986 characters: unreserved, reserved and '%' (checked as pct-encoded below). */
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const PCT = /%(?![0-9A-Fa-f]{2})/;
/** Matched on trimmed text: `\s*` on both sides of the optional unit made two adjacent runs, quadratic on a run of spaces. */
const SIZE = /^(\d{1,15})\s*([kmgt])?$/i;
const UNIT: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Splits a dmarc-urilist at commas (RFC 9989: commas inside a URI must be percent-encoded) and parses each. Pure; never throws. */
export function parseDmarcUriList(value: string): DmarcUri[] {
  return value.split(',').map((part) => parseDmarcUri(part));
}

/** Parses one report URI. Pure; never throws. */
export function parseDmarcUri(text: string): DmarcUri {
  const raw = trimChars(String(text), WSP);
  const out: DmarcUri = { uri: raw, scheme: null, address: null, domain: null, size: null, valid: false, problem: null };
  if (raw === '') return { ...out, problem: 'an empty URI' };
  // RFC 9989 requires "!" inside a URI to be percent-encoded, so a bare "!" starts RFC 7489's size limit.
  let uri = raw;
  const bang = raw.indexOf('!');
  if (bang >= 0) {
    const size = SIZE.exec(raw.slice(bang + 1).trim());
    if (!size) return { ...out, uri: raw.slice(0, bang).trim(), problem: `"${raw.slice(bang)}" is not a size limit (digits and an optional k, m, g or t)` };
    uri = trimEndChars(raw.slice(0, bang), WSP);
    out.uri = uri;
    out.size = Number(size[1]) * (UNIT[(size[2] ?? '').toLowerCase()] ?? 1);
  }
  const scheme = SCHEME.exec(uri);
  if (!scheme) return { ...out, problem: `"${uri}" has no URI scheme (write mailto:${uri.includes('@') ? uri : 'address'})` };
  out.scheme = (scheme[1] as string).toLowerCase();
  if (!URI_CHARS.test(uri) || PCT.test(uri)) return { ...out, problem: `"${uri}" holds characters a URI may not contain unencoded` };
  if (out.scheme === 'mailto') return parseMailto(out, uri.slice(scheme[0].length));
  if (out.scheme === 'http' || out.scheme === 'https') {
    try {
      const host = new URL(uri).hostname;
      out.domain = host === '' ? null : host.toLowerCase();
    } catch {
      return { ...out, problem: `"${uri}" is not a valid ${out.scheme} URI` };
    }
  }
  return { ...out, valid: true, problem: `receivers need to support only mailto:, so ${out.scheme}: reports may never be sent` };
}

function parseMailto(out: DmarcUri, rest: string): DmarcUri {
  const spec = rest.split('?')[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(spec);
  } catch {
    return { ...out, problem: `"${out.uri}" has a broken percent-encoding` };
  }
  const at = decoded.lastIndexOf('@');
  // Decoded spaces at the ends of either part are dropped, as receivers do (%20 before the @).
  const local = at > 0 ? decoded.slice(0, at).trim() : '';
  const host = at > 0 ? decoded.slice(at + 1).trim() : '';
  if (local === '' || host === '') return { ...out, problem: `"${out.uri}" does not name a mailbox (mailto:name@domain)` };
  // normalizeDomain also accepts URLs and addresses; here the host must be a bare name (IDN allowed).
  const norm = normalizeDomain(host);
  const ascii = /^[\x00-\x7f]*$/.test(host);
  if (!norm.ok || (ascii && norm.domain !== canonicalName(host))) {
    return { ...out, problem: `"${host}" in ${out.uri} is not a valid mail domain` };
  }
  return { ...out, address: `${local}@${norm.domain}`, domain: norm.domain, valid: true };
}
