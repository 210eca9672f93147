/**
 * Property test: every Calendar operation against a day-by-day reference (naive-calendar.ts) on
 * random dates from 2016 to 2030, with a seeded PRNG so that a failure replays. Two calendars: the
 * official one (2027–2030 provisional) and one with an operator file that replaces 2026 and adds
 * 2028, leaving 2027 as a provisional gap between years with data.
 */
import { describe, expect, it } from 'vitest';
import {
  type CalendarFile,
  mergeCalendarYears,
  OFFICIAL_CALENDAR_FILE,
  readCalendarFile,
} from '../../../gateway/calendar/calendar-data.js';
import { Calendar } from '../../../gateway/calendar/calendar.js';
import type { CalendarDate } from '../../../gateway/calendar/dates.js';
import { NaiveCalendar } from './naive-calendar.js';
import { prng } from '../../helpers/prng.js';

const SEED = 20_240_210;
const CASES = 1000;
const MAX_WORKING_DAYS = 250;
/** Pairs for workingDaysBetween lie at most this many days apart, to keep the reference quick. */
const MAX_SPAN_DAYS = 700;
const FIRST_DAY = Date.UTC(2016, 0, 1);
const DAYS = (Date.UTC(2030, 11, 31) - FIRST_DAY) / 86_400_000 + 1;


function dateOfDay(day: number): CalendarDate {
  return new Date(FIRST_DAY + day * 86_400_000).toISOString().slice(0, 10) as CalendarDate;
}

function randomCases(seed: number): { a: CalendarDate; b: CalendarDate; n: number }[] {
  const random = prng(seed);
  const below = (limit: number) => Math.floor(random() * limit);
  return Array.from({ length: CASES }, () => {
    const a = below(DAYS);
    const b = Math.min(DAYS - 1, Math.max(0, a + below(2 * MAX_SPAN_DAYS + 1) - MAX_SPAN_DAYS));
    return { a: dateOfDay(a), b: dateOfDay(b), n: below(MAX_WORKING_DAYS + 1) };
  });
}

const official = readCalendarFile(OFFICIAL_CALENDAR_FILE);
const operator: CalendarFile = {
  years: [
    { year: 2026, sources: [{ title: 'test' }], holidays: [{ date: '2026-03-02', name: 'test' }], workdays: ['2026-03-07'] },
    { year: 2028, sources: [{ title: 'test' }], holidays: [{ date: '2028-01-03', name: 'test' }], workdays: ['2028-01-08'] },
  ],
};

describe.each([
  ['official data', mergeCalendarYears(official)],
  ['official data with an operator 2026 and 2028', mergeCalendarYears(official, operator)],
])('Calendar against a day-by-day reference (%s)', (_, years) => {
  const calendar = new Calendar(years);
  const naive = new NaiveCalendar(years);
  const cases = randomCases(SEED);

  it('when any date from 2016 to 2030 is asked, then isWorkingDay agrees with the reference', () => {
    for (let day = 0; day < DAYS; day++) {
      const date = dateOfDay(day);
      expect(calendar.isWorkingDay(date), date).toBe(naive.isWorkingDay(date));
    }
  });

  it('when random dates and counts are tried, then addWorkingDays, nextWorkingDay and nthWorkingDayFrom agree with the reference', () => {
    let provisionalAnswers = 0;
    for (const { a, n } of cases) {
      const expected = naive.addWorkingDays(a, n);
      if (expected.provisional) provisionalAnswers++;
      expect(calendar.addWorkingDays(a, n), `addWorkingDays(${a}, ${n})`).toEqual(expected);
      expect(calendar.nextWorkingDay(a), `nextWorkingDay(${a})`).toEqual(naive.addWorkingDays(a, 1));
      const nth = Math.max(n, 1);
      expect(calendar.nthWorkingDayFrom(a, nth), `nthWorkingDayFrom(${a}, ${nth})`).toEqual(naive.nthWorkingDayFrom(a, nth));
    }
    // The sample must exercise both kinds of answer, or the comparison proves little.
    expect(provisionalAnswers).toBeGreaterThan(CASES / 10);
    expect(provisionalAnswers).toBeLessThan(CASES * 0.9);
  });

  it('when random dates and counts are tried, then subtractWorkingDays and previousWorkingDay agree with the reference', () => {
    for (const { a, n } of cases) {
      // The reference has no range: keep the answer after 2016-01-01.
      if (a < '2017-06-01') continue;
      expect(calendar.subtractWorkingDays(a, n), `subtractWorkingDays(${a}, ${n})`).toEqual(naive.subtractWorkingDays(a, n));
      expect(calendar.previousWorkingDay(a), `previousWorkingDay(${a})`).toEqual(naive.subtractWorkingDays(a, 1));
    }
  });

  it('when random pairs of dates are tried, then workingDaysBetween agrees with the reference, in both orders', () => {
    for (const { a, b } of cases) {
      expect(calendar.workingDaysBetween(a, b), `workingDaysBetween(${a}, ${b})`).toEqual(naive.workingDaysBetween(a, b));
    }
  });

  it('when n working days are added and then counted, then the count is n', () => {
    for (const { a, n } of cases) {
      expect(calendar.workingDaysBetween(a, calendar.addWorkingDays(a, n).date).count).toBe(n);
    }
  });
});
