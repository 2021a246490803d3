import type { DomainReport } from '../audit/audit.js';
import type { AreaStatus } from '../findings/status.js';
import { plural } from './words.js';

/** The areas a domain's row summarises, by their DomainReport field. */
export type SummaryArea = 'mx' | 'spf' | 'dkim' | 'dmarc' | 'autodiscover' | 'mtaSts' | 'tlsRpt' | 'dnssec' | 'dane';
export const SUMMARY_AREAS: readonly SummaryArea[] = ['mx', 'spf', 'dkim', 'dmarc', 'autodiscover', 'mtaSts', 'tlsRpt', 'dnssec', 'dane'];
/** Each area's column title. */
export const AREA_LABELS: Readonly<Record<SummaryArea, string>> = {
  mx: 'MX', spf: 'SPF', dkim: 'DKIM', dmarc: 'DMARC', autodiscover: 'Autodiscover', mtaSts: 'MTA-STS', tlsRpt: 'TLS-RPT', dnssec: 'DNSSEC', dane: 'DANE',
};
/** Each area's CSV column name. */
export const AREA_CSV_NAMES: Readonly<Record<SummaryArea, string>> = {
  mx: 'mx', spf: 'spf', dkim: 'dkim', dmarc: 'dmarc', autodiscover: 'autodiscover', mtaSts: 'mta_sts', tlsRpt: 'tls_rpt', dnssec: 'dnssec', dane: 'dane',
};
/** The Finding area of each summarised area (DESIGN's area names). */
const FINDING_AREA: Readonly<Record<SummaryArea, string>> = {
  mx: 'mx', spf: 'spf', dkim: 'dkim', dmarc: 'dmarc', autodiscover: 'autodiscover', mtaSts: 'mta-sts', tlsRpt: 'tls-rpt', dnssec: 'dnssec', dane: 'dane',
};

export interface AreaSummary {
  status: AreaStatus | 'n/a';
  /** A few words: "M365", "missing", "p=reject" … */
  text: string;
}

/** The one-cell summary of an area, shared by every renderer. */
export function summarizeArea(report: DomainReport, area: SummaryArea): AreaSummary {
  // Saved runs (m365audit report) may have been edited: read sections defensively.
  const section = report[area];
  if (!section || typeof section !== 'object') return { status: 'n/a', text: '—' };
  const codes = new Set(report.findings.filter((f) => f.area === FINDING_AREA[area]).map((f) => f.code));
  const status = (['pass', 'warn', 'fail', 'unknown'] as const).find((x) => x === section.status) ?? 'unknown';
  if (status === 'unknown') return { status, text: 'unknown (lookup failed)' };
  switch (area) {
    case 'mx': {
      const mx = report.mx;
      if (!mx) break;
      if (codes.has('MX_MISSING')) return { status, text: 'missing' };
      const hosts = Array.isArray(mx.hosts) ? mx.hosts : [];
      if (mx.m365Host) return { status, text: hosts.some((h) => h.kind === 'm365-dnssec' && h.exchange === mx.m365Host) ? 'M365 (mx.microsoft)' : 'M365' };
      if (codes.has('MX_GATEWAY')) return { status, text: `gateway (${String(hosts.find((h) => h.kind === 'gateway')?.gateway ?? '?')})` };
      if (codes.has('MX_DEPRECATED')) return { status, text: 'retired endpoint' };
      return { status, text: 'not M365' };
    }
    case 'spf': {
      if (codes.has('SPF_MISSING')) return { status, text: 'missing' };
      if (codes.has('SPF_MULTIPLE')) return { status, text: 'multiple records' };
      if (codes.has('SPF_NO_M365_INCLUDE')) return { status, text: 'no M365 include' };
      const lookups = (report.spf as { lookups?: number } | null)?.lookups;
      return { status, text: typeof lookups === 'number' ? `M365 include, ${plural(lookups, 'lookup')}` : 'present' };
    }
    case 'dkim': {
      if (codes.has('DKIM_MISSING')) return { status, text: 'missing' };
      if (codes.has('DKIM_NO_KEY')) return { status, text: 'CNAMEs, no key yet' };
      const selectors = Array.isArray(report.dkim?.selectors) ? report.dkim.selectors : [];
      const n = selectors.filter((s) => s?.target).length;
      return { status, text: `${n}/2 selectors` };
    }
    case 'dmarc': {
      if (codes.has('DMARC_MISSING')) return { status, text: 'missing' };
      if (codes.has('DMARC_SYNTAX')) return { status, text: 'invalid' };
      // The policy receivers apply to this name (inherited sp/np, t=y included), else the record's p=.
      const d = report.dmarc as { record?: unknown; policy?: unknown; enforced?: unknown; policyTag?: unknown } | null;
      const enforced = typeof d?.enforced === 'string' ? d.enforced : null;
      const policy = typeof d?.policy === 'string' ? d.policy : null;
      const tag = typeof d?.policyTag === 'string' && d.policyTag !== 'p' && d.policyTag !== 'implied' ? d.policyTag : 'p';
      if (policy) return { status, text: `${tag}=${policy}${enforced && enforced !== policy ? ` (applied as ${enforced}, t=y)` : ''}` };
      const record = d?.record;
      const fromRecord = /(?:^|;)\s*p\s*=\s*([a-z]+)/i.exec(typeof record === 'string' ? record : '')?.[1];
      return { status, text: fromRecord ? `p=${fromRecord.toLowerCase()}` : 'no policy' };
    }
    case 'autodiscover': {
      if (codes.has('AUTODISCOVER_MISSING')) return { status, text: 'missing' };
      if (codes.has('AUTODISCOVER_NOT_M365')) return { status, text: 'elsewhere' };
      return { status, text: 'M365' };
    }
    // The transport areas are optional hardening: off is not a failure (no mark), only a broken one is.
    case 'mtaSts': {
      const state = (section as { state?: unknown }).state;
      const words: Record<string, string> = { enforce: 'enforce', testing: 'testing', none: 'mode none', invalid: 'invalid record', unavailable: 'policy unavailable', 'policy-invalid': 'invalid policy' };
      if (state === 'absent') return { status: 'n/a', text: 'off' };
      return { status, text: typeof state === 'string' ? (words[state] ?? state) : 'present' };
    }
    case 'tlsRpt': {
      const state = (section as { state?: unknown }).state;
      if (state === 'absent') return { status: status === 'warn' ? 'warn' : 'n/a', text: 'off' };
      return { status, text: state === 'valid' ? 'on' : 'invalid' };
    }
    case 'dnssec': {
      const state = (section as { state?: unknown }).state;
      if (state === 'unsigned') return { status: 'n/a', text: 'unsigned' };
      if (state === 'signed') return { status, text: 'signed, not validated' };
      return { status, text: typeof state === 'string' ? state : 'unknown' };
    }
    case 'dane': {
      const hosts = Array.isArray((section as { hosts?: unknown }).hosts) ? (section as { hosts: { tlsa?: unknown; usable?: unknown; chain?: unknown }[] }).hosts : [];
      if (hosts.some((h) => h.chain === 'mismatch')) return { status, text: 'TLSA mismatch' };
      if (hosts.some((h) => h.chain === 'match')) return { status, text: 'TLSA matches' };
      if (hosts.some((h) => h.tlsa === 'validated' && typeof h.usable === 'number' && h.usable > 0)) return { status, text: 'TLSA' };
      if (status === 'pass') return { status: 'n/a', text: 'off' };
      return { status, text: codes.has('DANE_MX_UNSIGNED') ? 'MX unsigned' : codes.has('DANE_TLSA_MISSING') ? 'no TLSA' : codes.has('DANE_TLSA_UNUSABLE') ? 'TLSA unusable' : status };
    }
  }
  return { status, text: status };
}

/** The first error's fix, else the first warning's: what to do first. */
export function topAction(report: DomainReport): string {
  const f = report.findings.find((x) => x.severity === 'error' && x.code !== 'DNS_TEMPFAIL') ??
    report.findings.find((x) => x.code === 'DNS_TEMPFAIL') ??
    report.findings.find((x) => x.severity === 'warning');
  if (!f) return '';
  return f.fix ?? f.message;
}

/** Counts per grade and the most frequent findings of a run. */
export interface RunSummary {
  /** Every row, invalid ones too: the grades plus `invalid`. */
  domains: number;
  /** The rows that are domain names, per grade (an invalid row is not-ready as a row, but counted in `invalid` only). */
  grades: Record<'ready' | 'needs-work' | 'unknown' | 'not-ready', number>;
  /** Rows that are not domain names (DOMAIN_INVALID): counted apart from the grades. */
  invalid: number;
  /** Most frequent finding codes, most frequent first. */
  topFindings: { code: string; severity: string; domains: number }[];
  /**
   * What the run's resolver said of DNSSEC, once for the run (DNSSEC_NOT_VALIDATED's "say so once"):
   * `validates` when some answer came validated (AD), `does-not-validate` when signed answers came
   * and none was validated; absent when no answer told (only unsigned zones, or no DNSSEC check).
   */
  dnssecResolver?: 'validates' | 'does-not-validate';
}

/** A row that is not a domain name (DOMAIN_INVALID): counted apart from the grades. */
export function isInvalidRow(report: Pick<DomainReport, 'findings'>): boolean {
  return report.findings.some((f) => f.code === 'DOMAIN_INVALID');
}

/**
 * Counts a run's reports as they come (per grade, invalid rows apart, finding
 * codes per domain), so a batch of any size is summarised in memory flat in
 * its rows; `result(top)` gives the RunSummary with the `top` (default 10)
 * most frequent findings.
 */
export function createSummary(): { add(report: DomainReport): void; result(top?: number): RunSummary } {
  const grades: RunSummary['grades'] = { ready: 0, 'needs-work': 0, unknown: 0, 'not-ready': 0 };
  const counts = new Map<string, { severity: string; domains: number }>();
  let domains = 0;
  let invalid = 0;
  let validates = false;
  let notValidating = false;
  return {
    add(report) {
      domains++;
      const told = (report.dnssec as { resolverValidates?: unknown } | null | undefined)?.resolverValidates;
      if (told === true) validates = true;
      else if (told === false) notValidating = true;
      if (isInvalidRow(report)) invalid++;
      else if (Object.prototype.hasOwnProperty.call(grades, report.grade)) grades[report.grade]++;
      for (const code of new Set(report.findings.map((f) => f.code))) {
        const severity = report.findings.find((f) => f.code === code)?.severity ?? 'info';
        const c = counts.get(code) ?? { severity, domains: 0 };
        c.domains++;
        counts.set(code, c);
      }
    },
    result(top = 10) {
      const topFindings = [...counts.entries()]
        .map(([code, c]) => ({ code, severity: c.severity, domains: c.domains }))
        .sort((a, b) => b.domains - a.domains || a.code.localeCompare(b.code))
        .slice(0, top);
      const dnssecResolver = validates ? 'validates' as const : notValidating ? 'does-not-validate' as const : null;
      return { domains, grades: { ...grades }, invalid, topFindings, ...(dnssecResolver ? { dnssecResolver } : {}) };
    },
  };
}

/** The RunSummary of these reports (see createSummary). */
export function summarize(reports: Iterable<DomainReport>): RunSummary {
  const s = createSummary();
  for (const r of reports) s.add(r);
  return s.result();
}

/** The run's one line on the resolver's DNSSEC validation, when it does not validate (RFC 4035 4.9.3: the AD bit is its word); null otherwise. */
export function describeDnssecResolver(s: RunSummary): string | null {
  if (s.dnssecResolver !== 'does-not-validate') return null;
  return 'DNSSEC: the resolver does not validate (no AD bit on signed answers), so signed zones show as "signed, not validated" and never as validated or bogus; audit through a validating resolver (--dns-server) to tell them.';
}

const GRADE_ORDER = ['ready', 'needs-work', 'not-ready', 'unknown'] as const;
const GRADE_PROSE = { ready: 'ready', 'needs-work': 'needs work', 'not-ready': 'not ready', unknown: 'unknown' } as const;

/**
 * The counts as one phrase, so that they add up where a reader sees them:
 * `3 domains: 1 ready, 0 needs-work, 2 not-ready, 0 unknown`, or with rows
 * that are not domain names, `3 rows: 2 domains (1 ready, …) and 1 invalid
 * row (not a domain name)`. `grades`: the table's names (needs-work), or
 * prose (needs work) for Markdown.
 */
export function describeSummaryCounts(s: RunSummary, grades: 'names' | 'prose' = 'names'): string {
  const graded = GRADE_ORDER.map((g) => `${s.grades[g]} ${grades === 'names' ? g : GRADE_PROSE[g]}`).join(', ');
  if (s.invalid === 0) return `${plural(s.domains, 'domain')}: ${graded}`;
  const named = GRADE_ORDER.reduce((n, g) => n + s.grades[g], 0);
  return `${plural(s.domains, 'row')}: ${plural(named, 'domain')} (${graded}) and ${plural(s.invalid, 'invalid row')} (not a domain name)`;
}

/** The summary as plain text lines (for the terminal table). */
export function renderSummaryText(s: RunSummary): string {
  const lines = [`Summary: ${describeSummaryCounts(s)}`];
  const resolver = describeDnssecResolver(s);
  if (resolver) lines.push(resolver);
  if (s.topFindings.length > 0) {
    lines.push('Most frequent findings:');
    for (const f of s.topFindings) lines.push(`  ${String(f.domains).padStart(6)}  ${f.code} (${f.severity})`);
  }
  return `${lines.join('\n')}\n`;
}
