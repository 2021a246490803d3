/**
 * What a DKIM selector may be (RFC 6376 3.1: `selector = sub-domain *( "."
 * sub-domain )`, each sub-domain a DNS label of RFC 5321 Let-dig / Ldh-str;
 * underscores are accepted as well, as real selectors use them). One home for
 * the rule: the CLI's --selector and the DKIM check both use it.
 */
const SELECTOR_NAME = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;
/** A selector is part of a name of at most 253 octets, below `._domainkey.<domain>`. */
export const MAX_SELECTOR_LENGTH = 200;

/** Whether `s` (already trimmed and lower-cased) is a selector name. Pure, linear. */
export function isDkimSelector(s: string): boolean {
  return s.length > 0 && s.length <= MAX_SELECTOR_LENGTH && SELECTOR_NAME.test(s);
}
