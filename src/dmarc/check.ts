import { finding, type Finding } from '../findings/catalog.js';
import type { LookupContext } from '../dns/context.js';
import type { CheckResult } from '../findings/catalog.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../findings/status.js';
import type { DnsAnswer, DnsClient } from '../dns/types.js';
import { canonicalName, organizationalDomain } from '../domain/normalize.js';
import { CLOUD_ENDPOINTS, type Cloud } from '../m365/clouds.js';
import { discoverDmarcPolicy, type AppliedDmarc, type DmarcDiscovery, type DmarcLevel, type DmarcLevelResult } from './discover.js';
import { hasValidRua, parseDmarcRecord, type DmarcAlignment, type DmarcPolicy, type DmarcRecord } from './parse.js';
import type { DmarcUri } from './uri.js';
import { normalizeTenant } from '../m365/tenant.js';
import { capFindings, capList, capText, capTexts, listText, MAX_LISTED } from '../util/caps.js';

/** A report URI with what the audit found out about its destination. */
export interface DmarcReportUri extends DmarcUri {
  /** The destination is outside the policy domain's organizational domain, so it must authorize reports. */
  external: boolean;
  /** authorized / unauthorized by `<domain>._report._dmarc.<destination>`; not-needed (internal); unchecked (not mailto, invalid, or over the limit); unknown (lookup failed). */
  authorization: 'authorized' | 'unauthorized' | 'not-needed' | 'unchecked' | 'unknown';
  /** The name asked for the authorization, or null. */
  authorizationName: string | null;
}

/** One name the DMARC tree walk asked (`_dmarc.<name>`), what it found there, and the records. */
export interface DmarcWalkStep {
  name: string;
  /** record, multiple (all discarded), invalid (one, unusable), none. */
  result: DmarcLevelResult;
  /** The TXT records at the name: at most MAX_LISTED, each cut at MAX_TEXT_LENGTH. */
  records: string[];
  /** How many TXT records there are (set by checkDmarc; absent in runs saved before it). */
  recordsTotal?: number;
}

/**
 * The DMARC part of a DomainReport: the record whose policy applies (own or
 * inherited by the tree walk), the policy for this very name, the report
 * addresses and their authorization, the walk, and the MOERA domain's record.
 * Lists and strings are capped (MAX_LISTED, MAX_TEXT_LENGTH).
 */
export interface DmarcSection {
  status: AreaStatus;
  /** The record whose policy applies to the audited name, or null (cut at MAX_TEXT_LENGTH). */
  record: string | null;
  /** The name the record was found at (_dmarc.<policy domain>). */
  source: string | null;
  /** The domain that published the record that applies. */
  policyDomain: string | null;
  /** The record is a parent's, found by the tree walk. */
  inherited: boolean;
  /** The Organizational Domain the tree walk determined (only when it walked). */
  organizationalDomain: string | null;
  /** The policy for the audited name: p for its own record, sp (np if it does not exist) for a parent's; null when receivers apply no DMARC. */
  policy: DmarcPolicy | null;
  /** Where the policy came from: p, sp, np, or implied (no p= but a valid rua=: p=none). */
  policyTag: 'p' | 'sp' | 'np' | 'implied' | null;
  /** What receivers apply after t=y (test mode lowers the policy one step). */
  enforced: DmarcPolicy | null;
  testing: boolean;
  /** The record's policy for existing subdomains (sp, else p) and for non-existent ones (np, else sp, else p). */
  subdomainPolicy: DmarcPolicy | null;
  nonExistentPolicy: DmarcPolicy | null;
  psd: 'y' | 'n' | 'u' | null;
  alignment: { dkim: DmarcAlignment; spf: DmarcAlignment } | null;
  /** The tags of the record that applies, as written: every tag DMARC defines, then unknown ones up to MAX_LISTED in all; values cut at MAX_TEXT_LENGTH. */
  tags: Record<string, string> | null;
  /** How many tags the record has (set by checkDmarc; absent in runs saved before it). */
  tagsTotal?: number;
  /** Aggregate report URIs with their authorization: at most MAX_LISTED (all are evaluated). */
  rua: DmarcReportUri[];
  /** How many rua URIs the record lists (set by checkDmarc; absent in runs saved before it). */
  ruaTotal?: number;
  /** Failure report URIs: at most MAX_LISTED. */
  ruf: DmarcReportUri[];
  /** How many ruf URIs the record lists (set by checkDmarc; absent in runs saved before it). */
  rufTotal?: number;
  /** Every name the discovery asked, in order. */
  walk: DmarcWalkStep[];
  /** The tenant's initial (MOERA) domain record, when the tenant is known. */
  moera: { name: string; record: string | null; policy: DmarcPolicy | null } | null;
  /** Plain notes that are not findings: at most MAX_LISTED. */
  notes: string[];
  /** How many notes there are (set by checkDmarc; absent in runs saved before it). */
  notesTotal?: number;
}

/** External destinations checked per record; a record may list many, each costing a lookup. */
export const MAX_REPORT_DESTINATIONS = 10;

/**
 * DMARC for one domain (RFC 9989): policy discovery by the DNS tree walk,
 * the record's tags and the policy for this very name, report addresses
 * and their authorization (RFC 9990), and the tenant's MOERA domain.
 * `hints.tenant` (null: unknown) and `hints.cloud` name the MOERA domain.
 * Every lookup goes through `ctx.dns`; never throws for DNS content, and a
 * failed lookup makes the area unknown (DNS_TEMPFAIL), never missing.
 */
export async function checkDmarc(
  ctx: LookupContext,
  domain: string,
  hints: { tenant: string | null; cloud: Cloud },
): Promise<CheckResult<DmarcSection>> {
  const d = canonicalName(domain);
  const findings: Finding[] = [];
  const notes: string[] = [];
  const tenant = normalizeTenant(hints.tenant);
  const moeraName = tenant ? `_dmarc.${tenant}.${CLOUD_ENDPOINTS[hints.cloud].initialDomainSuffix}` : null;
  const [disc, moeraAnswer] = await Promise.all([
    discoverDmarcPolicy(ctx, d),
    moeraName ? ctx.dns.resolve(moeraName, 'TXT') : Promise.resolve(null),
  ]);

  const section: DmarcSection = {
    status: 'pass', record: null, source: null, policyDomain: null, inherited: false, organizationalDomain: disc.organizationalDomain,
    policy: null, policyTag: null, enforced: null, testing: false, subdomainPolicy: null, nonExistentPolicy: null, psd: null,
    alignment: null, tags: null, rua: [], ruf: [], walk: disc.levels.map((l) => ({ name: l.name, result: l.result, records: l.records })),
    moera: null, notes,
  };

  if (disc.tempfail) {
    findings.push(tempfailFinding(disc.tempfail.name, 'TXT', disc.tempfail.answer));
  } else {
    const own = disc.levels[0];
    if (own && own.result === 'record') {
      // Receivers take the valid record; a look-alike beside it is worth fixing but changes nothing.
      for (const r of own.meant) notes.push(`${own.name} also holds a TXT record that looks meant as DMARC but ${firstError(r)}; strict receivers ignore it.`);
    } else if (own) levelFindings(own, findings, true);
    if (disc.applied) {
      await appliedFindings(ctx.dns, d, disc, disc.applied, section, findings, notes);
    } else {
      // Nothing usable anywhere: a broken record on the way explains it better than "missing".
      for (const level of disc.levels.slice(1)) levelFindings(level, findings, false);
      if (!findings.some((f) => f.code === 'DMARC_SYNTAX' || f.code === 'DMARC_MULTIPLE')) {
        findings.push(finding('DMARC_MISSING', `No DMARC record applies to ${d}: the RFC 9989 tree walk found none at ${disc.levels.map((l) => l.name).join(', ')}.`, {
          evidence: disc.levels.map((l) => `${l.name}: ${l.records.length > 0 ? l.records.map((r) => `"${r}"`).join(' ') : l.answer === 'nxdomain' ? 'NXDOMAIN' : 'no TXT'}`).join('; '),
          fix: `Publish TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@${organizationalDomain(d)}" at _dmarc.${d}, read the reports, then move to p=quarantine and p=reject.`,
        }));
      }
    }
    if (disc.applied) {
      // Broken records passed on the way do not change the policy, but are worth a line.
      for (const level of disc.levels.slice(1)) {
        if (level.result === 'multiple') notes.push(`${level.name} holds ${level.dmarc.length} v=DMARC1 records, so receivers ignore them all.`);
        else if (level.result === 'invalid' || level.meant.length > 0) notes.push(`${level.name} holds a DMARC record receivers ignore (${firstError(level.dmarc[0] ?? level.meant[0])}).`);
      }
    }
  }

  if (moeraName && moeraAnswer) {
    if (moeraAnswer.kind === 'tempfail') findings.push(tempfailFinding(moeraName, 'TXT', moeraAnswer));
    else moeraFindings(moeraName, moeraAnswer, tenant as string, hints.cloud, section, findings);
  }

  section.status = statusFrom(findings);
  return { section: capSection(section, [...new Set(notes)]), findings: capFindings(findings) };
}

/**
 * The section as a report keeps it: everything was evaluated in full, but a
 * record can list a thousand report URIs or tags, and a name can hold a
 * hundred TXT records of 56 KB; lists are cut at MAX_LISTED (totals beside
 * them) and strings from DNS at MAX_TEXT_LENGTH.
 */
function capSection(section: DmarcSection, notes: string[]): DmarcSection {
  const uris = (list: DmarcReportUri[]): DmarcReportUri[] => capList(list).map((u) => ({
    ...u,
    uri: capText(u.uri),
    address: u.address === null ? null : capText(u.address),
    problem: u.problem === null ? null : capText(u.problem),
  }));
  return {
    ...section,
    record: section.record === null ? null : capText(section.record),
    tags: section.tags === null ? null : capTags(section.tags),
    tagsTotal: section.tags === null ? 0 : Object.keys(section.tags).length,
    rua: uris(section.rua),
    ruaTotal: section.rua.length,
    ruf: uris(section.ruf),
    rufTotal: section.ruf.length,
    walk: section.walk.map((w) => ({ ...w, records: capTexts(w.records), recordsTotal: w.records.length })),
    moera: section.moera === null ? null : { ...section.moera, record: section.moera.record === null ? null : capText(section.moera.record) },
    notes: capTexts(notes),
    notesTotal: notes.length,
  };
}

/** The tags DMARC defines (and the removed ones) always, unknown ones while fewer than MAX_LISTED are kept; record order. */
function capTags(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const names = Object.keys(tags);
  const defined = new Set(names.filter((n) => DEFINED_TAGS.has(n)));
  let room = MAX_LISTED - defined.size;
  for (const name of names) {
    if (!defined.has(name)) {
      if (room <= 0) continue;
      room--;
    }
    out[capText(name, 64)] = capText(tags[name] as string);
  }
  return out;
}

/** RFC 9989's tags and those it removed (pct, rf, ri, RFC 7489). */
const DEFINED_TAGS = new Set(['v', 'p', 'sp', 'np', 'psd', 't', 'adkim', 'aspf', 'fo', 'rua', 'ruf', 'pct', 'rf', 'ri']);

/** DMARC_MULTIPLE / DMARC_SYNTAX for what one name holds. */
function levelFindings(level: DmarcLevel, findings: Finding[], own: boolean): void {
  const where = own ? '' : ` (found by the tree walk)`;
  if (level.result === 'multiple') {
    findings.push(finding('DMARC_MULTIPLE', `${level.name} holds ${level.dmarc.length} records starting with v=DMARC1${where}; receivers ignore all of them.`, {
      evidence: level.dmarc.map((r) => `"${r.raw}"`).join(' '),
      fix: `Keep one v=DMARC1 record at ${level.name} and delete the others.`,
    }));
  } else if (level.result === 'invalid') {
    const rec = level.dmarc[0] as DmarcRecord;
    findings.push(finding('DMARC_SYNTAX', `The DMARC record at ${level.name} is invalid${where} (${errors(rec)}), so receivers treat it as absent.`, {
      evidence: `${level.name} TXT "${rec.raw}"`,
      fix: 'Correct the record: v=DMARC1 first, then p=none|quarantine|reject, each tag once, e.g. "v=DMARC1; p=reject; rua=mailto:dmarc-reports@<domain>".',
    }));
  }
  for (const rec of level.meant) {
    findings.push(finding('DMARC_SYNTAX', `A TXT record at ${level.name} looks meant as DMARC but ${firstError(rec)}${where}.`, {
      evidence: `${level.name} TXT "${rec.raw}"`,
      fix: 'Start the record with exactly "v=DMARC1;" (DMARC1 in capitals), e.g. "v=DMARC1; p=reject; rua=mailto:dmarc-reports@<domain>".',
    }));
  }
}

async function appliedFindings(
  dns: DnsClient, d: string, disc: DmarcDiscovery, applied: AppliedDmarc, section: DmarcSection, findings: Finding[], notes: string[],
): Promise<void> {
  const rec = applied.record;
  const source = `_dmarc.${applied.domain}`;
  Object.assign(section, {
    record: rec.raw, source, policyDomain: applied.domain, inherited: applied.relation !== 'own', testing: rec.testing,
    psd: rec.psd, alignment: { dkim: rec.adkim, spf: rec.aspf }, tags: { ...rec.tags },
  });
  const base: DmarcPolicy | null = rec.p ?? (hasValidRua(rec) ? 'none' : null);
  section.subdomainPolicy = base === null ? null : rec.sp ?? base;
  section.nonExistentPolicy = base === null ? null : rec.np ?? rec.sp ?? base;

  // A usable record can still hold errors (a broken rua URI, adkim=x …): receivers skip those parts.
  if (rec.issues.some((i) => i.level === 'error')) {
    findings.push(finding('DMARC_SYNTAX', `The DMARC record at ${source} has errors receivers skip: ${errors(rec)}.`, {
      evidence: `${source} TXT "${rec.raw}"`,
      fix: 'Correct the tags named; report addresses are written mailto:name@domain, separated by commas.',
    }));
  }

  // The policy for this very name.
  let policyTag: DmarcSection['policyTag'] = null;
  let policy: DmarcPolicy | null = null;
  if (base !== null) {
    policy = base;
    policyTag = rec.p ? 'p' : 'implied';
    if (applied.relation !== 'own') {
      let exists = true;
      if (rec.np && rec.np !== (rec.sp ?? base)) {
        // np applies only to a name that does not exist (RFC 9989 4.10.1): ask, when it would change the answer.
        const a = await dns.resolve(d, 'TXT');
        if (a.kind === 'tempfail') findings.push(tempfailFinding(d, 'TXT', a));
        exists = a.kind !== 'nxdomain';
      }
      if (!exists && rec.np) [policy, policyTag] = [rec.np, 'np'];
      else if (rec.sp) [policy, policyTag] = [rec.sp, 'sp'];
    }
  }
  const enforced = policy !== null && rec.testing ? lower(policy) : policy;
  Object.assign(section, { policy, policyTag, enforced });

  if (applied.relation !== 'own') {
    const how = applied.relation === 'psd'
      ? `the Public Suffix Domain ${applied.domain} (psd=y)`
      : `its Organizational Domain ${applied.domain}`;
    findings.push(finding('DMARC_INHERITED', `${d} has no DMARC record of its own; the policy comes from ${how}, found by the RFC 9989 tree walk${policyTag === 'sp' || policyTag === 'np' ? `, and its ${policyTag}=${policy} applies` : policy ? `, and its p=${policy} applies (no sp=)` : ''}.`, {
      evidence: `${source} TXT "${rec.raw}"`,
      fix: `To set ${d}'s own policy, publish a record at _dmarc.${d}.`,
    }));
  }

  const tagText = policyTag === 'implied' ? 'no p= tag (treated as p=none)' : policyTag ? `${policyTag}=${policy}` : '';
  if (policy === null) {
    findings.push(finding('DMARC_POLICY_NONE', `The DMARC record at ${source} has no p= tag and no valid rua=, so receivers apply no DMARC to ${d} at all.`, {
      evidence: `${source} TXT "${rec.raw}"`,
      fix: 'Add p=none with a rua= address to start monitoring, then move to p=quarantine and p=reject.',
    }));
  } else if (policy === 'none') {
    findings.push(finding('DMARC_POLICY_NONE', `The DMARC policy for ${d} is monitoring only (${tagText}): receivers deliver mail that fails DMARC.`, {
      evidence: `${source} TXT "${rec.raw}"`,
      fix: 'Once the aggregate reports show every legitimate source passing, move to p=quarantine, then p=reject.',
    }));
  } else if (enforced === 'none') {
    findings.push(finding('DMARC_POLICY_NONE', `The DMARC policy for ${d} is ${tagText} but t=y (test mode) asks receivers to apply one step less: none, monitoring only.`, {
      evidence: `${source} TXT "${rec.raw}"`,
      fix: 'Remove t=y when the reports are clean.',
    }));
  }
  if (rec.testing && enforced !== null && enforced !== 'none') notes.push(`t=y (test mode): receivers are asked to apply ${enforced} instead of ${policy}.`);

  if (!rec.rua.some((u) => u.valid && u.scheme === 'mailto')) {
    findings.push(finding('DMARC_NO_RUA', rec.rua.length === 0
      ? `The DMARC record at ${source} has no rua= address, so no aggregate reports arrive.`
      : `The DMARC record at ${source} has no usable mailto: rua= address, so no aggregate reports arrive.`, {
      evidence: `${source} TXT "${rec.raw}"`,
      fix: `Add rua=mailto:dmarc-reports@${organizationalDomain(applied.domain)} (or a report service's address).`,
    }));
  }
  if (rec.legacyTags.length > 0) {
    findings.push(finding('DMARC_LEGACY_TAG', `The DMARC record uses ${rec.legacyTags.map((t) => `${t}=`).join(', ')}, which RFC 9989 removed; receivers on RFC 9989 ignore ${rec.legacyTags.length === 1 ? 'it' : 'them'}.`, {
      evidence: `${source} TXT "${rec.raw}"`,
      fix: rec.legacyTags.includes('pct') ? 'Use t=y instead of pct below 100 while testing; drop pct, rf and ri.' : 'Drop the removed tags.',
    }));
  }
  if (rec.pct !== null && rec.pct < 100) {
    findings.push(finding('DMARC_PCT_PARTIAL', `pct=${rec.pct}: receivers still on RFC 7489 apply the policy to only ${rec.pct}% of failing mail (RFC 9989 removed pct).`, {
      evidence: `${source} TXT "${rec.raw}"`,
      fix: 'Raise pct to 100 (or remove it, and use t=y for testing).',
    }));
  }
  if (rec.unknownTags.length > 0) {
    findings.push(finding('DMARC_UNKNOWN_TAG', `The DMARC record has tags DMARC does not define (${listText(rec.unknownTags, ', ')}); receivers ignore them.`, {
      evidence: `${source} TXT "${rec.raw}"`,
      fix: 'Check for typos (e.g. rua, ruf, adkim, aspf) and remove what is not DMARC.',
    }));
  }
  for (const i of rec.issues) {
    if (i.level !== 'error' && i.kind !== 'legacy' && i.kind !== 'unknown' && i.kind !== 'no-policy') notes.push(i.message);
  }
  if (rec.ruf.some((u) => u.valid)) notes.push('Microsoft 365 never sends failure (ruf) reports; other receivers rarely do.');

  section.rua = await authorize(dns, applied.domain, rec.rua, findings, notes);
  section.ruf = await authorize(dns, applied.domain, rec.ruf, findings, notes, section.rua);
  if (disc.organizationalDomain && applied.relation === 'psd') notes.push(`The Organizational Domain of ${d} is ${disc.organizationalDomain} (one label below the psd=y domain ${applied.domain}); it has no record of its own.`);
}

/** External report destinations: `<policy domain>._report._dmarc.<destination>` must hold v=DMARC1 (RFC 9990 4). */
async function authorize(
  dns: DnsClient, policyDomain: string, uris: DmarcUri[], findings: Finding[], notes: string[], already: DmarcReportUri[] = [],
): Promise<DmarcReportUri[]> {
  const org = organizationalDomain(policyDomain);
  const results = new Map<string, Promise<Pick<DmarcReportUri, 'authorization' | 'authorizationName'>>>();
  for (const a of already) if (a.domain && a.external) results.set(a.domain, Promise.resolve({ authorization: a.authorization, authorizationName: a.authorizationName }));
  let checked = results.size;
  let skipped = 0;
  const out = uris.map((u) => {
    const external = u.domain !== null && u.domain !== org && !u.domain.endsWith(`.${org}`);
    const usable = u.valid && u.scheme === 'mailto' && u.domain !== null;
    const base: DmarcReportUri = { ...u, external, authorization: usable && !external ? 'not-needed' : 'unchecked', authorizationName: null };
    if (!usable || !external || u.domain === null) return Promise.resolve(base);
    let pending = results.get(u.domain);
    if (!pending) {
      if (checked >= MAX_REPORT_DESTINATIONS) {
        skipped++;
        return Promise.resolve(base);
      }
      checked++;
      pending = lookupAuthorization(dns, policyDomain, u.domain, findings);
      results.set(u.domain, pending);
    }
    return pending.then((r) => ({ ...base, ...r }));
  });
  if (skipped > 0) notes.push(`${skipped} more report address${skipped === 1 ? '' : 'es'} not checked for authorization (at most ${MAX_REPORT_DESTINATIONS} destinations are).`);
  return Promise.all(out);
}

async function lookupAuthorization(
  dns: DnsClient, policyDomain: string, destination: string, findings: Finding[],
): Promise<Pick<DmarcReportUri, 'authorization' | 'authorizationName'>> {
  const name = `${policyDomain}._report._dmarc.${destination}`;
  const a = await dns.resolve(name, 'TXT');
  if (a.kind === 'tempfail') {
    findings.push(tempfailFinding(name, 'TXT', a));
    return { authorization: 'unknown', authorizationName: name };
  }
  // A wildcard (*._report._dmarc.<destination>) answers this query through the DNS itself.
  if (a.kind === 'records' && a.records.some((r) => parseDmarcRecord(r).isDmarc)) return { authorization: 'authorized', authorizationName: name };
  let hint = '';
  if (a.kind === 'nxdomain') {
    // A wildcard does not cover names below an existing name (RFC 4592), e.g. when the destination also lists explicit domains under the same TLD.
    const wild = await dns.resolve(`*._report._dmarc.${destination}`, 'TXT');
    if (wild.kind === 'records' && wild.records.some((r) => parseDmarcRecord(r).isDmarc)) {
      hint = ` ${destination} publishes a wildcard *._report._dmarc.${destination}, but it does not answer for this name (an explicit entry below _report._dmarc.${destination} shadows it, RFC 4592)`;
    }
  }
  findings.push(finding('DMARC_RUA_UNAUTHORIZED', `Reports for ${policyDomain} go to ${destination}, which has not authorized them: ${name} has no v=DMARC1 record, so receivers will not send them.${hint}`, {
    evidence: `${name} TXT: ${a.kind === 'records' ? a.records.map((r) => `"${r}"`).join(' ') : a.kind === 'nxdomain' ? 'NXDOMAIN' : 'no records'}`,
    fix: `Have ${destination} publish TXT "v=DMARC1" at ${name} (a report service does this when the domain is added to its account), or send reports to an address under ${organizationalDomain(policyDomain)}.`,
  }));
  return { authorization: 'unauthorized', authorizationName: name };
}

function moeraFindings(name: string, answer: Exclude<DnsAnswer<string>, { kind: 'tempfail' }>, tenant: string, cloud: Cloud, section: DmarcSection, findings: Finding[]): void {
  const records = answer.kind === 'records' ? answer.records : [];
  const dmarc = records.map((r) => parseDmarcRecord(r)).filter((r) => r.isDmarc);
  const one = dmarc.length === 1 && (dmarc[0] as DmarcRecord).usable ? (dmarc[0] as DmarcRecord) : null;
  section.moera = { name, record: one?.raw ?? (dmarc[0]?.raw ?? null), policy: one?.p ?? null };
  if (one?.p) return;
  const moera = `${tenant}.${CLOUD_ENDPOINTS[cloud].initialDomainSuffix}`;
  findings.push(finding('DMARC_MOERA_MISSING', `The tenant's initial domain ${moera} has no DMARC record with p=${dmarc.length > 1 ? ` (${dmarc.length} records, all ignored)` : ''}; anyone can send as it unchecked.`, {
    evidence: `${name} TXT: ${records.length > 0 ? records.map((r) => `"${r}"`).join(' ') : answer.kind === 'nxdomain' ? 'NXDOMAIN' : 'no records'}`,
    fix: `In the Microsoft 365 admin center (Settings, Domains, ${moera}, DNS records) add TXT _dmarc with "v=DMARC1; p=reject" if ${moera} sends no mail (p=none with rua= first if it does).`,
  }));
}

function lower(p: DmarcPolicy): DmarcPolicy {
  return p === 'reject' ? 'quarantine' : 'none';
}

function errors(rec: DmarcRecord): string {
  return rec.issues.filter((i) => i.level === 'error').map((i) => i.message).join('; ') || 'it does not parse';
}

function firstError(rec: DmarcRecord | undefined): string {
  return rec?.issues.find((i) => i.level === 'error')?.message ?? 'it does not parse';
}


