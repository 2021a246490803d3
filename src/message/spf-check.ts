/**
 * m365audit's own SPF verdict for a received message: RFC 7208 check_host()
 * with the project's engine (spf/evaluate.ts) for the connecting IP and the
 * MAIL FROM domain, or the HELO name when the reverse path is empty, against
 * today's DNS. Typed data; the findings are the caller's.
 */
import type { LookupContext } from '../dns/context.js';
import type { RRType, TempfailReason } from '../dns/types.js';
import { canonicalName } from '../domain/normalize.js';
import { parseClientIp } from '../spf/ip.js';
import { checkHost, spfIdentity, type SpfResult, type SpfStep } from '../spf/evaluate.js';
import { isSpfRecord } from '../spf/parse.js';
import { capText, capTexts } from '../util/caps.js';

/** What the receiver saw of the SMTP session: the client's address, MAIL FROM and HELO. */
export interface MessageSpfInput {
  /** The connecting client's address (the first hop the receiver recorded, or `--ip`). */
  ip: string;
  /** The reverse path (MAIL FROM, Return-Path): `user@domain`, `<user@domain>`, or empty / `<>` for the null sender. */
  mailFrom: string;
  /** The HELO/EHLO name, when known. */
  helo?: string | null | undefined;
}

/** A DNS lookup that failed during the evaluation (TEMPFAIL). */
export interface SpfDnsFailure {
  name: string;
  type: RRType;
  reason: TempfailReason;
  code: string;
}

/** check_host() for a message, as today's DNS answers it. */
export interface MessageSpfVerdict {
  status: 'evaluated';
  ip: string;
  /** `mailfrom`: the MAIL FROM domain; `helo`: the reverse path was empty, so the HELO name (RFC 7208 2.4). */
  identity: 'mailfrom' | 'helo';
  /** The domain whose policy was evaluated: the SPF-authenticated domain when the result is pass (DMARC's SPF alignment input). */
  domain: string;
  /** The <sender> check_host() got (postmaster@helo for the null sender). */
  sender: string;
  helo: string | null;
  result: SpfResult;
  /** The exp= explanation of a fail (RFC 7208 6.2), or null. */
  explanation: string | null;
  /** What decided the result, in one sentence. */
  reason: string;
  /** The terms that led to the result, outermost first. */
  path: SpfStep[];
  /** The domain's v=spf1 record today; null when it has none, or more than one (see `records`). */
  record: string | null;
  /** Every v=spf1 record at the domain (capped), when there is not exactly one. */
  records: string[];
  /** DNS-querying terms and void lookups this evaluation spent (RFC 7208 4.6.4: at most 10 and 2). */
  lookups: number;
  voidLookups: number;
  /** The lookup that failed, for temperror. */
  dnsFailure: SpfDnsFailure | null;
}

/** Why no check_host() was run: the address is not one, or there is no domain to check (no MAIL FROM domain and no HELO). */
export interface MessageSpfNotEvaluated {
  status: 'not-evaluated';
  problem: 'ip-invalid' | 'no-identity';
  message: string;
}

/** The SPF part of a message's verdicts. */
export type MessageSpf = MessageSpfVerdict | MessageSpfNotEvaluated;

/** `<a@b>` → `a@b`; `<>` and blanks → ''. */
function reversePath(mailFrom: string): string {
  const s = mailFrom.trim();
  return (s.startsWith('<') && s.endsWith('>') ? s.slice(1, -1) : s).trim();
}

/**
 * RFC 7208 check_host() for the message's client address and identity: the
 * MAIL FROM domain, or postmaster@HELO when the reverse path is empty (RFC
 * 7208 2.4; DMARC then aligns the HELO domain). Every query goes through
 * ctx.dns within RFC 7208's limits. Never throws.
 */
export async function lookupMessageSpf(ctx: LookupContext, input: MessageSpfInput): Promise<MessageSpf> {
  const ip = input.ip.trim();
  if (parseClientIp(ip) === null) return { status: 'not-evaluated', problem: 'ip-invalid', message: `"${capText(ip, 60)}" is not an IP address` };
  const helo = input.helo ? canonicalName(input.helo.trim()) : '';
  const from = reversePath(input.mailFrom);
  const { domain: rawDomain, sender } = spfIdentity(from, helo);
  const domain = canonicalName(rawDomain);
  if (domain === '') return { status: 'not-evaluated', problem: 'no-identity', message: 'the reverse path is empty and no HELO name is known, so there is no domain to check' };
  const run = await checkHost(ctx, { ip, domain, sender, helo });
  const txt = await ctx.dns.resolve(domain, 'TXT');
  const spf = txt.kind === 'records' ? txt.records.filter(isSpfRecord) : [];
  const t = run.tempfail;
  return {
    status: 'evaluated',
    ip,
    identity: from === '' ? 'helo' : 'mailfrom',
    domain,
    sender: capText(sender, 320),
    helo: helo === '' ? null : capText(helo, 256),
    result: run.result,
    explanation: run.explanation === null ? null : capText(run.explanation),
    reason: capText(run.reason),
    path: run.path,
    record: spf.length === 1 ? capText(spf[0] as string) : null,
    records: spf.length === 1 ? [] : capTexts(spf),
    lookups: run.lookups,
    voidLookups: run.voidLookups,
    dnsFailure: t ? { name: t.name, type: t.type, reason: t.answer.reason, code: t.answer.code } : null,
  };
}
