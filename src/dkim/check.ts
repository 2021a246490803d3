import { finding, type Finding } from '../findings/catalog.js';
import type { LookupContext } from '../dns/context.js';
import type { CheckResult } from '../findings/catalog.js';
import { statusFrom, tempfailFinding, type AreaStatus } from '../findings/status.js';
import type { DnsAnswer, DnsClient } from '../dns/types.js';
import { CLOUD_ENDPOINTS, dashed, tokenMatches, type Cloud } from '../m365/clouds.js';
import { evaluateDkimKey, type DkimKeyFacts, type DkimKeyStatus } from './key.js';
import { normalizeTenant } from '../m365/tenant.js';
import { isDkimSelector } from './selector.js';
import { canonName, diagnoseDkimTarget, expectedDkimTargets, parseDkimTarget } from './target.js';
import { capFindings, capText, listText } from '../util/caps.js';

/** The key a selector's TXT lookup found: the key facts, or none / unknown when nothing (or no answer) came back. */
export type DkimKeyReport = DkimKeyFacts | { status: 'missing' | 'unknown'; record: null };

/** What DNS holds at one DKIM selector (`<selector>._domainkey.<domain>`): the CNAME, the Microsoft form it has, and the key behind it. */
export interface DkimSelectorFacts {
  selector: string;
  name: string;
  /** The CNAME target, or null. */
  target: string | null;
  /** Which Microsoft form the target has, or null when it has none (or there is no target). */
  format: 'legacy' | 'new' | null;
  /** The tenant prefix the target names, or null. */
  tenant: string | null;
  /** The domain part of the target (dashed domain, maybe with Microsoft's suffix), or null. */
  token: string | null;
  /** A TXT record sitting at the selector name instead of a CNAME (several joined by " | "), or null; cut at MAX_TEXT_LENGTH. */
  txtInstead: string | null;
  /** The key found at the end of the CNAME (or at the name itself); its record cut at MAX_TEXT_LENGTH. */
  key: DkimKeyReport;
  /** What the target should be for --tenant, or null when no tenant is known. */
  expectedTarget: string | null;
}

/**
 * The DKIM part of a DomainReport: Microsoft's selector1/selector2 CNAMEs,
 * the tenant and cloud they name, what --tenant expects, and any extra
 * selectors. DNS cannot show whether signing is on: that is a note.
 */
export interface DkimSection {
  status: AreaStatus;
  /** selector1 and selector2, Microsoft's pair. */
  selectors: DkimSelectorFacts[];
  /** The initial-domain prefix the targets name (e.g. contoso), or null. */
  tenant: string | null;
  /** The cloud the targets point at, or null when unknown (the new form does not say). */
  cloud: Cloud | null;
  /** legacy, new, mixed (one of each) or null when no target matches. */
  format: 'legacy' | 'new' | 'mixed' | null;
  /** The tenant given by --tenant and the targets it implies, or null. */
  expected: { tenant: string; cloud: Cloud; targets: string[] } | null;
  /** Other senders' selectors (--selector), checked with the generic key checks. */
  extraSelectors: DkimSelectorFacts[];
  /** Plain notes that are not findings (DNS cannot prove signing is on …). */
  notes: string[];
}

const M365_SELECTORS = ['selector1', 'selector2'] as const;
const MAX_EXTRA_SELECTORS = 20;

interface Lookup {
  facts: DkimSelectorFacts;
  cname: DnsAnswer<string>;
  txt: DnsAnswer<string>;
}

/** The run's options that change the DKIM verdict. */
export interface DkimHints {
  /** Forced by --cloud: the cloud whose targets are expected. */
  cloud?: Cloud | undefined;
  /** --tenant, before the CNAMEs exist. */
  tenant?: string | undefined;
  /** Extra selectors (--selector), checked with the generic key checks. */
  selectors?: readonly string[] | undefined;
}

/**
 * Microsoft 365's DKIM: selector1/selector2 CNAMEs, their targets (both
 * forms), the tenant they name, and the keys behind them; plus any extra
 * selectors (hints.selectors) with the generic key checks. DNS cannot show
 * whether signing is switched on, so that is a note, not a finding.
 * `hints.cloud` and `hints.tenant` give the targets to expect. Every lookup
 * goes through `ctx.dns`; never throws for DNS content, and a failed lookup
 * makes the area unknown (DNS_TEMPFAIL), never missing.
 */
export async function checkDkim(ctx: LookupContext, domain: string, hints: DkimHints = {}): Promise<CheckResult<DkimSection>> {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const d = canonName(domain);
  const extraNames = extraSelectorNames(hints.selectors, notes);
  const [pair, extras] = await Promise.all([
    Promise.all(M365_SELECTORS.map((s) => lookupSelector(ctx.dns, s, d))),
    Promise.all(extraNames.map((s) => lookupSelector(ctx.dns, s, d))),
  ]);

  for (const l of [...pair, ...extras]) {
    if (l.cname.kind === 'tempfail') findings.push(tempfailFinding(l.facts.name, 'CNAME', l.cname));
    if (l.txt.kind === 'tempfail') findings.push(tempfailFinding(l.facts.name, 'TXT', l.txt));
  }

  // What the selectors name.
  const parsed = pair.map((l) => (l.facts.target ? parseDkimTarget(l.facts.target) : null));
  for (const [i, l] of pair.entries()) {
    const t = parsed[i];
    if (!t) continue;
    l.facts.format = t.format;
    l.facts.tenant = t.tenant;
    l.facts.token = t.token;
  }
  const [t1, t2] = parsed;
  const tenant = t1?.tenant ?? t2?.tenant ?? null;
  const cloud = t1?.cloud ?? t2?.cloud ?? null;
  const formats = new Set(parsed.filter((t) => t !== null).map((t) => t.format));
  const format = formats.size === 2 ? 'mixed' : formats.size === 1 ? [...formats][0] as 'legacy' | 'new' : null;

  // --tenant: the targets Microsoft would compute, shown and compared.
  const given = normalizeTenant(hints.tenant);
  if (hints.tenant !== undefined && hints.tenant !== null && given === null) notes.push(`--tenant "${hints.tenant}" is not a tenant prefix (a DNS label such as contoso); it was not used.`);
  let expected: DkimSection['expected'] = null;
  if (given !== null) {
    const expectedCloud = hints.cloud ?? cloud ?? 'worldwide';
    const targets = expectedDkimTargets(d, given, expectedCloud);
    expected = { tenant: given, cloud: expectedCloud, targets };
    for (const [i, l] of pair.entries()) l.facts.expectedTarget = targets[i] ?? null;
  }

  // Presence: CNAME, a TXT in its place, or nothing.
  const failed = (l: Lookup): boolean => l.cname.kind === 'tempfail' || (l.facts.target === null && l.txt.kind === 'tempfail');
  const absent = pair.filter((l) => !failed(l) && l.facts.target === null && l.facts.txtInstead === null);
  for (const l of pair) {
    if (l.facts.txtInstead === null || l.facts.target !== null) continue;
    findings.push(finding('DKIM_NOT_CNAME', `${l.facts.name} holds a TXT record instead of a CNAME to Microsoft 365; Microsoft cannot rotate that key, and a TXT there "isn't supported".`, {
      evidence: `${l.facts.name} TXT "${l.facts.txtInstead}"`,
      fix: `Delete the TXT record and publish the CNAME ${l.facts.name} -> ${l.facts.expectedTarget ?? 'the Selector' + l.facts.selector.slice(-1) + 'CNAME value'} (Get-DkimSigningConfig or the Defender portal).`,
    }));
  }
  if (absent.length === 2) {
    findings.push(finding('DKIM_MISSING', `Neither selector1 nor selector2 has a CNAME at ${d}, so Microsoft 365 cannot sign its mail with d=${d}.`, {
      evidence: `${pair[0]?.facts.name}: ${answerText(pair[0]?.cname)}; ${pair[1]?.facts.name}: ${answerText(pair[1]?.cname)}`,
      fix: expected
        ? `Publish CNAME selector1._domainkey.${d} -> ${expected.targets[0]} and selector2._domainkey.${d} -> ${expected.targets[1]} (copy the exact values from Get-DkimSigningConfig: domains added since May 2025 get selectorN-…<c>-v1.dkim.mail.microsoft targets), then enable DKIM signing.`
        : 'Publish the selector1 and selector2 CNAMEs shown in the Defender portal (Email authentication settings, DKIM) or by Get-DkimSigningConfig (Selector1CNAME, Selector2CNAME), then enable DKIM signing.',
    }));
  } else if (absent.length === 1) {
    const l = absent[0] as Lookup;
    findings.push(finding('DKIM_SELECTOR_MISSING', `${l.facts.name} has no CNAME: Microsoft 365 rotates between selector1 and selector2, so key rotation will fail.`, {
      evidence: `${l.facts.name}: ${answerText(l.cname)}`,
      fix: `Publish CNAME ${l.facts.name} -> ${l.facts.expectedTarget ?? `the Selector${l.facts.selector.slice(-1)}CNAME value from Get-DkimSigningConfig`}.`,
    }));
  }

  // Targets: Microsoft's patterns, the selector number, one tenant.
  for (const [i, l] of pair.entries()) {
    const target = l.facts.target;
    if (target === null) continue;
    const t = parsed[i];
    const n = i + 1;
    if (!t) {
      const why = diagnoseDkimTarget(target, d);
      findings.push(finding('DKIM_TARGET_INVALID', `The ${l.facts.selector} CNAME target does not match Microsoft's DKIM patterns${why ? `: ${why}` : ''}.`, {
        evidence: `${l.facts.name} CNAME ${target}`,
        fix: `Point ${l.facts.name} at the exact Selector${n}CNAME value from Get-DkimSigningConfig (selector${n}-<domain>._domainkey.<tenant>.onmicrosoft.com, or …<tenant>.<c>-v1.dkim.mail.microsoft); do not proxy it (Cloudflare: DNS only).`,
      }));
      continue;
    }
    if (t.selector !== n) {
      findings.push(finding('DKIM_TENANT_MISMATCH', `${l.facts.name} points at a selector${t.selector} target; Microsoft 365 signs with selector${n}'s key under this name.`, {
        evidence: `${l.facts.name} CNAME ${target}`,
        fix: `Point ${l.facts.name} at the selector${n}-… target (Selector${n}CNAME in Get-DkimSigningConfig).`,
      }));
    }
  }
  // Different tenants, or one tenant name under two clouds' initial domains: two different tenants either way.
  // (One legacy and one new-form target of the same tenant is odd but not a mismatch: a note below.)
  const differentCloud = t1?.format === 'legacy' && t2?.format === 'legacy' && t1.suffix !== t2.suffix;
  if (t1 && t2 && (t1.tenant !== t2.tenant || differentCloud)) {
    findings.push(finding('DKIM_TENANT_MISMATCH', `selector1 names tenant ${t1.tenant} (${t1.suffix}) but selector2 names ${t2.tenant} (${t2.suffix}); both must point at the same tenant. selector1's (${t1.tenant}) is reported.`, {
      evidence: `${pair[0]?.facts.name} CNAME ${pair[0]?.facts.target}; ${pair[1]?.facts.name} CNAME ${pair[1]?.facts.target}`,
      fix: 'Publish both CNAMEs exactly as Get-DkimSigningConfig shows them for the tenant that sends this domain\'s mail.',
    }));
  } else if (t1 && t2 && t1.format === 'new' && t2.format === 'new' && t1.partition !== t2.partition) {
    notes.push(`selector1 and selector2 name different partitions (${t1.partition}-v1 and ${t2.partition}-v1); Microsoft assigns one per domain, so check the values in Get-DkimSigningConfig.`);
  }
  if (given !== null && tenant !== null && given !== tenant) {
    findings.push(finding('DKIM_TENANT_MISMATCH', `The selector CNAMEs name tenant ${tenant}, but the tenant given is ${given}.`, {
      evidence: `${pair.map((l) => `${l.facts.name} CNAME ${l.facts.target ?? '(none)'}`).join('; ')}`,
      fix: `If ${given} is the tenant that will send this domain's mail, publish its targets (${expected?.targets.join(', ')}; copy the exact values from Get-DkimSigningConfig).`,
    }));
  }
  if (format === 'mixed') notes.push('One selector uses the legacy onmicrosoft target and the other the newer dkim.mail.microsoft target; Microsoft gives a domain one form, so check both values in Get-DkimSigningConfig.');
  if (format === 'new' || format === 'mixed') notes.push('The selectors use the newer selectorN-<domain>._domainkey.<tenant>.<c>-v1.dkim.mail.microsoft targets (domains added since May 2025); these targets do not name the cloud.');
  for (const [i, t] of parsed.entries()) {
    if (!t) continue;
    if (!tokenMatches(t.token, d)) {
      // Most often a value copied from another domain's setup: Microsoft signs this domain with
      // the key behind its own target, so receivers following this CNAME get the wrong key.
      notes.push(`The selector${i + 1} target's domain part is ${t.token}, which does not fit ${d} even allowing for Microsoft's suffixes: it looks like another domain's value. Copy Selector${i + 1}CNAME from Get-DkimSigningConfig -Identity ${d}.`);
    } else if (given !== null && t.tenant === given && t.token !== dashed(d)) {
      notes.push(`The selector${i + 1} target's domain part is ${t.token}, not ${dashed(d)}: Microsoft adds suffixes at times, so compare with Get-DkimSigningConfig rather than building targets by hand.`);
    }
  }

  // Keys behind the targets.
  for (const l of pair) if (l.facts.target !== null) keyFindings(l.facts, findings);
  // Whether keys are published yet is asked of Microsoft's targets only: a wrong target is already an error.
  const withTarget = pair.filter((l, i) => l.facts.target !== null && parsed[i] !== null);
  const keyed = withTarget.filter((l) => l.facts.key.status !== 'missing' && l.facts.key.status !== 'unknown');
  const keysKnown = withTarget.every((l) => l.facts.key.status !== 'unknown');
  if (withTarget.length > 0 && keysKnown && keyed.length === 0) {
    findings.push(finding('DKIM_NO_KEY', `${withTarget.length === 2 ? 'Neither CNAME target publishes' : 'The CNAME target does not publish'} a DKIM key yet, so no signature made with d=${d} can be verified.`, {
      evidence: withTarget.map((l) => `${l.facts.target} TXT: ${answerText(l.txt)}`).join('; '),
      fix: `Create (or enable) the DKIM signing configuration for ${d} in the Defender portal or with New-DkimSigningConfig -DomainName ${d} -KeySize 2048 -Enabled $true; Microsoft publishes the keys behind the CNAMEs.`,
    }));
  } else if (withTarget.length === 2 && keysKnown && keyed.length === 1) {
    const waiting = withTarget.find((l) => l.facts.key.status === 'missing') as Lookup;
    findings.push(finding('DKIM_KEY_PENDING', `${waiting.facts.target} does not publish a key yet; Microsoft publishes the second selector's key later, which is normal.`, {
      evidence: `${waiting.facts.target} TXT: ${answerText(waiting.txt)}`,
    }));
  }

  // Other senders' selectors: the generic key checks.
  for (const l of extras) {
    const k = l.facts.key;
    if (k.status === 'unknown') continue;
    keyFindings(l.facts, findings);
    findings.push(finding('DKIM_SELECTOR_KEY', `Selector ${l.facts.selector}: ${describeKey(k)}.`, {
      evidence: `${l.facts.name}${l.facts.target ? ` CNAME ${l.facts.target}` : ''} TXT: ${k.record === null ? answerText(l.txt) : `"${k.record}"`}`,
    }));
  }

  for (const l of [...pair, ...extras]) {
    const k = l.facts.key;
    if ('notes' in k) for (const n of k.notes) notes.push(`${l.facts.selector}: ${n}`);
  }
  notes.unshift(`DNS cannot prove DKIM signing is switched on. Check for d=${d} in the DKIM-Signature header of a message sent from Microsoft 365, or run Get-DkimSigningConfig -Identity ${d} and look for Enabled True and Status Valid. Until signing is on, Microsoft 365 signs with d=${tenant ?? given ?? '<tenant>'}.${CLOUD_ENDPOINTS[hints.cloud ?? cloud ?? 'worldwide'].initialDomainSuffix}, which does not align with ${d} for DMARC.`);

  const section: DkimSection = {
    status: statusFrom(findings),
    selectors: pair.map((l) => capFacts(l.facts)),
    tenant,
    cloud,
    format,
    expected,
    extraSelectors: extras.map((l) => capFacts(l.facts)),
    notes: [...new Set(notes)].map((n) => capText(n)),
  };
  return { section, findings: capFindings(findings) };
}

/** A selector's facts as a report keeps them: the strings that come from DNS cut at MAX_TEXT_LENGTH. */
function capFacts(f: DkimSelectorFacts): DkimSelectorFacts {
  const key: DkimKeyReport = f.key.record === null ? f.key : { ...f.key, record: capText(f.key.record), problem: f.key.problem === null ? null : capText(f.key.problem), notes: f.key.notes.map((n) => capText(n)) };
  return { ...f, txtInstead: f.txtInstead === null ? null : capText(f.txtInstead), key };
}

async function lookupSelector(dns: DnsClient, selector: string, domain: string): Promise<Lookup> {
  const name = `${selector}._domainkey.${domain}`;
  // Both at once: the CNAME says what the name is; TXT follows it to the key (or finds a TXT in its place).
  // The TXT first: its reply carries the alias, which the DnsClient then need not ask (client.ts afterAlias).
  const txtAsked = dns.resolve(name, 'TXT');
  const [cname, txt] = await Promise.all([dns.resolve(name, 'CNAME'), txtAsked]);
  const target = cname.kind === 'records' && cname.records[0] ? canonName(cname.records[0]) : null;
  const facts: DkimSelectorFacts = {
    selector, name, target, format: null, tenant: null, token: null, txtInstead: null,
    key: { status: cname.kind === 'tempfail' || txt.kind === 'tempfail' ? 'unknown' : 'missing', record: null },
    expectedTarget: null,
  };
  if (txt.kind === 'records' && cname.kind !== 'tempfail') {
    // An empty TXT string publishes nothing: no key, as verifiers read it.
    const records = txt.records.filter((r) => typeof r === 'string' && r.trim() !== '');
    if (target === null && records.length > 0) facts.txtInstead = records.join(' | ');
    if (records.length > 0) {
      // Several TXT records at a key name leave verifiers to pick one: evaluate the one that looks like a key.
      const chosen = records.find((r) => /(^|;)\s*p\s*=/.test(r)) ?? (records[0] as string);
      const key = evaluateDkimKey(chosen);
      if (records.length > 1) key.notes.push(`${records.length} TXT records at the key name; verifiers may read any of them`);
      facts.key = key;
    }
  }
  return { facts, cname, txt };
}

function keyFindings(facts: DkimSelectorFacts, findings: Finding[]): void {
  const k = facts.key;
  if (k.status === 'missing' || k.status === 'unknown') return;
  const where = facts.target ?? facts.name;
  const evidence = `${where} TXT "${k.record}"`;
  switch (k.status) {
    case 'invalid':
      findings.push(finding('DKIM_KEY_INVALID', `The DKIM key for ${facts.selector} cannot be used: ${k.problem ?? 'it does not parse'}.`, {
        evidence,
        fix: facts.target && parseDkimTarget(facts.target)
          ? `Microsoft publishes this key: rotate it (Rotate-DkimSigningConfig -Identity <domain>) or open a case if it stays broken.`
          : `Publish the key record exactly as the sender gives it (v=DKIM1; k=rsa; p=<base64 key>).`,
      }));
      break;
    case 'revoked':
      findings.push(finding('DKIM_KEY_REVOKED', `The DKIM key for ${facts.selector} is revoked (empty p=): signatures with it fail.`, {
        evidence,
        fix: 'If the selector is still used to sign, publish its current key; if not, remove the record once no mail signed with it is in transit.',
      }));
      break;
    case 'insecure':
      findings.push(finding('DKIM_KEY_INSECURE', `The DKIM key for ${facts.selector} is RSA ${k.bits} bits; verifiers must reject keys under 1024 bits (RFC 8301).`, {
        evidence,
        fix: 'Rotate to a 2048-bit key (Microsoft 365: Rotate-DkimSigningConfig -Identity <domain> -KeySize 2048).',
      }));
      break;
    case 'weak':
      findings.push(finding('DKIM_KEY_WEAK', `The DKIM key for ${facts.selector} is RSA ${k.bits} bits; 2048 is recommended.`, {
        evidence,
        fix: 'Rotate to a 2048-bit key (Microsoft 365: Rotate-DkimSigningConfig -Identity <domain> -KeySize 2048; rotation takes effect within 96 hours).',
      }));
      break;
    default:
      break;
  }
}

function describeKey(k: DkimKeyReport): string {
  switch (k.status as DkimKeyStatus | 'missing' | 'unknown') {
    case 'missing':
      return 'no key published';
    case 'unknown':
      return 'the lookup failed';
    case 'revoked':
      return 'revoked (empty p=)';
    case 'invalid':
      return `invalid key (${(k as DkimKeyFacts).problem ?? 'does not parse'})`;
    default: {
      const f = k as DkimKeyFacts;
      return `${(f.type ?? 'rsa').toUpperCase()} ${f.bits ?? '?'}-bit key${f.status === 'valid' ? '' : ` (${f.status})`}`;
    }
  }
}

function extraSelectorNames(selectors: readonly string[] | undefined, notes: string[]): string[] {
  const out: string[] = [];
  for (const raw of selectors ?? []) {
    const s = canonName(String(raw).trim());
    if (s === '' || (M365_SELECTORS as readonly string[]).includes(s) || out.includes(s)) continue;
    if (!isDkimSelector(s)) {
      notes.push(`"${raw}" is not a DKIM selector name; it was skipped.`);
      continue;
    }
    if (out.length >= MAX_EXTRA_SELECTORS) {
      notes.push(`Only the first ${MAX_EXTRA_SELECTORS} extra selectors were checked.`);
      break;
    }
    out.push(s);
  }
  return out;
}

function answerText(a: DnsAnswer<string> | undefined): string {
  if (!a) return 'no answer';
  switch (a.kind) {
    case 'records':
      return a.records.length === 0 ? 'no records' : listText(a.records.map((r) => `"${r}"`), ' ');
    case 'nxdomain':
      return 'NXDOMAIN';
    case 'nodata':
      return 'no records';
    case 'tempfail':
      return a.code;
  }
}
