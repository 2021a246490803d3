/**
 * Microsoft 365 clouds and the names each one expects (reference §0).
 * GCC shares the worldwide endpoints; GCC High and DoD share their suffixes,
 * told apart only by the DoD autodiscover host.
 */
import { canonicalName } from '../domain/name.js';
/** A Microsoft 365 cloud: worldwide (GCC too), GCC High, DoD, or China (21Vianet). */
export type Cloud = 'worldwide' | 'gcc-high' | 'dod' | 'china';
/** Every Cloud, worldwide first (`--cloud` choices). */
export const CLOUDS: readonly Cloud[] = ['worldwide', 'gcc-high', 'dod', 'china'];

/** The names one cloud expects in DNS and serves SMTP submission on (reference §0). */
export interface CloudEndpoints {
  /** Suffix of the legacy MX host, without the token: `mail.protection.outlook.com`. */
  mxSuffix: string;
  spfInclude: string;
  autodiscover: string;
  smtpHost: string;
  /** Suffix of the initial (MOERA) domain: `onmicrosoft.com`. */
  initialDomainSuffix: string;
}

/**
 * Each cloud's names: MX suffix, SPF include, autodiscover target, SMTP
 * submission host, initial-domain suffix (reference §0, from Microsoft's
 * documentation; `fixtures/` keeps no copy of it).
 */
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

/** Whether `s` names a Cloud (e.g. a `--cloud` value). Pure. */
export function isCloud(s: string): s is Cloud {
  return (CLOUDS as readonly string[]).includes(s);
}

/** Every Microsoft SPF include host, any cloud. */
export const M365_SPF_INCLUDES: readonly string[] = [
  ...new Set(Object.values(CLOUD_ENDPOINTS).map((e) => e.spfInclude)),
];

/** The cloud a Microsoft SPF include belongs to (gcc-high for the .us one: DoD shares it). */
export function cloudOfSpfInclude(host: string): Cloud | null {
  const h = canonicalName(host);
  return CLOUDS.find((c) => CLOUD_ENDPOINTS[c].spfInclude === h) ?? null;
}

/** Every initial-domain (MOERA) suffix, one per cloud family: onmicrosoft.com, onmicrosoft.us, partner.onmschina.cn. */
export const INITIAL_DOMAIN_SUFFIXES: readonly string[] = [...new Set(Object.values(CLOUD_ENDPOINTS).map((e) => e.initialDomainSuffix))];

/** The cloud an initial-domain suffix (from a DKIM target) belongs to (gcc-high for the .us one: DoD shares it). */
export function cloudOfInitialSuffix(suffix: string): Cloud | null {
  return CLOUDS.find((c) => CLOUD_ENDPOINTS[c].initialDomainSuffix === suffix) ?? null;
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

/** What DNS shows of the cloud, area by area. */
export interface CloudEvidence {
  /** The cloud the Microsoft MX host names (legacy suffix), if any. */
  mx?: Cloud | null | undefined;
  /** The cloud the DKIM targets name (legacy initial-domain suffix), if any. */
  dkim?: Cloud | null | undefined;
  /** The hosts the domain's SPF record includes. */
  spfIncludes?: readonly string[] | undefined;
  /** The autodiscover CNAME's first hop. */
  autodiscoverTarget?: string | undefined;
}

/**
 * The cloud from the MX, DKIM targets, SPF include and autodiscover (DESIGN):
 * the MX first, then DKIM, then the SPF include (a sovereign include wins over
 * the worldwide one). GCC High and DoD share their suffixes, so gcc-high
 * unless autodiscover points at the DoD host. Worldwide when nothing says
 * otherwise. Pure: the one home of this rule (the audit and plan use it).
 */
export function detectCloud(e: CloudEvidence): Cloud {
  let cloud: Cloud | null = e.mx ?? e.dkim ?? null;
  if (!cloud) {
    for (const host of e.spfIncludes ?? []) {
      const c = cloudOfSpfInclude(host);
      if (c && c !== 'worldwide') cloud = c;
      else if (c && !cloud) cloud = c;
    }
  }
  cloud ??= 'worldwide';
  if (cloud === 'gcc-high' && e.autodiscoverTarget !== undefined && canonicalName(e.autodiscoverTarget) === CLOUD_ENDPOINTS.dod.autodiscover) return 'dod';
  return cloud;
}
