/**
 * Exchange Online's delivery (NDR) codes, the catalog `explain` and
 * `message` share, and what tells a reply as Microsoft's.
 *
 * Sources, in our own words (never copied):
 * - [NDR] Microsoft Learn "Email non-delivery reports and SMTP errors in
 *   Exchange Online" (MicrosoftDocs/SupportArticles-docs
 *   Exchange/ExchangeOnline/email-delivery/ndr/non-delivery-reports-in-exchange-online.md,
 *   ms.date 2024-03-08), and the "Fix … in Exchange Online" pages beside it,
 *   cited by code as [NDR 5.1.10] and so on.
 * - [FWD] Learn "Control automatic external email forwarding in Microsoft 365"
 *   (MicrosoftDocs/defender-docs defender-office-365/outbound-spam-policies-external-email-forwarding.md):
 *   5.7.520 AS(7555).
 * - The registered meanings, all in IANA's "SMTP Enhanced Status Codes"
 *   registry (RFC 5248): RFC 3463 §3.1–3.8, RFC 4954 §6 (X.7.8, X.7.9, X.7.11,
 *   X.7.12), RFC 5248 (X.7.13), RFC 7372 §3 (X.7.20–X.7.26), RFC 7505 §3 and
 *   §6 (X.1.10, null MX, sent with reply 556 of RFC 7504), RFC 8689 (X.7.30,
 *   REQUIRETLS).
 *
 * Reply codes marked "(usual)" are the reply code the class is normally sent
 * with; the Learn page does not give one for that code.
 */
import type { FindingCode } from '../findings/catalog.js';

/** A wording of a code that changes its cause, told apart by the text of the reply. */
export interface CodeVariant {
  /** Matched against the text that came with the code. */
  pattern: RegExp;
  title: string;
  meaning: string;
  cause: string;
  fix: string;
}

/**
 * The meaning the RFCs register for a code that Microsoft uses for something
 * else: what a reply that is not Microsoft's means.
 */
export interface GenericMeaning {
  /** Where the meaning is registered (`RFC 7505 §4`). */
  ref: string;
  title: string;
  meaning: string;
  cause: string;
  fix: string;
}

/** One SMTP/NDR code as Microsoft 365 (or Gmail) uses it (reference §9, R2.7): its meaning, likely cause and fix. */
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
  /**
   * The registered meaning when Microsoft's use of the code differs: given
   * first when the reply does not look Microsoft's. An entry without it and
   * without `shared` is Microsoft's only (the code is not registered, or only
   * Microsoft sends it), so its meaning holds whatever the reply looks like.
   */
  generic?: GenericMeaning;
  /**
   * The code is registered with the meaning this entry gives, so other
   * servers send it too: the entry is written to read right for either, and
   * the explanation is Microsoft's only when the reply looks Microsoft's.
   */
  shared?: true;
  /** Microsoft's own wording of this code: text that marks a reply as Microsoft's even without a Microsoft host name. */
  wording?: RegExp;
}

const one = (d: number): readonly [number, number] => [d, d];

/**
 * What marks a reply (or the MTA that sent it) as Microsoft's. Each pattern
 * starts with a literal and has bounded repeats, so a scan is linear in the
 * input (test/hostile/linear.test.ts).
 */
const MICROSOFT_MARKERS: readonly RegExp[] = [
  // Exchange's transport component codes: RESOLVER.ADR.RecipientNotFound [NDR 5.1.10],
  // RESOLVER.RST.AuthRequired [NDR 5.7.1], STOREDRV.Deliver [NDR 4.3.2], QUEUE.Expired.
  /\b(?:RESOLVER|STOREDRV|QUEUE|ROUTING)\.[A-Za-z]{1,40}(?:\.[A-Za-z]{1,40})?/,
  // Microsoft's hosts: [BN8PR01MB1234.namprd01.prod.outlook.com], *.mail.protection.outlook.com, *.mx.microsoft (R2.4).
  /(?:prod|protection)\.outlook\.com|outlook\.office365\.com|smtp\.office365\.com|onmicrosoft\.com|\.mx\.microsoft\b/i,
  // Anti-spam rule numbers: AS(201806281) [NDR 5.4.1], AS(7555) [FWD], AS(16012607) [NDR 5.7.513].
  /\bAS\(\d{1,12}\)/,
  // Routing attributions: ATTR34 [NDR 5.4.14], ATTR35 (4.4.62).
  /\bATTR\d{1,3}\b/,
  // Microsoft's delisting and help links inside replies (5.7.606, 5.7.1 Blocklist 1).
  /sender\.office\.com|messaging\.microsoft\.com|delist@microsoft\.com|go\.microsoft\.com\/fwlink/i,
  /\bTenant(?:Inbound)?Attribution\b/,
  /\b(?:Exchange Online|Office 365|Microsoft 365)\b/i,
];

/** Gmail ends its replies with `gsmtp`: such a reply is Google's, whatever Microsoft host relayed it. */
const GOOGLE_MARKER = /\bgsmtp\b/i;

/** At most this many markers are reported, each at most 80 characters. */
const MAX_MARKERS = 8;

/**
 * The Microsoft markers found in a reply or an MTA name (`RESOLVER.ADR.RecipientNotFound`,
 * `BN8PR01MB1234.namprd01.prod.outlook.com`, `AS(201806281)`) and, when given, a
 * catalog entry's own Microsoft wording; each once, none when the text is
 * Gmail's (`gsmtp`). Pure; linear in the input.
 */
export function findMicrosoftMarkers(text: string, wording?: RegExp): string[] {
  if (GOOGLE_MARKER.test(text)) return [];
  const found: string[] = [];
  for (const re of wording ? [...MICROSOFT_MARKERS, wording] : MICROSOFT_MARKERS) {
    const m = re.exec(text)?.[0].slice(0, 80);
    // One marker per place: `RecipientNotFound` (wording) adds nothing to `RESOLVER.ADR.RecipientNotFound`.
    if (m && !found.some((f) => f.toLowerCase().includes(m.toLowerCase()))) found.push(m);
    if (found.length >= MAX_MARKERS) break;
  }
  return found;
}

/** Two entries, 4.7.N and 5.7.N, for a DANE outcome Exchange Online reports both ways (retrying, then final) [NDR]. */
function dane(detail: number, label: string, title: string, meaning: string, cause: string, fix: string): CodeEntry[] {
  return ([4, 5] as const).map((cls) => ({
    id: `${cls}.7.${detail}`, cls, subject: 7, detail: one(detail), replyCodes: [cls === 4 ? 451 : 550] /* (usual) */, source: 'microsoft' as const,
    title: `DANE: ${title} (${label})`,
    meaning: `${meaning}${cls === 4 ? ' Exchange Online keeps retrying for now.' : ' Exchange Online has given up.'}`,
    cause, fix,
  }));
}

const DANE_FIX = 'The recipient domain\'s administrator must fix it; from the sending side, check it with m365audit check on the recipient domain (the DNSSEC and DANE columns).';

/** The delivery codes of Exchange Online's NDR reference, and the other delivery codes Microsoft and Gmail send (reference §9, R2.7). */
export const NDR_CODES: readonly CodeEntry[] = [
  // ---- X.1: addresses -------------------------------------------------------------------------------------------
  {
    // Source: [NDR 5.1.0].
    id: '5.1.0', cls: 5, subject: 1, detail: one(0), replyCodes: [550], source: 'microsoft',
    title: 'Sender denied',
    meaning: 'The destination did not take the message from this sender, or could not resolve the recipient it was addressed to.',
    cause: 'Most often a reply to a message that was saved as a file (.msg) and opened later: the saved copy keeps only the recipient\'s internal legacyExchangeDN, which no longer resolves. Also a mistyped or stale recipient, or a recipient that blocks the sender.',
    fix: 'Check the recipient address and send a new message rather than replying from the saved file; delete the recipient\'s Auto-Complete entry in Outlook and type the address again. If the recipient blocks you, only they can lift it.',
    variants: [
      {
        pattern: /SPF Permanent Error/i,
        title: 'Address rejected: SPF permanent error',
        meaning: 'The destination could not evaluate the sender domain\'s SPF record (a permanent error, RFC 7208 §2.6.7) and rejected the message.',
        cause: 'The sender domain\'s SPF record has a syntax error, more than one SPF record, or more than 10 DNS lookups.',
        fix: 'Fix the SPF record (m365audit spf DOMAIN shows the errors and the lookup count); for Microsoft 365 it includes spf.protection.outlook.com.',
      },
    ],
    generic: {
      ref: 'RFC 3463 §3.2', title: 'Other address status',
      meaning: 'Something is wrong with an address of the message (sender or recipient), and the server gives no detail.',
      cause: 'The server\'s text says which address and why.',
      fix: 'Read the text of the reply; check both the sender and the recipient address.',
    },
    wording: /Sender denied|SPF Permanent Error/i,
  },
  {
    // Source: [NDR 5.1.1].
    id: '5.1.1', cls: 5, subject: 1, detail: one(1), replyCodes: [550], source: 'microsoft', shared: true,
    title: 'Bad destination mailbox address',
    meaning: 'The recipient address does not exist at the destination (RFC 3463 §3.2 registers X.1.1 for the same).',
    cause: 'A mistyped address; a mailbox that was removed or renamed; in Microsoft 365 also a stale Outlook Auto-Complete entry after a mailbox move, a forwarding rule that sends on to a bad address, or an MX that points to an old mail system.',
    fix: 'Check the spelling, delete the Auto-Complete entry and type the address again. As the recipient\'s admin: check that the MX record points to the system that holds the mailbox (Microsoft 365: one MX, DOMAIN.mail.protection.outlook.com; m365audit check DOMAIN) and look for inbox rules, mailbox forwarding or mail flow rules to a bad address.',
    variants: [
      {
        pattern: /ExRecip(?:ient)?NotFound|IMCEAEX/i,
        title: 'Exchange recipient not found (stale internal address)',
        meaning: 'The message was addressed to an Exchange-internal X.500 address (legacyExchangeDN) that no longer exists, not to the SMTP address.',
        cause: 'A bad Outlook nickname (Auto-Complete) entry, a reply to a message migrated from a .pst file or by a migration tool, or an out-of-date Offline Address Book (Learn "550 5.1.1 RESOLVER.ADR.ExRecipNotFound").',
        fix: 'Delete the Auto-Complete entry (or reset the cache), type the full address again, and check that Outlook downloads the Offline Address Book.',
      },
    ],
    wording: /RESOLVER\.ADR\.Recip(?:ient)?NotFound/,
  },
  {
    // Source: [NDR 5.1.8].
    id: '5.1.8', cls: 5, subject: 1, detail: one(8), replyCodes: [550], source: 'microsoft',
    title: 'Access denied, bad outbound sender',
    meaning: 'Exchange Online has blocked the sending account because it sent too much spam.',
    cause: 'Nearly always a compromised account (phishing or malware) that was used to send spam.',
    fix: 'Secure the account first: reset the password, sign out its sessions, check its inbox rules, forwarding and delegates, and scan its devices. Then release it on the Restricted users page of the Microsoft Defender portal (https://security.microsoft.com/restrictedusers); sending resumes within a few hours.',
    generic: {
      ref: 'RFC 3463 §3.2', title: 'Bad sender\'s system address',
      meaning: 'The domain of the sender address is not valid for mail (it does not exist or cannot receive replies).',
      cause: 'A mistyped or non-existent sender domain, or one without MX or address records.',
      fix: 'Send from an address whose domain exists and receives mail (m365audit check DOMAIN).',
    },
    wording: /bad outbound sender/i,
  },
  {
    // Source: [NDR 5.1.10].
    id: '5.1.10', cls: 5, subject: 1, detail: one(10), replyCodes: [550], source: 'microsoft',
    title: 'Recipient not found',
    meaning: 'Exchange Online looked the recipient\'s SMTP address up in the tenant\'s directory and found no recipient with it.',
    cause: 'A mistyped or removed address; a recipient not (yet) synchronised from on-premises Active Directory; a domain set to Authoritative while some of its recipients live on another system (hybrid or shared domain); a forwarding rule to a bad address; or backscatter, when a spammer forged your address and the bounce came back to you.',
    fix: 'Check the address. As the recipient\'s admin: make sure the recipient exists with that address and has a mail licence (Microsoft 365 admin center > Users > Active users); in hybrid setups run a delta sync (Start-ADSyncSyncCycle -PolicyType Delta); if some recipients of the domain live elsewhere and a connector routes to them, make the domain Internal Relay (Set-AcceptedDomain -Identity DOMAIN -DomainType InternalRelay); and keep one MX record, DOMAIN.mail.protection.outlook.com.',
    generic: {
      ref: 'RFC 7505 §3, §6', title: 'Recipient address has a null MX',
      meaning: 'The recipient\'s domain publishes a null MX ("MX 0 ."), RFC 7505\'s way of saying that the domain accepts no mail, so the message cannot be delivered.',
      cause: 'The address\'s domain receives no mail, or the domain is mistyped.',
      fix: 'Check the recipient domain; if it is your own domain and should receive mail, replace the null MX with your mail servers (for Microsoft 365, DOMAIN.mail.protection.outlook.com).',
    },
    wording: /RecipientNotFound|not found by SMTP address lookup/i,
  },
  {
    // Source: [NDR 5.1.90].
    id: '5.1.90', cls: 5, subject: 1, detail: one(90), replyCodes: [550], source: 'microsoft',
    title: 'Daily recipient limit reached',
    meaning: 'The sender has reached Exchange Online\'s recipient rate limit: the number of recipients a mailbox may send to in 24 hours (10,000).',
    cause: 'Bulk or automated sending from a normal mailbox, or a compromised account that sends spam.',
    fix: 'Check that the account is not compromised; wait until the 24-hour window moves on; send bulk mail through a service made for it (Azure Communication Services Email, High Volume Email) instead of a mailbox.',
  },
  // ---- X.2: mailboxes ------------------------------------------------------------------------------------------
  {
    // Source: [NDR 5.2.2].
    id: '5.2.2', cls: 5, subject: 2, detail: one(2), replyCodes: [550, 554] /* (usual) */, source: 'microsoft',
    title: 'Submission quota exceeded',
    meaning: 'The sender has gone over Exchange Online\'s sending limits: the recipient rate limit or the message rate limit.',
    cause: 'Too many messages or recipients in a short time from one mailbox: a script or app that sends in bulk, or a compromised account.',
    fix: 'Check that the account is not compromised, then send less or spread it out; use a bulk-sending service for mass mail. If the account appears on the Restricted users page of the Defender portal, release it there after securing it.',
    generic: {
      ref: 'RFC 3463 §3.3', title: 'Mailbox full',
      meaning: 'The recipient\'s mailbox is over its storage quota and takes no more messages.',
      cause: 'The recipient has not cleaned out the mailbox, or its quota is too small.',
      fix: 'Tell the recipient by another way, or send again later; nothing to change at the sender.',
    },
    wording: /submission quota/i,
  },
  {
    // Source: [NDR 5.2.121].
    id: '5.2.121', cls: 5, subject: 2, detail: one(121), replyCodes: [550], source: 'microsoft',
    title: 'Recipient\'s hourly receive limit from this sender exceeded',
    meaning: 'The sender has sent more messages in one hour to this Exchange Online recipient than one sender may.',
    cause: 'An automated mailer or notification system that sends to the same recipient in a loop or a storm.',
    fix: 'Send fewer messages per hour to that recipient and try again later; fix the loop if one is sending.',
  },
  {
    // Source: [NDR 5.2.122].
    id: '5.2.122', cls: 5, subject: 2, detail: one(122), replyCodes: [550], source: 'microsoft',
    title: 'Recipient\'s hourly receive limit exceeded',
    meaning: 'The Exchange Online recipient has received more messages in one hour, from all senders together, than it may.',
    cause: 'The recipient is flooded, typically by automated notifications or a mail storm.',
    fix: 'Try again later; the recipient\'s admin should find what floods the mailbox (message trace in the Exchange admin center) and stop it.',
  },
  // ---- X.3: mail system -----------------------------------------------------------------------------------------
  {
    // Source: [NDR 4.3.2].
    id: '4.3.2', cls: 4, subject: 3, detail: one(2), replyCodes: [432], source: 'microsoft',
    title: 'Recipient thread limit exceeded (STOREDRV.Deliver)',
    meaning: 'The recipient\'s mailbox is taking in messages too fast, so Exchange throttles delivery to it for a while; this keeps one busy mailbox from slowing the others on its database. (Exchange sends it with reply 432, which RFC 4954 uses for a password transition.)',
    cause: 'Many messages arrived for this one recipient in a short time.',
    fix: 'Nothing to change at the sender: the sending server retries. If it goes on, find what floods the mailbox (message trace) and slow it down.',
    generic: {
      ref: 'RFC 3463 §3.4', title: 'System not accepting network messages',
      meaning: 'The receiving host is not taking messages for now (for example while it shuts down); a later retry may work.',
      cause: 'The receiving system is busy, in maintenance, or refusing mail for a while.',
      fix: 'Let the sending server retry; if it goes on, ask the receiving side\'s administrator.',
    },
    wording: /thread limit/i,
  },
  {
    // Source: [NDR 5.3.190].
    id: '5.3.190', cls: 5, subject: 3, detail: one(190), replyCodes: [550], source: 'microsoft',
    title: 'Journaling to Microsoft 365 not supported while Journaling Archive is off',
    meaning: 'An on-premises journaling rule sends journal reports to Exchange Online, and the tenant does not accept them.',
    cause: 'The organisation has not turned on Journaling Archive in Microsoft 365.',
    fix: 'Turn on Journaling Archive in the tenant, or point the on-premises journaling rule at another destination.',
  },
  // ---- X.4: network and routing -----------------------------------------------------------------------------------
  {
    // Source: [NDR 4.4.7].
    id: '4.4.7', cls: 4, subject: 4, detail: one(7), replyCodes: [550] /* Exchange: "550 4.4.7 QUEUE.Expired" */, source: 'microsoft', shared: true,
    title: 'Message expired in the queue',
    meaning: 'The sending server kept the message queued and retrying, but could not hand it over before it expired (RFC 3463 §3.5 registers X.4.7, delivery time expired).',
    cause: 'Usually the receiving side: its server did not answer, refused connections, or timed out during the session; also a header or recipient limit on the remote server.',
    fix: 'Check that the recipient address is valid and that its domain\'s MX hosts answer on port 25 (m365audit check on the recipient domain); send to fewer recipients per message if the remote has a limit; then send again.',
  },
  {
    // Source: [NDR 4.4.8].
    id: '4.4.8', cls: 4, subject: 4, detail: one(8), replyCodes: [451] /* (usual) */, source: 'microsoft',
    title: 'MX host failed MTA-STS validation',
    meaning: 'Exchange Online applied the recipient domain\'s MTA-STS policy (RFC 8461) and the MX host is not one the policy names; it keeps retrying.',
    cause: 'The recipient domain\'s policy (its mx: lines) does not cover its current MX hosts, for example after an MX change.',
    fix: 'The recipient domain must list every MX host in its policy (https://mta-sts.DOMAIN/.well-known/mta-sts.txt) and change the id of its _mta-sts TXT record; m365audit check DOMAIN tests both.',
    wording: /MTA-STS/i,
  },
  {
    // Source: [NDR 5.4.8].
    id: '5.4.8', cls: 5, subject: 4, detail: one(8), replyCodes: [550] /* (usual) */, source: 'microsoft',
    title: 'MX host failed MTA-STS validation',
    meaning: 'Exchange Online applied the recipient domain\'s MTA-STS policy (RFC 8461) and the MX host is not one the policy names; it has given up.',
    cause: 'The recipient domain\'s policy (its mx: lines) does not cover its current MX hosts, for example after an MX change.',
    fix: 'The recipient domain must list every MX host in its policy (https://mta-sts.DOMAIN/.well-known/mta-sts.txt) and change the id of its _mta-sts TXT record; m365audit check DOMAIN tests both.',
    wording: /MTA-STS/i,
  },
  {
    // Source: reference §9 (Microsoft's and Gmail's pages listed there).
    id: '4.4.62', cls: 4, subject: 4, detail: one(62), replyCodes: [451], source: 'microsoft',
    title: 'Mail sent to the wrong Office 365 region (ATTR35)',
    meaning: 'The message reached a Microsoft datacenter region that does not serve the recipient domain.',
    cause: 'A legacy or wrong MX host, or a connector that routes to the wrong region.',
    fix: 'Use the MX value the Microsoft 365 admin center shows for the domain, and check outbound connectors.',
  },
  {
    // Source: [NDR 4.4.316].
    id: '4.4.316', cls: 4, subject: 4, detail: one(316), replyCodes: [451] /* (usual) */, source: 'microsoft',
    title: 'Connection refused by the destination server',
    meaning: 'Exchange Online tried to connect to the recipient\'s mail server outside Microsoft 365 and the connection was refused (socket error 10061).',
    cause: 'A problem at the destination: its server is down or not listening on port 25, or a firewall refuses Microsoft 365\'s addresses.',
    fix: 'The recipient\'s administrator must fix it; the error names the IP address that refused. From outside, check that the recipient domain\'s MX hosts answer on port 25.',
  },
  {
    // Source: [NDR 5.4.1].
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
        fix: 'Create the recipient or add the address as a proxy address, or set the accepted domain to InternalRelay if mail for it is forwarded elsewhere (Set-AcceptedDomain -Identity DOMAIN -DomainType InternalRelay).',
      },
      {
        pattern: /relay access denied/i,
        title: 'Relay Access Denied',
        meaning: 'The server that answered does not accept mail for the recipient\'s domain: the MX or the domain setup is wrong.',
        cause: 'An MX that points to the wrong server, more than one MX for an Exchange Online domain, a domain not added or not verified in the tenant, DNS changes not yet propagated (up to 72 hours), or hybrid connectors that need the Hybrid Configuration Wizard run again.',
        fix: 'Point the one MX at DOMAIN.mail.protection.outlook.com, check in the admin center (Settings > Domains) that the domain is added and healthy and in the Exchange admin center that it is an accepted domain (Authoritative, or Internal Relay when shared); m365audit check DOMAIN tests the MX.',
      },
    ],
    generic: {
      ref: 'RFC 3463 §3.5', title: 'No answer from host',
      meaning: 'The sending server could not get an answer from the destination host.',
      cause: 'The destination server is down or unreachable, or the MX points to a host that does not listen on port 25.',
      fix: 'Check that the recipient domain\'s MX hosts answer on port 25; for a passing outage the sending server retries.',
    },
    wording: /Relay Access Denied|Recipient address rejected: Access denied|AS\(201806281\)/i,
  },
  {
    // Source: [NDR 5.4.6].
    id: '5.4.6', cls: 5, subject: 4, detail: one(6), replyCodes: [554], source: 'microsoft', shared: true,
    title: 'Routing loop detected (hop count exceeded)',
    meaning: 'The message went round between servers until the hop limit stopped it (RFC 3463 §3.5 registers X.4.6 for routing loops). In a hybrid setup 5.4.6 comes from on-premises Exchange; Exchange Online says 5.4.14.',
    cause: 'A mail configuration error on the sending side, the receiving side or both: forwarding that points back (mailbox rules, forwarding to an address that forwards back), an MX or smart host that sends mail back where it came from, or hybrid connectors that route in a circle.',
    fix: 'Check the sender\'s and recipient\'s forwarding (inbox rules, mailbox forwarding), then the routing: that the domain is an Authoritative accepted domain in Exchange Online and that the hybrid connector to on-premises uses a smart host, not DNS (rerun the Hybrid Configuration Wizard).',
  },
  {
    // Source: [NDR 5.4.14].
    id: '5.4.14', cls: 5, subject: 4, detail: one(14), replyCodes: [554] /* (usual) */, source: 'microsoft',
    title: 'Routing loop in Exchange Online (hop count exceeded, ATTR34)',
    meaning: 'Exchange Online accepted the message for the recipient\'s domain but could not route it to the recipient, and it looped until the hop limit stopped it.',
    cause: 'An accepted domain that is not Authoritative when it should be, or in hybrid: the connector to on-premises uses DNS routing instead of the on-premises smart host, or all outbound mail goes through on-premises (RouteAllMessagesViaOnPremises) while the on-premises connector is missing or scoped to accepted domains.',
    fix: 'Check the accepted domain type (Get-AcceptedDomain), the hybrid outbound connector (Get-OutboundConnector -Identity NAME | Format-List Name,SmartHosts,RouteAllMessagesViaOnPremises), and rerun the Hybrid Configuration Wizard if the connectors are wrong.',
  },
  {
    // Source: [NDR 5.4.300].
    id: '5.4.300', cls: 5, subject: 4, detail: one(300), replyCodes: [550] /* (usual) */, source: 'microsoft',
    title: 'Message expired',
    meaning: 'Exchange Online could not deliver the message within its retry time.',
    cause: 'The destination server never answered, or the message caused a bounce that could not be delivered back to the original sender.',
    fix: 'Check that the recipient domain\'s MX hosts answer on port 25, and that bounces to the sender can be delivered; then send again.',
  },
  // ---- X.5: protocol ------------------------------------------------------------------------------------------
  {
    // Source: [NDR 4.5.3].
    id: '4.5.3', cls: 4, subject: 5, detail: one(3), replyCodes: [452], source: 'microsoft', shared: true,
    title: 'Too many recipients',
    meaning: 'The transaction has more envelope recipients than the server takes at once (RFC 3463 §3.6 registers X.5.3 for this); Exchange Online takes at most 200 RCPT TO for one domain.',
    cause: 'The sending server put more recipients into one SMTP transaction than the receiver allows.',
    fix: 'The sending server must split the recipients into smaller batches and send the rest again; most mail servers do so by themselves after this reply.',
  },
  {
    // Source: [NDR 5.5.0].
    id: '5.5.0', cls: 5, subject: 5, detail: one(0), replyCodes: [550], source: 'microsoft',
    title: 'Mailbox unavailable (Outlook.com recipient not found)',
    meaning: 'The recipient is an @outlook.com or @hotmail.com address that Microsoft\'s consumer service did not find by SMTP address lookup (like 5.1.10 in Exchange Online).',
    cause: 'A mistyped or closed Outlook.com account.',
    fix: 'Check the address with the recipient; resending the same address will fail again.',
    generic: {
      ref: 'RFC 3463 §3.6', title: 'Other or undefined protocol status',
      meaning: 'The server reports a problem in the SMTP conversation without saying which.',
      cause: 'The server\'s text says more.',
      fix: 'Read the text of the reply; if it says the mailbox is unavailable, check the recipient address.',
    },
  },
  // ---- X.6: content ---------------------------------------------------------------------------------------------
  {
    // Source: [NDR 5.0.350].
    id: '5.0.350', cls: 5, subject: 0, detail: one(350), replyCodes: [550], source: 'microsoft',
    title: 'Generic error from the recipient\'s organisation',
    meaning: 'A catch-all code that the recipient\'s organisation returns for many unrelated problems; the text says which.',
    cause: 'Depends on the text.',
    fix: 'Read the reply text; ask the recipient\'s administrator what their system rejected.',
    variants: [
      {
        pattern: /x-dg-ref/i,
        title: 'x-dg-ref header is too long',
        meaning: 'The message was sent in Rich Text format (TNEF), and the header that carries it is too long for the recipient.',
        cause: 'Outlook sent the message as Rich Text to an outside recipient.',
        fix: 'Send the message as HTML or plain text (Outlook: Format Text > HTML); an admin can stop Rich Text to that domain with a remote domain setting (Set-RemoteDomain -Identity NAME -TNEFEnabled $false).',
      },
      {
        pattern: /AS345|policy violation detected/i,
        title: 'Policy violation detected (AS345): nested attachments',
        meaning: 'The message has attachments nested too deeply (a message attached to a message attached to …).',
        cause: 'Forwarding messages as attachments over and over.',
        fix: 'Attach the files themselves rather than messages that carry them.',
      },
    ],
  },
  {
    // Source: [NDR 5.6.11].
    id: '5.6.11', cls: 5, subject: 6, detail: one(11), replyCodes: [550], source: 'microsoft',
    title: 'Invalid characters (bare line feeds)',
    meaning: 'The message contains bare line feeds: lines end in LF alone instead of CRLF, which SMTP requires (RFC 5321 §2.3.8).',
    cause: 'The program that sent it (often a device, script or app that writes raw SMTP) added invalid characters.',
    fix: 'Update or configure the sending program to end lines with CRLF, or send through a mail library that does.',
  },
  // ---- X.7: security and policy -------------------------------------------------------------------------------
  {
    // Source: [NDR 5.7.1].
    id: '5.7.1', cls: 5, subject: 7, detail: one(1), replyCodes: [550], source: 'microsoft', shared: true,
    title: 'Delivery not authorized / unable to relay',
    meaning: 'The server refused the message or recipient by policy (RFC 3463 §3.8 registers X.7.1, delivery not authorized). Exchange Online uses it for restrictions on the recipient, relaying and authentication; its page for 5.7.1 covers 5.7.0–5.7.999.',
    cause: 'A recipient restriction (who may send to a group or mailbox), an MX that points at a tenant that does not accept the domain, relaying to outside recipients without authentication or a connector, or a sending IP on Microsoft\'s block list.',
    fix: 'Check delivery restrictions on the recipient, make sure the domain is an accepted domain of the tenant the MX points to, and authenticate or add a relay connector for outside recipients.',
    variants: [
      {
        pattern: /blocked using Blocklist|Blocklist \d/i,
        title: 'Client host blocked using Microsoft\'s block list',
        meaning: 'The sending IP address is on Microsoft\'s block list, so Exchange Online refuses its mail.',
        cause: 'The IP sent spam or has a poor reputation (shared or recycled addresses inherit it).',
        fix: 'Forward the bounce to delist@messaging.microsoft.com, or request removal at https://sender.office.com (the delist portal), and fix whatever sent the unwanted mail.',
      },
      {
        pattern: /RESOLVER\.RST\.AuthRequired|authentication required/i,
        title: 'Authentication required (the recipient takes mail only from authenticated senders)',
        meaning: 'The recipient, often a mail-enabled public folder, accepts only authenticated (internal) senders.',
        cause: 'The recipient\'s delivery restrictions require authenticated senders, and the message came from outside.',
        fix: 'The recipient\'s admin clears "Require that all senders are authenticated" on it (public folder: Set-MailPublicFolder -Identity NAME -RequireSenderAuthenticationEnabled $false).',
      },
      {
        pattern: /unable to relay|relay access denied/i,
        title: 'Unable to relay',
        meaning: 'The server will not pass the message on to a domain it does not host.',
        cause: 'An unauthenticated client sent to outside recipients, a spammer tried to relay (with a forged sender), or the MX of the recipient domain points at a system that does not accept that domain.',
        fix: 'Authenticate on smtp.office365.com, add an inbound connector for the sending IP or certificate, or add and verify the domain in the tenant the MX points to.',
      },
      {
        pattern: /delivery not authorized|RESOLVER\.RST\.NotAuthorized/i,
        title: 'Delivery not authorized, message refused',
        meaning: 'The recipient does not accept messages from this sender.',
        cause: 'Delivery restrictions on a group or mailbox (only internal, member or listed senders; groups of more than 5,000 members are moderated), or a mail flow rule that rejects.',
        fix: 'Ask the group owner or the recipient\'s admin to allow the sender (the group\'s delivery management or accepted-senders list; a mail contact stands for an outside sender) or to change the rule.',
      },
      {
        pattern: /client was not authenticated/i,
        title: 'Client was not authenticated',
        meaning: 'The receiving server requires authentication before it takes a message.',
        cause: 'Anonymous submission to a server or connector that requires AUTH.',
        fix: 'Configure credentials on the sending system, or add a connector that accepts the sending IP.',
      },
      {
        pattern: /send\s*as|SendAsDenied/i,
        title: 'Not allowed to send as this sender',
        meaning: 'The authenticated account may not send as the From address (mostly on-premises Exchange wording; Exchange Online says 5.7.60 or 5.2.252).',
        cause: 'No Send As permission on the From address.',
        fix: 'Grant Send As (Add-RecipientPermission -Identity FROM -Trustee USER -AccessRights SendAs), or send From the authenticated mailbox.',
      },
    ],
  },
  {
    // Source: [NDR 4.7.5].
    id: '4.7.5', cls: 4, subject: 7, detail: one(5), replyCodes: [451] /* (usual) */, source: 'microsoft',
    title: 'Remote certificate failed MTA-STS validation',
    meaning: 'Under the recipient domain\'s MTA-STS policy, the destination server\'s certificate must chain to a trusted root and name the MX host; this one did not. Exchange Online keeps retrying.',
    cause: 'An expired, self-signed or untrusted certificate, or one whose names (CN/SAN) do not include the MX host of the policy.',
    fix: 'The recipient domain must serve a certificate from a public CA that covers the MX host name on every MX host.',
    generic: {
      ref: 'RFC 3463 §3.8', title: 'Cryptographic failure',
      meaning: 'A cryptographic step on the message failed at the server (a signature or encryption it could not process); a retry may work.',
      cause: 'The server\'s text says which.',
      fix: 'Read the text of the reply.',
    },
    wording: /MTA-STS/i,
  },
  {
    // Source: [NDR 5.7.5].
    id: '5.7.5', cls: 5, subject: 7, detail: one(5), replyCodes: [550] /* (usual) */, source: 'microsoft',
    title: 'Remote certificate failed MTA-STS validation',
    meaning: 'Under the recipient domain\'s MTA-STS policy, the destination server\'s certificate must chain to a trusted root and name the MX host; this one did not, and Exchange Online has given up.',
    cause: 'An expired, self-signed or untrusted certificate, or one whose names (CN/SAN) do not include the MX host of the policy.',
    fix: 'The recipient domain must serve a certificate from a public CA that covers the MX host name on every MX host.',
    generic: {
      ref: 'RFC 3463 §3.8', title: 'Cryptographic failure',
      meaning: 'A cryptographic step on the message failed at the server (a signature or encryption it could not process).',
      cause: 'The server\'s text says which.',
      fix: 'Read the text of the reply.',
    },
    wording: /MTA-STS/i,
  },
  {
    // Source: [NDR 5.7.12].
    id: '5.7.12', cls: 5, subject: 7, detail: one(12), replyCodes: [550], source: 'microsoft',
    title: 'Sender was not authenticated by organization',
    meaning: 'The recipient is set to take mail only from inside its own organisation, and the sender is outside it.',
    cause: '"Require that all senders are authenticated" is on for the recipient (mailbox, shared mailbox, group or mail user); only the recipient\'s admin can change it.',
    fix: 'The recipient\'s admin clears that setting (Exchange admin center > the recipient > mail flow settings > message delivery restrictions; or Set-Mailbox / Set-DistributionGroup / Set-MailUser -Identity NAME -RequireSenderAuthenticationEnabled $false), or adds the sender, as a mail contact, to the recipient\'s accepted senders.',
    generic: {
      ref: 'RFC 4954 §6', title: 'A password transition is needed',
      meaning: 'The user must change or set up the password (a one-time transition) before this authentication mechanism can be used.',
      cause: 'The account\'s password has to be changed, or the mechanism needs a password that was never set.',
      fix: 'Sign in once by another way (webmail) and change the password, then authenticate again.',
    },
    wording: /not authenticated by organization/i,
  },
  {
    // Source: [NDR 5.7.13].
    id: '5.7.13', cls: 5, subject: 7, detail: one(13), replyCodes: [550], source: 'microsoft',
    title: 'Sender was not authenticated for public folder',
    meaning: 'The recipient is a mail-enabled public folder that takes mail only from inside its organisation (5.7.135 says the same).',
    cause: 'The public folder requires authenticated senders.',
    fix: 'The recipient\'s admin clears "Require that all senders are authenticated" on the public folder (Set-MailPublicFolder -Identity NAME -RequireSenderAuthenticationEnabled $false) or adds the sender to its accepted senders.',
    generic: {
      ref: 'RFC 5248', title: 'User account disabled',
      meaning: 'The account that tried to authenticate is disabled.',
      cause: 'The account was disabled, locked or removed.',
      fix: 'Ask the server\'s administrator to enable the account, or use another one.',
    },
    wording: /not authenticated for public folder/i,
  },
  {
    // Source: [NDR 5.7.23].
    id: '5.7.23', cls: 5, subject: 7, detail: one(23), replyCodes: [550], source: 'microsoft', shared: true,
    title: 'Sender Policy Framework violation',
    meaning: 'The recipient\'s SPF check failed for the sending IP (RFC 7372 §3.2 registers X.7.23 as "SPF validation failed").',
    cause: 'The sender domain\'s SPF record does not list the IP that sent the message (a hard fail).',
    fix: 'Add the sending service to the SPF record (include:spf.protection.outlook.com for Microsoft 365), keeping it within 10 DNS lookups; m365audit spf DOMAIN shows the record and its lookups.',
  },
  {
    // Source: [NDR 5.7.25].
    id: '5.7.25', cls: 5, subject: 7, detail: one(25), replyCodes: [550], source: 'microsoft', shared: true,
    title: 'Reverse DNS validation failed (the sending IP has no PTR)',
    meaning: 'The receiver requires the sending IP address to have a reverse DNS (PTR) name (RFC 7372 §3.3 registers X.7.25); Exchange Online requires one for mail that arrives over IPv6.',
    cause: 'The sending server\'s address has no PTR record.',
    fix: 'Have the owner of the address block publish a PTR record for the sending IP, ideally matching the server\'s HELO name, or send over IPv4.',
  },
  {
    // Source: reference §9 (Microsoft's and Gmail's pages listed there).
    id: '5.7.26', cls: 5, subject: 7, detail: one(26), replyCodes: [550], source: 'gmail',
    title: 'Unauthenticated email is not accepted (Gmail)',
    meaning: 'Gmail\'s rejection for mail that fails its authentication or DMARC checks (RFC 7372 registers X.7.26 as "multiple authentication checks failed"). Not a Microsoft 365 code.',
    cause: 'The message passed neither SPF nor DKIM, or failed DMARC of the From domain.',
    fix: 'Make SPF and DKIM pass for the sending service and align them with the From domain (DMARC).',
  },
  {
    // Microsoft's meaning is a case of RFC 7372's "multiple authentication checks failed", so no generic reading.
    // Source: [NDR 4.7.26].
    id: '4.7.26', cls: 4, subject: 7, detail: one(26), replyCodes: [450, 451], source: 'microsoft',
    title: 'IPv6 mail must pass SPF or DKIM',
    meaning: 'Microsoft defers mail that arrives over IPv6 and passes neither SPF nor DKIM.',
    cause: 'The sending server connected over IPv6 and the domain has no SPF or DKIM that covers it.',
    fix: 'Add the IPv6 range to SPF or sign with DKIM; or send over IPv4.',
    wording: /sent over IPv6/i,
  },
  {
    // Source: [NDR 5.7.64].
    id: '5.7.64', cls: 5, subject: 7, detail: one(64), replyCodes: [550], source: 'microsoft',
    title: 'TenantAttribution; Relay Access Denied',
    meaning: 'A message arrived for relay but no inbound connector of the tenant matches the sender.',
    cause: 'The sending IP or certificate does not match the inbound (on-premises) connector, for example after the public IP changed.',
    fix: 'Update the connector with the current public IP or the certificate subject the server presents.',
  },
  {
    // Source: reference §9 (Microsoft's and Gmail's pages listed there).
    id: '5.7.68', cls: 5, subject: 7, detail: one(68), replyCodes: [550], source: 'microsoft',
    title: 'TenantInboundAttribution; Direct Send not allowed',
    meaning: 'The tenant rejects direct send (unauthenticated mail from outside that claims one of its own domains).',
    cause: 'Set-OrganizationConfig -RejectDirectSend $true is on, and the device or app sends directly to the MX.',
    fix: 'Authenticate on smtp.office365.com, add a partner connector for the sending IP or certificate, or turn RejectDirectSend off.',
  },
  {
    // Source: [NDR 5.7.124].
    id: '5.7.124', cls: 5, subject: 7, detail: one(124), replyCodes: [550], source: 'microsoft',
    title: 'Sender not in the group\'s allowed-senders list',
    meaning: 'The recipient is a group that takes mail only from the senders on its list, and this sender is not on it.',
    cause: 'The group\'s delivery management names specific senders; depending on the setup even the group\'s owner must be on the list.',
    fix: 'The group owner or admin adds the sender (Exchange admin center > the group > delivery management; or Set-DistributionGroup -Identity GROUP -AcceptMessagesOnlyFromSendersOrMembers @{Add="SENDER"}); an outside sender needs a mail contact first.',
  },
  {
    // Source: [NDR 5.7.133].
    id: '5.7.133', cls: 5, subject: 7, detail: one(133), replyCodes: [550], source: 'microsoft',
    title: 'Sender not authenticated for group',
    meaning: 'The recipient is a group that rejects mail from outside its organisation.',
    cause: 'The group allows only internal (authenticated) senders; only the group owner or the recipient\'s admin can change it.',
    fix: 'Allow senders inside and outside the organisation in the group\'s delivery management (Set-DistributionGroup -Identity GROUP -RequireSenderAuthenticationEnabled $false; a Microsoft 365 group: Set-UnifiedGroup), or add the outside sender (as a mail contact) to the group\'s allowed senders.',
    wording: /NotAuthorizedToSendToGroup|not authenticated for group/i,
  },
  {
    // Source: [NDR 5.7.134].
    id: '5.7.134', cls: 5, subject: 7, detail: one(134), replyCodes: [550], source: 'microsoft',
    title: 'Sender was not authenticated for mailbox',
    meaning: 'The recipient is a mailbox that rejects mail from outside its organisation.',
    cause: 'The mailbox requires authenticated senders; only the recipient\'s admin can change it.',
    fix: 'The recipient\'s admin clears "Require that all senders are authenticated" on the mailbox (Set-Mailbox -Identity NAME -RequireSenderAuthenticationEnabled $false) or adds the sender to its accepted senders.',
  },
  {
    // Source: [NDR 5.7.135].
    id: '5.7.135', cls: 5, subject: 7, detail: one(135), replyCodes: [550], source: 'microsoft',
    title: 'Sender was not authenticated for public folder',
    meaning: 'The recipient is a mail-enabled public folder that rejects mail from outside its organisation (5.7.13 says the same).',
    cause: 'The public folder requires authenticated senders.',
    fix: 'The recipient\'s admin clears "Require that all senders are authenticated" on the public folder (Set-MailPublicFolder -Identity NAME -RequireSenderAuthenticationEnabled $false) or adds the sender to its accepted senders.',
  },
  {
    // Source: [NDR 5.7.136].
    id: '5.7.136', cls: 5, subject: 7, detail: one(136), replyCodes: [550], source: 'microsoft',
    title: 'Sender was not authenticated (mail user)',
    meaning: 'The recipient is a mail user that rejects mail from outside its organisation.',
    cause: 'The mail user requires authenticated senders.',
    fix: 'The recipient\'s admin clears "Require that all senders are authenticated" on the mail user (Set-MailUser -Identity NAME -RequireSenderAuthenticationEnabled $false) or adds the sender to its accepted senders.',
  },
  // Source: [NDR 5.7.321] and reference R2.4 for these five.
  ...dane(321, 'starttls-not-supported', 'the destination does not support TLS',
    'The recipient domain passed DNSSEC, so Exchange Online requires TLS to it (DANE, RFC 7672), but the destination server did not answer STARTTLS or the TLS handshake failed.',
    'The destination MX host has no (working) STARTTLS.', DANE_FIX),
  // Source: [NDR 5.7.322].
  ...dane(322, 'certificate-expired', 'the destination\'s certificate is expired',
    'DNSSEC passed, but the destination server presented an expired certificate.',
    'The MX host\'s certificate was not renewed.', DANE_FIX),
  // Source: [NDR 5.7.323].
  ...dane(323, 'tlsa-invalid', 'the domain failed DANE validation',
    'The records are DNSSEC-authentic, but the destination server\'s certificate does not match the TLSA record.',
    'The TLSA record is wrong or stale (the certificate changed without it), the certificate\'s start date is in the future, or the destination is under attack.', DANE_FIX),
  // Source: [NDR 5.7.324].
  ...dane(324, 'dnssec-invalid', 'the destination returned invalid DNSSEC records',
    'The recipient domain signals DNSSEC, but Exchange Online could not validate its records.',
    'Broken DNSSEC at the recipient domain: expired signatures, a DS record that matches no key, or a bad delegation.', DANE_FIX),
  // Source: [NDR 5.7.325].
  ...dane(325, 'certificate-host-mismatch', 'the certificate does not name the host',
    'The names in the destination server\'s certificate (CN and SAN) match neither the domain nor the MX host.',
    'The MX host serves a certificate issued for another name.', DANE_FIX),
  {
    // Source: [NDR 5.7.501].
    id: '5.7.501', cls: 5, subject: 7, detail: one(501), replyCodes: [550], source: 'microsoft',
    title: 'Access denied, spam abuse detected',
    meaning: 'Exchange Online has banned the sending account for spam.',
    cause: 'The account sent spam, nearly always because it was compromised.',
    fix: 'Secure the account (reset its credentials, check its rules and forwarding), then contact Microsoft support to restore its sending.',
  },
  {
    // Source: [NDR 5.7.502, 5.7.503].
    id: '5.7.502-503', cls: 5, subject: 7, detail: [502, 503], replyCodes: [550], source: 'microsoft',
    title: 'Access denied, banned sender',
    meaning: 'Exchange Online has banned the sending account for spam.',
    cause: 'The account sent spam, nearly always because it was compromised.',
    fix: 'Secure the account (reset its credentials, check its rules and forwarding), then contact Microsoft support to restore its sending.',
  },
  {
    // Source: [NDR 5.7.504].
    id: '5.7.504', cls: 5, subject: 7, detail: one(504), replyCodes: [550], source: 'microsoft',
    title: 'Recipient address rejected: Access denied',
    meaning: 'The recipient address is not valid at Microsoft 365.',
    cause: 'A mistyped or removed address.',
    fix: 'Check the recipient address and send again.',
  },
  {
    // Source: [NDR 5.7.505].
    id: '5.7.505', cls: 5, subject: 7, detail: one(505), replyCodes: [550], source: 'microsoft',
    title: 'Access denied, banned recipient',
    meaning: 'Microsoft 365 does not deliver to this recipient.',
    cause: 'The recipient is not valid.',
    fix: 'Check the address; if you think it is a mistake, contact Microsoft support.',
  },
  {
    // Source: [NDR 5.7.506].
    id: '5.7.506', cls: 5, subject: 7, detail: one(506), replyCodes: [550], source: 'microsoft',
    title: 'Access denied, bad HELO',
    meaning: 'The sending server introduced itself (HELO/EHLO) with the name of the server it connected to, not its own name.',
    cause: 'A misconfigured server, or spam software, which typically does this.',
    fix: 'Configure the sending server to greet with its own fully qualified host name (RFC 5321 §4.1.1.1).',
  },
  {
    // Source: [NDR 5.7.507].
    id: '5.7.507', cls: 5, subject: 7, detail: one(507), replyCodes: [550], source: 'microsoft',
    title: 'Access denied, rejected by recipient',
    meaning: 'The recipient\'s organisation has blocked the sending IP address.',
    cause: 'The recipient\'s admin blocked the address.',
    fix: 'Ask the recipient to unblock it.',
  },
  {
    // Source: [NDR 5.7.508].
    id: '5.7.508', cls: 5, subject: 7, detail: one(508), replyCodes: [550], source: 'microsoft',
    title: 'Access denied, IPv6 range over its limits',
    meaning: 'The sender\'s IPv6 range sent too many messages in too short a time.',
    cause: 'A burst of mail from one IPv6 range.',
    fix: 'Send more slowly, or send over IPv4.',
  },
  {
    // Source: [NDR 5.7.509].
    id: '5.7.509', cls: 5, subject: 7, detail: one(509), replyCodes: [550], source: 'microsoft',
    title: 'Does not pass DMARC verification and has a DMARC policy of reject',
    meaning: 'The message failed DMARC at Microsoft and the sender domain (the 5322.From) publishes p=reject.',
    cause: 'Neither SPF nor DKIM passed in alignment with the From domain: a third-party sender, forwarding, missing DKIM, or SPF and DKIM for another domain than the From.',
    fix: 'Publish DKIM for every sending service and align SPF or DKIM with the From domain before enforcing p=reject; the headers in the bounce show which check failed.',
  },
  {
    // Source: [NDR 5.7.510].
    id: '5.7.510', cls: 5, subject: 7, detail: one(510), replyCodes: [550], source: 'microsoft',
    title: 'Recipient does not accept email over IPv6',
    meaning: 'The message came over IPv6, and the recipient domain takes mail only over IPv4.',
    cause: 'The sending server prefers IPv6 for this destination.',
    fix: 'Send to this domain over IPv4.',
  },
  {
    // Source: [NDR 5.7.511].
    id: '5.7.511', cls: 5, subject: 7, detail: one(511), replyCodes: [550], source: 'microsoft',
    title: 'Access denied, banned sender IP',
    meaning: 'The sending IP address is banned by Microsoft 365.',
    cause: 'The IP sent spam or has a poor reputation.',
    fix: 'Email delist@microsoft.com with the whole NDR and the IP address (the page calls it delist@microsoft.com; older replies name delist@messaging.microsoft.com), and fix whatever sent the unwanted mail.',
  },
  {
    // Source: [NDR 5.7.512].
    id: '5.7.512', cls: 5, subject: 7, detail: one(512), replyCodes: [550], source: 'microsoft',
    title: 'Message must be RFC 5322 section 3.6.2 compliant',
    meaning: 'The message has no valid From address, which Microsoft 365 requires.',
    cause: 'A missing or malformed From header field (RFC 5322 §3.6.2), often from a script or device.',
    fix: 'Send with a From header field that holds one valid address, for example From: Name <user@contoso.com>.',
  },
  {
    // Source: [NDR 5.7.513].
    id: '5.7.513', cls: 5, subject: 7, detail: one(513), replyCodes: [550] /* (usual) */, source: 'microsoft',
    title: 'Client host blocked by the recipient domain\'s block list (AS16012607)',
    meaning: 'The recipient domain has put the sending IP address on its own block list.',
    cause: 'The recipient\'s admin blocked the address.',
    fix: 'Ask the recipient domain\'s admin to take the address off their block list; Microsoft cannot.',
  },
  {
    // Source: reference §9 (Microsoft's and Gmail's pages listed there).
    id: '5.7.515', cls: 5, subject: 7, detail: one(515), replyCodes: [550], source: 'microsoft',
    title: 'Does not meet the required authentication level',
    meaning: 'Outlook.com (consumer) rejects high-volume senders (5,000+ messages a day, since May 2025) that do not authenticate fully.',
    cause: 'SPF or DKIM does not pass, or DMARC is missing or not aligned.',
    fix: 'Make SPF and DKIM pass and publish an aligned DMARC record (p=none at least).',
  },
  {
    // Source: [FWD].
    id: '5.7.520', cls: 5, subject: 7, detail: one(520), replyCodes: [550] /* (usual) */, source: 'microsoft',
    title: 'Access denied: your organisation does not allow external forwarding (AS(7555))',
    meaning: 'A mailbox tried to forward the message automatically to an outside address, and the tenant\'s outbound spam filter policy blocks automatic external forwarding.',
    cause: 'An inbox rule or mailbox (SMTP) forwarding to an outside address while the outbound spam policy\'s automatic forwarding is Off, or Automatic, which now means Off.',
    fix: 'If the forwarding is wanted, allow it for those users only: a custom outbound spam policy with forwarding on (New-HostedOutboundSpamFilterPolicy -Name NAME -AutoForwardingMode On, and New-HostedOutboundSpamFilterRule scoped to the users). If it is not wanted, remove the rule; unexpected forwarding is a sign of a compromised account. Remote domains and mail flow rules can still block forwarding.',
    wording: /does not allow external forwarding/i,
  },
  {
    // Source: [NDR 5.7.606-649].
    id: '5.7.606-649', cls: 5, subject: 7, detail: [606, 649], replyCodes: [550], source: 'microsoft',
    title: 'Access denied, banned sending IP',
    meaning: 'The sending IP address is on Microsoft\'s block list.',
    cause: 'The IP sent spam, or inherited a bad reputation (shared or recycled address).',
    fix: 'Request delisting at https://sender.office.com (the delist portal) and fix whatever sent the unwanted mail.',
  },
  {
    // Source: [NDR 5.7.700-750].
    id: '5.7.700-749', cls: 5, subject: 7, detail: [700, 749], replyCodes: [550], source: 'microsoft',
    title: 'Access denied: the tenant is blocked from sending',
    meaning: 'Microsoft 365 has blocked the tenant from sending because much of its mail was suspicious (Learn groups 5.7.700 to 5.7.750 together).',
    cause: 'Compromised accounts or on-premises servers, connectors an attacker created, or open relays sent unwanted mail through the tenant.',
    fix: 'Find and fix the source (the outbound mail flow, top senders and outbound connector reports; message trace), then contact Microsoft support to lift the block.',
  },
  {
    // Source: [NDR 5.7.703].
    id: '5.7.703', cls: 5, subject: 7, detail: one(703), replyCodes: [550], source: 'microsoft',
    title: 'Recipient blocked by the organisation\'s Tenant Allow/Block List',
    meaning: 'Someone in the organisation sent to an address or domain that the Tenant Allow/Block List blocks; the whole message is stopped for every recipient.',
    cause: 'A block entry in the Tenant Allow/Block List matches one of the recipients.',
    fix: 'Remove that recipient, or the block entry if it is wrong (Microsoft Defender portal > Tenant Allow/Block Lists), then send again.',
  },
  {
    // Source: [NDR 5.7.705].
    id: '5.7.705', cls: 5, subject: 7, detail: one(705), replyCodes: [550], source: 'microsoft',
    title: 'Access denied, tenant has exceeded threshold',
    meaning: 'The tenant is blocked from sending because it sent too much spam or bulk mail.',
    cause: 'Compromised accounts or misconfigured apps sent a large volume of unwanted mail; rarely, a subscription renewed after it expired, until the service catches up (up to a day).',
    fix: 'Find and fix the source (compromised accounts, open relays), then contact Microsoft support to lift the block.',
  },
  {
    // Source: [NDR 5.7.708].
    id: '5.7.708', cls: 5, subject: 7, detail: one(708), replyCodes: [550], source: 'microsoft',
    title: 'Access denied, traffic not accepted from this IP',
    meaning: 'A new tenant is sending from an IP address with a low reputation.',
    cause: 'New (often trial) tenants have limits until they build a sending reputation; the source IP is known for unwanted mail.',
    fix: 'Add and verify the sending domains in the tenant, send from a reputable IP, and contact support (for a trial tenant, to ask for an exception until licences are bought).',
  },
  {
    // Source: [NDR 5.7.750].
    id: '5.7.750', cls: 5, subject: 7, detail: one(750), replyCodes: [550], source: 'microsoft',
    title: 'Client blocked from sending from unregistered domains',
    meaning: 'The tenant sent a large share of mail from domains it has not added and verified.',
    cause: 'Apps or connectors relay mail for domains that are not accepted domains of the tenant, or an attacker\'s inbound connector sends spam.',
    fix: 'Add and verify every sending domain in the tenant (or use a certificate-based connector whose certificate names an accepted domain), check for unknown connectors, then contact support to release the block.',
  },
  {
    // Source: [NDR 5.7.800].
    id: '5.7.800', cls: 5, subject: 7, detail: one(800), replyCodes: [550] /* (usual) */, source: 'microsoft',
    title: 'Access denied, banned sender domain',
    meaning: 'The domain of the message\'s EHLO, envelope sender (5321.MailFrom) or From (5322.From) is banned for spam.',
    cause: 'Spam was sent with this domain.',
    fix: 'Stop the unwanted mail, then contact Microsoft support to restore the domain\'s sending.',
  },
  {
    // Source: [NDR 4.7.500-699].
    id: '4.7.500-699', cls: 4, subject: 7, detail: [500, 699], replyCodes: [451], source: 'microsoft',
    title: 'Access denied, please try again later (ASxxx)',
    meaning: 'Exchange Online Protection is throttling a sending IP whose volume changed sharply from its history, or that it has not seen before (a form of greylisting).',
    cause: 'A new or newly busy IP address started sending to Microsoft 365; Exchange Online treats it with suspicion until it has a history.',
    fix: 'Retry later (a well-behaved MTA does so by itself; it settles within days). If the mail is your own, add a connector: from your on-premises server to Microsoft 365, or for a third-party service in front of the tenant. Send more than test mail only from a custom domain, not onmicrosoft.com.',
  },
  {
    // Source: [NDR 4.7.850-899].
    id: '4.7.850-899', cls: 4, subject: 7, detail: [850, 899], replyCodes: [451], source: 'microsoft',
    title: 'Access denied, please try again later (IP under evaluation)',
    meaning: 'Exchange Online has seen suspicious activity from the sending IP and restricts it for now while it evaluates it.',
    cause: 'Unusual mail from the IP address.',
    fix: 'Retry later; if the mail is legitimate, the restriction is lifted shortly.',
  },
];
