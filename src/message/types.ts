/**
 * The typed data that reading and parsing a message gives (issue 17): the
 * bytes kept by the bounded reader, the header fields, the Received chain,
 * Authentication-Results, Microsoft's anti-spam stamps and a delivery report.
 * Everything here is data taken from the message: header values are text a
 * sender chose, so a renderer escapes every string (src/report/safe-text.ts).
 * No finding codes: the checks that judge these facts live above.
 */

// ---------------------------------------------------------------- reading

/** Options of readMessage / readMessageBytes. Every cap has a default (reader.ts). */
export interface ReadOptions {
  /** Most header-block bytes kept (default MAX_HEADER_BYTES, 1 MiB); the rest is skipped and `headerTruncated` set. */
  maxHeaderBytes?: number;
  /** Most body bytes kept for MIME and DSN analysis (default MAX_BODY_PREFIX_BYTES, 2 MiB); the rest is counted only. */
  maxBodyBytes?: number;
  /**
   * Called with every chunk of the message, in order, as it is read: the bytes
   * from the first header field on (leading blank lines, white space, a byte
   * order mark or an mbox `From ` line skipped, see `skippedBytes`), chunk
   * boundaries kept otherwise. A DKIM body-hash verifier streams the whole
   * message through it in the same pass; a returned promise is awaited before
   * the next chunk is read (back-pressure). The chunks are views of the input:
   * copy one to keep it.
   */
  tee?: (chunk: Uint8Array) => void | Promise<void>;
}

/** How the header block ends its lines. */
export type LineEnding = 'crlf' | 'lf' | 'mixed' | 'none';

/** What the bounded reader kept of a message, and what it only counted. */
export interface ReadMessage {
  /** The header block as read (without the blank line that ends it), at most `maxHeaderBytes`, cut at a line end. */
  header: Uint8Array;
  /** Bytes of the whole header block (also the part not kept). */
  headerBytes: number;
  /** True when the header block was longer than the cap: `header` holds its first lines only. */
  headerTruncated: boolean;
  /** The first `maxBodyBytes` of the body. */
  bodyPrefix: Uint8Array;
  /** Bytes of the whole body (after the blank line). */
  bodyBytes: number;
  /** True when the body was longer than the kept prefix. */
  bodyTruncated: boolean;
  /** True when the input had no blank line: a header-only paste (there is no body). */
  headersOnly: boolean;
  /** Bytes skipped before the first header field (blank lines, white space, a BOM, an mbox `From ` line). */
  skippedBytes: number;
  /** Whether an mbox `From sender date` postmark line was skipped. */
  mboxFromLine: boolean;
  /** Every byte read, skipped ones included. */
  totalBytes: number;
  lineEnding: LineEnding;
}

/** Why an input is not a message (the CLI says one line and exits 2). */
export type NotMessageReason = 'empty' | 'binary' | 'no-header-fields' | 'no-message-fields';

/** An input that is not an RFC 5322 message, with one sentence that says why (no input text in it). */
export interface NotAMessage {
  reason: NotMessageReason;
  /** One sentence, e.g. "the input is binary data (a PNG image), not a message". */
  detail: string;
}

// ---------------------------------------------------------------- header fields

/** One header field, in the order it appears. */
export interface HeaderField {
  /** The field name as written (`Authentication-Results`). */
  name: string;
  /** The name in lower case, for lookups. */
  key: string;
  /** The value as written: folds kept (line ends as LF), not decoded. */
  raw: string;
  /** The value unfolded (RFC 5322 2.2.3: each line end before white space removed), outer white space trimmed, not decoded. */
  value: string;
  /** `value` with RFC 2047 encoded words decoded; the same as `value` when it has none. */
  decoded: string;
  /** 1-based line of the header block the field starts on. */
  line: number;
}

/** What is wrong with a line of the header block that is not (part of) a field. */
export type MalformedLineProblem = 'no-colon' | 'bad-name' | 'continuation-first';

/** A line of the header block that is not a field: kept (capped) so the analysis can say it was skipped. */
export interface MalformedLine {
  line: number;
  problem: MalformedLineProblem;
  /** The line, cut to MAX_TEXT_LENGTH. */
  text: string;
}

/** The fields of a header block. Never thrown for: bad lines are kept in `malformed`. */
export interface ParsedHeaders {
  fields: HeaderField[];
  /** Lines that are neither a field nor a continuation (at most MAX_MALFORMED_LINES kept). */
  malformed: MalformedLine[];
  /** How many malformed lines there were in all. */
  malformedTotal: number;
  /** How many fields the block held (more than `fields.length` when the field cap was reached). */
  fieldsTotal: number;
  /** True when fields were dropped at MAX_HEADER_FIELDS, or the reader cut the header block. */
  truncated: boolean;
}

// ---------------------------------------------------------------- Received chain

/** A TLS session a Received field records (`version=TLS1_2, cipher=…`, `using TLSv1.3 with cipher …`, `(TLSv1.2:…:256)`). */
export interface ReceivedTls {
  /** Node's name when it is recognised (`TLSv1.2`, `TLSv1.3`), else as written; null when only the use of TLS is recorded. */
  version: string | null;
  /** The cipher suite as written, or null. */
  cipher: string | null;
}

/** One Received field (RFC 5321 4.4 trace information), parsed. */
export interface ReceivedHop {
  /** Position in the chain, 0 = the oldest hop (the bottom field). */
  index: number;
  /** The unfolded field value as written. */
  value: string;
  /** The `from` domain (the name the client gave in HELO/EHLO, or an address literal), or null. */
  fromHost: string | null;
  /** The client's IP address the receiving host recorded (`[192.0.2.1]`, `(192.0.2.1)`, `[IPv6:2001:db8::1]`), or null. */
  fromIp: string | null;
  /** The reverse-DNS name the receiving host recorded for the client, when it gave one (`(mail.example.com [192.0.2.1])`). */
  fromReverse: string | null;
  /** The `by` host: the server that wrote the field. */
  byHost: string | null;
  /** `via` (Microsoft: `Frontend Transport`). */
  via: string | null;
  /** `with` protocol (`ESMTPS`, `Microsoft SMTP Server`), or null. */
  protocol: string | null;
  /** `id`. */
  id: string | null;
  /** `for` (the envelope recipient), or null. */
  for: string | null;
  /**
   * Whether the hop used TLS: true when TLS is recorded (a TLS comment, or an
   * RFC 3848 protocol ending in S / SA), false for a protocol that names plain
   * SMTP (`SMTP`, `ESMTP`, `ESMTPA`, `LMTP`, Microsoft's without `(TLS)`/`version=`), null when unknown.
   */
  encrypted: boolean | null;
  /** The TLS version and cipher, when recorded. */
  tls: ReceivedTls | null;
  /** The comments of the field, in order (their text, without the parentheses). */
  comments: string[];
  /** The date-time after the last `;`, as written, or null. */
  date: string | null;
  /** `date` as epoch milliseconds, or null when absent or unreadable. */
  timestamp: number | null;
  /** Seconds since the previous (older) hop, or null when a timestamp is missing. Negative when the clocks disagree. */
  delaySeconds: number | null;
  /** True when `delaySeconds` is negative: this hop's clock is behind the previous one's (clock skew, not time travel). */
  clockSkew: boolean;
  /** Whether the `by` host is one of Microsoft's mail hosts (MICROSOFT_TRACE_SUFFIXES). */
  byMicrosoft: boolean;
  /** Whether the `from` host or its reverse name is one of Microsoft's mail hosts. */
  fromMicrosoft: boolean;
}

/** Where a connecting IP address came from. */
export type ConnectingIpSource =
  /** The from-IP of the oldest hop Microsoft recorded (the first Received field whose `by` host is Microsoft's). */
  | 'received'
  /** `X-MS-Exchange-Organization-OriginalClientIPAddress`. */
  | 'original-client-ip'
  /** `CIP:` of `X-Forefront-Antispam-Report`. */
  | 'forefront-cip'
  /** Microsoft's `spf=… (sender IP is 192.0.2.1)` comment in Authentication-Results. */
  | 'authentication-results';

/** A connecting IP address and the header it was read from. */
export interface ConnectingIp {
  ip: string;
  source: ConnectingIpSource;
  /** The header field name it came from (`Received`, `X-Forefront-Antispam-Report`, …). */
  field: string;
}

/** The Received chain, oldest hop first. */
export interface ReceivedChain {
  hops: ReceivedHop[];
  /** Received fields in the header (more than `hops.length` when MAX_RECEIVED_HOPS was reached: the newest are kept). */
  total: number;
  /** Index of the oldest hop whose `by` host is Microsoft's, or null. */
  firstMicrosoftHop: number | null;
  /** True when any hop's clock is behind the one before it. */
  clockSkew: boolean;
}

/** Every source of the connecting IP, best first, and whether they agree. */
export interface ConnectingIpEvidence {
  /** The first candidate, or null when no header names one. */
  ip: ConnectingIp | null;
  /** Every source that names an address, in the order: received, original-client-ip, forefront-cip, authentication-results. */
  candidates: ConnectingIp[];
  /** False when two sources name different addresses (compared in canonical form). */
  agree: boolean;
}

// ---------------------------------------------------------------- Authentication-Results

/** `ptype.property=value` (RFC 8601 2.2), ptype and property in lower case, the value as written (quotes removed). */
export interface AuthResProperty {
  ptype: string;
  property: string;
  value: string;
}

/** A `name=value` pair with no ptype, which RFC 8601 does not allow but Microsoft writes (`action=oreject`). */
export interface AuthResExtra {
  name: string;
  value: string;
}

/** One `method=result` of an Authentication-Results field. */
export interface AuthResResult {
  /** The method in lower case (`spf`, `dkim`, `dmarc`, `compauth`, `arc`). */
  method: string;
  /** The method version (`dkim/1`), or null. */
  methodVersion: string | null;
  /** The result in lower case (`pass`, `fail`, `bestguesspass`). */
  result: string;
  /** `reason=` (Microsoft's compauth writes its three-digit code there), or null. */
  reason: string | null;
  properties: AuthResProperty[];
  /** Pairs without a ptype, in order (Microsoft's `action=`). */
  extras: AuthResExtra[];
  /** Comment texts in order (`sender IP is 192.0.2.1`). */
  comments: string[];
}

/** An Authentication-Results (RFC 8601) or ARC-Authentication-Results (RFC 8617 4.1.1) field, parsed tolerantly. */
export interface AuthenticationResults {
  /** The authserv-id, or null when the field has none (Microsoft 365 writes none). */
  authservId: string | null;
  /** The version after the authserv-id, or null. */
  version: string | null;
  /** The ARC instance (`i=`), for ARC-Authentication-Results; null otherwise. */
  instance: number | null;
  /** True for the explicit `; none` (no method was applied). */
  none: boolean;
  results: AuthResResult[];
  /** How many results the field held (more than `results.length` when MAX_AUTH_RESULTS was reached). */
  resultsTotal: number;
  /** What does not follow RFC 8601's grammar, in words; the parse goes on past each. Empty for a conforming field. */
  problems: string[];
}

// ---------------------------------------------------------------- Microsoft anti-spam headers

/** One `NAME:value` field of an anti-spam header, with its meaning from the catalog (null when Microsoft does not document it). */
export interface AntispamField {
  /** The field name as written (`SFV`). */
  name: string;
  /** The value as written (may be empty). */
  value: string;
  /** What the field is, in words (`spam filtering verdict`), or null for a field the catalog does not know (kept raw). */
  label: string | null;
  /** What this value means, in words, or null when the catalog has no words for it. */
  meaning: string | null;
}

/** X-Forefront-Antispam-Report, decoded. */
export interface ForefrontReport {
  /** Every field in order, unknown ones kept raw. */
  fields: AntispamField[];
  /** CIP: the connecting IP, when it is an address. */
  cip: string | null;
  ctry: string | null;
  /** H: the HELO/EHLO name. */
  helo: string | null;
  ipv: string | null;
  lang: string | null;
  ptr: string | null;
  /** SCL as a number (-1 to 9), or null. */
  scl: number | null;
  dir: string | null;
  sfty: string | null;
  sfv: string | null;
  cat: string | null;
  srv: string | null;
}

/** X-Microsoft-Antispam, decoded. */
export interface MicrosoftAntispam {
  fields: AntispamField[];
  /** BCL: bulk complaint level 0-9, or null. */
  bcl: number | null;
}

/** The compauth result class of a three-digit reason code (Learn "Anti-spam message headers", `reason`). */
export type CompauthReasonClass = '000' | '001' | '002' | '010' | '1xx' | '2xx' | '3xx' | '4xx' | '6xx' | '7xx' | '9xx';

/** A compauth reason code in words. */
export interface CompauthReason {
  /** The code as written (`001`). */
  code: string;
  /** Its class, or null when Microsoft documents none for it (5xx, 8xx, a code that is not three digits). */
  class: CompauthReasonClass | null;
  /** The compauth result the class goes with (`fail`, `pass`, `softpass`, `none`), or null. */
  result: 'fail' | 'pass' | 'softpass' | 'none' | null;
  /** One sentence, or null for an unknown class. */
  meaning: string | null;
  /** True for 130: ARC overrode a DMARC failure. */
  arcOverride: boolean;
}

/** A single-valued Microsoft stamp (X-MS-Exchange-Organization-SCL, -AuthAs, …) with its meaning. */
export interface MicrosoftStamp {
  /** The header field name as written. */
  field: string;
  /** What the field is, in words. */
  label: string;
  value: string;
  /** What this value means, in words, or null when the catalog has none for it. */
  meaning: string | null;
}

/** Everything Microsoft stamped about spam and authentication, decoded from the header. */
export interface MicrosoftHeaders {
  /** X-Forefront-Antispam-Report (the first, i.e. newest, one), or null. */
  forefront: ForefrontReport | null;
  /** X-Microsoft-Antispam (the first), or null. */
  antispam: MicrosoftAntispam | null;
  /** X-Microsoft-Antispam-Mailbox-Delivery fields (`dest:J`, `RF:JunkEmail`), raw: Microsoft does not document them. Null when absent. */
  mailboxDelivery: AntispamField[] | null;
  /** X-MS-Exchange-Organization-SCL as a number, or null. */
  organizationScl: number | null;
  /** X-MS-Exchange-Organization-AuthAs, -AuthSource, -AuthMechanism, -SCL, -OriginalClientIPAddress, X-CustomSpam …, in header order. */
  stamps: MicrosoftStamp[];
  /** X-MS-Exchange-Organization-OriginalClientIPAddress, when it is an address. */
  originalClientIp: string | null;
  /** The `compauth=` results of Microsoft's Authentication-Results (those with no authserv-id or a Microsoft one), with the reason in words. */
  compauth: { result: string; reason: CompauthReason | null }[];
  /** `sender IP is …` from Microsoft's spf= comment, when it is an address. */
  authResultsSenderIp: string | null;
}

// ---------------------------------------------------------------- delivery reports (DSN / NDR)

/** A `type; value` DSN field (RFC 3464 2.1.2: `rfc822; user@example.com`, `smtp; 550 …`, `dns; mx.example.com`). */
export interface TypedValue {
  /** The type in lower case (`rfc822`, `smtp`, `dns`, `x-postfix`), or null when the `;` is missing. */
  type: string | null;
  /** The value after the `;`, unfolded and trimmed. */
  value: string;
}

/** One per-recipient group of a message/delivery-status part (RFC 3464 2.3), or a recipient of Microsoft's NDR text. */
export interface DsnRecipient {
  /** The failed address (Final-Recipient without its type, or the address of Microsoft's NDR text). */
  recipient: string | null;
  finalRecipient: TypedValue | null;
  originalRecipient: TypedValue | null;
  /** Action in lower case (`failed`, `delayed`, `delivered`, `relayed`, `expanded`), or null. */
  action: string | null;
  /** The Status field's code (`5.1.10`, a trailing comment removed), or null. */
  status: string | null;
  /** The enhanced status code found in the diagnostic text (`550 5.7.1 …` gives `5.7.1`), or null. */
  diagnosticStatus: string | null;
  /**
   * The most specific code: the diagnostic one when Status is missing or only
   * says `X.0.0` of the same class, else Status. What to explain.
   */
  statusCode: string | null;
  /** The SMTP reply code of the diagnostic text (`550`), or null. */
  replyCode: number | null;
  /** Diagnostic-Code (`smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; …`), or Microsoft's `Remote Server returned '…'` text. */
  diagnosticCode: TypedValue | null;
  remoteMta: TypedValue | null;
  lastAttemptDate: string | null;
  willRetryUntil: string | null;
  /** Every field of the group as written. */
  fields: HeaderField[];
}

/** Where a report's facts came from. */
export type ReportSource =
  /** A message/delivery-status (or message/global-delivery-status, RFC 6533) part. */
  | 'delivery-status'
  /** DSN fields found in the text of a report whose MIME structure is broken. */
  | 'delivery-status-text'
  /** Microsoft's NDR text (`Remote Server returned '…'`), with no machine-readable part. */
  | 'ndr-text';

/** A non-delivery or delivery-status report. */
export interface DeliveryReport {
  source: ReportSource;
  /** Reporting-MTA (RFC 3464 2.2.2), or null. */
  reportingMta: TypedValue | null;
  /** Microsoft's `Generating server:`, or null. */
  generatingServer: string | null;
  receivedFromMta: TypedValue | null;
  arrivalDate: string | null;
  originalEnvelopeId: string | null;
  /** The per-message fields as written (empty for NDR text). */
  messageFields: HeaderField[];
  /** Per-recipient groups in order (at most MAX_DSN_RECIPIENTS). */
  recipients: DsnRecipient[];
  /** How many recipient groups there were in all. */
  recipientsTotal: number;
  /** The returned message's headers (text/rfc822-headers, message/rfc822, or Microsoft's `Original message headers:`), parsed like any header. */
  returnedHeaders: ParsedHeaders | null;
  /** Where `returnedHeaders` came from, or null. */
  returnedFrom: 'text/rfc822-headers' | 'message/rfc822' | 'ndr-text' | null;
}

// ---------------------------------------------------------------- the whole

/** A message read and parsed: what the lead's analysis starts from. */
export interface ParsedMessage {
  /** Why the input is not a message, or null when it is one. When set, the other sections are empty. */
  notMessage: NotAMessage | null;
  headers: ParsedHeaders;
  received: ReceivedChain;
  connectingIp: ConnectingIpEvidence;
  /** Every Authentication-Results field, newest (top) first. */
  authenticationResults: AuthenticationResults[];
  /** Every ARC-Authentication-Results field, in header order. */
  arcAuthenticationResults: AuthenticationResults[];
  microsoft: MicrosoftHeaders;
  /** The delivery report, when the message is one (a DSN, or Microsoft's NDR text), else null. */
  report: DeliveryReport | null;
  /** Size facts from the reader. */
  size: { headerBytes: number; bodyBytes: number; headerTruncated: boolean; bodyTruncated: boolean; headersOnly: boolean };
}
