import { checkDkim, type DkimSection } from '../dkim/check.js';
import { checkDmarc, type DmarcSection } from '../dmarc/check.js';
import type { OverlayUse } from '../dns/overlay.js';
import type { DnsAnswer, DnsClient } from '../dns/types.js';
import { canonicalName, MAX_NAME_LENGTH, normalizeDomain, type NormalizedDomain } from '../domain/normalize.js';
import { checkAutodiscover, lookupAutodiscoverTarget, type AutodiscoverSection } from '../m365/autodiscover.js';
import { detectCloud, type Cloud } from '../m365/clouds.js';
import { checkMx, type MxSection } from '../m365/mx.js';
import { checkVerification, type VerificationSection } from '../m365/verification.js';
import type { ProbeResult } from '../smtp/types.js';
import { checkSpf, type SpfSection } from '../spf/check.js';
import { spfIncludeHosts } from '../spf/parse.js';
import { finding, type Finding } from '../findings/catalog.js';
import type { AuditContext } from './context.js';
import { checkMtaSts, type MtaStsSection } from '../transport/mta-sts.js';
import { checkTlsRpt, type TlsRptSection } from '../transport/tls-rpt.js';
import { checkDnssec, type DnssecSection } from '../transport/dnssec.js';
import { checkDane, type DaneMxInput, type DaneSection } from '../transport/dane.js';
import { echoInput } from './echo.js';
import { gradeOf, scoreOf, type Grade } from '../findings/grade.js';
import { mergeTempfails, tempfailFinding } from '../findings/status.js';

/** The audit of one domain. JSON field names are part of the contract (DESIGN.md). */
export interface DomainReport {
  /** The ASCII form audited, or null when the input is not a domain name. */
  domain: string | null;
  /** The input as given, cut to 256 characters (the last one `…`) when longer. */
  input: string;
  /** The length of the input in characters, when `input` was cut. */
  inputLength?: number;
  /** 0-100, or null when the grade is `unknown` (a lookup failed, so there is nothing to score). */
  score: number | null;
  grade: Grade;
  cloud: Cloud;
  /** The initial-domain prefix (e.g. contoso for contoso.onmicrosoft.com), or null. */
  tenant: string | null;
  findings: Finding[];
  mx: MxSection | null;
  spf: SpfSection | null;
  dkim: DkimSection | null;
  dmarc: DmarcSection | null;
  autodiscover: AutodiscoverSection | null;
  verification: VerificationSection | null;
  /** MTA-STS (RFC 8461): the `_mta-sts` TXT, the policy and its MX patterns; null when the domain was not audited. */
  mtaSts: MtaStsSection | null;
  /** TLS-RPT (RFC 8460): the `_smtp._tls` TXT and its report URIs; null when the domain was not audited. */
  tlsRpt: TlsRptSection | null;
  /** DNSSEC status of the domain's MX answer (validated, signed, unsigned, bogus, unknown); null when not audited. */
  dnssec: DnssecSection | null;
  /** SMTP DANE (RFC 7672): the TLSA records of each MX host, matched against the MX probe's chain with --probe-mx; null when not audited. */
  dane: DaneSection | null;
  /** Plain notes that are not findings. */
  notes: string[];
  timing: { ms: number; queries: number };
  /** When this domain's audit began (UTC ISO 8601, from the context's clock); null only in a run saved before the audit trail, read back by `report`. */
  auditedAt: string | null;
  /** A batch row's 0-based index among the input's rows (BatchRow#index); absent from `check`. */
  row?: number;
  /** Extra columns of a batch CSV row, carried through. */
  meta?: Record<string, string>;
  /** The probe of this domain's MX host on port 25 (--probe-mx); never part of the score. */
  mxProbe?: ProbeResult;
  /** With --zone: which answers of this audit came from the zone files rather than live DNS. */
  overlay?: OverlayUse;
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/**
 * Audits one domain: MX, SPF, DKIM, DMARC, autodiscover, verification.
 * `input` is what the user gave (a name, a URL, an e-mail address: see
 * normalizeDomain); anything that is not a domain name gives a report with
 * one DOMAIN_INVALID finding and asks no DNS. `ctx.cloud`, `ctx.tenant` and
 * `ctx.selectors` are the run's options; `source.inputLength` is the whole
 * input's length when a batch cut it. Every lookup goes through `ctx.dns`;
 * never throws for anything a domain's DNS can contain, and a lookup that
 * fails makes its area unknown (DNS_TEMPFAIL), never missing.
 */
export async function auditDomain(ctx: AuditContext, input: string, source: { inputLength?: number | undefined } = {}): Promise<DomainReport> {
  const started = Date.now();
  const auditedAt = (ctx.clock?.() ?? new Date()).toISOString();
  const counted = countingClient(ctx.dns);
  const c: AuditContext = { ...ctx, dns: counted.client };
  const echo = echoInput(input);
  // A line cut on reading (source.inputLength: the whole line's length) is never audited as its head.
  const cutOnReading = source.inputLength !== undefined && source.inputLength > echo.length;
  if (cutOnReading) echo.length = source.inputLength as number;
  const norm: NormalizedDomain = cutOnReading ? { ok: false, input, reason: `a line of ${echo.length} characters, longer than any domain name (${MAX_NAME_LENGTH} at most)` } : normalizeDomain(input);
  const base = (domain: string | null): DomainReport => ({
    domain, input: echo.text, ...(echo.cut || cutOnReading ? { inputLength: echo.length } : {}), score: 0, grade: 'not-ready', cloud: ctx.cloud ?? 'worldwide', tenant: ctx.tenant ?? null,
    findings: [], mx: null, spf: null, dkim: null, dmarc: null, autodiscover: null, verification: null, mtaSts: null, tlsRpt: null, dnssec: null, dane: null, notes: [],
    timing: { ms: 0, queries: 0 }, auditedAt,
  });
  const finish = (report: DomainReport): DomainReport => {
    // One DNS_TEMPFAIL per failure kind, listing its queries (the apex TXT is asked by SPF and verification alike).
    report.findings = mergeTempfails(report.findings);
    report.findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
    report.grade = gradeOf(report.findings);
    report.score = scoreOf(report.findings);
    report.timing = { ms: Date.now() - started, queries: counted.count() };
    return report;
  };

  if (!norm.ok) {
    const r = base(null);
    const what = echo.cut || cutOnReading ? `"${echo.text}" (${echo.length} characters)` : `"${echo.text}"`;
    r.findings.push(finding('DOMAIN_INVALID', `${what} is not a valid domain name: ${norm.reason}.`, { evidence: echo.text, fix: 'Give a domain name such as contoso.com.' }));
    return finish(r);
  }
  const domain = norm.domain;
  const report = base(domain);

  // Phase 1: what does not depend on the cloud, asked in parallel.
  const [mx, firstDkim, apexTxt, autodiscoverTarget, , , dnssec] = await Promise.all([
    checkMx(c, domain, { cloud: ctx.cloud, tenant: ctx.tenant }),
    checkDkim(c, domain, { cloud: ctx.cloud, tenant: ctx.tenant, selectors: ctx.selectors }),
    c.dns.resolve(domain, 'TXT'),
    lookupAutodiscoverTarget(c, domain),
    // Asked now, beside the rest (the client caches answers): the transport checks read them in phase 2.
    prefetch(c, `_mta-sts.${domain}`),
    prefetch(c, `_smtp._tls.${domain}`),
    checkDnssec(c, domain),
  ]);
  let dkim = firstDkim;
  if (mx.section.nxdomain || apexTxt.kind === 'nxdomain') {
    report.findings.push(finding('DOMAIN_NOT_FOUND', `${domain} does not exist (NXDOMAIN).`, { evidence: `${domain}: NXDOMAIN`, fix: 'Check the spelling, or register and delegate the domain first.' }));
    return finish(report);
  }
  const cloud = ctx.cloud ?? detectCloud({
    mx: mx.section.cloud,
    dkim: dkim.section.cloud,
    spfIncludes: spfIncludeHosts(apexTxt.kind === 'records' ? apexTxt.records : []),
    autodiscoverTarget: autodiscoverTarget.kind === 'records' ? autodiscoverTarget.records[0] : undefined,
  });
  if (ctx.tenant && !ctx.cloud && !dkim.section.cloud && cloud !== 'worldwide') {
    // --tenant's expected DKIM targets depend on the cloud, known only now
    // (e.g. GCC High from the MX): check again; every answer is cached.
    dkim = await checkDkim(c, domain, { cloud, tenant: ctx.tenant, selectors: ctx.selectors });
  }
  const tenant = dkim.section.tenant ?? ctx.tenant ?? null;
  report.cloud = cloud;
  report.tenant = tenant;

  // Phase 2: checks that need the cloud or the tenant.
  const mxHosts = mx.section.hosts.map((h) => h.exchange);
  const [spf, dmarc, autodiscover, verification, mtaSts, dane] = await Promise.all([
    checkSpf(c, domain, { cloud }),
    checkDmarc(c, domain, { tenant, cloud }),
    checkAutodiscover(c, domain, cloud),
    checkVerification(c, domain, cloud),
    checkMtaSts(c, domain, { mxHosts: mx.section.status === 'unknown' ? null : mxHosts, cloud }),
    checkDane(c, daneInputOf(mx.section), { dnssec: dnssec.section }),
  ]);
  // TLS-RPT is always checked; it is required (TLS_RPT_MISSING a warning) once MTA-STS or DANE is on (RFC 8460 §1:
  // the reports are how a sender says a policy failed).
  const tlsRpt = await checkTlsRpt(c, domain, { required: transportOn(mtaSts.section) || daneOn(dane.section) });
  report.mx = mx.section;
  report.spf = spf.section;
  report.dkim = dkim.section;
  report.dmarc = dmarc.section;
  report.autodiscover = autodiscover.section;
  report.verification = verification.section;
  report.mtaSts = mtaSts.section;
  report.tlsRpt = tlsRpt.section;
  report.dnssec = dnssec.section;
  report.dane = dane.section;
  report.findings = [
    ...mx.findings, ...spf.findings, ...dkim.findings, ...dmarc.findings, ...autodiscover.findings, ...verification.findings,
    ...mtaSts.findings, ...tlsRpt.findings, ...dnssec.findings, ...dane.findings,
  ];
  // The apex TXT also decides the cloud: its failure is reported even when no check named it.
  if (apexTxt.kind === 'tempfail') report.findings.push(tempfailFinding(domain, 'TXT', apexTxt));
  report.notes.push(...dkim.section.notes, ...dmarc.section.notes);
  return finish(report);
}

/** A TXT lookup whose answer the client caches for a check that reads it later; its outcome is the check's to judge. */
async function prefetch(ctx: AuditContext, name: string): Promise<void> {
  await ctx.dns.resolve(name, 'TXT');
}

/** The MX hosts as checkDane takes them: Microsoft's DNSSEC form, the legacy Microsoft host, or another. */
export function daneInputOf(mx: MxSection): DaneMxInput[] {
  return mx.hosts.filter((h) => h.kind !== 'null').map((h) => ({ host: h.exchange, microsoft: h.kind === 'm365-dnssec' ? 'mx-microsoft' : h.kind === 'm365' ? 'legacy' : null }));
}

/** DANE is on: some MX host has usable TLSA records in a validated answer. */
function daneOn(dane: DaneSection): boolean {
  return dane.hosts.some((h) => h.tlsa === 'validated' && h.usable > 0);
}

/**
 * A report's findings sorted and its grade and score recomputed, after an
 * area's findings changed (the MX probe's DANE match, --probe-mx).
 */
export function regrade(report: DomainReport): void {
  report.findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  report.grade = gradeOf(report.findings);
  report.score = scoreOf(report.findings);
}

/** MTA-STS is on: a usable record whose policy is in force or in testing (mode none turns it off, §5). */
function transportOn(mtaSts: MtaStsSection): boolean {
  return mtaSts.state === 'enforce' || mtaSts.state === 'testing';
}

/**
 * The DnsClient one domain's audit sees: counts the lookups it asks for, and
 * remembers a lookup that failed (after its retries) for the rest of this
 * audit, so that SPF and the verification check do not each wait out the
 * same failing apex TXT again. The shared client never caches failures.
 */
function countingClient(dns: DnsClient): { client: DnsClient; count: () => number } {
  let n = 0;
  const failed = new Map<string, DnsAnswer<never>>();
  return {
    client: {
      resolve: (name, type) => {
        n++;
        const known = failed.size > 0 ? failed.get(`${type} ${canonicalName(name)}`) : undefined;
        if (known) return Promise.resolve(known);
        // The shared client's promise itself (no async wrapper: one promise less a lookup); a failure is noted beside it.
        const asked = dns.resolve(name, type);
        asked.then((answer) => {
          if (answer.kind === 'tempfail') failed.set(`${type} ${canonicalName(name)}`, answer);
        }, () => undefined);
        return asked;
      },
      stats: () => dns.stats(),
      servers: () => dns.servers?.() ?? [],
    },
    count: () => n,
  };
}
