import { finding, type Finding } from '../findings/catalog.js';
import type { LookupContext } from '../dns/context.js';
import type { CheckResult } from '../findings/catalog.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../findings/status.js';
import { dashed, tokenMatches, type Cloud } from './clouds.js';
import { canonicalName } from '../domain/normalize.js';
import { capFindings, capList, listText, MAX_LISTED } from '../util/caps.js';

/**
 * What an MX host is: Microsoft 365's legacy (`*.mail.protection.outlook.com`
 * …) or DNSSEC form (`*.<c>-v1.mx.microsoft`), a retired Microsoft host, a
 * known mail gateway, a null MX (RFC 7505), or another host.
 */
export type MxKind = 'm365' | 'm365-dnssec' | 'deprecated' | 'gateway' | 'null' | 'other';

/** One MX host of the domain as classified: its kind, and for Microsoft 365 hosts the cloud and token. */
export interface MxHost {
  exchange: string;
  priority: number;
  kind: MxKind;
  /** Cloud of a Microsoft 365 MX. */
  cloud?: Cloud;
  /** The token before the Microsoft suffix (`contoso-com`). */
  token?: string;
  /** Name of a known gateway vendor. */
  gateway?: string;
}

/** The MX part of a DomainReport: the hosts by preference, the Microsoft 365 host and its cloud, and whether the domain exists. */
export interface MxSection {
  status: AreaStatus;
  /** The MX hosts by preference: at most MAX_LISTED of them (all are checked). */
  hosts: MxHost[];
  /** How many MX hosts the domain publishes (set by checkMx; absent in runs saved before it). */
  hostsTotal?: number;
  /** The most preferred Microsoft 365 MX host, or null. */
  m365Host: string | null;
  /** The cloud the Microsoft 365 MX names, or null. */
  cloud: Cloud | null;
  /** The domain does not exist (NXDOMAIN on the MX query). */
  nxdomain: boolean;
}

const LEGACY = /^([a-z0-9-]{1,63})\.mail\.protection\.(outlook\.com|office365\.us|partner\.outlook\.cn)$/;
const DNSSEC_MX = /^([a-z0-9-]{1,63})\.([a-z])-v1\.mx\.microsoft$/;
const LEGACY_CLOUD: Record<string, Cloud> = {
  'outlook.com': 'worldwide',
  'office365.us': 'gcc-high',
  'partner.outlook.cn': 'china',
};
/** Retired Microsoft endpoints (reference §1): mail to them fails or lands in the wrong region. */
const DEPRECATED = new Set([
  'mail.eo.outlook.com',
  'mail.messaging.microsoft.com',
  'mail.global.frontbridge.com',
  'mail.global.bigfish.com',
  'mail.outlook.com',
]);
const DEPRECATED_PATTERNS = [/\.mail\.protection\.outlook\.de$/, /^ms\d{8}\.msv1\.invalid$/];

/** Mail gateways commonly placed in front of Exchange Online, by host suffix. */
const GATEWAYS: readonly [suffix: string, vendor: string][] = [
  ['mimecast.com', 'Mimecast'],
  ['mimecast.co.za', 'Mimecast'],
  ['pphosted.com', 'Proofpoint'],
  ['ppe-hosted.com', 'Proofpoint Essentials'],
  ['barracudanetworks.com', 'Barracuda'],
  ['iphmx.com', 'Cisco Secure Email'],
  ['tmes.trendmicro.com', 'Trend Micro'],
  ['tmes.trendmicro.eu', 'Trend Micro'],
  ['tmes-anz.trendmicro.com', 'Trend Micro'],
  ['messagelabs.com', 'Broadcom (Symantec) Email Security'],
  ['mailcontrol.com', 'Forcepoint'],
  ['hydra.sophos.com', 'Sophos'],
  ['hornetsecurity.com', 'Hornetsecurity'],
  ['antispameurope.com', 'Hornetsecurity'],
  ['spamtitan.com', 'SpamTitan'],
  ['mailguard.com.au', 'MailGuard'],
  ['fortimail.com', 'Fortinet FortiMail'],
  ['securence.com', 'Securence'],
  ['mx.cloudflare.net', 'Cloudflare Area 1'],
  ['inkyphishfence.com', 'INKY'],
  ['avanan.net', 'Check Point Harmony (Avanan)'],
  ['spamexperts.com', 'SolarWinds SpamExperts'],
  ['exclaimer.net', 'Exclaimer'],
  ['codetwo.online', 'CodeTwo'],
];

export function classifyMxHost(exchange: string, priority: number): MxHost {
  const host = canonicalName(exchange);
  if (host === '') return { exchange: host, priority, kind: 'null' };
  if (DEPRECATED.has(host) || DEPRECATED_PATTERNS.some((p) => p.test(host))) return { exchange: host, priority, kind: 'deprecated' };
  const legacy = LEGACY.exec(host);
  if (legacy) return { exchange: host, priority, kind: 'm365', cloud: LEGACY_CLOUD[legacy[2] as string] as Cloud, token: legacy[1] as string };
  const dnssec = DNSSEC_MX.exec(host);
  if (dnssec) return { exchange: host, priority, kind: 'm365-dnssec', cloud: 'worldwide', token: dnssec[1] as string };
  const gw = GATEWAYS.find(([suffix]) => host === suffix || host.endsWith(`.${suffix}`));
  if (gw) return { exchange: host, priority, kind: 'gateway', gateway: gw[1] };
  return { exchange: host, priority, kind: 'other' };
}

/**
 * The MX host Microsoft's token rule gives for a domain in a cloud (reference
 * §1): `<dashed domain>.mail.protection.outlook.com`; GCC High and DoD name it
 * after the tenant when one is given. Microsoft may add a suffix: confirm the
 * value in the admin center. Pure.
 */
export function expectedMxHost(domain: string, cloud: Cloud, tenant?: string | null): string {
  // GCC High names the MX after the tenant (reference §1).
  if ((cloud === 'gcc-high' || cloud === 'dod') && tenant) return `${tenant}.mail.protection.office365.us`;
  const suffix = cloud === 'china' ? 'mail.protection.partner.outlook.cn' : cloud === 'worldwide' ? 'mail.protection.outlook.com' : 'mail.protection.office365.us';
  return `${dashed(domain)}.${suffix}`;
}

/**
 * The MX check: the domain's MX hosts classified (Microsoft 365, gateway,
 * retired, null MX, other), their priorities, the Microsoft token against the
 * domain, and whether the Microsoft host resolves. `hints.cloud` and
 * `hints.tenant` shape the fix it suggests. NXDOMAIN sets `nxdomain` (the
 * audit reports DOMAIN_NOT_FOUND); a failed lookup makes the area unknown
 * (DNS_TEMPFAIL). Only DNS through `ctx.dns`; never throws for DNS content.
 */
export async function checkMx(ctx: LookupContext, domain: string, hints: { cloud?: Cloud | undefined; tenant?: string | undefined } = {}): Promise<CheckResult<MxSection>> {
  const findings: Finding[] = [];
  const section: MxSection = { status: 'pass', hosts: [], hostsTotal: 0, m365Host: null, cloud: null, nxdomain: false };
  const answer = await ctx.dns.resolve(domain, 'MX');
  if (answer.kind === 'tempfail') {
    findings.push(tempfailFinding(domain, 'MX', answer));
    return done();
  }
  if (answer.kind === 'nxdomain') {
    section.nxdomain = true;
    return done();
  }
  const hosts = (answer.kind === 'records' ? answer.records : [])
    .map((r) => classifyMxHost(r.exchange, r.priority))
    .sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange));
  section.hosts = capList(hosts, MAX_LISTED);
  section.hostsTotal = hosts.length;
  const fixM365 = `Publish MX 0 ${expectedMxHost(domain, hints.cloud ?? 'worldwide', hints.tenant)} (confirm the exact value in the Microsoft 365 admin center → Settings → Domains).`;
  const real = hosts.filter((h) => h.kind !== 'null');
  if (real.length === 0) {
    const isNull = hosts.length > 0;
    findings.push(finding('MX_MISSING', isNull ? `${domain} publishes a null MX (RFC 7505): it accepts no mail.` : `${domain} has no MX record, so no mail can be delivered to it.`, {
      evidence: isNull ? `${domain} MX 0 .` : undefined,
      fix: fixM365,
    }));
    return done();
  }
  const evidence = listText(hosts.map((h) => `${h.priority} ${h.exchange}`), ', ');
  const distinct = new Set(real.map((h) => h.exchange));
  if (distinct.size > 1) {
    findings.push(finding('MX_MULTIPLE', `${domain} has ${distinct.size} MX hosts; Microsoft 365 supports one MX pointing at Exchange Online.`, { evidence, fix: 'Keep only the Microsoft 365 MX (or only your gateway) once migration is done.' }));
  }
  for (const h of hosts.filter((x) => x.kind === 'deprecated')) {
    findings.push(finding('MX_DEPRECATED', `The MX ${h.exchange} is a retired Microsoft endpoint or a leftover verification record; mail to it fails or goes to the wrong region (451 4.4.62).`, { evidence: `${h.priority} ${h.exchange}`, fix: `Remove it. ${fixM365}` }));
  }
  const m365 = hosts.filter((h) => h.kind === 'm365' || h.kind === 'm365-dnssec');
  const gateways = hosts.filter((h) => h.kind === 'gateway');
  if (m365.length === 0) {
    if (gateways.length > 0) {
      const vendors = [...new Set(gateways.map((g) => g.gateway))].join(', ');
      findings.push(finding('MX_GATEWAY', `The MX is a mail gateway (${vendors}); mail reaches Exchange Online through it, not directly.`, { evidence, fix: 'Make sure the gateway relays to the Microsoft 365 MX and that Enhanced Filtering for Connectors is set up.' }));
    } else if (!hosts.some((h) => h.kind === 'deprecated')) {
      findings.push(finding('MX_NOT_M365', `No MX of ${domain} points to Microsoft 365 (expected before cutover).`, { evidence, fix: fixM365 }));
    }
    return done();
  }
  const best = m365[0] as MxHost;
  section.m365Host = best.exchange;
  section.cloud = best.cloud ?? null;
  if (real.some((h) => h.kind !== 'm365' && h.kind !== 'm365-dnssec' && h.priority <= best.priority)) {
    findings.push(finding('MX_PRIORITY', `The Microsoft 365 MX ${best.exchange} (preference ${best.priority}) is not the most preferred MX.`, { evidence, fix: `Give ${best.exchange} the lowest preference number (0) of all MX records.` }));
  }
  const tenantNamed = best.cloud === 'gcc-high' && best.kind === 'm365';
  if (best.token && !tenantNamed && !tokenMatches(best.token, domain)) {
    findings.push(finding('MX_TOKEN_MISMATCH', `The MX token "${best.token}" differs from ${dashed(domain)}; Microsoft sometimes adds suffixes, so confirm the value in the admin center.`, { evidence: best.exchange, fix: 'Compare with the MX value shown in Microsoft 365 admin center → Settings → Domains.' }));
  }
  const address = await ctx.dns.resolve(best.exchange, 'A');
  if (address.kind === 'tempfail') findings.push(tempfailFinding(best.exchange, 'A', address));
  else if (address.kind !== 'records') {
    findings.push(finding('MX_HOST_UNRESOLVED', `The Microsoft 365 MX host ${best.exchange} has no address (${address.kind === 'nxdomain' ? 'NXDOMAIN' : 'no A record'}); the token is probably wrong.`, { evidence: `${best.exchange} A: ${address.kind}`, fix: fixM365 }));
  }
  return done();

  function done(): CheckResult<MxSection> {
    section.status = statusFrom(findings);
    return { section, findings: capFindings(findings) };
  }
}
