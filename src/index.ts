/** The public library API of m365audit. */
export { auditDomain, detectCloud, type DomainReport } from './audit/audit.js';
export { CATALOG, finding, isFindingCode, type Area, type CatalogEntry, type Finding, type FindingCode, type Severity } from './findings/catalog.js';
export type { AuditContext, CheckResult } from './audit/context.js';
export { gradeOf, scoreOf, type Grade } from './findings/grade.js';
export type { AreaStatus } from './findings/status.js';
export { createDnsClient, parseServerAddress, type DnsClientOptions } from './dns/client.js';
export { createMemoryDnsClient, type MemoryName } from './dns/memory.js';
export { createZoneOverlay, type OverlayUse, type OverlayZone, type ZoneOverlay } from './dns/overlay.js';
export { parseZoneFile, zoneOriginOf, ZoneFileError, type ParsedZone, type ZoneRecord } from './dns/zone-file.js';
export type { DnsAnswer, DnsClient, DnsHealth, DnsServerHealth, DnsStats, MxRecord, RRType } from './dns/types.js';
export { normalizeDomain, organizationalDomain, type NormalizedDomain } from './domain/normalize.js';
export { CLOUD_ENDPOINTS, CLOUDS, type Cloud } from './m365/clouds.js';
export type { MxSection, MxHost } from './m365/mx.js';
export type { AutodiscoverSection } from './m365/autodiscover.js';
export type { VerificationSection } from './m365/verification.js';
export type { SpfSection } from './spf/check.js';
export type { DkimSection } from './dkim/check.js';
export type { DmarcSection } from './dmarc/check.js';
export { createJsonWriter, renderJson, renderJsonLine, safeJson } from './report/json.js';
export { renderTable } from './report/table.js';
export {
  createRunInfo, createTrail, describeRun, reconstructRun,
  type PlanRunInfo, type PlanRunOptions, type ProbeRunInfo, type ProbeRunOptions, type RunInfo, type RunOptions, type RunStop, type RunTrail, type SpfRunInfo, type SpfRunOptions,
} from './report/run.js';
export { summarize, type RunSummary } from './report/summary.js';
export { cleanText } from './report/sanitize.js';
export { VERSION } from './version.js';
export { InputError, MAX_LINE_LENGTH, openBatchInput, readBatchInput, type BatchRow } from './audit/input.js';
export { MAX_LISTED, MAX_TEXT_LENGTH } from './text/caps.js';
export { limitWhile, renderBatchStop, runBatch, type BatchRunOptions, type BatchRunResult, type BatchStop } from './audit/batch.js';
export { renderChunks, renderReports, FORMATS, type Format } from './report/render.js';
export { renderMarkdown } from './report/markdown.js';
export { renderCsv } from './report/csv.js';
export { MAX_DOCUMENT_BYTES, parseSavedRun, readSavedRun, upgradeSavedReport, type SavedRun, type SavedRunEnd, type SavedRunError } from './report/load.js';
export { probeSmtp, probeEndpoints, createEndpointProber, type ProbeOptions } from './smtp/probe.js';
export type { ProbeResult, CertificateInfo, AuthTestResult } from './smtp/types.js';
export { explainCode, SMTP_CODES, type CodeExplanation } from './smtp/codes.js';
export { checkHost, spfIdentity, type SpfResult, type CheckHostResult } from './spf/evaluate.js';
export { parseSpf, isSpfRecord } from './spf/parse.js';
export { lookupSpfTree, type SpfTreeNode } from './spf/analyze.js';
export { countSpfLookups, reviewSpfProposal, type SpfProposalReview } from './spf/lookups.js';
export { mergeSpfRecords, type SpfMerge } from './spf/merge.js';
export { planDomain, mergeSpfInclude, type Plan, type PlanRow } from './audit/plan.js';
export { parseDkimKey, evaluateDkimKey, decodeDkimPublicKey } from './dkim/key.js';
export { parseDkimTarget, expectedDkimTargets, normalizeTenant } from './dkim/target.js';
export { parseDmarcRecord, dmarcVerdict } from './dmarc/parse.js';
export { parseDmarcUri, parseDmarcUriList } from './dmarc/uri.js';
export { discoverDmarcPolicy, dmarcWalkNames } from './dmarc/discover.js';
