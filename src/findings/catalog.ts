/**
 * The finding-code catalog (DESIGN.md). Names and severities are a contract:
 * scripts and tickets key on them. Never rename a code or change its meaning.
 */
/** How much a finding counts: an `error` makes a domain not ready, a `warning` costs 5 points, `info` nothing. */
export type Severity = 'error' | 'warning' | 'info';
/** The part of the setup a finding is about (DESIGN.md data model). */
export type Area =
  | 'domain' | 'dns' | 'mx' | 'spf' | 'dkim' | 'dmarc' | 'autodiscover'
  | 'verification' | 'mta-sts' | 'tls-rpt' | 'dnssec' | 'dane' | 'smtp' | 'message';

/** One code of the catalog: its severity, its area, and when it is raised. */
export interface CatalogEntry {
  severity: Severity;
  /**
   * The one other severity DESIGN.md's table gives the code in its "when"
   * column (DANE_TLSA_MISSING: a warning, "info for other MX hosts"); a
   * check picks it with `finding(…, { alternate: true })`, so even then the
   * severity comes from this table.
   */
  alternate?: Severity;
  area: Area;
  /** When the code is raised, one line. */
  title: string;
}

/**
 * Every finding code with its severity, area and title (DESIGN.md "Finding
 * codes"). A contract: codes are never renamed and severities never drift,
 * because every finding is built from this table (see `finding`).
 */
export const CATALOG = {
  DOMAIN_INVALID: { severity: 'error', area: 'domain', title: 'input is not a valid domain name' },
  DOMAIN_NOT_FOUND: { severity: 'error', area: 'domain', title: 'the domain does not exist (NXDOMAIN)' },
  DNS_TEMPFAIL: { severity: 'error', area: 'dns', title: 'a lookup timed out or failed (SERVFAIL/REFUSED)' },
  MX_MISSING: { severity: 'error', area: 'mx', title: 'no MX record' },
  MX_NOT_M365: { severity: 'warning', area: 'mx', title: 'no MX points to Microsoft 365' },
  MX_MULTIPLE: { severity: 'warning', area: 'mx', title: 'more than one MX host' },
  MX_PRIORITY: { severity: 'warning', area: 'mx', title: 'the Microsoft 365 MX is not the most preferred' },
  MX_DEPRECATED: { severity: 'error', area: 'mx', title: 'a retired Microsoft endpoint or a leftover msv1.invalid MX' },
  MX_HOST_UNRESOLVED: { severity: 'error', area: 'mx', title: 'the Microsoft 365 MX host has no address' },
  MX_GATEWAY: { severity: 'info', area: 'mx', title: 'the MX is a known mail gateway in front of Exchange Online' },
  MX_TOKEN_MISMATCH: { severity: 'info', area: 'mx', title: "the MX token differs from the domain's dashed form" },
  SPF_MISSING: { severity: 'error', area: 'spf', title: 'no v=spf1 TXT record' },
  SPF_MULTIPLE: { severity: 'error', area: 'spf', title: 'more than one v=spf1 record (permerror)' },
  SPF_SYNTAX: { severity: 'error', area: 'spf', title: 'the record does not parse (permerror)' },
  SPF_NO_M365_INCLUDE: { severity: 'error', area: 'spf', title: 'the Microsoft 365 SPF include is missing' },
  SPF_M365_INCLUDE_QUALIFIED: { severity: 'error', area: 'spf', title: 'the Microsoft include carries a -, ~ or ? qualifier' },
  SPF_M365_NOT_PASS: { severity: 'error', area: 'spf', title: 'check_host for a Microsoft 365 outbound address does not give pass' },
  SPF_TOO_MANY_LOOKUPS: { severity: 'error', area: 'spf', title: 'more than 10 DNS-querying terms (RFC 7208 4.6.4)' },
  SPF_TOO_MANY_VOID_LOOKUPS: { severity: 'error', area: 'spf', title: 'more than 2 void lookups' },
  SPF_INCLUDE_BROKEN: { severity: 'error', area: 'spf', title: 'an include/redirect target has no SPF record or is broken' },
  SPF_ALL_PASS: { severity: 'error', area: 'spf', title: '+all (anyone may send)' },
  SPF_ALL_NEUTRAL: { severity: 'warning', area: 'spf', title: '?all, or no all and no redirect' },
  SPF_PTR: { severity: 'warning', area: 'spf', title: 'the deprecated ptr mechanism is used' },
  SPF_LEGACY_SENDERID: { severity: 'warning', area: 'spf', title: 'a leftover spf2.0/ record' },
  DKIM_MISSING: { severity: 'error', area: 'dkim', title: 'neither selector1 nor selector2 CNAME exists' },
  DKIM_SELECTOR_MISSING: { severity: 'warning', area: 'dkim', title: 'one of the two selector CNAMEs is missing' },
  DKIM_NOT_CNAME: { severity: 'error', area: 'dkim', title: 'a selector name holds a TXT record instead of a CNAME' },
  DKIM_TARGET_INVALID: { severity: 'error', area: 'dkim', title: "a CNAME target does not match Microsoft's patterns" },
  DKIM_TENANT_MISMATCH: { severity: 'error', area: 'dkim', title: 'the selectors point at different tenants, or the wrong selector number' },
  DKIM_NO_KEY: { severity: 'error', area: 'dkim', title: 'neither target publishes a key' },
  DKIM_KEY_PENDING: { severity: 'info', area: 'dkim', title: 'one target publishes a key, the other not yet (normal)' },
  DKIM_KEY_INVALID: { severity: 'error', area: 'dkim', title: 'a key record does not parse or the key does not decode' },
  DKIM_KEY_REVOKED: { severity: 'warning', area: 'dkim', title: 'p= is empty' },
  DKIM_KEY_WEAK: { severity: 'warning', area: 'dkim', title: 'RSA key of 1024 to 2047 bits' },
  DKIM_KEY_INSECURE: { severity: 'error', area: 'dkim', title: 'RSA key under 1024 bits' },
  DMARC_MISSING: { severity: 'error', area: 'dmarc', title: 'no DMARC record for the domain or its organizational domain' },
  DMARC_MULTIPLE: { severity: 'error', area: 'dmarc', title: 'more than one v=DMARC1 record' },
  DMARC_SYNTAX: { severity: 'error', area: 'dmarc', title: 'a record meant as DMARC is invalid' },
  DMARC_POLICY_NONE: { severity: 'warning', area: 'dmarc', title: 'p=none, or no p= tag (monitoring only)' },
  DMARC_PCT_PARTIAL: { severity: 'info', area: 'dmarc', title: 'pct below 100' },
  DMARC_NO_RUA: { severity: 'warning', area: 'dmarc', title: 'no aggregate report address' },
  DMARC_RUA_UNAUTHORIZED: { severity: 'warning', area: 'dmarc', title: 'an external rua/ruf domain has not authorized reports' },
  DMARC_INHERITED: { severity: 'info', area: 'dmarc', title: 'the policy comes from a parent found by the tree walk' },
  DMARC_MOERA_MISSING: { severity: 'info', area: 'dmarc', title: 'the initial (MOERA) domain has no DMARC record with p=' },
  AUTODISCOVER_MISSING: { severity: 'warning', area: 'autodiscover', title: 'no autodiscover CNAME' },
  AUTODISCOVER_NOT_M365: { severity: 'warning', area: 'autodiscover', title: 'autodiscover points elsewhere' },
  VERIFICATION_TXT_ABSENT: { severity: 'info', area: 'verification', title: 'no MS=ms######## record (fine once verified)' },
  MSOID_PRESENT: { severity: 'warning', area: 'verification', title: 'an msoid CNAME outside 21Vianet' },
  SMTP_UNREACHABLE: { severity: 'error', area: 'smtp', title: 'TCP connection refused or unreachable' },
  SMTP_TIMEOUT: { severity: 'error', area: 'smtp', title: 'no connection or no banner within the timeout' },
  SMTP_NO_STARTTLS: { severity: 'error', area: 'smtp', title: 'STARTTLS not offered' },
  SMTP_TLS_WEAK: { severity: 'error', area: 'smtp', title: 'TLS below 1.2 negotiated' },
  SMTP_TLS_CERT_INVALID: { severity: 'error', area: 'smtp', title: 'certificate does not verify for the host' },
  SMTP_NO_AUTH: { severity: 'warning', area: 'smtp', title: 'no AUTH mechanisms after STARTTLS' },
  SMTP_AUTH_FAILED: { severity: 'error', area: 'smtp', title: 'the optional AUTH test was rejected' },
  SMTP_AUTH_DISABLED: { severity: 'error', area: 'smtp', title: 'SMTP AUTH disabled for the tenant (5.7.139)' },
  SMTP_BASIC_AUTH_RETIRING: { severity: 'warning', area: 'smtp', title: "AUTH LOGIN with a password works today, but Microsoft's published timeline turns Basic auth off" },
  SMTP_BASIC_AUTH_RETIRED: { severity: 'error', area: 'smtp', title: '550 5.7.30: Basic authentication is not supported for Client Submission' },
  SMTP_OAUTH_FAILED: { severity: 'error', area: 'smtp', title: 'the XOAUTH2 test was rejected' },
  OAUTH_TOKEN_ERROR: { severity: 'error', area: 'smtp', title: 'the token endpoint refused the grant (evidence: the AADSTS code)' },
  OAUTH_TOKEN_AUDIENCE: { severity: 'error', area: 'smtp', title: "the token is not for the cloud's Exchange Online resource" },
  OAUTH_TOKEN_NO_SMTP_PERMISSION: { severity: 'error', area: 'smtp', title: 'no SMTP.SendAsApp role (app token) or SMTP.Send scope (delegated token)' },
  OAUTH_TOKEN_EXPIRED: { severity: 'error', area: 'smtp', title: 'the token has expired' },
  MTA_STS_MISSING: { severity: 'info', area: 'mta-sts', title: 'no `_mta-sts` TXT (optional hardening)' },
  MTA_STS_TXT_INVALID: { severity: 'error', area: 'mta-sts', title: 'the `_mta-sts` TXT does not parse, or there is more than one' },
  MTA_STS_POLICY_UNAVAILABLE: { severity: 'error', area: 'mta-sts', title: 'the TXT exists but the HTTPS policy cannot be had (refused, 404, redirect, certificate, size, type, deadline)' },
  MTA_STS_POLICY_INVALID: { severity: 'error', area: 'mta-sts', title: 'the policy file does not parse' },
  MTA_STS_MX_MISMATCH: { severity: 'error', alternate: 'warning', area: 'mta-sts', title: 'mode enforce and a live MX matches no `mx` pattern (warning in mode testing)' },
  MTA_STS_TESTING: { severity: 'info', area: 'mta-sts', title: 'mode testing' },
  TLS_RPT_MISSING: { severity: 'info', alternate: 'warning', area: 'tls-rpt', title: 'no `_smtp._tls` TXT (warning when MTA-STS or DANE is on)' },
  TLS_RPT_INVALID: { severity: 'warning', area: 'tls-rpt', title: 'the `_smtp._tls` TXT does not parse' },
  DNSSEC_UNSIGNED: { severity: 'info', area: 'dnssec', title: "the domain's zone is not signed" },
  DNSSEC_NOT_VALIDATED: { severity: 'info', area: 'dnssec', title: 'signed, but the resolver did not validate' },
  DNSSEC_BOGUS: { severity: 'error', area: 'dnssec', title: 'validation fails (SERVFAIL, and an answer with CD set)' },
  DANE_TLSA_MISSING: { severity: 'warning', alternate: 'info', area: 'dane', title: 'an mx.microsoft MX host without TLSA at _25._tcp (info for other MX hosts)' },
  DANE_TLSA_MISMATCH: { severity: 'error', area: 'dane', title: 'TLSA records exist and none matches the certificate the MX presents' },
  DANE_TLSA_UNUSABLE: { severity: 'warning', area: 'dane', title: 'only PKIX usages (0/1) or unknown selector/matching types' },
  DANE_MX_UNSIGNED: { severity: 'warning', area: 'dane', title: 'an mx.microsoft MX in a zone that is not signed: senders cannot use DANE' },
  // DESIGN.md's message rows; `send-paths --ip` raises MESSAGE_SPF_FAIL for the device's address too (so it stays in the spf area).
  MESSAGE_SPF_FAIL: { severity: 'error', area: 'spf', title: "the connecting IP does not pass the sender domain's SPF now (or the receiver recorded fail/softfail)" },
  // The rest of DESIGN.md's message rows (issue 17): what a message's DKIM, DMARC and the receiver's verdicts say,
  // in the area of the protocol they judge (dkim, dmarc), or `message` for Microsoft's own verdicts and NDRs.
  MESSAGE_DKIM_INVALID: { severity: 'error', area: 'dkim', title: "a DKIM signature does not verify against today's DNS" },
  MESSAGE_DKIM_NOT_ALIGNED: { severity: 'warning', area: 'dkim', title: 'no valid signature aligns with the From domain' },
  MESSAGE_DMARC_FAIL: { severity: 'error', area: 'dmarc', title: 'neither SPF nor DKIM passes aligned with the From domain' },
  MESSAGE_COMPAUTH_FAIL: { severity: 'error', area: 'message', title: 'Microsoft recorded compauth=fail' },
  MESSAGE_SPAM: { severity: 'warning', area: 'message', title: 'Microsoft recorded SCL 5 or more, or SFV:SPM' },
  MESSAGE_BULK: { severity: 'info', area: 'message', title: 'Microsoft recorded BCL at or above its default threshold (7)' },
  MESSAGE_PHISH: { severity: 'error', area: 'message', title: 'Microsoft recorded a phishing category (CAT:PHSH, HPHSH, HPHISH)' },
  MESSAGE_DNS_CHANGED: { severity: 'info', area: 'message', title: 'today\'s DNS gives another SPF or DKIM result than the receiver recorded' },
  NDR_FAILED_RECIPIENT: { severity: 'error', area: 'message', title: 'the NDR reports a failed recipient' },
  // Codes beyond DESIGN.md's table are info (DESIGN: "a code added beyond this table is info").
  DKIM_SELECTOR_KEY: { severity: 'info', area: 'dkim', title: 'an extra selector given with --selector was checked' },
  DMARC_UNKNOWN_TAG: { severity: 'info', area: 'dmarc', title: 'the record has tags DMARC does not define (ignored)' },
  DMARC_LEGACY_TAG: { severity: 'info', area: 'dmarc', title: 'the record uses tags RFC 9989 removed (pct, rf, ri)' },
  VERIFICATION_TXT_MALFORMED: { severity: 'info', area: 'verification', title: 'an MS= record that is not MS=ms followed by 8 digits' },
  SMTP_BANNER_NOT_M365: { severity: 'info', area: 'smtp', title: "the banner is not Microsoft's though Microsoft's host was the target" },
  SMTP_AUTH_OTHER: { severity: 'info', area: 'smtp', title: 'the AUTH test got another reply (see explain)' },
  CONNECTOR_CERT_NAME_MISMATCH: { severity: 'info', area: 'smtp', title: "a connector certificate (--cert) names no domain checked in its CN or SAN (550 5.7.64)" },
  CONNECTOR_CERT_EXPIRED: { severity: 'info', area: 'smtp', title: 'a connector certificate (--cert) is outside its validity period' },
  // The OAuth token beyond DESIGN.md's table (issue 15): info.
  OAUTH_TOKEN_EXPIRING: { severity: 'info', area: 'smtp', title: 'the token expires within 5 minutes' },
  OAUTH_TOKEN_NOT_YET_VALID: { severity: 'info', area: 'smtp', title: "the token's nbf is in the future by more than the clock skew" },
  OAUTH_TOKEN_TENANT_MISMATCH: { severity: 'info', area: 'smtp', title: "the token's tid is not the tenant given" },
  OAUTH_TOKEN_APP_RBAC: { severity: 'info', area: 'smtp', title: 'an app token without SMTP.SendAsApp that the server accepted: Exchange App RBAC' },
  OAUTH_TOKEN_ACCEPTED_UNLISTED: { severity: 'info', area: 'smtp', title: 'the server accepted a token whose audience or scope m365audit does not list for the cloud: the list may be incomplete' },
  OAUTH_TOKEN_EXCHANGE_SETUP: { severity: 'info', area: 'smtp', title: 'the token looks right and the server refused it: the Exchange-side setup is missing' },
  OAUTH_TOKEN_OPAQUE: { severity: 'info', area: 'smtp', title: 'the token is not a JWT, or too long to decode: its claims cannot be read, the server decides' },
  // DNSSEC and DANE beyond DESIGN.md's table (issue 16): info.
  DNSSEC_NO_DS: { severity: 'info', area: 'dnssec', title: 'the zone is signed but its parent has no DS: validators treat it as unsigned' },
  DANE_MX_LEGACY: { severity: 'info', area: 'dane', title: 'a validated zone whose Microsoft 365 MX is the legacy host, which is not signed: no inbound DANE' },
  // Messages beyond DESIGN.md's table (issue 17): info.
  MESSAGE_RESULT_DIFFERS: { severity: 'info', area: 'message', title: "today's result differs from the receiver's and DNS does not explain it (the message changed after receipt, or a key was replaced)" },
  MESSAGE_FROM_PROBLEM: { severity: 'info', area: 'message', title: 'the From field has no usable domain, or names several: DMARC cannot evaluate it' },
  MESSAGE_HOP_NOT_ENCRYPTED: { severity: 'info', area: 'message', title: 'a hop of the route recorded no TLS' },
  NDR_DELAYED_RECIPIENT: { severity: 'info', area: 'message', title: 'the delivery report says delivery to a recipient is delayed (the server keeps trying)' },
} as const satisfies Record<string, CatalogEntry>;

/** A code of the catalog (`SPF_MISSING`, `DNS_TEMPFAIL` …). */
export type FindingCode = keyof typeof CATALOG;

/**
 * One thing an audit or probe found. `code` is stable and machine-readable;
 * `message`, `evidence` and `fix` are for people. `evidence` may hold text
 * from DNS or SMTP: every renderer escapes it.
 */
export interface Finding {
  code: FindingCode;
  severity: Severity;
  area: Area;
  /** One sentence a person understands. */
  message: string;
  /** The record or answer that shows it (data from DNS/SMTP: renderers escape it). */
  evidence?: string;
  /** What to publish or change. */
  fix?: string;
}

/** Builds a finding with the catalog's severity (or its `alternate` one, when asked) and area. */
export function finding(
  code: FindingCode,
  message: string,
  extra: { evidence?: string | undefined; fix?: string | undefined; alternate?: boolean | undefined } = {},
): Finding {
  const entry: CatalogEntry = CATALOG[code];
  const severity = extra.alternate === true && entry.alternate !== undefined ? entry.alternate : entry.severity;
  const f: Finding = { code, severity, area: entry.area, message };
  if (extra.evidence !== undefined) f.evidence = extra.evidence;
  if (extra.fix !== undefined) f.fix = extra.fix;
  return f;
}

/** Every severity the catalog allows for a code: its own, and its `alternate` one when it has one. */
export function severitiesOf(code: FindingCode): Severity[] {
  const entry: CatalogEntry = CATALOG[code];
  return entry.alternate ? [entry.severity, entry.alternate] : [entry.severity];
}

/** Whether `s` is a code of the catalog (an own key of CATALOG, so never `toString` or `__proto__`). */
export function isFindingCode(s: string): s is FindingCode {
  return Object.prototype.hasOwnProperty.call(CATALOG, s);
}

/** What a check returns: its section of the report (the facts) and its findings. */
export interface CheckResult<S> {
  section: S;
  findings: Finding[];
}
