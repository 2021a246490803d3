/**
 * Renderers for probe results and code explanations. Pure: data in, string
 * out. Every string that came from a server (banner, EHLO, replies,
 * certificate names) goes through the shared sanitizer, so no terminal
 * escape reaches the terminal.
 */
import { reachability } from '../smtp/reachability.js';
import { paint } from './ansi.js';
import Table from 'cli-table3';
import type { Finding } from '../findings/catalog.js';
import { renderRunFooter, type ProbeRunInfo } from './run.js';
import { cleanText, safeJson } from './safe-text.js';
import type { CodeExplanation } from '../smtp/codes.js';
import type { OAuthFacts, ProbeResult } from '../smtp/types.js';
import { reachableFact } from './probe-summary.js';

/** Options of the probe and explain renderers: colour (a terminal only) and the run's audit trail. */
export interface ProbeRenderOptions {
  color?: boolean;
  /** The run's audit trail, as the last line (probe table). */
  run?: ProbeRunInfo | undefined;
}

/** Two columns that fit an 80-column terminal. */
function table(rows: [string, string][], color: boolean | undefined): string {
  const t = new Table({ style: { head: [], border: [], compact: false }, wordWrap: true, colWidths: [16, 62] });
  for (const [k, v] of rows) t.push([paint(color, 'bold', k), v]);
  return t.toString();
}

const SEVERITY = { error: ['✗ error  ', 'red'], warning: ['! warning', 'yellow'], info: ['i info   ', 'dim'] } as const;

export function renderFindingLines(findings: readonly Finding[], color?: boolean): string[] {
  const lines: string[] = [];
  for (const f of findings) {
    const [label, c] = SEVERITY[f.severity];
    lines.push(`  ${paint(color, c, label)} ${f.code}: ${cleanText(f.message)}`);
    if (f.evidence) lines.push(`      evidence: ${cleanText(f.evidence)}`);
    if (f.fix) lines.push(`      fix: ${cleanText(f.fix)}`);
  }
  return lines;
}

const list = (xs: readonly string[] | null): string => (xs === null ? '—' : xs.length === 0 ? '(none)' : xs.map(cleanText).join(', '));
const ms = (n: number | null): string => (n === null ? '—' : `${n} ms`);

/** The verdict of one probe in a few words (for a table beside domain results). */
export function probeVerdict(r: ProbeResult): 'ok' | 'warning' | 'failed' {
  if (r.findings.some((f) => f.severity === 'error')) return 'failed';
  if (r.findings.some((f) => f.severity === 'warning')) return 'warning';
  return 'ok';
}

/** A key/value table of one probe, then its findings. */
export function renderProbeTable(r: ProbeResult, options: ProbeRenderOptions = {}): string {
  const { color } = options;
  const endpoint = r.host.includes(':') ? `[${r.host}]:${r.port}` : `${r.host}:${r.port}`;
  const verdict = probeVerdict(r);
  const rows: [string, string][] = [
    ['Endpoint', `${cleanText(endpoint)} (${r.tls === 'implicit' ? 'implicit TLS' : 'STARTTLS'})`],
    ['Result', paint(color, verdict === 'ok' ? 'green' : verdict === 'warning' ? 'yellow' : 'red', verdict)],
    ['Reachable', reachableFact(r)],
    ['Banner', r.banner === null ? '—' : cleanText(r.banner)],
  ];
  if (r.tls === 'starttls') {
    rows.push(['EHLO', list(r.ehlo.beforeTls)]);
    rows.push(['STARTTLS', r.starttls === null ? '—' : r.starttls ? 'offered' : 'not offered']);
  }
  rows.push(['TLS', r.tlsVersion ? `${cleanText(r.tlsVersion)} ${cleanText(r.cipher ?? '')}`.trim() : '—']);
  const c = r.certificate;
  if (c) {
    rows.push(['Certificate', [
      `${c.verified ? paint(color, 'green', 'verified') : paint(color, 'red', `not verified (${cleanText(c.error ?? 'unknown')})`)}`,
      `subject: ${cleanText(c.subject) || '—'}`,
      `issuer: ${cleanText(c.issuer) || '—'}`,
      `names: ${c.altNames.length ? c.altNames.map(cleanText).join(' ') : '—'}`,
      `valid: ${c.validFrom ?? '?'} to ${c.validTo ?? '?'}`,
      // 95 characters do not fit the column in one piece: two rows of 16 bytes.
      `sha256: ${cleanText(c.fingerprint256.slice(0, 48))}`,
      ...(c.fingerprint256.length > 48 ? [`        ${cleanText(c.fingerprint256.slice(48))}`] : []),
    ].join('\n')]);
  }
  rows.push(['EHLO after TLS', list(r.ehlo.afterTls)]);
  rows.push(['AUTH', list(r.authMechanisms)]);
  if (r.auth) {
    const a = r.auth;
    const detail = a.reply ? `: ${cleanText(a.reply)}` : a.reason ? ` (${cleanText(a.reason)})` : '';
    rows.push(['AUTH test', `${cleanText(a.user)} via ${a.mechanism}: ${a.outcome}${detail}`]);
  }
  if (r.oauth) rows.push(['OAuth token', oauthFact(r.oauth)]);
  rows.push(['Timing', `connect ${ms(r.timing.connectMs)}, banner ${ms(r.timing.bannerMs)}, TLS ${ms(r.timing.tlsMs)}, total ${ms(r.timing.totalMs)}`]);
  const lines = [table(rows, color)];
  lines.push(r.findings.length === 0 ? '  no findings' : renderFindingLines(r.findings, color).join('\n'));
  if (options.run) lines.push('', renderRunFooter(options.run));
  return `${lines.join('\n')}\n`;
}

const TOKEN_SOURCES: Record<OAuthFacts['source'], string> = {
  env: 'from M365AUDIT_OAUTH_TOKEN',
  stdin: 'from stdin (--token-stdin)',
  secret: 'from the client-credentials grant (client secret)',
  certificate: 'from the client-credentials grant (certificate)',
};

/** Unix seconds as ISO 8601, or the number as it is when it is no date (claims come from the token: data). */
function unixTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString();
}

/** Where the XOAUTH2 token came from, and the claims that decide SMTP (never the token). */
function oauthFact(o: OAuthFacts): string {
  const lines = [TOKEN_SOURCES[o.source]];
  if (o.tokenUrl) lines.push(`token endpoint: ${cleanText(o.tokenUrl)}`);
  const c = o.claims;
  if (o.error) {
    const codes = o.error.codes.length > 0 ? ` (AADSTS${o.error.codes.join(', AADSTS')})` : '';
    lines.push(`no token: ${cleanText(o.error.error ?? o.error.kind)}${codes}`);
  } else if (!c) {
    lines.push('claims: not decoded');
  } else if (c.format === 'opaque') {
    lines.push('claims: none readable (not a JWT)');
  } else {
    const list = (v: readonly string[] | null): string | null => (v && v.length > 0 ? v.join(' ') : null);
    const shown: [string, string | null][] = [
      ['kind', c.kind], ['aud', list(c.aud)], ['roles', list(c.roles)], ['scp', list(c.scp)], ['tid', c.tid], ['appid', c.appid],
      ['credential', c.credential], ['oid', c.oid], ['exp', c.exp === null ? null : unixTime(c.exp)], ['idtyp', c.idtyp],
    ];
    for (const [k, v] of shown) if (v !== null) lines.push(`${k}: ${cleanText(v)}`);
  }
  return lines.join('\n');
}

/** One line per probe, for a summary under a domain table (check/batch). */
export function renderProbeSummary(results: readonly ProbeResult[], options: ProbeRenderOptions = {}): string {
  const lines: string[] = [];
  for (const r of results) {
    const endpoint = r.host.includes(':') ? `[${r.host}]:${r.port}` : `${r.host}:${r.port}`;
    const v = probeVerdict(r);
    const facts = [
      reachability(r),
      r.tlsVersion ? cleanText(r.tlsVersion) : null,
      r.certificate ? (r.certificate.verified ? 'certificate ok' : 'certificate invalid') : null,
      r.authMechanisms ? `AUTH ${r.authMechanisms.length ? r.authMechanisms.map(cleanText).join(' ') : 'none'}` : null,
    ].filter((x): x is string => x !== null);
    lines.push(`SMTP ${cleanText(endpoint)}: ${paint(options.color, v === 'ok' ? 'green' : v === 'warning' ? 'yellow' : 'red', v)} (${facts.join(', ')})`);
    lines.push(...renderFindingLines(r.findings, options.color));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The ProbeResult's fields, and the run's audit trail as `run` (schema: ProbeDocument). */
export function renderProbeJson(r: ProbeResult, run?: ProbeRunInfo): string {
  return `${safeJson(run ? { ...r, run } : r, 2)}\n`;
}

/** Explanations, one block each. */
export function renderExplanationsTable(items: readonly CodeExplanation[], options: ProbeRenderOptions = {}): string {
  const { color } = options;
  const blocks = items.map((e) => {
    const code = e.aadsts ? `AADSTS${e.aadsts.code}` : [e.replyCode, e.enhancedCode].filter((x) => x !== null).join(' ');
    const catalogId = e.id && e.id !== e.enhancedCode && !e.aadsts ? ` (catalog ${e.id})` : '';
    const sender = e.sender === 'gmail' ? ' — Gmail, not Microsoft' : e.sender === 'microsoft' ? ' — Microsoft 365' : e.sender === 'entra' ? ' — Microsoft Entra ID token endpoint' : '';
    const rows: [string, string][] = [
      ['Code', `${code}${catalogId}${sender}`],
      ['Title', cleanText(e.title)],
      ['Meaning', cleanText(e.meaning)],
    ];
    if (e.cause) rows.push(['Likely cause', cleanText(e.cause)]);
    if (e.fix) rows.push(['Fix', cleanText(e.fix)]);
    if (e.cls) rows.push(['Class', `${e.cls.code}: ${e.cls.name}`]);
    if (e.subject) rows.push(['Subject', `${e.subject.code}: ${e.subject.name}`]);
    if (e.replyCode !== null && e.replyMeaning && e.enhancedCode !== null) rows.push(['Reply code', `${e.replyCode}: ${e.replyMeaning}`]);
    if (e.aadsts?.name) rows.push(['Entra name', cleanText(e.aadsts.name)]);
    if (e.aadsts) rows.push(['Error page', e.aadsts.errorUrl]);
    if (e.finding) rows.push([e.aadsts ? 'Token finding' : 'Probe finding', e.finding]);
    if (e.related.length) rows.push(['See also', e.related.join(', ')]);
    return `${paint(color, 'bold', cleanText(e.input))}\n${table(rows, color)}`;
  });
  return `${blocks.join('\n\n')}\n`;
}

/** `m365audit explain --format json`: `{ explanations: [...] }`, written with safeJson. */
export function renderExplanationsJson(items: readonly CodeExplanation[]): string {
  return `${safeJson({ explanations: items }, 2)}\n`;
}
