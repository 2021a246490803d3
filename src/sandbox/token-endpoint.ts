/**
 * A loopback stand-in for Microsoft Entra ID's token endpoint
 * (`POST /{tenant}/oauth2/v2.0/token`), on the sandbox HTTPS server
 * (https-server.ts): the client-credentials grant for registered apps, with
 * a client secret or a certificate assertion, for tests and rehearsals of
 * `probe --oauth` (issue 15). Shaped after Learn (research/oauth.md §4-§5):
 *
 * - a secret is compared with the app's (an expired one answers 7000222,
 *   another 7000215);
 * - an assertion's signature is verified against the app's registered
 *   certificate (jose), its `x5t#S256` (or legacy `x5t`) must name that
 *   certificate, `iss` = `sub` = client_id, `aud` = this endpoint's URL,
 *   and `exp`/`nbf` must cover the clock within 5 minutes (700027, 700021,
 *   700023, 700024);
 * - unknown tenant 90002 (or 900023 for a name that is neither a GUID nor a
 *   domain), /common and /consumers 9001023, unknown app 700016, a scope
 *   without /.default 1002012, another scope 70011, a disabled app 7000112;
 * - tokens are JWTs signed RS256 with a key made at start (`signingKeyPem`),
 *   with Entra's v1 EXO claims (aud, iss, appid, appidacr, idtyp, oid, roles,
 *   tid, ver …) that each app may change (`claims`, a null removes one), or
 *   an opaque token;
 * - any AADSTS error on demand (`fail`), and any raw answer (`override`).
 *
 * Error bodies are Entra's [P: LEARN-ERR, LEARN-CC]: status 400 (401 for
 * invalid_client), `error`, `error_description` starting `AADSTS<n>: ` and
 * ending in Trace ID / Correlation ID / Timestamp lines, `error_codes`,
 * `timestamp`, `trace_id`, `correlation_id`, `error_uri`. The texts are the
 * sandbox's copy of Entra's wording (the live texts research §4 quotes).
 */
import crypto from 'node:crypto';
import { compactVerify, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { generate } from 'selfsigned';
import { startHttpsServer, type HttpsHandler, type HttpsRequest, type HttpsResponse } from './https-server.js';
import type { TestCertificates } from './certificates.js';

/** One app registration the endpoint knows. */
export interface TokenEndpointApp {
  clientId: string;
  /** The tenant (GUID) it is registered and consented in. */
  tenantId: string;
  /** A valid client secret. */
  secret?: string;
  /** A secret that exists but has expired (answers AADSTS7000222). */
  expiredSecret?: string;
  /** The registered certificate (public PEM): assertions must be signed by its key. */
  certificatePem?: string;
  /** Answers AADSTS7000112 (the service principal is disabled). */
  disabled?: boolean;
  /** Claims of its tokens over the defaults (see the module comment); `null` removes a claim. */
  claims?: Record<string, unknown>;
  /** Issue this exact string as the token instead of a JWT (an opaque token). */
  opaqueToken?: string;
  /** `expires_in` and the token's lifetime (default 3599 s). */
  lifetimeSeconds?: number;
}

/** A tenant and the domain names that also name it. */
export interface TokenEndpointTenant {
  id: string;
  domains?: string[];
}

/** Options of startTokenEndpoint. */
export interface TokenEndpointOptions {
  apps: TokenEndpointApp[];
  /** Known tenants (default: those of the apps, without domains). */
  tenants?: TokenEndpointTenant[];
  /** The resource whose `/.default` scope is accepted (default https://outlook.office365.com). */
  resource?: string;
  /** The endpoint's clock (default: now). */
  clock?: () => Date;
  /** The TLS certificates (default: the sandbox's for 127.0.0.1). */
  certificates?: TestCertificates;
}

/** One request as the endpoint read it, and what it answered. */
export interface TokenEndpointRequest {
  /** The tenant of the path, or null when the path was not a token path. */
  tenant: string | null;
  /** The form fields as sent (the sandbox keeps the test's own secret: it is the test's data). */
  form: Record<string, string>;
  /** The decoded assertion, when one came and decodes. */
  assertion: { header: Record<string, unknown>; claims: Record<string, unknown> } | null;
  /** `token`, `AADSTS<n>`, or `override`. */
  answer: string;
}

/** An AADSTS error to answer: the code, and optionally its status, OAuth error and text. */
export interface TokenEndpointError {
  code: number;
  status?: number;
  error?: string;
  /** The text after `AADSTS<n>: ` (default: the sandbox's wording for the code). */
  text?: string;
}

/** A running token endpoint. */
export interface SandboxTokenEndpoint {
  /** The authority: `https://127.0.0.1:PORT` (`--authority`). */
  url: string;
  port: number;
  /** The CA a client must trust (`--tls-ca`). */
  caPem: string;
  /** The token URL of a tenant: `${url}/${tenant}/oauth2/v2.0/token`. */
  tokenUrl(tenant: string): string;
  /** The public key that signs the tokens, as PEM (SPKI). */
  signingKeyPem: string;
  /** Every request so far, in order. */
  requests(): TokenEndpointRequest[];
  /** Answers this AADSTS error to every request from now on (null: back to normal). */
  fail(error: TokenEndpointError | number | null): void;
  /** Answers every request with this handler from now on (null: back to normal). */
  override(handler: HttpsHandler | null): void;
  close(): Promise<void>;
}

/** A certificate credential for an app: an RSA certificate and its key (PEM), and both in one PEM. */
export interface ClientCertificatePems {
  certPem: string;
  keyPem: string;
  /** The certificate then the key, as one file. */
  combinedPem: string;
}

/**
 * The sandbox's wording of each AADSTS code it answers (after Entra's live
 * texts, research §4), with its status and OAuth error.
 */
export const SANDBOX_AADSTS: Readonly<Record<number, { status: number; error: string; text: string }>> = {
  7000215: { status: 401, error: 'invalid_client', text: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app}'." },
  7000222: { status: 401, error: 'invalid_client', text: "The provided client secret keys for app '{app}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds." },
  700016: { status: 400, error: 'unauthorized_client', text: "Application with identifier '{app}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant." },
  90002: { status: 400, error: 'invalid_request', text: "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant." },
  900023: { status: 400, error: 'invalid_request', text: "Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid external domain." },
  9001023: { status: 400, error: 'invalid_request', text: 'The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.' },
  700027: { status: 401, error: 'invalid_client', text: 'Client assertion failed signature validation.' },
  700024: { status: 401, error: 'invalid_client', text: 'Client assertion is not within its valid time range.' },
  700021: { status: 401, error: 'invalid_client', text: "Client assertion application identifier doesn't match 'client_id' parameter." },
  700023: { status: 401, error: 'invalid_client', text: 'Client assertion audience claim does not match Realm issuer.' },
  7000218: { status: 401, error: 'invalid_client', text: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." },
  7000112: { status: 400, error: 'unauthorized_client', text: "Application '{app}' is disabled." },
  70011: { status: 400, error: 'invalid_scope', text: "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid." },
  1002012: { status: 400, error: 'invalid_scope', text: 'The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).' },
  900144: { status: 400, error: 'invalid_request', text: "The request body must contain the following parameter: '{name}'." },
  70003: { status: 400, error: 'unsupported_grant_type', text: 'The app requested an unsupported grant type.' },
  500011: { status: 400, error: 'invalid_resource', text: "The resource principal named {scope} was not found in the tenant named {tenant}." },
};

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TOKEN_PATH = /^\/([^/?#]{1,256})\/oauth2\/v2\.0\/token$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SKEW_SECONDS = 300;

/**
 * An RSA certificate and key for an app credential (self-signed, as Entra
 * app certificates usually are; RSA because the assertion is PS256). About
 * 100 ms to a second per call (RSA 2048 key generation).
 */
export async function createClientCertificate(opts: { notAfter?: Date; passphrase?: string; commonName?: string } = {}): Promise<ClientCertificatePems> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: opts.commonName ?? 'm365audit test app' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 86_400_000),
    notAfterDate: opts.notAfter ?? new Date(now + 365 * 86_400_000),
    ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
  });
  return { certPem: pems.cert, keyPem: pems.private, combinedPem: `${pems.cert.trim()}\n${pems.private.trim()}\n` };
}

/**
 * Starts the token endpoint on 127.0.0.1 (see the module comment). Resolves
 * once it listens; makes no outgoing connection.
 */
export async function startTokenEndpoint(opts: TokenEndpointOptions): Promise<SandboxTokenEndpoint> {
  const clock = opts.clock ?? (() => new Date());
  const resource = opts.resource ?? 'https://outlook.office365.com';
  const tenants: TokenEndpointTenant[] = opts.tenants ?? [...new Set(opts.apps.map((a) => a.tenantId))].map((id) => ({ id }));
  const { privateKey, publicKey } = await new Promise<{ privateKey: crypto.KeyObject; publicKey: crypto.KeyObject }>((resolve, reject) =>
    crypto.generateKeyPair('rsa', { modulusLength: 2048 }, (err, pub, priv) => (err ? reject(err) : resolve({ privateKey: priv, publicKey: pub }))));
  const kid = crypto.randomBytes(16).toString('base64url');
  const seen: TokenEndpointRequest[] = [];
  let forced: TokenEndpointError | null = null;
  let overriding: HttpsHandler | null = null;
  let base = '';

  const tenantOf = (name: string): TokenEndpointTenant | null => tenants.find((t) => t.id.toLowerCase() === name.toLowerCase() || (t.domains ?? []).some((d) => d.toLowerCase() === name.toLowerCase())) ?? null;

  const handler: HttpsHandler = async (req: HttpsRequest): Promise<HttpsResponse> => {
    const m = TOKEN_PATH.exec(req.path);
    const tenantName = m ? decodeURIComponent(m[1] ?? '') : null;
    const form = Object.fromEntries(new URLSearchParams(req.body));
    const record: TokenEndpointRequest = { tenant: tenantName, form, assertion: decodeAssertion(form.client_assertion), answer: 'token' };
    seen.push(record);
    const vars = { app: form.client_id ?? '', tenant: tenantName ?? '', scope: form.scope ?? '', name: '' };
    const error = (code: number, extra: Partial<typeof vars> = {}): HttpsResponse => {
      record.answer = `AADSTS${code}`;
      return errorResponse({ code }, { ...vars, ...extra }, clock());
    };
    if (overriding) {
      record.answer = 'override';
      return overriding(req);
    }
    if (forced) {
      record.answer = `AADSTS${forced.code}`;
      return errorResponse(forced, vars, clock());
    }
    if (req.method !== 'POST' || tenantName === null) {
      record.answer = 'not found';
      return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>404 Not Found</body></html>' };
    }
    if (['common', 'consumers'].includes(tenantName.toLowerCase())) return error(9001023);
    const tenant = tenantOf(tenantName);
    if (!tenant) return error(GUID.test(tenantName) || tenantName.includes('.') ? 90002 : 900023);
    for (const name of ['grant_type', 'client_id', 'scope']) if (!form[name]) return error(900144, { name });
    if (form.grant_type !== 'client_credentials') return error(70003);
    const scope = form.scope ?? '';
    if (!scope.endsWith('/.default')) return error(1002012);
    if (scope !== `${resource}/.default`) return error(70011);
    const app = opts.apps.find((a) => a.clientId === form.client_id && a.tenantId.toLowerCase() === tenant.id.toLowerCase());
    if (!app) return error(700016);
    if (app.disabled) return error(7000112);
    let acr: '1' | '2';
    if (form.client_assertion !== undefined) {
      if (form.client_assertion_type !== ASSERTION_TYPE) return error(900144, { name: 'client_assertion_type' });
      const bad = await checkAssertion(form.client_assertion, app, `${base}${req.path}`, clock());
      if (bad) return error(bad);
      acr = '2';
    } else if (form.client_secret !== undefined) {
      if (app.expiredSecret !== undefined && form.client_secret === app.expiredSecret) return error(7000222);
      if (app.secret === undefined || form.client_secret !== app.secret) return error(7000215);
      acr = '1';
    } else {
      return error(7000218);
    }
    const lifetime = app.lifetimeSeconds ?? 3599;
    const token = app.opaqueToken ?? (await issue(app, tenant.id, acr, resource, lifetime));
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token }) };
  };

  async function issue(app: TokenEndpointApp, tid: string, acr: string, aud: string, lifetime: number): Promise<string> {
    const iat = Math.floor(clock().getTime() / 1000);
    const oid = crypto.createHash('sha256').update(`${tid}/${app.clientId}`).digest('hex');
    const claims: Record<string, unknown> = {
      aud, iss: `https://sts.windows.net/${tid}/`, iat, nbf: iat, exp: iat + lifetime,
      aio: crypto.randomBytes(12).toString('base64url'), app_displayname: 'm365audit sandbox app', appid: app.clientId, appidacr: acr, idp: `https://sts.windows.net/${tid}/`,
      idtyp: 'app', oid: `${oid.slice(0, 8)}-${oid.slice(8, 12)}-${oid.slice(12, 16)}-${oid.slice(16, 20)}-${oid.slice(20, 32)}`,
      rh: '0.sandbox.', roles: ['SMTP.SendAsApp'], sid: crypto.randomUUID(), sub: app.clientId, tid, uti: crypto.randomBytes(16).toString('base64url'), ver: '1.0',
    };
    for (const [k, v] of Object.entries(app.claims ?? {})) {
      if (v === null) delete claims[k];
      else claims[k] = v;
    }
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(privateKey);
  }

  async function checkAssertion(assertion: string, app: TokenEndpointApp, audience: string, now: Date): Promise<number | null> {
    if (!app.certificatePem) return 700027;
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(assertion) as Record<string, unknown>;
      claims = decodeJwt(assertion) as Record<string, unknown>;
    } catch {
      return 700027;
    }
    const cert = new crypto.X509Certificate(app.certificatePem);
    const named = header['x5t#S256'] === crypto.createHash('sha256').update(cert.raw).digest('base64url')
      || header.x5t === crypto.createHash('sha1').update(cert.raw).digest('base64url');
    if (!named || (header.alg !== 'PS256' && header.alg !== 'RS256')) return 700027;
    try {
      await compactVerify(assertion, cert.publicKey, { algorithms: ['PS256', 'RS256'] });
    } catch {
      return 700027;
    }
    if (claims.iss !== app.clientId || claims.sub !== app.clientId) return 700021;
    if (claims.aud !== audience) return 700023;
    const t = Math.floor(now.getTime() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp < t - SKEW_SECONDS) return 700024;
    if (typeof claims.nbf === 'number' && claims.nbf > t + SKEW_SECONDS) return 700024;
    return null;
  }

  const server = await startHttpsServer({ handler, ...(opts.certificates ? { certificates: opts.certificates } : {}) });
  base = server.url;
  return {
    url: server.url,
    port: server.port,
    caPem: server.caPem,
    tokenUrl: (tenant) => `${server.url}/${tenant}/oauth2/v2.0/token`,
    signingKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    requests: () => seen.map((r) => ({ ...r, form: { ...r.form } })),
    fail(e) {
      forced = e === null ? null : typeof e === 'number' ? { code: e } : e;
    },
    override(h) {
      overriding = h;
    },
    close: () => server.close(),
  };
}

function decodeAssertion(assertion: string | undefined): TokenEndpointRequest['assertion'] {
  if (assertion === undefined) return null;
  try {
    return { header: decodeProtectedHeader(assertion) as Record<string, unknown>, claims: decodeJwt(assertion) as Record<string, unknown> };
  } catch {
    return null;
  }
}

/** Entra's error body (see the module comment). */
function errorResponse(e: TokenEndpointError, vars: Record<string, string>, now: Date): HttpsResponse {
  const known = SANDBOX_AADSTS[e.code];
  const text = (e.text ?? known?.text ?? 'An error occurred.').replace(/\{(app|tenant|scope|name)\}/g, (_, k: string) => vars[k] ?? '');
  const traceId = crypto.randomUUID();
  const correlationId = crypto.randomUUID();
  const timestamp = now.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
  return {
    status: e.status ?? known?.status ?? 400,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({
      error: e.error ?? known?.error ?? 'invalid_request',
      error_description: `AADSTS${e.code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`.replace(/ (Trace ID|Correlation ID|Timestamp): /g, '\r\n$1: '),
      error_codes: [e.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${e.code}`,
    }),
  };
}
