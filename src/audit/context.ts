import type { LookupContext } from '../dns/context.js';
import type { Cloud } from '../m365/clouds.js';

/** The context of one audit: the lookup context, and the options of the run that change verdicts. */
export interface AuditContext extends LookupContext {
  /** Forced by --cloud; otherwise detected per domain. */
  cloud?: Cloud | undefined;
  /** Initial-domain prefix given by --tenant (or a tenant column). */
  tenant?: string | undefined;
  /** Extra DKIM selectors (--selector) checked with the generic key checks. */
  selectors?: readonly string[] | undefined;
}

export type { CheckResult } from '../findings/catalog.js';
