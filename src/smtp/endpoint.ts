/**
 * `host`, `host:port`, `[v6]:port` or a bare IPv6 address, as given to
 * `probe` and `--probe-host`. Pure; null for anything else.
 */
import { isIP } from 'node:net';
import { CLOUD_ENDPOINTS } from '../m365/clouds.js';
import { formatHostPort, parseHostPort } from '../domain/host-port.js';
import { canonicalName } from '../domain/name.js';

/** An SMTP endpoint: host (lower case, no trailing dot) and port. */
export interface Endpoint {
  host: string;
  port: number;
}

/** The SMTP submission port (RFC 6409), where Microsoft 365 offers STARTTLS and AUTH. */
export const SUBMISSION_PORT = 587;
/** RFC 8314 implicit-TLS submission port (Microsoft 365 does not serve it). */
export const IMPLICIT_TLS_PORT = 465;
/** The SMTP relay port (RFC 5321), where MX hosts listen; Microsoft's MX offers no AUTH there. */
export const SMTP_PORT = 25;

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/i;

function validHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const h = host.endsWith('.') ? host.slice(0, -1) : host;
  if (h.length === 0 || h.length > 253) return false;
  return h.split('.').every((l) => LABEL.test(l));
}

/** Parses an endpoint; the host is lower-cased without a trailing dot. */
export function parseEndpoint(input: string, defaultPort: number): Endpoint | null {
  const hp = parseHostPort(input);
  if (!hp) return null;
  const host = canonicalName(hp.host);
  return validHost(host) ? { host, port: hp.port ?? defaultPort } : null;
}

/** `host:port`, `[v6]:port`: a stable key for de-duplication and display. */
export function endpointKey(e: Endpoint): string {
  return formatHostPort(canonicalName(e.host), e.port);
}

/** Microsoft-operated mail suffixes: a probe of these expects Microsoft's banner. */
const MICROSOFT_SUFFIXES = ['office365.com', 'outlook.com', 'office365.us', 'outlook.cn'];

export function isMicrosoftSmtpHost(host: string): boolean {
  const h = canonicalName(host);
  if (Object.values(CLOUD_ENDPOINTS).some((c) => c.smtpHost === h)) return true;
  return MICROSOFT_SUFFIXES.some((s) => h === s || h.endsWith(`.${s}`));
}

/**
 * Microsoft's greeting (reference §8): `220 <name>.outlook.office365.com
 * Microsoft ESMTP MAIL Service ready at <date>` (newer ones end in a
 * bracketed hex id; MX hosts say `<name>.mail.protection.outlook.com`).
 */
const MICROSOFT_BANNER = /^220[ -]\S+\.(?:office365\.com|outlook\.com|office365\.us|outlook\.cn) Microsoft ESMTP MAIL Service ready at \S/i;

export function isMicrosoftBanner(banner: string): boolean {
  return MICROSOFT_BANNER.test(banner.split('\n')[0] ?? '');
}
