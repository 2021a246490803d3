/**
 * RFC 7208 check_host(ip, domain, sender): every mechanism, redirect, exp
 * and macro, with the processing limits kept by one resolver decorator
 * (budget.ts). Results are returned, never thrown: a DNS failure is
 * temperror, anything the RFC calls an error is permerror, and evaluation
 * always ends within the limits.
 */
import type { LookupContext } from '../dns/context.js';
import type { DnsAnswer, RRType } from '../dns/types.js';
import { createSpfResolver, SPF_LIMITS, type LimitBreach, type SpfLimits, type SpfQuery, type SpfResolver } from './budget.js';
import { addressMatches, networkMatches, parseClientIp, type ClientIp } from './ip.js';
import { expandMacros, parseMacroString, visible, type MacroToken, type MacroValues } from './macro.js';
import { effectiveRedirect, isSpfRecord, parseSpfShared, type Qualifier, type SpfMechanism, type SpfRecord } from './parse.js';

/** The result of check_host() (RFC 7208 2.6). */
export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';
export const SPF_RESULTS: readonly SpfResult[] = ['pass', 'fail', 'softfail', 'neutral', 'none', 'permerror', 'temperror'];

/** The arguments of check_host() (RFC 7208 4.1): the client's address, the domain and the sender. */
export interface CheckHostInput {
  /** The SMTP client's address (IPv4, IPv6 or IPv4-mapped IPv6). */
  ip: string;
  /** The domain whose policy is checked (MAIL FROM's domain, or the HELO name). */
  domain: string;
  /** MAIL FROM; empty means the null sender, read as postmaster@helo (RFC 7208 2.4). */
  sender: string;
  /** The HELO/EHLO name (the `h` macro). */
  helo?: string | undefined;
}

/** What check_host() may be told besides its inputs: the `r` and `t` macro values, and the processing limits (default RFC 7208 4.6.4's). */
export interface CheckHostOptions {
  /** The checking host's name for the `r` macro (default "unknown"). */
  receiver?: string;
  /** Clock for the `t` macro, in ms since the epoch. */
  now?: () => number;
  limits?: SpfLimits;
}

/** One step on the way to the deciding term: which record, which term. */
export interface SpfStep {
  domain: string;
  term: string;
}

/**
 * What check_host() decided and why: the result, the exp= explanation, the
 * terms on the way to the deciding one, the lookups spent, and the query that
 * failed for a temperror.
 */
export interface CheckHostResult {
  result: SpfResult;
  /** The exp= explanation (RFC 7208 6.2), only on fail and only when the domain publishes one that works. */
  explanation: string | null;
  /** One sentence: what decided the result. */
  reason: string;
  /** The terms that led to the result, outermost first (include/redirect hops, then the matching mechanism). */
  path: SpfStep[];
  lookups: number;
  voidLookups: number;
  /** The query that failed, for temperror. */
  tempfail: { name: string; type: RRType; answer: DnsAnswer<never> & { kind: 'tempfail' } } | null;
  queries: readonly SpfQuery[];
}

const QUALIFIER_RESULT: Record<Qualifier, SpfResult> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };
const MAX_NAME = 253;

/** The outcome of evaluating one record (one check_host() level). */
interface Outcome {
  result: SpfResult;
  reason: string;
  explanation: string | null;
  path: SpfStep[];
}

/** The outcome of one mechanism: matched, not matched, or the evaluation ends. */
type MechOutcome = { kind: 'match' | 'nomatch'; path?: SpfStep[] } | { kind: 'end'; outcome: Outcome };

interface Run {
  r: SpfResolver;
  ip: ClientIp;
  sender: string;
  localPart: string;
  senderDomain: string;
  helo: string;
  receiver: string;
  now: () => number;
  /** Validated names of the client (the `p` macro), fetched once per run. */
  validated: Promise<string[]> | null;
}

/**
 * RFC 7208 check_host() (section 4): the result for `input.ip` sending as
 * `input.sender` for `input.domain`. Every query goes through `ctx.dns`,
 * within the limits of section 4.6.4 (`options.limits`). Never throws for
 * anything DNS or the input can hold: a client address that is not one is
 * a permerror, a failed lookup a temperror.
 */
export async function checkHost(ctx: LookupContext, input: CheckHostInput, options: CheckHostOptions = {}): Promise<CheckHostResult> {
  const r = createSpfResolver(ctx.dns, options.limits ?? SPF_LIMITS);
  const finish = (o: Outcome): CheckHostResult => ({
    result: o.result, explanation: o.explanation, reason: o.reason, path: o.path,
    lookups: r.lookups, voidLookups: r.voidLookups,
    tempfail: o.result === 'temperror' ? r.tempfail : null, queries: r.queries,
  });
  const ip = parseClientIp(input.ip);
  if (!ip) return finish({ result: 'permerror', reason: `"${visible(input.ip, 60)}" is not an IP address`, explanation: null, path: [] });
  const helo = input.helo ?? '';
  // RFC 7208 2.4 and 4.3: the null sender is postmaster@helo; an empty local part is postmaster.
  const sender = input.sender === '' ? `postmaster@${helo}` : input.sender;
  const at = sender.lastIndexOf('@');
  const localPart = at < 0 ? 'postmaster' : sender.slice(0, at) || 'postmaster';
  const senderDomain = at < 0 ? sender : sender.slice(at + 1);
  const run: Run = {
    r, ip, sender: `${localPart}@${senderDomain}`, localPart, senderDomain, helo,
    receiver: options.receiver ?? 'unknown', now: options.now ?? Date.now, validated: null,
  };
  const domain = input.domain.replace(/\.$/, '');
  if (!validInitialDomain(domain)) {
    return finish({ result: 'none', reason: `"${visible(domain, 80)}" is not a usable domain name, so there is no policy to check (RFC 7208 4.3)`, explanation: null, path: [] });
  }
  return finish(await evaluate(run, domain, true, 0));
}

/** RFC 7208 4.3: a multi-label name with labels of 1-63 octets, at most 253 in all; no address literal. */
function validInitialDomain(d: string): boolean {
  if (d.startsWith('[') || d.length > MAX_NAME || d.length === 0) return false;
  const labels = d.split('.');
  return labels.length >= 2 && labels.every((l) => l.length > 0 && l.length <= 63);
}

/** A name built by expansion: too long is cut from the left (RFC 7208 7.3), bad labels make it unusable. */
function targetName(expanded: string): string | null {
  let name = expanded.replace(/\.$/, '');
  while (name.length > MAX_NAME) {
    const dot = name.indexOf('.');
    if (dot < 0) return null;
    name = name.slice(dot + 1);
  }
  if (name === '') return null;
  return name.split('.').every((l) => l.length > 0 && l.length <= 63) ? name : null;
}

async function evaluate(run: Run, domain: string, wantExplanation: boolean, depth: number): Promise<Outcome> {
  const end = (result: SpfResult, reason: string, path: SpfStep[] = []): Outcome => ({ result, reason, explanation: null, path });
  const found = await lookupRecord(run, domain, depth);
  if ('result' in found) return found;
  const record = found.record;
  for (const mech of record.mechanisms) {
    // all, ip4 and ip6 ask nothing: decided without a promise (a Microsoft 365 include is a dozen of them).
    const out = withoutLookup(run, mech) ?? await evalMechanism(run, domain, mech, depth);
    if (out.kind === 'end') return out.outcome;
    if (out.kind === 'nomatch') continue;
    const result = QUALIFIER_RESULT[mech.qualifier];
    const path = [{ domain, term: mech.text }, ...(out.path ?? [])];
    const outcome = end(result, `"${visible(mech.text, 80)}" in the record of ${domain} matched`, path);
    if (result === 'fail' && wantExplanation && record.exp) outcome.explanation = await explain(run, domain, record.exp.tokens);
    return outcome;
  }
  const redirect = effectiveRedirect(record);
  if (redirect) {
    const breach = run.r.chargeTerm(redirect.text);
    if (breach) return end('permerror', breach.reason, [{ domain, term: redirect.text }]);
    const target = targetName(await expandMacros(redirect.tokens, values(run, domain)));
    if (target === null) return end('permerror', `redirect target of ${domain} is not a usable domain name (RFC 7208 6.1)`, [{ domain, term: redirect.text }]);
    const inner = await evaluate(run, target, wantExplanation, depth + 1);
    const path = [{ domain, term: redirect.text }, ...inner.path];
    // RFC 7208 6.1: a redirect to a domain with no SPF record is a permerror.
    if (inner.result === 'none') return end('permerror', `${inner.reason}; a redirect to a domain without a policy is a permerror (RFC 7208 6.1)`, path);
    return { ...inner, path };
  }
  return end('neutral', `no mechanism in the record of ${domain} matched and it has no redirect, so the default is neutral (RFC 7208 4.7)`);
}

/** RFC 7208 4.4-4.6: the single v=spf1 TXT record of a domain, parsed. */
async function lookupRecord(run: Run, domain: string, depth: number): Promise<{ record: SpfRecord } | Outcome> {
  const end = (result: SpfResult, reason: string): Outcome => ({ result, reason, explanation: null, path: [] });
  // The top-level record lookup is not a term; include and redirect targets count as void lookups.
  const answer = await run.r.resolve(domain, 'TXT', depth > 0);
  if (answer.kind === 'breach') return end('permerror', answer.breach.reason);
  if (answer.kind === 'tempfail') return end('temperror', `the TXT lookup of ${domain} failed (${answer.code}) (RFC 7208 4.4)`);
  if (answer.kind !== 'records') return end('none', `${domain} ${answer.kind === 'nxdomain' ? 'does not exist' : 'has no TXT record'} (RFC 7208 4.3, 4.4)`);
  const spf = answer.records.filter(isSpfRecord);
  if (spf.length === 0) return end('none', `${domain} publishes no v=spf1 record (RFC 7208 4.5)`);
  if (spf.length > 1) return end('permerror', `${domain} publishes ${spf.length} v=spf1 records (RFC 7208 4.5)`);
  const record = parseSpfShared(spf[0] as string);
  const err = record.errors[0];
  if (err) return end('permerror', `the record of ${domain} has a syntax error at position ${err.position}: ${err.message}`);
  return { record };
}

async function evalMechanism(run: Run, domain: string, mech: SpfMechanism, depth: number): Promise<MechOutcome> {
  const endWith = (result: SpfResult, reason: string): MechOutcome => ({ kind: 'end', outcome: { result, reason, explanation: null, path: [{ domain, term: mech.text }] } });
  const breachEnd = (b: LimitBreach): MechOutcome => endWith('permerror', b.reason);
  const tempEnd = (name: string, type: RRType, a: { code: string }): MechOutcome => endWith('temperror', `the ${type} lookup of ${name} for "${visible(mech.text, 80)}" in ${domain} failed (${a.code}) (RFC 7208 5)`);
  const boolMatch = (b: boolean): MechOutcome => (b ? MATCH : NOMATCH);

  // all, ip4 and ip6 never come here: evaluate decides them first (withoutLookup).
  const breach = run.r.chargeTerm(mech.text);
  if (breach) return breachEnd(breach);
  const target = mech.domainTokens ? targetName(await expandMacros(mech.domainTokens, values(run, domain))) : domain;

  switch (mech.name) {
    case 'include': {
      if (target === null) return endWith('permerror', `include target in ${domain} is not a usable domain name (RFC 7208 5.2)`);
      const inner = await evaluate(run, target, false, depth + 1);
      switch (inner.result) {
        case 'pass':
          return { kind: 'match', path: inner.path };
        case 'fail':
        case 'softfail':
        case 'neutral':
          return { kind: 'nomatch' };
        case 'temperror':
          return { kind: 'end', outcome: { ...inner, path: [{ domain, term: mech.text }, ...inner.path] } };
        case 'none':
        case 'permerror': {
          // RFC 7208 5.2: none and permerror of the included domain are a permerror.
          const reason = inner.result === 'none' ? `${inner.reason}; an included domain without a policy is a permerror (RFC 7208 5.2)` : inner.reason;
          return { kind: 'end', outcome: { result: 'permerror', reason, explanation: null, path: [{ domain, term: mech.text }, ...inner.path] } };
        }
      }
      break;
    }
    case 'a': {
      if (target === null) return { kind: 'nomatch' };
      const type = run.ip.family === 4 ? 'A' : 'AAAA';
      const a = await run.r.resolve(target, type, true);
      if (a.kind === 'breach') return breachEnd(a.breach);
      if (a.kind === 'tempfail') return tempEnd(target, type, a);
      if (a.kind !== 'records') return { kind: 'nomatch' };
      return boolMatch(a.records.some((addr) => addressMatches(run.ip, addr, prefixFor(run.ip, mech))));
    }
    case 'mx': {
      if (target === null) return { kind: 'nomatch' };
      const mx = await run.r.resolve(target, 'MX', true);
      if (mx.kind === 'breach') return breachEnd(mx.breach);
      if (mx.kind === 'tempfail') return tempEnd(target, 'MX', mx);
      if (mx.kind !== 'records') return { kind: 'nomatch' };
      const { names, breach: tooMany } = run.r.mxNames(mx.records);
      const type = run.ip.family === 4 ? 'A' : 'AAAA';
      // Asked together: the answers are independent, and the DnsClient shares equal queries.
      const answers = await Promise.all(names.map((n) => run.r.resolve(n, type, false)));
      for (let i = 0; i < answers.length; i++) {
        const a = answers[i];
        if (!a) continue;
        if (a.kind === 'tempfail') return tempEnd(names[i] ?? '', type, a);
        if (a.kind === 'records' && a.records.some((addr) => addressMatches(run.ip, addr, prefixFor(run.ip, mech)))) return { kind: 'match' };
      }
      return tooMany ? breachEnd(tooMany) : { kind: 'nomatch' };
    }
    case 'ptr': {
      if (target === null) return { kind: 'nomatch' };
      const ptr = await run.r.resolve(run.ip.reverseName, 'PTR', true);
      if (ptr.kind === 'breach') return breachEnd(ptr.breach);
      // RFC 7208 5.5: a DNS error on the PTR lookup makes the mechanism fail to match.
      if (ptr.kind !== 'records') return { kind: 'nomatch' };
      const want = target.toLowerCase();
      const candidates = run.r.ptrNames(ptr.records).filter((n) => {
        const name = n.toLowerCase();
        return name === want || name.endsWith(`.${want}`);
      });
      for (const name of candidates) {
        if (await validates(run, name)) return { kind: 'match' };
      }
      return { kind: 'nomatch' };
    }
    case 'exists': {
      if (target === null) return { kind: 'nomatch' };
      // RFC 7208 5.7: always an A lookup, whatever the client's family.
      const a = await run.r.resolve(target, 'A', true);
      if (a.kind === 'breach') return breachEnd(a.breach);
      if (a.kind === 'tempfail') return tempEnd(target, 'A', a);
      return boolMatch(a.kind === 'records' && a.records.length > 0);
    }
  }
  return { kind: 'nomatch' };
}

const MATCH: MechOutcome = Object.freeze({ kind: 'match' });
const NOMATCH: MechOutcome = Object.freeze({ kind: 'nomatch' });

/** The outcome of all, ip4 and ip6, which ask no DNS (ip4 and ip6 against the client's address, RFC 7208 5.6); null for the others. */
function withoutLookup(run: Run, mech: SpfMechanism): MechOutcome | null {
  switch (mech.name) {
    case 'all':
      return MATCH;
    case 'ip4':
    case 'ip6':
      return networkMatches(run.ip, mech.name === 'ip4' ? 4 : 6, mech.network ?? '', mech.name === 'ip4' ? mech.cidr4 : mech.cidr6) ? MATCH : NOMATCH;
    default:
      return null;
  }
}

function prefixFor(ip: ClientIp, mech: SpfMechanism): number {
  return ip.family === 4 ? (mech.cidr4 ?? 32) : (mech.cidr6 ?? 128);
}

/** Whether a PTR name resolves back to the client (RFC 7208 5.5); a DNS error skips the name. */
async function validates(run: Run, name: string): Promise<boolean> {
  const a = await run.r.resolve(name, run.ip.family === 4 ? 'A' : 'AAAA', false);
  return a.kind === 'records' && a.records.some((addr) => addressMatches(run.ip, addr, run.ip.family === 4 ? 32 : 128));
}

/** The client's validated names for the `p` macro (RFC 7208 7.3), asked once per run. */
function validatedNames(run: Run): Promise<string[]> {
  run.validated ??= (async () => {
    const ptr = await run.r.resolve(run.ip.reverseName, 'PTR', false);
    if (ptr.kind !== 'records') return [];
    const names = run.r.ptrNames(ptr.records);
    const ok = await Promise.all(names.map((n) => validates(run, n)));
    return names.filter((_, i) => ok[i]);
  })();
  return run.validated;
}

function values(run: Run, domain: string): MacroValues {
  return {
    sender: run.sender,
    localPart: run.localPart,
    senderDomain: run.senderDomain,
    domain,
    ip: run.ip,
    helo: run.helo,
    receiver: run.receiver,
    timestamp: Math.floor(run.now() / 1000),
    validatedName: async () => {
      const names = await validatedNames(run);
      const d = domain.toLowerCase();
      // RFC 7208 7.3: the domain itself, else a subdomain of it, else any validated name.
      return names.find((n) => n.toLowerCase() === d) ?? names.find((n) => n.toLowerCase().endsWith(`.${d}`)) ?? names[0] ?? 'unknown';
    },
  };
}

/**
 * RFC 7208 6.2: the explanation of a fail. Any problem (a name that cannot be
 * built, a failed lookup, no record or more than one, a syntax error or
 * non-ASCII text) means no explanation. Neither a term nor a void lookup.
 */
async function explain(run: Run, domain: string, tokens: readonly MacroToken[]): Promise<string | null> {
  const name = targetName(await expandMacros(tokens, values(run, domain)));
  if (name === null) return null;
  const txt = await run.r.resolve(name, 'TXT', false);
  if (txt.kind !== 'records' || txt.records.length !== 1) return null;
  const parsed = parseMacroString(txt.records[0] as string, 'explanation');
  if (!parsed.ok) return null;
  return expandMacros(parsed.tokens, values(run, domain));
}

/** The path of a result in a few words: "include:a > include:b > ip4:…"; long paths keep their ends. */
export function describePath(path: readonly SpfStep[]): string {
  const terms = path.map((p) => visible(p.term, 60));
  const shown = terms.length > 5 ? [...terms.slice(0, 2), '…', ...terms.slice(-2)] : terms;
  return shown.join(' > ');
}

/**
 * The <domain> and <sender> check_host() gets for a MAIL FROM and HELO
 * (RFC 7208 2.3, 2.4): the sender's domain, or the HELO name for the null
 * sender.
 */
export function spfIdentity(sender: string, helo: string): { domain: string; sender: string } {
  if (sender === '') return { domain: helo, sender: `postmaster@${helo}` };
  const at = sender.lastIndexOf('@');
  return { domain: at < 0 ? sender : sender.slice(at + 1), sender };
}
