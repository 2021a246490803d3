/**
 * The public library API of m365audit (`import { … } from 'm365audit'`),
 * grouped by the floors of the house (README "How it works"), top floor
 * first. Flat named exports only; the loopback servers are a separate entry,
 * `m365audit/sandbox`. test/api/public-api.txt lists every name: a change to
 * this file is a change to that list.
 *
 * Conventions: every check and lookup takes a context object first (a
 * `LookupContext`, or the `AuditContext` that extends it) and never talks to
 * the network except through its `DnsClient`; `parseX` are pure, `renderX`
 * return strings, `createX` are factories. Checks and lookups never throw for
 * anything DNS can hold: a failed lookup is a `DNS_TEMPFAIL` finding.
 */

// ---------------------------------------------------------------------------
// audit: one domain, a batch, the plan, the probes of a run, the sending paths

export { auditDomain, type DomainReport } from './audit/audit.js';
export type { AuditContext } from './audit/context.js';
export { DEFAULT_CONCURRENCY, renderBatchStop, runBatch, type BatchAtOnce, type BatchRunOptions, type BatchRunResult, type BatchStop } from './audit/batch.js';
export { InputError, MAX_LINE_LENGTH, openBatchInput, readBatchInput, type BatchRow } from './audit/input.js';
export { planDomain, type Plan, type PlanContext, type PlanRow, type PlanStatus, type SpfReviewer } from './audit/plan.js';
export { createCloudTally, createRunProber, mostCommonCloud, type RunProber, type RunProberOptions } from './audit/probes.js';
export {
  checkSendPaths, sendPathVerdict,
  type ConditionState, type SendPath, type SendPathCheck, type SendPathCondition, type SendPathId, type SendPathsCertificate, type SendPathsOAuth, type SendPathsOptions, type SendPathsReport, type SendPathsSpf, type SendPathVerdict,
} from './audit/send-paths.js';
export { auditMessage, domainToAudit, type AuditedMessageAnalysis, type AuditedMessageReport, type AuditMessageOptions } from './audit/message.js';
export { MAX_LISTED, MAX_TEXT_LENGTH } from './util/caps.js';
export { VERSION } from './version.js';

// ---------------------------------------------------------------------------
// findings: the catalog, one finding, grade and score

export { CATALOG, finding, isFindingCode, severitiesOf, type Area, type CatalogEntry, type CheckResult, type Finding, type FindingCode, type Severity } from './findings/catalog.js';
export { ERROR_PENALTY, gradeOf, scoreOf, WARNING_PENALTY, type Grade } from './findings/grade.js';
export type { AreaStatus } from './findings/status.js';

// ---------------------------------------------------------------------------
// dns: the client every check is given, the context it comes in; zone files and the --zone overlay; the secure client (DO/AD/CD, TLSA)

export type { LookupContext } from './dns/context.js';
export { createDnsClient, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, parseServerAddress, type DnsClientOptions } from './dns/client.js';
export { createMemoryDnsClient, type MemoryName } from './dns/memory.js';
export type { DnsAnswer, DnsClient, DnsHealth, DnsServerHealth, DnsStats, MxRecord, RecordTypes, RRType, TempfailReason } from './dns/types.js';
export { createZoneOverlay, type OverlayUse, type OverlayZone, type ZoneOverlay } from './dns/overlay.js';
export { parseZoneFile, zoneOriginOf, ZoneFileError, type DnskeyData, type DsData, type ParsedZone, type RrsigData, type TlsaData, type ZoneRecord } from './dns/zone-file.js';
export { createSecureDnsClient, MAX_SECURE_RECORDS, type SecureDnsClientOptions } from './dns/secure.js';
export { shareMxWithSecure } from './dns/shared-mx.js';
export { EDNS_UDP_SIZE } from './dns/raw.js';
export type {
  DnskeyRecord, DsRecord, SecureAnswer, SecureDnsClient, SecureDnsStats, SecureFlags, SecureQueryOptions, SecureRecordTypes, SecureRRType, TlsaRecord,
} from './dns/types.js';

// ---------------------------------------------------------------------------
// http: one HTTPS request as a typed outcome (the OAuth token endpoint; MTA-STS policies)

export {
  createHttpsClient, DEFAULT_HTTPS_MAX_BYTES, DEFAULT_HTTPS_TIMEOUT_MS,
  type HttpsAnswer, type HttpsCa, type HttpsClient, type HttpsClientOptions, type HttpsFailure, type HttpsOutcome, type HttpsRequestInit, type HttpsRoute, type HttpsStage,
} from './http/client.js';

// ---------------------------------------------------------------------------
// domain: names as typed, and their organizational domain

export { normalizeDomain, organizationalDomain, type NormalizedDomain } from './domain/normalize.js';

// ---------------------------------------------------------------------------
// spf: RFC 7208 parsing, check_host(), the include tree, the check, merging

export { checkSpf, type SpfSection } from './spf/check.js';
export { isSpfRecord, parseSpf, type MechanismName, type Qualifier, type SpfMechanism, type SpfModifier, type SpfRecord, type SpfSyntaxError, type SpfTerm } from './spf/parse.js';
export { checkHost, spfIdentity, type CheckHostInput, type CheckHostOptions, type CheckHostResult, type SpfResult, type SpfStep } from './spf/evaluate.js';
export { MAX_DNS_LOOKUPS, MAX_VOID_LOOKUPS, type SpfLimits, type SpfQuery } from './spf/budget.js';
export { lookupSpfTree, type M365Include, type M365Sample, type SpfFailedQuery, type SpfNodeStatus, type SpfTree, type SpfTreeNode } from './spf/analyze.js';
export { countSpfLookups, reviewSpfProposal, type SpfProposalReview } from './spf/lookups.js';
export { mergeSpfRecords, type SpfMerge, type SpfMergeOptions } from './spf/merge.js';
export { auditSpf, type SpfReport, type SpfRequest } from './spf/report.js';

// ---------------------------------------------------------------------------
// dkim: Microsoft's selector CNAMEs, key records (RFC 6376), the check

export { checkDkim, type DkimHints, type DkimKeyReport, type DkimSection, type DkimSelectorFacts } from './dkim/check.js';
export { decodeDkimPublicKey, evaluateDkimKey, MIN_RSA_BITS, parseDkimKey, RECOMMENDED_RSA_BITS, type DecodedKey, type DkimKeyFacts, type DkimKeyRecord, type DkimKeyStatus } from './dkim/key.js';
export { expectedDkimTargets, parseDkimTarget, type DkimTarget } from './dkim/target.js';
export { isDkimSelector } from './dkim/selector.js';

// ---------------------------------------------------------------------------
// dmarc: RFC 9989 records, policy discovery by the tree walk, the check

export { checkDmarc, type DmarcReportUri, type DmarcSection, type DmarcWalkStep } from './dmarc/check.js';
export { dmarcVerdict, parseDmarcRecord, type DmarcAlignment, type DmarcIssue, type DmarcIssueKind, type DmarcPolicy, type DmarcRecord } from './dmarc/parse.js';
export { parseDmarcUri, parseDmarcUriList, type DmarcUri } from './dmarc/uri.js';
export { discoverDmarcPolicy, dmarcWalkNames, type AppliedDmarc, type DmarcDiscovery, type DmarcLevel, type DmarcLevelResult } from './dmarc/discover.js';

// ---------------------------------------------------------------------------
// transport: MTA-STS (RFC 8461: the TXT record, the HTTPS policy, MX matching) and TLS-RPT (RFC 8460)

export {
  checkMtaSts, DEFAULT_MTA_STS_TIMEOUT_MS, fetchMtaStsPolicy, MAX_MTA_STS_TIMEOUT_MS, MTA_STS_MAX_POLICY_BYTES, mtaStsPolicyUrl,
  type MtaStsContext, type MtaStsFetched, type MtaStsFetchResult, type MtaStsMxMatch, type MtaStsOptions, type MtaStsPolicyFacts, type MtaStsSection, type MtaStsState,
} from './transport/mta-sts.js';
export { isMtaStsRecord, MTA_STS_VERSION, parseMtaStsRecord, type MtaStsRecord, type MtaStsRecordParse } from './transport/mta-sts-record.js';
export {
  isMxPattern, MAX_MTA_STS_MAX_AGE, matchMxPatterns, mxPatternFor, mxPatternMatches, parseMtaStsPolicy,
  type MtaStsMode, type MtaStsPolicy, type MtaStsPolicyParse,
} from './transport/mta-sts-policy.js';
export {
  checkTlsRpt, isTlsRptRecord, parseTlsRptRecord, parseTlsRptUri, TLS_RPT_VERSION,
  type TlsRptRecord, type TlsRptRecordParse, type TlsRptSection, type TlsRptState, type TlsRptUri,
} from './transport/tls-rpt.js';
export type { RecordTag } from './transport/tags.js';

// transport: DNSSEC status and SMTP DANE (RFC 7672) for inbound mail, and the context with the secure DNS client

export type { TransportContext } from './transport/context.js';
export { checkDnssec, type DnssecSection, type DnssecState } from './transport/dnssec.js';
export { checkDane, type DaneHost, type DaneMxInput, type DaneOptions, type DaneSection, type TlsaFacts, type TlsaLookupState } from './transport/dane.js';
export {
  dnsNameMatches, leafNames, matchTlsa, tlsaAcronyms, tlsaProblem,
  type PeerCertificate, type PeerChain, type TlsaMatchOptions, type TlsaMatchResult, type TlsaProblem,
} from './transport/tlsa.js';

// ---------------------------------------------------------------------------
// m365: Microsoft's clouds and tenant names; the MX, autodiscover and verification checks; connector certificates

export { CLOUD_ENDPOINTS, CLOUDS, cloudsOfExoAudience, detectCloud, EXO_APP_ID, isCloud, type Cloud, type CloudEndpoints, type CloudEvidence } from './m365/clouds.js';
export { normalizeTenant } from './m365/tenant.js';
export { checkMx, expectedMxHost, type MxHost, type MxKind, type MxSection } from './m365/mx.js';
export { checkAutodiscover, lookupAutodiscoverTarget, type AutodiscoverSection } from './m365/autodiscover.js';
export { checkVerification, type VerificationSection } from './m365/verification.js';
export { certificateNameMatches, certificateValidity, parseConnectorCertificate, type ConnectorCertificate, type NameFit, type NameMatch } from './m365/connector.js';

// ---------------------------------------------------------------------------
// smtp: the submission probe, endpoints, SMTP and NDR codes; the OAuth token, its claims, AADSTS codes

export { createEndpointProber, DEFAULT_PROBE_TIMEOUT_MS, probeEndpoints, probeSmtp, xoauth2Response, type EndpointProbe, type LoginCredentials, type OAuthCredentials, type ProbeAuth, type ProbeOptions, type SharedProbeOptions, type SocketFactory, type TrustedCa } from './smtp/probe.js';
export type { AuthMechanismName, AuthOutcome, AuthTestResult, CertificateInfo, ChainCertificate, OAuthClaimFacts, OAuthFacts, OAuthTokenSource, ProbeResult, ProbeTiming, TlsMode, TranscriptLine } from './smtp/types.js';
export { BASIC_AUTH_TIMELINE, basicAuthOutlook, type BasicAuthMilestone, type BasicAuthOutlook, type BasicAuthStage } from './smtp/timeline.js';
export { IMPLICIT_TLS_PORT, parseEndpoint, SMTP_PORT, SUBMISSION_PORT, type Endpoint } from './smtp/endpoint.js';
export { explainCode, explainDeliveryStatus, SMTP_CODES, type CodeEntry, type CodeExplanation, type CodeVariant, type DeliveryStatusContext, type GenericMeaning, type OtherReading } from './smtp/codes.js';
export {
  acquireToken, parseClientCertificate,
  type CertificateProblem, type ClientCertificate, type ClientCredential, type TokenContext, type TokenError, type TokenErrorKind, type TokenFailure, type TokenRequest, type TokenResult, type TokenSuccess,
} from './smtp/token.js';
export { CLOCK_SKEW_SECONDS, diagnoseToken, parseTokenClaims, type DiagnoseOptions, type TokenDiagnosis, type TokenFacts } from './smtp/token-claims.js';
export { withTokenDiagnosis, withTokenFailure, type TokenDiagnosisContext } from './smtp/oauth-result.js';
export { AADSTS_CODES, aadstsErrorUrl, findAadsts, parseAadstsCode, type AadstsEntry } from './smtp/aadsts.js';

// ---------------------------------------------------------------------------
// message: a message, its headers or an NDR against today's DNS; reading, parsing and verifying it

export { analyzeMessage, type AnalyzeMessageOptions, type MessageAnalysis, type NotAMessageResult } from './message/analyze.js';
export type {
  AntispamFacts, ArcSealFacts, ConnectingIpChoice, Diagnosis, DiagnosisCause, DkimFailureKind, FixRecord, HeaderAnalysis, MessageIdentity, MessageInput, MessageKind,
  MessageOutcome, MessageReport, MessageRoute, MessageRunOptions, MessageSpfNoIp, MessageSummary, MessageVerdicts, NdrExplanation, NdrRecipient, NdrReport,
  RecordedAuthResults, RecordedResult, RecordedVerdicts, ReturnedMessage, RouteHop,
} from './message/report.js';
export { MAX_BODY_PREFIX_BYTES, MAX_HEADER_BYTES, readMessage, readMessageBytes } from './message/reader.js';
export { parseMessage, parseMessageHeaders } from './message/parse.js';
export type { DeliveryReport, DsnRecipient, HeaderField, NotAMessage, ParsedHeaders, ParsedMessage, ReadMessage, ReadOptions } from './message/types.js';
export { MAX_DKIM_SIGNATURES, startDkimVerification, verifyDkim, type DkimSignatureVerdict, type DkimVerification, type DkimVerificationStream, type DkimVerifyOptions } from './message/dkim-verify.js';
export { lookupMessageSpf, type MessageSpf, type MessageSpfInput, type MessageSpfVerdict } from './message/spf-check.js';
export { lookupDmarcAlignment, type DmarcAlignmentInput, type DmarcAlignmentVerdict } from './message/align.js';
export { compareVerdicts, type CurrentVerdicts, type DifferenceCause, type VerdictDifference } from './message/compare.js';
export { BCL_DEFAULT_THRESHOLD, describeBcl, describeCompauthReason, describeScl } from './message/antispam.js';

// ---------------------------------------------------------------------------
// report: every output format, the audit trail, saved runs, safe text

export { FORMATS, renderChunks, renderReports, type Format, type RenderOptions } from './report/render.js';
export { renderTable, type TableOptions } from './report/table.js';
export { createJsonWriter, renderJson, renderJsonLine, SCHEMA_VERSION, type JsonDocument, type JsonlTail, type JsonOptions, type JsonTail } from './report/json.js';
export { renderCsv, type CsvRows } from './report/csv.js';
export { renderMarkdown, type MarkdownOptions } from './report/markdown.js';
export { renderText, type TextOptions } from './report/text.js';
export { renderHtml, type HtmlOptions } from './report/html.js';
export { renderPlanJson, renderPlanMarkdown, renderPlanTable, renderPlanZone } from './report/plan.js';
export { renderExplanationsJson, renderExplanationsTable, renderProbeJson, renderProbeSummary, renderProbeTable, type ProbeRenderOptions } from './report/probe.js';
export { renderSpfJson, renderSpfTable } from './report/spf.js';
export { renderSendPathsJson, renderSendPathsMarkdown, renderSendPathsTable, type SendPathsRenderOptions } from './report/send-paths.js';
export {
  createRunInfo, createTrail, describeRun, reconstructRun,
  type AnyRunOptions, type PlanRunInfo, type PlanRunOptions, type ProbeRunInfo, type ProbeRunOptions, type RunFacts, type RunInfo, type RunOptions, type RunRows, type RunStop, type RunTrail, type SendPathsRunInfo, type SendPathsRunOptions, type SpfRunInfo, type SpfRunOptions,
} from './report/run.js';
export { createSummary, summarize, type RunSummary } from './report/summary.js';
export { MAX_DOCUMENT_BYTES, parseSavedRun, readSavedRun, type ReadSavedRunOptions, type SavedRun, type SavedRunEnd, type SavedRunError } from './report/load.js';
export {
  describeMessageRun, MESSAGE_SCHEMA_VERSION, renderMessageJson, renderMessageTable,
  type MessageJsonDocument, type MessageRenderOptions, type MessageRunInfo,
} from './report/message.js';
export { renderMessageMarkdown } from './report/message-markdown.js';
export { renderMessageHtml } from './report/message-html.js';
export { cleanText, csvCell, escapeHtml, mdCodeBlock, mdText, safeJson } from './report/safe-text.js';
