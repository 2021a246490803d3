import type { TransportContext } from '../transport/context.js';
import type { Cloud } from '../m365/clouds.js';

/**
 * The context of one audit: the lookup context with the transport checks'
 * clients (the secure DNS client for DNSSEC and TLSA, the HTTPS client of the
 * MTA-STS policy fetch; without them those areas are `unknown`), and the
 * options of the run that change verdicts.
 */
export interface AuditContext extends TransportContext {
  /** Forced by --cloud; otherwise detected per domain. */
  cloud?: Cloud | undefined;
  /** Initial-domain prefix given by --tenant (or a tenant column). */
  tenant?: string | undefined;
  /** Extra DKIM selectors (--selector) checked with the generic key checks. */
  selectors?: readonly string[] | undefined;
}

export type { CheckResult } from '../findings/catalog.js';
