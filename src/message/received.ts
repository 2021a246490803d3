/**
 * The Received chain (RFC 5321 4.4 trace information):
 *
 *     Received: from <domain> (<TCP-info>) by <domain> (<comment>)
 *               [via <link>] [with <protocol>] [id <id>] [for <path>] ; <date-time>
 *
 * Each server prepends its field, so the header lists hops newest first; the
 * chain here is oldest first. What servers write varies a lot, so the clause
 * words (`from`, `by`, `via`, `with`, `id`, `for`) are found between comments
 * and the TCP-info is read from the comments: `[192.0.2.1]`,
 * `(mail.example.com [192.0.2.1])`, `(192.0.2.1)` (Microsoft),
 * `[IPv6:2001:db8::1]` (RFC 5321 4.1.3). TLS is read from the shapes real
 * servers use: Microsoft's `with Microsoft SMTP Server (version=TLS1_2,
 * cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)` and `(TLS)`, Google's and
 * sendmail's `(version=TLSv1.3 cipher=… bits=…)`, Postfix's `(using TLSv1.3
 * with cipher …)`, Exim's `(TLS1.3) tls TLS_AES_256_GCM_SHA384` and
 * `(TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256)`, and the RFC 3848 protocol
 * names (ESMTPS, ESMTPSA: TLS; SMTP, ESMTP, ESMTPA: none). Tolerant and pure:
 * a field that is not trace syntax gives a hop with nulls.
 */
import { parseClientIp } from '../spf/ip.js';
import { trimEndChars } from '../util/trim.js';
import { parseMessageDate } from './date.js';
import { firstHeader, headerFields } from './headers.js';
import { tokenize, type Token } from './tokens.js';
import type { AuthenticationResults, ConnectingIp, ConnectingIpEvidence, ParsedHeaders, ReceivedChain, ReceivedHop, ReceivedTls } from './types.js';

/** Most Received fields made into hops (the newest are kept); real chains have 3-15. */
export const MAX_RECEIVED_HOPS = 100;

/**
 * Host suffixes of Microsoft's mail servers as they appear in `by` and `from`
 * clauses: Exchange Online (`*.prod.outlook.com`, `*.mail.protection.outlook.com`,
 * `*.outlook.office365.com`), GCC High / DoD (`*.office365.us`), 21Vianet
 * (`*.partner.outlook.cn`), the older `*.prod.exchangelabs.com`, Outlook.com
 * consumer (`*.hotmail.com`) and the DANE-signed `*.mx.microsoft` (reference R2).
 */
export const MICROSOFT_TRACE_SUFFIXES: readonly string[] = ['outlook.com', 'office365.com', 'office365.us', 'outlook.cn', 'exchangelabs.com', 'hotmail.com', 'mx.microsoft'];

/** Whether a host name is one of Microsoft's mail hosts (a suffix of MICROSOFT_TRACE_SUFFIXES, case and trailing dot ignored). */
export function isMicrosoftHost(host: string | null): boolean {
  if (host === null) return false;
  const h = host.toLowerCase().replace(/\.$/, '');
  return MICROSOFT_TRACE_SUFFIXES.some((s) => h === s || h.endsWith(`.${s}`));
}

const CLAUSES = new Set(['from', 'by', 'via', 'with', 'id', 'for']);
type Clause = 'from' | 'by' | 'via' | 'with' | 'id' | 'for';

interface Clauses {
  words: Map<Clause, string[]>;
  comments: Map<Clause, string[]>;
  all: string[];
}

/** The clause words and the comments after each, in order. */
function splitClauses(tokens: readonly Token[]): Clauses {
  const words = new Map<Clause, string[]>();
  const comments = new Map<Clause, string[]>();
  const all: string[] = [];
  let current: Clause | null = null;
  for (const t of tokens) {
    if (t.kind === 'comment') {
      all.push(t.text);
      if (current) comments.get(current)?.push(t.text);
      continue;
    }
    const text = t.text;
    const lower = text.toLowerCase();
    // A clause word starts a clause when it is not already the value the clause before waits for.
    const waiting = current !== null && (words.get(current)?.length ?? 0) === 0;
    if (t.kind === 'word' && CLAUSES.has(lower) && !waiting && !words.has(lower as Clause)) {
      current = lower as Clause;
      words.set(current, []);
      comments.set(current, []);
      continue;
    }
    if (current) words.get(current)?.push(text);
  }
  return { words, comments, all };
}

/** An IP address in a bracketed literal or a bare word of the text, canonical; null when there is none. */
function findIp(texts: readonly string[]): { ip: string; reverse: string | null } | null {
  // A bracketed literal first (the address the server saw), then a bare address.
  for (const text of texts) {
    let at = text.indexOf('[');
    while (at >= 0) {
      const close = text.indexOf(']', at);
      if (close < 0) break;
      const literal = text.slice(at + 1, close).replace(/^ipv6:/i, '');
      const ip = parseClientIp(literal);
      if (ip) return { ip: ip.readable, reverse: reverseBefore(text.slice(0, at)) };
      at = text.indexOf('[', close);
    }
  }
  for (const text of texts) {
    for (const word of text.split(/[\s,;=()]+/)) {
      // Only words made of what an address is made of go to the (slower) address parser.
      if (!mayBeIp(word)) continue;
      const ip = parseClientIp(word);
      if (ip) return { ip: ip.readable, reverse: null };
    }
  }
  return null;
}

/** Whether a word could be an IPv4 or IPv6 address: 2-45 hex digits, dots and colons, with a dot or a colon. */
function mayBeIp(w: string): boolean {
  if (w.length < 2 || w.length > 45 || (!w.includes('.') && !w.includes(':'))) return false;
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    const hex = (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46;
    if (!hex) return false;
  }
  return true;
}

/** The reverse-DNS name written before an address literal (`mail.example.com [192.0.2.1]`), or null. */
function reverseBefore(text: string): string | null {
  const words = text.trim().split(/\s+/);
  const last = words[words.length - 1];
  if (last === undefined || !last.includes('.') || /^(helo|ehlo)=/i.test(last)) return null;
  const name = last.replace(/\.$/, '');
  return parseClientIp(name) ? null : name;
}

/** `TLS1_2`, `TLSv1.2`, `TLS1.2`, `tlsv1` → Node's name (`TLSv1.2`, `TLSv1`); other text as written. */
export function normalizeTlsVersion(v: string): string {
  const m = /^(tls|ssl)v?(\d)(?:[._](\d))?$/i.exec(v.trim());
  if (!m) return v;
  const proto = (m[1] as string).toUpperCase();
  if (proto === 'SSL') return `SSLv${m[2]}`;
  const minor = m[3];
  return minor === undefined || (m[2] === '1' && minor === '0') ? `TLSv${m[2]}` : `TLSv${m[2]}.${minor}`;
}

const isTlsVersion = (w: string): boolean => /^(tls|ssl)v?\d(?:[._]\d)?$/i.test(w);

/** TLS as recorded in the field's comments and `with` words, or null. `found` is true when TLS use is recorded at all. */
function findTls(comments: readonly string[], withWords: readonly string[]): { found: boolean; tls: ReceivedTls | null } {
  let version: string | null = null;
  let cipher: string | null = null;
  let found = false;
  for (const text of comments) {
    const words = text.split(/[\s,]+/).filter((w) => w.length > 0);
    for (let i = 0; i < words.length; i++) {
      const w = words[i] as string;
      const lower = w.toLowerCase();
      if (lower.startsWith('version=')) {
        const v = w.slice('version='.length);
        if (isTlsVersion(v)) {
          version ??= normalizeTlsVersion(v);
          found = true;
        }
      } else if (lower.startsWith('cipher=')) {
        cipher ??= w.slice('cipher='.length);
        found = true;
      } else if (lower === 'using' && isTlsVersion(words[i + 1] ?? '')) {
        version ??= normalizeTlsVersion(words[i + 1] as string);
        found = true;
      } else if (lower === 'cipher' && words[i - 1]?.toLowerCase() === 'with' && words[i + 1] !== undefined) {
        cipher ??= words[i + 1] as string;
      } else if (lower === 'tls') {
        found = true; // Microsoft: `with Microsoft SMTP Server (TLS)`
      } else if (isTlsVersion(w)) {
        version ??= normalizeTlsVersion(w); // Exim: `(TLS1.3)`
        found = true;
      } else if (w.includes(':') && isTlsVersion(w.split(':')[0] as string)) {
        const [v, c] = w.split(':') as [string, string?];
        version ??= normalizeTlsVersion(v); // Exim: `(TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256)`
        if (c) cipher ??= c;
        found = true;
      }
    }
  }
  // Exim: `with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384`.
  const tlsAt = withWords.findIndex((w, i) => i > 0 && w.toLowerCase() === 'tls');
  if (tlsAt > 0 && withWords[tlsAt + 1] !== undefined) {
    cipher ??= withWords[tlsAt + 1] as string;
    found = true;
  }
  return { found, tls: found || version || cipher ? { version, cipher } : null };
}

/** RFC 3848 (and RFC 6531) `with` keywords, and Microsoft's HTTPS/HTTP (client submission): which name TLS and which plain transport. */
const TLS_PROTOCOLS = new Set(['HTTPS', 'ESMTPS', 'ESMTPSA', 'LMTPS', 'LMTPSA', 'UTF8SMTPS', 'UTF8SMTPSA', 'UTF8LMTPS', 'UTF8LMTPSA', 'SMTPS']);
const PLAIN_PROTOCOLS = new Set(['HTTP', 'SMTP', 'ESMTP', 'ESMTPA', 'LMTP', 'LMTPA', 'UTF8SMTP', 'UTF8SMTPA', 'UTF8LMTP', 'UTF8LMTPA']);

function encryptedOf(protocol: string | null, tlsFound: boolean): boolean | null {
  if (tlsFound) return true;
  if (protocol === null) return null;
  const first = (protocol.split(' ')[0] ?? '').toUpperCase();
  if (TLS_PROTOCOLS.has(first)) return true;
  if (PLAIN_PROTOCOLS.has(first)) return false;
  // Microsoft writes `(TLS)` or `(version=…)` after its protocol when the hop used TLS.
  if (/^microsoft smtp server/i.test(protocol)) return false;
  return null;
}

/** One Received field value, parsed (index and delay are the chain's: 0 and null here). */
export function parseReceived(value: string): ReceivedHop {
  const tokens = tokenize(value, ';');
  // The date follows the last `;` outside comments and quoted strings.
  let semi = -1;
  tokens.forEach((t, i) => {
    if (t.kind === 'special') semi = i;
  });
  const clauseTokens = (semi < 0 ? tokens : tokens.slice(0, semi)).filter((t) => t.kind !== 'special');
  const dateText = semi < 0 ? null : value.slice((tokens[semi] as Token).end).trim() || null;
  const c = splitClauses(clauseTokens);
  const word = (k: Clause): string | null => {
    const w = c.words.get(k);
    return w && w.length > 0 ? (w[0] as string) : null;
  };
  const words = (k: Clause): string | null => {
    const w = c.words.get(k);
    return w && w.length > 0 ? w.join(' ') : null;
  };
  const fromHost = word('from');
  const fromComments = c.comments.get('from') ?? [];
  const fromWords = c.words.get('from') ?? [];
  // TCP-info: the comments after `from`, then the from words themselves (an address literal as the HELO name).
  const found = findIp(fromComments) ?? findIp(fromWords.filter((w) => w.startsWith('[')));
  const withWords = c.words.get('with') ?? [];
  const tlsAt = withWords.findIndex((w, i) => i > 0 && w.toLowerCase() === 'tls');
  const protocol = withWords.length > 0 ? (tlsAt > 0 ? withWords.slice(0, tlsAt) : withWords).join(' ') : null;
  const tls = findTls(c.all, withWords);
  const timestamp = dateText === null ? null : parseMessageDate(dateText);
  const byHost = word('by');
  const forWord = word('for');
  return {
    index: 0,
    value,
    fromHost,
    fromIp: found?.ip ?? null,
    fromReverse: found?.reverse ?? null,
    byHost,
    via: words('via'),
    protocol,
    id: word('id'),
    for: forWord,
    encrypted: encryptedOf(protocol, tls.found),
    tls: tls.tls,
    comments: c.all,
    date: dateText,
    timestamp,
    delaySeconds: null,
    clockSkew: false,
    byMicrosoft: isMicrosoftHost(byHost),
    fromMicrosoft: isMicrosoftHost(fromHost) || isMicrosoftHost(found?.reverse ?? null),
  };
}

/**
 * The Received chain of a header, oldest hop first, with the delay between
 * hops (negative when a clock is behind: `clockSkew`, reported as it is) and
 * the first hop Microsoft recorded. That hop is found from the newest
 * Microsoft `by` hop downwards, following hops whose `from` is Microsoft's
 * too, so Received fields a sender forged below the real ones (older hops
 * claiming a Microsoft `by`) are not taken for it.
 */
export function parseReceivedChain(headers: ParsedHeaders): ReceivedChain {
  const fields = headerFields(headers, 'received');
  const kept = fields.slice(0, MAX_RECEIVED_HOPS);
  const hops = kept.map((f) => parseReceived(f.value)).reverse();
  let skew = false;
  hops.forEach((h, i) => {
    h.index = i;
    const prev = hops[i - 1];
    if (prev && prev.timestamp !== null && h.timestamp !== null) {
      h.delaySeconds = Math.round((h.timestamp - prev.timestamp) / 1000);
      h.clockSkew = h.delaySeconds < 0;
      skew ||= h.clockSkew;
    }
  });
  let first: number | null = null;
  for (let i = hops.length - 1; i >= 0; i--) {
    if ((hops[i] as ReceivedHop).byMicrosoft) {
      first = i;
      while (first > 0 && (hops[first] as ReceivedHop).fromMicrosoft && (hops[first - 1] as ReceivedHop).byMicrosoft) first--;
      break;
    }
  }
  return { hops, total: fields.length, firstMicrosoftHop: first, clockSkew: skew };
}

/** `sender IP is 192.0.2.1` in the comment of Microsoft's spf= result, canonical, or null. */
export function senderIpOfAuthResults(results: readonly AuthenticationResults[]): string | null {
  for (const ar of results) {
    for (const r of ar.results) {
      if (r.method !== 'spf') continue;
      for (const comment of r.comments) {
        const m = /sender ip is (\S+)/i.exec(comment);
        const ip = m ? parseClientIp(trimEndChars(m[1] as string, '),;')) : null;
        if (ip) return ip.readable;
      }
    }
  }
  return null;
}

/**
 * Every header that names the connecting IP, best first: the first hop
 * Microsoft recorded, X-MS-Exchange-Organization-OriginalClientIPAddress, the
 * CIP of X-Forefront-Antispam-Report, and Microsoft's `sender IP is` comment.
 * They disagree for mail one Microsoft 365 tenant relays to another (the first
 * hop is then the sender's client submission, CIP the sending tenant's
 * outbound address): `agree` is false and every candidate is kept.
 */
export function connectingIpEvidence(headers: ParsedHeaders, chain: ReceivedChain, forefrontCip: string | null, authResults: readonly AuthenticationResults[]): ConnectingIpEvidence {
  const candidates: ConnectingIp[] = [];
  const hop = chain.firstMicrosoftHop === null ? null : chain.hops[chain.firstMicrosoftHop];
  if (hop?.fromIp) candidates.push({ ip: hop.fromIp, source: 'received', field: 'Received' });
  const original = firstHeader(headers, 'x-ms-exchange-organization-originalclientipaddress');
  const originalIp = original ? parseClientIp(original.value) : null;
  if (original && originalIp) candidates.push({ ip: originalIp.readable, source: 'original-client-ip', field: original.name });
  if (forefrontCip) candidates.push({ ip: forefrontCip, source: 'forefront-cip', field: 'X-Forefront-Antispam-Report' });
  const sender = senderIpOfAuthResults(authResults);
  if (sender) candidates.push({ ip: sender, source: 'authentication-results', field: 'Authentication-Results' });
  const distinct = new Set(candidates.map((c) => c.ip));
  return { ip: candidates[0] ?? null, candidates, agree: distinct.size <= 1 };
}
