/**
 * The rules that turn a message's facts into findings (DESIGN.md's message
 * rows), each with the typed cause the diagnosis is built from, its clause
 * ("SPF fail for 203.0.113.7: …"), its remedy and the records that fix it.
 * One small rule per code, facts in, judgements out; pure, never throws.
 */
import { finding, type Finding, type FindingCode } from '../findings/catalog.js';
import { tempfailFinding } from '../findings/status.js';
import { CLOUD_ENDPOINTS, type Cloud } from '../m365/clouds.js';
import { capText, listText } from '../util/caps.js';
import { BCL_DEFAULT_THRESHOLD } from './antispam.js';
import type { DkimSignatureVerdict } from './dkim-verify.js';
import { dkimCnameFixes, spfFix, spfTermForIp, tenantOfSigningDomain } from './fixes.js';
import { isMicrosoftHost } from './received.js';
import type { DiagnosisCause, DkimFailureKind, FixRecord, HeaderAnalysis, MessageVerdicts, NdrRecipient, NdrReport } from './report.js';

/** One finding with what the diagnosis says of it. */
export interface Judgement {
  finding: Finding;
  /** The cause the diagnosis lists, or null for a finding it leaves to the findings list (hops without TLS, …). */
  cause: DiagnosisCause | null;
  /** What happened, as a clause of the diagnosis's first sentence; null when it adds nothing there. */
  clause: string | null;
  /** What to do, as a clause of the fix sentence; null when nothing is to be done. */
  remedy: string | null;
  records: FixRecord[];
}

/** The verdict categories Microsoft files as phishing (DESIGN.md MESSAGE_PHISH). */
const PHISH_CATEGORIES = new Set(['PHSH', 'HPHSH', 'HPHISH']);
/** SFV values that mean the message was marked as spam (DESIGN.md MESSAGE_SPAM: SFV:SPM). */
const SPAM_SFV = new Set(['SPM']);
/** SCL from which Microsoft treats a message as spam (Learn SCL page: 5 and 6 spam, 7-9 high confidence). */
const SPAM_SCL = 5;
/** Most DKIM signatures judged one by one (the verifier checks at most 10). */
const MAX_JUDGED_SIGNATURES = 10;

type Scope = DiagnosisCause['scope'];

interface Context {
  a: HeaderAnalysis;
  scope: Scope;
  cloud: Cloud;
  /** When the analysis ran: signatures that expire before it are expired. */
  now: Date;
}

const failing = (r: string | null | undefined): boolean => r === 'fail' || r === 'softfail';
const where = (scope: Scope): string => (scope === 'returned' ? 'The returned message: ' : '');

function judgement(code: FindingCode, message: string, parts: { evidence?: string | undefined; fix?: string | undefined; cause?: DiagnosisCause | null; clause?: string | null; remedy?: string | null; records?: FixRecord[] }): Judgement {
  return {
    finding: finding(code, capText(message), { evidence: parts.evidence === undefined ? undefined : capText(parts.evidence), fix: parts.fix === undefined ? undefined : capText(parts.fix) }),
    cause: parts.cause ?? null,
    clause: parts.clause ?? null,
    remedy: parts.remedy ?? null,
    records: parts.records ?? [],
  };
}

/** Whether the message left through Microsoft 365's outbound servers: the connecting host's PTR or HELO is Microsoft's, or the first Microsoft hop came from Microsoft. */
export function sentByMicrosoft(a: HeaderAnalysis): boolean {
  const ff = a.recorded.antispam.forefront;
  if (isMicrosoftHost(ff?.ptr ?? null) || isMicrosoftHost(ff?.helo ?? null)) return true;
  const hop = a.route.firstMicrosoftHop === null ? null : a.route.hops[a.route.firstMicrosoftHop];
  if (!hop) return false;
  // A tenant-to-tenant relay: the hop Microsoft recorded first is the sending tenant's, and CIP (the address used) is Microsoft's.
  return hop.fromMicrosoft && a.connectingIp.source === 'forefront-cip';
}

/** The domain of an address or a bare domain, lower case. */
function domainOf(s: string | null | undefined): string | null {
  if (!s) return null;
  const at = s.lastIndexOf('@');
  const d = (at < 0 ? s : s.slice(at + 1)).trim().toLowerCase().replace(/>$/, '');
  return d === '' ? null : d;
}

// ---------------------------------------------------------------- SPF

function judgeSpf(c: Context): Judgement[] {
  const { a, scope, cloud } = c;
  const v = a.verdicts;
  const ours = v?.spf.status === 'evaluated' ? v.spf : null;
  const rec = a.recorded.spf;
  const oursFails = ours !== null && failing(ours.result);
  if (!oursFails && !failing(rec?.result)) return [];
  const ip = ours?.ip ?? rec?.senderIp ?? a.connectingIp.ip;
  const domain = ours?.domain ?? domainOf(rec?.mailFrom) ?? domainOf(v?.identity.mailFrom);
  const result = oursFails ? (ours?.result ?? 'fail') : (rec?.result ?? 'fail');
  const recordedToo = rec !== null && rec.result !== (ours?.result ?? '') ? `; the receiver recorded ${rec.result}` : '';
  const message = oursFails
    ? `${where(scope)}${ip} does not pass the SPF policy of ${domain ?? 'the MAIL FROM domain'} (${result} today${recordedToo}), so SPF does not authenticate the message.`
    : `${where(scope)}The receiver recorded SPF ${rec?.result} for ${ip ?? 'the connecting IP'} and ${domain ?? 'the MAIL FROM domain'}; today's DNS gives ${ours ? ours.result : 'no result (SPF was not evaluated)'}.`;
  const evidence = ours
    ? `check_host(${ours.ip}, ${ours.domain}, ${ours.sender}) = ${ours.result}: ${ours.reason}${ours.record ? `; record: ${ours.record}` : ''}`
    : `Authentication-Results: spf=${rec?.result}${rec?.mailFrom ? ` smtp.mailfrom=${rec.mailFrom}` : ''}${rec?.senderIp ? ` (sender IP is ${rec.senderIp})` : ''}`;
  const microsoft = sentByMicrosoft(a);
  const include = CLOUD_ENDPOINTS[cloud].spfInclude;
  const term = microsoft ? `include:${include}` : ip ? spfTermForIp(ip) : null;
  const records: FixRecord[] = [];
  if (oursFails && ours && ours.records.length === 0 && term && domain) {
    const why = microsoft
      ? `The message left through Microsoft 365, whose outbound addresses ${include} lists.`
      : `Authorizes ${ip}; if it is a sending service's, add the include its setup guide gives instead.`;
    const r = spfFix('MESSAGE_SPF_FAIL', domain, ours.record, term, why);
    if (r) records.push(r);
  }
  const remedy = domain === null ? 'send with a MAIL FROM domain whose SPF lists the sending server'
    : microsoft ? `add include:${include} to the SPF record of ${domain}`
      : `add ${term ?? `the sending address`} (or the include your sending service documents) to the SPF record of ${domain}`;
  const fix = records[0] ? `Publish TXT "${records[0].value}" at ${domain}.` : capText(`${remedy.charAt(0).toUpperCase()}${remedy.slice(1)}.`);
  const because = oursFails && ours?.record ? `${domain}'s SPF does not list it` : oursFails && ours ? `${domain} publishes no single SPF record` : 'as the receiver recorded';
  return [judgement('MESSAGE_SPF_FAIL', message, {
    evidence, fix, records,
    cause: { code: 'MESSAGE_SPF_FAIL', scope, ip, domain, result, recorded: !oursFails },
    clause: `SPF ${result} for ${ip ?? 'the connecting IP'}${domain ? ` (${because})` : ''}`,
    remedy,
  })];
}

// ---------------------------------------------------------------- DKIM

/** Why a signature does not verify, in one word. */
export function dkimFailureOf(s: DkimSignatureVerdict, now: Date): DkimFailureKind {
  if (s.bodyHash === 'mismatch') return 'body-changed';
  const key = s.key?.status;
  if (key === 'missing') return 'key-missing';
  if (key === 'revoked') return 'key-revoked';
  if (key === 'insecure' || s.result === 'policy') return 'key-too-small';
  if (key === 'invalid') return 'key-unusable';
  if (s.expiresAt !== null && Date.parse(s.expiresAt) < now.getTime()) return 'expired';
  if (s.result === 'fail') return 'bad-signature';
  return 'not-processed';
}

const DKIM_WHY: Record<DkimFailureKind, (s: DkimSignatureVerdict) => string> = {
  'body-changed': () => 'the body no longer hashes to bh=: the message was changed after it was signed',
  'bad-signature': () => 'the signature does not verify with the key published now (a signed header field changed, or the key was replaced)',
  'key-missing': (s) => `there is no key at ${s.key?.name ?? `${s.selector}._domainkey.${s.domain}`}`,
  'key-revoked': (s) => `the key at ${s.key?.name ?? s.selector} is revoked (empty p=)`,
  'key-unusable': (s) => `the key record at ${s.key?.name ?? s.selector} is not usable${s.key?.problem ? ` (${s.key.problem})` : ''}`,
  'key-too-small': (s) => `the RSA key has ${s.key?.bits ?? 'fewer than 1024'} bits; verifiers refuse keys under 1024 (RFC 8301 3.2)`,
  expired: (s) => `the signature expired at ${s.expiresAt}`,
  'not-processed': (s) => `the signature could not be processed${s.reason ? ` (${s.reason})` : ''}`,
};

const DKIM_FIX: Record<DkimFailureKind, (s: DkimSignatureVerdict) => string> = {
  'body-changed': () => 'find what changed the message after signing (a gateway or list that adds a footer or rewrites links) and sign after it, or let the receiver trust its ARC seal',
  'bad-signature': (s) => `publish the key the signer uses now at ${s.key?.name ?? `${s.selector}._domainkey.${s.domain}`}, or have it sign with the published one`,
  'key-missing': (s) => `publish the signer's public key at ${s.key?.name ?? `${s.selector}._domainkey.${s.domain}`} (Microsoft 365: the selector CNAME)`,
  'key-revoked': (s) => `sign with a selector whose key is published, or re-publish the key at ${s.key?.name ?? s.selector}`,
  'key-unusable': (s) => `republish the key record at ${s.key?.name ?? s.selector} as v=DKIM1; k=rsa; p=<base64 key>`,
  'key-too-small': () => 'rotate to a 2048-bit key',
  expired: () => 'have the signer use an expiry (x=) after delivery, or none',
  'not-processed': () => 'check the signature against RFC 6376 with the signer',
};

function judgeDkim(c: Context): Judgement[] {
  const { a, scope, now } = c;
  const dkim = a.verdicts?.dkim;
  if (!dkim) return [];
  const out: Judgement[] = [];
  for (const s of dkim.signatures.slice(0, MAX_JUDGED_SIGNATURES)) {
    if (s.result === 'pass') {
      if (s.key?.status === 'weak') {
        out.push(judgement('DKIM_KEY_WEAK', `${where(scope)}The DKIM key of d=${s.domain} s=${s.selector} has ${s.key.bits} bits; 2048 is recommended (RFC 8301 3.2 allows 1024 to 4096).`, {
          evidence: `${s.key.name} TXT: ${s.key.record ?? ''}`, fix: `Rotate ${s.domain}'s DKIM key to 2048 bits (Microsoft 365: Rotate DKIM keys in the Defender portal, or Rotate-DkimSigningConfig -KeySize 2048).`,
          cause: { code: 'DKIM_KEY_WEAK', scope, domain: s.domain, selector: s.selector, result: s.result },
          remedy: `rotate the ${s.key.bits}-bit DKIM key of ${s.domain} to 2048 bits`,
        }));
      }
      continue;
    }
    if (s.result === 'temperror') continue;
    const kind = dkimFailureOf(s, now);
    out.push(judgement('MESSAGE_DKIM_INVALID', `${where(scope)}The DKIM signature of d=${s.domain} s=${s.selector} does not verify against today's DNS (${s.result}): ${DKIM_WHY[kind](s)}.`, {
      evidence: `DKIM-Signature d=${s.domain} s=${s.selector} a=${s.algorithm}: ${s.result}${s.reason ? ` (${s.reason})` : ''}; body hash ${s.bodyHash}${s.key ? `; key ${s.key.name}: ${s.key.status}${s.key.bits ? `, ${s.key.bits} bits` : ''}` : ''}`,
      fix: `${DKIM_FIX[kind](s).replace(/^./, (x) => x.toUpperCase())}.`,
      cause: { code: 'MESSAGE_DKIM_INVALID', scope, domain: s.domain, selector: s.selector, result: s.result, dkimFailure: kind },
      clause: `DKIM d=${s.domain} ${s.result} (${kind.replace(/-/g, ' ')})`,
      remedy: DKIM_FIX[kind](s),
    }));
  }
  return out;
}

function judgeDkimAlignment(c: Context): Judgement[] {
  const { a, scope, cloud } = c;
  const v = a.verdicts;
  if (!v || !v.dkim || v.dkim.problem !== null) return [];
  const from = v.dmarc.fromDomain;
  if (from === null || v.dmarc.dkimAligned) return [];
  // An NDR returns the message as it was before Exchange Online signed it on the way out: no signature there says nothing.
  if (scope === 'returned' && v.dkim.signatures.length === 0) return [];
  const signing = v.dkim.signatures.map((s) => s.domain);
  const tenant = signing.map(tenantOfSigningDomain).find((t): t is string => t !== null) ?? null;
  const microsoft = tenant !== null || sentByMicrosoft(a);
  const records = tenant !== null ? dkimCnameFixes('MESSAGE_DKIM_NOT_ALIGNED', from, tenant, cloud) : [];
  // A signature whose d= aligns but that does not verify: MESSAGE_DKIM_INVALID says why and what to do.
  const alignedFailing = v.dmarc.dkim.filter((x) => x.domainAligned && x.result !== 'pass').map((x) => x.domain ?? '');
  const what = signing.length === 0 ? 'the message is not DKIM-signed'
    : alignedFailing.length > 0 ? `the signature of d=${alignedFailing[0]} aligns but does not verify`
      : `it is signed only by ${listText(signing.map((d) => `d=${d}`), ', ', 5)}, which does not align`;
  const remedy = alignedFailing.length > 0 ? null : microsoft
    ? `sign as ${from}: turn on DKIM for ${from} in Microsoft 365 (Defender portal > Email authentication settings > DKIM) with its two selector CNAMEs`
    : `sign with DKIM as ${from} (d=${from}, or a subdomain under relaxed alignment)`;
  return [judgement('MESSAGE_DKIM_NOT_ALIGNED', `${where(scope)}No valid DKIM signature aligns with the From domain ${from}: ${what} (${v.dmarc.dkimMode === 's' ? 'strict' : 'relaxed'} alignment).`, {
    evidence: signing.length === 0 ? 'no DKIM-Signature field' : v.dkim.signatures.map((s) => `d=${s.domain} s=${s.selector}: ${s.result}`).join('; '),
    fix: remedy === null ? 'See MESSAGE_DKIM_INVALID: once that signature verifies, it aligns.' : `${remedy.replace(/^./, (x) => x.toUpperCase())}.`,
    records,
    cause: { code: 'MESSAGE_DKIM_NOT_ALIGNED', scope, domain: from, signingDomains: signing, dkimAligned: false },
    clause: alignedFailing.length > 0 ? null : signing.length === 0 ? `DKIM was not signed with d=${from}` : `DKIM was not signed with d=${from} (only ${listText(signing.map((d) => `d=${d}`), ', ', 3)})`,
    remedy,
  })];
}

// ---------------------------------------------------------------- DMARC

function judgeDmarc(c: Context): Judgement[] {
  const { a, scope } = c;
  const v = a.verdicts;
  const rec = a.recorded.dmarc;
  const ours = v?.dmarc ?? null;
  const oursFails = ours !== null && ours.result === 'fail' && (v?.dmarcComplete ?? false);
  // Without SPF (no connecting IP) our DMARC is incomplete: the receiver's recorded fail stands in.
  const recordedFails = !oursFails && rec?.result === 'fail' && !(v?.dmarcComplete ?? false);
  if (!oursFails && !recordedFails) return [];
  const domain = ours?.fromDomain ?? domainOf(rec?.headerFrom);
  const applied = ours?.appliedPolicy ?? null;
  const policyWord = applied ? `${applied.tag}=${applied.policy}${applied.effective !== applied.policy ? ` (applied as ${applied.effective} under t=y)` : ''}` : rec?.action ? `action=${rec.action}` : 'no policy found';
  const spfAligned = ours?.spf.aligned ?? false;
  const dkimAligned = ours?.dkimAligned ?? false;
  const spfWhy = ours ? (ours.spf.domain === null ? 'SPF was not evaluated' : ours.spf.result !== 'pass' ? `SPF ${ours.spf.result} for ${ours.spf.domain}` : ours.spf.domainAligned ? 'SPF passed' : `SPF passed for ${ours.spf.domain}, which does not align`) : 'as the receiver recorded';
  const message = oursFails
    ? `${where(scope)}DMARC fails for ${domain}: neither SPF nor DKIM passes aligned with the From domain (${spfWhy}; ${dkimAligned ? 'DKIM aligned' : 'no aligned DKIM pass'}); the policy is ${policyWord}.`
    : `${where(scope)}The receiver recorded DMARC fail for ${domain ?? 'the From domain'}${rec?.action ? ` (action=${rec.action})` : ''}; without the connecting IP m365audit cannot evaluate SPF, so it reports the receiver's result.`;
  const remedy = spfAligned || dkimAligned ? null
    : ours && ours.spf.result === 'pass' && !ours.spf.domainAligned
      ? `or align SPF: send with a MAIL FROM (Return-Path) domain under ${domain}`
      : null;
  const effective = applied?.effective ?? null;
  // "Applied" is the receiver's doing: said when it recorded the failure with an action, else today's result.
  const enforced = rec?.result === 'fail' && ['quarantine', 'reject', 'oreject'].includes(rec.action?.toLowerCase() ?? '');
  return [judgement('MESSAGE_DMARC_FAIL', message, {
    evidence: ours?.policy ? `_dmarc.${ours.policy.domain} TXT: ${ours.policy.record}` : `Authentication-Results: dmarc=${rec?.result ?? 'fail'}${rec?.action ? ` action=${rec.action}` : ''}${rec?.headerFrom ? ` header.from=${rec.headerFrom}` : ''}`,
    fix: remedy ? `Sign with DKIM as ${domain}, ${remedy}.` : `Make SPF or DKIM pass aligned with ${domain ?? 'the From domain'} (see the SPF and DKIM findings).`,
    cause: { code: 'MESSAGE_DMARC_FAIL', scope, domain, policy: effective, policyTag: applied?.tag ?? null, spfAligned, dkimAligned, recorded: !oursFails, result: 'fail' },
    clause: effective && effective !== 'none'
      ? (enforced ? `DMARC p=${effective} applied${applied && applied.tag !== 'p' ? ` (${applied.tag}=)` : ''}` : `DMARC fails today (${applied?.tag ?? 'p'}=${effective})`)
      : `DMARC failed${effective === 'none' ? ' (p=none: monitoring only)' : ''}`,
    remedy,
  })];
}

function judgeFrom(c: Context): Judgement[] {
  const p = c.a.verdicts?.dmarc.fromProblem;
  if (!p) return [];
  return [judgement('MESSAGE_FROM_PROBLEM', `${where(c.scope)}${p.message.charAt(0).toUpperCase()}${p.message.slice(1)}.`, {
    evidence: c.a.summary.from === null ? 'no From field' : `From: ${c.a.summary.from}`,
    fix: 'Send with one From address whose domain is the sending domain.',
    cause: { code: 'MESSAGE_FROM_PROBLEM', scope: c.scope },
    clause: p.kind === 'several-from-domains' ? 'the From field names several domains, so DMARC cannot evaluate it' : p.kind === 'no-from' ? 'there is no From address, so DMARC cannot evaluate it' : 'the From address has no usable domain, so DMARC cannot evaluate it',
    remedy: 'send with one From address, in the sending domain',
  })];
}

// ---------------------------------------------------------------- Microsoft's verdicts

function judgeCompauth(c: Context): Judgement[] {
  const { a, scope } = c;
  const ca = a.recorded.compauth;
  if (a.recorded.receiver !== 'microsoft' || ca?.result !== 'fail') return [];
  const reason = ca.reason;
  const domain = a.verdicts?.dmarc.fromDomain ?? domainOf(a.recorded.dmarc?.headerFrom) ?? a.summary.fromDomain;
  const implicit = reason?.class === '001';
  const remedy = implicit
    ? `authenticate ${domain ?? 'the From domain'}'s mail: SPF that lists the sender, DKIM signed as ${domain ?? 'the domain'}, and a DMARC record`
    : reason?.class === '002' || reason?.class === '010' || reason?.class === '6xx' ? 'check the tenant\'s spoof intelligence and accepted-domain settings (Defender portal > Tenant Allow/Block Lists > Spoofed senders)' : null;
  return [judgement('MESSAGE_COMPAUTH_FAIL', `${where(scope)}Microsoft 365's composite authentication failed the message${reason ? ` (reason ${reason.code}${reason.meaning ? `: ${reason.meaning}` : ''})` : ''}.`, {
    evidence: `Authentication-Results: compauth=fail${reason ? ` reason=${reason.code}` : ''}`,
    fix: remedy ? `${remedy.replace(/^./, (x) => x.toUpperCase())}.` : 'Make DMARC pass for the From domain (see the SPF, DKIM and DMARC findings).',
    cause: { code: 'MESSAGE_COMPAUTH_FAIL', scope, domain, reason: reason?.code ?? null, reasonClass: reason?.class ?? null, recorded: true },
    clause: `compauth=fail${reason ? ` reason=${reason.code}` : ''}${implicit ? ' (implicit authentication: no or weak SPF/DKIM/DMARC)' : ''}`,
    remedy,
  })];
}

function judgePhish(c: Context): Judgement[] {
  const cat = c.a.recorded.antispam.forefront?.cat?.toUpperCase() ?? null;
  if (cat === null || !PHISH_CATEGORIES.has(cat)) return [];
  return [judgement('MESSAGE_PHISH', `${where(c.scope)}Microsoft 365 filed the message as ${cat === 'PHSH' ? 'phishing' : 'high confidence phishing'} (CAT:${cat}).`, {
    evidence: `X-Forefront-Antispam-Report: CAT:${cat}`,
    fix: 'If the message is legitimate, submit it to Microsoft as not phishing (Defender portal > Submissions) and make its authentication pass; if not, nothing to do.',
    cause: { code: 'MESSAGE_PHISH', scope: c.scope, category: cat, recorded: true },
    clause: `Microsoft filed it as ${cat === 'PHSH' ? 'phishing' : 'high confidence phishing'} (CAT:${cat})`,
    remedy: 'if it is legitimate, submit it to Microsoft as not phishing (Defender portal > Submissions)',
  })];
}

function judgeSpam(c: Context): Judgement[] {
  const as = c.a.recorded.antispam;
  const sfv = as.forefront?.sfv?.toUpperCase() ?? null;
  const scl = as.scl;
  if (!(scl !== null && scl >= SPAM_SCL) && !(sfv !== null && SPAM_SFV.has(sfv))) return [];
  return [judgement('MESSAGE_SPAM', `${where(c.scope)}Microsoft 365 marked the message as spam${scl !== null ? ` (SCL ${scl}${as.sclMeaning ? `: ${as.sclMeaning}` : ''})` : ''}${sfv ? `, SFV:${sfv}` : ''}.`, {
    evidence: `X-Forefront-Antispam-Report:${scl !== null ? ` SCL:${scl};` : ''}${sfv ? ` SFV:${sfv};` : ''}${as.forefront?.cat ? ` CAT:${as.forefront.cat};` : ''}`,
    fix: 'If the message is legitimate, submit it to Microsoft as not junk (Defender portal > Submissions); fixing its authentication removes the most common cause.',
    cause: { code: 'MESSAGE_SPAM', scope: c.scope, scl, sfv, category: as.forefront?.cat ?? null, recorded: true },
    clause: `spam verdict${scl !== null ? ` SCL ${scl}` : ''}${sfv ? ` (SFV:${sfv})` : ''}`,
    remedy: null,
  })];
}

/** Whether Microsoft's verdict names bulk: CAT:BULK or SRV:BULK. */
export function bulkVerdict(a: HeaderAnalysis): boolean {
  const ff = a.recorded.antispam.forefront;
  return ff?.cat?.toUpperCase() === 'BULK' || ff?.srv?.toUpperCase() === 'BULK';
}

function judgeBulk(c: Context): Judgement[] {
  const as = c.a.recorded.antispam;
  if (as.bcl === null || as.bcl < BCL_DEFAULT_THRESHOLD) return [];
  return [judgement('MESSAGE_BULK', `${where(c.scope)}Microsoft 365 rated the sender as bulk: BCL ${as.bcl}${as.bclMeaning ? ` (${as.bclMeaning})` : ''}, at or above the default threshold ${BCL_DEFAULT_THRESHOLD}.`, {
    evidence: `X-Microsoft-Antispam: BCL:${as.bcl};${bulkVerdict(c.a) ? ` X-Forefront-Antispam-Report: ${as.forefront?.cat?.toUpperCase() === 'BULK' ? 'CAT:BULK' : 'SRV:BULK'}` : ''}`,
    fix: `If the recipients want this mail, raise the bulk threshold of the anti-spam policy above ${as.bcl} or allow the sender (Defender portal > Anti-spam policies); the sender lowers its BCL by sending only to people who asked.`,
    cause: { code: 'MESSAGE_BULK', scope: c.scope, bcl: as.bcl, threshold: BCL_DEFAULT_THRESHOLD, recorded: true },
    clause: `bulk: BCL ${as.bcl} (threshold ${BCL_DEFAULT_THRESHOLD})`,
    remedy: `raise the anti-spam policy's bulk threshold above ${as.bcl} or allow the sender, if the recipients want this mail`,
  })];
}

// ---------------------------------------------------------------- today vs then

function judgeDifferences(c: Context): Judgement[] {
  return c.a.differences.map((d) => {
    const what = d.method === 'dkim' ? `DKIM d=${d.domain}${d.selector ? ` s=${d.selector}` : ''}` : d.method.toUpperCase();
    if (d.cause === 'dns') {
      return judgement('MESSAGE_DNS_CHANGED', `${where(c.scope)}Today's DNS gives ${what} ${d.now}; the receiver recorded ${d.recorded}: the records changed since the message was received.`, {
        evidence: `recorded ${d.method}=${d.recorded}; today ${d.now}${d.reason ? ` (${d.reason})` : ''}`,
        cause: { code: 'MESSAGE_DNS_CHANGED', scope: c.scope, method: d.method, domain: d.domain, selector: d.selector, result: d.recorded, now: d.now },
        clause: null,
        remedy: null,
      });
    }
    return judgement('MESSAGE_RESULT_DIFFERS', `${where(c.scope)}Today ${what} gives ${d.now}; the receiver recorded ${d.recorded}. ${d.cause === 'message' ? 'The message was changed after the receiver saw it (its body no longer hashes to bh=).' : 'DNS alone does not explain it: the key was replaced, or a signed header changed.'}`, {
      evidence: `recorded ${d.method}=${d.recorded}; today ${d.now}${d.reason ? ` (${d.reason})` : ''}`,
      cause: { code: 'MESSAGE_RESULT_DIFFERS', scope: c.scope, method: d.method, domain: d.domain, selector: d.selector, result: d.recorded, now: d.now },
    });
  });
}

function judgeHops(c: Context): Judgement[] {
  const plain = c.a.route.hops.filter((h) => h.encrypted === false);
  if (plain.length === 0) return [];
  const names = plain.map((h) => `${h.fromHost ?? h.fromIp ?? '?'} → ${h.byHost ?? '?'}${h.protocol ? ` (${h.protocol})` : ''}`);
  return [judgement('MESSAGE_HOP_NOT_ENCRYPTED', `${where(c.scope)}${plain.length === 1 ? 'One hop' : `${plain.length} hops`} of the route recorded no TLS: ${listText(names, '; ', 5)}.`, {
    evidence: listText(names, '; ', 10),
    fix: 'Require TLS on the connectors and servers of those hops.',
  })];
}

/** DNS_TEMPFAIL for each lookup of our verdicts that failed: those verdicts are unknown, not failures. */
function judgeTempfails(v: MessageVerdicts | null): Judgement[] {
  if (!v) return [];
  const out: Judgement[] = [];
  const add = (name: string, type: 'TXT' | 'A' | 'MX' | 'AAAA', reason: Parameters<typeof tempfailFinding>[2]['reason'], code: string): void => {
    out.push({ finding: tempfailFinding(name, type, { kind: 'tempfail', reason, code }), cause: null, clause: null, remedy: null, records: [] });
  };
  if (v.spf.status === 'evaluated' && v.spf.dnsFailure) {
    const t = v.spf.dnsFailure;
    add(t.name, t.type === 'A' || t.type === 'AAAA' || t.type === 'MX' ? t.type : 'TXT', t.reason, t.code);
  }
  for (const s of v.dkim?.signatures ?? []) if (s.dnsFailure) add(s.dnsFailure.name, 'TXT', s.dnsFailure.reason, s.dnsFailure.code);
  if (v.dmarc.dnsFailure) add(v.dmarc.dnsFailure.name, 'TXT', v.dmarc.dnsFailure.reason, v.dmarc.dnsFailure.code);
  return out;
}

/**
 * Every judgement of one header block: SPF, DKIM (each signature, then
 * alignment), DMARC, the From field, Microsoft's compauth, phishing, spam
 * and bulk verdicts, today's DNS against the recorded results, hops without
 * TLS, and the lookups that failed.
 */
export function judgeHeaders(a: HeaderAnalysis, scope: Scope, cloud: Cloud, now: Date): Judgement[] {
  const c: Context = { a, scope, cloud, now };
  return [
    ...judgePhish(c), ...judgeSpf(c), ...judgeDkim(c), ...judgeDkimAlignment(c), ...judgeDmarc(c), ...judgeFrom(c),
    ...judgeCompauth(c), ...judgeSpam(c), ...judgeBulk(c), ...judgeDifferences(c), ...judgeHops(c), ...judgeTempfails(a.verdicts),
  ];
}

// ---------------------------------------------------------------- NDR

function failedRecipient(r: NdrRecipient): boolean {
  if (r.action !== null) return r.action === 'failed';
  return (r.statusCode ?? r.status ?? '').startsWith('5');
}

function recipientEvidence(r: NdrRecipient): string {
  return [r.status ? `Status: ${r.status}` : null, r.diagnosticCode ? `Diagnostic-Code: ${r.diagnosticCode}` : null, r.remoteMta ? `Remote-MTA: ${r.remoteMta}` : null].filter((x) => x !== null).join('; ') || 'no status recorded';
}

/**
 * NDR_FAILED_RECIPIENT for each failed recipient and NDR_DELAYED_RECIPIENT
 * for each delayed one, explained with the shared NDR catalog; for an SPF
 * rejection (5.7.23) of mail Microsoft 365 sent, the SPF record of the
 * original sender with Microsoft's include (from `senderSpf`, looked up).
 */
export function judgeNdr(ndr: NdrReport, cloud: Cloud, senderSpf: { domain: string; record: string | null; records: number; m365Include: boolean | null } | null): Judgement[] {
  const out: Judgement[] = [];
  for (const r of ndr.recipients) {
    const e = r.explanation;
    const code = r.statusCode ?? r.status;
    const who = r.recipient ?? 'a recipient';
    if (r.action === 'delayed') {
      out.push(judgement('NDR_DELAYED_RECIPIENT', `Delivery to ${who} is delayed${code ? ` (${code}${e ? `: ${e.title}` : ''})` : ''}; the server keeps trying.`, {
        evidence: recipientEvidence(r), fix: e?.fix ?? undefined,
        cause: { code: 'NDR_DELAYED_RECIPIENT', scope: 'message', recipient: r.recipient, statusCode: code, explanationId: e?.id ?? null },
        clause: `delivery to ${who} is delayed${code ? ` (${code})` : ''}`,
      }));
      continue;
    }
    if (!failedRecipient(r)) continue;
    const records: FixRecord[] = [];
    if (e?.id === '5.7.23' && senderSpf && senderSpf.m365Include === false && senderSpf.records <= 1) {
      const include = CLOUD_ENDPOINTS[cloud].spfInclude;
      const fix = spfFix('NDR_FAILED_RECIPIENT', senderSpf.domain, senderSpf.record, `include:${include}`, `The receiving server failed SPF for mail Microsoft 365 sent as ${senderSpf.domain}; ${include} lists Microsoft 365's outbound addresses.`);
      if (fix) records.push(fix);
    }
    out.push(judgement('NDR_FAILED_RECIPIENT', `Delivery to ${who} failed${code ? ` with ${code}` : ''}${e ? `: ${e.title}` : ''}.`, {
      evidence: recipientEvidence(r),
      fix: records[0] ? `Publish TXT "${records[0].value}" at ${records[0].name}.` : (e?.fix ?? undefined),
      records,
      cause: { code: 'NDR_FAILED_RECIPIENT', scope: 'message', recipient: r.recipient, statusCode: code, explanationId: e?.id ?? null },
      clause: `${who}: ${code ?? 'failed'}${e ? ` ${e.title}` : ''}`,
      remedy: records[0] ? `add include:${CLOUD_ENDPOINTS[cloud].spfInclude} to the SPF record of ${records[0].name}` : e?.fix ? e.fix.replace(/\.$/, '').replace(/^./, (x) => x.toLowerCase()) : null,
    }));
  }
  return out;
}
