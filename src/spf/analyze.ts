/**
 * Static analysis of an SPF record: the include tree (each record's own
 * DNS-querying terms and its children), total and void lookups, where the
 * Microsoft 365 include sits, the "all" policy, and check_host() for sample
 * Microsoft 365 outbound addresses read from the live include record.
 *
 * The tree is fetched level by level, each level's lookups in parallel, and
 * the walk stops following includes once the count is past the RFC 7208
 * limit: receivers stop there too, and a record with 100 includes costs
 * one TXT lookup, not 100.
 */
import type { LookupContext } from '../dns/context.js';
import type { DnsAnswer, DnsClient, RRType } from '../dns/types.js';
import { MAX_DNS_LOOKUPS, MAX_VOID_LOOKUPS } from './budget.js';
import { checkHost, type CheckHostResult, type SpfResult } from './evaluate.js';
import { firstAddress } from './ip.js';
import { hasMacros } from './macro.js';
import { allMechanism, effectiveRedirect, isLookupTerm, isSpfRecord, parseSpfShared, type Qualifier, type SpfMechanism, type SpfModifier, type SpfRecord } from './parse.js';
import { canonicalName } from '../domain/normalize.js';

/** What was found at one name of an SPF include tree. */
export type SpfNodeStatus =
  /** A valid v=spf1 record. */
  | 'ok'
  /** The name has no v=spf1 record (no TXT, or none starting v=spf1). */
  | 'none'
  /** The name does not exist. */
  | 'nxdomain'
  /** More than one v=spf1 record. */
  | 'multiple'
  /** The record does not parse. */
  | 'syntax'
  /** The TXT lookup failed (timeout, SERVFAIL, REFUSED). */
  | 'tempfail'
  /** The name is already on the path from the root: an include/redirect loop. */
  | 'loop'
  /** The target is not a usable domain name (empty or long label). */
  | 'invalid'
  /** The target holds macros: it depends on the message, so it is not followed. */
  | 'macro'
  /** Not fetched: the tree is already past the lookup limit. */
  | 'not-followed';

/**
 * One record of an SPF include tree: the name, how it was reached (root,
 * include or redirect), its record or why there is none, its own and total
 * DNS-querying terms, and its children.
 */
export interface SpfTreeNode {
  /** The name whose TXT record this node is. */
  domain: string;
  via: 'root' | 'include' | 'redirect';
  /** The term in the parent that leads here, as written; null for the root. */
  term: string | null;
  /** The include's qualifier; null for the root and redirects. */
  qualifier: Qualifier | null;
  /** The v=spf1 record, or null. */
  record: string | null;
  status: SpfNodeStatus;
  /** Why the status is not ok, in a few words. */
  detail: string | null;
  /** DNS-querying terms of this record itself (include, a, mx, ptr, exists, redirect). */
  lookups: number;
  /** This record's lookups plus those of everything below it. */
  totalLookups: number;
  /** Lookups of this record's own terms that came back void (NXDOMAIN or no records). */
  voidLookups: number;
  /** The qualifier of this record's "all" mechanism, or null when it has none. */
  all: Qualifier | null;
  children: SpfTreeNode[];
  /** In a report section: how many children there are (`children` keeps at most MAX_LISTED); absent in the full tree. */
  childrenTotal?: number;
}

/** A query of the tree walk that failed (TEMPFAIL): reported as DNS_TEMPFAIL, never as a missing record. */
export interface SpfFailedQuery {
  name: string;
  type: RRType;
  answer: DnsAnswer<never> & { kind: 'tempfail' };
}

/**
 * The include tree of a record as lookupSpfTree fetched it, with the RFC 7208
 * 4.6.4 counts over the whole tree and the lookups that failed.
 */
export interface SpfTree {
  tree: SpfTreeNode;
  /** DNS-querying terms in the whole tree (RFC 7208 4.6.4 allows 10). */
  lookups: number;
  /** Void answers in the tree (RFC 7208 4.6.4 allows 2). */
  voidLookups: number;
  /** "name TYPE" of each void answer. */
  voidQueries: string[];
  /** False when some include/redirect was not followed (over the limit, macros, a failed lookup). */
  complete: boolean;
  tempfails: SpfFailedQuery[];
  /** Each record's parse, by node (for checks that need terms). */
  parsed: Map<SpfTreeNode, SpfRecord>;
}

interface Walk {
  node: SpfTreeNode;
  record: SpfRecord;
  /** Names from the root down to this node, lower case. */
  path: string[];
}

/** Void-probe lookups (A of a/exists, MX of mx) per tree: receivers evaluate at most 10 terms plus the one that breaks. */
const MAX_VOID_PROBES = MAX_DNS_LOOKUPS + 1;


function emptyNode(domain: string, via: SpfTreeNode['via'], term: SpfMechanism | SpfModifier | null): SpfTreeNode {
  return {
    domain, via, term: term?.text ?? null,
    qualifier: term && term.type === 'mechanism' ? term.qualifier : null,
    record: null, status: 'ok', detail: null, lookups: 0, totalLookups: 0, voidLookups: 0, all: null, children: [],
  };
}

function ownLookups(record: SpfRecord): number {
  const redirect = effectiveRedirect(record);
  return record.terms.filter((t) => (t.type === 'modifier' ? t === redirect : isLookupTerm(t))).length;
}

/** A target written without macros, as a name; null when it cannot be one. */
function literalTarget(spec: string): string | null {
  const name = canonicalName(spec);
  if (name === '' || name.length > 253) return null;
  return name.split('.').every((l) => l.length > 0 && l.length <= 63) ? name : null;
}

/**
 * Walks the include tree of `domain`, whose v=spf1 record is `record`,
 * through `ctx.dns`, and stops following includes past the RFC 7208 4.6.4
 * limit. Never throws; failed lookups are listed, never taken as missing
 * records.
 */
export async function lookupSpfTree(ctx: LookupContext, domain: string, record: string): Promise<SpfTree> {
  const { dns } = ctx;
  const root = emptyNode(canonicalName(domain), 'root', null);
  root.record = record;
  const parsed = new Map<SpfTreeNode, SpfRecord>();
  const out: SpfTree = { tree: root, lookups: 0, voidLookups: 0, voidQueries: [], complete: true, tempfails: [], parsed };
  const rootRecord = parseSpfShared(record);
  if (rootRecord.errors.length > 0) {
    const e = rootRecord.errors[0];
    root.status = 'syntax';
    root.detail = e ? `position ${e.position}: ${e.message}` : 'syntax error';
    return out;
  }
  accept(root, rootRecord, parsed);
  let total = root.lookups;
  let probes = 0;
  let level: Walk[] = [{ node: root, record: rootRecord, path: [root.domain] }];

  while (level.length > 0) {
    const tasks: Promise<void>[] = [];
    const fetched: Walk[] = [];
    for (const w of level) {
      // Void lookups of the record's own a, mx and exists terms (A for a: the IPv4 view).
      for (const m of w.record.mechanisms) {
        if (m.name !== 'a' && m.name !== 'mx' && m.name !== 'exists') continue;
        if (m.domainTokens && hasMacros(m.domainTokens)) continue;
        const name = m.domainSpec === null ? w.node.domain : literalTarget(m.domainSpec);
        if (name === null || probes >= MAX_VOID_PROBES || out.voidLookups > MAX_VOID_LOOKUPS) continue;
        probes++;
        const type: RRType = m.name === 'mx' ? 'MX' : 'A';
        tasks.push(
          dns.resolve(name, type).then((a) => {
            if (a.kind === 'nxdomain' || a.kind === 'nodata') {
              w.node.voidLookups++;
              out.voidLookups++;
              out.voidQueries.push(`${name} ${type}`);
            } else if (a.kind === 'tempfail') out.tempfails.push({ name, type, answer: a });
          }),
        );
      }
      // Children: includes in order, then the redirect when it applies.
      const redirect = effectiveRedirect(w.record);
      const links: (SpfMechanism | SpfModifier)[] = [...w.record.mechanisms.filter((m) => m.name === 'include'), ...(redirect ? [redirect] : [])];
      for (const link of links) {
        const via = link.type === 'mechanism' ? 'include' : 'redirect';
        const spec = link.type === 'mechanism' ? (link.domainSpec ?? '') : link.value;
        const tokens = link.type === 'mechanism' ? (link.domainTokens ?? []) : link.tokens;
        const target = hasMacros(tokens) ? null : literalTarget(spec);
        const child = emptyNode(target ?? spec, via, link);
        w.node.children.push(child);
        if (hasMacros(tokens)) {
          child.status = 'macro';
          child.detail = 'the name depends on the message (macros), so it is not followed';
          out.complete = false;
        } else if (target === null) {
          child.status = 'invalid';
          child.detail = 'not a usable domain name';
        } else if (w.path.includes(target)) {
          child.status = 'loop';
          child.detail = `loops back to ${target}`;
        } else if (total > MAX_DNS_LOOKUPS) {
          child.status = 'not-followed';
          child.detail = `not followed: the tree is already over ${MAX_DNS_LOOKUPS} lookups`;
          out.complete = false;
        } else {
          tasks.push(
            fetchChild(dns, child, w.node, out).then((rec) => {
              if (rec) fetched.push({ node: child, record: rec, path: [...w.path, target] });
            }),
          );
        }
      }
    }
    await Promise.all(tasks);
    // Keep the tree's order stable whatever order the answers came in.
    const order = new Map(level.flatMap((w) => w.node.children).map((c, i) => [c, i]));
    fetched.sort((a, b) => (order.get(a.node) ?? 0) - (order.get(b.node) ?? 0));
    for (const f of fetched) {
      accept(f.node, f.record, parsed);
      total += f.node.lookups;
    }
    level = fetched;
  }
  out.lookups = sumTotals(root);
  return out;
}

function accept(node: SpfTreeNode, record: SpfRecord, parsed: Map<SpfTreeNode, SpfRecord>): void {
  parsed.set(node, record);
  node.lookups = ownLookups(record);
  node.all = allMechanism(record)?.qualifier ?? null;
}

/** Reads an include/redirect target's record; the parse when it is valid. */
async function fetchChild(dns: DnsClient, child: SpfTreeNode, parent: SpfTreeNode, out: SpfTree): Promise<SpfRecord | null> {
  const a = await dns.resolve(child.domain, 'TXT');
  if (a.kind === 'tempfail') {
    child.status = 'tempfail';
    child.detail = `the TXT lookup failed (${a.code})`;
    out.tempfails.push({ name: child.domain, type: 'TXT', answer: a });
    out.complete = false;
    return null;
  }
  if (a.kind !== 'records') {
    child.status = a.kind === 'nxdomain' ? 'nxdomain' : 'none';
    child.detail = a.kind === 'nxdomain' ? 'the name does not exist' : 'no TXT record';
    parent.voidLookups++;
    out.voidLookups++;
    out.voidQueries.push(`${child.domain} TXT`);
    return null;
  }
  const spf = a.records.filter(isSpfRecord);
  if (spf.length === 0) {
    child.status = 'none';
    child.detail = `no v=spf1 record among ${a.records.length} TXT record${a.records.length === 1 ? '' : 's'}`;
    return null;
  }
  child.record = spf[0] as string;
  if (spf.length > 1) {
    child.status = 'multiple';
    child.detail = `${spf.length} v=spf1 records`;
    return null;
  }
  const record = parseSpfShared(child.record);
  const e = record.errors[0];
  if (e) {
    child.status = 'syntax';
    child.detail = `position ${e.position}: ${e.message}`;
    return null;
  }
  return record;
}

function sumTotals(node: SpfTreeNode): number {
  node.totalLookups = node.lookups + node.children.reduce((n, c) => n + sumTotals(c), 0);
  return node.totalLookups;
}

/** Every node, parents before children, in record order (depth first). */
export function treeNodes(root: SpfTreeNode): SpfTreeNode[] {
  const out: SpfTreeNode[] = [];
  const visit = (n: SpfTreeNode): void => {
    out.push(n);
    for (const c of n.children) visit(c);
  };
  visit(root);
  return out;
}

/** Where the cloud's Microsoft SPF include (`spf.protection.outlook.com` …) sits in a domain's tree. */
export interface M365Include {
  /** The include host as written in the tree (lower case). */
  host: string;
  via: 'include' | 'redirect';
  /** The include term's qualifier ('+' for a redirect). */
  qualifier: Qualifier;
  /** 1 when the domain's own record names it. */
  depth: number;
  direct: boolean;
  /** The names from the domain down to the record that names the include. */
  path: string[];
  term: string;
}

/** The shallowest place the Microsoft include sits in the tree, or null. */
export function findM365Include(root: SpfTreeNode, host: string): M365Include | null {
  const want = canonicalName(host);
  let level: { node: SpfTreeNode; path: string[] }[] = [{ node: root, path: [] }];
  for (let depth = 1; level.length > 0; depth++) {
    const next: typeof level = [];
    for (const { node, path } of level) {
      const here = [...path, node.domain];
      for (const c of node.children) {
        if (canonicalName(c.domain) === want && c.via !== 'root') {
          return { host: want, via: c.via as 'include' | 'redirect', qualifier: c.qualifier ?? '+', depth, direct: depth === 1, path: here, term: c.term ?? '' };
        }
        next.push({ node: c, path: here });
      }
    }
    level = next;
  }
  return null;
}

/** The policy of the "all" the domain ends in: its own, else that of the redirect chain. */
export function effectiveAll(root: SpfTreeNode): { qualifier: Qualifier | null; domain: string | null; known: boolean } {
  let node: SpfTreeNode | undefined = root;
  for (let hops = 0; node && hops <= MAX_DNS_LOOKUPS + 1; hops++) {
    if (node.status !== 'ok') return { qualifier: null, domain: null, known: false };
    if (node.all) return { qualifier: node.all, domain: node.domain, known: true };
    node = node.children.find((c) => c.via === 'redirect');
  }
  return { qualifier: null, domain: null, known: true };
}

/** check_host() for one sample Microsoft 365 outbound address, read from the live Microsoft include record. */
export interface M365Sample {
  ip: string;
  /** Where the address comes from: the range in the live Microsoft record. */
  source: string;
  result: SpfResult;
  reason: string;
  explanation: string | null;
}

export type SampleAddresses =
  | { kind: 'ok'; addresses: { ip: string; source: string }[] }
  | { kind: 'tempfail'; query: SpfFailedQuery };

/**
 * Sample outbound addresses of a Microsoft 365 cloud: the first address of
 * the first ip4 and the first ip6 range of its live SPF record (following
 * its own includes a few levels, as older versions nested them). Never
 * hard-coded: the record is read through DNS.
 */
export async function lookupM365Samples(ctx: LookupContext, host: string): Promise<SampleAddresses> {
  const { dns } = ctx;
  const found: { v4?: { ip: string; source: string }; v6?: { ip: string; source: string } } = {};
  const visit = async (name: string, depth: number): Promise<SpfFailedQuery | null> => {
    const a = await dns.resolve(name, 'TXT');
    if (a.kind === 'tempfail') return { name, type: 'TXT', answer: a };
    if (a.kind !== 'records') return null;
    const spf = a.records.filter(isSpfRecord);
    if (spf.length !== 1) return null;
    const rec = parseSpfShared(spf[0] as string);
    if (rec.errors.length > 0) return null;
    for (const m of rec.mechanisms) {
      if ((m.name === 'ip4' && !found.v4) || (m.name === 'ip6' && !found.v6)) {
        const fam = m.name === 'ip4' ? 4 : 6;
        const ip = firstAddress(fam, m.network ?? '', fam === 4 ? m.cidr4 : m.cidr6);
        if (ip) found[fam === 4 ? 'v4' : 'v6'] = { ip, source: `${m.text} in ${name}` };
      }
    }
    if ((found.v4 && found.v6) || depth >= 3) return null;
    for (const m of rec.mechanisms) {
      if (m.name !== 'include' || !m.domainSpec || (m.domainTokens && hasMacros(m.domainTokens))) continue;
      const t = literalTarget(m.domainSpec);
      if (!t) continue;
      const failed = await visit(t, depth + 1);
      if (failed) return failed;
      if (found.v4 && found.v6) break;
    }
    return null;
  };
  const failed = await visit(canonicalName(host), 1);
  if (failed) return { kind: 'tempfail', query: failed };
  return { kind: 'ok', addresses: [found.v4, found.v6].filter((x): x is { ip: string; source: string } => x !== undefined) };
}

/** check_host() for each sample address, as mail from Exchange Online for the domain would be checked. */
export async function checkM365Samples(ctx: LookupContext, domain: string, addresses: readonly { ip: string; source: string }[]): Promise<{ sample: M365Sample; run: CheckHostResult }[]> {
  return Promise.all(
    addresses.map(async (a) => {
      const run = await checkHost(ctx, { ip: a.ip, domain, sender: `postmaster@${domain}`, helo: domain });
      return { sample: { ip: a.ip, source: a.source, result: run.result, reason: run.reason, explanation: run.explanation }, run };
    }),
  );
}

