/**
 * The facts of one header block as the report shows them, from the parsed
 * header (parse.ts): the originator fields decoded, the route, the
 * connecting IP the SPF check uses, the receiver's recorded verdicts with
 * their meanings (antispam.ts's catalog), and the reverse path and HELO
 * name. Pure: no DNS, no findings; never throws.
 */
import { addressParser } from 'postal-mime';
import type { Cloud } from '../m365/clouds.js';
import { capList, capText, capTexts } from '../util/caps.js';
import { fromDomainOf } from './align.js';
import { BCL_DEFAULT_THRESHOLD, describeAuthResult, describeBcl, describeCompauthReason, describeDmarcAction, describeScl } from './antispam.js';
import { authExtra, authProperty, authResult } from './authres.js';
import { firstHeader, headerFields } from './headers.js';
import { isMicrosoftHost } from './received.js';
import type {
  ArcSealFacts, ConnectingIpChoice, MessageIdentity, MessageRoute, MessageSummary, RecordedAuthResults, RecordedResult, RecordedVerdicts, RouteHop,
} from './report.js';
import type { AuthenticationResults, ParsedMessage } from './types.js';

/** The parsed header analysis this module reads (parseMessageHeaders' result). */
export type HeaderFacts = Omit<ParsedMessage, 'notMessage' | 'report' | 'size'>;

/** Most From addresses kept (a From with thousands is not mail a person sent). */
const MAX_FROM_ADDRESSES = 50;
/** Longest From value given to the address parser: real ones are under 1 KiB. */
const MAX_ADDRESS_FIELD = 16 * 1024;
/** Authentication-Results fields kept in the report (each is decoded); real messages carry 1-5. */
const MAX_AUTH_FIELDS = 20;
/** ARC sets kept (RFC 8617 5.1.1.1: at most 50 instances are valid). */
const MAX_ARC_SETS = 50;
/** Fields RFC 5322 3.6 allows at most once. */
const ONCE = ['from', 'sender', 'reply-to', 'to', 'cc', 'subject', 'date', 'message-id'];

const decodedOf = (facts: HeaderFacts, name: string): string | null => {
  const f = firstHeader(facts.headers, name);
  return f ? capText(f.decoded) : null;
};

/** The addresses of an address-list field value (RFC 5322 3.4), groups flattened, via postal-mime's parser. */
export function addressesOf(value: string): string[] {
  try {
    return addressParser(value.slice(0, MAX_ADDRESS_FIELD), { flatten: true })
      .map((a) => ('address' in a && typeof a.address === 'string' ? a.address.trim() : ''))
      .filter((a) => a.length > 0);
  } catch {
    return [];
  }
}

/** The originator and identification fields, decoded; the From addresses and DMARC's From domain. */
export function summarizeHeaders(facts: HeaderFacts): MessageSummary {
  const fromFields = headerFields(facts.headers, 'from');
  const addresses = fromFields.flatMap((f) => addressesOf(f.value));
  // A From whose address the parser cannot find is still given to DMARC, which says why it fails.
  const forDmarc = addresses.length > 0 ? addresses : fromFields.map((f) => f.value);
  const from = fromDomainOf(forDmarc);
  const counts = new Map<string, number>();
  for (const f of facts.headers.fields) if (ONCE.includes(f.key)) counts.set(f.key, (counts.get(f.key) ?? 0) + 1);
  return {
    from: decodedOf(facts, 'from'),
    fromAddresses: capTexts(addresses, MAX_FROM_ADDRESSES).map((a) => capText(a, 320)),
    fromDomain: 'domain' in from ? from.domain : null,
    sender: decodedOf(facts, 'sender'),
    replyTo: decodedOf(facts, 'reply-to'),
    to: decodedOf(facts, 'to'),
    subject: decodedOf(facts, 'subject'),
    date: decodedOf(facts, 'date'),
    messageId: decodedOf(facts, 'message-id'),
    returnPath: decodedOf(facts, 'return-path'),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([k]) => k),
  };
}

/** Every address of the From fields, as DMARC takes them (the raw values when no address could be read). */
export function fromAddressesForDmarc(facts: HeaderFacts): string[] {
  const fromFields = headerFields(facts.headers, 'from');
  const addresses = fromFields.flatMap((f) => addressesOf(f.value));
  return capList(addresses.length > 0 ? addresses : fromFields.map((f) => capText(f.value, 320)), MAX_FROM_ADDRESSES);
}

/** The Received chain as a route: per-hop hosts, IP, protocol, TLS and delay, and the time from first to last hop. */
export function routeOf(facts: HeaderFacts): MessageRoute {
  const { hops, total, firstMicrosoftHop, clockSkew } = facts.received;
  const out: RouteHop[] = hops.map((h) => ({
    index: h.index, fromHost: h.fromHost, fromIp: h.fromIp, fromReverse: h.fromReverse, byHost: h.byHost, via: h.via, protocol: h.protocol, id: h.id,
    encrypted: h.encrypted, tls: h.tls, date: h.date, delaySeconds: h.delaySeconds, clockSkew: h.clockSkew, byMicrosoft: h.byMicrosoft, fromMicrosoft: h.fromMicrosoft,
  }));
  const stamps = hops.map((h) => h.timestamp).filter((t): t is number => t !== null);
  const first = stamps[0];
  const last = stamps[stamps.length - 1];
  return { hops: out, total, firstMicrosoftHop, clockSkew, totalSeconds: first === undefined || last === undefined || stamps.length < 2 ? null : Math.round((last - first) / 1000) };
}

/**
 * The connecting IP for SPF: --ip when given; else the first Microsoft hop's
 * client address, unless the headers disagree, when Microsoft's own CIP
 * (X-Forefront-Antispam-Report) is taken: mail one Microsoft 365 tenant
 * relays to another records the sender's client submission as the first
 * Microsoft hop, while CIP is the address the receiving tenant saw.
 */
export function chooseConnectingIp(facts: HeaderFacts, given: string | null): ConnectingIpChoice {
  const { candidates, agree } = facts.connectingIp;
  if (given !== null) return { ip: given, source: 'option', field: null, candidates, agree };
  const cip = candidates.find((c) => c.source === 'forefront-cip');
  const chosen = !agree && cip ? cip : (candidates[0] ?? null);
  return { ip: chosen?.ip ?? null, source: chosen?.source ?? null, field: chosen?.field ?? null, candidates, agree };
}

/** Whether an Authentication-Results field is Microsoft 365's: no authserv-id (its shape), or a Microsoft host. */
function isMicrosoftAuthRes(ar: AuthenticationResults): boolean {
  if (ar.authservId === null) return true;
  const id = ar.authservId.toLowerCase();
  return isMicrosoftHost(id) || id === 'microsoft.com' || id.endsWith('.microsoft.com') || id.endsWith('.protection.outlook.com');
}

function recordedResult(r: AuthenticationResults['results'][number]): RecordedResult {
  const action = r.method === 'dmarc' ? authExtra(r, 'action') : null;
  return {
    method: r.method,
    result: r.result,
    meaning: describeAuthResult(r.method, r.result),
    reason: r.reason,
    compauthReason: r.method === 'compauth' && r.reason !== null ? describeCompauthReason(r.reason) : null,
    action,
    actionMeaning: action === null ? null : describeDmarcAction(action),
    properties: r.properties,
    comments: r.comments,
  };
}

function recordedField(ar: AuthenticationResults, field: RecordedAuthResults['field']): RecordedAuthResults {
  return {
    field, authservId: ar.authservId, instance: ar.instance, microsoft: isMicrosoftAuthRes(ar),
    results: ar.results.map(recordedResult), resultsTotal: ar.resultsTotal, problems: ar.problems,
  };
}

/** `k=v; k=v` tags (RFC 6376 3.2 tag-list, as ARC-Seal uses it), names lower-cased, values trimmed. */
function tagsOf(value: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim().toLowerCase();
    if (!tags.has(k)) tags.set(k, part.slice(eq + 1).replace(/\s+/g, ''));
  }
  return tags;
}

function arcSealOf(value: string): ArcSealFacts {
  const t = tagsOf(value);
  const i = t.get('i');
  return {
    instance: i !== undefined && /^[0-9]{1,2}$/.test(i) ? Number(i) : null,
    cv: t.has('cv') ? capText(t.get('cv') as string, 20) : null,
    domain: t.has('d') ? capText(t.get('d') as string, 256) : null,
    selector: t.has('s') ? capText(t.get('s') as string, 256) : null,
  };
}

/** `<user@domain>` → `user@domain`. */
const unbracket = (s: string): string => {
  const t = s.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1).trim() : t;
};

/**
 * What the receiver recorded: the topmost Microsoft Authentication-Results
 * (else the topmost one: the last receiver's, as a sender can only add
 * fields below it), every field decoded, ARC, and the anti-spam stamps.
 */
export function recordedVerdictsOf(facts: HeaderFacts): RecordedVerdicts {
  const all = facts.authenticationResults;
  const chosen = all.find(isMicrosoftAuthRes) ?? all[0] ?? null;
  const spf = chosen ? authResult(chosen, 'spf') : null;
  const dmarc = chosen ? authResult(chosen, 'dmarc') : null;
  const compauth = chosen ? authResult(chosen, 'compauth') : null;
  const ms = facts.microsoft;
  const scl = ms.forefront?.scl ?? ms.organizationScl;
  const bcl = ms.antispam?.bcl ?? null;
  const dmarcAction = dmarc ? authExtra(dmarc, 'action') : null;
  const delivery = ms.mailboxDelivery;
  const dest = delivery?.find((f) => f.name.toLowerCase() === 'dest')?.value.toUpperCase() ?? null;
  const rf = delivery?.find((f) => f.name.toUpperCase() === 'RF')?.value.toLowerCase() ?? null;
  const junkFolder = dest === 'J' || rf === 'junkemail' ? true : dest === 'I' || rf === 'inbox' ? false : null;
  return {
    receiver: chosen === null ? null : isMicrosoftAuthRes(chosen) ? 'microsoft' : 'other',
    spf: spf ? { result: spf.result, meaning: describeAuthResult('spf', spf.result), mailFrom: authProperty(spf, 'smtp', 'mailfrom'), senderIp: ms.authResultsSenderIp } : null,
    dkim: chosen ? chosen.results.filter((r) => r.method === 'dkim').map((r) => ({
      result: r.result, meaning: describeAuthResult('dkim', r.result), domain: authProperty(r, 'header', 'd'), selector: authProperty(r, 'header', 's'),
    })) : [],
    dmarc: dmarc ? { result: dmarc.result, meaning: describeAuthResult('dmarc', dmarc.result), action: dmarcAction, actionMeaning: dmarcAction === null ? null : describeDmarcAction(dmarcAction), headerFrom: authProperty(dmarc, 'header', 'from') } : null,
    compauth: compauth ? { result: compauth.result, meaning: describeAuthResult('compauth', compauth.result), reason: compauth.reason === null ? null : describeCompauthReason(compauth.reason) } : null,
    authenticationResults: all.slice(0, MAX_AUTH_FIELDS).map((ar) => recordedField(ar, 'Authentication-Results')),
    arc: {
      authenticationResults: facts.arcAuthenticationResults.slice(0, MAX_ARC_SETS).map((ar) => recordedField(ar, 'ARC-Authentication-Results')),
      seals: headerFields(facts.headers, 'arc-seal').slice(0, MAX_ARC_SETS).map((f) => arcSealOf(f.value)),
    },
    antispam: {
      forefront: ms.forefront,
      microsoftAntispam: ms.antispam,
      mailboxDelivery: ms.mailboxDelivery,
      stamps: ms.stamps,
      scl,
      sclMeaning: scl === null ? null : describeScl(scl),
      bcl,
      bclMeaning: bcl === null ? null : describeBcl(bcl),
      bulkThreshold: BCL_DEFAULT_THRESHOLD,
      junkFolder,
    },
  };
}

/**
 * The reverse path and HELO name the receiver saw: Return-Path (the last
 * server writes it, RFC 5321 4.4), else Microsoft's `smtp.mailfrom` (a bare
 * domain becomes postmaster@domain, RFC 7208 4.3); HELO from Microsoft's
 * `H:` stamp, else the first Microsoft hop's `from`.
 */
export function identityOf(facts: HeaderFacts, recorded: RecordedVerdicts): MessageIdentity {
  const rp = firstHeader(facts.headers, 'return-path');
  let mailFrom: string | null = null;
  let mailFromSource: MessageIdentity['mailFromSource'] = null;
  if (rp) {
    const path = unbracket(rp.value);
    mailFrom = capText(path === '' ? '' : (addressesOf(rp.value)[0] ?? path), 320);
    mailFromSource = 'return-path';
  } else if (recorded.spf?.mailFrom) {
    const m = recorded.spf.mailFrom.trim();
    mailFrom = capText(m.includes('@') ? m : `postmaster@${m}`, 320);
    mailFromSource = 'smtp.mailfrom';
  }
  const ffHelo = facts.microsoft.forefront?.helo ?? null;
  const hop = facts.received.firstMicrosoftHop === null ? null : facts.received.hops[facts.received.firstMicrosoftHop];
  const helo = ffHelo ?? hop?.fromHost ?? null;
  return { mailFrom, mailFromSource, helo: helo === null ? null : capText(helo, 256), heloSource: ffHelo !== null ? 'forefront' : helo !== null ? 'received' : null };
}

/** The cloud whose names a fix uses: GCC High / DoD or 21Vianet when the route's Microsoft hosts are theirs, else worldwide. */
export function cloudOfRoute(route: MessageRoute): Cloud {
  const hosts = route.hops.flatMap((h) => [h.byHost, h.fromHost]).filter((h): h is string => h !== null).map((h) => h.toLowerCase());
  if (hosts.some((h) => h.endsWith('.office365.us'))) return 'gcc-high';
  if (hosts.some((h) => h.endsWith('.outlook.cn'))) return 'china';
  return 'worldwide';
}
