/**
 * Shanghai dates of instants and the end of a Shanghai day, whatever the host's time zone: the
 * expected values are written with an explicit +08:00, which Date.parse reads the same everywhere.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadCalendar } from '../../../gateway/calendar/calendar-data.js';
import { endOfShanghaiDayMs, shanghaiDateOf } from '../../../gateway/calendar/dates.js';

const calendar = loadCalendar();

afterEach(() => {
  vi.unstubAllEnvs();
});

// Los Angeles changed to daylight saving time on 10 March 2024; Kiritimati is UTC+14.
describe.each(['America/Los_Angeles', 'Pacific/Kiritimati', 'UTC', 'Asia/Shanghai'])('with the host time zone %s', (zone) => {
  it('when the zone is set, then local Date methods do follow it (the stub works)', () => {
    vi.stubEnv('TZ', zone);
    const expectedOffset = { 'America/Los_Angeles': 480, 'Pacific/Kiritimati': -840, UTC: 0, 'Asia/Shanghai': -480 }[zone];
    expect(new Date('2024-01-15T12:00:00Z').getTimezoneOffset()).toBe(expectedOffset);
  });

  it('when an instant is one millisecond either side of Shanghai midnight, then shanghaiDateOf gives the Shanghai date', () => {
    vi.stubEnv('TZ', zone);
    const midnight = Date.parse('2024-03-10T00:00:00+08:00');
    expect(shanghaiDateOf(midnight)).toBe('2024-03-10');
    expect(shanghaiDateOf(midnight - 1)).toBe('2024-03-09');
    expect(shanghaiDateOf(Date.parse('2024-12-31T23:59:59.999+08:00'))).toBe('2024-12-31');
    expect(shanghaiDateOf(Date.parse('2024-12-31T16:00:00Z'))).toBe('2025-01-01');
  });

  it('when the end of a Shanghai day is asked, then it is 23:59:59.999 +08:00, the next midnight minus 1 ms', () => {
    vi.stubEnv('TZ', zone);
    expect(endOfShanghaiDayMs('2024-03-10')).toBe(Date.parse('2024-03-10T23:59:59.999+08:00'));
    expect(endOfShanghaiDayMs('2024-03-10')).toBe(Date.parse('2024-03-11T00:00:00+08:00') - 1);
    expect(shanghaiDateOf(endOfShanghaiDayMs('2024-03-10'))).toBe('2024-03-10');
    expect(shanghaiDateOf(endOfShanghaiDayMs('2024-03-10') + 1)).toBe('2024-03-11');
  });

  it('when a deadline of 5 working days from 7 February 2024 is computed, then it ends at 20 February 23:59:59.999 +08:00', () => {
    vi.stubEnv('TZ', zone);
    const accepted = shanghaiDateOf(Date.parse('2024-02-07T09:30:00+08:00'));
    const deadline = calendar.addWorkingDays(accepted, 5);
    expect(new Date(endOfShanghaiDayMs(deadline.date)).toISOString()).toBe('2024-02-20T15:59:59.999Z');
  });
});
