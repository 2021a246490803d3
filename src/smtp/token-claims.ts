/**
 * What an Exchange Online access token says about SMTP, read from its claims
 * without a network. Decoded with jose's decodeJwt and **not** verified: we are
 * the client, and Learn tells clients not to validate access tokens [P:
 * research/oauth.md §5, LEARN-CC]; so every fact here is an "unverified
 * decode", and the server's answer (`authAccepted`) has the last word: a
 * token it accepted gets no audience or scope error, only
 * OAUTH_TOKEN_ACCEPTED_UNLISTED (info) when its audience or scope is not in
 * m365audit's lists (the sovereign clouds' rest on [S]/[U] sources).
 *
 * EXO answers every token problem with the same `535 5.7.3` (research §2), so
 * the claims are what tell the causes apart (research §3, LEARN-CLAIMS [P]):
 * - `aud` must be the cloud's Exchange Online resource (clouds.ts exoAudiences);
 * - an app token (no `scp`) needs `roles` ∋ `SMTP.SendAsApp`, unless Exchange
 *   App RBAC grants SMTP, which adds no role (LEARN-RBAC-SMTP [P]: "Including
 *   the SMTP.SendAsApp claim would trigger an unnecessary check for mailbox
 *   permissions"), so a missing role is an error only with that nuance;
 * - a delegated token needs `scp` ∋ `SMTP.Send`;
 * - `exp`/`nbf` against the clock, with skew; `tid` against the tenant given.
 * EXO tokens are v1.0 even from the v2.0 endpoint, so `appid` is read before
 * `azp`, `appidacr` before `azpacr` [S: research §1].
 *
 * A token that is not a JWT at all (EXO tokens from some consumer flows are
 * opaque, e.g. Learn's `EwBAAl3…` example) is said as such (OAUTH_TOKEN_OPAQUE,
 * info), never an error; one longer than MAX_TOKEN_LENGTH is not decoded, and
 * the same finding says it is too long, with its length. Claims are data from outside: every string is cut,
 * every list bounded; renderers escape them.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { finding, type Finding } from '../findings/catalog.js';
import { CLOUD_ENDPOINTS, cloudsOfExoAudience, type Cloud } from '../m365/clouds.js';
import { capText } from '../util/caps.js';

/** The claims of an access token that decide SMTP (research/oauth.md §3), decoded without a signature check. */
export interface TokenFacts {
  /** `jwt` when the token decodes as one; `opaque` otherwise (then every claim is null). */
  format: 'jwt' | 'opaque';
  /** `delegated` when it has `scp` (or `idtyp` user), else `app`; null for an opaque token. */
  kind: 'app' | 'delegated' | null;
  /** The header's `alg` (`RS256` for Entra), as a fact only. */
  alg: string | null;
  /** `aud`, always as a list (the claim may be one string). */
  aud: string[];
  /** `roles` (app permissions), or null when absent. */
  roles: string[] | null;
  /** `scp` split at spaces (delegated scopes), or null when absent. */
  scp: string[] | null;
  tid: string | null;
  iss: string | null;
  /** `appid` (v1), else `azp` (v2): the client ID. */
  appid: string | null;
  /** `appidacr` (v1), else `azpacr` (v2): `0` public client, `1` secret, `2` certificate. */
  appidacr: string | null;
  /** What `appidacr` says of the credential used. */
  credential: 'public-client' | 'secret' | 'certificate' | null;
  /** Optional claim `idtyp` (`app` in app-only tokens when the resource emits it). */
  idtyp: string | null;
  ver: string | null;
  /** The service principal's (or user's) object id: for an app, the Enterprise application's Object ID. */
  oid: string | null;
  /** Unix seconds. */
  exp: number | null;
  nbf: number | null;
  iat: number | null;
  /** `exp` as UTC ISO 8601, or null. */
  expiresAt: string | null;
}

/** Options of diagnoseToken: the cloud the token is for, the clock, and what is known of the server's answer and the tenant. */
export interface DiagnoseOptions {
  cloud: Cloud;
  now: Date;
  /** Whether the SMTP server accepted the token (235): true, false, or undefined when it was not tried. */
  authAccepted?: boolean;
  /**
   * Why there is no verdict when authAccepted is undefined: `not-sent`, an
   * XOAUTH2 test ran but the token was not sent (no TLS, XOAUTH2 not
   * offered …); `no-verdict`, it was sent and the answer was neither 235 nor
   * 535 5.7.3 (5.7.139, another reply, a broken exchange). Absent: no test.
   */
  authTest?: 'not-sent' | 'no-verdict';
  /** The tenant the token was asked for: compared with `tid` when it is a GUID. */
  tenantId?: string;
  /** Clock skew allowed on exp and nbf, in seconds (default CLOCK_SKEW_SECONDS). */
  clockSkewSeconds?: number;
}

/** What diagnoseToken returns: the facts and the findings (each with a fix). */
export interface TokenDiagnosis {
  facts: TokenFacts;
  findings: Finding[];
}

/**
 * Clock skew allowed on exp/nbf: 5 minutes, the default of Microsoft's own
 * token validation (Microsoft.IdentityModel TokenValidationParameters.DefaultClockSkew,
 * 300 s [S]).
 */
export const CLOCK_SKEW_SECONDS = 300;
/** A token with less than this left is "about to expire" (research §3: "warn when < 5 min left"). */
export const EXPIRY_WARNING_SECONDS = 300;
/** Longest token decoded (Entra tokens are 1.5 to 8 KB; a larger one is read as opaque). */
export const MAX_TOKEN_LENGTH = 64 * 1024;
const MAX_CLAIM_LENGTH = 256;
const MAX_CLAIM_ITEMS = 50;

const SEND_AS_APP = 'smtp.sendasapp';
const SMTP_SEND = 'smtp.send';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const OPAQUE: TokenFacts = {
  format: 'opaque', kind: null, alg: null, aud: [], roles: null, scp: null, tid: null, iss: null, appid: null, appidacr: null,
  credential: null, idtyp: null, ver: null, oid: null, exp: null, nbf: null, iat: null, expiresAt: null,
};

/** The token's facts (see TokenFacts): decoded, not verified; `format: 'opaque'` for anything that is not a JWT. Never throws. Pure. */
export function parseTokenClaims(token: string): TokenFacts {
  const t = token.trim();
  if (t.length === 0 || t.length > MAX_TOKEN_LENGTH) return { ...OPAQUE };
  let claims: Record<string, unknown>;
  let alg: string | null;
  try {
    claims = decodeJwt(t) as Record<string, unknown>;
    alg = str(decodeProtectedHeader(t).alg);
  } catch {
    return { ...OPAQUE };
  }
  const scp = typeof claims.scp === 'string' ? claims.scp.split(' ').filter(Boolean) : null;
  const idtyp = str(claims.idtyp);
  const appidacr = str(claims.appidacr) ?? str(claims.azpacr);
  const exp = num(claims.exp);
  return {
    format: 'jwt',
    kind: scp !== null || idtyp === 'user' ? 'delegated' : 'app',
    alg,
    aud: typeof claims.aud === 'string' ? [cut(claims.aud)] : strList(claims.aud) ?? [],
    roles: strList(claims.roles),
    scp: scp ? scp.slice(0, MAX_CLAIM_ITEMS).map(cut) : null,
    tid: str(claims.tid),
    iss: str(claims.iss),
    appid: str(claims.appid) ?? str(claims.azp),
    appidacr,
    credential: appidacr === '0' ? 'public-client' : appidacr === '1' ? 'secret' : appidacr === '2' ? 'certificate' : null,
    idtyp,
    ver: str(claims.ver),
    oid: str(claims.oid),
    exp,
    nbf: num(claims.nbf),
    iat: num(claims.iat),
    expiresAt: exp === null ? null : isoOf(exp),
  };
}

/**
 * The facts with every claim string (data from the token endpoint) through
 * `redact`; what m365audit derived (format, kind, credential, the times)
 * as it is. Pure.
 */
export function redactFacts(f: TokenFacts, redact: (text: string) => string): TokenFacts {
  const one = (s: string | null): string | null => (s === null ? null : redact(s));
  const list = (l: string[] | null): string[] | null => (l === null ? null : l.map(redact));
  return {
    ...f,
    alg: one(f.alg), aud: f.aud.map(redact), roles: list(f.roles), scp: list(f.scp), tid: one(f.tid), iss: one(f.iss),
    appid: one(f.appid), appidacr: one(f.appidacr), idtyp: one(f.idtyp), ver: one(f.ver), oid: one(f.oid),
  };
}

/**
 * Findings about an access token for SMTP (see the module comment), each
 * with a fix, and its facts. No network; never throws. Pure given `now`.
 */
export function diagnoseToken(token: string, opts: DiagnoseOptions): TokenDiagnosis {
  const facts = parseTokenClaims(token);
  if (facts.format === 'opaque') {
    const length = token.trim().length;
    const tooLong = length > MAX_TOKEN_LENGTH;
    const what = tooLong ? `The token is too long to decode here (${length} characters)` : 'The token is not a JWT';
    return {
      facts,
      findings: [finding('OAUTH_TOKEN_OPAQUE', `${what}, so its audience, permissions and expiry cannot be read here: the server's answer decides.`, {
        evidence: tooLong ? `${length} characters, longer than ${MAX_TOKEN_LENGTH}: not decoded` : `${length} characters, not header.payload.signature`,
        fix: tooLong
          ? 'Nothing to change if the server accepts it. Entra tokens are 1.5 to 8 KB: check that the variable or file holds one token and nothing else.'
          : 'Nothing to change if the server accepts it. To have the claims checked, use a token from the client-credentials grant (--tenant-id, --client-id), which Entra issues as a JWT.',
      })],
    };
  }
  const rules = [audienceRule, permissionRule, lifetimeRule, tenantRule, exchangeSideRule];
  return { facts, findings: rules.flatMap((rule) => rule(facts, opts)) };
}

type Rule = (f: TokenFacts, o: DiagnoseOptions) => Finding[];

const norm = (s: string): string => s.trim().toLowerCase().replace(/\/$/, '');

/** The delegated SMTP scope to ask for: worldwide's is https://outlook.office.com/SMTP.Send [S: research §1]; the others' follow their resource [U]. */
function delegatedScope(cloud: Cloud): string {
  return cloud === 'worldwide' ? 'https://outlook.office.com/SMTP.Send' : `${CLOUD_ENDPOINTS[cloud].exoResource}/SMTP.Send`;
}

function audienceOk(f: TokenFacts, cloud: Cloud): boolean {
  const accepted = new Set(CLOUD_ENDPOINTS[cloud].exoAudiences.map(norm));
  return f.aud.some((a) => accepted.has(norm(a)));
}

/**
 * The server took a token whose audience or scope is not one m365audit
 * lists for the cloud: the server has the last word (module comment), and
 * the lists of the sovereign clouds rest on [S]/[U] sources (clouds.ts).
 */
function acceptedUnlisted(though: string, cloud: Cloud, evidence: string, fix: string): Finding {
  return finding('OAUTH_TOKEN_ACCEPTED_UNLISTED', `The server accepted the token, though ${though}: the token works, and m365audit's list may be incomplete for the ${cloud} cloud.`, { evidence, fix });
}

const audienceRule: Rule = (f, { cloud, authAccepted }) => {
  if (audienceOk(f, cloud)) return [];
  const e = CLOUD_ENDPOINTS[cloud];
  const evidence = f.aud.length ? `aud=${f.aud.join(', ')}` : 'no aud claim';
  const ask = `Ask for the token with scope ${e.exoResource}/.default (client credentials) or ${delegatedScope(cloud)} (delegated), at https://${e.loginHost}/<tenant>/oauth2/v2.0/token.`;
  const other = f.aud.flatMap((a) => cloudsOfExoAudience(a)).find((c) => c !== cloud);
  if (authAccepted === true) {
    const elsewhere = other ? ` The audience is the ${other} cloud's Exchange Online: if the tenant lives there, set --cloud ${other}.` : '';
    const aud = f.aud.length ? `its audience (${f.aud.join(', ')}) is not one m365audit lists for the ${cloud} cloud's Exchange Online (${e.exoResource})` : 'it names no audience (aud)';
    return [acceptedUnlisted(aud, cloud, evidence, `Nothing to change: the token works.${elsewhere} If this audience is right for the ${cloud} cloud, report it so the list (m365/clouds.ts exoAudiences, ${e.exoResource}) can grow.`)];
  }
  if (other) {
    return [finding('OAUTH_TOKEN_AUDIENCE', `The token is for Exchange Online in the ${other} cloud, not the ${cloud} cloud's (${e.exoResource}).`, {
      evidence,
      fix: `${ask} If the tenant lives in the ${other} cloud, set --cloud ${other} instead.`,
    })];
  }
  const message = f.aud.length
    ? `The token is for ${f.aud.join(', ')}, not Exchange Online (${e.exoResource}): Exchange Online refuses it (535 5.7.3).`
    : 'The token names no audience (aud): Exchange Online refuses it (535 5.7.3).';
  return [finding('OAUTH_TOKEN_AUDIENCE', message, { evidence, fix: `${ask} A Microsoft Graph token (https://graph.microsoft.com) does not work for SMTP.` })];
};

/** The Entra and Exchange steps for app-only SMTP (research §3 [P: LEARN-OAUTH]), with the app's ids where the token gives them. */
function appSetupFix(f: TokenFacts, withEntra = true): string {
  const appId = f.appid ?? '<application (client) id>';
  const sp = f.oid ?? '<Enterprise application object id>';
  return [
    ...(withEntra ? ['In Entra: App registrations → the app → API permissions → Add a permission → APIs my organization uses → Office 365 Exchange Online → Application permissions → SMTP.SendAsApp, then Grant admin consent.'] : []),
    `In Exchange Online PowerShell: New-ServicePrincipal -AppId ${appId} -ObjectId ${sp} (the Enterprise application's Object ID, not the App registration's);`,
    `Add-MailboxPermission -Identity <mailbox> -User ${sp} -AccessRights FullAccess;`,
    `to send From another address, Add-RecipientPermission -Identity <from address> -Trustee ${sp} -AccessRights SendAs.`,
  ].join(' ');
}

const hasRole = (f: TokenFacts): boolean => (f.roles ?? []).some((r) => r.toLowerCase() === SEND_AS_APP);
const hasScope = (f: TokenFacts): boolean => (f.scp ?? []).some((s) => { const l = s.toLowerCase(); return l === SMTP_SEND || l.endsWith(`/${SMTP_SEND}`); });

const permissionRule: Rule = (f, { cloud, authAccepted, authTest }) => {
  if (f.kind === 'delegated') {
    if (hasScope(f)) return [];
    const evidence = `scp=${(f.scp ?? []).join(' ') || '(none)'}`;
    if (authAccepted === true) {
      return [acceptedUnlisted('its delegated scopes (scp) do not include SMTP.Send as m365audit knows it', cloud, evidence, `Nothing to change: the token works. If a scope of it grants SMTP in the ${cloud} cloud, report it so the check can know it.`)];
    }
    return [finding('OAUTH_TOKEN_NO_SMTP_PERMISSION', 'The delegated token\'s scopes (scp) do not include SMTP.Send: Exchange Online refuses it for SMTP AUTH.', {
      evidence,
      // Where Learn puts the delegated permission (Microsoft Graph → Delegated → SMTP.Send) is [S]: research §3 covers app tokens.
      fix: `In Entra: App registrations → the app → API permissions → Add a permission → Microsoft Graph → Delegated permissions → SMTP.Send, then grant consent; ask for the token with the ${delegatedScope(cloud)} scope.`,
    })];
  }
  if (hasRole(f)) return [];
  const evidence = f.roles ? `roles=${f.roles.join(', ') || '(empty)'}` : 'no roles claim';
  if (authAccepted === true) {
    return [finding('OAUTH_TOKEN_APP_RBAC', 'The app token carries no SMTP.SendAsApp role and the server accepted it: the app is granted SMTP through Exchange App RBAC, which the token does not show.', {
      evidence,
      fix: "Nothing to change. To review the grant: Get-ManagementRoleAssignment -Role 'Application SMTP.SendAsApp' in Exchange Online PowerShell.",
    })];
  }
  const rbac = "Or grant SMTP through Exchange App RBAC instead (no API permission; New-ManagementRoleAssignment -Role 'Application SMTP.SendAsApp' -App <app id> -CustomResourceScope <scope>).";
  // Without a verdict, say what is known of the test: none ran, the token was not sent, or the answer was no verdict.
  const unknown = authTest === 'not-sent'
    ? 'the token was not sent to the server here (see the AUTH test), so no answer tells either'
    : authTest === 'no-verdict'
      ? 'the server gave no verdict on the token here (see the AUTH test), so its answer does not tell either'
      : 'an XOAUTH2 test with the token tells (probe --oauth)';
  const message = authAccepted === false
    ? 'The app token has no SMTP.SendAsApp role and the server refused it: the app has no SMTP permission (an Exchange App RBAC grant would have let it in without the role).'
    : `The app token has no SMTP.SendAsApp role: Exchange Online refuses it unless the app is granted SMTP through Exchange App RBAC, which a token cannot show; ${unknown}.`;
  return [finding('OAUTH_TOKEN_NO_SMTP_PERMISSION', message, { evidence, fix: `${appSetupFix(f)} ${rbac}` })];
};

const lifetimeRule: Rule = (f, { now, clockSkewSeconds }) => {
  const skew = clockSkewSeconds ?? CLOCK_SKEW_SECONDS;
  const nowS = Math.floor(now.getTime() / 1000);
  const out: Finding[] = [];
  const at = `now ${isoOf(nowS)}, clock skew allowed ${skew} s`;
  if (f.exp !== null) {
    const left = f.exp - nowS;
    const evidence = `exp=${f.exp} (${isoOf(f.exp)}), ${at}`;
    if (left <= -skew) {
      out.push(finding('OAUTH_TOKEN_EXPIRED', `The token expired at ${isoOf(f.exp)}, ${duration(-left)} ago.`, {
        evidence,
        fix: 'Get a new token (Entra tokens live about an hour, expires_in 3599); if it was just issued, check this machine\'s clock (NTP).',
      }));
    } else if (left < EXPIRY_WARNING_SECONDS) {
      const message = left > 0
        ? `The token expires at ${isoOf(f.exp)}, in ${duration(left)}.`
        : `The token's expiry (${isoOf(f.exp)}) passed ${duration(-left)} ago, within the ${skew} s clock skew allowed.`;
      out.push(finding('OAUTH_TOKEN_EXPIRING', message, { evidence, fix: 'Get a fresh token right before sending; cache tokens and renew them ahead of exp.' }));
    }
  }
  if (f.nbf !== null && f.nbf - nowS > skew) {
    out.push(finding('OAUTH_TOKEN_NOT_YET_VALID', `The token is not valid before ${isoOf(f.nbf)}, ${duration(f.nbf - nowS)} from now: this machine's clock or the issuer's is off.`, {
      evidence: `nbf=${f.nbf} (${isoOf(f.nbf)}), ${at}`,
      fix: 'Synchronise this machine\'s clock (NTP), then get a new token.',
    }));
  }
  return out;
};

const tenantRule: Rule = (f, { tenantId, cloud }) => {
  if (!tenantId || !GUID.test(tenantId.trim()) || f.tid === null || f.tid.toLowerCase() === tenantId.trim().toLowerCase()) return [];
  return [finding('OAUTH_TOKEN_TENANT_MISMATCH', `The token was issued by tenant ${f.tid}, not the tenant given (${tenantId.trim()}).`, {
    evidence: `tid=${f.tid}`,
    fix: `Ask for the token at https://${CLOUD_ENDPOINTS[cloud].loginHost}/${tenantId.trim()}/oauth2/v2.0/token, with the app registered or consented in that tenant; check --tenant-id.`,
  })];
};

/**
 * A token whose claims are right (audience, permission, lifetime) that the
 * server still refused: the cause is on the Exchange side, which EXO does not
 * tell apart on the wire (research §2: a wrong ObjectId in New-ServicePrincipal
 * or a missing mailbox permission give the same 535 5.7.3 [P/S]).
 */
const exchangeSideRule: Rule = (f, o) => {
  if (o.authAccepted !== false || f.kind !== 'app' || !hasRole(f) || !audienceOk(f, o.cloud)) return [];
  if (lifetimeRule(f, o).some((x) => x.code === 'OAUTH_TOKEN_EXPIRED')) return [];
  return [finding('OAUTH_TOKEN_EXCHANGE_SETUP', 'The token has the audience, the SMTP.SendAsApp role and the lifetime Exchange Online needs, yet the server refused it: the missing piece is on the Exchange side.', {
    evidence: `aud=${f.aud.join(', ')}; roles=${(f.roles ?? []).join(', ')}; appid=${f.appid ?? '(none)'}; oid=${f.oid ?? '(none)'}`,
    fix: `${appSetupFix(f, false)} A wrong -ObjectId (the App registration's instead of the Enterprise application's) gives this very refusal.`,
  })];
};

function str(v: unknown): string | null {
  return typeof v === 'string' ? cut(v) : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : null;
}

function strList(v: unknown): string[] | null {
  if (!Array.isArray(v)) return null;
  return v.filter((x): x is string => typeof x === 'string').slice(0, MAX_CLAIM_ITEMS).map(cut);
}

function cut(s: string): string {
  return capText(s, MAX_CLAIM_LENGTH);
}

/** Unix seconds as UTC ISO 8601 without milliseconds; an out-of-range number as itself. */
function isoOf(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString().replace('.000Z', 'Z');
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} minutes`;
  return `${Math.round(seconds / 3600)} hours`;
}
