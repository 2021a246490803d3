/**
 * The certificate a device presents to a certificate-based inbound connector
 * ("From: Your organization's email server, To: Microsoft 365"), and the
 * rule Microsoft applies to it (research/oauth.md §8, LEARN-MFD [P]): "The
 * common name (CN) or subject alternative name (SAN) in the certificate
 * should contain a domain name that you have registered in Microsoft 365 …
 * you must create a certificate-based connector … with this same domain
 * name". A certificate that names no accepted domain gets `550 5.7.64
 * TenantAttribution; Relay Access Denied` (Learn troubleshoot
 * "relay-access-denied-smtp" [P]). Pure: PEM text in, facts out.
 */
import { X509Certificate } from 'node:crypto';
import { canonicalName } from '../domain/name.js';
import { capList, capText, MAX_LISTED } from '../util/caps.js';

/** What a connector certificate says of itself: its subject, its names, its validity. */
export interface ConnectorCertificate {
  /** `CN=printer.contoso.com, O=Contoso`, as the certificate gives it. */
  subject: string;
  /** The subject CN, then the DNS names of subjectAltName, lower case, each once (at most MAX_LISTED). */
  names: string[];
  /** How many distinct names the certificate holds. */
  namesTotal: number;
  /** ISO 8601, or null when the date does not parse. */
  validFrom: string | null;
  validTo: string | null;
  /** SHA-256 fingerprint, colon-separated hex as Node gives it. */
  fingerprint256: string;
}

/** How a certificate name fits a domain: the domain itself, a wildcard for it, or a name below it. */
export type NameFit = 'exact' | 'wildcard' | 'subdomain';

/** One certificate name that fits one of the domains. */
export interface NameMatch {
  name: string;
  domain: string;
  fit: NameFit;
}

/**
 * The first certificate in a PEM text (other blocks, such as a private key,
 * are skipped by OpenSSL and never read here), or null when there is none
 * or it does not parse.
 */
export function parseConnectorCertificate(pem: string): ConnectorCertificate | null {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return null;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return null;
  }
  const names = [...new Set([...subjectCommonNames(cert.subject), ...dnsAltNames(cert.subjectAltName ?? '')])];
  return {
    subject: capText(cert.subject.split('\n').join(', ')),
    names: capList(names, MAX_LISTED),
    namesTotal: names.length,
    validFrom: isoDate(cert.validFrom),
    validTo: isoDate(cert.validTo),
    fingerprint256: cert.fingerprint256,
  };
}

/**
 * The certificate's names that fit the domains: the domain itself, `*.domain`,
 * or a name below it (`smtp.contoso.com` for `contoso.com`). The exact domain
 * is the documented form; a wildcard or subdomain works when the connector's
 * certificate domain (TlsSenderCertificateName) names it and it lies in an
 * accepted domain [U: Learn says only "contain a domain name that you have
 * registered"]. Pure.
 */
export function certificateNameMatches(cert: Pick<ConnectorCertificate, 'names'>, domains: readonly string[]): NameMatch[] {
  const out: NameMatch[] = [];
  for (const name of cert.names) {
    for (const d of domains) {
      const domain = canonicalName(d);
      const fit: NameFit | null = name === domain ? 'exact' : name === `*.${domain}` ? 'wildcard' : name.endsWith(`.${domain}`) && !name.startsWith('*') ? 'subdomain' : null;
      if (fit) {
        out.push({ name, domain, fit });
        break;
      }
    }
  }
  return out;
}

/** Whether `now` lies outside the certificate's validity: 'expired', 'not-yet-valid', or null (valid, or dates unknown). */
export function certificateValidity(cert: Pick<ConnectorCertificate, 'validFrom' | 'validTo'>, now: Date): 'expired' | 'not-yet-valid' | null {
  const t = now.getTime();
  if (cert.validTo !== null && Date.parse(cert.validTo) < t) return 'expired';
  if (cert.validFrom !== null && Date.parse(cert.validFrom) > t) return 'not-yet-valid';
  return null;
}

/** The CN values of Node's subject text (`CN=a\nO=b`), lower case. */
function subjectCommonNames(subject: string): string[] {
  return subject.split('\n').filter((l) => l.startsWith('CN=')).map((l) => canonicalName(unquote(l.slice(3))));
}

/** The DNS names of Node's subjectAltName text (`DNS:a, DNS:b, IP Address:192.0.2.1`), lower case. */
function dnsAltNames(san: string): string[] {
  return san.split(', ').filter((e) => e.startsWith('DNS:')).map((e) => canonicalName(unquote(e.slice(4))));
}

/** Node quotes a name holding special characters as a JSON string. */
function unquote(s: string): string {
  if (!s.startsWith('"')) return s;
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === 'string' ? v : s;
  } catch {
    return s;
  }
}

function isoDate(s: string): string | null {
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}
