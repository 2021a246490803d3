import type { DomainReport } from '../audit/audit.js';
import type { AreaStatus } from '../audit/status.js';

export type SummaryArea = 'mx' | 'spf' | 'dkim' | 'dmarc' | 'autodiscover';
export const SUMMARY_AREAS: readonly SummaryArea[] = ['mx', 'spf', 'dkim', 'dmarc', 'autodiscover'];

export interface AreaSummary {
  status: AreaStatus | 'n/a';
  /** A few words: "M365", "missing", "p=reject" … */
  text: string;
}

/** The one-cell summary of an area, shared by every renderer. */
export function summarizeArea(report: DomainReport, area: SummaryArea): AreaSummary {
  const section = report[area];
  if (!section) return { status: 'n/a', text: '—' };
  const codes = new Set(report.findings.filter((f) => f.area === area).map((f) => f.code));
  const status = section.status;
  if (status === 'unknown') return { status, text: 'unknown (lookup failed)' };
  switch (area) {
    case 'mx': {
      const mx = report.mx;
      if (!mx) break;
      if (codes.has('MX_MISSING')) return { status, text: 'missing' };
      if (mx.m365Host) return { status, text: mx.hosts.some((h) => h.kind === 'm365-dnssec' && h.exchange === mx.m365Host) ? 'M365 (mx.microsoft)' : 'M365' };
      if (codes.has('MX_GATEWAY')) return { status, text: `gateway (${mx.hosts.find((h) => h.kind === 'gateway')?.gateway ?? '?'})` };
      if (codes.has('MX_DEPRECATED')) return { status, text: 'retired endpoint' };
      return { status, text: 'not M365' };
    }
    case 'spf': {
      if (codes.has('SPF_MISSING')) return { status, text: 'missing' };
      if (codes.has('SPF_MULTIPLE')) return { status, text: 'multiple records' };
      if (codes.has('SPF_NO_M365_INCLUDE')) return { status, text: 'no M365 include' };
      const lookups = (report.spf as { lookups?: number } | null)?.lookups;
      return { status, text: typeof lookups === 'number' ? `M365 include, ${lookups} lookups` : 'present' };
    }
    case 'dkim': {
      if (codes.has('DKIM_MISSING')) return { status, text: 'missing' };
      if (codes.has('DKIM_NO_KEY')) return { status, text: 'CNAMEs, no key yet' };
      const n = report.dkim?.selectors.filter((s) => s.target).length ?? 0;
      return { status, text: `${n}/2 selectors` };
    }
    case 'dmarc': {
      if (codes.has('DMARC_MISSING')) return { status, text: 'missing' };
      if (codes.has('DMARC_SYNTAX')) return { status, text: 'invalid' };
      const policy = /(?:^|;)\s*p\s*=\s*([a-z]+)/i.exec(report.dmarc?.record ?? '')?.[1];
      return { status, text: policy ? `p=${policy.toLowerCase()}` : 'no policy' };
    }
    case 'autodiscover': {
      if (codes.has('AUTODISCOVER_MISSING')) return { status, text: 'missing' };
      if (codes.has('AUTODISCOVER_NOT_M365')) return { status, text: 'elsewhere' };
      return { status, text: 'M365' };
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
