import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryDnsClient, type MemoryName } from '../../src/dns/memory.js';
import { normalizeDomain } from '../../src/domain/normalize.js';
import type { FindingCode } from '../../src/findings/catalog.js';
import { createHttpsClient, type HttpsClient } from '../../src/http/client.js';
import { startMtaStsHost, type MtaStsPolicySpec, type SandboxMtaStsHost } from '../../src/sandbox/index.js';
import { checkMtaSts, type MtaStsSection } from '../../src/transport/mta-sts.js';
import { matchMxPatterns, parseMtaStsPolicy } from '../../src/transport/mta-sts-policy.js';
import { parseMtaStsRecord } from '../../src/transport/mta-sts-record.js';
import { splitRecordTags } from '../../src/transport/tags.js';
import { checkTlsRpt, parseTlsRptRecord } from '../../src/transport/tls-rpt.js';
import { FIXTURES } from '../support/fixtures.js';

/**
 * The conformance vectors of fixtures/mta-sts/mta-sts-vectors.json and
 * fixtures/tlsrpt/tlsrpt-vectors.json (mox, postfix-mta-sts-resolver,
 * checkdmarc, stalwart mail-auth, mimecast mta-sts; licences beside them),
 * each run through our parsers, or end to end through checkMtaSts /
 * checkTlsRpt over an in-memory DNS table and the sandbox's policy host.
 *
 * We follow RFC 8461 and RFC 8460, so every vector must agree except those
 * listed in DISAGREE with the reason; the test checks that list is exactly
 * right, and AGREEMENT gives the tally per source and profile. The
 * disagreements are all of three kinds: checkdmarc's strict profile (which
 * rejects what the RFCs tell parsers to ignore: extensions, a repeated
 * field), a tokenizer table that is not a verdict, and mox calling a 404 or
 * an over-64 KiB body "no policy" / "syntax error" where DESIGN.md's
 * MTA_STS_POLICY_UNAVAILABLE names them.
 */
interface RecordVector { source: string; record: string; valid: boolean; expected?: { id?: string; extensions?: [string, string][] }; profile: string }
interface PolicyVector { source: string; policy: string; valid: boolean; expected?: { version?: string; mode?: string; mx?: string[]; max_age?: number; extensions?: [string, string][] }; profile: string }
interface MtaStsVectors {
  records: RecordVector[];
  tag_split: { source: string; record: string; tags: Record<string, string> }[];
  policies: PolicyVector[];
  mx_matching: { source: string; mx_patterns: string[]; host: string; matches: boolean }[];
  lookup: { source: string; txt: Record<string, string[]>; cname: Record<string, string>; temperror: string[]; cases: { domain: string; expected: string | { id: string } }[] };
  fetch: { source: string; cases: { domain: string; txt?: string | null; http_status?: number; content_type?: string; body?: string; body_desc?: string; expected: string; expected_policy?: { mode: string; mx: string[]; max_age: number } }[] };
  mox_fetch: { source: string; cases: { domain: string; http_status?: number; body?: string; body_desc?: string; cert?: string; expected: string | { mode: string; max_age: number; mx: string[] } }[] };
}
interface TlsRptVectors {
  records: { source: string; record: string; valid: boolean; expected?: { rua: string[][]; extensions?: [string, string][] }; profile: string }[];
  lookup: { source: string; txt: Record<string, string[]>; temperror: string[]; cases: { domain: string; expected: string | object }[] };
}
const STS = JSON.parse(readFileSync(`${FIXTURES}mta-sts/mta-sts-vectors.json`, 'utf8')) as MtaStsVectors;
const RPT = JSON.parse(readFileSync(`${FIXTURES}tlsrpt/tlsrpt-vectors.json`, 'utf8')) as TlsRptVectors;

/** Vectors where our verdict differs from the source's, by table and index, with the reason. */
const DISAGREE: Record<string, string> = {
  'records 23': 'checkdmarc-strict rejects "id=foo; id=bar"; RFC 8461 §3.2 keeps the first of a duplicated field (mox applies it to the record too), so the record is valid with id foo',
  'tag_split 8': 'Snawoot\'s tokenizer table, not a verdict: the ABNF has no empty field, so ";;;" after the id does not split (mox\'s records vector 17 rejects ";;" the same way)',
  'policies 31': 'checkdmarc-strict rejects a duplicated mode; RFC 8461 §3.2: "all entries except for the first SHALL be ignored" (mode enforce)',
  'policies 36': 'checkdmarc-strict rejects the unknown key "badkey"; RFC 8461 §3.2 ignores unknown fields (sts-policy-extension)',
  'mox_fetch 3': 'mox: a 404 is "no policy" for a sender; an audit reports the announced policy it cannot fetch (MTA_STS_POLICY_UNAVAILABLE, DESIGN.md)',
  'mox_fetch 7': 'mox reads 64 KiB and fails to parse the NUL bytes; we stop at the 64 KiB cap (RFC 8461 §3.3) and report it unavailable: not usable either way',
  'tlsrpt 25': 'checkdmarc-strict rejects a repeated rua= tag; the RFC 8460 §3 ABNF repeats fields freely (mox reads both as destinations)',
};

const tally = new Map<string, { agree: number; total: number }>();
const disagreements: string[] = [];
/** Records one verdict: agreement, or a disagreement under `key`. */
function judge(key: string, source: string, profile: string, agrees: boolean): void {
  const k = `${key.split(' ')[0]}: ${source.split(' ')[0]} ${profile.split(' ')[0]}`;
  const t = tally.get(k) ?? { agree: 0, total: 0 };
  t.total++;
  if (agrees) t.agree++;
  else disagreements.push(key);
  tally.set(k, t);
}

describe('MTA-STS record vectors (RFC 8461 §3.1)', () => {
  it.each(STS.records.map((v, i) => [i, v] as const))('records %i', (i, v) => {
    const r = parseMtaStsRecord(v.record);
    let agrees = r.ok === v.valid;
    if (agrees && r.ok && v.expected?.id !== undefined) agrees = r.record.id === v.expected.id;
    if (agrees && r.ok && v.expected?.extensions !== undefined) agrees = JSON.stringify(r.record.extensions.map((e) => [e.name, e.value])) === JSON.stringify(v.expected.extensions);
    judge(`records ${i}`, v.source, v.profile, agrees);
    expect(agrees, DISAGREE[`records ${i}`] ?? `${JSON.stringify(v.record)}: ${JSON.stringify(r)}`).toBe(!(`records ${i}` in DISAGREE));
  });

  it.each(STS.tag_split.map((v, i) => [i, v] as const))('tag_split %i', (i, v) => {
    const r = splitRecordTags(v.record, 'v=STSv1');
    const ours = r.ok ? Object.fromEntries([['v', 'STSv1'], ...r.tags.map((t) => [t.name, t.value])]) : {};
    const agrees = JSON.stringify(ours) === JSON.stringify(v.tags);
    judge(`tag_split ${i}`, v.source, 'tokenizer', agrees);
    expect(agrees, DISAGREE[`tag_split ${i}`] ?? JSON.stringify(r)).toBe(!(`tag_split ${i}` in DISAGREE));
  });
});

describe('MTA-STS policy vectors (RFC 8461 §3.2) and mx matching (§4.1)', () => {
  it.each(STS.policies.map((v, i) => [i, v] as const))('policies %i', (i, v) => {
    const r = parseMtaStsPolicy(v.policy);
    let agrees = r.ok === v.valid;
    const e = v.expected;
    if (agrees && r.ok && e) {
      const p = r.policy;
      agrees = (e.version === undefined || e.version === p.version) && (e.mode === undefined || e.mode === p.mode) && (e.max_age === undefined || e.max_age === p.maxAge) &&
        (e.mx === undefined || JSON.stringify(e.mx) === JSON.stringify(p.mx)) &&
        (e.extensions === undefined || JSON.stringify(e.extensions) === JSON.stringify(p.extensions.map((x) => [x.name, x.value])));
    }
    judge(`policies ${i}`, v.source, v.profile, agrees);
    expect(agrees, DISAGREE[`policies ${i}`] ?? `${JSON.stringify(v.policy)}: ${JSON.stringify(r)}`).toBe(!(`policies ${i}` in DISAGREE));
  });

  it.each(STS.mx_matching.map((v, i) => [i, v] as const))('mx_matching %i', (i, v) => {
    const agrees = (matchMxPatterns(v.mx_patterns, v.host) !== null) === v.matches;
    judge(`mx_matching ${i}`, v.source, 'rfc8461', agrees);
    expect(agrees).toBe(true);
  });
});

/** An in-memory DNS table from a vector's TXT, CNAME and temperror lists (names with trailing dots). */
function table(txt: Record<string, string[]>, cname: Record<string, string> = {}, temperror: string[] = []): Record<string, MemoryName> {
  const t: Record<string, MemoryName> = {};
  for (const [n, v] of Object.entries(txt)) t[n] = { TXT: v };
  for (const [n, v] of Object.entries(cname)) t[n] = { CNAME: v };
  for (const q of temperror) t[q.replace(/^txt /, '')] = { timeout: true };
  return t;
}

/** Our verdict in the sources' words: the record and policy facts as a sender would act on them. */
function verdict(codes: FindingCode[]): string {
  if (codes.includes('DNS_TEMPFAIL')) return 'dns-error';
  if (codes.includes('MTA_STS_MISSING')) return 'no-record';
  if (codes.includes('MTA_STS_TXT_INVALID')) return 'record-invalid';
  if (codes.includes('MTA_STS_POLICY_UNAVAILABLE')) return 'fetch-error';
  if (codes.includes('MTA_STS_POLICY_INVALID')) return 'policy-syntax-error';
  return 'valid';
}

describe('MTA-STS lookup scenarios (mox)', () => {
  const dns = createMemoryDnsClient(table(STS.lookup.txt, STS.lookup.cname, STS.lookup.temperror));
  it.each(STS.lookup.cases.map((c, i) => [i, c] as const))('lookup %i', async (i, c) => {
    // No HTTPS client: the record alone is judged, as the mox lookup does.
    const r = await checkMtaSts({ dns }, c.domain, { mxHosts: null, cloud: 'worldwide' });
    const ours = verdict(r.findings.map((f) => f.code));
    const want = typeof c.expected === 'object' ? 'valid' : { 'no-record': 'no-record', 'record-syntax-error': 'record-invalid', 'multiple-records': 'record-invalid', 'dns-error': 'dns-error' }[c.expected];
    let agrees = ours === want;
    if (agrees && typeof c.expected === 'object') agrees = r.section.id === c.expected.id && r.section.state === 'unknown';
    if (agrees && ours === 'dns-error') agrees = r.section.state === 'unknown';
    judge(`lookup ${i}`, STS.lookup.source, 'rfc8461', agrees);
    expect(agrees, `${c.domain}: ${ours} vs ${String(want)}`).toBe(true);
  });
});

/** A body the vectors describe instead of giving: over 64 KiB. */
function described(desc: string): Buffer {
  if (desc.startsWith('65538 NUL')) return Buffer.alloc(65538, 0);
  // "valid policy lines followed by 2049 x 64 "a"" (postfix-mta-sts-resolver's nginx.conf)
  return Buffer.from(`version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: 86400\n${`${'a'.repeat(64)}\n`.repeat(2049)}`);
}

describe('end-to-end fetch scenarios over the sandbox policy host', () => {
  let host: SandboxMtaStsHost;
  let https: HttpsClient;
  const txt: Record<string, string[]> = {};
  beforeAll(async () => {
    const policies: Record<string, MtaStsPolicySpec> = {};
    for (const c of STS.fetch.cases) {
      const norm = normalizeDomain(c.domain);
      if (!norm.ok) continue;
      if (c.txt) txt[`_mta-sts.${norm.domain}`] = [c.txt];
      if (c.http_status === undefined) continue;
      const body = c.body ?? (c.body_desc ? described(c.body_desc) : '');
      policies[norm.domain] = {
        body, status: c.http_status, contentType: c.content_type ?? 'text/plain',
        chunked: c.domain.startsWith('chunked'),
        certificate: c.domain === 'bad-cert1.loc' ? 'untrusted' : c.domain === 'bad-cert2.loc' ? 'wrong-name' : 'valid',
      };
    }
    host = await startMtaStsHost({ policies });
    https = createHttpsClient({ ca: host.caPem, route: host.route, timeoutMs: 5000 });
  });
  afterAll(() => host.close());

  it.each(STS.fetch.cases.map((c, i) => [i, c] as const))('fetch %i (postfix-mta-sts-resolver)', async (i, c) => {
    const norm = normalizeDomain(c.domain);
    let ours: string;
    let section: MtaStsSection | null = null;
    if (!norm.ok) ours = 'NONE';
    else {
      const r = await checkMtaSts({ dns: createMemoryDnsClient(table(txt)), https }, norm.domain, { mxHosts: null, cloud: 'worldwide' });
      section = r.section;
      const v = verdict(r.findings.map((f) => f.code));
      ours = v === 'valid' ? 'VALID' : v === 'no-record' || v === 'record-invalid' ? 'NONE' : 'FETCH_ERROR';
    }
    let agrees = ours === c.expected;
    if (agrees && c.expected_policy) agrees = section?.policy?.mode === c.expected_policy.mode && JSON.stringify(section.policy.mx) === JSON.stringify(c.expected_policy.mx) && section.policy.maxAge === c.expected_policy.max_age;
    judge(`fetch ${i}`, STS.fetch.source, 'rfc8461', agrees);
    expect(agrees, `${c.domain}: ${ours} vs ${c.expected}`).toBe(true);
  });

  it.each(STS.mox_fetch.cases.map((c, i) => [i, c] as const))('mox_fetch %i', async (i, c) => {
    const spec: MtaStsPolicySpec = c.http_status === undefined ? { refuse: true } : {
      body: c.body ?? (c.body_desc ? described(c.body_desc) : ''), status: c.http_status,
      certificate: c.cert === 'expired' ? 'expired' : c.domain === 'other.example' ? 'wrong-name' : 'valid',
    };
    const domain = `m${i}.${c.domain}`;
    host.setPolicy(domain, spec);
    const records = c.domain === 'doesnotexist.example' ? {} : { [`_mta-sts.${domain}`]: ['v=STSv1; id=1'] };
    const r = await checkMtaSts({ dns: createMemoryDnsClient(table(records)), https }, domain, { mxHosts: null, cloud: 'worldwide' });
    const ours = verdict(r.findings.map((f) => f.code));
    const want = typeof c.expected === 'object' ? 'valid' : { 'no-policy': 'no-record', 'policy-fetch-error': 'fetch-error', 'policy-syntax-error': 'policy-syntax-error' }[c.expected];
    let agrees = ours === want;
    if (agrees && typeof c.expected === 'object') agrees = r.section.policy?.mode === c.expected.mode && r.section.policy.maxAge === c.expected.max_age && r.section.policy.mxTotal === c.expected.mx.length;
    judge(`mox_fetch ${i}`, STS.mox_fetch.source, 'rfc8461', agrees);
    expect(agrees, DISAGREE[`mox_fetch ${i}`] ?? `${c.domain}: ${ours} vs ${String(want)}`).toBe(!(`mox_fetch ${i}` in DISAGREE));
  });
});

describe('TLS-RPT vectors (RFC 8460 §3)', () => {
  it.each(RPT.records.map((v, i) => [i, v] as const))('tlsrpt %i', (i, v) => {
    const r = parseTlsRptRecord(v.record);
    let agrees = r.ok === v.valid;
    if (agrees && r.ok && v.expected) agrees = JSON.stringify(r.record.rua.map((u) => u.uri)) === JSON.stringify(v.expected.rua.flat());
    if (agrees && r.ok && v.expected?.extensions) agrees = JSON.stringify(r.record.extensions.map((e) => [e.name, e.value])) === JSON.stringify(v.expected.extensions);
    judge(`tlsrpt ${i}`, v.source, v.profile, agrees);
    expect(agrees, DISAGREE[`tlsrpt ${i}`] ?? `${JSON.stringify(v.record)}: ${JSON.stringify(r)}`).toBe(!(`tlsrpt ${i}` in DISAGREE));
  });

  const dns = createMemoryDnsClient(table(RPT.lookup.txt, {}, RPT.lookup.temperror));
  it.each(RPT.lookup.cases.map((c, i) => [i, c] as const))('tlsrpt lookup %i', async (i, c) => {
    const r = await checkTlsRpt({ dns }, c.domain, { required: false });
    const codes = r.findings.map((f) => f.code);
    const ours = codes.includes('DNS_TEMPFAIL') ? 'dns-error' : codes.includes('TLS_RPT_MISSING') ? 'no-record' : codes.includes('TLS_RPT_INVALID') ? 'invalid' : 'valid';
    const want = typeof c.expected === 'object' ? 'valid' : c.expected === 'no-record' ? 'no-record' : c.expected === 'dns-error' ? 'dns-error' : 'invalid';
    judge(`tlsrpt-lookup ${i}`, RPT.lookup.source, 'rfc8460', ours === want);
    expect(ours, c.domain).toBe(want);
  });
});

describe('agreement', () => {
  it('the disagreements are exactly the listed ones, and the tally per source and profile is', () => {
    expect(disagreements.sort()).toEqual(Object.keys(DISAGREE).sort());
    expect(Object.fromEntries([...tally].sort(([a], [b]) => a.localeCompare(b)).map(([k, t]) => [k, `${t.agree}/${t.total}`]))).toEqual(AGREEMENT);
  });
});

/** Agreed / total per source and profile (filled from a run; a change in either direction fails the test above). */
const AGREEMENT: Record<string, string> = {
  'fetch: Snawoot/postfix-mta-sts-resolver rfc8461': '22/22',
  'lookup: mjl-/mox rfc8461': '9/9',
  'mox_fetch: mjl-/mox rfc8461': '7/9',
  'mx_matching: domainaware/checkdmarc rfc8461': '3/3',
  'mx_matching: mimecast/mta-sts rfc8461': '3/3',
  'mx_matching: mjl-/mox rfc8461': '5/5',
  'policies: domainaware/checkdmarc checkdmarc-strict': '11/13',
  'policies: mimecast/mta-sts rfc8461': '7/7',
  'policies: mjl-/mox rfc8461': '24/24',
  'records: Snawoot/postfix-mta-sts-resolver rfc8461': '4/4',
  'records: domainaware/checkdmarc checkdmarc-strict': '3/4',
  'records: mimecast/mta-sts rfc8461': '8/8',
  'records: mjl-/mox rfc8461': '18/18',
  'records: stalwartlabs/mail-auth rfc8461': '2/2',
  'tag_split: Snawoot/postfix-mta-sts-resolver tokenizer': '8/9',
  'tlsrpt-lookup: mjl-/mox rfc8460': '7/7',
  'tlsrpt: domainaware/checkdmarc checkdmarc-strict': '6/7',
  'tlsrpt: mjl-/mox rfc8460': '20/20',
  'tlsrpt: stalwartlabs/mail-auth rfc8460': '3/3',
};
