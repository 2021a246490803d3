import type { LookupContext } from '../dns/context.js';
import type { DnsAnswer } from '../dns/types.js';
import { parseDmarcRecord, type DmarcRecord } from './parse.js';
import { canonicalName } from '../domain/normalize.js';

/**
 * DMARC policy discovery by the RFC 9989 DNS Tree Walk (4.10, 4.10.1):
 * ask `_dmarc.<domain>`; without a record there, walk up from the parent
 * (a name of more than eight labels is first cut to seven, so no walk asks
 * more than eight names), collecting records and stopping at one that says
 * psd=y or psd=n. The Organizational Domain is the psd=n name, the name one
 * label below a psd=y name, or else the collected name with the fewest labels;
 * its record (or failing that, the PSD's) applies, with sp/np for subdomains.
 */
/** Most names one discovery asks: `_dmarc.<domain>` and the walk above it (RFC 9989 4.10 step 4). */
export const MAX_WALK_QUERIES = 8;

/** What one name of the walk holds: one usable record, several (all discarded), one unusable, or none. */
export type DmarcLevelResult = 'record' | 'multiple' | 'invalid' | 'none';

/** One name the walk asked about. */
export interface DmarcLevel {
  /** The domain (without _dmarc). */
  domain: string;
  /** The name queried: _dmarc.<domain>. */
  name: string;
  answer: Exclude<DnsAnswer<string>['kind'], 'tempfail'>;
  /** Every TXT string there. */
  records: string[];
  /** The records that start with v=DMARC1, parsed. */
  dmarc: DmarcRecord[];
  /** Records receivers discard that still look meant as DMARC (v=DMARC1 not first, v=dmarc1 …). */
  meant: DmarcRecord[];
  /** record: exactly one usable v=DMARC1 record; multiple: more than one (all discarded); invalid: one, unusable. */
  result: DmarcLevelResult;
  /** The record at this name when result is record. */
  record: DmarcRecord | null;
}

/** The record whose policy applies to the audited name, and whose it is. */
export interface AppliedDmarc {
  /** The domain whose record applies (the policy domain). */
  domain: string;
  record: DmarcRecord;
  /** own: the audited name's record; organizational: its Organizational Domain's; psd: its Public Suffix Domain's. */
  relation: 'own' | 'organizational' | 'psd';
}

/** The outcome of DMARC policy discovery: every name asked, the record that applies, the Organizational Domain, or the lookup that failed. */
export interface DmarcDiscovery {
  domain: string;
  /** The names asked, in order (the audited name first). */
  levels: DmarcLevel[];
  /** The lookup that failed, if one did: then nothing else is known. */
  tempfail: { name: string; answer: DnsAnswer<string> & { kind: 'tempfail' } } | null;
  applied: AppliedDmarc | null;
  /** The Organizational Domain the walk determined, or null when it did not need to (own record) or found nothing. */
  organizationalDomain: string | null;
}

/** The names a policy discovery for `domain` may ask about, in order: itself, then the walk (at most 8 in all). Pure. */
export function dmarcWalkNames(domain: string): string[] {
  const labels = canonicalName(domain).split('.').filter((l) => l !== '');
  if (labels.length === 0) return [];
  const names = [labels.join('.')];
  // RFC 9989 4.10 step 4: fewer than 8 labels lose one; 8 or more are cut until 7 remain.
  for (let n = Math.min(labels.length - 1, MAX_WALK_QUERIES - 1); n >= 1; n--) names.push(labels.slice(-n).join('.'));
  return names;
}

/** Sorts one name's TXT records the way receivers do (RFC 9989 4.10 steps 2 and 6). Pure. */
export function classifyDmarcRecords(domain: string, answer: Exclude<DnsAnswer<string>, { kind: 'tempfail' }>): DmarcLevel {
  const records = answer.kind === 'records' ? answer.records.filter((r) => typeof r === 'string') : [];
  const parsed = records.map((r) => parseDmarcRecord(r));
  const dmarc = parsed.filter((r) => r.isDmarc);
  const meant = parsed.filter((r) => !r.isDmarc && r.meantAsDmarc);
  const one = dmarc.length === 1 ? (dmarc[0] as DmarcRecord) : null;
  const result: DmarcLevelResult = dmarc.length > 1 ? 'multiple' : one ? (one.usable ? 'record' : 'invalid') : 'none';
  return { domain, name: `_dmarc.${domain}`, answer: answer.kind, records, dmarc, meant, result, record: result === 'record' ? one : null };
}

/**
 * DMARC policy discovery for `domain` (RFC 9989 4.10): its own
 * `_dmarc.<domain>` record, else the DNS tree walk (see dmarcWalkNames),
 * asking one name at a time through `ctx.dns`. Stops at the first lookup
 * that fails (`tempfail`), so a failure is never taken for a missing record.
 * Never throws for anything DNS can hold.
 */
export async function discoverDmarcPolicy(ctx: LookupContext, domain: string): Promise<DmarcDiscovery> {
  const { dns } = ctx;
  const names = dmarcWalkNames(domain);
  const out: DmarcDiscovery = { domain: names[0] ?? domain, levels: [], tempfail: null, applied: null, organizationalDomain: null };
  const collected: DmarcLevel[] = [];
  for (const [i, name] of names.entries()) {
    const q = `_dmarc.${name}`;
    const answer = await dns.resolve(q, 'TXT');
    if (answer.kind === 'tempfail') {
      out.tempfail = { name: q, answer };
      return out;
    }
    const level = classifyDmarcRecords(name, answer);
    out.levels.push(level);
    if (i === 0) {
      if (level.record) {
        out.applied = { domain: name, record: level.record, relation: 'own' };
        return out;
      }
      continue;
    }
    if (!level.record) continue;
    collected.push(level);
    if (level.record.psd !== 'u') break;
  }
  const last = collected[collected.length - 1];
  if (!last?.record) return out;
  if (last.record.psd === 'y') {
    // The Organizational Domain is one label below the PSD, on the way to the audited name.
    const org = out.domain.split('.').slice(-(last.domain.split('.').length + 1)).join('.');
    out.organizationalDomain = org;
    const own = collected.find((l) => l.domain === org);
    out.applied = own?.record
      ? { domain: own.domain, record: own.record, relation: 'organizational' }
      : { domain: last.domain, record: last.record, relation: 'psd' };
    return out;
  }
  // psd=n names itself; otherwise the record with the fewest labels wins.
  out.organizationalDomain = last.domain;
  out.applied = { domain: last.domain, record: last.record, relation: 'organizational' };
  return out;
}
