/**
 * The one place that enforces RFC 7208 4.6.4 during evaluation: a resolver
 * decorator over the DnsClient that counts DNS-querying terms (at most 10),
 * void lookups (at most 2), and caps the MX names (more than 10 is a
 * permerror) and PTR names (only the first 10 are used) of one mechanism.
 * Every query check_host() makes goes through it, so no path can run past
 * the limits.
 */
import type { DnsAnswer, DnsClient, MxRecord, RecordTypes, RRType } from '../dns/types.js';

/** DNS-querying terms one check_host() may evaluate (RFC 7208 4.6.4); one more is a permerror. */
export const MAX_DNS_LOOKUPS = 10;
/** Void lookups (NXDOMAIN or no records) one check_host() may meet (RFC 7208 4.6.4); one more is a permerror. */
export const MAX_VOID_LOOKUPS = 2;
export const MAX_MX_NAMES = 10;
export const MAX_PTR_NAMES = 10;

/** The RFC 7208 4.6.4 processing limits of one evaluation (SPF_LIMITS: 10, 2, 10, 10); tests pass smaller ones. */
export interface SpfLimits {
  lookups: number;
  voidLookups: number;
  mxNames: number;
  ptrNames: number;
}

export const SPF_LIMITS: Readonly<SpfLimits> = {
  lookups: MAX_DNS_LOOKUPS,
  voidLookups: MAX_VOID_LOOKUPS,
  mxNames: MAX_MX_NAMES,
  ptrNames: MAX_PTR_NAMES,
};

/** A limit was crossed: check_host() ends in permerror with this reason. */
export interface LimitBreach {
  breach: 'lookups' | 'void' | 'mx';
  reason: string;
}

export type BudgetAnswer<R> = DnsAnswer<R> | { kind: 'breach'; breach: LimitBreach };

/** One logged query, for explaining a result. */
export interface SpfQuery {
  name: string;
  type: RRType;
  kind: DnsAnswer<unknown>['kind'];
  counted: 'void' | 'no';
}

export interface SpfResolver {
  /** DNS-querying terms charged so far. */
  readonly lookups: number;
  /** Void answers (NXDOMAIN, or NOERROR with no records) counted so far. */
  readonly voidLookups: number;
  /** Charges one DNS-querying term (include, a, mx, ptr, exists, redirect); a breach past the limit. */
  chargeTerm(term: string): LimitBreach | null;
  /**
   * One query. `countVoid` for a term's own lookup (A/AAAA of a, MX of mx,
   * PTR of ptr, A of exists, TXT of include/redirect targets); not for the
   * addresses of MX and PTR names, the %{p} macro or the exp= text.
   */
  resolve<T extends RRType>(name: string, type: T, countVoid: boolean): Promise<BudgetAnswer<RecordTypes[T]>>;
  /**
   * The exchange names of an MX answer whose addresses may be looked up: the
   * first ten by preference. `breach` is set when there are more: the
   * mechanism is a permerror unless one of the ten already matched (RFC 7208
   * 4.6.4 limits the address lookups, so a match within them stands).
   */
  mxNames(records: readonly MxRecord[]): { names: string[]; breach: LimitBreach | null };
  /** The PTR names to check: the first ten, the rest ignored (RFC 7208 4.6.4). */
  ptrNames(records: readonly string[]): string[];
  /** The first failed query (TEMPFAIL), kept to name it in a DNS_TEMPFAIL finding. */
  readonly tempfail: { name: string; type: RRType; answer: DnsAnswer<never> & { kind: 'tempfail' } } | null;
  readonly queries: readonly SpfQuery[];
}

/** Queries one evaluation may log; past this the log stops growing (the counts go on). */
const MAX_LOGGED = 512;

export function createSpfResolver(dns: DnsClient, limits: SpfLimits = SPF_LIMITS): SpfResolver {
  let lookups = 0;
  let voids = 0;
  let tempfail: SpfResolver['tempfail'] = null;
  const queries: SpfQuery[] = [];
  return {
    get lookups() {
      return lookups;
    },
    get voidLookups() {
      return voids;
    },
    get tempfail() {
      return tempfail;
    },
    queries,
    chargeTerm(term) {
      lookups++;
      if (lookups > limits.lookups) {
        return { breach: 'lookups', reason: `"${term}" is DNS-querying term ${lookups}, over the limit of ${limits.lookups} (RFC 7208 4.6.4)` };
      }
      return null;
    },
    async resolve<T extends RRType>(name: string, type: T, countVoid: boolean): Promise<BudgetAnswer<RecordTypes[T]>> {
      const answer = await dns.resolve(name, type);
      const isVoid = answer.kind === 'nxdomain' || answer.kind === 'nodata' || (answer.kind === 'records' && answer.records.length === 0);
      if (queries.length < MAX_LOGGED) queries.push({ name, type, kind: answer.kind, counted: countVoid && isVoid ? 'void' : 'no' });
      if (answer.kind === 'tempfail' && !tempfail) tempfail = { name, type, answer };
      if (countVoid && isVoid) {
        voids++;
        if (voids > limits.voidLookups) {
          return { kind: 'breach', breach: { breach: 'void', reason: `the ${type} lookup of ${name} is void lookup ${voids}, over the limit of ${limits.voidLookups} (RFC 7208 4.6.4)` } };
        }
      }
      return answer;
    },
    mxNames(records) {
      const sorted = [...records].sort((a, b) => a.priority - b.priority);
      const breach: LimitBreach | null = records.length > limits.mxNames
        ? { breach: 'mx', reason: `the MX answer has ${records.length} names, and the address lookups of more than ${limits.mxNames} are over the limit (RFC 7208 4.6.4)` }
        : null;
      // A null MX ("." or empty) names no host (RFC 7505).
      const names = sorted.slice(0, limits.mxNames).map((r) => r.exchange.replace(/\.$/, '')).filter((n) => n !== '');
      return { names, breach };
    },
    ptrNames(records) {
      return records.slice(0, limits.ptrNames).map((n) => n.replace(/\.$/, ''));
    },
  };
}
