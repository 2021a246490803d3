/**
 * The typed report of `m365audit message` (issue 17): one message or NDR
 * read once, its route, what the receiver recorded (Authentication-Results,
 * ARC, Microsoft's anti-spam stamps, decoded to words), m365audit's own
 * verdicts against today's DNS, where the two differ, an NDR's failed
 * recipients explained, the diagnosis, the findings and the fixes as
 * records. JSON field names are a contract (schema/message.schema.json).
 *
 * Every string here that came from the message is text a sender chose: a
 * renderer escapes each one (src/report/safe-text.ts). No body text is ever
 * kept: the report holds header facts, sizes and verdicts only.
 */
import type { Finding, FindingCode } from '../findings/catalog.js';
import type { DmarcPolicy } from '../dmarc/parse.js';
import type { Cloud } from '../m365/clouds.js';
import type { DmarcAlignmentVerdict } from './align.js';
import type { VerdictDifference } from './compare.js';
import type { DkimVerification } from './dkim-verify.js';
import type { MessageSpf } from './spf-check.js';
import type {
  AntispamField, AuthResProperty, CompauthReason, ConnectingIp, ConnectingIpSource, ForefrontReport, LineEnding, MicrosoftAntispam, MicrosoftStamp,
  ReceivedHop, ReportSource,
} from './types.js';

/** What the input was: a message (or header paste), or a non-delivery / delivery-status report. */
export type MessageKind = 'message' | 'ndr';

/** Sizes and shape of the input, from the reader (no content). */
export interface MessageInput {
  /** Every byte read. */
  bytes: number;
  headerBytes: number;
  bodyBytes: number;
  /** No blank line: headers pasted alone (no body, so DKIM body hashes are not checked). */
  headersOnly: boolean;
  /** The header block was longer than the reader keeps (1 MiB): only its first fields were analysed. */
  headerTruncated: boolean;
  lineEnding: LineEnding;
  /** Header fields in the block (all of them, also those past the field cap). */
  fields: number;
  /** Lines of the header block that are not fields (skipped). */
  malformedLines: number;
}

/** The originator and identification fields, decoded (RFC 2047), each capped; null when absent. */
export interface MessageSummary {
  /** The first From field, encoded words decoded. */
  from: string | null;
  /** Every address of every From field (RFC 5322 3.6.2 allows one From field, RFC 7489 6.6.1 evaluates all of them). */
  fromAddresses: string[];
  /** The one From domain DMARC evaluates, or null (none, several, or not a domain name). */
  fromDomain: string | null;
  sender: string | null;
  replyTo: string | null;
  to: string | null;
  subject: string | null;
  date: string | null;
  messageId: string | null;
  /** The first (topmost) Return-Path: the reverse path the last server saw. */
  returnPath: string | null;
  /** Fields RFC 5322 3.6 allows once that appear more than once (lower case), in order of first appearance. */
  duplicated: string[];
}

/**
 * One hop of the route, oldest first (the Received fields read bottom up):
 * the parsed Received field (types.ts ReceivedHop) without its raw value,
 * comments, envelope recipient and epoch timestamp.
 */
export type RouteHop = Omit<ReceivedHop, 'value' | 'for' | 'comments' | 'timestamp'>;

/** The Received chain as a route. */
export interface MessageRoute {
  hops: RouteHop[];
  /** Received fields in the header (more than `hops` when the cap was reached). */
  total: number;
  /** Index of the first hop Microsoft recorded (the connection from outside), or null. */
  firstMicrosoftHop: number | null;
  clockSkew: boolean;
  /** Seconds from the oldest to the newest hop with a date, or null. */
  totalSeconds: number | null;
}

/** The connecting IP the SPF check used, where it came from, and every candidate the headers name. */
export interface ConnectingIpChoice {
  ip: string | null;
  /** `option`: given with --ip; otherwise the header source (see ConnectingIpSource). */
  source: ConnectingIpSource | 'option' | null;
  /** The header field it was read from, or null. */
  field: string | null;
  candidates: ConnectingIp[];
  /** False when two headers name different addresses (one tenant relaying to another: then Microsoft's CIP is used). */
  agree: boolean;
}

/** One recorded result with its words. */
export interface RecordedResult {
  method: string;
  result: string;
  /** Microsoft's meaning of the result (Learn), or null. */
  meaning: string | null;
  reason: string | null;
  /** compauth's reason code in words, or null. */
  compauthReason: CompauthReason | null;
  /** dmarc's `action=`, or null. */
  action: string | null;
  actionMeaning: string | null;
  properties: AuthResProperty[];
  comments: string[];
}

/** One Authentication-Results or ARC-Authentication-Results field, decoded. */
export interface RecordedAuthResults {
  field: 'Authentication-Results' | 'ARC-Authentication-Results';
  authservId: string | null;
  /** ARC instance (i=), or null. */
  instance: number | null;
  /** Written by Microsoft 365 (no authserv-id, or a Microsoft host). */
  microsoft: boolean;
  results: RecordedResult[];
  resultsTotal: number;
  /** Where the field does not follow RFC 8601 (Microsoft's shape always has some). */
  problems: string[];
}

/** An ARC-Seal (RFC 8617 4.1.3): instance, chain validation and signer; not verified. */
export interface ArcSealFacts {
  instance: number | null;
  /** cv=: none, pass or fail, as the sealer recorded it. */
  cv: string | null;
  domain: string | null;
  selector: string | null;
}

/** What the receiver recorded, decoded: its summary of SPF, DKIM, DMARC and compauth, every field, ARC, and the anti-spam stamps. */
export interface RecordedVerdicts {
  /** Whose Authentication-Results the summary comes from: Microsoft 365's, another receiver's, or none recorded. */
  receiver: 'microsoft' | 'other' | null;
  spf: { result: string; meaning: string | null; mailFrom: string | null; senderIp: string | null } | null;
  dkim: { result: string; meaning: string | null; domain: string | null; selector: string | null }[];
  dmarc: { result: string; meaning: string | null; action: string | null; actionMeaning: string | null; headerFrom: string | null } | null;
  compauth: { result: string; meaning: string | null; reason: CompauthReason | null } | null;
  /** Every Authentication-Results field, topmost first (capped). */
  authenticationResults: RecordedAuthResults[];
  arc: { authenticationResults: RecordedAuthResults[]; seals: ArcSealFacts[] };
  antispam: AntispamFacts;
}

/** Microsoft's anti-spam stamps, decoded (src/message/antispam.ts's catalog). */
export interface AntispamFacts {
  forefront: ForefrontReport | null;
  microsoftAntispam: MicrosoftAntispam | null;
  mailboxDelivery: AntispamField[] | null;
  stamps: MicrosoftStamp[];
  /** SCL from X-Forefront-Antispam-Report, else X-MS-Exchange-Organization-SCL. */
  scl: number | null;
  sclMeaning: string | null;
  bcl: number | null;
  bclMeaning: string | null;
  /** The default anti-spam policy's bulk threshold (7). */
  bulkThreshold: number;
  /** Where the mailbox put it, from X-Microsoft-Antispam-Mailbox-Delivery (dest:J, RF:JunkEmail): true junk, false inbox, null not recorded. */
  junkFolder: boolean | null;
}

/** Where the reverse path (MAIL FROM) and the HELO name came from. */
export interface MessageIdentity {
  /** The reverse path checked (an address, `postmaster@domain` for a bare domain, or '' for the null sender), or null when no header names it. */
  mailFrom: string | null;
  mailFromSource: 'return-path' | 'smtp.mailfrom' | null;
  helo: string | null;
  heloSource: 'forefront' | 'received' | null;
}

/** SPF not evaluated for want of a connecting IP. */
export interface MessageSpfNoIp {
  status: 'not-evaluated';
  problem: 'no-ip';
  message: string;
}

/** m365audit's verdicts against today's DNS. */
export interface MessageVerdicts {
  identity: MessageIdentity;
  spf: MessageSpf | MessageSpfNoIp;
  /** The DKIM verdicts, or null when the signatures were not checked (`dkimNote` says why). */
  dkim: DkimVerification | null;
  dkimNote: string | null;
  dmarc: DmarcAlignmentVerdict;
  /** False when SPF was not evaluated, or a lookup SPF or DKIM needed failed (temperror): a DMARC `fail` then only says that no known result aligned, and it is not judged. */
  dmarcComplete: boolean;
}

/** One header block analysed: the message's own, or the original returned in an NDR. */
export interface HeaderAnalysis {
  summary: MessageSummary;
  route: MessageRoute;
  connectingIp: ConnectingIpChoice;
  recorded: RecordedVerdicts;
  /** Our verdicts, or null when none were computed (an NDR's own headers: the notice is Microsoft's). */
  verdicts: MessageVerdicts | null;
  /** Where today's verdicts and the recorded ones differ. */
  differences: VerdictDifference[];
}

/** A failed (or delayed) recipient of an NDR, with its code explained from the shared catalog. */
export interface NdrRecipient {
  recipient: string | null;
  action: string | null;
  status: string | null;
  /** The code explained (the more specific of Status and the diagnostic's). */
  statusCode: string | null;
  replyCode: number | null;
  diagnosticCode: string | null;
  remoteMta: string | null;
  explanation: NdrExplanation | null;
}

/** explainDeliveryStatus's answer, as the report keeps it. */
export interface NdrExplanation {
  /** The catalog entry (`5.7.23`, `5.7.606-649`), or null for a code only RFC 3463 explains. */
  id: string | null;
  title: string;
  meaning: string;
  cause: string | null;
  fix: string | null;
  /** Microsoft's meaning (the reply looks Microsoft's, or only Microsoft sends the code). */
  microsoft: boolean;
}

/** The original message an NDR returned, analysed like a message. */
export interface ReturnedMessage {
  /** The part it came from. */
  from: 'text/rfc822-headers' | 'message/rfc822' | 'ndr-text';
  headers: HeaderAnalysis;
}

/** A non-delivery or delivery-status report. */
export interface NdrReport {
  source: ReportSource;
  reportingMta: string | null;
  generatingServer: string | null;
  arrivalDate: string | null;
  recipients: NdrRecipient[];
  recipientsTotal: number;
  returned: ReturnedMessage | null;
}

/** Where the message ended up, as the recorded headers (or the NDR) show it. */
export type MessageOutcome = 'delivered' | 'junked' | 'quarantined' | 'rejected' | 'bounced' | 'delayed' | 'unknown';

/** Why a DKIM signature does not verify, in one word. */
export type DkimFailureKind = 'body-changed' | 'bad-signature' | 'key-missing' | 'key-revoked' | 'key-unusable' | 'key-too-small' | 'expired' | 'not-processed';

/**
 * One cause of the diagnosis: the finding code it stands for and the facts
 * its sentence is built from. Which fields are set depends on the code.
 */
export interface DiagnosisCause {
  code: FindingCode;
  /** Which header block: the message itself, or the original an NDR returned. */
  scope: 'message' | 'returned';
  ip?: string | null;
  domain?: string | null;
  selector?: string | null;
  result?: string | null;
  /** Whether the fact comes from what the receiver recorded (true) or from today's DNS (false). */
  recorded?: boolean;
  /** The DMARC policy applied (after t=y), its tag and the published value. */
  policy?: DmarcPolicy | null;
  policyTag?: 'p' | 'sp' | 'np' | null;
  spfAligned?: boolean;
  dkimAligned?: boolean;
  /** compauth's reason code and its class. */
  reason?: string | null;
  reasonClass?: string | null;
  dkimFailure?: DkimFailureKind;
  /** The signing domains of the message (MESSAGE_DKIM_NOT_ALIGNED). */
  signingDomains?: string[];
  category?: string | null;
  scl?: number | null;
  sfv?: string | null;
  bcl?: number | null;
  threshold?: number;
  recipient?: string | null;
  statusCode?: string | null;
  explanationId?: string | null;
  method?: 'spf' | 'dkim' | 'dmarc';
  now?: string;
}

/** The diagnosis, first in every format: the outcome, the causes (each a finding code), and one to three sentences built from them. */
export interface Diagnosis {
  outcome: MessageOutcome;
  /** The header that shows the outcome (`X-Microsoft-Antispam-Mailbox-Delivery dest:J`), or null. */
  outcomeEvidence: string | null;
  /** The cause that decided the outcome (the first authentication step that failed, Microsoft's phishing or bulk verdict, the NDR), or null when nothing went wrong. */
  primary: FindingCode | null;
  /** Every cause, in the order they lead to each other (SPF, DKIM, DMARC, compauth, then content verdicts). */
  causes: DiagnosisCause[];
  /** One to three sentences: why, and what to fix. */
  sentences: string[];
}

/** A DNS record to publish or change, copyable as it is. */
export interface FixRecord {
  /** The finding it fixes. */
  code: FindingCode;
  /** The owner name (no trailing dot). */
  name: string;
  type: 'TXT' | 'CNAME';
  /** The record's value: a TXT's text (unquoted) or a CNAME's target. */
  value: string;
  /** `replace`: the record at `name` today is to be replaced by this one; `add`: a new record. */
  action: 'replace' | 'add';
  /** What the change does, in one sentence. */
  note: string;
}

/** The run's audit trail of a `message` run (JSON `run`). */
export interface MessageRunOptions {
  /** The input as named: a file, or `-` for stdin. */
  input: string;
  /** --ip, or null. */
  ip: string | null;
  /** --audit: the From domain was audited too. */
  audit: boolean;
  timeoutMs: number;
  retries: number;
}

/** The report of one message or NDR. */
export interface MessageReport {
  kind: MessageKind;
  /** When the analysis began (UTC ISO 8601, from the context's clock). */
  analysedAt: string;
  /** The cloud whose names the fixes use (from the route's Microsoft hosts; worldwide by default). */
  cloud: Cloud;
  input: MessageInput;
  diagnosis: Diagnosis;
  findings: Finding[];
  fixes: FixRecord[];
  /** The input's own header block. For an NDR: the report's headers (their verdicts are not computed). */
  message: HeaderAnalysis;
  ndr: NdrReport | null;
  /** Plain notes that are not findings (what was not checked, and why). */
  notes: string[];
  timing: { ms: number; queries: number };
}
