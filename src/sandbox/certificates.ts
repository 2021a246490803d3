/**
 * Certificates made at run time for the sandbox's TLS servers (SMTP
 * STARTTLS, HTTPS): a throw-away CA and a leaf it issues, with the names the
 * servers answer for. A client trusts `caPem` (`--tls-ca`); nothing is
 * written to disk here.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { generate } from 'selfsigned';

/** A throw-away CA and a server certificate it issued, as PEM (createTestCertificates). */
export interface TestCertificates {
  /** The throw-away CA that issued `certPem`: what a client trusts. */
  caPem: string;
  certPem: string;
  keyPem: string;
  /** DNS names and IP addresses the certificate covers. */
  names: string[];
}

/** Options of createTestCertificates: the names and validity of the server certificate. */
export interface CertificateOptions {
  /** Names for subjectAltName (default: localhost, 127.0.0.1, ::1). */
  names?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

const DEFAULT_NAMES = ['localhost', '127.0.0.1', '::1'];
let defaultCertificates: Promise<TestCertificates> | null = null;

/**
 * A CA and a server certificate it issued. EC P-256 keys: generated in
 * milliseconds, where RSA 2048 costs up to a second per key.
 */
export async function createTestCertificates(opts: CertificateOptions = {}): Promise<TestCertificates> {
  if (!opts.names && !opts.notBefore && !opts.notAfter) {
    defaultCertificates ??= issue(DEFAULT_NAMES);
    return defaultCertificates;
  }
  return issue(opts.names ?? DEFAULT_NAMES, opts.notBefore, opts.notAfter);
}

async function issue(names: string[], notBefore?: Date, notAfter?: Date): Promise<TestCertificates> {
  return (await createTestCa()).issue({ names, ...(notBefore ? { notBefore } : {}), ...(notAfter ? { notAfter } : {}) });
}

/** A throw-away CA that issues as many server certificates as asked (createTestCa): one CA for many names. */
export interface TestCa {
  /** The CA's certificate: what a client trusts. */
  caPem: string;
  /** A server certificate for `opts.names` (default: localhost, 127.0.0.1, ::1), signed by this CA. */
  issue(opts?: CertificateOptions): Promise<TestCertificates>;
}

/**
 * A throw-away CA (EC P-256, valid from a day ago for 30 days). `commonName`
 * tells two CAs apart: OpenSSL looks an issuer up by its name, so a leaf of
 * another CA with the same name fails on its signature instead of on a
 * missing issuer. The default, "m365audit test CA <8 hex digits>", is unique
 * per CA, so one --tls-ca file may hold several sandbox CAs (the SMTP
 * endpoint's and the MTA-STS policy host's).
 */
export async function createTestCa(opts: { commonName?: string } = {}): Promise<TestCa> {
  const now = Date.now();
  const ca = await generate([{ name: 'commonName', value: opts.commonName ?? `m365audit test CA ${randomBytes(4).toString('hex')}` }, { name: 'organizationName', value: 'm365audit tests' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 86_400_000),
    notAfterDate: new Date(now + 30 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return {
    caPem: ca.cert,
    async issue(leafOpts = {}) {
      const names = leafOpts.names ?? DEFAULT_NAMES;
      const at = Date.now();
      const leaf = await generate([{ name: 'commonName', value: names[0] ?? 'localhost' }], {
        keyType: 'ec',
        algorithm: 'sha256',
        notBeforeDate: leafOpts.notBefore ?? new Date(at - 86_400_000),
        notAfterDate: leafOpts.notAfter ?? new Date(at + 30 * 86_400_000),
        ca: { key: ca.private, cert: ca.cert },
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: names.map((n) => (net.isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
        ],
      });
      return { caPem: ca.cert, certPem: leaf.cert, keyPem: leaf.private, names };
    },
  };
}
