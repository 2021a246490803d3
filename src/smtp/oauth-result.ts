/**
 * The XOAUTH2 test's token joined to the probe's result: where the token
 * came from, its claims decoded (no signature check: we are the client), and
 * the claims' findings read against what the server said. Exchange Online
 * answers every token problem with the same `535 5.7.3` (research oauth.md
 * §2), so the claims are what tell the causes apart. Pure: no network.
 */
import type { Finding } from '../findings/catalog.js';
import type { Cloud } from '../m365/clouds.js';
import { redactFinding } from './redact.js';
import { diagnoseToken, redactFacts } from './token-claims.js';
import { redactorOfToken, type TokenFailure } from './token.js';
import type { OAuthFacts, OAuthTokenSource, ProbeResult } from './types.js';

/** What withTokenDiagnosis needs besides the result and the token. */
export interface TokenDiagnosisContext {
  /** The cloud whose Exchange Online resource the token must be for. */
  cloud: Cloud;
  source: OAuthTokenSource;
  now: Date;
  /** The tenant asked for (--tenant-id), compared with `tid`. */
  tenantId?: string | undefined;
  /** The grant's token endpoint, for the record. */
  tokenUrl?: string | undefined;
}

/**
 * The probe's result with `oauth` (after `auth`) and the token's findings
 * appended: OAUTH_TOKEN_AUDIENCE, _NO_SMTP_PERMISSION, _EXPIRED … as
 * diagnoseToken gives them for the server's verdict (accepted, refused, or
 * not tried when the AUTH test did not run).
 */
export function withTokenDiagnosis(result: ProbeResult, token: string, ctx: TokenDiagnosisContext): ProbeResult {
  const outcome = result.auth?.outcome;
  const authAccepted = outcome === 'accepted' ? true : outcome === 'rejected' ? false : undefined;
  const authTest = authAccepted !== undefined ? undefined : outcome === undefined || outcome === 'not-sent' || outcome === 'not-offered' ? 'not-sent' : 'no-verdict';
  const d = diagnoseToken(token, { cloud: ctx.cloud, now: ctx.now, authAccepted, tenantId: ctx.tenantId, ...(authTest ? { authTest } : {}) });
  // A token from the grant: its claims came from the endpoint the credential was sent to, and may echo it.
  // Redacted after the diagnosis, so the rules read the real values.
  const redact = redactorOfToken(token);
  const facts = redact ? redactFacts(d.facts, redact) : d.facts;
  const findings = redact ? d.findings.map((f) => redactFinding(f, redact)) : d.findings;
  const oauth: OAuthFacts = { source: ctx.source, claims: facts, ...(ctx.tokenUrl ? { tokenUrl: ctx.tokenUrl } : {}) };
  return place(result, oauth, findings);
}

/** The probe's result when the grant gave no token (no AUTH test ran): `oauth` with the error and the OAUTH_TOKEN_ERROR finding. */
export function withTokenFailure(result: ProbeResult, failure: TokenFailure, source: OAuthTokenSource, tokenUrl?: string): ProbeResult {
  const oauth: OAuthFacts = { source, claims: null, ...(tokenUrl ? { tokenUrl } : {}), error: failure.error };
  return place(result, oauth, [failure.finding]);
}

/** `oauth` goes after `auth` (the JSON's order), the findings after the probe's own. */
function place(result: ProbeResult, oauth: OAuthFacts, extra: Finding[]): ProbeResult {
  const { findings, timing, ...head } = result;
  return { ...head, oauth, findings: [...findings, ...extra], timing };
}
