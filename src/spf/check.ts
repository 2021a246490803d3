import { finding, type Finding } from '../findings/catalog.js';
import type { LookupContext } from '../dns/context.js';
import type { CheckResult } from '../findings/catalog.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../findings/status.js';
import { CLOUD_ENDPOINTS, type Cloud } from '../m365/clouds.js';
import {
  checkM365Samples, effectiveAll, findM365Include, lookupM365Samples, lookupSpfTree, treeNodes,
  type M365Include, type M365Sample, type SpfFailedQuery, type SpfTreeNode,
} from './analyze.js';
import { MAX_DNS_LOOKUPS, MAX_VOID_LOOKUPS } from './budget.js';
import { describePath, type CheckHostResult } from './evaluate.js';
import { visible } from './macro.js';
import { isSenderIdRecord, isSpfRecord, parseSpfShared, type Qualifier } from './parse.js';
import { capFindings, capList, capText, capTexts, listText } from '../util/caps.js';

/**
 * The SPF part of a DomainReport: the record, the include tree and its lookup
 * counts, the Microsoft include, the "all" policy and check_host() for sample
 * Microsoft 365 addresses. Lists and strings are capped (MAX_LISTED,
 * MAX_TEXT_LENGTH); the checks saw all of them.
 */
export interface SpfSection {
  status: AreaStatus;
  /** The v=spf1 record at the domain, or null (cut at MAX_TEXT_LENGTH). */
  record: string | null;
  /** Every v=spf1 record found (more than one is a permerror): at most MAX_LISTED, each cut at MAX_TEXT_LENGTH. */
  records: string[];
  /** How many v=spf1 records there are (set by checkSpf; absent in runs saved before it). */
  recordsTotal?: number;
  /** DNS-querying terms in the whole include tree (RFC 7208 4.6.4 allows 10). */
  lookups: number;
  /** Void answers (NXDOMAIN or no records) in the tree (RFC 7208 4.6.4 allows 2). */
  voidLookups: number;
  /** False when some include was not followed (past the limit, macros, a failed lookup): the counts are then a lower bound. */
  complete: boolean;
  /** The include tree, or null when there is no single valid record: each node lists at most MAX_LISTED children (`childrenTotal`). */
  tree: SpfTreeNode | null;
  /** Where the cloud's Microsoft include sits, or null when it is not in the tree. */
  m365Include: M365Include | null;
  /** The qualifier of the "all" the policy ends in (following redirect), or null when there is none. */
  allQualifier: Qualifier | null;
  /** The domain whose record holds that "all". */
  allDomain: string | null;
  /** check_host() for sample Microsoft 365 outbound addresses of the cloud. */
  m365Samples: M365Sample[];
  /** Leftover Sender ID (spf2.0/) records: at most MAX_LISTED. */
  senderIdRecords: string[];
  /** How many Sender ID records there are (set by checkSpf; absent in runs saved before it). */
  senderIdRecordsTotal?: number;
}

const RFC_LIMIT = `RFC 7208 4.6.4`;

/**
 * SPF of a domain for Microsoft 365: the record, the include tree with its
 * lookup and void counts, the Microsoft include and the "all" policy, and
 * check_host() for sample Exchange Online outbound addresses.
 * `hints.cloud` is the cloud whose include is expected. Every lookup goes
 * through `ctx.dns`; never throws for DNS content, and a failed lookup makes
 * the area unknown (DNS_TEMPFAIL), never missing.
 */
export async function checkSpf(ctx: LookupContext, domain: string, hints: { cloud: Cloud }): Promise<CheckResult<SpfSection>> {
  const findings: Finding[] = [];
  const section: SpfSection = {
    status: 'pass', record: null, records: [], recordsTotal: 0, lookups: 0, voidLookups: 0, complete: true, tree: null,
    m365Include: null, allQualifier: null, allDomain: null, m365Samples: [], senderIdRecords: [], senderIdRecordsTotal: 0,
  };
  // Everything is evaluated in full; what the report keeps is capped here, once.
  let records: string[] = [];
  let senderId: string[] = [];
  const done = (): CheckResult<SpfSection> => {
    section.status = statusFrom(findings);
    section.record = section.record === null ? null : capText(section.record);
    section.records = capTexts(records);
    section.recordsTotal = records.length;
    section.senderIdRecords = capTexts(senderId);
    section.senderIdRecordsTotal = senderId.length;
    if (section.tree) section.tree = capTree(section.tree);
    if (section.m365Include) section.m365Include = { ...section.m365Include, term: capText(section.m365Include.term) };
    return { section, findings: capFindings(findings) };
  };
  const include = CLOUD_ENDPOINTS[hints.cloud].spfInclude;
  const canonical = `v=spf1 include:${include} -all`;

  const txt = await ctx.dns.resolve(domain, 'TXT');
  if (txt.kind === 'tempfail') {
    findings.push(tempfailFinding(domain, 'TXT', txt));
    return done();
  }
  const all = txt.kind === 'records' ? txt.records : [];
  records = all.filter(isSpfRecord);
  section.record = records[0] ?? null;
  senderId = all.filter(isSenderIdRecord);
  for (const r of senderId) {
    findings.push(finding('SPF_LEGACY_SENDERID', `${domain} still publishes a Sender ID record (RFC 4406, moved to Historic; receivers and Microsoft ignore it): "${visible(r, 80)}".`, {
      evidence: r, fix: `Delete the TXT record "${visible(r, 80)}" at ${domain}; the v=spf1 record is the one that counts.`,
    }));
  }
  if (records.length === 0) {
    findings.push(finding('SPF_MISSING', `${domain} publishes no SPF record (no TXT record starting "v=spf1", RFC 7208 4.5), so check_host() gives none for every sender.`, {
      evidence: all.length > 0 ? listText(all.map((r) => visible(r, 200)), ' | ') : `${domain} TXT: ${txt.kind.toUpperCase()}`,
      fix: `Publish TXT "${canonical}" at ${domain}.`,
    }));
    return done();
  }
  if (records.length > 1) {
    findings.push(finding('SPF_MULTIPLE', `${domain} publishes ${records.length} v=spf1 records; RFC 7208 4.5 makes that a permerror for every message.`, {
      evidence: listText(records, ' | '), fix: `Merge them into one v=spf1 record at ${domain} (keeping include:${include}), and delete the others.`,
    }));
    return done();
  }
  const record = section.record as string;
  const parsed = parseSpfShared(record);
  const syntax = parsed.errors[0];
  if (syntax) {
    const more = parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : '';
    findings.push(finding('SPF_SYNTAX', `The SPF record of ${domain} does not parse at position ${syntax.position}: ${syntax.message}${more}; receivers give permerror (RFC 7208 4.6).`, {
      evidence: record, fix: `Correct the term "${visible(syntax.term, 60)}" so that the record reads like "${canonical}".`,
    }));
    const tree = await lookupSpfTree(ctx, domain, record);
    section.tree = tree.tree;
    return done();
  }

  // The tree and the Microsoft record are independent: ask for both at once.
  const [tree, samples] = await Promise.all([lookupSpfTree(ctx, domain, record), lookupM365Samples(ctx, include)]);
  section.tree = tree.tree;
  section.lookups = tree.lookups;
  section.voidLookups = tree.voidLookups;
  section.complete = tree.complete;
  const reported = new Set<string>();
  const tempfail = (q: SpfFailedQuery): void => {
    const key = `${q.name.toLowerCase()} ${q.type}`;
    if (reported.has(key)) return;
    reported.add(key);
    findings.push(tempfailFinding(q.name, q.type, q.answer));
  };
  for (const q of tree.tempfails) tempfail(q);

  // Lookup limits.
  if (tree.lookups > MAX_DNS_LOOKUPS) {
    const atLeast = tree.complete ? '' : 'at least ';
    findings.push(finding('SPF_TOO_MANY_LOOKUPS', `The SPF tree of ${domain} needs ${atLeast}${tree.lookups} DNS-querying terms (include, a, mx, ptr, exists, redirect: ${perNode(tree.tree)}); ${RFC_LIMIT} allows ${MAX_DNS_LOOKUPS}, so receivers give permerror.`, {
      evidence: record,
      fix: `Bring it to ${MAX_DNS_LOOKUPS} or fewer: replace includes of senders you no longer use, or of fixed servers, with ip4:/ip6: ranges, and drop a, mx and ptr terms that no sender needs; keep include:${include}.`,
    }));
  }
  if (tree.voidLookups > MAX_VOID_LOOKUPS) {
    findings.push(finding('SPF_TOO_MANY_VOID_LOOKUPS', `${tree.voidLookups} lookups in the SPF tree of ${domain} return no answer (${tree.voidQueries.join(', ')}); ${RFC_LIMIT} allows ${MAX_VOID_LOOKUPS}, so receivers may give permerror.`, {
      evidence: record, fix: 'Remove the terms that name domains or hosts that no longer exist or have no records.',
    }));
  }

  // Broken includes and redirects.
  for (const node of treeNodes(tree.tree)) {
    if (node.via === 'root') continue;
    const problem = brokenWhy(node);
    if (!problem) continue;
    const parent = findParent(tree.tree, node);
    findings.push(finding('SPF_INCLUDE_BROKEN', `"${visible(node.term ?? node.domain, 80)}" in the record of ${parent?.domain ?? domain} ${problem}.`, {
      evidence: node.record ?? parent?.record ?? record,
      fix: node.status === 'loop'
        ? `Remove the include that points back to ${node.domain}.`
        : `Remove "${visible(node.term ?? node.domain, 80)}", or correct the name (the sender's setup guide gives the exact include).`,
    }));
  }

  // ptr anywhere in the tree.
  for (const [node, rec] of tree.parsed) {
    const ptr = rec.mechanisms.filter((m) => m.name === 'ptr');
    if (ptr.length === 0) continue;
    const own = node === tree.tree;
    findings.push(finding('SPF_PTR', `The record of ${node.domain}${own ? '' : ` (reached from ${domain})`} uses "${visible(ptr[0]?.text ?? 'ptr', 60)}"; RFC 7208 5.5 says ptr SHOULD NOT be used: it is slow, unreliable and many receivers skip it.`, {
      evidence: node.record ?? record,
      fix: own ? 'Replace ptr with ip4:/ip6: ranges or a:/mx terms for the servers that send.' : `Ask the operator of ${node.domain} to drop ptr, or list its servers with ip4:/ip6: instead of the include.`,
    }));
  }

  // The "all" policy, and includes that let everyone through.
  const policy = effectiveAll(tree.tree);
  section.allQualifier = policy.qualifier;
  section.allDomain = policy.domain;
  if (policy.known && policy.qualifier === '+') {
    findings.push(finding('SPF_ALL_PASS', `The SPF policy of ${domain} ends in "+all"${policy.domain && policy.domain !== tree.tree.domain ? ` (in ${policy.domain}, by redirect)` : ''}: every address on the Internet passes (RFC 7208 5.1).`, {
      evidence: record, fix: `End the record with "-all" (or "~all" while testing): "${canonical}".`,
    }));
  } else if (policy.known && (policy.qualifier === '?' || policy.qualifier === null)) {
    const what = policy.qualifier === '?' ? 'ends in "?all", which asserts nothing about other senders' : 'has no "all" and no redirect, so unlisted senders get the default neutral (RFC 7208 4.7)';
    findings.push(finding('SPF_ALL_NEUTRAL', `The SPF policy of ${domain} ${what}; spoofed mail is not failed.`, {
      evidence: record, fix: `End the record with "-all" (or "~all" while testing): "${canonical}".`,
    }));
  }
  for (const node of treeNodes(tree.tree)) {
    if (node.via !== 'include' || node.all !== '+' || !plusPath(tree.tree, node)) continue;
    findings.push(finding('SPF_ALL_PASS', `${node.domain}, included by the SPF tree of ${domain}, ends in "+all": every address passes that include, so anyone may send as ${domain} (RFC 7208 5.2).`, {
      evidence: node.record ?? record, fix: `Remove "${visible(node.term ?? node.domain, 80)}", or have ${node.domain} end in "-all".`,
    }));
  }

  // The Microsoft include, and check_host() for Microsoft 365's own outbound addresses.
  section.m365Include = findM365Include(tree.tree, include);
  const m = section.m365Include;
  let sampleRuns: { sample: M365Sample; run: CheckHostResult }[] = [];
  if (samples.kind === 'tempfail') tempfail(samples.query);
  else sampleRuns = await checkM365Samples(ctx, domain, samples.addresses);
  section.m365Samples = sampleRuns.map((r) => r.sample);
  for (const r of sampleRuns) if (r.run.result === 'temperror' && r.run.tempfail) tempfail(r.run.tempfail);
  const notPass = sampleRuns.filter((r) => r.run.result !== 'pass' && r.run.result !== 'temperror');
  const measured = describeSamples(notPass);

  if (!m) {
    const partial = tree.complete ? '' : ' in the part of the tree that could be followed';
    const result = measured ? `; check_host() for Exchange Online outbound ${measured}` : '';
    // One finding for one cause: a sample that fails for want of the include is said here, not again as SPF_M365_NOT_PASS.
    findings.push(finding('SPF_NO_M365_INCLUDE', `The SPF record of ${domain} does not include ${include}, directly or nested${partial}, so mail from Exchange Online is not authorized${result}.`, {
      evidence: record, fix: `Add include:${include} before the "all" term, e.g. "${canonical}".`,
    }));
  } else {
    if (m.qualifier !== '+') {
      const where = m.direct ? `The record of ${domain}` : `The record of ${m.path[m.path.length - 1] ?? domain} (nested: ${m.path.join(' > ')})`;
      const meaning = m.qualifier === '-' ? 'fail' : m.qualifier === '~' ? 'softfail' : 'neutral';
      findings.push(finding('SPF_M365_INCLUDE_QUALIFIED', `${where} has "${visible(m.term, 80)}": the "${m.qualifier}" qualifier makes mail from Exchange Online ${meaning} instead of pass (RFC 7208 4.6.2, 5.2).`, {
        evidence: record, fix: `Write it as include:${include}, without a qualifier.`,
      }));
    }
    if (notPass.length > 0) {
      findings.push(finding('SPF_M365_NOT_PASS', `check_host() for Exchange Online outbound mail does not give pass for ${domain}: ${measured} (RFC 7208 4).`, {
        evidence: record, fix: `Make sure include:${include} (without qualifier) is reached before any term that fails these addresses, and that the tree stays within ${MAX_DNS_LOOKUPS} lookups and ${MAX_VOID_LOOKUPS} void lookups.`,
      }));
    }
  }
  return done();
}

/** "40.92.0.0 and 2a01:111:f400:: (first addresses of …) give softfail: …", samples with the same outcome said once. */
function describeSamples(runs: readonly { sample: M365Sample; run: CheckHostResult }[]): string {
  const groups = new Map<string, { sample: M365Sample; run: CheckHostResult }[]>();
  for (const r of runs) {
    const key = `${r.run.result}\n${r.run.reason}\n${describePath(r.run.path)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const first = g[0] as { sample: M365Sample; run: CheckHostResult };
    const ips = g.map((r) => r.sample.ip).join(' and ');
    const sources = g.map((r) => visible(r.sample.source, 80)).join(' and ');
    const path = first.run.path.length > 1 ? ` [${describePath(first.run.path)}]` : '';
    return `address${g.length > 1 ? 'es' : ''} ${ips} (first address${g.length > 1 ? 'es' : ''} of ${sources}) ${g.length > 1 ? 'give' : 'gives'} ${first.run.result}: ${first.run.reason}${path}`;
  }).join('; ');
}

function brokenWhy(node: SpfTreeNode): string | null {
  const rfc = node.via === 'include' ? 'RFC 7208 5.2' : 'RFC 7208 6.1';
  switch (node.status) {
    case 'none':
      return `points at ${node.domain}, which publishes no SPF record (${node.detail ?? 'none'}); that is a permerror whenever it is evaluated (${rfc})`;
    case 'nxdomain':
      return `points at ${node.domain}, which does not exist; that is a permerror whenever it is evaluated (${rfc})`;
    case 'multiple':
      return `points at ${node.domain}, which publishes ${node.detail ?? 'several v=spf1 records'}; that is a permerror (RFC 7208 4.5)`;
    case 'syntax':
      return `points at a record that does not parse (${node.detail ?? 'syntax error'}); that is a permerror (RFC 7208 4.6)`;
    case 'loop':
      return `${node.detail ?? 'loops'}: every evaluation that reaches it runs into the limit of ${MAX_DNS_LOOKUPS} lookups and gives permerror (${RFC_LIMIT})`;
    case 'invalid':
      return `names "${visible(node.domain, 80)}", which is not a usable domain name; that is a permerror (${rfc})`;
    default:
      return null;
  }
}

function findParent(root: SpfTreeNode, child: SpfTreeNode): SpfTreeNode | null {
  for (const n of treeNodes(root)) if (n.children.includes(child)) return n;
  return null;
}

/** True when every include from the root down to the node is "+" (a pass there is a pass for the domain). */
function plusPath(root: SpfTreeNode, node: SpfTreeNode): boolean {
  const path: SpfTreeNode[] = [];
  const find = (n: SpfTreeNode): boolean => {
    if (n === node) return true;
    for (const c of n.children) {
      path.push(c);
      if (find(c)) return true;
      path.pop();
    }
    return false;
  };
  if (!find(root)) return false;
  return path.every((n) => n.via === 'redirect' || n.qualifier === '+');
}

/**
 * The tree as a report keeps it: records, terms and details cut at
 * MAX_TEXT_LENGTH, at most MAX_LISTED children a node (one record can name
 * thousands of includes past the lookup limit), `childrenTotal` beside them.
 */
function capTree(node: SpfTreeNode): SpfTreeNode {
  return {
    ...node,
    // An invalid include keeps its spec as written as its domain.
    domain: capText(node.domain),
    term: node.term === null ? null : capText(node.term),
    record: node.record === null ? null : capText(node.record),
    detail: node.detail === null ? null : capText(node.detail),
    children: capList(node.children).map(capTree),
    childrenTotal: node.children.length,
  };
}

/** "contoso.com 2, _spf.example 3 …": each record's own lookups, for evidence. */
function perNode(root: SpfTreeNode): string {
  return treeNodes(root).filter((n) => n.status === 'ok').map((n) => `${n.domain} ${n.lookups}`).join(', ');
}
