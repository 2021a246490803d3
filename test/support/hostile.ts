import type { DomainReport } from '../../src/audit/audit.js';
import { finding } from '../../src/findings/catalog.js';

/** Strings a stranger's DNS records or SMTP banner may carry. */
export const HOSTILE_STRINGS = [
  '\x1b[31mred\x1b[0m \x1b]0;title\x07 \x9b31m',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '=HYPERLINK("http://evil.example","click")',
  '+cmd|\' /C calc\'!A0',
  '-2+3',
  '@SUM(A1:A9)',
  'pipe | in | cell',
  'line\nbreak\r\nand\rcarriage',
  '`code` and ``double``',
  '[link](http://evil.example) ![img](http://evil.example/x.png)',
  '\u202eevil\u202c bidi',
  'tab\there',
  '**bold** _it_ ~~del~~ # heading',
  '</style></table><!--',
];

/** A report whose every data field holds hostile text. */
export function hostileReport(i: number): DomainReport {
  const s = HOSTILE_STRINGS[i % HOSTILE_STRINGS.length] as string;
  return {
    domain: `d${i}.example`,
    input: s,
    score: 40,
    grade: 'not-ready',
    cloud: 'worldwide',
    tenant: null,
    findings: [
      finding('SPF_ALL_PASS', `record says ${s}`, { evidence: s, fix: `publish ${s}` }),
      finding('DMARC_POLICY_NONE', s, { evidence: `v=DMARC1; p=none; rua=mailto:${s}` }),
    ],
    mx: { status: 'fail', hosts: [{ exchange: s, priority: 0, kind: 'other' }], m365Host: null, cloud: null, nxdomain: false },
    spf: { status: 'fail', record: s, records: [s] } as DomainReport['spf'],
    dkim: null,
    dmarc: { status: 'warn', record: `v=DMARC1; p=none; ${s}`, source: `_dmarc.d${i}.example` } as DomainReport['dmarc'],
    autodiscover: null,
    verification: null,
    mtaSts: null,
    tlsRpt: null,
    dnssec: null,
    dane: null,
    notes: [s],
    timing: { ms: 1, queries: 1 },
    auditedAt: '2026-01-02T03:04:05.000Z',
    meta: { client: s, '=formula': s },
  };
}
