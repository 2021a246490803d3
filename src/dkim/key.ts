import { createPublicKey } from 'node:crypto';
import { FWS_CHARS, trimChars, trimEndChars, trimStartChars } from '../util/trim.js';

/**
 * DKIM key records (RFC 6376 3.6.1; RFC 8463 for ed25519; RFC 8301 for key
 * sizes and hashes): a pure tag-list parser and a key decoder that reads the
 * RSA modulus size and the ed25519 key with node:crypto. Never throws.
 */
/** A DKIM key record's tags as parsed (RFC 6376 3.6.1), and what makes it unusable. */
export interface DkimKeyRecord {
  raw: string;
  /** Every tag as written (names as given, values with folding white space trimmed). */
  tags: Record<string, string>;
  /** v= when present. */
  version: string | null;
  /** k=, lower-cased; rsa when absent. */
  keyType: string;
  /** p= with white space removed: '' when revoked, null when there is no p= tag. */
  publicKey: string | null;
  /** h= hash algorithms, or null when absent (any). */
  hashes: string[] | null;
  /** s= service types, or null when absent (*). */
  services: string[] | null;
  /** t= flags (y: testing, s: no subdomains in i=). */
  flags: string[];
  /** n= notes (quoted-printable, left as written). */
  notes: string | null;
  /** What makes the record unusable; empty when it parses. */
  errors: string[];
}

/**
 * What a key is worth: `valid`, `weak` (RSA under 2048 bits), `insecure` (RSA
 * under 1024, RFC 8301 3.2), `revoked` (empty p=, RFC 6376 3.6.1) or `invalid`.
 */
export type DkimKeyStatus = 'valid' | 'weak' | 'insecure' | 'revoked' | 'invalid';

/** What a key record amounts to, for the report. */
export interface DkimKeyFacts {
  status: DkimKeyStatus;
  /** The TXT record evaluated. */
  record: string;
  /** k= as written (rsa, ed25519 …), or null when the record does not parse. */
  type: string | null;
  /** RSA modulus bits, 256 for ed25519, null when not decoded. */
  bits: number | null;
  /** How p= is encoded: spki (SubjectPublicKeyInfo), pkcs1 (bare RSAPublicKey) or raw (32-byte ed25519). */
  format: 'spki' | 'pkcs1' | 'raw' | null;
  /** t=y: the domain is testing DKIM. */
  testing: boolean;
  /** Why the key is invalid or revoked; null otherwise. */
  problem: string | null;
  /** Remarks that are not problems. */
  notes: string[];
}

/** RSA keys below this are not to be trusted at all (RFC 8301 3.2). */
export const MIN_RSA_BITS = 1024;
/** Microsoft's and everyone's recommendation. */
export const RECOMMENDED_RSA_BITS = 2048;

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
/** tval characters (VALCHAR) and folding white space. */
const TAG_VALUE = /^[\x21-\x3a\x3c-\x7e \t\r\n]*$/;
const FWS = /[ \t\r\n]+/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE, algorithm 1.3.101.112, BIT STRING of 33. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Parses a DKIM key record's tag list (RFC 6376 3.2, 3.6.1): every tag, k=
 * (rsa when absent), p= without white space, h=, s=, t=, n=. Pure; never
 * throws: what makes the record unusable is listed in `errors`. Does not
 * decode the key (see evaluateDkimKey).
 */
export function parseDkimKey(input: string): DkimKeyRecord {
  const raw = typeof input === 'string' ? input : String(input);
  const rec: DkimKeyRecord = { raw, tags: {}, version: null, keyType: 'rsa', publicKey: null, hashes: null, services: null, flags: [], notes: null, errors: [] };
  const seen = new Set<string>();
  const segments = raw.split(';');
  for (const [i, seg] of segments.entries()) {
    const s = trimChars(seg, FWS_CHARS);
    // An empty segment (";;", a trailing ";") is tolerated, as verifiers do.
    if (s === '') continue;
    const eq = s.indexOf('=');
    if (eq < 0) {
      rec.errors.push(`"${s}" is not a tag=value pair`);
      continue;
    }
    const name = trimEndChars(s.slice(0, eq), FWS_CHARS);
    const value = trimStartChars(s.slice(eq + 1), FWS_CHARS);
    if (!TAG_NAME.test(name)) {
      rec.errors.push(`"${name}" is not a valid tag name`);
      continue;
    }
    if (!TAG_VALUE.test(value)) {
      rec.errors.push(`${name}= holds characters a key record may not contain`);
      continue;
    }
    // Tag names are case-sensitive in DKIM (RFC 6376 3.2).
    if (seen.has(name)) {
      rec.errors.push(`${name}= is given twice, which makes the whole record invalid`);
      continue;
    }
    seen.add(name);
    rec.tags[name] = value;
    const compact = value.replace(FWS, '');
    switch (name) {
      case 'v':
        rec.version = value;
        if (i !== firstTagIndex(segments)) rec.errors.push('v= is not the first tag');
        if (value !== 'DKIM1') rec.errors.push(`v=${value} is not DKIM1`);
        break;
      case 'k':
        rec.keyType = compact.toLowerCase();
        break;
      case 'p':
        rec.publicKey = compact;
        break;
      case 'h':
        rec.hashes = list(compact);
        break;
      case 's':
        rec.services = list(compact);
        break;
      case 't':
        rec.flags = list(compact);
        break;
      case 'n':
        rec.notes = value;
        break;
      default:
        // g= (RFC 4871, historic) and unknown tags are ignored (RFC 6376 3.6.1).
        break;
    }
  }
  return rec;
}

function firstTagIndex(segments: string[]): number {
  return segments.findIndex((s) => s.trim() !== '');
}

function list(value: string): string[] {
  return value.split(':').filter((x) => x !== '').map((x) => x.toLowerCase());
}

/** Parses and decodes a key record into facts and a status (RFC 6376 3.6.1, RFC 8301, RFC 8463). Pure; never throws. */
export function evaluateDkimKey(record: string): DkimKeyFacts {
  const rec = parseDkimKey(record);
  const facts: DkimKeyFacts = {
    status: 'invalid', record: rec.raw, type: null, bits: null, format: null,
    testing: rec.flags.includes('y'), problem: null, notes: [],
  };
  const invalid = (problem: string): DkimKeyFacts => ({ ...facts, status: 'invalid', problem });
  if (rec.errors.length > 0) return invalid(rec.errors.join('; '));
  facts.type = rec.keyType;
  if (rec.publicKey === null) return invalid('there is no p= tag (the public key)');
  if (rec.publicKey === '') return { ...facts, status: 'revoked', problem: 'p= is empty: the key is revoked' };
  if (rec.keyType !== 'rsa' && rec.keyType !== 'ed25519') return invalid(`k=${rec.keyType} is not a key type verifiers know (rsa or ed25519)`);
  if (rec.services && !rec.services.includes('*') && !rec.services.includes('email')) {
    return invalid(`s=${rec.services.join(':')} does not include email, so verifiers may not use the key for mail`);
  }
  // Every signature is sha256 now (RFC 8301 retired sha1), so h= must allow it.
  if (rec.hashes && !rec.hashes.includes('sha256')) return invalid(`h=${rec.hashes.join(':')} does not allow sha256, the only hash verifiers accept`);
  if (facts.testing) facts.notes.push('t=y: the domain says it is testing DKIM, and verifiers may treat its signatures as unsigned mail');
  if (rec.tags.g !== undefined) facts.notes.push('g= is obsolete (RFC 4871) and ignored');
  const decoded = decodeDkimPublicKey(rec.keyType, rec.publicKey);
  if ('problem' in decoded) return { ...invalid(decoded.problem), bits: decoded.bits ?? null, format: decoded.format ?? null };
  facts.bits = decoded.bits;
  facts.format = decoded.format;
  if (decoded.format === 'pkcs1') {
    facts.notes.push('p= is a bare PKCS#1 RSAPublicKey: RFC 6376 names this form, but verifiers built on SubjectPublicKeyInfo readers (OpenDKIM) reject it; publish the SubjectPublicKeyInfo form');
  }
  if (rec.keyType === 'rsa') {
    if (decoded.bits < MIN_RSA_BITS) return { ...facts, status: 'insecure' };
    if (decoded.bits < RECOMMENDED_RSA_BITS) return { ...facts, status: 'weak' };
  } else {
    facts.notes.push('ed25519 (RFC 8463): verifiers without RFC 8463 support ignore these signatures, so pair it with an RSA selector');
  }
  return { ...facts, status: 'valid' };
}

/** What decodeDkimPublicKey made of p=: the key's size and encoding, or why it cannot be used. */
export type DecodedKey =
  | { bits: number; format: 'spki' | 'pkcs1' | 'raw' }
  | { problem: string; bits?: number; format?: 'spki' };

/** Keys decoded lately, by key type and p=: one key often stands behind many selectors (a provider's shared key, both selectors of a tenant's copies); decoding is pure. */
const decodedKeys = new Map<string, DecodedKey>();
/** Most keys remembered; the memo is emptied when full, so memory stays flat in the number of domains. */
const DECODED_KEYS_KEPT = 256;

/**
 * Decodes p= for a key type with node:crypto: RSA modulus bits, or an ed25519
 * key. Never throws: a key node:crypto refuses is a `problem`. Results are
 * remembered for the last DECODED_KEYS_KEPT keys (createPublicKey was a tenth
 * of a batch's CPU, BENCHMARKS.md).
 */
export function decodeDkimPublicKey(keyType: string, base64: string): DecodedKey {
  const key = `${keyType} ${base64}`;
  const known = decodedKeys.get(key);
  if (known !== undefined) return known;
  const decoded = Object.freeze(decodeKey(keyType, base64));
  if (decodedKeys.size >= DECODED_KEYS_KEPT) decodedKeys.clear();
  decodedKeys.set(key, decoded);
  return decoded;
}

function decodeKey(keyType: string, base64: string): DecodedKey {
  if (!BASE64.test(base64) || base64.length % 4 === 1) return { problem: 'p= is not valid base64' };
  const der = Buffer.from(base64, 'base64');
  if (der.length === 0) return { problem: 'p= decodes to nothing' };
  if (keyType === 'ed25519') {
    if (der.length === 32) {
      try {
        createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, der]), format: 'der', type: 'spki' });
        return { bits: 256, format: 'raw' };
      } catch {
        return { problem: 'p= is 32 bytes but not an ed25519 public key' };
      }
    }
    if (der.length === ED25519_SPKI_PREFIX.length + 32 && der.subarray(0, ED25519_SPKI_PREFIX.length).equals(ED25519_SPKI_PREFIX)) {
      // Decodes, but RFC 8463 3 puts the raw key in p=, and verifiers (Mail::DKIM, dkimpy) reject the wrapped form.
      return { problem: 'p= is an ed25519 key wrapped in SubjectPublicKeyInfo (44 bytes); RFC 8463 requires the raw 32-byte key', bits: 256, format: 'spki' };
    }
    return { problem: `an ed25519 key is 32 bytes; p= decodes to ${der.length}` };
  }
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      if (key.asymmetricKeyType !== 'rsa') return { problem: `p= holds a ${key.asymmetricKeyType ?? 'non-RSA'} key, but k=rsa` };
      const bits = key.asymmetricKeyDetails?.modulusLength;
      if (typeof bits !== 'number') return { problem: 'p= decodes, but its modulus size cannot be read' };
      return { bits, format: type };
    } catch {
      // Not this encoding; try the next.
    }
  }
  return { problem: 'p= does not decode as an RSA public key (truncated or corrupted)' };
}
