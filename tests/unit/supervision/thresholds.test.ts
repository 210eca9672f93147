/**
 * Card thresholds on the official calendar (gateway/supervision/thresholds.ts): pre-warning, yellow
 * and red card dates around public holidays and 调休 working weekends, and what the watcher does
 * with a case in each deadline state. No I/O.
 */
import { describe, expect, it } from 'vitest';
import { loadCalendar } from '../../../gateway/calendar/calendar-data.js';
import { loadMatterCatalog } from '../../../gateway/catalog/catalog.js';
import { ConfigError, parseConfig } from '../../../gateway/config.js';
import type { Matter } from '../../../gateway/catalog/schema.js';
import type { CaseEvent, CaseState } from '../../../gateway/domain/case.js';
import { computeDeadline } from '../../../gateway/deadlines/deadline.js';
import { cardSchedule, planWatch, startOfShanghaiDayMs, thresholdsOf, type Thresholds } from '../../../gateway/supervision/thresholds.js';

const calendar = loadCalendar();
const at = (beijing: string) => Date.parse(`${beijing}+08:00`);
const defaults = { prewarnDays: 2, redGraceDays: 2 };
const t: Thresholds = { ...defaults, recheckMs: 6 * 3_600_000 };

const base = loadMatterCatalog().get('KC-M-0001')!;
const matter = (promisedDays: number): Matter => ({ ...base, timeLimits: { promisedDays, statutoryDays: 20 }, clock: { ...base.clock, startsOn: 'accepted', courierTimeCounts: true } });
let seq = 0;
const ev = (kind: string, beijing: string, state: CaseState, data?: Record<string, unknown>): CaseEvent => ({ seq: ++seq, kind, state, at: `${beijing}+08:00`, ...(data ? { data } : {}) });
const accepted = (beijing: string) => ev('status', beijing, 'accepted');

describe('cardSchedule', () => {
  it('when the deadline is the Monday after the 2024 Spring Festival, then the pre-warning falls before the holiday and the grace days skip nothing but the weekend', () => {
    // Holiday 10–17 Feb; Sunday 18 Feb is a 调休 working day.
    const s = cardSchedule('2024-02-19', calendar, defaults);
    expect(s).toMatchObject({ deadline: '2024-02-19', preWarningOn: '2024-02-09', graceEndsOn: '2024-02-21', provisional: false });
    expect(s.dueAt).toEqual({ pre_warning: at('2024-02-09T00:00'), yellow: at('2024-02-20T00:00'), red: at('2024-02-22T00:00') });
  });

  it('when the grace period runs into the Spring Festival holiday, then the red card waits for the 调休 Sunday to end', () => {
    // Deadline Thu 8 Feb 2024: grace days Fri 9 Feb and Sun 18 Feb (调休); 10–17 Feb do not count.
    const s = cardSchedule('2024-02-08', calendar, defaults);
    expect(s).toMatchObject({ preWarningOn: '2024-02-06', graceEndsOn: '2024-02-18' });
    expect(s.dueAt.red).toBe(at('2024-02-19T00:00'));
  });

  it('when the deadline is the last day before National Day 2024, then the pre-warning counts the 调休 Sunday and the red card comes after the holiday week', () => {
    // Sunday 29 Sep 2024 is a working day; 1–7 Oct are off.
    const s = cardSchedule('2024-09-30', calendar, defaults);
    expect(s).toMatchObject({ preWarningOn: '2024-09-27', graceEndsOn: '2024-10-09' });
    expect(s.dueAt).toEqual({ pre_warning: at('2024-09-27T00:00'), yellow: at('2024-10-01T00:00'), red: at('2024-10-10T00:00') });
  });

  it('when the deadline follows the 2026 Mid-Autumn break, then the pre-warning lands before 25–27 Sep', () => {
    const s = cardSchedule('2026-09-29', calendar, defaults);
    expect(s.preWarningOn).toBe('2026-09-24');
  });

  it('when the pre-warning lead and the grace period are 0, then the pre-warning is due on the deadline day and the red card with the yellow one', () => {
    const s = cardSchedule('2026-03-05', calendar, { prewarnDays: 0, redGraceDays: 0 });
    expect(s.dueAt).toEqual({ pre_warning: at('2026-03-05T00:00'), yellow: at('2026-03-06T00:00'), red: at('2026-03-06T00:00') });
  });

  it('when a day starts in Beijing, then it is 16:00 UTC the day before', () => {
    expect(new Date(startOfShanghaiDayMs('2026-01-01')).toISOString()).toBe('2025-12-31T16:00:00.000Z');
  });
});

describe('planWatch', () => {
  const events = [accepted('2026-03-02T10:00')]; // 3 days: deadline Thu 2026-03-05

  it('when the clock runs and no threshold has passed, then nothing is due and the next look is the pre-warning', () => {
    const now = at('2026-03-02T11:00');
    const plan = planWatch(computeDeadline(matter(3), events, calendar, now), calendar, t, now);
    expect(plan).toMatchObject({ due: [], nextCheckMs: at('2026-03-03T00:00') });
  });

  it('when the pre-warning day starts, then the pre-warning is due with 2 working days remaining and the next look is the yellow card', () => {
    const now = at('2026-03-03T00:00');
    const view = computeDeadline(matter(3), events, calendar, now);
    expect(view.remainingDays).toBe(2);
    expect(planWatch(view, calendar, t, now)).toMatchObject({ due: ['pre_warning'], nextCheckMs: at('2026-03-06T00:00') });
  });

  it('when the deadline day has ended, then the yellow card is due and a pre-warning not sent by then is dropped', () => {
    const now = at('2026-03-06T00:00');
    expect(planWatch(computeDeadline(matter(3), events, calendar, now), calendar, t, now)).toMatchObject({ due: ['yellow'], nextCheckMs: at('2026-03-10T00:00') });
    const justBefore = at('2026-03-05T23:59:59.999');
    expect(planWatch(computeDeadline(matter(3), events, calendar, justBefore), calendar, t, justBefore).due).toEqual(['pre_warning']);
  });

  it('when the grace period has ended too, then yellow and red are both due and the next look is a re-check', () => {
    const now = at('2026-03-10T08:00');
    expect(planWatch(computeDeadline(matter(3), events, calendar, now), calendar, t, now)).toMatchObject({ due: ['yellow', 'red'], nextCheckMs: now + t.recheckMs });
  });

  it('when the case is decided, then nothing is due and it leaves the watch, even past its deadline', () => {
    const now = at('2026-03-20T08:00');
    const done = [...events, ev('status', '2026-03-09T10:00', 'approved')];
    expect(planWatch(computeDeadline(matter(3), done, calendar, now), calendar, t, now)).toEqual({ due: [], nextCheckMs: null, schedule: null });
  });

  it('when the clock is paused or has not started, then nothing is due and the next look is a re-check', () => {
    const now = at('2026-03-12T08:00');
    const paused = [...events, ev('status', '2026-03-03T10:00', 'supplement_requested')];
    expect(planWatch(computeDeadline(matter(3), paused, calendar, now), calendar, t, now)).toEqual({ due: [], nextCheckMs: now + t.recheckMs, schedule: null });
    expect(planWatch(computeDeadline(matter(3), [], calendar, now), calendar, t, now)).toEqual({ due: [], nextCheckMs: now + t.recheckMs, schedule: null });
  });

  it('when the deadline lies in a year with no published calendar, then the next look is no later than a re-check', () => {
    const now = at('2027-03-01T11:00');
    const view = computeDeadline(matter(10), [accepted('2027-03-01T10:00')], calendar, now);
    expect(view.provisional).toBe(true);
    expect(planWatch(view, calendar, t, now).nextCheckMs).toBe(now + t.recheckMs);
  });

});

describe('thresholds from the configuration', () => {
  const env = {
    KC_DISTRICT: 'nanhai',
    KC_REDIS_URL: 'redis://127.0.0.1:1',
    KC_PEER_URL: '127.0.0.1:1',
    KC_TLS_CERT: 'c',
    KC_TLS_KEY: 'k',
    KC_TRUST_DIR: 't',
    KC_APPROVAL_URL: 'http://127.0.0.1:1',
    KC_APPROVAL_CALLBACK_SECRET: 'test-callback-secret-0123456789',
  };

  it('when no threshold is set, then the defaults are 2 working days, 2 grace days and a 6 h re-check', () => {
    expect(thresholdsOf(parseConfig(env))).toEqual(t);
  });

  it('when thresholds are set, then they are used as given', () => {
    expect(thresholdsOf(parseConfig({ ...env, KC_PREWARN_DAYS: '0', KC_RED_GRACE_DAYS: '5', KC_DEADLINE_RECHECK_MS: '60000' }))).toEqual({ prewarnDays: 0, redGraceDays: 5, recheckMs: 60_000 });
  });

  it('when a threshold is empty or not a whole number, then the configuration is refused naming each variable', () => {
    expect(() => parseConfig({ ...env, KC_PREWARN_DAYS: '', KC_RED_GRACE_DAYS: '1.5' })).toThrow(ConfigError);
    expect(() => parseConfig({ ...env, KC_PREWARN_DAYS: '', KC_RED_GRACE_DAYS: '1.5' })).toThrow(/KC_PREWARN_DAYS \(invalid\)[\s\S]*KC_RED_GRACE_DAYS \(invalid\)/);
  });
});
