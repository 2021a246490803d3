/**
 * SMTP and NDR codes as Microsoft 365 uses them (reference §9, R2.7), and the
 * RFC 3463 structure of enhanced status codes for everything else.
 * `explainCode` accepts what people paste: `535 5.7.3`, `535-5.7.139`,
 * `5.7.139`, a whole NDR line, or a bare reply code such as `530`; and the
 * Microsoft Entra token endpoint's `AADSTS7000215` (aadsts.ts).
 * `explainDeliveryStatus` explains one recipient of a DSN (RFC 3464): its
 * Status and Diagnostic-Code.
 *
 * Microsoft uses some registered codes for something else (5.1.10 is
 * "recipient not found" in Exchange Online, a null MX in RFC 7505). Such an
 * entry carries the registered meaning as `generic`: Microsoft's meaning comes
 * first when the reply looks Microsoft's (ndr-codes.ts, findMicrosoftMarkers),
 * the registered one otherwise, and the explanation names the other.
 */
import type { FindingCode } from '../findings/catalog.js';
import { describeBasicAuthTimeline } from './timeline.js';
import { aadstsErrorUrl, findAadsts, parseAadstsCode } from './aadsts.js';
import { findMicrosoftMarkers, NDR_CODES, type CodeEntry } from './ndr-codes.js';

export type { CodeEntry, CodeVariant, GenericMeaning } from './ndr-codes.js';

const one = (d: number): readonly [number, number] => [d, d];

/** Client submission (AUTH) codes of smtp.office365.com, which the probe's AUTH test maps to findings (reference §9, R2.3). */
const SUBMISSION_CODES: readonly CodeEntry[] = [
  {
    id: '5.7.139', cls: 5, subject: 7, detail: one(139), replyCodes: [535], source: 'microsoft',
    title: 'Authentication unsuccessful: SMTP AUTH is blocked',
    meaning: 'Exchange Online refused basic SMTP AUTH before it looked at the password: the protocol is switched off or a policy blocks it.',
    cause: 'SMTP AUTH is disabled for the tenant or the mailbox, or Conditional Access, Security Defaults or a basic-authentication block stops the sign-in.',
    fix: 'Turn SMTP AUTH on for the mailbox (Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false) or the tenant (Set-TransportConfig -SmtpClientAuthenticationDisabled $false); if a policy blocks it, move the app to OAuth (XOAUTH2) or exclude it from the policy.',
    finding: 'SMTP_AUTH_DISABLED',
    variants: [
      {
        pattern: /SmtpClientAuthentication\s+is\s+disabled/i,
        title: 'SMTP AUTH is disabled for the tenant or mailbox',
        meaning: 'Authenticated client submission (SMTP AUTH) is switched off for this mailbox or the whole tenant.',
        cause: 'Tenants created after January 2020 have SMTP AUTH off by default; an admin may also have turned it off per mailbox.',
        fix: 'Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false, or tenant-wide Set-TransportConfig -SmtpClientAuthenticationDisabled $false (the mailbox setting wins over the tenant one).',
      },
      {
        pattern: /did not meet the criteria|basic authentication is disabled|security defaults|locked by/i,
        title: 'SMTP AUTH blocked by Conditional Access, Security Defaults or a basic-auth block',
        meaning: 'The sign-in was stopped by a policy, not by the SMTP AUTH switch.',
        cause: 'Security Defaults or a Conditional Access policy blocks legacy (basic) authentication for this account.',
        fix: 'Use OAuth 2.0 (XOAUTH2 with the https://outlook.office.com/SMTP.Send scope), or exclude the device or service account from the policy.',
      },
    ],
  },
  {
    // No generic reading: sent with 535 (RFC 4954 §6: credentials invalid), the reply is a failed sign-in whatever
    // RFC 3463 registers for X.7.3; the meaning names the registered one.
    id: '5.7.3', cls: 5, subject: 7, detail: one(3), replyCodes: [535], source: 'microsoft',
    title: 'Authentication unsuccessful',
    meaning: 'Exchange Online rejected the credentials of the AUTH command. (RFC 3463 defines X.7.3 as a failed security conversion; Microsoft uses it for failed sign-ins.)',
    cause: 'Wrong user name or password, an account that needs MFA or an app password, a locked or unlicensed account, or an OAuth service principal without permission on the mailbox. With XOAUTH2 (the probe reports SMTP_OAUTH_FAILED) Exchange Online gives this one reply to every token problem (wrong audience, expired, no SMTP.SendAsApp, a service principal registered with the wrong object id, no mailbox permission), so the token\'s claims tell which.',
    fix: 'Check the user name (the full UPN) and password; for OAuth grant the app SMTP.Send and add the service principal to the mailbox (Add-MailboxPermission); sign in once interactively to clear a lock.',
    finding: 'SMTP_AUTH_FAILED',
  },
  {
    id: '5.7.57', cls: 5, subject: 7, detail: one(57), replyCodes: [530], source: 'microsoft',
    title: 'Client not authenticated to send mail',
    meaning: 'The client tried to send through smtp.office365.com without authenticating first (anonymous mail during MAIL FROM).',
    cause: 'The device or app has no credentials configured, or it gave up on AUTH (for example because STARTTLS failed) and sent anyway.',
    fix: 'Configure credentials (SMTP AUTH or OAuth) on smtp.office365.com port 587 with STARTTLS, or send without authentication to the MX host (direct send, tenant recipients only) or through a relay connector.',
    finding: 'SMTP_AUTH_OTHER',
  },
  {
    id: '5.7.60', cls: 5, subject: 7, detail: one(60), replyCodes: [550, 554], source: 'microsoft',
    title: 'Client does not have permissions to send as this sender',
    meaning: 'The From address differs from the mailbox that authenticated, and that mailbox may not send as it.',
    cause: 'The app signs in as one mailbox but sends From another address (a shared mailbox, a distribution list, a no-reply name).',
    fix: 'Grant the signing-in mailbox Send As on the From address (Add-RecipientPermission), make the From address match, or relay through a connector.',
  },
  {
    id: '5.2.252', cls: 5, subject: 2, detail: one(252), replyCodes: [554], source: 'microsoft',
    title: 'SendAsDenied',
    meaning: 'The sender is not allowed to send as the From address.',
    cause: 'The authenticated mailbox has no Send As right on the From address.',
    fix: 'Grant Send As (Add-RecipientPermission -AccessRights SendAs), send From the authenticated mailbox, or use a relay connector.',
  },
  {
    id: '5.7.30', cls: 5, subject: 7, detail: one(30), replyCodes: [550], source: 'microsoft',
    title: 'Basic authentication is not supported for Client Submission',
    meaning: 'Basic (user name and password) SMTP AUTH has been retired for this tenant.',
    cause: `Microsoft has removed basic authentication for client submission on smtp.office365.com and smtp-legacy.office365.com (Exchange Team blog 4114750). ${describeBasicAuthTimeline()}`,
    fix: 'Move the app to OAuth 2.0 (XOAUTH2; test it with m365audit probe --auth-user USER --oauth), or send through High Volume Email, Azure Communication Services Email, direct send, or a relay connector (m365audit send-paths).',
    finding: 'SMTP_BASIC_AUTH_RETIRED',
    generic: {
      ref: 'RFC 8689', title: 'REQUIRETLS support required',
      meaning: 'The message was sent with REQUIRETLS (TLS on every hop), and the next server on its way does not support REQUIRETLS, so it cannot be passed on.',
      cause: 'A server on the path lacks REQUIRETLS (RFC 8689).',
      fix: 'Send without REQUIRETLS, or through servers that support it.',
    },
    wording: /Basic authentication is not supported/i,
  },
];

/** The catalog of SMTP and NDR codes explainCode knows by name (reference §9, R2.7); other codes are explained from RFC 3463's classes and subjects. */
export const SMTP_CODES: readonly CodeEntry[] = [...SUBMISSION_CODES, ...NDR_CODES];

/** Basic reply codes (RFC 5321 4.2.2, RFC 4954, RFC 3207), in our own words. */
const REPLY_CODES: Record<number, string> = {
  211: 'System status or help reply.',
  214: 'Help message.',
  220: 'Service ready (greeting, or ready to start TLS after STARTTLS).',
  221: 'Service closing the connection.',
  235: 'Authentication succeeded.',
  250: 'Requested action completed.',
  251: 'User not local; the server will forward.',
  252: 'Cannot verify the user, but will accept the message.',
  334: 'Authentication challenge: the server waits for the next SASL step.',
  354: 'Start mail input.',
  421: 'Service not available; the server is closing the connection.',
  432: 'A password transition is needed.',
  450: 'Mailbox unavailable (busy or temporarily blocked); try again later.',
  451: 'Local error in processing; try again later.',
  452: 'Insufficient system storage, or too many recipients; try again later.',
  454: 'Temporary authentication failure, or TLS not available for now.',
  455: 'The server cannot accommodate the parameters now.',
  500: 'Syntax error: command not recognized.',
  501: 'Syntax error in parameters or arguments.',
  502: 'Command not implemented.',
  503: 'Bad sequence of commands.',
  504: 'Command parameter (or authentication mechanism) not implemented.',
  521: 'The host does not accept mail.',
  530: 'Authentication required (or STARTTLS must come first).',
  534: 'The authentication mechanism is too weak.',
  535: 'Authentication credentials invalid (AUTH rejected).',
  538: 'Encryption required for the requested authentication mechanism.',
  550: 'Requested action not taken: mailbox unavailable, or refused by policy.',
  551: 'User not local.',
  552: 'Exceeded storage allocation (message too large).',
  553: 'Mailbox name not allowed.',
  554: 'Transaction failed (or, as a greeting, no SMTP service here).',
  555: 'MAIL FROM or RCPT TO parameters not recognized.',
  556: 'The domain does not accept mail.',
};

const CLASS_TEXT: Record<2 | 4 | 5, { name: string; meaning: string }> = {
  2: { name: 'Success', meaning: 'The action succeeded; the detail may describe what was done to the message.' },
  4: { name: 'Persistent transient failure', meaning: 'The message is valid but a temporary condition stopped it; sending again later may work.' },
  5: { name: 'Permanent failure', meaning: 'Sending the same message again will fail; the message, the sender or the destination must change.' },
};

const SUBJECT_TEXT: Record<number, { name: string; meaning: string }> = {
  0: { name: 'Other or undefined status', meaning: 'No further subject information.' },
  1: { name: 'Addressing status', meaning: 'A problem with the sender or recipient address (syntax or validity).' },
  2: { name: 'Mailbox status', meaning: 'A problem with the destination mailbox (disabled, full, size limits).' },
  3: { name: 'Mail system status', meaning: 'A problem with the receiving mail system as a whole.' },
  4: { name: 'Network and routing status', meaning: 'A problem on the way: connections, DNS, routing, delivery time.' },
  5: { name: 'Mail delivery protocol status', meaning: 'A problem in the SMTP conversation: commands, syntax, sequence.' },
  6: { name: 'Message content or media status', meaning: 'A problem with the message content or its conversion.' },
  7: { name: 'Security or policy status', meaning: 'Refused by security or policy: authentication, authorization, encryption, sender checks.' },
};

/**
 * Detail meanings from RFC 3463 and the IANA registry additions (RFC 4954 and
 * RFC 5248 for AUTH, RFC 7372 for sender authentication, RFC 7505 for null
 * MX, RFC 8689 for REQUIRETLS), keyed `subject.detail`.
 */
const DETAIL_TEXT: Record<string, string> = {
  '0.0': 'Other undefined status.',
  '1.0': 'Other address status.',
  '1.1': 'Bad destination mailbox address (the mailbox does not exist).',
  '1.2': 'Bad destination system address (the domain does not exist or accept mail).',
  '1.3': 'Bad destination mailbox address syntax.',
  '1.4': 'Destination mailbox address ambiguous.',
  '1.5': 'Destination address valid.',
  '1.6': 'Destination mailbox has moved, no forwarding address.',
  '1.7': 'Bad sender mailbox address syntax.',
  '1.8': 'Bad sender system address.',
  '1.10': 'Recipient address has a null MX.',
  '2.0': 'Other or undefined mailbox status.',
  '2.1': 'Mailbox disabled, not accepting messages.',
  '2.2': 'Mailbox full.',
  '2.3': 'Message length exceeds an administrative limit.',
  '2.4': 'Mailing list expansion problem.',
  '3.0': 'Other or undefined mail system status.',
  '3.1': 'Mail system full.',
  '3.2': 'System not accepting network messages.',
  '3.3': 'System not capable of selected features.',
  '3.4': 'Message too big for the system.',
  '3.5': 'System incorrectly configured.',
  '4.0': 'Other or undefined network or routing status.',
  '4.1': 'No answer from host.',
  '4.2': 'Bad connection.',
  '4.3': 'Directory server (DNS) failure.',
  '4.4': 'Unable to route.',
  '4.5': 'Mail system congestion.',
  '4.6': 'Routing loop detected.',
  '4.7': 'Delivery time expired.',
  '5.0': 'Other or undefined protocol status.',
  '5.1': 'Invalid command.',
  '5.2': 'Syntax error.',
  '5.3': 'Too many recipients.',
  '5.4': 'Invalid command arguments.',
  '5.5': 'Wrong protocol version.',
  '6.0': 'Other or undefined media error.',
  '6.1': 'Media not supported.',
  '6.2': 'Conversion required and prohibited.',
  '6.3': 'Conversion required but not supported.',
  '6.4': 'Conversion with loss performed.',
  '6.5': 'Conversion failed.',
  '7.0': 'Other or undefined security status.',
  '7.1': 'Delivery not authorized, message refused.',
  '7.2': 'Mailing list expansion prohibited.',
  '7.3': 'Security conversion required but not possible.',
  '7.4': 'Security features not supported.',
  '7.5': 'Cryptographic failure.',
  '7.6': 'Cryptographic algorithm not supported.',
  '7.7': 'Message integrity failure.',
  '7.8': 'Authentication credentials invalid.',
  '7.9': 'Authentication mechanism is too weak.',
  '7.10': 'Encryption needed.',
  '7.11': 'Encryption required for the requested authentication mechanism.',
  '7.12': 'A password transition is needed.',
  '7.13': 'User account disabled.',
  '7.14': 'Trust relationship required.',
  '7.20': 'No passing DKIM signature found.',
  '7.21': 'No acceptable DKIM signature found.',
  '7.22': 'No valid author-matched DKIM signature found.',
  '7.23': 'SPF validation failed.',
  '7.24': 'SPF validation error.',
  '7.25': 'Reverse DNS validation failed.',
  '7.26': 'Multiple authentication checks failed.',
  '7.27': 'Sender address has a null MX.',
  '7.30': 'REQUIRETLS support required.',
};


/** The other reading of a code whose Microsoft and registered meanings differ. */
export interface OtherReading {
  /** `microsoft`: Exchange Online's meaning (the explanation gave the registered one); `rfc`: the registered meaning (the explanation gave Microsoft's). */
  reading: 'microsoft' | 'rfc';
  /** Where the registered meaning comes from (`RFC 7505 §3, §6`); null for Microsoft's. */
  ref: string | null;
  title: string;
  meaning: string;
}

/**
 * What explainCode says of one code: the catalog entry when one matches, and
 * RFC 3463's structure and RFC 5321's reply meaning; for an AADSTS code, the
 * Entra catalog entry (aadsts.ts) and `aadsts`.
 */
export interface CodeExplanation {
  /** The input as given. */
  input: string;
  replyCode: number | null;
  enhancedCode: string | null;
  /** `catalog` when a Microsoft 365 (or Entra) entry matched, else `rfc` (`entra` for an AADSTS code the catalog lacks). */
  source: 'catalog' | 'rfc' | 'entra';
  /** The catalog entry id (`5.7.139`, `4.7.500-699`, `AADSTS7000215`), or null. */
  id: string | null;
  /** Whose meaning `title` and `meaning` give: `entra` for the token endpoint's AADSTS codes, null for a registered (RFC) meaning. */
  sender: 'microsoft' | 'gmail' | 'entra' | null;
  /** True when title, meaning, cause and fix are Microsoft's: the reply looks Microsoft's (`markers`), or only Microsoft sends the code. */
  microsoft: boolean;
  /** What in the input looks Microsoft's (`RESOLVER.ADR.RecipientNotFound`, a `*.prod.outlook.com` host, `AS(201806281)`, the entry's own wording); empty for Gmail's `gsmtp` replies. */
  markers: string[];
  title: string;
  meaning: string;
  cause: string | null;
  fix: string | null;
  /** The probe finding this reply gives in the AUTH test, if any. */
  finding: FindingCode | null;
  /** Where Microsoft's meaning and the registered one differ: the one not given above (both are named in `meaning`). */
  otherReading: OtherReading | null;
  /** RFC 3463 structure of the enhanced code. */
  cls: { code: number; name: string; meaning: string } | null;
  subject: { code: number; name: string; meaning: string } | null;
  /** The registered meaning of this exact subject.detail, if any. */
  detail: string | null;
  /** The basic reply code's meaning (RFC 5321). */
  replyMeaning: string | null;
  /** Catalog entries usually sent with this reply code (for a bare `535`). */
  related: string[];
  /** For an AADSTS code: the number, Learn's error name, Entra's error page and the source's confidence (null otherwise). */
  aadsts: { code: number; name: string | null; errorUrl: string; confidence: 'P' | 'S' | null } | null;
}

/** What explainCode and explainDeliveryStatus read of the input: at most this many characters. */
const MAX_INPUT = 2000;

// A reply code then an enhanced code (`535 5.7.3`, `535-5.7.139`, `535 #5.7.3`), or either alone.
const WITH_REPLY = /(?:^|[^\d.])([245]\d\d)[ -]+#?([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/;
const ENHANCED_ONLY = /(?:^|[^\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/;
const REPLY_ONLY = /^\s*([2-5]\d\d)(?:[ -].*)?$/s;
/** RFC 3464 §2.3.4: a Status field is `class "." subject "." detail`, 1–3 digits each, maybe followed by a comment. */
const STATUS_CODE = /^\s*([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/;
/** RFC 3464 §2.3.6: a Diagnostic-Code starts with its type, `smtp;`. */
const DIAGNOSTIC_TYPE = /^\s*[A-Za-z][A-Za-z0-9-]{0,30}\s*;/;

/** A code as read from text: the reply code, the enhanced code's parts, and the text after the code. */
interface ReadCode {
  replyCode: number | null;
  parts: [number, number, number] | null;
  rest: string;
}

/**
 * Finds the catalog entry for an enhanced code: the narrowest entry that
 * covers it (5.7.705 inside 5.7.700-749).
 */
export function findCodeEntry(cls: number, subject: number, detail: number): CodeEntry | null {
  let best: CodeEntry | null = null;
  for (const e of SMTP_CODES) {
    if (e.cls !== cls || e.subject !== subject || detail < e.detail[0] || detail > e.detail[1]) continue;
    if (!best || e.detail[1] - e.detail[0] < best.detail[1] - best.detail[0]) best = e;
  }
  return best;
}

/** Explains an SMTP/NDR code as pasted (`535 5.7.3`, `5.7.139`, an NDR line); null when the input holds no code at all. Reads at most 2,000 characters. Pure. */
export function explainCode(input: string): CodeExplanation | null {
  const aad = parseAadstsCode(input);
  if (aad) return explainAadsts(input, aad.code);
  const text = input.slice(0, MAX_INPUT);
  const read = readCode(text);
  return read ? explainRead(input, read, text) : null;
}

/** Where a DSN's diagnostic came from, for telling a Microsoft reply (RFC 3464 §2.2.2, §2.3.5). */
export interface DeliveryStatusContext {
  /** The recipient's Remote-MTA (`dns; mx.example.net`): the server that gave the diagnostic. */
  remoteMta?: string | null;
  /** The report's Reporting-MTA: the server that wrote the DSN, used when there is no Remote-MTA. */
  reportingMta?: string | null;
}

/**
 * Explains one failed recipient of a delivery status notification (RFC 3464):
 * its `Status` (`5.1.10`) and, when given, its `Diagnostic-Code`
 * (`smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup`).
 *
 * The Status names the code; when it is the unspecific `X.0.0` (Postfix's
 * `5.0.0`) and the diagnostic carries an enhanced code of the same class, the
 * diagnostic's code is explained. Microsoft's meaning comes first when the
 * diagnostic or the MTA that gave it (`context`: Remote-MTA, else
 * Reporting-MTA) looks Microsoft's, or when only Microsoft sends the code;
 * otherwise the registered (RFC) meaning, with Microsoft's named in
 * `meaning` and `otherReading`. The result gives the catalog entry id,
 * title, meaning, cause, fix and `microsoft`.
 *
 * Returns null when neither the Status nor the diagnostic holds a code. Reads
 * at most 2,000 characters of the diagnostic. Pure; never throws.
 */
export function explainDeliveryStatus(status: string, diagnosticCode?: string | null, context: DeliveryStatusContext = {}): CodeExplanation | null {
  const diagnostic = (diagnosticCode ?? '').slice(0, MAX_INPUT);
  // The type ("smtp;") gives way to a space, so the reply code after it still reads as one.
  const text = diagnostic.replace(DIAGNOSTIC_TYPE, ' ');
  const fromDiagnostic = readCode(text);
  const st = STATUS_CODE.exec(status.slice(0, 64));
  const fromStatus: [number, number, number] | null = st ? [Number(st[1]), Number(st[2]), Number(st[3])] : null;
  const diagParts = fromDiagnostic?.parts ?? null;
  const unspecific = fromStatus !== null && fromStatus[1] === 0 && fromStatus[2] === 0 && diagParts !== null && diagParts[0] === fromStatus[0];
  const parts = fromStatus && !unspecific ? fromStatus : (diagParts ?? fromStatus);
  if (!parts && !fromDiagnostic) return null;
  const sameCode = parts !== null && diagParts !== null && parts.join('.') === diagParts.join('.');
  const read: ReadCode = { replyCode: fromDiagnostic?.replyCode ?? null, parts, rest: sameCode ? (fromDiagnostic?.rest ?? '') : text };
  const mta = (context.remoteMta ?? context.reportingMta ?? '').slice(0, 255);
  return explainRead(diagnostic.trim() || status.trim(), read, `${text}\n${mta}`);
}

/** Reads the first code of a text: a reply code with an enhanced code, an enhanced code alone, or a text that starts with a reply code. */
function readCode(text: string): ReadCode | null {
  const both = WITH_REPLY.exec(text);
  if (both) return { replyCode: Number(both[1]), parts: [Number(both[2]), Number(both[3]), Number(both[4])], rest: text.slice(both.index + both[0].length) };
  const enh = ENHANCED_ONLY.exec(text);
  if (enh) return { replyCode: null, parts: [Number(enh[1]), Number(enh[2]), Number(enh[3])], rest: text.slice(enh.index + enh[0].length) };
  const reply = REPLY_ONLY.exec(text);
  if (!reply) return null;
  return { replyCode: Number(reply[1]), parts: null, rest: text.slice(text.indexOf(reply[1] ?? '') + 3) };
}

/** The explanation of a code read from `input`; `evidence` is the text searched for Microsoft markers. */
function explainRead(input: string, read: ReadCode, evidence: string): CodeExplanation {
  const { replyCode, parts, rest } = read;
  const replyMeaning = replyCode !== null ? (REPLY_CODES[replyCode] ?? classOfReply(replyCode)) : null;
  if (parts === null) {
    const related = SMTP_CODES.filter((e) => replyCode !== null && e.replyCodes.includes(replyCode)).map((e) => e.id);
    return {
      input, replyCode, enhancedCode: null, source: 'rfc', id: null, sender: null, microsoft: false, markers: findMicrosoftMarkers(evidence),
      title: `Reply code ${replyCode}`, meaning: replyMeaning ?? '', cause: null, fix: null, finding: null, otherReading: null,
      cls: null, subject: null, detail: null, replyMeaning, related, aadsts: null,
    };
  }
  const [c, s, d] = parts;
  const cls = c as 2 | 4 | 5;
  const enhancedCode = `${cls}.${s}.${d}`;
  const rfc = rfcParts(cls, s, d);
  const entry = findCodeEntry(cls, s, d);
  const common = { input, replyCode, enhancedCode, ...rfc, replyMeaning, related: [], aadsts: null };
  if (entry) {
    const markers = findMicrosoftMarkers(evidence, entry.wording);
    const looksMicrosoft = markers.length > 0;
    const generic = entry.generic;
    if (generic && !looksMicrosoft) {
      return {
        ...common, source: 'catalog', id: entry.id, sender: null, microsoft: false, markers,
        title: generic.title,
        meaning: `${generic.meaning} Exchange Online (Microsoft 365) uses ${enhancedCode} for something else: "${entry.title}"; read it so when the reply came from Microsoft.`,
        cause: generic.cause, fix: generic.fix, finding: null,
        otherReading: { reading: 'microsoft', ref: null, title: entry.title, meaning: entry.meaning },
      };
    }
    const microsoft = entry.source === 'microsoft' && (looksMicrosoft || (!generic && !entry.shared));
    const variant = entry.variants?.find((v) => v.pattern.test(rest)) ?? null;
    const base = variant ?? entry;
    return {
      ...common, source: 'catalog', id: entry.id, sender: entry.source === 'gmail' ? 'gmail' : microsoft ? 'microsoft' : null, microsoft, markers,
      title: base.title,
      meaning: generic ? `${base.meaning} Outside Microsoft 365, ${generic.ref} registers X.${s}.${d} as "${generic.title}".` : base.meaning,
      cause: base.cause, fix: base.fix, finding: entry.finding ?? null,
      otherReading: generic ? { reading: 'rfc', ref: generic.ref, title: generic.title, meaning: generic.meaning } : null,
    };
  }
  const markers = findMicrosoftMarkers(evidence);
  const title = rfc.detail ? `${enhancedCode}: ${rfc.detail.replace(/\.$/, '')}` : `${enhancedCode}: ${rfc.cls.name}, ${rfc.subject?.name ?? `subject ${s}`}`;
  const meaning = [
    rfc.cls.meaning, rfc.subject ? rfc.subject.meaning : `Subject ${s} is not defined by RFC 3463.`, rfc.detail ?? 'This detail code is not registered; the server\'s text says more.',
    ...(markers.length ? ['The reply looks Microsoft\'s, but m365audit\'s catalog lacks this code; Microsoft Learn\'s "Email non-delivery reports and SMTP errors in Exchange Online" may list it.'] : []),
  ].join(' ');
  return { ...common, source: 'rfc', id: null, sender: null, microsoft: false, markers, title, meaning, cause: null, fix: null, finding: null, otherReading: null };
}

/** An AADSTS code: the Entra catalog entry, or Entra's error page for a code the catalog lacks (research/oauth.md §4). */
function explainAadsts(input: string, code: number): CodeExplanation {
  const entry = findAadsts(code);
  const errorUrl = aadstsErrorUrl(code);
  const base = {
    input, replyCode: null, enhancedCode: null, id: `AADSTS${code}`, sender: 'entra' as const, microsoft: true, markers: [], finding: 'OAUTH_TOKEN_ERROR' as const,
    otherReading: null, cls: null, subject: null, detail: null, replyMeaning: null, related: [],
  };
  if (!entry) {
    return {
      ...base, source: 'entra', title: `AADSTS${code}: not in m365audit's catalog`,
      meaning: `A Microsoft Entra ID error code; Entra's own page says more: ${errorUrl}`, cause: null, fix: null,
      aadsts: { code, name: null, errorUrl, confidence: null },
    };
  }
  return {
    ...base, source: 'catalog', title: entry.title, meaning: entry.meaning, cause: null, fix: entry.fix,
    aadsts: { code, name: entry.name, errorUrl, confidence: entry.confidence },
  };
}

function classOfReply(code: number): string {
  const first = Math.floor(code / 100);
  if (first === 2) return 'Positive completion.';
  if (first === 3) return 'Positive intermediate: the server waits for more.';
  if (first === 4) return 'Transient negative completion: try again later.';
  return 'Permanent negative completion: the command was refused.';
}

function rfcParts(cls: 2 | 4 | 5, subject: number, detail: number): Pick<CodeExplanation, 'cls' | 'subject' | 'detail'> & { cls: NonNullable<CodeExplanation['cls']> } {
  const c = CLASS_TEXT[cls];
  const s = SUBJECT_TEXT[subject];
  return {
    cls: { code: cls, name: c.name, meaning: c.meaning },
    subject: s ? { code: subject, name: s.name, meaning: s.meaning } : null,
    detail: DETAIL_TEXT[`${subject}.${detail}`] ?? null,
  };
}
