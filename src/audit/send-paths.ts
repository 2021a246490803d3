/**
 * `send-paths`: the three ways a device or application sends mail through
 * Microsoft 365, side by side, each `works`, `blocked` or `unknown` with its
 * reasons. Microsoft orders them (research/oauth.md §8, LEARN-MFD [P]):
 *
 *   1. SMTP AUTH client submission: smtp.office365.com:587, STARTTLS,
 *      TLS 1.2+, a mailbox's credentials; internal and external recipients.
 *   2. Direct send: the domain's MX endpoint on port 25, no AUTH, no
 *      mailbox, no connector; internal recipients only ("Direct send cannot
 *      be used to deliver email to external recipients").
 *   3. SMTP relay through an inbound connector: the MX endpoint on port 25,
 *      the device matched by its static public IP or its certificate;
 *      internal and external recipients.
 *
 * The facts come from the existing checks and the prober: checkMx (is the MX
 * Microsoft's), auditSpf (the SPF analysis and RFC 7208 check_host() for
 * `--ip`), probeSmtp on the submission endpoint (with the optional AUTH
 * test) and probeMxHost on the MX host's port 25. Each path is a list of
 * conditions, each `ok`, `blocked` or `unknown` with the catalog codes behind
 * it; a path is blocked when one condition is, unknown when one is unknown,
 * and works otherwise. "Works" means that nothing visible from outside stops
 * it: the tenant's settings (SMTP AUTH per mailbox, RejectDirectSend, the
 * connectors) cannot be seen from here, and each path says so.
 */
import type { AuditContext } from './context.js';
import { probeMxHost } from './probes.js';
import { finding, type Finding, type FindingCode } from '../findings/catalog.js';
import { mergeTempfails, statusFrom, type AreaStatus } from '../findings/status.js';
import { canonicalName } from '../domain/name.js';
import { normalizeDomain } from '../domain/normalize.js';
import { CLOUD_ENDPOINTS, type Cloud } from '../m365/clouds.js';
import { certificateNameMatches, certificateValidity, parseConnectorCertificate, type ConnectorCertificate, type NameMatch } from '../m365/connector.js';
import { checkMx, expectedMxHost, type MxSection } from '../m365/mx.js';
import { endpointKey, SMTP_PORT, SUBMISSION_PORT, type Endpoint } from '../smtp/endpoint.js';
import { DEFAULT_PROBE_TIMEOUT_MS, probeSmtp, type ProbeOptions, type SocketFactory } from '../smtp/probe.js';
import { reachability } from '../smtp/reachability.js';
import { withTokenDiagnosis, withTokenFailure } from '../smtp/oauth-result.js';
import type { TokenFailure } from '../smtp/token.js';
import type { OAuthTokenSource, ProbeResult } from '../smtp/types.js';
import type { SpfResult } from '../spf/evaluate.js';
import { parseClientIp } from '../spf/ip.js';
import { auditSpf, type SpfReport } from '../spf/report.js';

/** The three paths, in Microsoft's order (LEARN-MFD options 1, 2, 3). */
export type SendPathId = 'smtp-auth' | 'direct-send' | 'connector-relay';
/** What a path comes to: nothing seen from outside stops it, something does, or it cannot be told from here. */
export type SendPathVerdict = 'works' | 'blocked' | 'unknown';
/** The state of one condition of a path. */
export type ConditionState = 'ok' | 'blocked' | 'unknown';
/**
 * What a condition is about: the submission endpoint, the AUTH test, the MX,
 * port 25 of the MX host, the sending IP in SPF, Microsoft's include in SPF
 * (relayed mail leaves from Microsoft's servers), the connector certificate.
 */
export type SendPathCheck = 'submission' | 'auth' | 'mx' | 'port25' | 'spf' | 'spf-include' | 'certificate';

/** One condition of a path: its state, one sentence why, and the catalog codes of the findings behind it. */
export interface SendPathCondition {
  check: SendPathCheck;
  state: ConditionState;
  reason: string;
  codes: FindingCode[];
}

/** One way of sending: its verdict, the endpoint a device uses, the conditions, and the facts that hold whatever the verdict. */
export interface SendPath {
  path: SendPathId;
  title: string;
  verdict: SendPathVerdict;
  /** host:port a device is pointed at, or null when there is none (no Microsoft 365 MX). */
  endpoint: string | null;
  conditions: SendPathCondition[];
  /** What always holds for the path, and what cannot be seen from outside. */
  notes: string[];
}

/** The SPF facts of the sending identity: the MAIL FROM domain's record and, with an IP, check_host() for it. */
export interface SendPathsSpf {
  /** The MAIL FROM domain: --from's domain, else the domain. */
  domain: string;
  /** The MAIL FROM check_host() used. */
  sender: string;
  ip: string | null;
  record: string | null;
  /** check_host() for `ip`, or null without one. */
  result: SpfResult | null;
  reason: string | null;
  /** The Microsoft include of the cloud is reached (directly or nested); null when the record could not be analysed. */
  m365Include: boolean | null;
  status: AreaStatus;
}

/** A connector certificate (--cert) as checked: its facts, and the names that fit the domains. */
export interface SendPathsCertificate extends ConnectorCertificate {
  matches: NameMatch[];
}

/** What checkSendPaths is told besides the domain: the device's identity, the endpoints, the probes' settings. */
export interface SendPathsOptions {
  /** The device's public IP (--ip): checked against SPF with RFC 7208 check_host(). */
  ip?: string | undefined;
  /** The From / MAIL FROM address (--from); default postmaster@<domain>. */
  from?: string | undefined;
  /** The submission endpoint (--probe-host); default the cloud's submission host on 587. */
  submission?: Endpoint | undefined;
  /** The AUTH test on the submission endpoint: AUTH LOGIN with a password, or AUTH XOAUTH2 with a token. */
  auth?: ProbeOptions['auth'];
  /**
   * For an XOAUTH2 test: where the token came from (its claims are decoded
   * and diagnosed against the server's verdict, as `probe` does), or the
   * grant's failure (then there is no `auth`, and OAUTH_TOKEN_ERROR blocks
   * the AUTH condition).
   */
  oauth?: SendPathsOAuth | undefined;
  /**
   * Credentials that depend on the cloud (the client-credentials grant asks
   * the cloud's login host for the cloud's Exchange Online scope): called
   * once the cloud is known, its answer used instead of `auth` and `oauth`.
   */
  credentials?: ((cloud: Cloud) => Promise<{ auth?: ProbeOptions['auth']; oauth?: SendPathsOAuth | undefined }>) | undefined;
  /** Port of the MX probe (default 25). */
  mxPort?: number | undefined;
  /** Each SMTP wait of the probes (default DEFAULT_PROBE_TIMEOUT_MS). */
  timeoutMs?: number | undefined;
  /** Extra trusted CA(s), PEM, for both probes. */
  ca?: string | undefined;
  /** Carry on past a certificate that does not verify (still reported). */
  insecure?: boolean | undefined;
  /** A device certificate (PEM) for a certificate-based connector (--cert). */
  certificatePem?: string | undefined;
  /** Socket factory for both probes (tests); default net.connect. */
  connect?: SocketFactory | undefined;
}

/** The XOAUTH2 token's origin for checkSendPaths: its source, the tenant asked, the token URL, or the grant's failure. */
export interface SendPathsOAuth {
  source: OAuthTokenSource;
  tenantId?: string | undefined;
  tokenUrl?: string | undefined;
  failure?: TokenFailure | undefined;
}

/** What `m365audit send-paths` shows: the three paths, the facts they rest on, and every finding. */
export interface SendPathsReport {
  domain: string;
  cloud: Cloud;
  /** --ip as given (canonical form), or null. */
  ip: string | null;
  /** --from as given, or null (postmaster@<domain> was used). */
  from: string | null;
  mx: MxSection;
  spf: SendPathsSpf;
  /** The submission probe, or null when the domain was not valid (nothing was probed). */
  submission: ProbeResult | null;
  /** The MX host's port-25 probe, or null when there is no Microsoft 365 MX host to probe. */
  mxProbe: ProbeResult | null;
  certificate: SendPathsCertificate | null;
  /** Always three, in Microsoft's order: smtp-auth, direct-send, connector-relay. */
  paths: SendPath[];
  /** Facts about the inputs (a private --ip, a --from outside the domain). */
  notes: string[];
  findings: Finding[];
  auditedAt: string;
}

const TITLES: Record<SendPathId, string> = {
  'smtp-auth': 'SMTP AUTH submission',
  'direct-send': 'Direct send',
  'connector-relay': 'Relay through a connector',
};

/** Codes of the AUTH test (the catalog's, Basic auth's, XOAUTH2's and the OAuth token's). */
const AUTH_CODE = /^(SMTP_(AUTH|BASIC_AUTH|OAUTH)_|OAUTH_TOKEN_)/;

/** The submission probe joined to the XOAUTH2 token: its claims diagnosed, or the grant's failure (smtp/oauth-result.ts). */
function withOAuth(result: ProbeResult, opts: Pick<SendPathsOptions, 'auth' | 'oauth'>, cloud: Cloud, now: Date): ProbeResult {
  const o = opts.oauth;
  if (!o) return result;
  if (o.failure) return withTokenFailure(result, o.failure, o.source, o.tokenUrl);
  if (opts.auth?.mechanism !== 'XOAUTH2') return result;
  return withTokenDiagnosis(result, opts.auth.token, { cloud, source: o.source, now, tenantId: o.tenantId, tokenUrl: o.tokenUrl });
}

// ---------------------------------------------------------------------------
// Notes: what holds for each path whatever the verdict (LEARN-MFD [P] unless marked)

const SUBMISSION_NOTES = [
  // LEARN-MFD: "If your device recommends or defaults to port 465, it doesn't support SMTP AUTH client submission".
  'Port 587 (or 25) with STARTTLS and TLS 1.2 or later; a device that only offers port 465 cannot use it.',
  'Internal and external recipients, from the authenticated mailbox (or one it may Send As); needs a licensed mailbox with SMTP AUTH enabled (Set-CASMailbox -SmtpClientAuthenticationDisabled $false), which cannot be seen from outside.',
  'Limits: 10,000 recipients a day, 30 messages a minute.',
];

const PORT25_FROM_HERE = 'Port 25 was probed from where m365audit runs, not from the device\'s network: many ISPs and networks block outbound port 25.';

const DIRECT_SEND_NOTES = [
  'Internal recipients only: "Direct send cannot be used to deliver email to external recipients".',
  'No AUTH and no mailbox: the From address may be any address of an accepted domain of the tenant.',
  'No connector: "never configure a device to use a connector with direct send" (a connector that matches the device makes it relay).',
  // research §8 [P: Set-OrganizationConfig docs; S: the 5.7.68 text]: off by default, not visible from outside.
  'RejectDirectSend: a tenant that ran Set-OrganizationConfig -RejectDirectSend $true refuses anonymous mail from its own accepted domains that matches no inbound connector (550 5.7.68 TenantInboundAttribution); the setting is off by default and cannot be seen from outside (Get-OrganizationConfig | fl RejectDirectSend shows it).',
  PORT25_FROM_HERE,
];

const RELAY_NOTES = [
  'Internal and external recipients, from any address of an accepted domain; needs an inbound connector (From: Your organization\'s email server, To: Microsoft 365) that matches the device by its static public IP ("A dynamic IP address isn\'t supported") or by its certificate. Connectors cannot be seen from outside.',
  PORT25_FROM_HERE,
];

// research §8 [P]: the certificate rule, and the reply to a mismatch (Learn troubleshoot "relay-access-denied-smtp").
const CERT_RULE = 'Certificate-based connector: the certificate\'s CN or SAN must name an accepted domain, and the connector the same domain, else 550 5.7.64 TenantAttribution; Relay Access Denied.';

// ---------------------------------------------------------------------------

/**
 * The three sending paths of `domain` (see the module comment): checkMx and
 * auditSpf through `ctx.dns`, then the submission probe and the MX host's
 * port-25 probe at once (the only connections it opens, through
 * `opts.connect` when given). `ctx.cloud` forces the cloud; otherwise the MX's
 * cloud, else the SPF include's, else worldwide. A domain that is not one
 * gives DOMAIN_INVALID and probes nothing. Never throws for network or DNS
 * outcomes: they are findings and conditions.
 */
export async function checkSendPaths(ctx: AuditContext, domain: string, opts: SendPathsOptions = {}): Promise<SendPathsReport> {
  const now = ctx.clock?.() ?? new Date();
  const ip = opts.ip === undefined ? null : (parseClientIp(opts.ip)?.readable ?? opts.ip);
  const norm = normalizeDomain(domain);
  if (!norm.ok) return invalidDomain(domain, norm.reason, ip, opts, now);
  const name = norm.domain;
  const from = opts.from ?? null;
  const sender = from ?? `postmaster@${name}`;
  const fromDomain = canonicalName(sender.slice(sender.lastIndexOf('@') + 1));

  const mx = await checkMx(ctx, name, { cloud: ctx.cloud, tenant: ctx.tenant });
  // A domain that does not exist has no SPF to check (DOMAIN_NOT_FOUND says it), unless the From domain is another.
  const spfChecked = !(mx.section.nxdomain && fromDomain === name);
  const spfCloud = ctx.cloud ?? mx.section.cloud ?? undefined;
  const spf = spfChecked ? await auditSpf(ctx, { domain: fromDomain, ip: opts.ip, sender, cloud: spfCloud }) : uncheckedSpf(fromDomain, sender, spfCloud ?? 'worldwide');
  const cloud: Cloud = ctx.cloud ?? mx.section.cloud ?? spf.cloud;

  const submissionEndpoint = opts.submission ?? { host: CLOUD_ENDPOINTS[cloud].smtpHost, port: SUBMISSION_PORT };
  const mxHost = mx.section.m365Host;
  const mxPort = opts.mxPort ?? SMTP_PORT;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const creds = opts.credentials ? await opts.credentials(cloud) : { auth: opts.auth, oauth: opts.oauth };
  const [probedSubmission, mxProbed] = await Promise.all([
    probeSmtp({ host: submissionEndpoint.host, port: submissionEndpoint.port, timeoutMs, ca: opts.ca, insecure: opts.insecure, auth: creds.auth, connect: opts.connect, clock: ctx.clock }),
    mxHost ? probeMxHost(ctx, mxHost, { port: mxPort, timeoutMs, ca: opts.ca, insecure: opts.insecure, connect: opts.connect }) : Promise.resolve(null),
  ]);
  const submission = withOAuth(probedSubmission, creds, cloud, now);
  // As check --probe-mx shows it: the MX host's name, not the address it was reached at.
  const mxProbe = mxProbed && mxHost ? { ...mxProbed, host: mxHost } : null;

  const certificateGiven = opts.certificatePem !== undefined;
  const domains = [...new Set([name, fromDomain])];
  const certificate = certificateGiven ? certificateFacts(opts.certificatePem ?? '', domains) : null;
  const certFindings = certificateGiven ? certificateFindings(certificate, domains, now) : [];

  const notFound = mx.section.nxdomain ? [finding('DOMAIN_NOT_FOUND', `${name} does not exist (NXDOMAIN).`, { evidence: `${name}: NXDOMAIN`, fix: 'Check the spelling, or register and delegate the domain first.' })] : [];
  const spfFail = spfFailFinding(spf, cloud);
  const findings = [...notFound, ...mx.findings, ...spf.findings, ...(spfFail ? [spfFail] : []), ...submission.findings, ...(mxProbe?.findings ?? []), ...certFindings];

  const facts: Facts = { domain: name, fromDomain, domains, cloud, ip, mx: mx.section, mxFindings: [...notFound, ...mx.findings], spf, spfChecked, spfFail, submission, auth: creds.auth !== undefined || creds.oauth?.failure !== undefined, mxProbe, certificate, certFindings };
  const mxEndpoint = mxHost ? endpointKey({ host: mxHost, port: mxPort }) : null;
  const viaMx = [mxCondition(facts), port25Condition(facts)];
  const paths: SendPath[] = [
    makePath('smtp-auth', endpointKey(submissionEndpoint), [submissionCondition(facts), authCondition(facts)], SUBMISSION_NOTES),
    makePath('direct-send', mxEndpoint, [...viaMx, spfCondition(facts, 'direct-send')], DIRECT_SEND_NOTES),
    makePath('connector-relay', mxEndpoint, [...viaMx, spfCondition(facts, 'connector-relay'), spfIncludeCondition(facts), ...(certificateGiven ? [certificateCondition(facts)] : [])],
      [...RELAY_NOTES, certificateGiven ? CERT_RULE : `${CERT_RULE} Give --cert FILE to check a device's certificate.`]),
  ];

  return {
    domain: name,
    cloud,
    ip,
    from,
    mx: mx.section,
    spf: {
      domain: fromDomain, sender, ip, record: spf.record, result: spf.result, reason: spf.reason,
      m365Include: spf.tree?.status === 'ok' ? spf.m365Include !== null : null, status: spfChecked ? statusFrom(spf.findings) : 'unknown',
    },
    submission,
    mxProbe,
    certificate,
    paths,
    notes: inputNotes(name, fromDomain, opts.ip),
    findings: mergeTempfails(findings),
    auditedAt: now.toISOString(),
  };
}

/** What the conditions are decided from. */
interface Facts {
  domain: string;
  fromDomain: string;
  /** The domain and the From domain, each once: the names a connector certificate may carry. */
  domains: string[];
  cloud: Cloud;
  ip: string | null;
  mx: MxSection;
  /** checkMx's findings, and DOMAIN_NOT_FOUND. */
  mxFindings: Finding[];
  spf: SpfReport;
  /** False when the domain does not exist and is the From domain: no SPF was asked for. */
  spfChecked: boolean;
  spfFail: Finding | null;
  submission: ProbeResult;
  /** Credentials were given for the AUTH test. */
  auth: boolean;
  mxProbe: ProbeResult | null;
  certificate: SendPathsCertificate | null;
  certFindings: Finding[];
}

/** blocked if a condition is, else unknown if one is, else works. Pure. */
export function sendPathVerdict(conditions: readonly Pick<SendPathCondition, 'state'>[]): SendPathVerdict {
  if (conditions.some((c) => c.state === 'blocked')) return 'blocked';
  if (conditions.some((c) => c.state === 'unknown')) return 'unknown';
  return 'works';
}

function makePath(path: SendPathId, endpoint: string | null, conditions: SendPathCondition[], notes: readonly string[]): SendPath {
  return { path, title: TITLES[path], verdict: sendPathVerdict(conditions), endpoint, conditions, notes: [...notes] };
}

const codesOf = (findings: readonly Finding[]): FindingCode[] => [...new Set(findings.map((f) => f.code))];
const cond = (check: SendPathCheck, state: ConditionState, reason: string, found: readonly Finding[] = []): SendPathCondition => ({ check, state, reason, codes: codesOf(found) });

// ---------------------------------------------------------------------------
// Path 1: SMTP AUTH submission

/** The probe's findings that are not about the AUTH test. */
const sessionFindings = (p: ProbeResult): Finding[] => p.findings.filter((f) => !AUTH_CODE.test(f.code));

function submissionCondition(f: Facts): SendPathCondition {
  const p = f.submission;
  const where = endpointKey(p);
  const session = sessionFindings(p);
  const reach = reachability(p);
  if (reach !== 'reachable') {
    const why = session.filter((x) => x.severity === 'error');
    return cond('submission', reach === 'not probed' ? 'unknown' : 'blocked', why[0]?.message ?? `${where} is not reachable.`, why);
  }
  // Past a connection, any error (no STARTTLS, weak TLS, a certificate that does not verify, a session that
  // broke off) or no AUTH on offer stops a device that follows Microsoft's requirements (TLS 1.2+, AUTH).
  const stops = session.filter((x) => x.severity === 'error' || x.code === 'SMTP_NO_AUTH');
  if (stops.length > 0) return cond('submission', 'blocked', stops.map((x) => x.message).join(' '), stops);
  const mechanisms = p.authMechanisms && p.authMechanisms.length > 0 ? `AUTH ${p.authMechanisms.join(' ')}` : 'AUTH';
  return cond('submission', 'ok', `${where} answers: STARTTLS, ${p.tlsVersion ?? 'TLS'}, certificate ${p.certificate?.verified ? 'verified' : 'not verified'}, ${mechanisms}.`, session);
}

function authCondition(f: Facts): SendPathCondition {
  const p = f.submission;
  const found = p.findings.filter((x) => AUTH_CODE.test(x.code));
  if (!f.auth) return cond('auth', 'unknown', 'No credentials were tested: give --auth-user USER to test a mailbox (SMTP AUTH must be enabled for it, which cannot be seen from outside).');
  const a = p.auth;
  const noToken = found.find((x) => x.code === 'OAUTH_TOKEN_ERROR');
  if (!a && noToken) return cond('auth', 'blocked', `No token for the XOAUTH2 test: ${noToken.message}`, found);
  if (!a) return cond('auth', 'unknown', 'The AUTH test did not run: the session ended before it.', found);
  const reply = a.reply ? ` (${a.reply})` : '';
  switch (a.outcome) {
    case 'accepted': {
      const warnings = found.filter((x) => x.severity !== 'info').map((x) => ` ${x.message}`).join('');
      return cond('auth', 'ok', `AUTH ${a.mechanism} as ${a.user} was accepted${reply}.${warnings}`, found);
    }
    case 'incomplete':
      return cond('auth', 'unknown', `The AUTH test as ${a.user} broke off: ${a.reason ?? 'no final reply'}.`, found);
    case 'not-sent':
      return cond('auth', 'blocked', `The credentials were not sent: ${a.reason ?? 'the connection is not safe'}.`, found);
    case 'not-offered':
      return cond('auth', 'blocked', `AUTH ${a.mechanism} is not offered: ${a.reason ?? 'no mechanism'}.`, found);
    default:
      return cond('auth', 'blocked', found[0]?.message ?? `AUTH ${a.mechanism} as ${a.user} was refused${reply}.`, found);
  }
}

// ---------------------------------------------------------------------------
// Paths 2 and 3: the MX endpoint on port 25

function mxCondition(f: Facts): SendPathCondition {
  const { mx } = f;
  const has = (code: FindingCode): Finding[] => f.mxFindings.filter((x) => x.code === code);
  if (mx.nxdomain) return cond('mx', 'blocked', `${f.domain} does not exist (NXDOMAIN): there is no MX to send to.`, has('DOMAIN_NOT_FOUND'));
  if (mx.status === 'unknown') return cond('mx', 'unknown', `The MX lookup of ${f.domain} failed, so it is not known whether its MX is Microsoft 365's.`, has('DNS_TEMPFAIL'));
  if (mx.m365Host) {
    const unresolved = [...has('MX_HOST_UNRESOLVED'), ...has('DNS_TEMPFAIL')];
    if (unresolved.length > 0) return cond('mx', unresolved.some((x) => x.code === 'MX_HOST_UNRESOLVED') ? 'blocked' : 'unknown', unresolved[0]?.message ?? '', unresolved);
    return cond('mx', 'ok', `The MX ${mx.m365Host} is Microsoft 365's (${mx.cloud ?? f.cloud}): devices send to it on port 25.`, f.mxFindings.filter((x) => x.code.startsWith('MX_')));
  }
  const missing = has('MX_MISSING');
  if (missing.length > 0) return cond('mx', 'blocked', `${f.domain} has no MX host: there is no Microsoft 365 endpoint to send to.`, missing);
  const expected = expectedMxHost(f.domain, f.cloud);
  const hosts = mx.hosts.filter((h) => h.kind !== 'null').map((h) => h.exchange).join(', ');
  const gateway = mx.hosts.find((h) => h.kind === 'gateway');
  if (gateway) {
    return cond('mx', 'blocked', `The MX (${hosts}) is a mail gateway (${gateway.gateway ?? 'gateway'}), not Microsoft 365's: direct send and relay go to the tenant's Microsoft 365 MX endpoint (such as ${expected}), which the domain's MX does not name. Point the device at the endpoint the admin center shows, or send through the gateway.`, has('MX_GATEWAY'));
  }
  return cond('mx', 'blocked', `No MX of ${f.domain} is Microsoft 365's (${hosts || 'none'}): mail sent there does not reach Exchange Online, so direct send and relay cannot be used until the MX is ${expected} (confirm it in the admin center).`, [...has('MX_NOT_M365'), ...has('MX_DEPRECATED')]);
}

function port25Condition(f: Facts): SendPathCondition {
  const p = f.mxProbe;
  if (!p) return cond('port25', 'unknown', 'Port 25 was not probed: there is no Microsoft 365 MX host.');
  const where = `${p.host}:${p.port}`;
  const reach = reachability(p);
  const errors = p.findings.filter((x) => x.severity === 'error');
  if (reach === 'not probed') return cond('port25', 'unknown', errors[0]?.message ?? `${where} was not probed.`, errors);
  if (reach === 'unreachable') {
    const why = errors[0] ? ` (${errors[0].message.replace(/\.$/, '')})` : '';
    return cond('port25', 'blocked', `${where} is not reachable from here${why}. Many ISPs and networks block outbound port 25: test from the device's own network too.`, errors);
  }
  if (p.starttls !== true || p.tlsVersion === null) {
    // Microsoft's MX always offers STARTTLS (reference §8): without it, something between here and Microsoft answers.
    return cond('port25', 'unknown', `${where} answers, but without usable STARTTLS (${errors[0]?.message ?? 'no TLS'}): Microsoft's MX always offers it, so something between here and Microsoft (an SMTP-inspecting firewall or proxy) may answer instead.`, errors);
  }
  // Microsoft's MX presents a certificate for its name: one that does not verify means something in between, or a wrong MX.
  const cert = p.certificate && !p.certificate.verified ? `; its certificate does not verify for ${p.host} (${p.certificate.error ?? 'unknown error'}), so something in between may intercept TLS` : '';
  return cond('port25', 'ok', `${where} answers with STARTTLS (${p.tlsVersion})${cert}.`, p.findings);
}

/** MESSAGE_SPF_FAIL for an --ip that check_host() does not pass (a temperror is DNS_TEMPFAIL instead). */
function spfFailFinding(spf: SpfReport, cloud: Cloud): Finding | null {
  if (spf.ip === null || spf.result === null || spf.result === 'pass' || spf.result === 'temperror') return null;
  const client = parseClientIp(spf.ip);
  const term = client?.family === 6 ? `ip6:${client.readable}` : `ip4:${client?.readable ?? spf.ip}`;
  const include = CLOUD_ENDPOINTS[cloud].spfInclude;
  return finding('MESSAGE_SPF_FAIL', `${spf.ip} does not pass the SPF policy of ${spf.domain} (${spf.result}): mail it sends by direct send or relay is marked as spoofed.`, {
    evidence: `check_host(${spf.ip}, ${spf.domain}, ${spf.sender ?? ''}) = ${spf.result}${spf.reason ? `: ${spf.reason}` : ''}`,
    // LEARN-MFD steps for direct send and relay [P]: the device's static IP in SPF, beside Microsoft's include.
    fix: `Add ${term} to the SPF record of ${spf.domain} (Microsoft's form: v=spf1 ${term} include:${include} ~all), or send through SMTP AUTH instead.`,
  });
}

function spfCondition(f: Facts, path: 'direct-send' | 'connector-relay'): SendPathCondition {
  const { spf } = f;
  if (!f.spfChecked) return cond('spf', 'unknown', `Not checked: ${f.fromDomain} does not exist, so it has no SPF policy.`);
  if (f.ip === null) return cond('spf', 'unknown', `Give --ip (the device's public address) to check it against the SPF policy of ${f.fromDomain}.`);
  const tempfails = spf.findings.filter((x) => x.code === 'DNS_TEMPFAIL');
  if (spf.result === 'temperror') return cond('spf', 'unknown', `The SPF check of ${f.ip} for ${f.fromDomain} failed on DNS (temperror): ${spf.reason ?? ''}`.trim(), tempfails);
  if (spf.result === 'pass') return cond('spf', 'ok', `${f.ip} passes the SPF policy of ${f.fromDomain} (${spf.reason ?? 'pass'}).`);
  // Without SPF, Microsoft's spoof checks (composite authentication) mark the mail, and receivers outside too (research §8; LEARN-MFD).
  const consequence = path === 'direct-send'
    ? "Microsoft 365's spoof checks mark the mail as spoofed (junk or quarantine), as any receiver would"
    : "Microsoft's setup for relay puts the device's static IP in SPF; without it the mail is marked as spoofed";
  const behind = [...(f.spfFail ? [f.spfFail] : []), ...spf.findings.filter((x) => x.severity === 'error' && x.code !== 'DNS_TEMPFAIL')];
  return cond('spf', 'blocked', `${f.ip} does not pass the SPF policy of ${f.fromDomain} (${spf.result ?? 'none'}${spf.reason ? `: ${spf.reason}` : ''}): ${consequence}.`, behind);
}

/** Relayed mail leaves from Microsoft's servers: external receivers check them against the sender domain's SPF. */
function spfIncludeCondition(f: Facts): SendPathCondition {
  const { spf } = f;
  const include = CLOUD_ENDPOINTS[f.cloud].spfInclude;
  if (!f.spfChecked) return cond('spf-include', 'unknown', `Not checked: ${f.fromDomain} does not exist, so it has no SPF policy.`);
  const microsoft = spf.findings.filter((x) => x.code === 'SPF_NO_M365_INCLUDE' || x.code === 'SPF_M365_INCLUDE_QUALIFIED' || x.code === 'SPF_M365_NOT_PASS' || x.code === 'SPF_MISSING' || x.code === 'SPF_MULTIPLE' || x.code === 'SPF_SYNTAX');
  if (microsoft.length > 0) {
    return cond('spf-include', 'blocked', `Relayed mail leaves from Microsoft's servers, and the SPF policy of ${f.fromDomain} does not let them pass: ${microsoft[0]?.message ?? ''}`.trim(), microsoft);
  }
  if (spf.status === 'unknown' || spf.tree?.status !== 'ok') {
    return cond('spf-include', 'unknown', `The SPF policy of ${f.fromDomain} could not be analysed, so it is not known whether Microsoft's servers (include:${include}) pass it.`, spf.findings.filter((x) => x.code === 'DNS_TEMPFAIL'));
  }
  return cond('spf-include', 'ok', `The SPF policy of ${f.fromDomain} includes ${include}: Microsoft's servers, which deliver relayed mail to external recipients, pass it.`);
}

function certificateFacts(pem: string, domains: readonly string[]): SendPathsCertificate | null {
  const cert = parseConnectorCertificate(pem);
  return cert ? { ...cert, matches: certificateNameMatches(cert, [...new Set(domains)]) } : null;
}

function certificateFindings(cert: SendPathsCertificate | null, domains: readonly string[], now: Date): Finding[] {
  const named = domains.join(' or ');
  if (!cert) return [finding('CONNECTOR_CERT_NAME_MISMATCH', 'The --cert file holds no certificate that parses, so no name in it can match a connector.', { fix: 'Give the device\'s certificate as PEM (-----BEGIN CERTIFICATE-----).' })];
  const out: Finding[] = [];
  if (cert.matches.length === 0) {
    out.push(finding('CONNECTOR_CERT_NAME_MISMATCH', `The certificate names ${named} nowhere in its CN or SAN: a certificate-based connector does not match it (550 5.7.64 TenantAttribution; Relay Access Denied).`, {
      evidence: `subject ${cert.subject}; names ${cert.names.join(' ') || '-'}`,
      fix: `Give the device a certificate whose CN or SAN is ${named} (an accepted domain), and create the connector with that same domain.`,
    }));
  }
  const validity = certificateValidity(cert, now);
  if (validity) {
    out.push(finding('CONNECTOR_CERT_EXPIRED', `The certificate is ${validity === 'expired' ? 'expired' : 'not valid yet'} (valid ${cert.validFrom ?? '?'} to ${cert.validTo ?? '?'}): the TLS handshake with it fails.`, { fix: 'Renew the device\'s certificate.' }));
  }
  return out;
}

function certificateCondition(f: Facts): SendPathCondition {
  const cert = f.certificate;
  if (!cert || f.certFindings.length > 0) return cond('certificate', 'blocked', f.certFindings.map((x) => x.message).join(' '), f.certFindings);
  const m = cert.matches[0] as NameMatch;
  const how = m.fit === 'exact' ? '' : m.fit === 'wildcard' ? ' (a wildcard: the connector must name the same domain)' : ' (a name below it: the connector must name it)';
  return cond('certificate', 'ok', `The certificate names ${m.name}, in ${m.domain}${how}, and is valid until ${cert.validTo ?? '?'}: create the certificate-based connector with that domain.`);
}

// ---------------------------------------------------------------------------

function inputNotes(domain: string, fromDomain: string, ipInput: string | undefined): string[] {
  const notes: string[] = [];
  const client = ipInput === undefined ? null : parseClientIp(ipInput);
  const range = client?.addr.range();
  if (range && ['private', 'loopback', 'linkLocal', 'uniqueLocal', 'carrierGradeNat'].includes(range)) {
    notes.push(`${client?.readable ?? ipInput} is not a public address (${range}): Microsoft sees the public address the device's network sends from; give that with --ip.`);
  }
  if (fromDomain !== domain) notes.push(`The From domain ${fromDomain} is not ${domain}: it must be an accepted domain of the tenant too, and its own SPF policy is the one checked.`);
  return notes;
}

/** The SPF report of a From domain that was not asked for (it does not exist): no record, no result, no findings. */
function uncheckedSpf(domain: string, sender: string, cloud: Cloud): SpfReport {
  return {
    domain, cloud, ip: null, sender, helo: null, result: null, explanation: null, reason: null, path: [], lookups: 0, voidLookups: 0, complete: false,
    evaluation: null, record: null, records: [], tree: null, m365Include: null, allQualifier: null, m365Samples: [], status: 'unknown', findings: [],
  };
}

/** The report of an input that is not a domain name: DOMAIN_INVALID, nothing asked or probed, every path unknown. */
function invalidDomain(input: string, reason: string, ip: string | null, opts: SendPathsOptions, now: Date): SendPathsReport {
  const f = finding('DOMAIN_INVALID', `${JSON.stringify(input.slice(0, 256))} is not a valid domain name: ${reason}.`, { fix: 'Give a domain name such as contoso.com.' });
  const unknown = (check: SendPathCheck): SendPathCondition => cond(check, 'unknown', 'Not checked: the domain is not a valid domain name.', [f]);
  return {
    domain: input.slice(0, 256), cloud: 'worldwide', ip, from: opts.from ?? null,
    mx: { status: 'unknown', hosts: [], hostsTotal: 0, m365Host: null, cloud: null, nxdomain: false },
    spf: { domain: '', sender: opts.from ?? '', ip, record: null, result: null, reason: null, m365Include: null, status: 'unknown' },
    submission: null, mxProbe: null, certificate: null,
    paths: [
      makePath('smtp-auth', null, [unknown('submission')], SUBMISSION_NOTES),
      makePath('direct-send', null, [unknown('mx')], DIRECT_SEND_NOTES),
      makePath('connector-relay', null, [unknown('mx')], RELAY_NOTES),
    ],
    notes: [], findings: [f], auditedAt: now.toISOString(),
  };
}
