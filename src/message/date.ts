/**
 * RFC 5322 date-time (3.3), with the obsolete forms of 4.3 that real trace
 * fields still carry: two- and three-digit years, named zones (UT, GMT, EST
 * … PDT), military zone letters (read as -0000, "SHOULD all be considered
 * equivalent to -0000" since their sign was defined backwards), comments
 * such as `(JST)`, and Microsoft's fractional seconds
 * (`23:34:45.6789`). `Date.parse` is not used: it accepts almost anything and
 * differs between engines. Pure, linear, never throws.
 */
import { stripComments } from './tokens.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** RFC 5322 4.3 obs-zone, in minutes east of UTC. */
const NAMED_ZONES = new Map<string, number>([
  ['ut', 0], ['utc', 0], ['gmt', 0], ['z', 0],
  ['edt', -4 * 60], ['est', -5 * 60], ['cdt', -5 * 60], ['cst', -6 * 60],
  ['mdt', -6 * 60], ['mst', -7 * 60], ['pdt', -7 * 60], ['pst', -8 * 60],
]);

const digits = (s: string): boolean => s.length > 0 && [...s].every((c) => c >= '0' && c <= '9');

/** Epoch milliseconds of an RFC 5322 date-time, or null when it does not read as one. */
export function parseMessageDate(text: string): number | null {
  const words = stripComments(text)
    .split(/[\s,]+/)
    .filter((w) => w.length > 0);
  let i = 0;
  if (words[i] !== undefined && DAYS.includes((words[i] as string).slice(0, 3).toLowerCase()) && !digits(words[i] as string)) i++;
  const dayText = words[i++];
  const monthText = words[i++];
  const yearText = words[i++];
  const timeText = words[i++];
  const zoneText = words[i];
  if (dayText === undefined || monthText === undefined || yearText === undefined || timeText === undefined) return null;
  if (!digits(dayText) || !digits(yearText) || dayText.length > 2) return null;
  const month = MONTHS.indexOf(monthText.slice(0, 3).toLowerCase());
  if (month < 0 || monthText.length > 3 && !monthText.toLowerCase().startsWith(MONTHS[month] as string)) return null;
  const day = Number(dayText);
  let year = Number(yearText);
  // RFC 5322 4.3: two digits 00-49 are 2000-2049, 50-99 are 1950-1999; three digits add 1900.
  if (yearText.length === 2) year += year < 50 ? 2000 : 1900;
  else if (yearText.length === 3) year += 1900;
  else if (yearText.length !== 4) return null;
  const time = timeText.split(':');
  if (time.length < 2 || time.length > 3) return null;
  const [hText, mText, sText = '0'] = time as [string, string, string?];
  const [sWhole, sFraction] = sText.split('.') as [string, string?];
  if (!digits(hText) || !digits(mText) || !digits(sWhole) || (sFraction !== undefined && !digits(sFraction))) return null;
  const hour = Number(hText);
  const minute = Number(mText);
  const second = Number(sWhole);
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const offset = zoneMinutes(zoneText);
  if (offset === null) return null;
  const utc = Date.UTC(year, month, day, hour, minute, second, sFraction === undefined ? 0 : Math.floor(Number(`0.${sFraction}`) * 1000));
  // Date.UTC rolls 31 Feb over into March: a date that does not exist is not a date.
  if (new Date(utc).getUTCDate() !== day) return null;
  return utc - offset * 60_000;
}

/** The zone in minutes east of UTC; 0 when absent or a military letter (RFC 5322 4.3); null when unreadable. */
function zoneMinutes(zone: string | undefined): number | null {
  if (zone === undefined) return 0;
  const sign = zone.charAt(0);
  if ((sign === '+' || sign === '-') && zone.length === 5 && digits(zone.slice(1))) {
    const minutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5));
    return sign === '-' ? -minutes : minutes;
  }
  const named = NAMED_ZONES.get(zone.toLowerCase());
  if (named !== undefined) return named;
  if (zone.length === 1 && /[a-ik-z]/i.test(zone)) return 0;
  return null;
}
