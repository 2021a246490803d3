/**
 * `m365audit message --audit`: the message's analysis (src/message/analyze.ts)
 * with the full domain audit of its From domain attached; for an NDR, the
 * From domain of the original message it returned (the sender whose setup
 * the bounce is about). The audit is auditDomain's, unchanged.
 */
import { analyzeMessage, type AnalyzeMessageOptions, type NotAMessageResult } from '../message/analyze.js';
import type { MessageReport } from '../message/report.js';
import { auditDomain, type DomainReport } from './audit.js';
import type { AuditContext } from './context.js';

/** A message report with the audit of its From domain (null without --audit, or when the message names no From domain). */
export interface AuditedMessageReport extends MessageReport {
  /** The domain audited: the From domain (an NDR's: the returned message's), or null. */
  auditedDomain: string | null;
  audit: DomainReport | null;
}

/** Options of auditMessage: the analysis's, and whether to audit the From domain. */
export interface AuditMessageOptions extends AnalyzeMessageOptions {
  /** Run the full domain audit of the From domain and attach it (`--audit`). */
  audit?: boolean | undefined;
}

/** What auditMessage gives: the report, or why the input is not a message. */
export type AuditedMessageAnalysis = { kind: 'report'; report: AuditedMessageReport } | NotAMessageResult;

/** The domain whose setup a report is about: the From domain, or for an NDR the returned message's. */
export function domainToAudit(report: MessageReport): string | null {
  if (report.ndr) return report.ndr.returned?.headers.summary.fromDomain ?? null;
  return report.message.summary.fromDomain;
}

/**
 * Analyses a message or NDR (analyzeMessage, with ctx's DnsClient) and, with
 * `options.audit`, audits its From domain with auditDomain in the same
 * context (its cloud, tenant and selectors, its secure and HTTPS clients).
 * Never throws for anything the input or DNS holds.
 */
export async function auditMessage(ctx: AuditContext, source: AsyncIterable<Uint8Array>, options: AuditMessageOptions = {}): Promise<AuditedMessageAnalysis> {
  const analysis = await analyzeMessage(ctx, source, options);
  if (analysis.kind !== 'report') return analysis;
  const domain = options.audit ? domainToAudit(analysis.report) : null;
  const audit = domain === null ? null : await auditDomain(ctx, domain);
  return { kind: 'report', report: { ...analysis.report, auditedDomain: domain, audit } };
}
