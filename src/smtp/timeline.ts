/**
 * Microsoft's published timeline for Basic authentication (user name and
 * password, AUTH LOGIN/PLAIN) on SMTP AUTH Client Submission
 * (smtp.office365.com, smtp-legacy.office365.com), in one dated table so it
 * is updated in one place, and a pure function that says, for a date, what
 * happens next. Sources: the Exchange Team blog posts 4114750 (2024-04,
 * updated 2025-06) and 4489835 (2026-01-27, version 3.0 of 2026-01-29: "all
 * cloud environments"), and message-center post MC786329 (research
 * oauth.md section 7).
 */

/** The stages of today's plan (the rows that are not superseded). */
export type BasicAuthStage = 'announced' | 'delayed' | 'unchanged' | 'off-by-default' | 'new-tenants' | 'removal-announced';

/** One row of the timeline. */
export interface BasicAuthMilestone {
  stage: BasicAuthStage;
  /**
   * The first UTC day the row applies (ISO 8601 date). Microsoft names
   * periods ("the end of December 2026", "the second half of 2027"): the
   * row holds the period's earliest day, `when` Microsoft's words.
   */
  date: string;
  /** The date as Microsoft words it. */
  when: string;
  /** What happens then, as a phrase after the date (`the end of December 2026: …`). */
  what: string;
  /** Where it is published. */
  source: string;
  /** Replaced by a later announcement: kept as history, not part of the plan. */
  superseded?: true;
}

/** The Exchange Team blog post that set today's plan (research oauth.md §7, [P]). */
export const TIMELINE_SOURCE = 'Exchange Team blog 4489835 of 2026-01-27, MC786329';
/** Where to read the plan. */
export const TIMELINE_URL = 'https://techcommunity.microsoft.com/blog/exchange/updated-exchange-online-smtp-auth-basic-authentication-deprecation-timeline/4489835';
/** The day the table was last checked against its sources. */
export const TIMELINE_CHECKED = '2026-12-01';

/**
 * The timeline, oldest first. Rows marked `superseded` are history: the
 * 2026-01-27 post replaced the March-April 2026 plan (research oauth.md §7).
 */
export const BASIC_AUTH_TIMELINE: readonly BasicAuthMilestone[] = [
  {
    stage: 'announced', date: '2024-04-26', when: 'April 2024',
    what: 'removal of Basic auth for Client Submission announced for September 2025',
    source: 'Exchange Team blog 4114750; MC786329 (added 2024-04-26)', superseded: true,
  },
  {
    stage: 'delayed', date: '2025-06-11', when: 'June 2025',
    what: 'removal delayed, with rejections from 1 March 2026 and all submissions rejected from 30 April 2026',
    source: 'Exchange Team blog 4114750 (update of 2025-06-11); MC786329', superseded: true,
  },
  {
    stage: 'unchanged', date: '2026-01-27', when: '27 January 2026',
    what: 'a new plan, Basic auth for SMTP AUTH unchanged through December 2026',
    source: 'Exchange Team blog 4489835',
  },
  {
    stage: 'off-by-default', date: '2026-12-31', when: 'the end of December 2026',
    what: 'Basic auth for SMTP AUTH off by default for existing tenants (administrators can still turn it back on)',
    source: 'Exchange Team blog 4489835',
  },
  {
    stage: 'new-tenants', date: '2027-01-01', when: 'after December 2026',
    what: 'Basic auth for SMTP AUTH unavailable by default for tenants created from then on (OAuth only)',
    source: 'Exchange Team blog 4489835',
  },
  {
    stage: 'removal-announced', date: '2027-07-01', when: 'the second half of 2027',
    what: 'Microsoft announces the final removal date, after which Basic auth gets 550 5.7.30 Basic authentication is not supported for Client Submission',
    source: 'Exchange Team blog 4489835; the 550 5.7.30 wording: blog 4114750',
  },
];

/** Where the timeline stands on a date. */
export interface BasicAuthOutlook {
  /** The date asked about (UTC, ISO 8601 date). */
  date: string;
  /** The latest milestone of the plan already reached, or null. */
  reached: BasicAuthMilestone | null;
  /** The next milestone of the plan, or null when the table has none left (it needs an update). */
  next: BasicAuthMilestone | null;
  /** One sentence for a tenant where Basic auth still works: what happens next, and when. */
  summary: string;
}

/** The plan's row for a stage (never a superseded one). */
function milestone(stage: BasicAuthStage): BasicAuthMilestone {
  const m = BASIC_AUTH_TIMELINE.find((x) => x.stage === stage && x.superseded !== true);
  if (!m) throw new Error(`timeline: no ${stage} row`);
  return m;
}

/**
 * What Microsoft's published plan (BASIC_AUTH_TIMELINE without its
 * superseded rows) says for `now`: the milestone reached, the next one, and
 * a sentence for a tenant where Basic auth still works, its dates taken
 * from the table. Pure.
 */
export function basicAuthOutlook(now: Date): BasicAuthOutlook {
  const date = Number.isNaN(now.getTime()) ? '1970-01-01' : now.toISOString().slice(0, 10);
  const rows = BASIC_AUTH_TIMELINE.filter((m) => m.superseded !== true);
  const reached = [...rows].reverse().find((m) => m.date <= date) ?? null;
  const next = rows.find((m) => m.date > date) ?? null;
  return { date, reached, next, summary: summaryFor(date) };
}

function summaryFor(date: string): string {
  const off = milestone('off-by-default');
  const fresh = milestone('new-tenants');
  const removal = milestone('removal-announced');
  if (date < off.date) {
    return `Microsoft turns Basic auth for SMTP AUTH client submission off by default for existing tenants at ${off.when} (administrators can turn it back on for now); tenants created ${fresh.when} cannot use it, and Microsoft announces the final removal date in ${removal.when}.`;
  }
  if (date < removal.date) {
    return `Basic auth for SMTP AUTH client submission has been off by default for existing tenants since ${off.when}, so it works here because an administrator turned it back on (or the change has not reached this tenant yet); Microsoft announces the final removal date in ${removal.when}, after which it gets 550 5.7.30.`;
  }
  return `Basic auth for SMTP AUTH client submission has been off by default for existing tenants since ${off.when}, so it works here because an administrator turned it back on (or the change has not reached this tenant yet); Microsoft was to announce the final removal date in ${removal.when} (this table was checked on ${TIMELINE_CHECKED}): look for the date in MC786329 and on the Exchange Team blog.`;
}

/** Today's plan in one sentence, each milestone with Microsoft's wording of its date, and the source (for `explain 5.7.30`). */
export function describeBasicAuthTimeline(): string {
  const rows = BASIC_AUTH_TIMELINE.filter((m) => m.superseded !== true);
  return `Microsoft's plan (${TIMELINE_SOURCE}): ${rows.map((m) => `${m.when.charAt(0).toUpperCase()}${m.when.slice(1)}: ${m.what}.`).join(' ')}`;
}
