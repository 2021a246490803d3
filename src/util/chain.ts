/**
 * One certificate of a chain a TLS server presented, as the MX probe records
 * it (src/smtp/channel.ts) and DANE matching reads it (src/transport/tlsa.ts):
 * the two floors may not import each other, so the one shape lives here.
 */

/** One certificate of a presented chain: its names, the digests TLSA matching compares (hex), and how it links to the next. */
export interface ChainCertificate {
  subject: string;
  issuer: string;
  /** SHA-256 and SHA-512 of the certificate's DER. */
  sha256: string;
  sha512: string;
  /** SHA-256 and SHA-512 of its SubjectPublicKeyInfo DER ('' when the key could not be read). */
  spkiSha256: string;
  spkiSha512: string;
  /** Subject and issuer are the same name (a root, or a self-signed leaf). */
  selfIssued: boolean;
  /** The next certificate of the chain issued it and its signature verifies with that one's key. */
  signedByNext: boolean;
}
