import { describe, expect, it } from 'vitest';
import { CATALOG, finding, severitiesOf, type FindingCode, type Severity } from '../../src/findings/catalog.js';

/**
 * DESIGN.md's rows for the transport codes of issue 16 (MTA-STS, TLS-RPT):
 * the severity each row gives, and the second one where the row names it.
 */
const DESIGN_ROWS: Record<string, { severity: Severity; area: string; alternate?: Severity }> = {
  MTA_STS_MISSING: { severity: 'info', area: 'mta-sts' },
  MTA_STS_TXT_INVALID: { severity: 'error', area: 'mta-sts' },
  MTA_STS_POLICY_UNAVAILABLE: { severity: 'error', area: 'mta-sts' },
  MTA_STS_POLICY_INVALID: { severity: 'error', area: 'mta-sts' },
  // "mode enforce and a live MX matches no mx pattern (warning in mode testing)"
  MTA_STS_MX_MISMATCH: { severity: 'error', area: 'mta-sts', alternate: 'warning' },
  MTA_STS_TESTING: { severity: 'info', area: 'mta-sts' },
  // "no _smtp._tls TXT (warning when MTA-STS or DANE is on)"
  TLS_RPT_MISSING: { severity: 'info', area: 'tls-rpt', alternate: 'warning' },
  TLS_RPT_INVALID: { severity: 'warning', area: 'tls-rpt' },
};

describe('the catalog: MTA-STS and TLS-RPT rows as DESIGN.md gives them', () => {
  it.each(Object.entries(DESIGN_ROWS))('%s', (code, row) => {
    const entry = CATALOG[code as FindingCode] as { severity: Severity; area: string; alternate?: Severity };
    expect({ severity: entry.severity, area: entry.area, alternate: entry.alternate }).toEqual({ ...row, alternate: row.alternate });
  });

  it('follow OAUTH_TOKEN_EXPIRED, in DESIGN order', () => {
    const codes = Object.keys(CATALOG);
    const from = codes.indexOf('OAUTH_TOKEN_EXPIRED');
    expect(codes.slice(from + 1, from + 9)).toEqual(Object.keys(DESIGN_ROWS));
  });

  it('of these, only the two DESIGN.md gives a second severity carry one', () => {
    expect(Object.keys(DESIGN_ROWS).filter((c) => 'alternate' in CATALOG[c as FindingCode])).toEqual(['MTA_STS_MX_MISMATCH', 'TLS_RPT_MISSING']);
  });
});

describe('the alternate severity and severitiesOf', () => {
  it('finding() keeps the row severity; { alternate: true } picks the row\'s second one', () => {
    expect(finding('MTA_STS_MX_MISMATCH', 'm')).toMatchObject({ severity: 'error', area: 'mta-sts' });
    expect(finding('MTA_STS_MX_MISMATCH', 'm', { evidence: 'e', fix: 'f', alternate: true })).toEqual({ code: 'MTA_STS_MX_MISMATCH', severity: 'warning', area: 'mta-sts', message: 'm', evidence: 'e', fix: 'f' });
    expect(finding('TLS_RPT_MISSING', 'm', { alternate: false }).severity).toBe('info');
    expect(finding('TLS_RPT_MISSING', 'm', { alternate: true }).severity).toBe('warning');
    // A code without one keeps its own.
    expect(finding('SPF_MISSING', 'm', { alternate: true }).severity).toBe('error');
  });

  it('severitiesOf lists what a check may emit for a code', () => {
    expect(severitiesOf('MTA_STS_MX_MISMATCH')).toEqual(['error', 'warning']);
    expect(severitiesOf('TLS_RPT_MISSING')).toEqual(['info', 'warning']);
    expect(severitiesOf('SPF_MISSING')).toEqual(['error']);
  });
});
