import type { DomainReport } from '../audit/audit.js';
import type { Severity } from '../findings/catalog.js';
import type { Grade } from '../findings/grade.js';

/**
 * `m365audit diff OLD NEW`: what changed between two saved runs, domain by
 * domain. Each report is cut down to the facts a diff compares (DiffFacts:
 * grade, score, findings by code, the records), then the two runs are
 * walked side by side (createDiffWalk): memory holds only the reports not
 * yet matched, which for runs in the same order (two batches of one list)
 * is a handful, whatever the number of domains.
 */

/** What happened to a domain between the runs. */
export type Verdict = 'regressed' | 'improved' | 'changed' | 'unchanged' | 'unknown' | 'added' | 'removed';

/** Every verdict, in the order the renderers list them (the worst news first). */
export const VERDICTS: readonly Verdict[] = ['regressed', 'improved', 'changed', 'unknown', 'added', 'removed', 'unchanged'];

/** A finding as diff names it: by code and area (its message from the run it is in). */
export interface DiffFinding {
  code: string;
  severity: Severity;
  area: string;
  message: string;
}

/** One record that changed: SPF, DMARC, a DKIM selector's CNAME target, the MX set. null: none published. */
export interface RecordChange {
  kind: 'spf' | 'dmarc' | 'dkim' | 'mx';
  /** Where it is published: the domain (SPF, MX), the DMARC record's name, the selector's name. */
  name: string;
  before: string | null;
  after: string | null;
}

/** One side of a domain's comparison: its grade and score, and its place in that run's input. */
export interface DiffSide {
  grade: Grade;
  score: number | null;
  /** The report's `row` in its run, or null when the run did not record rows. */
  row: number | null;
}

/** One domain of a diff. */
export interface DiffEntry {
  /** The ASCII domain, or the input of a row that is not a domain name. */
  domain: string | null;
  input: string;
  verdict: Verdict;
  before: DiffSide | null;
  after: DiffSide | null;
  findings: { new: DiffFinding[]; resolved: DiffFinding[] };
  records: RecordChange[];
}

/** Domains per grade in one run. */
export type GradeCounts = Record<Grade, number>;

/** What a diff says in sum. */
export interface DiffSummary {
  /** Domains in each run (rows, invalid ones included). */
  before: number;
  after: number;
  grades: { before: GradeCounts; after: GradeCounts };
  /** Domains per verdict. */
  verdicts: Record<Verdict, number>;
  /**
   * `same`: every domain in both runs came in the same order, so they were
   * matched as the runs were read, with only a few reports held; `differs`:
   * they were matched by domain, holding the unmatched ones (at most `held`).
   */
  order: 'same' | 'differs';
  /** Most reports held waiting for their match at once. */
  held: number;
}

/**
 * A report cut to what a diff compares. `records` maps a record's key
 * (`spf`, `dmarc`, `mx`, `dkim:selector1` …) to its value; an area whose
 * lookup failed, or that was not audited, has no key (unknown is never
 * "removed"). Findings of such an area are left out too.
 */
export interface DiffFacts {
  key: string;
  domain: string | null;
  input: string;
  side: DiffSide;
  findings: DiffFinding[];
  records: Map<string, { kind: RecordChange['kind']; name: string; value: string | null }>;
  /** The finding areas whose section could not be looked up in this run. */
  unknownAreas: Set<string>;
}

const RANK: Partial<Record<Grade, number>> = { 'not-ready': 0, 'needs-work': 1, ready: 2 };
const GRADES: readonly Grade[] = ['ready', 'needs-work', 'unknown', 'not-ready'];
/** The report section each finding area is judged in (DESIGN's area names); domain and dns have none. */
const SECTION_OF: Readonly<Record<string, keyof DomainReport>> = {
  mx: 'mx', spf: 'spf', dkim: 'dkim', dmarc: 'dmarc', autodiscover: 'autodiscover', verification: 'verification',
  'mta-sts': 'mtaSts', 'tls-rpt': 'tlsRpt', dnssec: 'dnssec', dane: 'dane',
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The key two runs' reports are matched by: the ASCII domain, or the input of a row that is not one. */
export function diffKey(report: Pick<DomainReport, 'domain' | 'input'>): string {
  return report.domain !== null ? `d:${report.domain}` : `i:${report.input}`;
}

/** A report cut to the facts a diff compares (see DiffFacts). Pure; reads saved sections defensively. */
export function diffFacts(report: DomainReport): DiffFacts {
  const unknownAreas = new Set<string>();
  for (const [area, key] of Object.entries(SECTION_OF)) {
    const section: unknown = report[key];
    if (isObject(section) && section.status === 'unknown') unknownAreas.add(area);
  }
  const seen = new Set<string>();
  const findings: DiffFinding[] = [];
  for (const f of report.findings) {
    const id = `${f.code} ${f.area}`;
    if (seen.has(id)) continue;
    seen.add(id);
    findings.push({ code: f.code, severity: f.severity, area: f.area, message: f.message });
  }
  const records: DiffFacts['records'] = new Map();
  const known = (section: unknown): section is Json => isObject(section) && section.status !== 'unknown';
  const domain = report.domain ?? report.input;
  const spf = report.spf as unknown;
  if (known(spf)) {
    const list = Array.isArray(spf.records) ? spf.records.filter((r): r is string => typeof r === 'string') : [];
    records.set('spf', { kind: 'spf', name: domain, value: str(spf.record) ?? (list.length > 0 ? list.join(' | ') : null) });
  }
  const dmarc = report.dmarc as unknown;
  if (known(dmarc)) records.set('dmarc', { kind: 'dmarc', name: str(dmarc.source) ?? `_dmarc.${domain}`, value: str(dmarc.record) });
  const dkim = report.dkim as unknown;
  if (known(dkim) && Array.isArray(dkim.selectors)) {
    for (const s of dkim.selectors as unknown[]) {
      if (!isObject(s) || typeof s.selector !== 'string') continue;
      records.set(`dkim:${s.selector}`, { kind: 'dkim', name: str(s.name) ?? `${s.selector}._domainkey.${domain}`, value: str(s.target) });
    }
  }
  const mx = report.mx as unknown;
  if (known(mx)) {
    const hosts = Array.isArray(mx.hosts) ? (mx.hosts as unknown[]).filter(isObject).map((h) => `${String(h.priority)} ${String(h.exchange)}`) : [];
    records.set('mx', { kind: 'mx', name: domain, value: hosts.length > 0 ? hosts.join(', ') : null });
  }
  return {
    key: diffKey(report),
    domain: report.domain,
    input: report.input,
    side: { grade: report.grade, score: report.score, row: typeof report.row === 'number' ? report.row : null },
    findings,
    records,
    unknownAreas,
  };
}

/**
 * Compares one domain's two reports. Findings are compared by code and
 * area, leaving out those of an area that could not be looked up in either
 * run (a failed lookup is not a fix); records only where both runs know
 * them. The verdict, in this order:
 *
 * - `regressed`: the grade got worse (ready > needs-work > not-ready), or a
 *   new error finding appeared (DNS_TEMPFAIL aside: a failed lookup makes
 *   the grade unknown, as in the grade rule) — what `--fail-on regression`
 *   fails on;
 * - `unknown`: either grade is unknown, so readiness cannot be compared;
 * - `improved`: the grade got better, or the same grade with a higher score;
 * - `changed`: the same grade, no new error, but the score went down or a
 *   finding or record differs;
 * - `unchanged`: nothing compared differs.
 */
export function compareFacts(before: DiffFacts, after: DiffFacts): DiffEntry {
  const skip = (f: DiffFinding): boolean => f.code !== 'DNS_TEMPFAIL' && (before.unknownAreas.has(f.area) || after.unknownAreas.has(f.area));
  const ids = (fs: readonly DiffFinding[]): Set<string> => new Set(fs.map((f) => `${f.code} ${f.area}`));
  const beforeIds = ids(before.findings);
  const afterIds = ids(after.findings);
  const added = after.findings.filter((f) => !beforeIds.has(`${f.code} ${f.area}`) && !skip(f));
  const resolved = before.findings.filter((f) => !afterIds.has(`${f.code} ${f.area}`) && !skip(f));
  const records: RecordChange[] = [];
  for (const [key, a] of after.records) {
    const b = before.records.get(key);
    if (b && b.value !== a.value) records.push({ kind: a.kind, name: a.name, before: b.value, after: a.value });
  }
  const b = before.side;
  const a = after.side;
  const rb = RANK[b.grade];
  const ra = RANK[a.grade];
  const differs = b.grade !== a.grade || b.score !== a.score || added.length > 0 || resolved.length > 0 || records.length > 0;
  let verdict: Verdict;
  if (added.some((f) => f.severity === 'error' && f.code !== 'DNS_TEMPFAIL') || (rb !== undefined && ra !== undefined && ra < rb)) verdict = 'regressed';
  else if (rb === undefined || ra === undefined) verdict = differs ? 'unknown' : 'unchanged';
  else if (ra > rb || (a.score ?? 0) > (b.score ?? 0)) verdict = 'improved';
  else verdict = differs ? 'changed' : 'unchanged';
  return { domain: after.domain ?? before.domain, input: after.input, verdict, before: b, after: a, findings: { new: added, resolved }, records };
}

/** A domain in one run only. */
function onlyIn(facts: DiffFacts, verdict: 'added' | 'removed'): DiffEntry {
  return { domain: facts.domain, input: facts.input, verdict, before: verdict === 'removed' ? facts.side : null, after: verdict === 'added' ? facts.side : null, findings: { new: [], resolved: [] }, records: [] };
}

const zeroGrades = (): GradeCounts => ({ ready: 0, 'needs-work': 0, unknown: 0, 'not-ready': 0 });

/** The walk of two runs side by side: see createDiffWalk. */
export interface DiffWalk {
  /** Hands over the next report of one run; returns the entry it completes, if it matches one held from the other run. */
  add(run: 'old' | 'new', report: DomainReport): DiffEntry | null;
  /** After both runs ended: the domains left unmatched, those only in the new run (added, in its order), then those only in the old (removed). */
  finish(): DiffEntry[];
  summary(): DiffSummary;
}

/**
 * Matches the reports of two runs as they are read, in any interleaving:
 * a report whose domain is held from the other run completes that entry at
 * once; else it is held until its match comes (or the end: added or
 * removed). Read alternately from two runs of one list in the same order,
 * a report waits at most for the domains added or removed before it: memory
 * stays flat in the number of domains. In other orders it is still right,
 * holding the unmatched reports' facts (DiffFacts, not the reports: 10,000
 * held cost about 50 MiB more peak RSS in `npm run bench`). A domain
 * listed twice in a run is matched to the other run's occurrences in turn.
 */
export function createDiffWalk(): DiffWalk {
  const held = { old: new Map<string, { facts: DiffFacts; seq: number }[]>(), new: new Map<string, { facts: DiffFacts; seq: number }[]>() };
  const seq = { old: 0, new: 0 };
  const counts = { old: 0, new: 0 };
  const grades = { old: zeroGrades(), new: zeroGrades() };
  const verdicts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  let holding = 0;
  let maxHeld = 0;
  let last = { old: -1, new: -1 };
  let sameOrder = true;
  const tally = (e: DiffEntry): DiffEntry => {
    verdicts[e.verdict]++;
    return e;
  };
  return {
    add(run, report) {
      const facts = diffFacts(report);
      const mine = { facts, seq: seq[run]++ };
      counts[run]++;
      if (GRADES.includes(report.grade)) grades[run][report.grade]++;
      const other = run === 'old' ? held.new : held.old;
      const queue = other.get(facts.key);
      const match = queue?.shift();
      if (match) {
        if (queue?.length === 0) other.delete(facts.key);
        holding--;
        const [o, n] = run === 'old' ? [mine, match] : [match, mine];
        // Two runs in the same order match in increasing places on both sides; one step back shows another order.
        if (o.seq < last.old || n.seq < last.new) sameOrder = false;
        last = { old: o.seq, new: n.seq };
        return tally(compareFacts(o.facts, n.facts));
      }
      const own = held[run];
      const list = own.get(facts.key);
      if (list) list.push(mine);
      else own.set(facts.key, [mine]);
      holding++;
      maxHeld = Math.max(maxHeld, holding);
      return null;
    },
    finish() {
      const left = (m: Map<string, { facts: DiffFacts; seq: number }[]>, verdict: 'added' | 'removed'): DiffEntry[] =>
        [...m.values()].flat().sort((x, y) => x.seq - y.seq).map((h) => tally(onlyIn(h.facts, verdict)));
      // Added and removed domains each in their run's order.
      const out = [...left(held.new, 'added'), ...left(held.old, 'removed')];
      held.old.clear();
      held.new.clear();
      holding = 0;
      return out;
    },
    summary: () => ({ before: counts.old, after: counts.new, grades: { before: grades.old, after: grades.new }, verdicts: { ...verdicts }, order: sameOrder ? 'same' : 'differs', held: maxHeld }),
  };
}
