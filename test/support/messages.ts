/**
 * Messages for the `message` tests, signed at test time: fresh DKIM keys
 * (node:crypto), signatures made by mailauth's dkimSign (the signer the
 * verifier under test does not share code paths with beyond canonicalization
 * helpers), the public halves published in the loopback DNS server over
 * fixtures/message (SPF and DMARC of sender.test, strict.test, nodmarc.test).
 */
import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { startDnsServer, type TestDnsServer } from '../../src/sandbox/dns-server.js';
import { ZoneStore } from '../../src/sandbox/zone-store.js';
import { FIXTURES } from './fixtures.js';

/** A DKIM key pair: the private key (PEM) and the TXT record of its public half. */
export interface TestDkimKey {
  kind: 'rsa' | 'ed25519';
  bits: number;
  privateKey: string;
  /** `v=DKIM1; k=…; p=…`, as published. */
  record: string;
}

const keys = new Map<string, TestDkimKey>();

/** A fresh key pair (one per kind and size in a test file: RSA key generation takes up to a few hundred ms). */
export function createDkimKey(kind: 1024 | 2048 | 'ed25519' = 2048, label = ''): TestDkimKey {
  const id = `${kind}:${label}`;
  const cached = keys.get(id);
  if (cached) return cached;
  let key: TestDkimKey;
  if (kind === 'ed25519') {
    const pair = generateKeyPairSync('ed25519');
    // RFC 8463 3: p= is the raw 32-byte key, the last 32 bytes of its SubjectPublicKeyInfo.
    const raw = pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    key = { kind: 'ed25519', bits: 256, privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), record: `v=DKIM1; k=ed25519; p=${raw.toString('base64')}` };
  } else {
    const pair = generateKeyPairSync('rsa', { modulusLength: kind });
    const spki = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    key = { kind: 'rsa', bits: kind, privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), record: `v=DKIM1; k=rsa; p=${spki}` };
  }
  keys.set(id, key);
  return key;
}

/** The parts of a test message; line ends are CRLF. */
export interface MessageParts {
  from: string;
  to?: string;
  subject?: string;
  date?: string;
  messageId?: string;
  /** Fields placed above From (Received, Return-Path, Authentication-Results …), each one whole field. */
  trace?: string[];
  /** More fields below the standard ones. */
  extra?: string[];
  body?: string;
}

/** An RFC 5322 message from its parts (CRLF line ends). */
export function buildMessage(parts: MessageParts): string {
  const fields = [
    ...(parts.trace ?? []),
    `From: ${parts.from}`,
    `To: ${parts.to ?? 'Adele Vance <adele@contoso.example>'}`,
    `Subject: ${parts.subject ?? 'Quarterly figures'}`,
    `Date: ${parts.date ?? 'Tue, 05 May 2026 09:30:00 +0000'}`,
    `Message-ID: ${parts.messageId ?? '<m1@sender.test>'}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    ...(parts.extra ?? []),
  ];
  const body = parts.body ?? 'Hello Adele,\r\n\r\nthe figures are attached.\r\n\r\nMegan\r\n';
  return `${fields.join('\r\n')}\r\n\r\n${body}`;
}

/** One signature to add: the signing domain, selector and key, and what to vary. */
export interface TestSigner {
  domain: string;
  selector: string;
  key: TestDkimKey;
  canonicalization?: string;
  algorithm?: 'rsa-sha256' | 'rsa-sha1' | 'ed25519-sha256';
  signTime?: Date;
  expires?: Date;
  maxBodyLength?: number;
}

/**
 * The message with DKIM-Signature fields prepended, one per signer (the
 * first signer's on top). mailauth signs the fields of its default list
 * that the message has (h=), and takes signTime/expires for all signers;
 * a test that needs another h= or i= edits the field after signing.
 */
export async function signMessage(message: string, signers: readonly TestSigner[]): Promise<string> {
  const signatureData = signers.map((s) => ({
    signingDomain: s.domain,
    selector: s.selector,
    privateKey: s.key.privateKey,
    algorithm: s.algorithm ?? (s.key.kind === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256'),
    ...(s.canonicalization ? { canonicalization: s.canonicalization } : {}),
    ...(s.maxBodyLength !== undefined ? { maxBodyLength: s.maxBodyLength } : {}),
    ...(s.expires ? { expires: s.expires } : {}),
  }));
  const signTime = signers.find((s) => s.signTime)?.signTime ?? new Date('2026-05-05T09:30:00Z');
  const expires = signers.find((s) => s.expires)?.expires;
  const signed = await dkimSign(message, {
    signingDomain: signers[0]?.domain ?? '',
    selector: signers[0]?.selector ?? '',
    privateKey: signers[0]?.key.privateKey ?? '',
    signTime,
    ...(expires ? { expires } : {}),
    signatureData,
  });
  if (signed.errors.length > 0) throw new Error(`dkimSign: ${JSON.stringify(signed.errors)}`);
  return signed.signatures + message;
}

/** The name a key is published at. */
export function keyName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

/** A loopback DNS server over fixtures/message (nothing else), for the keys to be published in. */
export function startMessageDns(): Promise<TestDnsServer> {
  return startDnsServer({ zones: new ZoneStore().loadDir(`${FIXTURES}message`) });
}

/** Publishes a key's TXT record (a string of any length: the store splits it into 255-byte strings). */
export function publishKey(server: TestDnsServer, selector: string, domain: string, record: string): void {
  server.zones.replace(keyName(selector, domain), 'TXT', [record]);
}
