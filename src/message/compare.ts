/**
 * Where today's DNS disagrees with what the receiver recorded: the results a
 * receiver wrote into Authentication-Results (spf=, dkim= with header.d= and
 * header.s=, dmarc=) beside m365audit's own verdicts now, listed where they
 * differ. The input of MESSAGE_DNS_CHANGED. Pure.
 */
import type { DkimSignatureVerdict } from './dkim-verify.js';

/** The receiver's recorded results, as the Authentication-Results parser gives them (RFC 8601 result words, any case). */
export interface RecordedVerdicts {
  spf?: string | undefined;
  dkim?: readonly { result: string; domain?: string | undefined; selector?: string | undefined }[] | undefined;
  dmarc?: string | undefined;
}

/** m365audit's verdicts now, each part absent when it was not evaluated. */
export interface CurrentVerdicts {
  spf?: { result: string } | null | undefined;
  dkim?: readonly Pick<DkimSignatureVerdict, 'domain' | 'selector' | 'result' | 'reason' | 'bodyHash' | 'key'>[] | undefined;
  dmarc?: { result: string } | null | undefined;
}

/**
 * What explains a difference: `dns`, today's records (SPF and DMARC
 * records, a DKIM key now missing, revoked, unusable or under 1024 bits, or
 * a signature that passes now); `message`, the message itself (its body no
 * longer hashes to bh=: it was changed after the receiver saw it);
 * `unclear`, anything else (a signature that does not verify with the key
 * there now: the key was replaced, or a signed header field changed; a
 * signature refused before any lookup), and a DMARC difference that comes
 * with such a DKIM one.
 */
export type DifferenceCause = 'dns' | 'message' | 'unclear';

/** One place where the receiver's result and today's differ. */
export interface VerdictDifference {
  method: 'spf' | 'dkim' | 'dmarc';
  /** DKIM: the signing domain (d=) and selector compared; null for SPF and DMARC (and a selector the receiver did not record). */
  domain: string | null;
  selector: string | null;
  /** The receiver's result, lower-cased. */
  recorded: string;
  /** Today's result. */
  now: string;
  cause: DifferenceCause;
  /** Today's reason (DKIM), or null. */
  reason: string | null;
}

/**
 * A recorded result in the words compared: lower case; Microsoft's
 * `bestguesspass` (no DMARC record, but it would have passed) is no record
 * (`none`), as today's verdict for the same domain is.
 */
function word(result: string): string {
  const w = result.trim().toLowerCase();
  return w === 'bestguesspass' ? 'none' : w;
}

type CurrentDkim = NonNullable<CurrentVerdicts['dkim']>[number];

/** A DKIM difference's cause from today's verdict: the key as DNS gives it, the body hash, or neither. */
function dkimCause(v: CurrentDkim): DifferenceCause {
  if (v.bodyHash === 'mismatch') return 'message';
  const key = v.key?.status;
  if (v.result === 'pass' || key === 'missing' || key === 'revoked' || key === 'invalid' || key === 'insecure') return 'dns';
  return 'unclear';
}

/**
 * The results that differ between the receiver's record and today's
 * verdicts, SPF first, then each recorded DKIM result, then DMARC. A
 * recorded DKIM result is matched to today's signature by d= (and s= when
 * recorded; when several signatures share d=, one with the same result
 * counts as agreement); one without header.d=, or with a d= no signature of
 * the message has, is not compared. Today's temperror is never a
 * difference: it says nothing about the records. Pure.
 */
export function compareVerdicts(recorded: RecordedVerdicts, current: CurrentVerdicts): VerdictDifference[] {
  const out: VerdictDifference[] = [];
  const differs = (then: string | undefined, now: string | undefined): now is string => then !== undefined && now !== undefined && now !== 'temperror' && word(then) !== word(now);
  if (differs(recorded.spf, current.spf?.result)) {
    out.push({ method: 'spf', domain: null, selector: null, recorded: word(recorded.spf ?? ''), now: current.spf?.result ?? '', cause: 'dns', reason: null });
  }
  const signatures = current.dkim ?? [];
  for (const r of recorded.dkim ?? []) {
    if (!r.domain) continue;
    const d = r.domain.trim().toLowerCase();
    const s = r.selector?.trim().toLowerCase();
    const candidates = signatures.filter((v) => v.domain === d && (!s || v.selector === s));
    if (candidates.length === 0 || candidates.some((v) => !differs(r.result, v.result))) continue;
    const v = candidates[0] as CurrentDkim;
    out.push({ method: 'dkim', domain: d, selector: s ?? v.selector, recorded: word(r.result), now: v.result, cause: dkimCause(v), reason: v.reason });
  }
  if (differs(recorded.dmarc, current.dmarc?.result)) {
    const dkimCauses = out.filter((x) => x.method === 'dkim').map((x) => x.cause);
    out.push({ method: 'dmarc', domain: null, selector: null, recorded: word(recorded.dmarc ?? ''), now: current.dmarc?.result ?? '', cause: dkimCauses.some((c) => c !== 'dns') ? 'unclear' : 'dns', reason: null });
  }
  return out;
}
