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

/** The names one cloud expects in DNS and serves SMTP submission and OAuth on (reference §0, research/oauth.md §1). */
export interface CloudEndpoints {
  /** Suffix of the legacy MX host, without the token: `mail.protection.outlook.com`. */
  mxSuffix: string;
  spfInclude: string;
  autodiscover: string;
  smtpHost: string;
  /** Suffix of the initial (MOERA) domain: `onmicrosoft.com`. */
  initialDomainSuffix: string;
  /** The Microsoft Entra ID token host: `https://<loginHost>/<tenant>/oauth2/v2.0/token`. */
  loginHost: string;
  /** Exchange Online's resource URI; the client-credentials scope is `${exoResource}/.default`. */
  exoResource: string;
  /**
   * The `aud` values an Exchange Online access token of this cloud may carry:
   * the resource with and without a trailing `/`, the Exchange Online app id
   * (EXO_APP_ID), and for worldwide `https://outlook.office.com` too.
   */
  exoAudiences: readonly string[];
}

/**
 * The application id of "Office 365 Exchange Online", the same in every
 * cloud: the `resourceAppId` in Learn's EWS OAuth manifest [P]. A token whose
 * scope named the resource by this GUID carries it as `aud` (Graph does the
 * same with its GUID [S]; no public EXO sample shows it [U]): research/oauth.md §1.
 */
export const EXO_APP_ID = '00000002-0000-0ff1-ce00-000000000000';

/** The accepted audiences of a resource: itself, with a trailing slash, the EXO app id, and the extra URIs given. */
function audiences(resource: string, ...extra: string[]): readonly string[] {
  return [resource, `${resource}/`, ...extra.flatMap((e) => [e, `${e}/`]), EXO_APP_ID];
}

/**
 * Each cloud's names: MX suffix, SPF include, autodiscover target, SMTP
 * submission host, initial-domain suffix (reference §0, from Microsoft's
 * documentation; `fixtures/` keeps no copy of it), and the OAuth facts of
 * research/oauth.md §1: the login host [P: Learn "National clouds"], the
 * Exchange Online resource (worldwide [P: Learn "Authenticate an IMAP, POP or
 * SMTP connection using OAuth": "You must use https://outlook.office365.com/.default"];
 * the sovereign ones [S: public code only, never on Learn], which is why
 * `--authority` and the token's own `aud` check can be overridden by the
 * user). GCC (moderate) uses the worldwide endpoints [S: Microsoft Q&A 2154730].
 * A sovereign tenant's app must be registered in that cloud's portal [P:
 * Learn "National clouds"]: a worldwide app id is not found there
 * (AADSTS700016 / 90002).
 */
export const CLOUD_ENDPOINTS: Record<Cloud, CloudEndpoints> = {
  worldwide: {
    mxSuffix: 'mail.protection.outlook.com',
    spfInclude: 'spf.protection.outlook.com',
    autodiscover: 'autodiscover.outlook.com',
    smtpHost: 'smtp.office365.com',
    initialDomainSuffix: 'onmicrosoft.com',
    loginHost: 'login.microsoftonline.com',
    exoResource: 'https://outlook.office365.com',
    // https://outlook.office.com: the audience of delegated tokens asked with the https://outlook.office.com/SMTP.Send scope [S].
    exoAudiences: audiences('https://outlook.office365.com', 'https://outlook.office.com'),
  },
  'gcc-high': {
    mxSuffix: 'mail.protection.office365.us',
    spfInclude: 'spf.protection.office365.us',
    autodiscover: 'autodiscover.office365.us',
    // [S: public code and docs]; Microsoft's endpoint table (GCC High, version 2023030100) lists
    // only outlook.office365.us on TCP 587 [P], the documented fallback if this name stops answering.
    smtpHost: 'smtp.office365.us',
    initialDomainSuffix: 'onmicrosoft.us',
    loginHost: 'login.microsoftonline.us',
    exoResource: 'https://outlook.office365.us', // [S: several public modules and GCC High samples]
    exoAudiences: audiences('https://outlook.office365.us'),
  },
  dod: {
    mxSuffix: 'mail.protection.office365.us',
    spfInclude: 'spf.protection.office365.us',
    autodiscover: 'autodiscover-dod.office365.us',
    // Was smtp.office365.us, which no source shows for DoD [U]. Microsoft's DoD endpoint table
    // (version 2020072800) lists outlook-dod.office365.us and webmail.apps.mil on TCP 587 [P],
    // and public code submits to outlook-dod.office365.us [S]: the name with a primary source wins.
    smtpHost: 'outlook-dod.office365.us',
    initialDomainSuffix: 'onmicrosoft.us',
    loginHost: 'login.microsoftonline.us',
    // [S: public PowerShell modules and a TS environment map]. webmail.apps.mil is DoD's EXO
    // PowerShell host [P], but no source shows it as a token audience [U]: not accepted here.
    exoResource: 'https://outlook-dod.office365.us',
    exoAudiences: audiences('https://outlook-dod.office365.us'),
  },
  china: {
    mxSuffix: 'mail.protection.partner.outlook.cn',
    spfInclude: 'spf.protection.partner.outlook.cn',
    autodiscover: 'autodiscover.partner.outlook.cn',
    smtpHost: 'smtp.partner.outlook.cn', // [S: public code samples]; the 21Vianet endpoint table gives no SMTP row
    initialDomainSuffix: 'partner.onmschina.cn',
    // [P: Learn "National clouds"]; login.chinacloudapi.cn is an alias (MSAL's metadata lists both, this one preferred [P]).
    loginHost: 'login.partner.microsoftonline.cn',
    exoResource: 'https://partner.outlook.cn', // [S: many public samples]
    exoAudiences: audiences('https://partner.outlook.cn'),
  },
};

/**
 * The clouds whose Exchange Online audiences hold `aud` (compared without
 * case, a trailing `/` ignored): worldwide for `https://outlook.office365.com`,
 * every cloud for the EXO app id, none for Graph. Pure.
 */
export function cloudsOfExoAudience(aud: string): Cloud[] {
  const norm = (s: string): string => s.trim().toLowerCase().replace(/\/$/, '');
  const a = norm(aud);
  return CLOUDS.filter((c) => CLOUD_ENDPOINTS[c].exoAudiences.some((x) => norm(x) === a));
}

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
