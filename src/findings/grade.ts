import type { Finding } from './catalog.js';

/**
 * A domain's readiness: `ready`, `needs-work` (warnings), `unknown` (a lookup
 * failed, so it cannot be decided), `not-ready` (an error). See gradeOf.
 */
export type Grade = 'ready' | 'needs-work' | 'unknown' | 'not-ready';

/** Points taken off per finding (README "Score"). DNS_TEMPFAIL costs nothing: it makes the grade unknown. */
export const ERROR_PENALTY = 20;
/** Points taken off per warning (README "Score"). */
export const WARNING_PENALTY = 5;

/** DESIGN order: not-ready (an error other than DNS_TEMPFAIL), unknown, needs-work, ready. */
export function gradeOf(findings: readonly Finding[]): Grade {
  if (findings.some((f) => f.severity === 'error' && f.code !== 'DNS_TEMPFAIL')) return 'not-ready';
  if (findings.some((f) => f.code === 'DNS_TEMPFAIL')) return 'unknown';
  if (findings.some((f) => f.severity === 'warning')) return 'needs-work';
  return 'ready';
}

/**
 * 100 minus 20 per error and 5 per warning, at least 0; an invalid or
 * non-existent domain scores 0. A domain graded `unknown` has no score
 * (null, DESIGN): part of it could not be looked up, and 100 would claim
 * that nothing is wrong.
 */
export function scoreOf(findings: readonly Finding[]): number | null {
  if (findings.some((f) => f.code === 'DOMAIN_INVALID' || f.code === 'DOMAIN_NOT_FOUND')) return 0;
  if (gradeOf(findings) === 'unknown') return null;
  let score = 100;
  for (const f of findings) {
    if (f.code === 'DNS_TEMPFAIL') continue;
    if (f.severity === 'error') score -= ERROR_PENALTY;
    else if (f.severity === 'warning') score -= WARNING_PENALTY;
  }
  return Math.max(0, score);
}
