import { CLOUD_ENDPOINTS, cloudOfInitialSuffix, dashed, INITIAL_DOMAIN_SUFFIXES, type Cloud } from '../m365/clouds.js';
import { canonicalName } from '../domain/name.js';

/**
 * Microsoft 365's DKIM CNAME targets (reference §3). Two forms, either valid:
 * legacy `selectorN-<token>._domainkey.<tenant>.onmicrosoft.com` (or
 * .onmicrosoft.us, .partner.onmschina.cn) and, for domains added since May
 * 2025, `selectorN-<token>._domainkey.<tenant>.<c>-v1.dkim.mail.microsoft`.
 */
export interface DkimTarget {
  format: 'legacy' | 'new';
  /** The selector number the target names (1 or 2). */
  selector: 1 | 2;
  /** The domain part: dashed(domain), sometimes with a suffix Microsoft adds. */
  token: string;
  /** The initial-domain prefix (tenant). */
  tenant: string;
  /** onmicrosoft.com, onmicrosoft.us, partner.onmschina.cn or <c>-v1.dkim.mail.microsoft. */
  suffix: string;
  /** The cloud the legacy suffix names; null for the new form, which does not say. */
  cloud: Cloud | null;
  /** The new form's partition letter (<c>), else null. */
  partition: string | null;
}

/** The legacy suffixes are the clouds' initial-domain suffixes; the new form's is `<c>-v1.dkim.mail.microsoft`. */
const TARGET = new RegExp(`^selector([12])-([a-z0-9-]+)\\._domainkey\\.([a-z0-9-]+)\\.(${INITIAL_DOMAIN_SUFFIXES.map((x) => x.replace(/\./g, '\\.')).join('|')}|([a-z])-v1\\.dkim\\.mail\\.microsoft)$`);

export function canonName(name: string): string {
  return canonicalName(String(name));
}

/** Parses a CNAME target; null when it matches neither Microsoft form. Pure. */
export function parseDkimTarget(target: string): DkimTarget | null {
  const m = TARGET.exec(canonName(target));
  if (!m) return null;
  const [, n, token, tenant, suffix, partition] = m as unknown as [string, string, string, string, string, string | undefined];
  // DNS labels hold 63 octets: `selectorN-<token>` and the tenant are one label each.
  if (`selector${n}-${token}`.length > 63 || tenant.length > 63) return null;
  return {
    format: partition === undefined ? 'legacy' : 'new',
    selector: n === '1' ? 1 : 2,
    token,
    tenant,
    suffix,
    cloud: partition === undefined ? cloudOfInitialSuffix(suffix) : null,
    partition: partition ?? null,
  };
}

/** The legacy-form targets Microsoft computes for a tenant: token dashed(domain), the cloud's initial-domain suffix (reference §3). Pure. */
export function expectedDkimTargets(domain: string, tenant: string, cloud: Cloud): [string, string] {
  const suffix = CLOUD_ENDPOINTS[cloud].initialDomainSuffix;
  const token = dashed(domain);
  return [`selector1-${token}._domainkey.${tenant}.${suffix}`, `selector2-${token}._domainkey.${tenant}.${suffix}`];
}

/** Why a target misses the patterns, when a common mistake explains it; null otherwise. */
export function diagnoseDkimTarget(target: string, domain: string): string | null {
  const t = canonName(target);
  if (t.endsWith(`.${domain}`) && parseDkimTarget(t.slice(0, -(domain.length + 1)))) {
    return `the zone name ${domain} was appended: the target was entered without its trailing dot`;
  }
  if (/-v1\.dkim\.mail\.microsoft\.onmicrosoft\.(com|us)$/.test(t)) return '.onmicrosoft.com was added to a new-form target (…dkim.mail.microsoft is complete as it is)';
  const dotted = /^selector[12]-(.+)\._domainkey\./.exec(t);
  if (dotted && (dotted[1] as string).includes('.')) return 'the domain part keeps its dots; Microsoft writes it with dashes';
  if (/^selector[12]\._domainkey\./.test(t)) return 'the target repeats the selector name instead of Microsoft\'s selectorN-<domain> target';
  return null;
}
