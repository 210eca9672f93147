/**
 * Working-day calendar benchmark: operations per second of the precomputed Calendar against the
 * day-by-day reference (tests/unit/calendar/naive-calendar.ts), measured in the same run on the same
 * inputs, because these machines are shared and noisy. Not part of the test suite:
 *
 *   node --import tsx tests/bench/calendar.bench.ts
 *
 * Inputs: 4096 dates drawn with a seeded PRNG from 2016-01-01 to 2030-12-31; addWorkingDays adds
 * 1–20 working days (the size of 限时办结 limits); workingDaysBetween counts up to 60 days ahead.
 * Prints a Markdown table and writes var/bench/calendar.json (tests/bench/lib/report.ts). Target: ≥ 1,000,000 ops/s.
 */
import { mergeCalendarYears, OFFICIAL_CALENDAR_FILE, readCalendarFile } from '../../gateway/calendar/calendar-data.js';
import { Calendar } from '../../gateway/calendar/calendar.js';
import type { CalendarDate } from '../../gateway/calendar/dates.js';
import { NaiveCalendar } from '../unit/calendar/naive-calendar.js';
import { prng } from '../helpers/prng.js';
import { selfTimed, writeReport } from './lib/report.js';

const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 1000);
const TARGET_OPS_PER_SEC = 1_000_000;
const INPUTS = 4096; // a power of two: inputs are picked with `i & (INPUTS - 1)`
const MAX_WORKING_DAYS = 20;
const MAX_SPAN_DAYS = 60;
const FIRST_DAY = Date.UTC(2016, 0, 1);
const DAYS = (Date.UTC(2030, 11, 31) - FIRST_DAY) / 86_400_000 + 1;


const random = prng(42);
const below = (limit: number) => Math.floor(random() * limit);
const dateOfDay = (day: number) => new Date(FIRST_DAY + day * 86_400_000).toISOString().slice(0, 10) as CalendarDate;
const inputs = Array.from({ length: INPUTS }, () => {
  const from = below(DAYS);
  return {
    from: dateOfDay(from),
    to: dateOfDay(Math.min(DAYS - 1, from + below(MAX_SPAN_DAYS + 1))),
    n: 1 + below(MAX_WORKING_DAYS),
  };
});
const inputAt = (i: number) => inputs[i & (INPUTS - 1)]!;

const years = mergeCalendarYears(readCalendarFile(OFFICIAL_CALENDAR_FILE));
const buildStart = performance.now();
const calendar = new Calendar(years);
const buildMs = performance.now() - buildStart;
const naive = new NaiveCalendar(years);

/** Every result feeds this, so that no call can be optimised away. */
let sink = 0;

function opsPerSecond(operation: (i: number) => number): number {
  for (let i = 0; i < 20_000; i++) sink += operation(i); // warm-up: let the JIT settle
  let ops = 0;
  let elapsedMs = 0;
  const start = performance.now();
  do {
    for (let j = 0; j < 1000; j++, ops++) sink += operation(ops);
    elapsedMs = performance.now() - start;
  } while (elapsedMs < BUDGET_MS);
  return ops / (elapsedMs / 1000);
}

const operations = [
  {
    name: 'addWorkingDays(date, 1–20)',
    fast: (i: number) => calendar.addWorkingDays(inputAt(i).from, inputAt(i).n).date.length,
    naive: (i: number) => naive.addWorkingDays(inputAt(i).from, inputAt(i).n).date.length,
  },
  {
    name: 'workingDaysBetween(a, a + 0–60 days)',
    fast: (i: number) => calendar.workingDaysBetween(inputAt(i).from, inputAt(i).to).count,
    naive: (i: number) => naive.workingDaysBetween(inputAt(i).from, inputAt(i).to).count,
  },
  {
    name: 'isWorkingDay(date)',
    fast: (i: number) => (calendar.isWorkingDay(inputAt(i).from) ? 1 : 0),
    naive: (i: number) => (naive.isWorkingDay(inputAt(i).from) ? 1 : 0),
  },
];

const results = operations.map(({ name, fast, naive: reference }) => {
  const fastPerSec = opsPerSecond(fast);
  const naivePerSec = opsPerSecond(reference);
  return {
    operation: name,
    fastOpsPerSec: Math.round(fastPerSec),
    naiveOpsPerSec: Math.round(naivePerSec),
    ratio: Number((fastPerSec / naivePerSec).toFixed(1)),
    meetsTarget: fastPerSec >= TARGET_OPS_PER_SEC,
  };
});

const report = {
  machine: `${process.platform} ${process.arch}, node ${process.version}`,
  budgetMsPerMeasurement: BUDGET_MS,
  targetOpsPerSec: TARGET_OPS_PER_SEC,
  calendarRange: `${calendar.firstDate} to ${calendar.lastDate}`,
  buildMs: Number(buildMs.toFixed(1)),
  results,
  sink, // printed so that the work is observable
};
const format = (n: number) => n.toLocaleString('en-US');
writeReport({
  bench: 'calendar',
  title: 'Working-day arithmetic (precomputed calendar vs a day-by-day loop)',
  ...selfTimed(),
  figures: results.map((r, i) => ({
    id: ['addWorkingDays', 'workingDaysBetween', 'isWorkingDay'][i] ?? `op${i}`,
    label: r.operation,
    value: r.fastOpsPerSec,
    unit: 'ops/s',
    baseline: `the day-by-day loop, ${format(r.naiveOpsPerSec)} ops/s`,
    ratio: r.ratio,
    target: { text: '≥ 1,000,000 ops/s', met: r.meetsTarget },
  })),
  details: report,
});

console.log(`\nbuilding the calendar (${report.calendarRange}): ${report.buildMs} ms; ${report.machine}`);
