import type { DnsClient } from './types.js';

/**
 * The first argument of every check and lookup function: what it may use of
 * the world. Options that change a check's verdict (the cloud, a tenant, extra
 * selectors) are its own, typed, second or third argument.
 */
export interface LookupContext {
  dns: DnsClient;
  /** The time reports are stamped with (default: the system clock); tests pass a fixed one. */
  clock?: (() => Date) | undefined;
}
