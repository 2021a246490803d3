/**
 * m365audit/sandbox: loopback servers for rehearsing a migration and for
 * tests, with no network beyond this machine.
 *
 * - {@link startDnsServer}: a DNS server on 127.0.0.1 (UDP and TCP) answering
 *   from RFC 1035 zone files (a {@link ZoneStore}), as a recursive resolver
 *   would (CNAMEs chased, NXDOMAIN vs NODATA, truncation and TCP), with faults
 *   to inject (timeouts, SERVFAIL, REFUSED, latency, loss); TLSA, DS, DNSKEY
 *   and RRSIG records, EDNS0, and a validating resolver's AD bit, RRSIGs and
 *   SERVFAIL for zones marked signed or bogus (or a non-validating one).
 * - {@link startHttpsServer}: an HTTPS server on 127.0.0.1 whose handler
 *   answers each request (stand-ins for a token endpoint or a policy host).
 * - {@link startMtaStsHost}: an MTA-STS policy host (RFC 8461 §3.3) on
 *   127.0.0.1 answering `https://mta-sts.<domain>/.well-known/mta-sts.txt`
 *   by SNI and Host, each name with a certificate its CA issues at run time
 *   ({@link createTestCa}), and the faults a policy fetch must tell apart
 *   (status, redirect, media type, size, slowness, certificate, refusal);
 *   its `route` goes into the HTTPS client's `route` option, so no test
 *   needs port 443.
 * - {@link startTokenEndpoint}: a stand-in for Microsoft Entra ID's token
 *   endpoint on that HTTPS server: the client-credentials grant with a
 *   secret or a certificate assertion (verified against the registered
 *   certificate), JWT tokens with chosen claims, and Entra's AADSTS error
 *   bodies, natural or on demand; {@link createClientCertificate} makes an
 *   app's RSA certificate and key.
 * - {@link startMicrosoftLikeSmtpServer}: an SMTP endpoint that speaks like
 *   Exchange Online's submission host (banner, EHLO, STARTTLS, AUTH LOGIN
 *   XOAUTH2), its certificate issued at run time ({@link createTestCertificates}).
 *
 * Used by `m365audit demo`, `m365audit sandbox`, the benchmark and the tests;
 * loaded only by them.
 */
export { startDnsServer, type DnsServerOptions, type DnsServerStats, type Fault, type TestDnsServer } from './dns-server.js';
export { parseCharacterStrings, ZoneStore, type DnssecStatus, type LookupResult, type RecordData, type RrsetSecurity, type ServedType, type StoredRecord } from './zone-store.js';
export {
  startHttpsServer, startMtaStsHost,
  type HttpsHandler, type HttpsRequest, type HttpsResponse, type HttpsServerOptions, type MtaStsHostOptions, type MtaStsHostRequest, type MtaStsPolicySpec, type SandboxHttpsServer, type SandboxMtaStsHost,
} from './https-server.js';
export { createTestCa, type TestCa } from './certificates.js';
export {
  createClientCertificate,
  SANDBOX_AADSTS,
  startTokenEndpoint,
  type ClientCertificatePems,
  type SandboxTokenEndpoint,
  type TokenEndpointApp,
  type TokenEndpointError,
  type TokenEndpointOptions,
  type TokenEndpointRequest,
  type TokenEndpointTenant,
} from './token-endpoint.js';
export {
  createTestCertificates,
  MICROSOFT_AUTH_REPLIES,
  microsoftBanner,
  microsoftEhlo,
  startMicrosoftLikeSmtpServer,
  type AuthMode,
  type AuthReply,
  type CertificateOptions,
  type MicrosoftLikeOptions,
  type SandboxAuthMechanism,
  type TestCertificates,
  type TestSmtpServer,
} from './smtp-server.js';
