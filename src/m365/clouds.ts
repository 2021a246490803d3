/**
 * Microsoft 365 clouds and the names each one expects (reference §0).
 * GCC shares the worldwide endpoints; GCC High and DoD share their suffixes,
 * told apart only by the DoD autodiscover host.
 */
import { canonicalName } from '../domain/name.js';
export type Cloud = 'worldwide' | 'gcc-high' | 'dod' | 'china';
export const CLOUDS: readonly Cloud[] = ['worldwide', 'gcc-high', 'dod', 'china'];

export interface CloudEndpoints {
  /** Suffix of the legacy MX host, without the token: `mail.protection.outlook.com`. */
  mxSuffix: string;
  spfInclude: string;
  autodiscover: string;
  smtpHost: string;
  /** Suffix of the initial (MOERA) domain: `onmicrosoft.com`. */
  initialDomainSuffix: string;
}

export const CLOUD_ENDPOINTS: Record<Cloud, CloudEndpoints> = {
  worldwide: {
    mxSuffix: 'mail.protection.outlook.com',
    spfInclude: 'spf.protection.outlook.com',
    autodiscover: 'autodiscover.outlook.com',
    smtpHost: 'smtp.office365.com',
    initialDomainSuffix: 'onmicrosoft.com',
  },
  'gcc-high': {
    mxSuffix: 'mail.protection.office365.us',
    spfInclude: 'spf.protection.office365.us',
    autodiscover: 'autodiscover.office365.us',
    smtpHost: 'smtp.office365.us',
    initialDomainSuffix: 'onmicrosoft.us',
  },
  dod: {
    mxSuffix: 'mail.protection.office365.us',
    spfInclude: 'spf.protection.office365.us',
    autodiscover: 'autodiscover-dod.office365.us',
    smtpHost: 'smtp.office365.us',
    initialDomainSuffix: 'onmicrosoft.us',
  },
  china: {
    mxSuffix: 'mail.protection.partner.outlook.cn',
    spfInclude: 'spf.protection.partner.outlook.cn',
    autodiscover: 'autodiscover.partner.outlook.cn',
    smtpHost: 'smtp.partner.outlook.cn',
    initialDomainSuffix: 'partner.onmschina.cn',
  },
};

export function isCloud(s: string): s is Cloud {
  return (CLOUDS as readonly string[]).includes(s);
}

/** Every Microsoft SPF include host, any cloud. */
export const M365_SPF_INCLUDES: readonly string[] = [
  ...new Set(Object.values(CLOUD_ENDPOINTS).map((e) => e.spfInclude)),
];

/** The cloud a Microsoft SPF include belongs to (gcc-high for the .us one). */
export function cloudOfSpfInclude(host: string): Cloud | null {
  const h = canonicalName(host);
  if (h === CLOUD_ENDPOINTS.worldwide.spfInclude) return 'worldwide';
  if (h === CLOUD_ENDPOINTS['gcc-high'].spfInclude) return 'gcc-high';
  if (h === CLOUD_ENDPOINTS.china.spfInclude) return 'china';
  return null;
}

/** The cloud an initial-domain suffix (from a DKIM target) belongs to. */
export function cloudOfInitialSuffix(suffix: string): Cloud | null {
  if (suffix === 'onmicrosoft.com') return 'worldwide';
  if (suffix === 'onmicrosoft.us') return 'gcc-high';
  if (suffix === 'partner.onmschina.cn') return 'china';
  return null;
}

/** `contoso.com` -> `contoso-com` (reference: dashed(D)). */
export function dashed(domain: string): string {
  return domain.replace(/\./g, '-');
}

/**
 * Whether a token (the MX host's first label, or the domain part of a DKIM
 * target) fits the domain, allowing what Microsoft does without documenting
 * it (reference §1): hyphens dropped from the domain, a short `0…` suffix.
 */
export function tokenMatches(token: string, domain: string): boolean {
  const stripped = token.replace(/0[0-9a-z]{1,6}$/, '');
  return [dashed(domain), dashed(domain.replace(/-/g, ''))].some((form) => token === form || stripped === form);
}
