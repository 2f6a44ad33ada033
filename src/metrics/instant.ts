import type { Timestamp } from './types.js';

/**
 * ISO-8601 times to epoch milliseconds, fast. The keys read one or more times per commit, and
 * with ten million commits `Date.parse` alone dominated the run (about 1 µs a call on a loaded
 * machine), so the shape records use, `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)`, is read with
 * character arithmetic and a days-from-civil formula; anything else falls back to `Date.parse`.
 * Either way a time without a zone is refused (see `instantOf`). Tests compare both paths over
 * random times and offsets (instant.test.ts).
 */

const ZONE = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** The number in `text` at [at, at + length), or −1 if a character there is not a digit. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return MONTH_DAYS[month - 1] ?? 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The fast path; null when `text` is not in the common shape (the caller falls back). */
export function parseIsoFast(text: string): number | null {
  const n = text.length;
  if (
    n < 20 ||
    text[4] !== '-' ||
    text[7] !== '-' ||
    text[10] !== 'T' ||
    text[13] !== ':' ||
    text[16] !== ':'
  ) {
    return null;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  let i = 19;
  let millis = 0;
  if (text[i] === '.') {
    i++;
    let scale = 100;
    const start = i;
    while (i < n) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      millis += d * scale; // digits past milliseconds add fractions, truncated below
      scale /= 10;
      i++;
    }
    if (i === start) return null;
    millis = Math.floor(millis);
  }
  let offsetMinutes = 0;
  if (i === n - 1 && text[i] === 'Z') {
    offsetMinutes = 0;
  } else if (i === n - 6 && (text[i] === '+' || text[i] === '-') && text[i + 3] === ':') {
    const oh = digits(text, i + 1, 2);
    const om = digits(text, i + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return null;
    offsetMinutes = (text[i] === '-' ? -1 : 1) * (oh * 60 + om);
  } else {
    return null;
  }
  const days = daysFromCivil(year, month, day);
  return ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + millis;
}

/**
 * Milliseconds since the epoch of an ISO-8601 time with a zone. Throws (a programming error of
 * the recorder, not a user error) on a time without a zone or one that does not parse: reading a
 * zoneless time as the server's local time would shift every lead time silently.
 */
export function instantOf(time: Timestamp, field: string): number {
  const fast = parseIsoFast(time);
  if (fast !== null) return fast;
  const ms = Date.parse(time);
  if (Number.isNaN(ms) || !ZONE.test(time)) {
    throw new TypeError(`${field} \`${time}\` is not an ISO-8601 date-time with a zone (Z or ±hh:mm)`);
  }
  return ms;
}
