/**
 * Calendar operations on the official data: the conventions of addWorkingDays, nthWorkingDayFrom,
 * subtractWorkingDays and workingDaysBetween, around holidays with 调休, across year ends, into a
 * year without data (provisional) and at the edges of the range.
 */
import { describe, expect, it } from 'vitest';
import { buildCalendar, loadCalendar, OFFICIAL_CALENDAR_FILE, readCalendarFile } from '../../../gateway/calendar/calendar-data.js';

const calendar = loadCalendar();

describe('Calendar around the Spring Festival 2024 (holiday 10–17 February, Sundays 4 and 18 February worked)', () => {
  it('when the next working day after Friday 2 February is asked, then it is Sunday 4 February', () => {
    expect(calendar.nextWorkingDay('2024-02-02')).toEqual({ date: '2024-02-04', provisional: false });
  });

  it('when one working day is added to 9 February, then the answer is Sunday 18 February, right after the holiday', () => {
    expect(calendar.addWorkingDays('2024-02-09', 1)).toEqual({ date: '2024-02-18', provisional: false });
  });

  it('when 5 working days are added to Wednesday 7 February, then the count runs 8, 9, 18, 19, 20 February', () => {
    expect(calendar.addWorkingDays('2024-02-07', 5)).toEqual({ date: '2024-02-20', provisional: false });
    expect(calendar.workingDaysBetween('2024-02-07', '2024-02-20')).toEqual({ count: 5, provisional: false });
  });

  it('when counting back 2 working days from Monday 19 February, then the answer is 9 February', () => {
    expect(calendar.subtractWorkingDays('2024-02-19', 2)).toEqual({ date: '2024-02-09', provisional: false });
    expect(calendar.previousWorkingDay('2024-02-18')).toEqual({ date: '2024-02-09', provisional: false });
  });
});

describe('Calendar around National Day 2025 (holiday 1–8 October, Sunday 28 September and Saturday 11 October worked)', () => {
  it('when the next working day after Friday 26 September is asked, then it is Sunday 28 September', () => {
    expect(calendar.nextWorkingDay('2025-09-26').date).toBe('2025-09-28');
  });

  it('when the next working day after 30 September is asked, then it is 9 October', () => {
    expect(calendar.nextWorkingDay('2025-09-30').date).toBe('2025-10-09');
  });

  it('when 3 working days are added to 30 September, then the third is Saturday 11 October', () => {
    expect(calendar.addWorkingDays('2025-09-30', 3).date).toBe('2025-10-11');
  });

  it('when working days from 26 September to 12 October are counted, then they are 28, 29, 30 September and 9, 10, 11 October', () => {
    expect(calendar.workingDaysBetween('2025-09-26', '2025-10-12').count).toBe(6);
  });
});

describe('Calendar conventions', () => {
  it('when 0 working days are added, then the date comes back unchanged, even a holiday, and is not provisional', () => {
    expect(calendar.addWorkingDays('2025-10-01', 0)).toEqual({ date: '2025-10-01', provisional: false });
    expect(calendar.addWorkingDays('2030-06-01', 0)).toEqual({ date: '2030-06-01', provisional: false });
    expect(calendar.subtractWorkingDays('2025-10-01', 0)).toEqual({ date: '2025-10-01', provisional: false });
  });

  it('when the start date is itself a working day, then addWorkingDays does not count it', () => {
    expect(calendar.addWorkingDays('2025-10-09', 1).date).toBe('2025-10-10');
  });

  it('when nthWorkingDayFrom starts on a working day, then that day is the first; on a holiday, the next working day is', () => {
    expect(calendar.nthWorkingDayFrom('2025-10-09', 1).date).toBe('2025-10-09');
    expect(calendar.nthWorkingDayFrom('2025-10-09', 3).date).toBe('2025-10-11');
    expect(calendar.nthWorkingDayFrom('2025-10-01', 1).date).toBe('2025-10-09');
  });

  it('when workingDaysBetween is given its dates in reverse, then the count is negative; for one date twice it is 0', () => {
    expect(calendar.workingDaysBetween('2024-02-20', '2024-02-07').count).toBe(-5);
    expect(calendar.workingDaysBetween('2024-02-20', '2024-02-20').count).toBe(0);
  });

  it('when the number of working days is negative, fractional or not a number, then it is a RangeError', () => {
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => calendar.addWorkingDays('2025-01-02', n)).toThrow(RangeError);
      expect(() => calendar.subtractWorkingDays('2025-01-02', n)).toThrow(RangeError);
    }
    expect(() => calendar.nthWorkingDayFrom('2025-01-02', 0)).toThrow(/whole number ≥ 1, got 0/);
  });

  it('when a date is not a real YYYY-MM-DD date, then it is a RangeError naming it', () => {
    expect(() => calendar.isWorkingDay('2025-02-29')).toThrow(/not a calendar date \(YYYY-MM-DD\): "2025-02-29"/);
    expect(() => calendar.isWorkingDay('2025-2-3' as '2025-02-03')).toThrow(RangeError);
    expect(calendar.isWorkingDay('2024-02-29')).toBe(true);
  });
});

describe('Calendar across year ends', () => {
  it('when one working day is added to 31 December 2025, then the answer is Sunday 4 January 2026, after the New Year holiday', () => {
    expect(calendar.addWorkingDays('2025-12-31', 1)).toEqual({ date: '2026-01-04', provisional: false });
    expect(calendar.previousWorkingDay('2026-01-04')).toEqual({ date: '2025-12-31', provisional: false });
  });

  it('when the answer stays in 2026, then it is not provisional', () => {
    expect(calendar.addWorkingDays('2026-12-30', 1)).toEqual({ date: '2026-12-31', provisional: false });
  });

  it('when one working day is added to 31 December 2026, then 2027 (no data) is counted on weekends alone and the answer is provisional', () => {
    expect(calendar.hasYear(2027)).toBe(false);
    expect(calendar.addWorkingDays('2026-12-31', 1)).toEqual({ date: '2027-01-01', provisional: true });
    expect(calendar.workingDaysBetween('2026-12-25', '2027-01-08')).toEqual({ count: 10, provisional: true });
    expect(calendar.subtractWorkingDays('2027-01-04', 2)).toEqual({ date: '2026-12-31', provisional: true });
    expect(calendar.nthWorkingDayFrom('2027-01-01', 1)).toEqual({ date: '2027-01-01', provisional: true });
  });

  it('when a span only starts in 2027 but stays in 2026, then it is not provisional', () => {
    expect(calendar.subtractWorkingDays('2027-01-01', 1)).toEqual({ date: '2026-12-31', provisional: false });
    expect(calendar.workingDaysBetween('2026-12-01', '2026-12-31').provisional).toBe(false);
  });

  it('when the years are listed, then they are 2016 to 2026', () => {
    expect(calendar.years()).toEqual([2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026]);
    expect(calendar.hasYear(2016)).toBe(true);
    expect(calendar.hasYear(2015)).toBe(false);
  });
});

describe('Calendar with a year without data between two with data (2027, with an operator 2028)', () => {
  const withGap = buildCalendar(readCalendarFile(OFFICIAL_CALENDAR_FILE), {
    years: [{ year: 2028, sources: [{ title: 'test' }], holidays: [{ date: '2028-01-03', name: '元旦' }], workdays: [] }],
  });

  it('when the years are listed, then 2027 is missing between 2026 and 2028', () => {
    expect(withGap.years().slice(-2)).toEqual([2026, 2028]);
    expect(withGap.hasYear(2027)).toBe(false);
  });

  it('when the count starts on the last day of 2027 and stays in 2028, then the answer is not provisional', () => {
    expect(withGap.addWorkingDays('2027-12-31', 1)).toEqual({ date: '2028-01-04', provisional: false });
    expect(withGap.workingDaysBetween('2027-12-31', '2028-01-05')).toEqual({ count: 2, provisional: false });
    expect(withGap.previousWorkingDay('2028-01-05')).toEqual({ date: '2028-01-04', provisional: false });
  });

  it('when a day of 2027 is counted, then the answer is provisional', () => {
    expect(withGap.addWorkingDays('2027-12-30', 1)).toEqual({ date: '2027-12-31', provisional: true });
    expect(withGap.nthWorkingDayFrom('2027-12-31', 1)).toEqual({ date: '2027-12-31', provisional: true });
    expect(withGap.subtractWorkingDays('2028-01-04', 1)).toEqual({ date: '2027-12-31', provisional: true });
    expect(withGap.workingDaysBetween('2027-12-30', '2028-01-05')).toEqual({ count: 3, provisional: true });
  });
});

describe('Calendar range (1 January of the first data year to 31 December ten years after the last)', () => {
  it('when the range is asked, then it is 2016-01-01 to 2036-12-31', () => {
    expect([calendar.firstDate, calendar.lastDate]).toEqual(['2016-01-01', '2036-12-31']);
  });

  it('when a date is outside the range, then it is a RangeError naming the range', () => {
    expect(() => calendar.isWorkingDay('2015-12-31')).toThrow(/2015-12-31 is outside the calendar \(2016-01-01 to 2036-12-31\)/);
    expect(() => calendar.workingDaysBetween('2025-01-01', '2037-01-01')).toThrow(RangeError);
  });

  it('when an answer would fall outside the range, then it is a RangeError saying on which side', () => {
    expect(calendar.addWorkingDays('2036-12-30', 1)).toEqual({ date: '2036-12-31', provisional: true });
    expect(() => calendar.addWorkingDays('2036-12-30', 2)).toThrow(/2 working days after 2036-12-30 falls after the calendar ends \(2036-12-31\)/);
    expect(() => calendar.subtractWorkingDays('2016-01-04', 2)).toThrow(/falls before the calendar starts \(2016-01-01\)/);
  });
});
