/**
 * The OAuth 2.0 client-credentials grant against Microsoft Entra ID, done by
 * m365audit itself, for the XOAUTH2 test (issue 15; research/oauth.md §5).
 *
 * `POST https://<login host>/<tenant>/oauth2/v2.0/token`, form-encoded
 * [P: LEARN-CC]: `client_id`, `scope=<exoResource>/.default`,
 * `grant_type=client_credentials`, and either `client_secret` or
 * `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
 * with `client_assertion`: a JWT signed with the certificate's key
 * (RFC 7523 §2.2). The assertion follows Learn's current text [P: LEARN-CERT,
 * ms.date 2025-01-04]: header `alg: PS256`, `typ: JWT`, `x5t#S256` (base64url
 * SHA-256 of the certificate's DER); claims `aud` = the token URL, `iss` =
 * `sub` = the client ID, a GUID `jti`, `nbf` = `iat` = now and `exp` 10
 * minutes later ("5-10 minutes after nbf at most"; MSAL Node sends the same
 * [P-run]). RS256 + `x5t` is the legacy form, not sent.
 *
 * Why no MSAL (research §6): the same request must reach a loopback
 * endpoint with an injected CA and login.microsoftonline.com with the system
 * store, which `node:https` does per request (http/client.ts) and msal-node
 * cannot without a custom network client; the auditor needs Entra's raw
 * error JSON (error, error_codes[], trace_id, correlation_id, the HTTP
 * status), which MSAL rewrites; and MSAL once resolved an HTTP 404 with an
 * empty token as a success [P-run]. jose signs the assertion and decodes
 * the token.
 *
 * Errors are Entra's JSON [P: LEARN-ERR, LEARN-CC]: HTTP 400 (401 for
 * invalid_client) with `error`, `error_description` (`AADSTS<n>: …`),
 * `error_codes`, `trace_id`, `correlation_id`, `timestamp`. Microsoft says
 * to match the numbers, not the text, so the finding names `error_codes[]`
 * and shows the description as it came (bounded). Every failure, whatever its
 * cause (an answer, a network failure, a bad credential), is a TokenFailure
 * with an OAUTH_TOKEN_ERROR finding; nothing throws.
 *
 * Secrets: the client secret and the assertion are sent and never returned.
 * Everything the endpoint says is passed through the credential's redactor
 * (smtp/redact.ts: any 12-character run of the secret, URL- or form-encoded
 * or base64, or of the assertion's payload and signature, withholds the
 * field) before it is kept: each field of Entra's JSON as parsed (so a JSON
 * escape such as `\u0047` hides nothing), and a body shown as evidence both
 * as text and as parsed JSON. A long secret is also scrubbed from the whole
 * result, as the probe does with the password. A token's claims are data from
 * the same endpoint: on success they go through the redactor too, here and,
 * by the token, in the diagnosis (redactorOfToken, oauth-result.ts).
 */
import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import { finding, type Finding } from '../findings/catalog.js';
import type { HttpsClient, HttpsFailure } from '../http/client.js';
import { CLOUD_ENDPOINTS, type Cloud } from '../m365/clouds.js';
import { capText } from '../util/caps.js';
import { aadstsErrorUrl, findAadsts } from './aadsts.js';
import { createRedactor, createSafetyNet, scrub, WITHHELD, type Redactor } from './redact.js';
import { parseTokenClaims, redactFacts, type TokenFacts } from './token-claims.js';

/** What acquireToken needs: the HTTPS client (its CA and deadlines) and a clock for the assertion (default: now). */
export interface TokenContext {
  https: HttpsClient;
  clock?: () => Date;
}

/** The app's credential: a client secret, or a certificate with its private key (one PEM holding both, or `keyPem` apart). */
export type ClientCredential =
  | { kind: 'secret'; secret: string }
  | { kind: 'certificate'; certPem: string; keyPem?: string };

/** One client-credentials request: the cloud (its login host and Exchange Online resource), tenant, app and credential. */
export interface TokenRequest {
  cloud: Cloud;
  /** The tenant's ID (a GUID) or one of its domains; never `common` or `consumers` (AADSTS9001023). */
  tenantId: string;
  /** The app's Application (client) ID. */
  clientId: string;
  credential: ClientCredential;
  /** Replaces `https://<loginHost>` of the cloud (`--authority`; tests point it at a loopback endpoint). */
  authority?: string;
}

/** A token: the access token, its lifetime and its decoded (unverified) claims. */
export interface TokenSuccess {
  ok: true;
  accessToken: string;
  /** `expires_in` in seconds, or null when the answer had none. */
  expiresIn: number | null;
  /** The URL the token came from. */
  tokenUrl: string;
  claims: TokenFacts;
}

/**
 * Why there is no token. `aadsts`: Entra's error JSON; `http`: another
 * status without it; `network`: no answer (see `network`); `answer`: a 200
 * that is not a token (not JSON, no access_token); `credential`: the
 * certificate or key cannot be used; `request`: the tenant, client ID or
 * authority cannot be sent. The last two come before any request, so the
 * CLI can say them as usage errors.
 */
export type TokenErrorKind = 'aadsts' | 'http' | 'network' | 'answer' | 'credential' | 'request';

/** Entra's error fields as they came (bounded, redacted), or what stood for them. */
export interface TokenError {
  kind: TokenErrorKind;
  status: number | null;
  /** The OAuth `error` (`invalid_client`), or null. */
  error: string | null;
  /** `error_codes[]` (at most MAX_ERROR_CODES), else the AADSTS number of the description. */
  codes: number[];
  /** `error_description` (or our words for the kinds without one), at most MAX_DESCRIPTION characters. */
  description: string | null;
  traceId: string | null;
  correlationId: string | null;
  timestamp: string | null;
  /** For `network`: the HTTPS failure's kind (refused, timeout, tls …). */
  network?: HttpsFailure['kind'];
}

/** No token: the OAUTH_TOKEN_ERROR finding and the error's fields. */
export interface TokenFailure {
  ok: false;
  finding: Finding;
  error: TokenError;
}

/** What acquireToken resolves with. */
export type TokenResult = TokenSuccess | TokenFailure;

/** A certificate credential ready to sign with (parseClientCertificate). */
export interface ClientCertificate {
  /** `x5t#S256`: base64url of the SHA-256 of the certificate's DER. */
  thumbprintSha256: string;
  /** The SHA-1 thumbprint as Entra's portal shows it (hex, upper case, no colons). */
  thumbprintSha1: string;
  subject: string;
  /** UTC ISO 8601. */
  notAfter: string;
  key: crypto.KeyObject;
}

/** Why a certificate credential cannot be used. */
export type CertificateProblem = 'too-large' | 'no-certificate' | 'no-key' | 'encrypted-key' | 'unparsable' | 'not-rsa' | 'key-mismatch';

/** The assertion's lifetime: 10 minutes (LEARN-CERT: "5-10 minutes after nbf at most"; MSAL Node: iat + 600). */
export const ASSERTION_LIFETIME_SECONDS = 600;
/** Largest PEM text read (a certificate with its chain and key is a few KB). */
export const MAX_PEM_LENGTH = 64 * 1024;
/** Most `error_codes` kept. */
export const MAX_ERROR_CODES = 10;
/** Longest `error_description` kept. */
export const MAX_DESCRIPTION = 1000;
const MAX_FIELD = 200;
const MAX_ID_LENGTH = 256;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** What replaces text from the endpoint that holds a short secret (or that cutting a long one would leave readable). */
export const SECRET_WITHHELD = '[withheld: it holds the client credential]';

/** The tenants the client-credentials grant refuses [P: LEARN-ERR AADSTS9001023; research §9.3]. */
const NO_TENANT = new Set(['common', 'consumers']);
// A tenant ID (GUID) or a domain: letters, digits, dots and hyphens only (it goes into the URL path).
const TENANT_CHARS = /^[A-Za-z0-9.-]+$/;

/**
 * Gets an access token for the cloud's Exchange Online (scope
 * `<exoResource>/.default`) by the client-credentials grant (see the module
 * comment). Reaches the network only through `ctx.https`; never throws.
 */
export async function acquireToken(ctx: TokenContext, req: TokenRequest): Promise<TokenResult> {
  const clock = ctx.clock ?? (() => new Date());
  const target = tokenUrl(req);
  if (!target.ok) return failure({ kind: 'request', description: target.problem }, target.message, target.fix);
  const url = target.url;
  const scope = `${CLOUD_ENDPOINTS[req.cloud].exoResource}/.default`;
  const form = new URLSearchParams({ client_id: req.clientId.trim(), scope, grant_type: 'client_credentials' });
  let sent: string;
  if (req.credential.kind === 'secret') {
    if (req.credential.secret.length === 0) return failure({ kind: 'credential', description: 'the client secret is empty' }, 'No token: the client secret is empty.', 'Set M365AUDIT_CLIENT_SECRET to the secret\'s Value.');
    form.set('client_secret', req.credential.secret);
    sent = req.credential.secret;
  } else {
    const cert = parseClientCertificate(req.credential.certPem, req.credential.keyPem);
    if (!cert.ok) return failure({ kind: 'credential', description: cert.message }, `No token: the client certificate cannot be used: ${cert.message}.`, CERTIFICATE_FIXES[cert.problem]);
    const assertion = await createClientAssertion(cert.certificate, req.clientId.trim(), url, clock());
    form.set('client_assertion_type', ASSERTION_TYPE);
    form.set('client_assertion', assertion);
    sent = assertion;
  }
  const redact = credentialRedactor(createRedactor(sent));
  const outcome = await ctx.https.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
  });
  const result = readAnswer(outcome, url, redact);
  if (result.ok) {
    remember(result.accessToken, redact);
    return { ...result, claims: redactFacts(result.claims, redact) };
  }
  const net = createSafetyNet(sent);
  return net ? scrub(result, credentialRedactor(net)) : result;
}

/** The grant's redactor, saying SECRET_WITHHELD for what it withholds. */
function credentialRedactor(r: Redactor): Redactor {
  return Object.assign((s: string) => {
    const out = r(s);
    return out === WITHHELD ? SECRET_WITHHELD : out;
  }, { holds: (s: string) => r.holds(s) });
}

/**
 * The redactor of the credential each recent token was issued for, by the
 * token: the CLI hands withTokenDiagnosis (oauth-result.ts) the token alone,
 * and its claims must be redacted there too. The last MAX_REMEMBERED grants.
 */
const issued = new Map<string, Redactor>();
const MAX_REMEMBERED = 16;

function remember(token: string, redact: Redactor): void {
  issued.delete(token);
  issued.set(token, redact);
  for (const old of issued.keys()) {
    if (issued.size <= MAX_REMEMBERED) break;
    issued.delete(old);
  }
}

/** The redactor of the client credential a token came for (acquireToken, this process, one of the last 16), or null. */
export function redactorOfToken(token: string): ((text: string) => string) | null {
  return issued.get(token.trim()) ?? null;
}

/**
 * The token URL of a request, or why it cannot be sent: the tenant (not
 * `common`/`consumers`, letters, digits, dots and hyphens), the client ID
 * and the authority (`https:`, no query, fragment or credentials). Pure.
 */
export function tokenUrl(req: Pick<TokenRequest, 'cloud' | 'tenantId' | 'clientId' | 'authority'>): { ok: true; url: string } | { ok: false; problem: string; message: string; fix: string } {
  const tenant = req.tenantId.trim();
  if (NO_TENANT.has(tenant.toLowerCase())) {
    return {
      ok: false, problem: `tenant ${tenant}`,
      message: `No token: the client-credentials grant does not work over /${tenant.toLowerCase()} (Entra answers AADSTS9001023).`,
      fix: findAadsts(9001023)?.fix ?? '',
    };
  }
  if (tenant.length === 0 || tenant.length > MAX_ID_LENGTH || !TENANT_CHARS.test(tenant)) {
    return { ok: false, problem: 'tenant not a tenant ID or domain', message: 'No token: the tenant is neither a tenant ID (GUID) nor a domain name.', fix: 'Give --tenant-id as the Directory (tenant) ID GUID or a verified domain (contoso.onmicrosoft.com).' };
  }
  const client = req.clientId.trim();
  if (client.length === 0 || client.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f\s]/.test(client)) {
    return { ok: false, problem: 'client ID empty or malformed', message: 'No token: the client ID is empty or malformed.', fix: 'Give --client-id as the Application (client) ID GUID of the app registration.' };
  }
  let base = `https://${CLOUD_ENDPOINTS[req.cloud].loginHost}`;
  if (req.authority !== undefined) {
    let u: URL;
    try {
      u = new URL(req.authority);
    } catch {
      return badAuthority();
    }
    if (u.protocol !== 'https:' || u.search || u.hash || u.username || u.password) return badAuthority();
    base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  }
  return { ok: true, url: `${base}/${encodeURIComponent(tenant)}/oauth2/v2.0/token` };
}

function badAuthority(): { ok: false; problem: string; message: string; fix: string } {
  return { ok: false, problem: 'authority not an https URL', message: 'No token: the authority is not an https: URL without query or credentials.', fix: 'Give --authority as https://HOST[:PORT] (the login host, e.g. https://login.microsoftonline.us).' };
}

const CERTIFICATE_FIXES: Record<CertificateProblem, string> = {
  'too-large': `Give a PEM file of the certificate and its key only (at most ${MAX_PEM_LENGTH} characters).`,
  'no-certificate': 'Give --client-cert a PEM file holding the certificate (-----BEGIN CERTIFICATE-----).',
  'no-key': 'Give the private key too: in the --client-cert PEM file, or apart with --client-key.',
  'encrypted-key': 'Give the key unencrypted (openssl pkey -in key.pem -out plain.pem), in a file only you can read.',
  unparsable: 'Give PEM text (-----BEGIN CERTIFICATE----- and -----BEGIN PRIVATE KEY-----), not DER or PFX (openssl pkcs12 -in cert.pfx -nodes converts one).',
  'not-rsa': 'Use an RSA certificate: the assertion is signed PS256 (RSA-PSS with SHA-256), as Entra asks.',
  'key-mismatch': 'Give the private key of this certificate: the key and the certificate do not belong together.',
};

/**
 * Reads a certificate credential: the certificate (the one the key belongs
 * to, when the PEM holds a chain) and its unencrypted RSA private key, from
 * one PEM or two; with the `x5t#S256` and SHA-1 thumbprints. Never throws;
 * `message` never quotes the PEM. Pure.
 */
export function parseClientCertificate(certPem: string, keyPem?: string): { ok: true; certificate: ClientCertificate } | { ok: false; problem: CertificateProblem; message: string } {
  const bad = (problem: CertificateProblem, message: string) => ({ ok: false as const, problem, message });
  if (certPem.length > MAX_PEM_LENGTH || (keyPem ?? '').length > MAX_PEM_LENGTH) return bad('too-large', `the PEM text is longer than ${MAX_PEM_LENGTH} characters`);
  const certBlocks = pemBlocks(certPem);
  const keyBlocks = pemBlocks(keyPem ?? certPem).filter((b) => /PRIVATE KEY$/.test(b.label));
  const certs = certBlocks.filter((b) => b.label === 'CERTIFICATE');
  if (certs.length === 0) return bad(certBlocks.length || certPem.trim() ? 'unparsable' : 'no-certificate', certBlocks.length ? 'no CERTIFICATE block in the PEM text' : 'no PEM certificate found');
  const keyBlock = keyBlocks[0];
  if (!keyBlock) return bad('no-key', 'no private key found');
  if (keyBlock.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/i.test(keyBlock.pem)) return bad('encrypted-key', 'the private key is encrypted');
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: keyBlock.pem, format: 'pem' });
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === 'ERR_MISSING_PASSPHRASE' ? bad('encrypted-key', 'the private key is encrypted') : bad('unparsable', 'the private key does not parse');
  }
  if (key.asymmetricKeyType !== 'rsa') return bad('not-rsa', `the key is ${key.asymmetricKeyType ?? 'of an unknown type'}, not RSA`);
  let parsed: crypto.X509Certificate[];
  try {
    parsed = certs.map((b) => new crypto.X509Certificate(b.pem));
  } catch {
    return bad('unparsable', 'a certificate does not parse');
  }
  const cert = parsed.find((c) => c.checkPrivateKey(key));
  if (!cert) return bad('key-mismatch', 'the private key does not belong to the certificate');
  return {
    ok: true,
    certificate: {
      thumbprintSha256: crypto.createHash('sha256').update(cert.raw).digest('base64url'),
      thumbprintSha1: crypto.createHash('sha1').update(cert.raw).digest('hex').toUpperCase(),
      subject: capText(cert.subject.replace(/\n/g, ', '), MAX_FIELD),
      notAfter: new Date(cert.validTo).toISOString(),
      key,
    },
  };
}

/** The signed client assertion (see the module comment for its header and claims). */
export async function createClientAssertion(cert: ClientCertificate, clientId: string, audience: string, now: Date): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'PS256', typ: 'JWT', 'x5t#S256': cert.thumbprintSha256 })
    .setAudience(audience)
    .setIssuer(clientId)
    .setSubject(clientId)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
    .sign(cert.key);
}

/** PEM blocks by their BEGIN/END lines, found with indexOf (linear), at most 16. */
function pemBlocks(text: string): { label: string; pem: string }[] {
  const blocks: { label: string; pem: string }[] = [];
  let i = 0;
  while (blocks.length < 16) {
    const start = text.indexOf('-----BEGIN ', i);
    if (start === -1) break;
    const labelEnd = text.indexOf('-----', start + 11);
    if (labelEnd === -1) break;
    const label = text.slice(start + 11, labelEnd);
    if (!/^[A-Z0-9 ]{1,40}$/.test(label)) {
      i = labelEnd;
      continue;
    }
    const endLine = `-----END ${label}-----`;
    const end = text.indexOf(endLine, labelEnd + 5);
    if (end === -1) break;
    blocks.push({ label, pem: text.slice(start, end + endLine.length) });
    i = end + endLine.length;
  }
  return blocks;
}

/** The answer (or its absence) as a TokenResult. */
function readAnswer(outcome: Awaited<ReturnType<HttpsClient['request']>>, url: string, redact: Redactor): TokenResult {
  const host = new URL(url).host;
  if (outcome.kind !== 'ok') return networkFailure(outcome, host);
  const { status } = outcome;
  const json = parseJson(outcome.body);
  if (status === 200) {
    if (json === null) return failure({ kind: 'answer', status, description: 'the answer is not JSON' }, `No token: ${host} answered 200 with something that is not JSON.`, 'Check --authority: it must be the Entra login host (https://login.microsoftonline.com or the cloud\'s).', bodyEvidence(outcome, redact));
    const token = json.access_token;
    if (typeof token !== 'string' || token.trim().length === 0) {
      return failure({ kind: 'answer', status, description: 'no access_token in the answer' }, `No token: ${host} answered 200 without an access token.`, 'Check --authority: the Entra token endpoint always returns access_token on success.', `HTTP 200, fields: ${Object.keys(json).slice(0, 10).map((k) => capText(redact(k), 40)).join(', ') || '(none)'}`);
    }
    const type = json.token_type;
    if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) {
      return failure({ kind: 'answer', status, description: 'token_type is not Bearer' }, `No token: ${host} answered a token of type ${capText(redact(String(type)), 40)}, not Bearer.`, 'Check --authority: Entra issues Bearer tokens.');
    }
    const exp = typeof json.expires_in === 'number' ? json.expires_in : typeof json.expires_in === 'string' && /^\d{1,9}$/.test(json.expires_in) ? Number(json.expires_in) : null;
    return { ok: true, accessToken: token.trim(), expiresIn: exp !== null && Number.isFinite(exp) ? Math.floor(exp) : null, tokenUrl: url, claims: parseTokenClaims(token) };
  }
  if (json && (typeof json.error === 'string' || Array.isArray(json.error_codes))) return aadstsFailure(json, status, host, redact);
  const moved = status >= 300 && status < 400 ? `, redirected to ${capText(redact(outcome.headers.location ?? '(no Location)'), MAX_FIELD)}` : '';
  return failure(
    { kind: 'http', status, description: `HTTP ${status} without an Entra error${moved}` },
    `No token: ${host} answered HTTP ${status}${moved}, not a token or an Entra error.`,
    status >= 500 ? 'The endpoint failed: retry later; if it persists, check --authority.' : 'Check --authority: it must be the Entra login host (https://login.microsoftonline.com or the cloud\'s), which never redirects.',
    bodyEvidence(outcome, redact),
  );
}

function aadstsFailure(json: Record<string, unknown>, status: number, host: string, redact: (s: string) => string): TokenFailure {
  const field = (k: string, max = MAX_FIELD): string | null => (typeof json[k] === 'string' ? capText(redact(json[k] as string), max) : null);
  const description = field('error_description', MAX_DESCRIPTION);
  let codes = Array.isArray(json.error_codes) ? json.error_codes.filter((c): c is number => Number.isInteger(c) && c >= 0 && c < 1e10).slice(0, MAX_ERROR_CODES) : [];
  if (codes.length === 0 && description) {
    const m = /AADSTS(\d{1,9})(?!\d)/.exec(description);
    if (m) codes = [Number(m[1])];
  }
  const error: TokenError = {
    kind: 'aadsts', status, error: field('error', 100), codes, description,
    traceId: field('trace_id', 100), correlationId: field('correlation_id', 100), timestamp: field('timestamp', 50),
  };
  const first = codes.map((c) => findAadsts(c)).find((e) => e !== null) ?? null;
  const named = codes.length ? codes.map((c) => `AADSTS${c}`).join(', ') : (error.error ?? 'an error');
  const message = first ? `The token endpoint refused the grant: ${named} (${first.title}).` : `The token endpoint ${host} refused the grant: ${named}.`;
  const head = [
    `HTTP ${status}${error.error ? ` ${error.error}` : ''}${codes.length ? `, error_codes [${codes.join(', ')}]` : ''}`,
    error.traceId ? `trace_id ${error.traceId}` : null,
    error.correlationId ? `correlation_id ${error.correlationId}` : null,
  ].filter(Boolean).join('; ');
  // The description's first line: Entra appends Trace ID, Correlation ID and Timestamp on lines of their own.
  const evidence = capText(description ? `${head}: ${description.split(/\r?\n/)[0]}` : head);
  const fix = first
    ? `${first.fix} (${aadstsErrorUrl(first.code)})`
    : error.error === 'temporarily_unavailable'
      ? 'Entra is temporarily unavailable: retry later.'
      : codes[0] !== undefined ? `See ${aadstsErrorUrl(codes[0])}; the description says more.` : 'The description says more.';
  return { ok: false, finding: finding('OAUTH_TOKEN_ERROR', message, { evidence, fix }), error };
}

function networkFailure(o: HttpsFailure, host: string): TokenFailure {
  const what: Record<HttpsFailure['kind'], [string, string]> = {
    refused: [`${host} refused the connection`, 'Check --authority (host and port) and that the login host is reachable from here.'],
    unreachable: [`${host} cannot be reached (${o.kind === 'unreachable' ? o.code : ''})`, 'Check the name in --authority, DNS and the network path (proxy, firewall) to the login host.'],
    timeout: [`${host} did not answer in time (${o.message})`, 'Check the network path (proxy, firewall) to the login host, or raise --timeout.'],
    tls: [`the certificate of ${host} did not verify (${o.kind === 'tls' ? o.code : ''})`, 'If a proxy inspects TLS or the endpoint uses a private CA, trust its CA with --tls-ca.'],
    'too-large': [`${host}'s answer is larger than ${o.kind === 'too-large' ? o.limit : 0} bytes`, 'Check --authority: a token answer is a few KB.'],
    protocol: [`${host}'s answer is not HTTP as expected (${o.message})`, 'Check --authority: it must be an https: login host.'],
  };
  const [text, fix] = what[o.kind];
  return failure({ kind: 'network', description: text, network: o.kind }, `No token: ${text}.`, fix, `${o.kind}: ${o.message}`);
}

function failure(e: Partial<TokenError> & { kind: TokenErrorKind }, message: string, fix: string, evidence?: string): TokenFailure {
  const error: TokenError = {
    kind: e.kind, status: e.status ?? null, error: null, codes: [], description: e.description ?? null,
    traceId: null, correlationId: null, timestamp: null, ...(e.network ? { network: e.network } : {}),
  };
  return { ok: false, finding: finding('OAUTH_TOKEN_ERROR', message, { evidence: evidence ?? e.description ?? undefined, fix }), error };
}

function bodyEvidence(o: { status: number; headers: Readonly<Record<string, string>>; body: string }, redact: Redactor): string {
  // Redacted whole, then cut: a cut first could keep half of a secret that a redactor would no longer recognise.
  const type = capText(redact(o.headers['content-type'] ?? '(no content-type)'), 100);
  const cut = redact(o.body);
  const body = cut.replace(/\s+/g, ' ').trim();
  // JSON may escape the secret (\u0047…) past the text's redaction: a JSON body is read again parsed, after
  // the cut, and withheld when a string of it still holds the secret (or the cut left no JSON).
  const after = parseAny(o.body) === undefined ? null : parseAny(cut);
  const escaped = after !== null && (after === undefined || jsonStrings(after).some((s) => redact.holds(s)));
  return escaped || body === SECRET_WITHHELD || type === SECRET_WITHHELD ? SECRET_WITHHELD : `HTTP ${o.status}, ${type}${body ? `: ${capText(body, 200)}` : ', empty body'}`;
}

/** A JSON text's value, or undefined when it is not JSON. */
function parseAny(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Every string of a parsed JSON value, keys included (the endpoint's answer is bounded by the HTTPS client). */
function jsonStrings(v: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x === 'string') out.push(x);
    else if (Array.isArray(x)) for (const y of x) stack.push(y);
    else if (x && typeof x === 'object') for (const [k, y] of Object.entries(x)) stack.push(k, y);
  }
  return out;
}

function parseJson(text: string): Record<string, unknown> | null {
  const v = parseAny(text);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
