/**
 * Plain calendar dates ('YYYY-MM-DD') and the Asia/Shanghai day they stand for.
 *
 * A date is turned into an epoch day (whole days since 1970-01-01) for arithmetic. Everything here
 * is UTC arithmetic on numbers, never the host's local time, so results are the same whatever TZ
 * the process runs with.
 */

/** A calendar date written 'YYYY-MM-DD', meant in Asia/Shanghai. */
export type CalendarDate = `${number}-${number}-${number}`;

const MS_PER_DAY = 86_400_000;
// China Standard Time is UTC+8 all year: China has had no daylight saving since 1991, so a fixed
// offset is exact for every date this gateway deals with (no tz database needed).
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const DASH = 0x2d;
const ZERO = 0x30;

export function isCalendarDate(value: string): value is CalendarDate {
  return !Number.isNaN(parseEpochDay(value));
}

/** Whole days since 1970-01-01. Throws a RangeError for anything that is not a real date. */
export function epochDayOf(date: string): number {
  const epochDay = parseEpochDay(date);
  if (Number.isNaN(epochDay)) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  return epochDay;
}

export function calendarDateOf(epochDay: number): CalendarDate {
  return new Date(epochDay * MS_PER_DAY).toISOString().slice(0, 10) as CalendarDate;
}

/** 0 = Sunday … 6 = Saturday, as Date.getUTCDay(). */
function weekdayOf(epochDay: number): number {
  // 1970-01-01 was a Thursday (4).
  return (((epochDay + 4) % 7) + 7) % 7;
}

export function isWeekend(epochDay: number): boolean {
  const weekday = weekdayOf(epochDay);
  return weekday === 0 || weekday === 6;
}

export function yearOf(date: CalendarDate): number {
  return Number(date.slice(0, 4));
}

/** The Shanghai calendar date of an instant. */
export function shanghaiDateOf(epochMs: number): CalendarDate {
  return calendarDateOf(Math.floor((epochMs + SHANGHAI_OFFSET_MS) / MS_PER_DAY));
}

/** The Shanghai calendar date of an ISO 8601 instant, whatever its offset (Z, +08:00…). */
export function shanghaiDateOfInstant(iso: string): CalendarDate {
  return shanghaiDateOf(Date.parse(iso));
}

/** The last millisecond of a Shanghai day (23:59:59.999 +08:00): the next midnight minus 1 ms. */
export function endOfShanghaiDayMs(date: CalendarDate): number {
  return (epochDayOf(date) + 1) * MS_PER_DAY - SHANGHAI_OFFSET_MS - 1;
}

/**
 * Epoch day of 'YYYY-MM-DD' (years 1000–9999), or NaN. Reads character codes rather than using a
 * regular expression: this runs on every calendar query and is most of its cost.
 */
function parseEpochDay(value: string): number {
  if (value.length !== 10 || value.charCodeAt(4) !== DASH || value.charCodeAt(7) !== DASH) return Number.NaN;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  // Comparisons with NaN are false, so a non-digit anywhere fails here too.
  const valid = year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
  return valid ? Date.UTC(year, month - 1, day) / MS_PER_DAY : Number.NaN;
}

/** The decimal number written by `count` digits from `start`, or NaN if one is not a digit. */
function digitsAt(value: string, start: number, count: number): number {
  let n = 0;
  for (let i = start; i < start + count; i++) {
    const digit = value.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return Number.NaN;
    n = n * 10 + digit;
  }
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
