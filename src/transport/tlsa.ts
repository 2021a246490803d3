/**
 * TLSA records against the certificate chain an SMTP server presented
 * (pure; no I/O). The rules, for SMTP (RFC 7672) on top of DANE's (RFC 6698,
 * RFC 7671), with RFC 7218's acronyms:
 *
 * - Usage (RFC 6698 §2.1.1): DANE-TA(2) and DANE-EE(3) are usable for SMTP;
 *   PKIX-TA(0) and PKIX-EE(1) are not (RFC 7672 §3.1.3: SMTP clients treat
 *   them as unusable, there being no agreed set of public CAs for MTAs);
 *   any other value is unusable too (RFC 7671 §4.1: unusable records are
 *   ignored). A record with a selector other than Cert(0)/SPKI(1) (RFC 6698
 *   §2.1.2), a matching type other than Full(0)/SHA2-256(1)/SHA2-512(2)
 *   (§2.1.3), or a digest of the wrong length is unusable as well.
 * - DANE-EE(3) matches the leaf only (depth 0), with no name check and no
 *   validity dates (RFC 7672 §3.1.2, RFC 7671 §5.1): an expired or
 *   self-signed leaf matches.
 * - DANE-TA(2) matches a certificate at depth 1 or more of the presented
 *   chain that the leaf chains up to, each certificate below it issued and
 *   signed by the next (RFC 7672 §3.1.1: the server MUST send the trust
 *   anchor); the leaf's names must then match a reference identifier
 *   (RFC 7672 §3.2.2: the MX host, the TLSA base domain, and the next-hop
 *   domain; subjectAltName dNSNames when there are any, else the subject
 *   CN; a wildcard only as the whole leftmost label, matching one label,
 *   RFC 7672 §3.2.3 / RFC 6125 §6.4.3).
 * - Selector Cert(0) takes the whole certificate's DER, SPKI(1) its
 *   SubjectPublicKeyInfo DER; Full(0) compares that DER (here: the SHA-256
 *   of the record's data with the SHA-256 of the DER, the chain keeping
 *   digests only), SHA2-256(1) and SHA2-512(2) its digest.
 * - One usable record that matches is enough (RFC 6698 §4.1; Microsoft
 *   publishes several and not all match the certificate served, reference
 *   R2.4).
 *
 * Not done (each needs the certificates themselves, not their digests): a
 * trust anchor given in full by a 2 0 0 / 2 1 0 record and not sent by the
 * server (RFC 7671 §5.2.2 allows it), checked as the issuer's signature;
 * RFC 7671 §9's digest algorithm agility (a client may ignore the weaker
 * digest of a usage/selector pair: every usable record counts here).
 */
import type { ChainCertificate } from '../util/chain.js';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { TlsaRecord } from '../dns/types.js';
import { MAX_CHAIN_CERTIFICATES } from '../util/caps.js';


/**
 * One certificate the server presented, as the SMTP probe describes it
 * (its CertificateInfo `chain`, src/smtp/types.ts, has this shape): the
 * digests matching needs, hex lower-case, and how it links to the next.
 */
export type PeerCertificate = ChainCertificate;

/**
 * What DANE matching needs of a TLS peer: the leaf's names and the chain,
 * leaf first. A CertificateInfo of the SMTP probe (`probe.certificate`) is
 * one: the two types agree by shape (transport may not import smtp).
 */
export interface PeerChain {
  /** The leaf's subject (`CN=mx.example, O=…`): its CN is the name when there is no subjectAltName. */
  subject: string;
  /** The leaf's subjectAltName DNS names and IP addresses. */
  altNames: readonly string[];
  /** The certificates presented, leaf first (absent in probes saved before it was kept). */
  chain?: readonly PeerCertificate[] | undefined;
}

/** Why a TLSA record cannot be used for SMTP, or null when it can. */
export type TlsaProblem = 'pkix-usage' | 'unknown-usage' | 'unknown-selector' | 'unknown-matching-type' | 'bad-digest-length';

/** RFC 7218 §2: the acronyms of the three fields (`DANE-EE(3) SPKI(1) SHA2-256(1)`). */
export function tlsaAcronyms(r: TlsaRecord): string {
  const usage = ['PKIX-TA', 'PKIX-EE', 'DANE-TA', 'DANE-EE'][r.usage];
  const selector = ['Cert', 'SPKI'][r.selector];
  const mtype = ['Full', 'SHA2-256', 'SHA2-512'][r.matchingType];
  const part = (name: string | undefined, n: number): string => (name ? `${name}(${n})` : String(n));
  return `${part(usage, r.usage)} ${part(selector, r.selector)} ${part(mtype, r.matchingType)}`;
}

/** Whether SMTP can use the record, and if not why (see the module comment). */
export function tlsaProblem(r: TlsaRecord): TlsaProblem | null {
  if (r.usage === 0 || r.usage === 1) return 'pkix-usage';
  if (r.usage !== 2 && r.usage !== 3) return 'unknown-usage';
  if (r.selector !== 0 && r.selector !== 1) return 'unknown-selector';
  if (r.matchingType !== 0 && r.matchingType !== 1 && r.matchingType !== 2) return 'unknown-matching-type';
  const bytes = r.data.length / 2;
  if ((r.matchingType === 1 && bytes !== 32) || (r.matchingType === 2 && bytes !== 64) || (r.matchingType === 0 && bytes === 0)) return 'bad-digest-length';
  return null;
}

/** What matchTlsa found: the record that matched and where, how many records were usable, and what each usable one missed. */
export interface TlsaMatchResult {
  /** The first usable record that matched, and the depth (leaf = 0) of the certificate it matched; null when none did. */
  match: { record: TlsaRecord; depth: number } | null;
  /** Records SMTP can use (tlsaProblem null). */
  usable: number;
  /** Why a usable record that matched a certificate still failed (a DANE-TA whose leaf names miss the host), one line each. */
  notes: string[];
}

/** Options of matchTlsa: the reference identifiers for DANE-TA's name check (RFC 7672 §3.2.2); none: no name check. */
export interface TlsaMatchOptions {
  names?: readonly string[] | undefined;
}

/**
 * Matches TLSA records against a presented chain (see the module comment):
 * DANE-EE(3) the leaf, DANE-TA(2) a certificate the leaf chains up to plus
 * the name check against `opts.names`; PKIX usages and unknown fields are
 * never used. Pure.
 */
export function matchTlsa(records: readonly TlsaRecord[], chain: PeerChain, opts: TlsaMatchOptions = {}): TlsaMatchResult {
  const certs = (chain.chain ?? []).slice(0, MAX_CHAIN_CERTIFICATES);
  const usableRecords = records.filter((r) => tlsaProblem(r) === null);
  const notes: string[] = [];
  // Depth up to which every certificate is signed by the next: the chain the leaf really climbs.
  let linked = 0;
  while (linked < certs.length - 1 && (certs[linked] as PeerCertificate).signedByNext) linked++;
  for (const r of usableRecords) {
    const want = r.data.toLowerCase();
    const full = r.matchingType === 0 ? createHash('sha256').update(Buffer.from(want, 'hex')).digest('hex') : null;
    const hits = (c: PeerCertificate): boolean => {
      const [sha256, sha512] = r.selector === 0 ? [c.sha256, c.sha512] : [c.spkiSha256, c.spkiSha512];
      if (r.matchingType === 0) return sha256 !== '' && full === sha256;
      return (r.matchingType === 1 ? sha256 : sha512) === want && want !== '';
    };
    if (r.usage === 3) {
      const leaf = certs[0];
      if (leaf && hits(leaf)) return { match: { record: r, depth: 0 }, usable: usableRecords.length, notes };
      continue;
    }
    for (let depth = 1; depth <= linked; depth++) {
      if (!hits(certs[depth] as PeerCertificate)) continue;
      const names = opts.names ?? [];
      if (names.length === 0 || leafNameMatches(chain, names)) return { match: { record: r, depth }, usable: usableRecords.length, notes };
      notes.push(`${tlsaAcronyms(r)} matches ${certs[depth]?.subject || 'a certificate'} at depth ${depth}, but the leaf's names (${leafNames(chain).join(', ') || 'none'}) do not match ${names.join(' or ')} (RFC 7672 3.2.2)`);
      break;
    }
  }
  return { match: null, usable: usableRecords.length, notes };
}

/** The leaf's DNS names: subjectAltName dNSNames when it has any, else its subject CN (RFC 7672 §3.2.2). */
export function leafNames(chain: PeerChain): string[] {
  const dns = chain.altNames.filter((n) => isIP(n) === 0 && n.length > 0);
  if (dns.length > 0) return dns;
  const cn = /(?:^|, )CN=([^,]+)/.exec(chain.subject);
  return cn?.[1] ? [cn[1]] : [];
}

function leafNameMatches(chain: PeerChain, references: readonly string[]): boolean {
  const names = leafNames(chain);
  return references.some((ref) => names.some((n) => dnsNameMatches(n, ref)));
}

/** A certificate name against a reference identifier: equal ignoring case and a trailing dot, or `*.rest` for exactly one leftmost label (RFC 6125 §6.4.3). */
export function dnsNameMatches(presented: string, reference: string): boolean {
  const p = presented.toLowerCase().replace(/\.$/, '');
  const r = reference.toLowerCase().replace(/\.$/, '');
  if (p === r) return true;
  if (!p.startsWith('*.')) return false;
  const dot = r.indexOf('.');
  return dot > 0 && r.slice(dot + 1) === p.slice(2) && p.slice(2).includes('.');
}
