/**
 * Microsoft 365-style trace fields for the `message` tests: the receiver's
 * Received hops (the EOP edge and an internal hop, TLS recorded), its
 * Authentication-Results (no authserv-id, `action=`, `compauth=… reason=`),
 * X-Forefront-Antispam-Report, X-Microsoft-Antispam, the mailbox delivery
 * stamp and the organization SCL, in the order Exchange Online writes them
 * above a message it received. Documentation addresses only.
 */
import { Readable } from 'node:stream';

/** What the receiver recorded about one message. */
export interface Recorded {
  ip: string;
  helo?: string;
  /** The reverse path (Return-Path). */
  returnPath?: string | null;
  spf: string;
  mailFrom: string;
  dkim: string;
  dkimDomain?: string;
  dmarc: string;
  action: string;
  headerFrom: string;
  compauth: string;
  reason: string;
  scl: number;
  sfv: string;
  cat?: string;
  srv?: string;
  bcl?: number;
  /** X-Microsoft-Antispam-Mailbox-Delivery dest: J (Junk Email), I (Inbox), or none. */
  dest?: 'J' | 'I' | null;
}

/** The fields Exchange Online puts above a message it received (newest first), one string per field, CRLF folds. */
export function microsoftTrace(r: Recorded): string[] {
  const helo = r.helo ?? 'mail.sender.test';
  const fields = [
    ...(r.returnPath === null ? [] : [`Return-Path: <${r.returnPath ?? r.mailFrom}>`]),
    'Received: from BN9PR03CA0123.namprd03.prod.outlook.com (2001:db8:408:fe::8)\r\n by DM6PR03MB1234.namprd03.prod.outlook.com (2001:db8:5:1d0::12) with\r\n Microsoft SMTP Server (version=TLS1_2,\r\n cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8489.25; Tue, 5 May 2026\r\n 09:30:03 +0000',
    `Authentication-Results: spf=${r.spf} (sender IP is ${r.ip})\r\n smtp.mailfrom=${r.mailFrom.includes('@') ? r.mailFrom.slice(r.mailFrom.lastIndexOf('@') + 1) : r.mailFrom}; dkim=${r.dkim} (signature was verified)\r\n header.d=${r.dkimDomain ?? 'none'};dmarc=${r.dmarc} action=${r.action}\r\n header.from=${r.headerFrom};compauth=${r.compauth} reason=${r.reason}`,
    `Received: from ${helo} (${r.ip}) by\r\n BN2PEPF000044A9.mail.protection.outlook.com (198.51.100.154) with Microsoft\r\n SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id\r\n 15.20.8489.16 via Frontend Transport; Tue, 5 May 2026 09:30:02 +0000`,
    'X-MS-Exchange-Organization-AuthAs: Anonymous',
    `X-MS-Exchange-Organization-SCL: ${r.scl}`,
    `X-Forefront-Antispam-Report:\r\n CIP:${r.ip};CTRY:NL;LANG:en;SCL:${r.scl};SRV:${r.srv ?? ''};IPV:NLI;SFV:${r.sfv};H:${helo};PTR:${helo};CAT:${r.cat ?? 'NONE'};SFS:(13230040);DIR:INB;`,
    `X-Microsoft-Antispam: BCL:${r.bcl ?? 0};ARA:13230040;`,
    ...(r.dest ? [`X-Microsoft-Antispam-Mailbox-Delivery:\r\n ucf:0;jmr:0;auth:0;dest:${r.dest};ENG:(910005);`] : []),
  ];
  return fields;
}

/** `fields` placed above a (signed) message. */
export function withTrace(fields: readonly string[], message: string): string {
  return `${fields.join('\r\n')}\r\n${message}`;
}

/** A message as the chunks a file stream gives (64 KiB). */
export function chunks(message: string | Buffer, size = 64 * 1024): Readable {
  const bytes = typeof message === 'string' ? Buffer.from(message) : message;
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
  return Readable.from(parts);
}
