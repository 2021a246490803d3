/**
 * The HTML report's detail blocks of the transport areas (MTA-STS, TLS-RPT,
 * DNSSEC, DANE), from real runs: `check --format html` in process against
 * the fixture zones on the loopback DNS server, the policies on the
 * sandbox's policy host, and for DANE the sandbox SMTP endpoint whose
 * certificate the matching TLSA is made from (as in test/cli/transport.test.ts).
 * Each block shows the facts behind its cell, and text from the policy host
 * comes out escaped.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCertificates, startDnsServer, startMicrosoftLikeSmtpServer, startMtaStsHost, type SandboxMtaStsHost, type TestDnsServer, type TestSmtpServer } from '../../src/sandbox/index.js';
import { runInProcess } from '../support/cli.js';
import { fixtureZones } from '../support/fixtures.js';

const MATCH_HOST = 'dane-match-test.d-v1.mx.microsoft';
const MISMATCH_HOST = 'dane-mismatch-test.d-v1.mx.microsoft';
const ENFORCE = 'version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmax_age: 604800\n';
/** A policy host's hostile text: markup and terminal escapes in a policy that does not parse. */
const HOSTILE_POLICY = 'version: STSv1\nmode: <script>alert("mode")</script>\nmx: \x1b[31mred\x1b[0m.example\nmax_age: 86400\n';
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let dns: TestDnsServer;
let smtp: TestSmtpServer;
let policies: SandboxMtaStsHost;
let dir: string;
let caFile: string;
let page: string;
let daneMatch: string;

const spkiSha256 = (pem: string): string => createHash('sha256').update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' })).digest('hex');

beforeAll(async () => {
  const certs = await createTestCertificates({ names: [MATCH_HOST, MISMATCH_HOST, 'localhost', '127.0.0.1'] });
  const zones = fixtureZones(['zones', 'transport']);
  for (const host of [MATCH_HOST, MISMATCH_HOST]) zones.replace(host, 'A', ['127.0.0.1']);
  daneMatch = spkiSha256(certs.certPem);
  zones.addRecord(`_25._tcp.${MATCH_HOST}`, 'TLSA', { usage: 3, selector: 1, matchingType: 1, data: daneMatch });
  [dns, smtp, policies] = await Promise.all([
    startDnsServer({ zones }),
    startMicrosoftLikeSmtpServer({ certificates: certs }),
    startMtaStsHost({
      policies: {
        'mtasts.test': { body: ENFORCE },
        'missmx.mtasts.test': { body: 'version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmx: *.mx.microsoft\nmax_age: 86400\n' },
        'notfound.mtasts.test': { status: 404, body: '<html>Not Found</html>', contentType: 'text/html' },
        'badpolicy.mtasts.test': { body: HOSTILE_POLICY, contentType: 'text/plain; charset="<b>"' },
      },
    }),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'm365audit-html-transport-'));
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, `${smtp.caPem}\n${policies.caPem}`);
  const args = ['--dns-server', dns.server, '--timeout', '2000', '--retries', '1', '--mta-sts-host', `127.0.0.1:${policies.port}`, '--tls-ca', caFile, '--format', 'html'];
  const [plain, probed] = await Promise.all([
    runInProcess(['check', 'mtasts.test', 'missmx.mtasts.test', 'notfound.mtasts.test', 'badpolicy.mtasts.test', 'tlsrpt.test', 'broken.tlsrpt.test', 'dnssec-valid.test', 'dnssec-island.test', 'dnssec-bogus.test', 'dane-pkix.test', 'dane-other.test', ...args, '--no-probe']),
    runInProcess(['check', 'dane-match.test', 'dane-mismatch.test', ...args, '--no-probe', '--probe-mx', '--probe-mx-port', String(smtp.port)]),
  ]);
  page = `${plain.stdout}\n${probed.stdout}`;
}, 30_000);
afterAll(async () => {
  await Promise.all([dns.close(), smtp.close(), policies.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** A term of a domain's areas (`<dt>MX<dd>`, `<dt class="w">DMARC<dd>`): the start of an area's block; a fact's term has its end tag. */
const AREA_TERM = /<dt(?: class="[a-z]+")?>[A-Za-z-]+<dd>/g;

/** A domain's details: its <details> element. */
function card(domain: string): string {
  const c = new RegExp(`<details id="d\\d+"><summary><b>${domain.replaceAll('.', '\\.')}</b>[\\s\\S]*?</details>`).exec(page)?.[0] ?? '';
  expect(c, `details of ${domain}`).not.toBe('');
  return c;
}

/** One area's block of one domain's details: from its term to the next area's term (or the end of the list). */
function block(domain: string, label: 'MTA-STS' | 'TLS-RPT' | 'DNSSEC' | 'DANE'): string {
  const c = card(domain);
  const start = c.search(new RegExp(`<dt(?: class="[a-z]+")?>${label}<dd>`));
  expect(start, `${label} block of ${domain}`).toBeGreaterThan(-1);
  AREA_TERM.lastIndex = start + 4;
  const next = AREA_TERM.exec(c);
  return c.slice(start, next ? next.index : c.indexOf('</dl></details>'));
}

/** The one line of a domain's transport areas that are off with nothing more to say. */
function quietLine(domain: string): string {
  return /<dt class="na">Transport<dd>[^\n]*?(?=<dt|<\/dl>)/.exec(card(domain))?.[0] ?? '';
}
const count = (text: string, part: string): number => text.split(part).length - 1;
/** A status in words with its class (the stylesheet draws the mark): p pass, f fail. */
const mark = (status: 'pass' | 'fail', text: string): string => `<span class="${status === 'pass' ? 'p' : 'f'}">${text}</span>`;

describe('renderHtml: the transport areas in detail', () => {
  it('MTA-STS enforce: the record, the policy URL, the fetch, max_age, the patterns and the pattern covering each live MX, the lines as served', () => {
    const b = block('mtasts.test', 'MTA-STS');
    expect(b.startsWith('<dt>MTA-STS<dd>enforce\n')).toBe(true);
    expect(b).toContain('<p><code>v=STSv1; id=20260101T000000</code></p>');
    expect(b).toContain('<dt>State</dt><dd>mode enforce</dd><dt>Policy id</dt><dd><code>20260101T000000</code></dd>');
    expect(b).toContain('<dt>Policy URL</dt><dd><code>https://mta-sts.mtasts.test/.well-known/mta-sts.txt</code></dd>');
    expect(b).toContain(`<dt>Fetch</dt><dd>${mark('pass', 'fetched')} (HTTP 200, <code>text/plain</code>, ${ENFORCE.length} bytes)</dd>`);
    expect(b).toContain('<dt>max_age</dt><dd>604800 seconds (7 days)</dd>');
    expect(b).toContain('<dt>mx patterns</dt><dd><code>*.mail.protection.outlook.com</code></dd>');
    expect(b).toContain(`<tr><td><code>mtasts-test.mail.protection.outlook.com</code></td><td>${mark('pass', 'covered by')} <code>*.mail.protection.outlook.com</code></td></tr>`);
    expect(b).toContain('<p class="muted">The policy as served (4 lines):</p>');
    expect(b.match(/<li><code>[^<]*<\/code><\/li>/g)).toEqual(ENFORCE.trim().split('\n').map((l) => `<li><code>${l}</code></li>`));
  });

  it('MTA-STS enforce missing a live MX: that host has no pattern, the other one has', () => {
    const b = block('missmx.mtasts.test', 'MTA-STS');
    expect(b).toContain(`<tr><td><code>missmx-mtasts-test.o-v1.mx.microsoft</code></td><td>${mark('fail', 'no pattern covers it')}</td></tr>`);
    expect(b).toContain(`<tr><td><code>missmx-mtasts-test.mail.protection.outlook.com</code></td><td>${mark('pass', 'covered by')} <code>*.mail.protection.outlook.com</code></td></tr>`);
    expect(b).toContain('<dt>mx patterns</dt><dd><code>*.mail.protection.outlook.com</code> <code>*.mx.microsoft</code></dd>');
  });

  it('a policy that cannot be had: the fetch says why, with the status and media type served', () => {
    const b = block('notfound.mtasts.test', 'MTA-STS');
    expect(b).toContain('<dt>State</dt><dd>the policy cannot be fetched</dd>');
    expect(b).toMatch(new RegExp(`<dt>Fetch</dt><dd>${mark('fail', 'an HTTP status other than 200').replace(/[()]/g, '\\$&')} \\(HTTP 404, <code>text/html</code>, \\d+ bytes\\)</dd>`));
    expect(b).not.toContain('The policy as served');
  });

  it('a hostile policy: markup and terminal escapes from the policy host come out escaped, in the lines and the media type', () => {
    const b = block('badpolicy.mtasts.test', 'MTA-STS');
    expect(b).toContain('<dt>State</dt><dd>the policy does not parse</dd>');
    expect(b).toContain('<li><code>mode: &lt;script&gt;alert(&quot;mode&quot;)&lt;/script&gt;</code></li>');
    expect(b).toContain('<li><code>mx: \\x1b[31mred\\x1b[0m.example</code></li>');
    expect(b).toContain('<code>text/plain; charset=&quot;&lt;b&gt;&quot;</code>');
    // The page's own markup has a <b> (the domain in each summary) and one <script>, m365audit's: none comes from the policy.
    expect(page).not.toMatch(/<script>(?!\n\(function \(\) \{)/);
    expect(page).not.toMatch(/<b>(?!badpolicy\.mtasts\.test<|[a-z0-9.-]+\.test<)/);
    expect(page).not.toMatch(CONTROL);
  });

  it('TLS-RPT: the record and each rua destination, usable or why not', () => {
    const valid = block('tlsrpt.test', 'TLS-RPT');
    expect(valid.startsWith('<dt>TLS-RPT<dd>on\n')).toBe(true);
    expect(valid).toContain('<p><code>v=TLSRPTv1; rua=mailto:tls-reports@tlsrpt.test,https://reports.tlsrpt.test/v1/tlsrpt</code></p>');
    expect(valid.match(/<tr><td><code>[^<]+<\/code><\/td><td>[a-z]+<\/td>/g)).toEqual([
      '<tr><td><code>mailto:tls-reports@tlsrpt.test</code></td><td>mailto</td>',
      '<tr><td><code>https://reports.tlsrpt.test/v1/tlsrpt</code></td><td>https</td>',
    ]);
    expect(count(valid, mark('pass', 'yes'))).toBe(2);
    const broken = block('broken.tlsrpt.test', 'TLS-RPT');
    expect(broken).toContain(`<tr><td><code>tls-reports@tlsrpt.test</code></td><td>none</td><td>${mark('fail', 'no: &quot;tls-reports@tlsrpt.test&quot; has no URI scheme (mailto: or https:)')}</td></tr>`);
    expect(block('mtasts.test', 'TLS-RPT').startsWith('<dt>TLS-RPT<dd>on\n')).toBe(true);
    // Off is not a pass: no mark (class na), the table's word, in the one line of the quiet areas, linked to its finding.
    expect(quietLine('dane-pkix.test')).toMatch(/^<dt class="na">Transport<dd>.*<a href="#c\d+">TLS-RPT off<\/a>/);
    expect(card('dane-pkix.test')).not.toMatch(/<dt(?: class="[a-z]+")?>TLS-RPT<dd>/);
  });

  it('DNSSEC: the state, AD, RRSIGs, DS and what the answers say of the resolver', () => {
    const valid = block('dnssec-valid.test', 'DNSSEC');
    expect(valid.startsWith('<dt>DNSSEC<dd>validated\n')).toBe(true);
    expect(valid).toContain('<dt>State</dt><dd>validated: the resolver set the AD bit on the MX answer</dd><dt>Asked</dt><dd><code>dnssec-valid.test</code> MX, with the DO bit</dd><dt>AD bit</dt><dd>set</dd><dt>RRSIGs</dt><dd>present</dd>');
    expect(valid).toContain('<dt>Resolver</dt><dd>validates</dd>');
    const island = block('dnssec-island.test', 'DNSSEC');
    expect(island).toContain('<dt>AD bit</dt><dd>not set</dd><dt>RRSIGs</dt><dd>present</dd><dt>DS at the parent</dt><dd>none (an island of trust)</dd>');
    expect(island).toMatch(/<dt>Note<\/dt><dd>[^<]*island[^<]*<\/dd>/);
    expect(block('dnssec-bogus.test', 'DNSSEC')).toContain('<dt>State</dt><dd>bogus: the resolver fails the signatures (SERVFAIL unless checking is disabled)</dd>');
    // Unsigned with nothing more to say (an unsigned answer says nothing of the resolver): one word in the quiet line.
    expect(quietLine('tlsrpt.test')).toMatch(/<a href="#c\d+">DNSSEC unsigned<\/a>/);
  });

  it('DANE: per MX host the TLSA name and lookup, each record with its acronyms and usability, and the chain match with --probe-mx', () => {
    const match = block('dane-match.test', 'DANE');
    expect(match.startsWith('<dt>DANE<dd>TLSA matches\n')).toBe(true);
    expect(match).toContain('<dt>MX answer</dt><dd>validated: DANE applies (RFC 7672 §2.2.1)</dd>');
    expect(match).toContain(`<td><code>${MATCH_HOST}</code><p class="muted">Microsoft 365, mx.microsoft (DNSSEC)</p><p class="muted">TLSA at <code>_25._tcp.${MATCH_HOST}</code></p></td><td>validated (AD)</td>`);
    expect(match).toContain(`<li><code>3 1 1 ${daneMatch}</code> DANE-EE(3) SPKI(1) SHA2-256(1) ${mark('pass', 'usable')}</li>`);
    expect(match).toContain(`<td>${mark('pass', 'matches')} by DANE-EE(3) SPKI(1) SHA2-256(1) at depth 0 (the host’s own certificate)</td>`);
    expect(block('dane-mismatch.test', 'DANE')).toContain(`<td>${mark('fail', 'no usable record matches it')}</td>`);
    const pkix = block('dane-pkix.test', 'DANE');
    expect(count(pkix, mark('fail', 'PKIX usage: not for SMTP (RFC 7672 §3.1.3)'))).toBe(2);
    expect(pkix).toContain(`DANE-EE(3) 2 SHA2-256(1) ${mark('fail', 'unknown selector')}`);
    expect(pkix).toContain('<p>0 usable records</p></td><td>–</td>');
    // Without --probe-mx a usable record is found, not matched.
    const other = block('dane-other.test', 'DANE');
    expect(other).toContain('<td>no TLSA</td><td>none</td><td>–</td>');
    expect(other).toContain('<p>1 usable record</p></td><td><span class="muted">not checked (--probe-mx matches it)</span></td>');
  });
});
