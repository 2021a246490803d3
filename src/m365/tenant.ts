/**
 * The tenant: the initial-domain (MOERA) prefix, `contoso` for
 * `contoso.onmicrosoft.com` (reference §3, §4). One home for what a tenant
 * name may be, used by the DKIM and DMARC checks, batch input and the CLI.
 */
import { canonicalName } from '../domain/name.js';
import { INITIAL_DOMAIN_SUFFIXES } from './clouds.js';

/** A tenant prefix is one DNS label. */
const TENANT_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The tenant prefix from what a user typed for --tenant or a tenant column:
 * `contoso`, `contoso.onmicrosoft.com`, `contoso.onmicrosoft.us` and
 * `contoso.partner.onmschina.cn` all give `contoso`. Null when it is not a
 * DNS label. Pure.
 */
export function normalizeTenant(input: string | null | undefined): string | null {
  if (input === null || input === undefined) return null;
  let t = canonicalName(String(input).trim());
  for (const s of INITIAL_DOMAIN_SUFFIXES) {
    if (t.endsWith(`.${s}`)) t = t.slice(0, -(s.length + 1));
  }
  return TENANT_LABEL.test(t) ? t : null;
}
