/**
 * A day-by-day reference for the Calendar: slow and obvious, built on Date and Sets, sharing
 * nothing with gateway/calendar/calendar.ts but the data. Used by the property test and the bench.
 */
import type { CalendarYear } from '../../../gateway/calendar/calendar-data.js';

export interface NaiveAnswer {
  date: string;
  provisional: boolean;
}

export class NaiveCalendar {
  readonly #holidays: Set<string>;
  readonly #workdays: Set<string>;
  readonly #yearsWithData: Set<number>;

  constructor(years: readonly CalendarYear[]) {
    this.#holidays = new Set(years.flatMap((entry) => entry.holidays.map((holiday) => holiday.date)));
    this.#workdays = new Set(years.flatMap((entry) => entry.workdays));
    this.#yearsWithData = new Set(years.map((entry) => entry.year));
  }

  isWorkingDay(date: string): boolean {
    if (this.#workdays.has(date)) return true;
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    return weekday !== 0 && weekday !== 6 && !this.#holidays.has(date);
  }

  isProvisional(date: string): boolean {
    return !this.#yearsWithData.has(Number(date.slice(0, 4)));
  }

  addWorkingDays(date: string, n: number): NaiveAnswer {
    return this.#walk(date, n, +1);
  }

  subtractWorkingDays(date: string, n: number): NaiveAnswer {
    return this.#walk(date, n, -1);
  }

  nthWorkingDayFrom(start: string, n: number): NaiveAnswer {
    return this.#walk(shiftDays(start, -1), n, +1);
  }

  workingDaysBetween(from: string, to: string): { count: number; provisional: boolean } {
    if (to < from) {
      const reverse = this.workingDaysBetween(to, from);
      // 0 rather than -0, which toEqual tells apart.
      return { count: reverse.count === 0 ? 0 : -reverse.count, provisional: reverse.provisional };
    }
    let count = 0;
    let provisional = false;
    for (let day = shiftDays(from, 1); day <= to; day = shiftDays(day, 1)) {
      if (this.isWorkingDay(day)) count++;
      provisional ||= this.isProvisional(day);
    }
    return { count, provisional };
  }

  /** Steps one day at a time in `direction` until n working days have been passed. */
  #walk(date: string, n: number, direction: 1 | -1): NaiveAnswer {
    let day = date;
    let provisional = false;
    for (let left = n; left > 0; ) {
      day = shiftDays(day, direction);
      provisional ||= this.isProvisional(day);
      if (this.isWorkingDay(day)) left--;
    }
    return { date: day, provisional };
  }
}

export function shiftDays(date: string, days: number): string {
  const moved = new Date(`${date}T00:00:00Z`);
  moved.setUTCDate(moved.getUTCDate() + days);
  return moved.toISOString().slice(0, 10);
}
