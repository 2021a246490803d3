/**
 * The records a message's diagnosis proposes, built from what DNS holds
 * today: an SPF record with the sending address or Microsoft's include
 * added, and Microsoft 365's DKIM selector CNAMEs for the From domain. Pure;
 * never throws. Each proposal keeps the live record's terms and order, and
 * adds one term before its `all` (or redirect), where RFC 7208 5.1 says
 * mechanisms after `all` are never evaluated.
 */
import { expectedDkimTargets } from '../dkim/target.js';
import type { Cloud } from '../m365/clouds.js';
import { normalizeTenant } from '../m365/tenant.js';
import { parseClientIp } from '../spf/ip.js';
import { isSpfRecord } from '../spf/parse.js';
import type { FindingCode } from '../findings/catalog.js';
import type { FixRecord } from './report.js';

/** The SPF term that authorizes one address: ip4:A or ip6:A (RFC 7208 5.6). */
export function spfTermForIp(ip: string): string | null {
  const parsed = parseClientIp(ip);
  if (!parsed) return null;
  return parsed.readable.includes(':') ? `ip6:${parsed.readable}` : `ip4:${parsed.readable}`;
}

/**
 * `record` with `term` added before its `all` term (or its redirect, or at
 * the end); a new `v=spf1 <term> ~all` when there is no record (softfail
 * while the other senders are found). The record itself when it already
 * names the term.
 */
export function spfRecordWith(record: string | null, term: string): string {
  if (record === null || !isSpfRecord(record)) return `v=spf1 ${term} ~all`;
  const tokens = record.trim().split(/\s+/);
  if (tokens.some((t) => t.toLowerCase() === term.toLowerCase() || t.toLowerCase() === `+${term.toLowerCase()}`)) return record;
  const at = tokens.findIndex((t, i) => i > 0 && (/^[+?~-]?all$/i.test(t) || /^redirect=/i.test(t)));
  if (at < 0) return [...tokens, term].join(' ');
  return [...tokens.slice(0, at), term, ...tokens.slice(at)].join(' ');
}

/** The SPF proposal as a record to publish at `domain`. */
export function spfFix(code: FindingCode, domain: string, record: string | null, term: string, why: string): FixRecord | null {
  const value = spfRecordWith(record, term);
  if (record !== null && value === record) return null;
  return {
    code, name: domain, type: 'TXT', value, action: record === null ? 'add' : 'replace',
    note: `${why} Keep one v=spf1 record at ${domain}, within 10 DNS lookups (m365audit spf ${domain} counts them).`,
  };
}

/** The tenant named by a signing domain of `<tenant>.onmicrosoft.com` (Microsoft 365 signs with it before a custom domain has DKIM), or null. */
export function tenantOfSigningDomain(domain: string): string | null {
  const d = domain.toLowerCase();
  return /\.onmicrosoft\.(com|us)$|\.partner\.onmschina\.cn$/.test(d) ? normalizeTenant(d) : null;
}

/**
 * Microsoft 365's two DKIM CNAMEs for `domain` (selector1/selector2 →
 * selectorN-<domain-dashed>._domainkey.<tenant>.<initial domain>), when the
 * tenant is known; the Defender portal shows the same targets (newer tenants
 * may be given `…dkim.mail.microsoft` targets there: those win).
 */
export function dkimCnameFixes(code: FindingCode, domain: string, tenant: string, cloud: Cloud): FixRecord[] {
  const targets = expectedDkimTargets(domain, tenant, cloud);
  return targets.map((target, i) => ({
    code, name: `selector${i + 1}._domainkey.${domain}`, type: 'CNAME' as const, value: target, action: 'add' as const,
    note: `Microsoft 365 signs as ${domain} once both selector CNAMEs exist and DKIM is turned on for the domain (Defender portal > Email authentication settings > DKIM); if the portal shows other targets, publish those.`,
  }));
}
