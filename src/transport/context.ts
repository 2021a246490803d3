import type { LookupContext } from '../dns/context.js';
import type { SecureDnsClient } from '../dns/types.js';
import type { HttpsClient } from '../http/client.js';

/**
 * The first argument of the transport checks (MTA-STS, TLS-RPT, DNSSEC,
 * DANE): a LookupContext, and the two clients node:dns cannot stand in for.
 * A check given neither reports its area `unknown` with a reason; it never
 * throws for their absence.
 */
export interface TransportContext extends LookupContext {
  /** The raw DNS client for DO/AD/CD queries and TLSA, DS, DNSKEY records (createSecureDnsClient). */
  secure?: SecureDnsClient | undefined;
  /** One HTTPS request at a time (createHttpsClient): the MTA-STS policy fetch. */
  https?: HttpsClient | undefined;
}
