import type { Finding } from '../findings/catalog.js';
import type { LookupContext } from '../dns/context.js';
import type { DnsAnswer, DnsClient, RecordTypes, RRType } from '../dns/types.js';
import { canonicalName } from '../domain/normalize.js';
import type { Cloud } from '../m365/clouds.js';
import { lookupSpfTree, treeNodes, type SpfNodeStatus, type SpfTreeNode } from './analyze.js';
import { MAX_DNS_LOOKUPS } from './budget.js';
import { checkSpf } from './check.js';
import { hasMacros, visible } from './macro.js';
import { parseSpfShared } from './parse.js';

/**
 * DNS-querying terms (RFC 7208 4.6.4) in the include tree of a record that
 * is not published yet, as if `domain` published it. Null when the record
 * does not parse or a lookup failed, so that no count is guessed. Past the
 * limit the walk stops, so a count over 10 may be a lower bound.
 */
export async function countSpfLookups(ctx: LookupContext, domain: string, record: string): Promise<number | null> {
  if (parseSpfShared(record).errors.length > 0) return null;
  const tree = await lookupSpfTree(ctx, domain, record);
  return tree.tempfails.some((q) => q.type === 'TXT') ? null : tree.lookups;
}

/** What the SPF check says of a record before it is published. */
export interface SpfProposalReview {
  /** DNS-querying terms in its tree (RFC 7208 4.6.4), or null when a lookup failed. */
  lookups: number | null;
  /** The error findings the check gives it (DNS_TEMPFAIL apart): each is a reason not to publish it as it is. */
  errors: Finding[];
  /** A lookup failed, so the review is incomplete. */
  tempfail: boolean;
  /**
   * Terms of the record itself (as written) that can only ever give
   * permerror, or that let every address pass, each with the reason:
   * leaving them out loses no sender that passes today.
   */
  unsafeTerms: { term: string; reason: string }[];
}

/** Include/redirect targets that are a permerror whenever they are evaluated (RFC 7208 4.5, 4.6, 5.2, 6.1). */
const BROKEN: Partial<Record<SpfNodeStatus, string>> = {
  none: 'publishes no SPF record',
  nxdomain: 'does not exist',
  multiple: 'publishes more than one SPF record',
  syntax: 'publishes a record that does not parse',
  loop: 'leads back to a record on the way to it',
  invalid: 'is not a usable domain name',
};

/** Root terms asked whether their name exists, when the record is over the void limit: bounded like the walk's own probes. */
const MAX_EXISTENCE_PROBES = MAX_DNS_LOOKUPS + 1;

/**
 * Runs the SPF check on a record as if `domain` published it as its only
 * v=spf1 record: the domain's TXT answer is replaced, every other lookup
 * (includes, redirects, Microsoft's own record) goes to DNS as usual.
 */
export async function reviewSpfProposal(ctx: LookupContext, domain: string, record: string, cloud: Cloud): Promise<SpfProposalReview> {
  const apex = canonicalName(domain);
  const proposed: DnsAnswer<string> = { kind: 'records', records: [record] };
  const dns: DnsClient = {
    resolve: <T extends RRType>(name: string, type: T): Promise<DnsAnswer<RecordTypes[T]>> =>
      type === 'TXT' && canonicalName(name) === apex ? Promise.resolve(proposed as DnsAnswer<RecordTypes[T]>) : ctx.dns.resolve(name, type),
    stats: () => ctx.dns.stats(),
  };
  const { section, findings } = await checkSpf({ ...ctx, dns }, apex, { cloud });
  const tempfail = findings.some((f) => f.code === 'DNS_TEMPFAIL');
  const errors = findings.filter((f) => f.severity === 'error' && f.code !== 'DNS_TEMPFAIL');
  const unsafeTerms: SpfProposalReview['unsafeTerms'] = [];
  const root = section.tree;
  if (root && root.status === 'ok') {
    for (const child of root.children) {
      if (child.term === null) continue;
      const broken = BROKEN[child.status];
      if (broken) unsafeTerms.push({ term: child.term, reason: `${visible(child.domain, 80)} ${broken}, so the term can only ever give permerror (RFC 7208 ${child.via === 'include' ? '5.2' : '6.1'})` });
      else if (treeNodes(child).some((n) => n.status === 'loop' && n.domain === root.domain)) {
        unsafeTerms.push({ term: child.term, reason: `${visible(child.domain, 80)} leads back to ${visible(root.domain, 80)}, a loop that ends in permerror (RFC 7208 4.6.4)` });
      } else if ((child.via === 'redirect' || child.qualifier === '+') && letsEveryonePass(child)) {
        unsafeTerms.push({ term: child.term, reason: `${visible(child.domain, 80)} ends in "+all", so through it every address on the Internet passes` });
      }
    }
    if (errors.some((f) => f.code === 'SPF_TOO_MANY_VOID_LOOKUPS')) unsafeTerms.push(...await nonexistentTerms(dns, record));
  }
  return { lookups: tempfail ? null : section.lookups, errors, tempfail, unsafeTerms };
}

/** True when a record (or what it includes with "+", or redirects to) ends in "+all". */
function letsEveryonePass(node: SpfTreeNode): boolean {
  if (node.status !== 'ok') return false;
  if (node.all === '+') return true;
  return node.children.some((c) => (c.via === 'include' ? c.qualifier === '+' : node.all === null) && letsEveryonePass(c));
}

/** a, mx and exists terms naming a domain that does not exist: void for every type, they can never match. */
async function nonexistentTerms(dns: DnsClient, record: string): Promise<{ term: string; reason: string }[]> {
  const terms = parseSpfShared(record).mechanisms
    .filter((m) => (m.name === 'a' || m.name === 'mx' || m.name === 'exists') && m.domainSpec !== null && !hasMacros(m.domainTokens ?? []))
    .slice(0, MAX_EXISTENCE_PROBES);
  const answers = await Promise.all(terms.map((m) => dns.resolve(canonicalName(m.domainSpec as string), 'A')));
  return terms.flatMap((m, i) => answers[i]?.kind === 'nxdomain'
    ? [{ term: m.text, reason: `${visible(m.domainSpec as string, 80)} does not exist, so the term never matches and only adds a void lookup (RFC 7208 4.6.4 allows 2)` }]
    : []);
}
