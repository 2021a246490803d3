/**
 * What the `spf` command shows for one domain: the analysis (include tree,
 * lookup counts, findings) and, given a client address, the check_host()
 * result for it. Both share one DnsClient, so every name is asked once.
 */
import type { Finding } from '../findings/catalog.js';
import type { LookupContext } from '../dns/context.js';
import { statusFrom, tempfailFinding } from '../findings/status.js';
import { detectCloud, type Cloud } from '../m365/clouds.js';
import type { M365Include, M365Sample, SpfTreeNode } from './analyze.js';
import { checkSpf } from './check.js';
import { checkHost, type SpfResult, type SpfStep } from './evaluate.js';
import { spfIncludeHosts, type Qualifier } from './parse.js';

/** What `m365audit spf` is asked: the domain, and for check_host() the client address, sender and HELO name. */
export interface SpfRequest {
  domain: string;
  /** The client address; without it, analysis only. */
  ip?: string | undefined;
  /** MAIL FROM (default postmaster@domain); empty is the null sender. */
  sender?: string | undefined;
  /** HELO/EHLO name (default: the domain). */
  helo?: string | undefined;
  /** The cloud whose include is expected; detected from the record when not given. */
  cloud?: Cloud | undefined;
}

/** The `spf` command's result. JSON field names are a contract (DESIGN: result, explanation, lookups, voidLookups, tree). */
export interface SpfReport {
  domain: string;
  cloud: Cloud;
  /** The evaluated inputs, or null without --ip. */
  ip: string | null;
  sender: string | null;
  helo: string | null;
  /** check_host() for --ip, or null without it. */
  result: SpfResult | null;
  /** The exp= explanation of a fail, or null. */
  explanation: string | null;
  /** What decided the result. */
  reason: string | null;
  /** The terms that led to the result, outermost first. */
  path: SpfStep[];
  /** DNS-querying terms in the whole include tree. */
  lookups: number;
  voidLookups: number;
  /** False when some include was not followed: the counts are a lower bound. */
  complete: boolean;
  /** What this check_host() spent: terms and void lookups. */
  evaluation: { lookups: number; voidLookups: number } | null;
  record: string | null;
  records: string[];
  tree: SpfTreeNode | null;
  m365Include: M365Include | null;
  allQualifier: Qualifier | null;
  m365Samples: M365Sample[];
  status: string;
  findings: Finding[];
}

/** Analysis of `domain`'s SPF, plus check_host() when an address is given. Never throws for DNS content. */
export async function auditSpf(ctx: LookupContext, req: SpfRequest): Promise<SpfReport> {
  const cloud = req.cloud ?? (await detectCloudFromSpf(ctx, req.domain));
  const sender = req.sender ?? `postmaster@${req.domain}`;
  const helo = req.helo ?? req.domain;
  const [analysis, run] = await Promise.all([
    checkSpf(ctx, req.domain, { cloud }),
    req.ip === undefined ? Promise.resolve(null) : checkHost(ctx, { ip: req.ip, domain: req.domain, sender, helo }),
  ]);
  const s = analysis.section;
  const findings = [...analysis.findings];
  if (run?.result === 'temperror' && run.tempfail) {
    const t = run.tempfail;
    const evidence = `${t.name} ${t.type}: ${t.answer.code}`;
    if (!findings.some((f) => f.code === 'DNS_TEMPFAIL' && f.evidence === evidence)) findings.push(tempfailFinding(t.name, t.type, t.answer));
  }
  return {
    domain: req.domain,
    cloud,
    ip: req.ip ?? null,
    sender: run ? sender : null,
    helo: run ? helo : null,
    result: run?.result ?? null,
    explanation: run?.explanation ?? null,
    reason: run?.reason ?? null,
    path: run?.path ?? [],
    lookups: s.lookups,
    voidLookups: s.voidLookups,
    complete: s.complete,
    evaluation: run ? { lookups: run.lookups, voidLookups: run.voidLookups } : null,
    record: s.record,
    records: s.records,
    tree: s.tree,
    m365Include: s.m365Include,
    allQualifier: s.allQualifier,
    m365Samples: s.m365Samples,
    status: statusFrom(findings),
    findings,
  };
}

/** The cloud of the Microsoft include the domain's own record names; worldwide otherwise. */
async function detectCloudFromSpf(ctx: LookupContext, domain: string): Promise<Cloud> {
  const txt = await ctx.dns.resolve(domain, 'TXT');
  return detectCloud({ spfIncludes: spfIncludeHosts(txt.kind === 'records' ? txt.records : []) });
}
