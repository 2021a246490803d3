import type { DnsClient } from '../dns/types.js';
import type { Cloud } from '../m365/clouds.js';

/** One context passed to every check instead of drilling options through. */
export interface AuditContext {
  dns: DnsClient;
  /** Forced by --cloud; otherwise detected per domain. */
  cloud?: Cloud | undefined;
  /** Initial-domain prefix given by --tenant (or a tenant column). */
  tenant?: string | undefined;
  /** Extra DKIM selectors (--selector) checked with the generic key checks. */
  selectors?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
  /** The time each report's `auditedAt` is taken from (default: the system clock); tests pass a fixed one. */
  clock?: (() => Date) | undefined;
}

export interface CheckResult<S> {
  section: S;
  findings: import('../findings/catalog.js').Finding[];
}
