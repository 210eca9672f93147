/**
 * The operator calendar file (KC_CALENDAR_FILE): it adds years or replaces official ones whole, and
 * a bad file is refused with every problem listed by year and field.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildCalendar,
  CalendarDataError,
  type CalendarFile,
  loadCalendar,
  OFFICIAL_CALENDAR_FILE,
  parseCalendarFile,
  parseCalendarText,
  readCalendarFile,
} from '../../../gateway/calendar/calendar-data.js';
import { thrownBy } from '../../helpers/thrown.js';

const FIXTURE_2027 = fileURLToPath(new URL('./fixtures/operator-2027.yaml', import.meta.url));
const official = readCalendarFile(OFFICIAL_CALENDAR_FILE);

const calendarDataErrorOf = (parse: () => unknown): CalendarDataError => thrownBy(CalendarDataError, parse);

/** An operator 2026 with one holiday only: everything else official about 2026 must be gone. */
const operator2026: CalendarFile = parseCalendarFile(
  {
    years: [
      {
        year: 2026,
        sources: [{ title: '示例（虚构）：2026年节假日调整' }],
        holidays: [{ date: '2026-02-16', name: '春节' }],
        workdays: ['2026-02-28'],
      },
    ],
  },
  'operator-2026',
);

describe('operator calendar file', () => {
  it('when the operator file adds 2027, then 2027 is no longer provisional and its New Year holiday counts', () => {
    const calendar = loadCalendar({ operatorFile: FIXTURE_2027 });
    expect(calendar.hasYear(2027)).toBe(true);
    expect(calendar.years().at(-1)).toBe(2027);
    expect(calendar.addWorkingDays('2026-12-31', 1)).toEqual({ date: '2027-01-04', provisional: false });
    expect(calendar.isWorkingDay('2027-01-30')).toBe(true); // a Saturday given as 调休上班
    expect(calendar.lastDate).toBe('2037-12-31');
  });

  it('when the operator file gives 2026, then it replaces the official 2026 whole', () => {
    const calendar = buildCalendar(official, operator2026);
    expect(calendar.isWorkingDay('2026-02-16')).toBe(false);
    expect(calendar.isWorkingDay('2026-02-17')).toBe(true); // an official 春节 day the operator left out
    expect(calendar.isWorkingDay('2026-01-04')).toBe(false); // an official 调休 Sunday the operator left out
    expect(calendar.isWorkingDay('2026-02-28')).toBe(true);
    expect(calendar.isWorkingDay('2025-10-08')).toBe(false); // other years stay official
    expect(calendar.hasYear(2026)).toBe(true);
  });

  it('when the data changes, then the version changes; when only sources or names change, it does not', () => {
    const officialOnly = loadCalendar();
    expect(buildCalendar(official).version).toBe(officialOnly.version);
    expect(officialOnly.version).toMatch(/^[0-9a-f]{12}$/);
    expect(buildCalendar(official, operator2026).version).not.toBe(officialOnly.version);
    expect(loadCalendar({ operatorFile: FIXTURE_2027 }).version).not.toBe(officialOnly.version);

    const renamed = official.years.map((entry) => ({
      ...entry,
      sources: [{ title: 'another title' }],
      holidays: entry.holidays.map((holiday) => ({ ...holiday, name: '假日' })),
    }));
    expect(buildCalendar({ years: renamed }).version).toBe(officialOnly.version);
  });

  it('when the operator file is named *.json, then it is read as JSON', () => {
    const file = parseCalendarText(
      JSON.stringify({ years: [{ year: 2027, sources: [{ title: 't' }], holidays: [{ date: '2027-01-01', name: '元旦' }], workdays: [] }] }),
      'operator.json',
    );
    expect(buildCalendar(official, file).isWorkingDay('2027-01-01')).toBe(false);
  });

  it('when the operator file has many problems, then the error lists every one with its year and field', () => {
    const error = calendarDataErrorOf(() =>
      parseCalendarText(
        [
          'years:',
          '  - year: 2027',
          '    sources: []',
          '    holidays:',
          '      - { date: 2027-02-30, name: 春节 }',
          '      - { date: 2026-12-31, name: 元旦 }',
          '      - { date: 2027-01-01 }',
          '    workdays: [2027-01-04, 2027-01-01]',
          '  - year: 2027',
          '    sources: [{ title: t, url: not a url }]',
          '    holidays: []',
          '    workdays: [2027-02-20, 2027-02-20]',
          '    note: unexpected',
          '  - year: "2028"',
          '    sources: [{ title: t }]',
          '    holidays: [{ date: 2028-01-01, name: 元旦 }]',
          '    workdays: [2028-01-01]',
        ].join('\n'),
        '/etc/kc/calendar.yaml',
      ),
    );
    expect(error.file).toBe('/etc/kc/calendar.yaml');
    expect(error.problems).toEqual([
      'year 2027: sources: must name at least one notice the dates come from',
      'year 2027: holidays[0].date: "2027-02-30" is not a real date written YYYY-MM-DD',
      'year 2027: holidays[2].name: Invalid input: expected string, received undefined',
      'year 2027: holidays[1].date: 2026-12-31 is not in 2027',
      'year 2027: workdays[0]: 2027-01-04 is a weekday; 调休上班 days are Saturdays or Sundays',
      'year 2027: workdays[1]: 2027-01-01 is a weekday; 调休上班 days are Saturdays or Sundays',
      'year 2027: workdays[1]: 2027-01-01 is also listed as a holiday',
      'year 2027: year: already given by years[0]',
      'year 2027: sources[0].url: Invalid URL',
      'year 2027: Unrecognized key: "note"',
      'year 2027: workdays[1]: 2027-02-20 is listed twice',
      'years[2]: year: Invalid input: expected number, received string',
      'years[2]: workdays[0]: 2028-01-01 is also listed as a holiday',
    ]);
    expect(error.message).toMatch(/^invalid calendar data in \/etc\/kc\/calendar\.yaml:\n {2}year 2027: sources: /);
  });

  it('when the operator file is not valid YAML or JSON, then the error names the file and the format', () => {
    const yaml = calendarDataErrorOf(() => parseCalendarText('years: [ {', 'broken.yaml'));
    expect(yaml.file).toBe('broken.yaml');
    expect(yaml.problems).toEqual([expect.stringMatching(/^is not valid YAML: /)]);
    const json = calendarDataErrorOf(() => parseCalendarText('years: []', 'broken.json'));
    expect(json.problems).toEqual([expect.stringMatching(/^is not valid JSON: /)]);
  });

  it('when the operator file has no years list, then it is refused before any year is read', () => {
    expect(calendarDataErrorOf(() => parseCalendarFile({ year: 2027 }, 'flat.json')).problems).toEqual([
      'years: Invalid input: expected array, received undefined',
      'Unrecognized key: "year"',
    ]);
  });

  it('when the operator file does not exist, then the error names the path', () => {
    const error = calendarDataErrorOf(() => loadCalendar({ operatorFile: '/nonexistent/kc-calendar.yaml' }));
    expect(error.file).toBe('/nonexistent/kc-calendar.yaml');
    expect(error.problems[0]).toMatch(/^cannot be read: ENOENT/);
  });
});
