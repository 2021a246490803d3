/**
 * The AADSTS codes a client-credentials token request meets (research/oauth.md
 * §4), each with its meaning and fix. Microsoft warns that "Error codes and
 * messages are subject to change… Apps that take a dependency on text or
 * error code numbers will be broken over time" [P: Learn "Microsoft Entra
 * authentication and authorization error codes", entra-docs
 * docs/identity-platform/reference-error-codes.md], so the token code matches
 * the numbers of `error_codes[]` only, shows `error_description` as it came,
 * and links `https://login.microsoftonline.com/error?code=<n>` [P: same page].
 *
 * Marks as in the research: [P] from Learn, [S] from live answers quoted in
 * public code and issue threads.
 */

/** One AADSTS code: its official name, meaning, fix, and how sure the source is. */
export interface AadstsEntry {
  code: number;
  /** Learn's error name (`InvalidTenantName`), or null where Learn lists none. */
  name: string | null;
  title: string;
  meaning: string;
  fix: string;
  /** One of the codes this CLI meets most (the research's ★). */
  common: boolean;
  /** `P`: Learn's own text; `S`: live answers quoted in public code. */
  confidence: 'P' | 'S';
}

/** Entra's page for a code (LEARN-ERR: "error_uri"). */
export function aadstsErrorUrl(code: number): string {
  return `https://login.microsoftonline.com/error?code=${code}`;
}

/** The catalog: the ★ codes first, then the others of research/oauth.md §4, in its order. */
export const AADSTS_CODES: readonly AadstsEntry[] = [
  {
    code: 7000215, name: null, common: true, confidence: 'P',
    title: 'Invalid client secret provided',
    meaning: "The client secret sent is not one of the app's secrets. The most common cause is sending the secret's ID instead of its value.",
    fix: 'Send the secret\'s Value (shown once, when it is created under App registrations → Certificates & secrets), not its Secret ID; create a new secret if the value was not kept.',
  },
  {
    code: 7000222, name: 'InvalidClientSecretExpiredKeysProvided', common: true, confidence: 'P',
    title: 'The client secret has expired',
    meaning: "The provided client secret keys are expired: the secret's end date has passed.",
    fix: 'Create a new client secret (App registrations → Certificates & secrets, https://aka.ms/NewClientSecret) and update the app, or move to a certificate credential.',
  },
  {
    code: 700016, name: 'UnauthorizedClient_DoesNotMatchRequest', common: true, confidence: 'P',
    title: 'Application not found in the directory',
    meaning: 'No application with this client ID exists in the tenant: it was not installed or consented there, the client ID is wrong, or the request went to the wrong tenant or cloud.',
    fix: 'Check the client ID (Application (client) ID on the app\'s Overview page) and the tenant ID; a GCC High, DoD or 21Vianet tenant needs an app registered in that cloud and --cloud set to it.',
  },
  {
    code: 90002, name: 'InvalidTenantName', common: true, confidence: 'P',
    title: 'Tenant not found',
    meaning: 'The tenant name was not found in the data store. Often a cross-cloud app was used against the wrong cloud, or the tenant has no active subscription.',
    fix: 'Check the tenant ID (Directory (tenant) ID on the app\'s Overview page) and the cloud (--cloud): sovereign tenants live on their own login host.',
  },
  {
    code: 900023, name: null, common: true, confidence: 'S',
    title: 'Specified tenant identifier is neither a valid DNS name nor a valid external domain',
    meaning: 'The tenant part of the token URL is neither a tenant GUID nor a domain of a tenant.',
    fix: 'Give the tenant as its Directory (tenant) ID GUID or as one of its verified domains (contoso.onmicrosoft.com).',
  },
  {
    code: 700027, name: null, common: true, confidence: 'P',
    title: 'Client assertion failed signature validation',
    meaning: 'The signed client assertion does not verify against any certificate registered on the app: the key was not found, the certificate has expired, or the certificate was never uploaded.',
    fix: 'Upload the certificate (public part, .cer/.pem) under App registrations → Certificates & secrets, and sign with its private key; check that the certificate and key belong together and that the certificate has not expired.',
  },
  {
    code: 700024, name: null, common: true, confidence: 'S',
    title: 'Client assertion is not within its valid time range',
    meaning: "The assertion's nbf/exp do not cover Entra's clock: it expired, or this machine's clock is off.",
    fix: "Synchronise this machine's clock (NTP); the assertion is valid for 10 minutes from the moment it is made.",
  },
  {
    code: 700021, name: null, common: false, confidence: 'P',
    title: "Client assertion application identifier doesn't match 'client_id' parameter",
    meaning: "The assertion's iss/sub is not the client_id of the request.",
    fix: 'Make the assertion\'s iss and sub both the client ID sent as client_id.',
  },
  {
    code: 700023, name: 'InvalidResourcelessScope', common: false, confidence: 'P',
    title: 'Client assertion audience does not match, or the scope names no resource',
    meaning: "Two meanings: the assertion's aud is not the token endpoint (Learn's Java SDK guide), or the scope has no resource (InvalidResourcelessScope, Learn's error table).",
    fix: "Make the assertion's aud the exact token URL (https://<login host>/<tenant>/oauth2/v2.0/token), and ask for one resource's /.default scope.",
  },
  {
    code: 7000218, name: null, common: false, confidence: 'P',
    title: "The request body must contain 'client_assertion' or 'client_secret'",
    meaning: 'The request carried no client credential.',
    fix: 'Send a client secret (M365AUDIT_CLIENT_SECRET) or a certificate (--client-cert).',
  },
  {
    code: 7000112, name: 'UnauthorizedClientApplicationDisabled', common: false, confidence: 'P',
    title: 'The application is disabled',
    meaning: "The app's service principal is disabled in this tenant.",
    fix: 'Enable it: Enterprise applications → the app → Properties → "Enabled for users to sign-in" = Yes.',
  },
  {
    code: 7000229, name: null, common: true, confidence: 'S',
    title: 'The client application is missing a service principal in the tenant',
    meaning: 'The app registration exists but has no service principal (Enterprise application) in the tenant.',
    fix: 'Create the service principal by granting admin consent to the app in that tenant (see https://go.microsoft.com/fwlink/?linkid=2225119).',
  },
  {
    code: 500011, name: 'InvalidResourceServicePrincipalNotFound', common: true, confidence: 'P',
    title: 'The resource principal was not found in the tenant',
    meaning: 'The resource the scope names (Exchange Online) is not in the tenant: not provisioned or licensed there, or the resource URI belongs to another cloud.',
    fix: "Check that the tenant has Exchange Online, and that the scope is this cloud's resource (https://outlook.office365.com/.default for worldwide; set --cloud for the others).",
  },
  {
    code: 65001, name: 'DelegationDoesNotExist', common: false, confidence: 'P',
    title: "The user or administrator hasn't consented to use the application",
    meaning: 'Consent for the requested permissions was never given.',
    fix: 'Grant admin consent: App registrations → the app → API permissions → Grant admin consent for <tenant>.',
  },
  {
    code: 70011, name: 'InvalidScope', common: true, confidence: 'P',
    title: 'The scope requested by the app is invalid',
    meaning: 'The scope parameter is not valid for this grant.',
    fix: "The client-credentials grant takes exactly one scope: the resource with /.default (https://outlook.office365.com/.default for worldwide Exchange Online).",
  },
  {
    code: 1002012, name: null, common: false, confidence: 'S',
    title: 'Client credential flows must have a scope value with /.default',
    meaning: 'The scope lacks the /.default suffix the client-credentials grant requires.',
    fix: 'Ask for <resource>/.default (https://outlook.office365.com/.default for worldwide Exchange Online).',
  },
  {
    code: 700022, name: 'InvalidMultipleResourcesScope', common: false, confidence: 'P',
    title: 'The scope names more than one resource',
    meaning: 'All scopes of one request must be for a single resource.',
    fix: "Ask for one resource's /.default scope only.",
  },
  {
    code: 90014, name: 'MissingRequiredField', common: false, confidence: 'P',
    title: 'A required field is missing from the request',
    meaning: 'The form body lacks a field the grant requires.',
    fix: 'Send client_id, scope, grant_type=client_credentials and one credential (client_secret, or client_assertion with client_assertion_type).',
  },
  {
    code: 900144, name: null, common: false, confidence: 'P',
    title: "The request body must contain the following parameter: '{name}'",
    meaning: 'The form body lacks the parameter named in the description.',
    fix: 'Send the missing parameter (see the description).',
  },
  {
    code: 9001023, name: null, common: false, confidence: 'P',
    title: 'The grant type is not supported over the /common or /consumers endpoints',
    meaning: 'The client-credentials grant needs a specific tenant; /common and /consumers have none.',
    fix: "Use the tenant's ID (a GUID) or one of its domains instead of common or consumers.",
  },
  {
    code: 53003, name: 'BlockedByConditionalAccess', common: false, confidence: 'P',
    title: 'Access has been blocked by Conditional Access policies',
    meaning: 'A Conditional Access policy for workload identities blocks this service principal (for example by location).',
    fix: 'Exclude the service principal or its location from the Conditional Access policy, or run from an allowed location.',
  },
  {
    code: 50049, name: 'NoSuchInstanceForDiscovery', common: false, confidence: 'P',
    title: 'Unknown or invalid instance',
    meaning: 'The authority host is not a known Entra instance.',
    fix: "Use the cloud's login host (login.microsoftonline.com, login.microsoftonline.us, login.partner.microsoftonline.cn) or fix --authority.",
  },
  {
    code: 50034, name: 'UserAccountNotFound', common: false, confidence: 'P',
    title: 'The user account does not exist in the directory',
    meaning: 'A user sign-in named an account the tenant does not have. This is a user sign-in error: a client-credentials request does not expect it.',
    fix: 'Check the user name (the full UPN) and the tenant; for app-only SMTP use the client-credentials grant, which names no user.',
  },
  {
    code: 50126, name: 'InvalidUserNameOrPassword', common: false, confidence: 'P',
    title: 'Error validating credentials due to invalid username or password',
    meaning: 'A user sign-in (resource owner password) failed. Not expected from client credentials.',
    fix: 'Check the user name and password; prefer the client-credentials grant for unattended SMTP.',
  },
  {
    code: 90038, name: 'NationalCloudTenantRedirection', common: false, confidence: 'P',
    title: 'The tenant belongs to a national cloud',
    meaning: 'The tenant lives in another cloud than the login host that was asked.',
    fix: "Set --cloud to the tenant's cloud (gcc-high, dod, china), whose login host then serves the request.",
  },
  {
    code: 900432, name: null, common: false, confidence: 'P',
    title: "Confidential Client isn't supported in Cross Cloud request",
    meaning: "An app of one cloud asked for a token in another cloud's tenant.",
    fix: "Register the app in the tenant's own cloud and use that cloud's login host (--cloud).",
  },
  {
    code: 50196, name: 'LoopDetected', common: false, confidence: 'P',
    title: 'A client loop has been detected',
    meaning: 'The app made too many of the same request in too short a period.',
    fix: 'Cache tokens and reuse them until they expire; wait before retrying.',
  },
];

const BY_CODE = new Map(AADSTS_CODES.map((e) => [e.code, e]));

/** The catalog entry of a code, or null. Pure. */
export function findAadsts(code: number): AadstsEntry | null {
  return BY_CODE.get(code) ?? null;
}

// `AADSTS7000215` anywhere (any case), as it opens Entra's error_description; linear: one run of digits.
const PREFIXED = /(?:^|[^A-Za-z0-9])AADSTS(\d{1,9})(?!\d)/i;
// A bare number of 5 to 8 digits, alone: no SMTP reply code (3 digits) or enhanced code (dotted) looks like it.
const BARE = /^\s*(\d{5,8})\s*$/;

/**
 * The AADSTS code an input names: `AADSTS7000215` (any case, also inside a
 * pasted error_description), or a bare number of 5 to 8 digits that the
 * catalog knows (`7000215`; an unknown bare number is not taken, so a typo is
 * not explained as an unknown Entra code). Null otherwise. Pure.
 */
export function parseAadstsCode(input: string): { code: number; prefixed: boolean } | null {
  const text = input.slice(0, 2000);
  const p = PREFIXED.exec(text);
  if (p) return { code: Number(p[1]), prefixed: true };
  const b = BARE.exec(text);
  if (b && findAadsts(Number(b[1]))) return { code: Number(b[1]), prefixed: false };
  return null;
}
