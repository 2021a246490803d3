/**
 * Microsoft's anti-spam stamps, decoded to words from one catalog.
 *
 * Sources (reference R2.6): Microsoft Learn "Anti-spam message headers in
 * cloud organizations" (defender-docs `defender-office-365/message-headers-eop-mdo.md`,
 * ms.date 07/07/2025: X-Forefront-Antispam-Report fields ARC, CAT, CIP, CTRY,
 * DIR, H, IPV, LANG, PTR, SCL, SFTY, SFV, SRV, X-CustomSpam; X-Microsoft-Antispam
 * BCL; Authentication-Results action, compauth and its reason codes; and
 * "Fields that aren't described in the table are used exclusively by the
 * Microsoft anti-spam team for diagnostic purposes", so those are kept raw
 * with no words). Its earlier version (microsoft-365-docs
 * `anti-spam-message-headers.md`) also listed SFV:SKI, CAT:NONE and the
 * action values `oreject`/`o.reject`. SCL: Learn "Spam confidence level
 * (SCL)" (`anti-spam-spam-confidence-level-scl-about.md`, 2026-05-21). BCL:
 * Learn "Bulk complaint level (BCL) in EOP"
 * (`anti-spam-bulk-complaint-level-bcl-about.md`, 2023-10-17: 0, 1-3, 4-7,
 * 8-9; default threshold 7). X-MS-Exchange-Organization-AuthAs: `Anonymous`
 * for mail from outside, `Internal` for mail from the organization (Exchange
 * Team Blog "Advanced Office 365 Routing: Locking Down Exchange On-Premises",
 * quoted by msxfaq.de); Learn documents no more values, so others are kept raw.
 * Pure; every lookup is on own properties (a field named `constructor` is unknown, not a function).
 */
import { parseClientIp } from '../spf/ip.js';
import { firstHeader } from './headers.js';
import type { AntispamField, AuthenticationResults, CompauthReason, CompauthReasonClass, ForefrontReport, MicrosoftAntispam, MicrosoftHeaders, MicrosoftStamp, ParsedHeaders } from './types.js';
import { senderIpOfAuthResults } from './received.js';

/** Most fields read of one anti-spam header (Microsoft's carry 15-25). */
export const MAX_ANTISPAM_FIELDS = 200;
/** The BCL at or above which the default anti-spam policy treats a message as bulk (Learn BCL page: default 7, Standard 6, Strict 5). */
export const BCL_DEFAULT_THRESHOLD = 7;

interface FieldEntry {
  label: string;
  values?: Readonly<Record<string, string>>;
}

/** X-Forefront-Antispam-Report fields Microsoft documents (field names upper case). */
export const FOREFRONT_FIELDS = {
  ARC: {
    label: 'ARC (Authenticated Received Chain) stamps',
    values: {
      AAR: 'AAR: the Authentication-Results of DMARC were recorded',
      AMS: 'AMS: cryptographic signatures of the message',
      AS: 'AS: signatures of the message headers, with the chain validation cv=none, pass or fail',
    },
  },
  CAT: {
    label: 'category of the threat policy applied',
    values: {
      AMP: 'anti-malware',
      BIMP: 'brand impersonation (Defender for Office 365)',
      BULK: 'bulk',
      DIMP: 'domain impersonation (Defender for Office 365)',
      FTBP: 'anti-malware common attachments filter',
      GIMP: 'mailbox intelligence impersonation (Defender for Office 365)',
      HPHSH: 'high confidence phishing',
      HPHISH: 'high confidence phishing',
      HSPM: 'high confidence spam',
      INTOS: 'intra-organization phishing',
      MALW: 'malware',
      OSPM: 'outbound spam',
      PHSH: 'phishing',
      SAP: 'Safe Attachments (Defender for Office 365)',
      SPM: 'spam',
      SPOOF: 'spoofing',
      UIMP: 'user impersonation (Defender for Office 365)',
      NONE: 'no threat category',
    },
  },
  CIP: { label: 'connecting IP address' },
  CTRY: { label: 'country/region of the connecting IP address' },
  DIR: { label: 'direction of the message', values: { INB: 'inbound', OUT: 'outbound', INT: 'internal' } },
  H: { label: 'HELO/EHLO name of the connecting server' },
  IPV: {
    label: 'IP reputation',
    values: {
      CAL: 'the source IP is on the IP Allow List: spam filtering was skipped',
      NLI: 'the IP address is not on any IP reputation list',
    },
  },
  LANG: { label: 'language of the message' },
  PTR: { label: 'reverse DNS (PTR) name of the connecting IP address' },
  SCL: { label: 'spam confidence level' },
  SFTY: {
    label: 'phishing safety tip',
    values: {
      '9.19': 'domain impersonation: the sending domain impersonates a protected domain',
      '9.20': 'user impersonation: the sender impersonates a user of the organization or a protected user',
      '9.25': 'first contact safety tip: possibly suspicious or phishing',
    },
  },
  SFV: {
    label: 'spam filtering verdict',
    values: {
      BLK: "filtering skipped and blocked: the sender is on the user's Blocked Senders list",
      NSPM: 'not spam: delivered to the intended recipients',
      SFE: "filtering skipped and allowed: the sender is on the user's Safe Senders list",
      SKA: 'filtering skipped: the sender is on an anti-spam policy allowed senders or domains list (Inbox)',
      SKB: 'marked as spam: the sender is on an anti-spam policy blocked senders or domains list',
      SKI: 'filtering skipped for another reason (for example intra-organization mail)',
      SKN: 'marked as not spam before spam filtering (for example SCL -1 or Bypass spam filtering set by a mail flow rule)',
      SKQ: 'released from quarantine to the intended recipients',
      SKS: 'marked as spam before spam filtering (for example SCL 5 to 9 set by a mail flow rule)',
      SPM: 'marked as spam by spam filtering',
    },
  },
  SRV: { label: 'service verdict', values: { BULK: 'bulk email by the BCL threshold (marked as spam, SCL 6, while MarkAsSpamBulkMail is On, the default)' } },
  'X-CUSTOMSPAM': { label: 'Advanced Spam Filter (ASF) setting matched' },
} as const satisfies Record<string, FieldEntry>;

/** X-Microsoft-Antispam fields: Learn documents BCL only; PCL was listed on earlier versions of the page. */
export const MICROSOFT_ANTISPAM_FIELDS = {
  BCL: { label: 'bulk complaint level' },
  PCL: { label: 'phishing confidence level (no longer documented by Microsoft)' },
} as const satisfies Record<string, FieldEntry>;

/** Microsoft's Authentication-Results results in words (Learn, "Authentication-results message header fields"). */
export const M365_AUTH_RESULT_MEANINGS = {
  spf: {
    pass: 'the source is in the SPF record of the domain',
    fail: 'hard fail: the source is not in the SPF record and the domain asks to reject (-all)',
    softfail: 'soft fail: the source is not in the SPF record and the domain asks to accept and mark (~all)',
    neutral: 'the source is not in the SPF record and the domain gives no instruction (?all)',
    none: 'the domain has no SPF record, or it evaluates to no result',
    temperror: 'a temporary error (for example DNS): the same check later might succeed',
    permerror: 'a permanent error (for example a badly formatted SPF record)',
  },
  dkim: {
    pass: 'the DKIM check passed',
    fail: 'the DKIM check failed (the comment says why)',
    none: 'the message was not signed',
  },
  dmarc: {
    pass: 'the DMARC check passed',
    fail: 'the DMARC check failed',
    bestguesspass: 'the domain has no DMARC record, but one would have passed',
    none: 'the sending domain has no DMARC record',
  },
  compauth: {
    pass: 'composite authentication passed',
    fail: 'composite authentication failed',
    softpass: 'composite authentication soft-passed',
    none: 'composite authentication was not checked or was bypassed',
  },
} as const satisfies Record<string, Record<string, string>>;

/** The DMARC `action=` values Microsoft writes (Learn, `action`; oreject from the page's earlier version). */
export const M365_DMARC_ACTIONS = {
  none: 'no DMARC action was taken',
  oreject: 'override reject: the domain asks to reject (p=reject), Microsoft 365 marked the message as spam instead of rejecting it',
  'o.reject': 'override reject: the domain asks to reject (p=reject), Microsoft 365 marked the message as spam instead of rejecting it',
  'pct.quarantine': 'DMARC failed with p=quarantine, but pct is under 100 and this message was picked to go through',
  'pct.reject': 'DMARC failed with p=reject, but pct is under 100 and this message was picked to go through',
  permerror: 'a permanent error in DMARC evaluation (for example a badly formed DMARC record)',
  temperror: 'a temporary error in DMARC evaluation',
} as const satisfies Record<string, string>;

/** X-MS-Exchange-Organization-AuthAs values with a source (see the file comment). */
const AUTH_AS: Readonly<Record<string, string>> = {
  anonymous: 'not authenticated: mail from outside the organization',
  internal: 'authenticated as mail from inside the organization',
};

/** Own-property lookup: a hostile key (`constructor`, `__proto__`) finds nothing. */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** SCL in words (Learn SCL page). */
export function describeScl(scl: number): string | null {
  if (scl === -1) return 'spam filtering skipped (safe sender or recipient, IP Allow List): Inbox';
  if (scl === 0 || scl === 1) return 'not spam: Inbox';
  if (scl === 5 || scl === 6) return 'spam: Junk Email folder (Strict preset: quarantine)';
  if (scl >= 7 && scl <= 9) return 'high confidence spam: Junk Email folder (Standard and Strict presets: quarantine)';
  if (scl >= 2 && scl <= 4) return 'a level spam filtering never stamps (set by a mail flow rule or another feature)';
  return null;
}

/** BCL in words (Learn BCL page). */
export function describeBcl(bcl: number): string | null {
  if (bcl === 0) return 'not from a bulk sender';
  if (bcl >= 1 && bcl <= 3) return 'from a bulk sender that draws few complaints';
  if (bcl >= 4 && bcl <= 7) return 'from a bulk sender that draws a mixed number of complaints';
  if (bcl === 8 || bcl === 9) return 'from a bulk sender that draws many complaints';
  return null;
}

/** A compauth reason code in words (Learn, `reason`). */
export function describeCompauthReason(code: string): CompauthReason {
  const c = code.trim();
  const base = { code: c, arcOverride: false };
  if (!/^[0-9]{3}$/.test(c)) return { ...base, class: null, result: null, meaning: null };
  const classes: Record<string, [CompauthReasonClass, CompauthReason['result'], string]> = {
    '000': ['000', 'fail', 'explicit authentication failed: DMARC failed and the domain policy is p=quarantine or p=reject'],
    '001': ['001', 'fail', 'implicit authentication failed: the domain publishes no authentication records, or weak ones (SPF ~all or ?all, DMARC p=none)'],
    '002': ['002', 'fail', 'the organization prohibits this sender/domain pair from sending spoofed mail (an admin setting)'],
    '010': ['010', 'fail', 'DMARC failed with p=reject or p=quarantine and the sending domain is one of your accepted domains (intra-organization spoofing)'],
  };
  const exact = own(classes, c);
  if (exact) return { ...base, class: exact[0], result: exact[1], meaning: exact[2] };
  const head = c.charAt(0);
  if (head === '1' || head === '7') {
    const arc = c === '130';
    return { ...base, arcOverride: arc, class: head === '1' ? '1xx' : '7xx', result: 'pass', meaning: arc ? 'passed: the ARC result overrode a DMARC failure' : 'passed composite authentication' };
  }
  if (head === '2') return { ...base, class: '2xx', result: 'softpass', meaning: 'soft-passed implicit authentication' };
  if (head === '3') return { ...base, class: '3xx', result: 'none', meaning: 'not checked for composite authentication' };
  if (head === '4' || head === '9') return { ...base, class: head === '4' ? '4xx' : '9xx', result: 'none', meaning: 'composite authentication was bypassed' };
  if (head === '6') return { ...base, class: '6xx', result: 'fail', meaning: 'implicit authentication failed and the sending domain is one of your accepted domains (intra-organization spoofing)' };
  return { ...base, class: null, result: null, meaning: null };
}

/** A Microsoft Authentication-Results result in words, or null. */
export function describeAuthResult(method: string, result: string): string | null {
  const table = own<Readonly<Record<string, string>>>(M365_AUTH_RESULT_MEANINGS, method.toLowerCase());
  return table ? (own(table, result.toLowerCase()) ?? null) : null;
}

/** A DMARC `action=` value in words, or null. */
export function describeDmarcAction(action: string): string | null {
  return own<string>(M365_DMARC_ACTIONS, action.toLowerCase()) ?? null;
}

/** `NAME:value;NAME:value;…` split into fields (a value keeps its own colons: `CIP:2001:db8::1`). */
function splitFields(value: string, catalog: Readonly<Record<string, FieldEntry>>): AntispamField[] {
  const out: AntispamField[] = [];
  for (const part of value.split(';')) {
    if (out.length >= MAX_ANTISPAM_FIELDS) break;
    const p = part.trim();
    if (p.length === 0) continue;
    const colon = p.indexOf(':');
    const name = (colon < 0 ? p : p.slice(0, colon)).trim();
    const v = colon < 0 ? '' : p.slice(colon + 1).trim();
    const entry = own(catalog, name.toUpperCase());
    out.push({ name, value: v, label: entry?.label ?? null, meaning: meaningOf(name.toUpperCase(), v, entry) });
  }
  return out;
}

function meaningOf(name: string, value: string, entry: FieldEntry | undefined): string | null {
  if (!entry || value.length === 0) return null;
  const n = intOf(value);
  if (name === 'SCL' && n !== null) return describeScl(n);
  if (name === 'BCL' && n !== null) return describeBcl(n);
  if (entry.values) {
    const exact = own(entry.values, value.toUpperCase());
    if (exact) return exact;
    // ARC: `AAR;AMS;…` or `AS:cv=pass`: the first word names the part.
    const head = value.split(/[\s:=,]/)[0] ?? '';
    return own(entry.values, head.toUpperCase()) ?? null;
  }
  return null;
}

/** A small integer written as one (`-1`, `5`), or null. */
function intOf(s: string): number | null {
  const t = s.trim();
  return /^-?[0-9]{1,3}$/.test(t) ? Number(t) : null;
}

const field = (fields: readonly AntispamField[], name: string): string | null => {
  const f = fields.find((x) => x.name.toUpperCase() === name);
  return f && f.value.length > 0 ? f.value : null;
};

/** X-Forefront-Antispam-Report, decoded; unknown fields kept raw (label and meaning null). */
export function parseForefrontReport(value: string): ForefrontReport {
  const fields = splitFields(value, FOREFRONT_FIELDS);
  const cipText = field(fields, 'CIP');
  const cip = cipText === null ? null : (parseClientIp(cipText)?.readable ?? null);
  const scl = field(fields, 'SCL');
  return {
    fields,
    cip,
    ctry: field(fields, 'CTRY'),
    helo: field(fields, 'H'),
    ipv: field(fields, 'IPV'),
    lang: field(fields, 'LANG'),
    ptr: field(fields, 'PTR'),
    scl: scl === null ? null : intOf(scl),
    dir: field(fields, 'DIR'),
    sfty: field(fields, 'SFTY'),
    sfv: field(fields, 'SFV'),
    cat: field(fields, 'CAT'),
    srv: field(fields, 'SRV'),
  };
}

/** X-Microsoft-Antispam, decoded (BCL; PCL labelled; the rest raw). */
export function parseMicrosoftAntispam(value: string): MicrosoftAntispam {
  const fields = splitFields(value, MICROSOFT_ANTISPAM_FIELDS);
  const bcl = field(fields, 'BCL');
  return { fields, bcl: bcl === null ? null : intOf(bcl) };
}

/** Single-valued Microsoft stamps with their label, and the meaning of the value where one is known. */
const STAMPS: Readonly<Record<string, { label: string; meaning?: (v: string) => string | null }>> = {
  'x-ms-exchange-organization-scl': { label: 'spam confidence level Exchange acted on', meaning: (v) => { const n = intOf(v); return n === null ? null : describeScl(n); } },
  'x-ms-exchange-organization-authas': { label: 'how Exchange authenticated the sender', meaning: (v) => own(AUTH_AS, v.trim().toLowerCase()) ?? null },
  'x-ms-exchange-organization-authsource': { label: 'the server that authenticated the message' },
  'x-ms-exchange-organization-authmechanism': { label: 'authentication mechanism code (not documented by Microsoft)' },
  'x-ms-exchange-organization-messagedirectionality': { label: 'message direction as Exchange saw it' },
  'x-ms-exchange-organization-originalclientipaddress': { label: 'the client IP address Exchange first saw' },
  'x-customspam': { label: 'Advanced Spam Filter (ASF) setting matched' },
};

/**
 * Everything Microsoft stamped about spam and authentication: the first
 * (newest) X-Forefront-Antispam-Report and X-Microsoft-Antispam, the single
 * stamps in header order, compauth results with their reason in words, and
 * the `sender IP is` comment of Microsoft's spf= result.
 */
export function parseMicrosoftHeaders(headers: ParsedHeaders, authResults: readonly AuthenticationResults[]): MicrosoftHeaders {
  const ff = firstHeader(headers, 'x-forefront-antispam-report');
  const ms = firstHeader(headers, 'x-microsoft-antispam');
  const delivery = firstHeader(headers, 'x-microsoft-antispam-mailbox-delivery');
  const stamps: MicrosoftStamp[] = [];
  for (const f of headers.fields) {
    const entry = own(STAMPS, f.key);
    if (entry && stamps.length < MAX_ANTISPAM_FIELDS) stamps.push({ field: f.name, label: entry.label, value: f.value, meaning: entry.meaning?.(f.value) ?? null });
  }
  const orgScl = firstHeader(headers, 'x-ms-exchange-organization-scl');
  const original = firstHeader(headers, 'x-ms-exchange-organization-originalclientipaddress');
  const compauth: MicrosoftHeaders['compauth'] = [];
  for (const ar of authResults) {
    for (const r of ar.results) {
      if (r.method === 'compauth') compauth.push({ result: r.result, reason: r.reason === null ? null : describeCompauthReason(r.reason) });
    }
  }
  return {
    forefront: ff ? parseForefrontReport(ff.value) : null,
    antispam: ms ? parseMicrosoftAntispam(ms.value) : null,
    mailboxDelivery: delivery ? splitFields(delivery.value, {}) : null,
    organizationScl: orgScl ? intOf(orgScl.value) : null,
    stamps,
    originalClientIp: original ? (parseClientIp(original.value)?.readable ?? null) : null,
    compauth,
    authResultsSenderIp: senderIpOfAuthResults(authResults),
  };
}
