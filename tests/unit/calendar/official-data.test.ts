/**
 * The official calendar data (gateway/calendar/data/cn-official.json) against facts checked by hand
 * in the State Council notices, and the generator that writes it (scripts/calendar-data.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCalendar, OFFICIAL_CALENDAR_FILE, readCalendarFile } from '../../../gateway/calendar/calendar-data.js';
import { type CalendarDate, calendarDateOf, epochDayOf } from '../../../gateway/calendar/dates.js';
import { buildOfficialCalendarFile, CALENDAR_NOTE, formatCalendarFile } from '../../../scripts/calendar-data.js';

const official = readCalendarFile(OFFICIAL_CALENDAR_FILE);
const calendar = loadCalendar();

/** `count` consecutive dates from `first`. */
function datesFrom(first: CalendarDate, count: number): CalendarDate[] {
  return Array.from({ length: count }, (_, i) => calendarDateOf(epochDayOf(first) + i));
}

function holidayName(date: string): string | undefined {
  return official.years.flatMap((entry) => entry.holidays).find((holiday) => holiday.date === date)?.name;
}

function workdaysOf(year: number): string[] {
  return official.years.find((entry) => entry.year === year)?.workdays ?? [];
}

describe('official calendar data', () => {
  it('when the file is read, then it covers 2016 to 2026, each year naming its State Council notice', () => {
    expect(official.years.map((entry) => entry.year)).toEqual([2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026]);
    for (const entry of official.years) {
      expect(entry.sources[0]?.title).toBe(`国务院办公厅关于${entry.year}年部分节假日安排的通知`);
    }
    expect(official.years.find((entry) => entry.year === 2025)?.sources[0]?.documentNumber).toBe('国办发明电〔2024〕12号');
    expect(official.note).toMatch(/chinese-days 1\.5\.7/);
  });

  it('when Spring Festival 2024 is looked up, then 10–17 February are holidays and Sundays 4 and 18 February are 调休 working days', () => {
    for (const date of datesFrom('2024-02-10', 8)) {
      expect(holidayName(date)).toBe('春节');
      expect(calendar.isWorkingDay(date)).toBe(false);
    }
    expect(workdaysOf(2024)).toEqual(expect.arrayContaining(['2024-02-04', '2024-02-18']));
    expect(calendar.isWorkingDay('2024-02-04')).toBe(true);
    expect(calendar.isWorkingDay('2024-02-18')).toBe(true);
    expect(calendar.isWorkingDay('2024-02-09')).toBe(true); // 除夕 was not a holiday in 2024
  });

  it('when National Day 2025 is looked up, then 1–8 October are holidays and Sunday 28 September and Saturday 11 October are working days', () => {
    for (const date of datesFrom('2025-10-01', 8)) expect(calendar.isWorkingDay(date)).toBe(false);
    expect(holidayName('2025-10-06')).toBe('中秋节');
    expect(holidayName('2025-10-01')).toBe('国庆节');
    expect(workdaysOf(2025)).toEqual(expect.arrayContaining(['2025-09-28', '2025-10-11']));
    expect(calendar.isWorkingDay('2025-09-28')).toBe(true);
    expect(calendar.isWorkingDay('2025-10-11')).toBe(true);
  });

  it('when the 2020 Spring Festival is looked up, then the extension to 2 February holds and Saturday 1 February is no longer a 调休 working day', () => {
    // 国办发明电〔2019〕16号 made 1 February a working day; 国办发明电〔2020〕1号 extended the holiday
    // to 2 February. chinese-days 1.5.7 follows the extension, and so does this calendar.
    for (const date of datesFrom('2020-01-31', 3)) {
      expect(holidayName(date)).toBe('春节');
      expect(calendar.isWorkingDay(date)).toBe(false);
    }
    expect(workdaysOf(2020)).not.toContain('2020-02-01');
    expect(workdaysOf(2020)).toContain('2020-01-19');
    expect(calendar.isWorkingDay('2020-02-03')).toBe(true);
    expect(official.years.find((entry) => entry.year === 2020)?.sources.map((source) => source.documentNumber)).toEqual([
      '国办发明电〔2019〕16号',
      '国办发明电〔2020〕1号',
    ]);
  });

  it('when New Year 2026 is looked up, then 1–3 January are holidays and Sunday 4 January is a working day', () => {
    for (const date of datesFrom('2026-01-01', 3)) {
      expect(holidayName(date)).toBe('元旦');
      expect(calendar.isWorkingDay(date)).toBe(false);
    }
    expect(calendar.isWorkingDay('2026-01-04')).toBe(true);
  });

  it('when a New Year holiday begins in December, then those days sit in their own year and name the next year’s notice', () => {
    expect(workdaysOf(2018)).toContain('2018-12-29');
    expect(holidayName('2018-12-31')).toBe('元旦');
    expect(official.years.find((entry) => entry.year === 2018)?.sources.map((source) => source.documentNumber)).toContain('国办发明电〔2018〕15号');
  });
});

describe('scripts/calendar-data.ts', () => {
  const chineseDays = {
    holidays: {
      '2016-02-08': 'Spring Festival,春节,3',
      '2016-01-01': "New Year's Day,元旦,1",
      '2026-06-19': 'Dragon Boat Festival,端午,1',
      '2015-10-01': 'National Day,国庆节,3',
    },
    workdays: { '2016-02-14': 'Spring Festival,春节,3', '2016-02-06': 'Spring Festival,春节,3' },
    inLieuDays: {},
  };

  it('when chinese-days data is converted, then dates are grouped by year, sorted, renamed as in the notices, and years outside 2016–2026 are left out', () => {
    const file = buildOfficialCalendarFile(chineseDays);
    expect(file.note).toBe(CALENDAR_NOTE);
    expect(file.years.map((entry) => entry.year)).toEqual([2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026]);
    expect(file.years[0]).toMatchObject({
      holidays: [
        { date: '2016-01-01', name: '元旦' },
        { date: '2016-02-08', name: '春节' },
      ],
      workdays: ['2016-02-06', '2016-02-14'],
    });
    expect(file.years.at(-1)?.holidays).toEqual([{ date: '2026-06-19', name: '端午节' }]);
  });

  it('when chinese-days names a holiday the notices do not have, then the generator stops and names the date', () => {
    expect(() => buildOfficialCalendarFile({ holidays: { '2016-03-08': "Women's Day,妇女节,1" }, workdays: {} })).toThrow(/2016-03-08/);
  });

  it('when the committed data file is formatted again, then it is byte for byte what is committed', () => {
    expect(formatCalendarFile(official)).toBe(readFileSync(OFFICIAL_CALENDAR_FILE, 'utf8'));
  });
});
