import { describe, expect, it } from 'vitest';
import type { SendPath, SendPathsReport } from '../../src/audit/send-paths.js';
import { finding } from '../../src/findings/catalog.js';
import { renderSendPathsJson, renderSendPathsMarkdown, renderSendPathsTable } from '../../src/report/send-paths.js';
import type { ProbeResult } from '../../src/smtp/types.js';
import { HOSTILE_STRINGS } from '../support/hostile.js';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function probe(host: string, banner: string): ProbeResult {
  return {
    host, port: 25, tls: 'starttls', reachable: true, banner, ehlo: { beforeTls: [banner], afterTls: [banner] }, starttls: true, tlsVersion: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384',
    certificate: null, authMechanisms: [], auth: null, findings: [finding('SMTP_BANNER_NOT_M365', `banner ${banner}`, { evidence: banner })], timing: { connectMs: 1, bannerMs: 1, tlsMs: 1, totalMs: 3 },
  };
}

/** A report whose every text field that can come from DNS or SMTP holds hostile text. */
function hostile(s: string): SendPathsReport {
  const path = (id: SendPath['path'], title: string): SendPath => ({
    path: id, title, verdict: 'blocked', endpoint: `${s}:25`,
    conditions: [{ check: 'mx', state: 'blocked', reason: `the MX ${s} is not Microsoft's`, codes: ['MX_NOT_M365'] }, { check: 'spf', state: 'unknown', reason: `SPF says ${s}`, codes: [] }],
    notes: [`note ${s}`],
  });
  return {
    domain: 'hostile.test', cloud: 'worldwide', ip: '192.0.2.25', from: 'scanner@hostile.test',
    mx: { status: 'warn', hosts: [{ exchange: s, priority: 0, kind: 'other' }], hostsTotal: 1, m365Host: null, cloud: null, nxdomain: false },
    spf: { domain: 'hostile.test', sender: 'scanner@hostile.test', ip: '192.0.2.25', record: s, result: 'fail', reason: s, m365Include: false, status: 'fail' },
    submission: probe('smtp.office365.com', s), mxProbe: null,
    certificate: { subject: `CN=${s}`, names: [s], namesTotal: 1, validFrom: null, validTo: null, fingerprint256: 'AA:BB', matches: [] },
    paths: [path('smtp-auth', 'SMTP AUTH submission'), path('direct-send', 'Direct send'), path('connector-relay', 'Relay through a connector')],
    notes: [`input ${s}`],
    findings: [finding('MX_NOT_M365', `MX ${s}`, { evidence: s, fix: `publish ${s}` }), finding('MESSAGE_SPF_FAIL', `SPF ${s}`, { evidence: s })],
    auditedAt: '2026-12-01T00:00:00.000Z',
  };
}

describe('send-paths renderers', () => {
  it.each(HOSTILE_STRINGS.map((s, i) => [i, s]))('table: no control byte reaches the terminal (hostile string %i)', (_i, s) => {
    const out = renderSendPathsTable(hostile(s), { color: false });
    expect(out).not.toMatch(CONTROL);
    // Three summary rows, then the three paths, each with its two conditions.
    expect(out.split('\n').filter((l) => /^(SMTP AUTH submission|Direct send|Relay through a connector) +blocked /.test(l))).toHaveLength(3);
    expect(out.match(/^ {3}✗ mx /gm)).toHaveLength(3);
    expect(out.match(/^ {3}\? spf /gm)).toHaveLength(3);
  });

  it('table with colour: the only escapes are its own SGR codes', () => {
    const out = renderSendPathsTable(hostile(HOSTILE_STRINGS[0] as string), { color: true });
    expect(out).toContain('\x1b[31mblocked');
    expect(out.replace(/\x1b\[(?:\d+;)*\d*m/g, '')).not.toMatch(CONTROL);
    expect(out).toContain('\\x1b[31mred');
  });

  it.each(HOSTILE_STRINGS.map((s, i) => [i, s]))('markdown: every row keeps its three cells, no markup gets through (hostile string %i)', (_i, s) => {
    const md = renderSendPathsMarkdown(hostile(s));
    expect(md).not.toMatch(CONTROL);
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/)).toHaveLength(3);
    expect(md).not.toMatch(/<script|<img|<\/style|\]\(http/);
    // Headings are ours only: the title and the three paths, then Findings.
    expect(md.split('\n').filter((l) => l.startsWith('#'))).toEqual(['## Send paths for hostile.test', '### 1. SMTP AUTH submission: blocked', '### 2. Direct send: blocked', '### 3. Relay through a connector: blocked', '### Findings']);
  });

  it('json: the report round-trips, with no raw control character in the text', () => {
    const r = hostile(HOSTILE_STRINGS[0] as string);
    const text = renderSendPathsJson(r);
    expect(text).not.toMatch(CONTROL);
    expect(JSON.parse(text)).toEqual(r);
  });
});
