/**
 * The official Chinese working-day calendar (工作日), for 限时办结 deadlines.
 *
 * A working day is Monday–Friday unless it is a public holiday (放假), plus every weekend day
 * announced as an adjusted working day (调休上班). A year without published data is computed on
 * weekends alone, and every answer that looks at a day of such a year says `provisional: true`:
 * it may change once that year's notice is out.
 *
 * The constructor precomputes every day from 1 January of the first data year to 31 December
 * PROVISIONAL_YEARS_AHEAD years after the last one: whether it is a working day, and running counts.
 * Every query is then a handful of array reads (O(1)), never a walk over days. Dates outside that
 * range are a RangeError.
 */
import { createHash } from 'node:crypto';
import type { CalendarYear } from './calendar-data.js';
import { type CalendarDate, calendarDateOf, epochDayOf, isWeekend, yearOf } from './dates.js';

/** A date the calendar worked out, and whether it rests on a year without published data. */
export interface CalendarAnswer {
  readonly date: CalendarDate;
  readonly provisional: boolean;
}

export interface WorkingDayCount {
  readonly count: number;
  readonly provisional: boolean;
}

/** How many years after the last data year are still answered, on weekends alone (provisional). */
const PROVISIONAL_YEARS_AHEAD = 10;

// Array reads below use `!`: every offset is bounds-checked by #offsetOf or #offsetOfWorkingDay first.
export class Calendar {
  /** Short hash of all that decides answers (years with data, holidays, 调休 working days). */
  readonly version: string;
  readonly firstDate: CalendarDate;
  readonly lastDate: CalendarDate;
  readonly #yearsWithData: ReadonlySet<number>;
  readonly #firstEpochDay: number;
  /** The date of each day of the range by its offset, so that answers need no formatting. */
  readonly #dates: CalendarDate[];
  readonly #isWorking: Uint8Array;
  /** [i]: working days among the first i days of the range (a prefix count, length days + 1). */
  readonly #workingDaysBefore: Int32Array;
  /** [i]: days of years without data among the first i days of the range. */
  readonly #provisionalDaysBefore: Int32Array;
  /** [k]: offset of the working day with k working days before it in the range. */
  readonly #workingDayOffsets: Int32Array;

  /** `years`: one entry per year, as mergeCalendarYears returns them. */
  constructor(years: readonly CalendarYear[]) {
    const sorted = [...years].sort((a, b) => a.year - b.year);
    const firstYear = sorted[0]?.year;
    const lastYear = sorted.at(-1)?.year;
    if (firstYear === undefined || lastYear === undefined) throw new Error('the calendar needs at least one year of data');
    this.#yearsWithData = new Set(sorted.map((entry) => entry.year));
    if (this.#yearsWithData.size !== sorted.length) throw new Error('the calendar was given the same year twice');
    const holidays = new Set(sorted.flatMap((entry) => entry.holidays.map((holiday) => holiday.date)));
    const workdays = new Set(sorted.flatMap((entry) => entry.workdays));

    this.#firstEpochDay = epochDayOf(`${firstYear}-01-01`);
    const dayCount = epochDayOf(`${lastYear + PROVISIONAL_YEARS_AHEAD}-12-31`) - this.#firstEpochDay + 1;
    this.#dates = new Array<CalendarDate>(dayCount);
    this.#isWorking = new Uint8Array(dayCount);
    this.#workingDaysBefore = new Int32Array(dayCount + 1);
    this.#provisionalDaysBefore = new Int32Array(dayCount + 1);
    const workingDayOffsets: number[] = [];
    for (let offset = 0; offset < dayCount; offset++) {
      const epochDay = this.#firstEpochDay + offset;
      const date = calendarDateOf(epochDay);
      const working = workdays.has(date) || (!isWeekend(epochDay) && !holidays.has(date));
      const provisional = !this.#yearsWithData.has(yearOf(date));
      this.#dates[offset] = date;
      this.#isWorking[offset] = working ? 1 : 0;
      this.#workingDaysBefore[offset + 1] = this.#workingDaysBefore[offset]! + (working ? 1 : 0);
      this.#provisionalDaysBefore[offset + 1] = this.#provisionalDaysBefore[offset]! + (provisional ? 1 : 0);
      if (working) workingDayOffsets.push(offset);
    }
    this.#workingDayOffsets = Int32Array.from(workingDayOffsets);
    this.firstDate = this.#dates[0]!;
    this.lastDate = this.#dates[dayCount - 1]!;
    this.version = versionOf(sorted);
  }

  /** Years with published (or operator) data, ascending; any other year is provisional. */
  years(): number[] {
    return [...this.#yearsWithData].sort((a, b) => a - b);
  }

  hasYear(year: number): boolean {
    return this.#yearsWithData.has(year);
  }

  /** Whether `date` is a working day (provisional when hasYear(its year) is false). */
  isWorkingDay(date: CalendarDate): boolean {
    return this.#isWorking[this.#offsetOf(date)] === 1;
  }

  /**
   * The n-th working day after `date`. The count starts the day after `date` (as a legal time
   * limit does: the day it starts on is not counted), so `date` itself never counts, working day
   * or not; n = 0 gives `date` back. Provisional when a day after `date` up to the answer lies in a
   * year without data. Example: addWorkingDays('2024-02-09', 1) is '2024-02-18', a 调休 Sunday
   * right after the Spring Festival holiday of 10–17 February.
   */
  addWorkingDays(date: CalendarDate, n: number): CalendarAnswer {
    assertWholeNumber(n, 0);
    const start = this.#offsetOf(date);
    if (n === 0) return { date: this.#dates[start]!, provisional: false };
    const end = this.#offsetOfWorkingDay(this.#workingDaysBefore[start + 1]! + n - 1, () => `${n} working days after ${date}`);
    return { date: this.#dates[end]!, provisional: this.#anyProvisional(start + 1, end + 1) };
  }

  /**
   * The n-th working day counting `start` itself as the first day when it is a working day
   * (n ≥ 1): nthWorkingDayFrom(d, 1) is d when d is a working day, else the next one. Equal to
   * addWorkingDays(the day before d, n).
   */
  nthWorkingDayFrom(start: CalendarDate, n: number): CalendarAnswer {
    assertWholeNumber(n, 1);
    const first = this.#offsetOf(start);
    const end = this.#offsetOfWorkingDay(this.#workingDaysBefore[first]! + n - 1, () => `working day ${n} from ${start}`);
    return { date: this.#dates[end]!, provisional: this.#anyProvisional(first, end + 1) };
  }

  /** The first working day strictly after `date`: addWorkingDays(date, 1). */
  nextWorkingDay(date: CalendarDate): CalendarAnswer {
    return this.addWorkingDays(date, 1);
  }

  /**
   * The n-th working day before `date`, counting back from the day before it; n = 0 gives `date`
   * back. The mirror of addWorkingDays: subtractWorkingDays(addWorkingDays(d, n).date, n) is the
   * last working day on or before d.
   */
  subtractWorkingDays(date: CalendarDate, n: number): CalendarAnswer {
    assertWholeNumber(n, 0);
    const start = this.#offsetOf(date);
    if (n === 0) return { date: this.#dates[start]!, provisional: false };
    const end = this.#offsetOfWorkingDay(this.#workingDaysBefore[start]! - n, () => `${n} working days before ${date}`);
    return { date: this.#dates[end]!, provisional: this.#anyProvisional(end, start) };
  }

  /** The last working day strictly before `date`: subtractWorkingDays(date, 1). */
  previousWorkingDay(date: CalendarDate): CalendarAnswer {
    return this.subtractWorkingDays(date, 1);
  }

  /**
   * Working days in (from, to]: after `from`, up to and including `to` — the same convention as
   * addWorkingDays, so workingDaysBetween(d, addWorkingDays(d, n).date) is n. Negative when `to`
   * is before `from` (minus the working days in (to, from]); 0 when they are equal.
   */
  workingDaysBetween(from: CalendarDate, to: CalendarDate): WorkingDayCount {
    const a = this.#offsetOf(from);
    const b = this.#offsetOf(to);
    const count = this.#workingDaysBefore[b + 1]! - this.#workingDaysBefore[a + 1]!;
    return { count, provisional: this.#anyProvisional(Math.min(a, b) + 1, Math.max(a, b) + 1) };
  }

  #offsetOf(date: CalendarDate): number {
    const offset = epochDayOf(date) - this.#firstEpochDay;
    if (offset < 0 || offset >= this.#dates.length) {
      throw new RangeError(`${date} is outside the calendar (${this.firstDate} to ${this.lastDate})`);
    }
    return offset;
  }

  /** Offset of the working day with `rank` working days before it in the range. */
  #offsetOfWorkingDay(rank: number, describe: () => string): number {
    if (rank < 0) throw new RangeError(`${describe()} falls before the calendar starts (${this.firstDate})`);
    if (rank >= this.#workingDayOffsets.length) {
      throw new RangeError(`${describe()} falls after the calendar ends (${this.lastDate})`);
    }
    return this.#workingDayOffsets[rank]!;
  }

  /** Whether any day with offset in [from, to) lies in a year without data. */
  #anyProvisional(from: number, to: number): boolean {
    return this.#provisionalDaysBefore[to]! > this.#provisionalDaysBefore[from]!;
  }
}

function assertWholeNumber(n: number, min: number): void {
  if (!Number.isSafeInteger(n) || n < min) {
    throw new RangeError(`the number of working days must be a whole number ≥ ${min}, got ${n}`);
  }
}

/** Sources and holiday names do not change any answer, so they stay out of the version. */
function versionOf(years: readonly CalendarYear[]): string {
  const decisive = years.map((entry) => ({
    year: entry.year,
    holidays: entry.holidays.map((holiday) => holiday.date).sort(),
    workdays: [...entry.workdays].sort(),
  }));
  return createHash('sha256').update(JSON.stringify(decisive)).digest('hex').slice(0, 12);
}
