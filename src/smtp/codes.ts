/**
 * SMTP and NDR codes as Microsoft 365 uses them (reference §9), and the
 * RFC 3463 structure of enhanced status codes for everything else.
 * `explainCode` accepts what people paste: `535 5.7.3`, `535-5.7.139`,
 * `5.7.139`, a whole NDR line, or a bare reply code such as `530`; and the
 * Microsoft Entra token endpoint's `AADSTS7000215` (aadsts.ts).
 */
import type { FindingCode } from '../findings/catalog.js';
import { describeBasicAuthTimeline } from './timeline.js';
import { aadstsErrorUrl, findAadsts, parseAadstsCode } from './aadsts.js';

/** A wording of a code that changes its cause, told apart by the text of the reply. */
export interface CodeVariant {
  /** Matched against the text that came with the code. */
  pattern: RegExp;
  title: string;
  meaning: string;
  cause: string;
  fix: string;
}

/** One SMTP/NDR code as Microsoft 365 (or Gmail) uses it (reference §9): its meaning, likely cause and fix. */
export interface CodeEntry {
  /** Stable id: the enhanced code, or its range (`5.7.606-649`). */
  id: string;
  /** Enhanced code class, subject and the detail range this entry covers. */
  cls: 2 | 4 | 5;
  subject: number;
  detail: readonly [number, number];
  /** Reply codes Microsoft (or the named provider) sends it with. */
  replyCodes: readonly number[];
  /** Who sends it. */
  source: 'microsoft' | 'gmail';
  title: string;
  meaning: string;
  cause: string;
  fix: string;
  /** The finding the probe's AUTH test raises for it. */
  finding?: FindingCode;
  /** Wordings that change the cause, told apart by the reply text. */
  variants?: readonly CodeVariant[];
}

const one = (d: number): readonly [number, number] => [d, d];

/** The catalog of SMTP and NDR codes explainCode knows by name (reference §9); other codes are explained from RFC 3463's classes and subjects. */
export const SMTP_CODES: readonly CodeEntry[] = [
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
    id: '5.7.1', cls: 5, subject: 7, detail: one(1), replyCodes: [550], source: 'microsoft',
    title: 'Delivery not authorized / unable to relay',
    meaning: 'The server refused the message or recipient by policy.',
    cause: 'A recipient restriction (who may send to a group or mailbox), an MX that points at a tenant that does not accept the domain, or relaying to outside recipients without authentication or a connector.',
    fix: 'Check delivery restrictions on the recipient, make sure the domain is an accepted domain of the tenant the MX points to, and authenticate or add a relay connector for outside recipients.',
    variants: [
      {
        pattern: /unable to relay/i,
        title: 'Unable to relay',
        meaning: 'The server will not pass the message on to a domain it does not host.',
        cause: 'An unauthenticated client sent to outside recipients, or the domain is not an accepted domain of the tenant the MX points to.',
        fix: 'Authenticate on smtp.office365.com, add an inbound connector for the sending IP or certificate, or add and verify the domain in the tenant.',
      },
      {
        pattern: /delivery not authorized/i,
        title: 'Delivery not authorized, message refused',
        meaning: 'The recipient does not accept messages from this sender.',
        cause: 'Delivery restrictions on a group or mailbox (only internal or listed senders), or a transport rule that rejects.',
        fix: 'Allow the sender on the recipient (Set-DistributionGroup -RequireSenderAuthenticationEnabled $false or the accepted-senders list) or adjust the rule.',
      },
      {
        pattern: /client was not authenticated/i,
        title: 'Client was not authenticated',
        meaning: 'The server requires authentication for this submission.',
        cause: 'Anonymous submission to a connector or endpoint that requires AUTH.',
        fix: 'Configure credentials on the client, or add a connector that accepts the sending IP.',
      },
      {
        pattern: /send\s*as/i,
        title: 'Not allowed to send as this sender',
        meaning: 'The authenticated account may not send as the From address (mostly on-premises Exchange wording).',
        cause: 'No Send As permission on the From address.',
        fix: 'Grant Send As, or send From the authenticated mailbox.',
      },
    ],
  },
  {
    id: '5.7.30', cls: 5, subject: 7, detail: one(30), replyCodes: [550], source: 'microsoft',
    title: 'Basic authentication is not supported for Client Submission',
    meaning: 'Basic (user name and password) SMTP AUTH has been retired for this tenant.',
    cause: `Microsoft has removed basic authentication for client submission on smtp.office365.com and smtp-legacy.office365.com (Exchange Team blog 4114750). ${describeBasicAuthTimeline()}`,
    fix: 'Move the app to OAuth 2.0 (XOAUTH2; test it with m365audit probe --auth-user USER --oauth), or send through High Volume Email, Azure Communication Services Email, direct send, or a relay connector (m365audit send-paths).',
    finding: 'SMTP_BASIC_AUTH_RETIRED',
  },
  {
    id: '5.7.64', cls: 5, subject: 7, detail: one(64), replyCodes: [550], source: 'microsoft',
    title: 'TenantAttribution; Relay Access Denied',
    meaning: 'A message arrived for relay but no inbound connector of the tenant matches the sender.',
    cause: 'The sending IP or certificate does not match the inbound (on-premises) connector, for example after the public IP changed.',
    fix: 'Update the connector with the current public IP or the certificate subject the server presents.',
  },
  {
    id: '5.7.68', cls: 5, subject: 7, detail: one(68), replyCodes: [550], source: 'microsoft',
    title: 'TenantInboundAttribution; Direct Send not allowed',
    meaning: 'The tenant rejects direct send (unauthenticated mail from outside that claims one of its own domains).',
    cause: 'Set-OrganizationConfig -RejectDirectSend $true is on, and the device or app sends directly to the MX.',
    fix: 'Authenticate on smtp.office365.com, add a partner connector for the sending IP or certificate, or turn RejectDirectSend off.',
  },
  {
    id: '5.4.1', cls: 5, subject: 4, detail: one(1), replyCodes: [550], source: 'microsoft',
    title: 'Recipient address rejected / Relay Access Denied',
    meaning: 'Exchange Online did not accept the recipient at the edge.',
    cause: 'Directory-based edge blocking (the recipient does not exist in the directory), or the MX points to a tenant that does not accept the domain.',
    fix: 'Create the recipient (or set the accepted domain to InternalRelay), or fix the MX and add and verify the domain in the tenant.',
    variants: [
      {
        pattern: /AS\(201806281\)|recipient address rejected/i,
        title: 'Recipient address rejected: Access denied (DBEB)',
        meaning: 'Directory-based edge blocking rejected a recipient that is not in the directory.',
        cause: 'The recipient address does not exist as a mailbox, contact, group or proxy address in the tenant.',
        fix: 'Create the recipient or add the address as a proxy address, or set the accepted domain to InternalRelay if mail for it is forwarded elsewhere.',
      },
      {
        pattern: /relay access denied/i,
        title: 'Relay Access Denied',
        meaning: 'The tenant the MX points to does not accept mail for the domain.',
        cause: 'A wrong MX, or the domain is not added or not verified in the tenant.',
        fix: 'Point the MX at the tenant that owns the domain, and add and verify the domain there.',
      },
    ],
  },
  {
    id: '4.7.500-699', cls: 4, subject: 7, detail: [500, 699], replyCodes: [451], source: 'microsoft',
    title: 'Access denied, please try again later (ASxxx)',
    meaning: 'Exchange Online Protection is throttling a sending IP it has not seen before (a form of greylisting).',
    cause: 'A new or low-volume IP address started sending to Microsoft 365.',
    fix: 'Retry later (a well-behaved MTA does so by itself), or add a connector for the sending IP.',
  },
  {
    id: '5.7.705', cls: 5, subject: 7, detail: one(705), replyCodes: [550], source: 'microsoft',
    title: 'Access denied, tenant has exceeded threshold',
    meaning: 'The tenant is blocked from sending because it sent too much spam or bulk mail.',
    cause: 'Compromised accounts or misconfigured apps sent a large volume of unwanted mail.',
    fix: 'Find and fix the source (compromised accounts, open relays), then contact Microsoft support to lift the block.',
  },
  {
    id: '5.7.708', cls: 5, subject: 7, detail: one(708), replyCodes: [550], source: 'microsoft',
    title: 'Access denied, traffic not accepted from this IP',
    meaning: 'A new tenant is sending from an IP address with a low reputation.',
    cause: 'New tenants have limits until they build a sending reputation; the source IP is known for unwanted mail.',
    fix: 'Add and verify the sending domains in the tenant, send from a reputable IP, and contact support if it persists.',
  },
  {
    id: '5.7.750', cls: 5, subject: 7, detail: one(750), replyCodes: [550], source: 'microsoft',
    title: 'Client blocked from sending from unregistered domains',
    meaning: 'The tenant sent a large share of mail from domains it has not added and verified.',
    cause: 'Apps or connectors relay mail for domains that are not accepted domains of the tenant.',
    fix: 'Add and verify every sending domain in the tenant (or stop relaying for others), then contact support to release the block.',
  },
  {
    id: '5.7.606-649', cls: 5, subject: 7, detail: [606, 649], replyCodes: [550], source: 'microsoft',
    title: 'Access denied, banned sending IP',
    meaning: 'The sending IP address is on Microsoft\'s block list.',
    cause: 'The IP sent spam, or inherited a bad reputation (shared or recycled address).',
    fix: 'Request delisting at https://sender.office.com and fix whatever sent the unwanted mail.',
  },
  {
    id: '5.7.23', cls: 5, subject: 7, detail: one(23), replyCodes: [550], source: 'microsoft',
    title: 'Sender Policy Framework violation',
    meaning: 'The recipient\'s SPF check failed for the sending IP (RFC 7372 registers X.7.23 as "SPF validation failed").',
    cause: 'The sender domain\'s SPF record does not list the IP that sent the message (a hard fail).',
    fix: 'Add the sending service to the SPF record (include:spf.protection.outlook.com for Microsoft 365), keeping it within 10 DNS lookups.',
  },
  {
    id: '5.7.509', cls: 5, subject: 7, detail: one(509), replyCodes: [550], source: 'microsoft',
    title: 'Does not pass DMARC verification and has a DMARC policy of reject',
    meaning: 'The message failed DMARC at Microsoft and the sender domain publishes p=reject.',
    cause: 'Neither SPF nor DKIM passed in alignment with the From domain (a third-party sender, forwarding, or missing DKIM).',
    fix: 'Publish DKIM for every sending service and align SPF or DKIM with the From domain before enforcing p=reject.',
  },
  {
    id: '5.7.515', cls: 5, subject: 7, detail: one(515), replyCodes: [550], source: 'microsoft',
    title: 'Does not meet the required authentication level',
    meaning: 'Outlook.com (consumer) rejects high-volume senders (5,000+ messages a day, since May 2025) that do not authenticate fully.',
    cause: 'SPF or DKIM does not pass, or DMARC is missing or not aligned.',
    fix: 'Make SPF and DKIM pass and publish an aligned DMARC record (p=none at least).',
  },
  {
    id: '5.7.26', cls: 5, subject: 7, detail: one(26), replyCodes: [550], source: 'gmail',
    title: 'Unauthenticated email is not accepted (Gmail)',
    meaning: 'Gmail\'s rejection for mail that fails its authentication or DMARC checks (RFC 7372 registers X.7.26 as "multiple authentication checks failed"). Not a Microsoft 365 code.',
    cause: 'The message passed neither SPF nor DKIM, or failed DMARC of the From domain.',
    fix: 'Make SPF and DKIM pass for the sending service and align them with the From domain (DMARC).',
  },
  {
    id: '4.7.26', cls: 4, subject: 7, detail: one(26), replyCodes: [450, 451], source: 'microsoft',
    title: 'IPv6 mail must pass SPF or DKIM',
    meaning: 'Microsoft defers mail that arrives over IPv6 and passes neither SPF nor DKIM.',
    cause: 'The sending server connected over IPv6 and the domain has no SPF or DKIM that covers it.',
    fix: 'Add the IPv6 range to SPF or sign with DKIM; or send over IPv4.',
  },
  {
    id: '4.4.62', cls: 4, subject: 4, detail: one(62), replyCodes: [451], source: 'microsoft',
    title: 'Mail sent to the wrong Office 365 region (ATTR35)',
    meaning: 'The message reached a Microsoft datacenter region that does not serve the recipient domain.',
    cause: 'A legacy or wrong MX host, or a connector that routes to the wrong region.',
    fix: 'Use the MX value the Microsoft 365 admin center shows for the domain, and check outbound connectors.',
  },
];

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
 * Detail meanings from RFC 3463 and the IANA registry additions (RFC 4954 for
 * AUTH, RFC 7372 for sender authentication), keyed `subject.detail`.
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
};

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
  /** Who sends it, for catalog entries: `entra` for the token endpoint's AADSTS codes. */
  sender: 'microsoft' | 'gmail' | 'entra' | null;
  title: string;
  meaning: string;
  cause: string | null;
  fix: string | null;
  /** The probe finding this reply gives in the AUTH test, if any. */
  finding: FindingCode | null;
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

// A reply code then an enhanced code (`535 5.7.3`, `535-5.7.139`, `535 #5.7.3`), or either alone.
const WITH_REPLY = /(?:^|[^\d.])([245]\d\d)[ -]+#?([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/;
const ENHANCED_ONLY = /(?:^|[^\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/;
const REPLY_ONLY = /^\s*([2-5]\d\d)(?:[ -].*)?$/s;

/** Finds the catalog entry for an enhanced code. */
export function findCodeEntry(cls: number, subject: number, detail: number): CodeEntry | null {
  return SMTP_CODES.find((e) => e.cls === cls && e.subject === subject && detail >= e.detail[0] && detail <= e.detail[1]) ?? null;
}

/** Explains an SMTP/NDR code as pasted (`535 5.7.3`, `5.7.139`, an NDR line); null when the input holds no code at all. Reads at most 2,000 characters. Pure. */
export function explainCode(input: string): CodeExplanation | null {
  const aad = parseAadstsCode(input);
  if (aad) return explainAadsts(input, aad.code);
  const text = input.slice(0, 2000);
  let replyCode: number | null = null;
  let parts: [number, number, number] | null = null;
  let rest = '';
  const both = WITH_REPLY.exec(text);
  if (both) {
    replyCode = Number(both[1]);
    parts = [Number(both[2]), Number(both[3]), Number(both[4])];
    rest = text.slice(both.index + both[0].length);
  } else {
    const enh = ENHANCED_ONLY.exec(text);
    if (enh) {
      parts = [Number(enh[1]), Number(enh[2]), Number(enh[3])];
      rest = text.slice(enh.index + enh[0].length);
    } else {
      const reply = REPLY_ONLY.exec(text);
      if (!reply) return null;
      replyCode = Number(reply[1]);
      rest = text.slice(text.indexOf(reply[1] ?? '') + 3);
    }
  }
  const replyMeaning = replyCode !== null ? (REPLY_CODES[replyCode] ?? classOfReply(replyCode)) : null;
  if (parts === null) {
    const related = SMTP_CODES.filter((e) => replyCode !== null && e.replyCodes.includes(replyCode)).map((e) => e.id);
    return {
      input, replyCode, enhancedCode: null, source: 'rfc', id: null, sender: null,
      title: `Reply code ${replyCode}`, meaning: replyMeaning ?? '', cause: null, fix: null, finding: null,
      cls: null, subject: null, detail: null, replyMeaning, related, aadsts: null,
    };
  }
  const [c, s, d] = parts;
  const cls = c as 2 | 4 | 5;
  const enhancedCode = `${cls}.${s}.${d}`;
  const rfc = rfcParts(cls, s, d);
  const entry = findCodeEntry(cls, s, d);
  if (entry) {
    const variant = entry.variants?.find((v) => v.pattern.test(rest)) ?? null;
    const base = variant ?? entry;
    return {
      input, replyCode, enhancedCode, source: 'catalog', id: entry.id, sender: entry.source,
      title: base.title, meaning: base.meaning, cause: base.cause, fix: base.fix, finding: entry.finding ?? null,
      ...rfc, replyMeaning, related: [], aadsts: null,
    };
  }
  const title = rfc.detail ? `${enhancedCode}: ${rfc.detail.replace(/\.$/, '')}` : `${enhancedCode}: ${rfc.cls.name}, ${rfc.subject?.name ?? `subject ${s}`}`;
  const meaning = [rfc.cls.meaning, rfc.subject ? rfc.subject.meaning : `Subject ${s} is not defined by RFC 3463.`, rfc.detail ?? 'This detail code is not registered; the server\'s text says more.'].join(' ');
  return {
    input, replyCode, enhancedCode, source: 'rfc', id: null, sender: null,
    title, meaning, cause: null, fix: null, finding: null, ...rfc, replyMeaning, related: [], aadsts: null,
  };
}

/** An AADSTS code: the Entra catalog entry, or Entra's error page for a code the catalog lacks (research/oauth.md §4). */
function explainAadsts(input: string, code: number): CodeExplanation {
  const entry = findAadsts(code);
  const errorUrl = aadstsErrorUrl(code);
  const base = {
    input, replyCode: null, enhancedCode: null, id: `AADSTS${code}`, sender: 'entra' as const, finding: 'OAUTH_TOKEN_ERROR' as const,
    cls: null, subject: null, detail: null, replyMeaning: null, related: [],
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
