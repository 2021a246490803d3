/**
 * Microsoft's Basic-auth timeline for SMTP AUTH client submission: the one
 * dated table, and what it says for a date.
 */
import { describe, expect, it } from 'vitest';
import { explainCode } from '../../src/smtp/codes.js';
import { BASIC_AUTH_TIMELINE, basicAuthOutlook, describeBasicAuthTimeline, TIMELINE_SOURCE } from '../../src/smtp/timeline.js';

const at = (iso: string): Date => new Date(`${iso}T12:00:00Z`);

describe('BASIC_AUTH_TIMELINE', () => {
  it('is one dated table, oldest first, each row with its source', () => {
    const dates = BASIC_AUTH_TIMELINE.map((m) => m.date);
    expect(dates).toEqual([...dates].sort());
    for (const m of BASIC_AUTH_TIMELINE) {
      expect(m.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(Number.isNaN(Date.parse(m.date))).toBe(false);
      expect(m.source).toMatch(/blog (4114750|4489835)/);
    }
    // The 2026-01-27 post (blog 4489835) replaced the September 2025 and the March-April 2026 plans.
    expect(BASIC_AUTH_TIMELINE.filter((m) => m.superseded).map((m) => m.stage)).toEqual(['announced', 'delayed']);
    const plan = BASIC_AUTH_TIMELINE.filter((m) => !m.superseded);
    expect(plan.map((m) => [m.stage, m.date, m.when])).toEqual([
      ['unchanged', '2026-01-27', '27 January 2026'],
      ['off-by-default', '2026-12-31', 'the end of December 2026'],
      ['new-tenants', '2027-01-01', 'after December 2026'],
      ['removal-announced', '2027-07-01', 'the second half of 2027'],
    ]);
    for (const m of plan) expect(m.source).toContain('4489835');
  });
});

describe('basicAuthOutlook', () => {
  it('today (2026-12-01): off by default at the end of December 2026 next', () => {
    const o = basicAuthOutlook(at('2026-12-01'));
    expect(o.date).toBe('2026-12-01');
    expect(o.reached?.stage).toBe('unchanged');
    expect(o.next?.stage).toBe('off-by-default');
    expect(o.summary).toMatch(/^Microsoft turns Basic auth for SMTP AUTH client submission off by default for existing tenants at the end of December 2026 \(administrators can turn it back on for now\)/);
    expect(o.summary).toContain('tenants created after December 2026 cannot use it');
    expect(o.summary).toContain('the second half of 2027');
  });

  it('before the 2026-01-27 post, the plan is still the current one (superseded rows are history)', () => {
    const o = basicAuthOutlook(at('2025-03-01'));
    expect(o.reached).toBeNull();
    expect(o.next?.stage).toBe('unchanged');
    expect(o.summary).toMatch(/at the end of December 2026/);
  });

  it('the day before and the day of the end of December 2026', () => {
    expect(basicAuthOutlook(at('2026-12-30')).next?.stage).toBe('off-by-default');
    const o = basicAuthOutlook(at('2026-12-31'));
    expect(o.reached?.stage).toBe('off-by-default');
    expect(o.next?.stage).toBe('new-tenants');
    expect(o.summary).toMatch(/has been off by default for existing tenants since the end of December 2026/);
  });

  it('after 2026: works only where an administrator turned it back on; the removal date is announced in the second half of 2027', () => {
    const o = basicAuthOutlook(at('2027-02-15'));
    expect(o.reached?.stage).toBe('new-tenants');
    expect(o.next?.stage).toBe('removal-announced');
    expect(o.summary).toContain('an administrator turned it back on');
    expect(o.summary).toContain('Microsoft announces the final removal date in the second half of 2027, after which it gets 550 5.7.30');
  });

  it('past the table: no next milestone, and the sentence says to look for the date', () => {
    const o = basicAuthOutlook(at('2028-01-10'));
    expect(o.reached?.stage).toBe('removal-announced');
    expect(o.next).toBeNull();
    expect(o.summary).toMatch(/was to announce the final removal date in the second half of 2027 \(this table was checked on 2026-12-01\)/);
    expect(o.summary).toContain('MC786329');
  });

  it('takes the UTC day, and does not throw for an invalid date', () => {
    expect(basicAuthOutlook(new Date('2026-12-30T23:59:59Z')).next?.stage).toBe('off-by-default');
    expect(basicAuthOutlook(new Date('2026-12-31T00:00:00Z')).reached?.stage).toBe('off-by-default');
    expect(basicAuthOutlook(new Date(Number.NaN)).date).toBe('1970-01-01');
  });
});

describe('explain 5.7.30 reads the table', () => {
  it('names the plan and its source, and the probe finding', () => {
    const sentence = describeBasicAuthTimeline();
    expect(sentence).toContain(TIMELINE_SOURCE);
    expect(sentence).toContain('The end of December 2026: Basic auth for SMTP AUTH off by default for existing tenants (administrators can still turn it back on).');
    expect(sentence).toContain('27 January 2026: a new plan, Basic auth for SMTP AUTH unchanged through December 2026.');
    expect(sentence).toContain('After December 2026: Basic auth for SMTP AUTH unavailable by default for tenants created from then on (OAuth only). The second half of 2027: Microsoft announces the final removal date');
    expect(sentence).not.toContain('September 2025');
    const e = explainCode('550 5.7.30 Basic authentication is not supported for Client Submission.');
    expect(e?.finding).toBe('SMTP_BASIC_AUTH_RETIRED');
    expect(e?.cause).toContain(sentence);
  });
});
