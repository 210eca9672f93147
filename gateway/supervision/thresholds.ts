/**
 * 电子监察 thresholds on the official working-day calendar — pure arithmetic, no I/O.
 *
 * For a deadline D (the last day of the promised limit, see gateway/deadlines/deadline.ts):
 * - pre-warning (预警): from the start (00:00 Beijing) of the day on which N working days remain,
 *   i.e. the N-th working day before D (N = KC_PREWARN_DAYS; N = 0 warns on D itself). On that
 *   day computeDeadline's `remainingDays` is N.
 * - yellow card (黄牌): when D has ended without a decision (D 23:59:59.999 + 1 ms).
 * - red card (红牌): when the G working days after D have also ended without one
 *   (G = KC_RED_GRACE_DAYS; G = 0 makes it fall with the yellow card).
 *
 * A completed case gets no card; a case whose clock has not started or stands still (paused) has no
 * deadline and is only looked at again later. A pre-warning that is first seen due after the
 * deadline has passed (the gateway was down, or the clock started too late to warn) is dropped:
 * the yellow card says more. Yellow and red are both records for supervisors and are never dropped.
 */
import type { Calendar } from '../calendar/calendar.js';
import { endOfShanghaiDayMs, type CalendarDate } from '../calendar/dates.js';
import type { Config } from '../config.js';
import type { DeadlineView } from '../deadlines/deadline.js';

export const CARD_KINDS = ['pre_warning', 'yellow', 'red'] as const;
export type CardKind = (typeof CARD_KINDS)[number];

export const CARD_ZH: Record<CardKind, string> = { pre_warning: '预警', yellow: '黄牌', red: '红牌' };

export interface Thresholds {
  /** Pre-warning when this many working days remain. */
  prewarnDays: number;
  /** Red card this many working days after the deadline day. */
  redGraceDays: number;
  /** Latest next look at a case with no threshold ahead (clock not started, paused, all cards out). */
  recheckMs: number;
}

export function thresholdsOf(config: Pick<Config, 'KC_PREWARN_DAYS' | 'KC_RED_GRACE_DAYS' | 'KC_DEADLINE_RECHECK_MS'>): Thresholds {
  return { prewarnDays: config.KC_PREWARN_DAYS, redGraceDays: config.KC_RED_GRACE_DAYS, recheckMs: config.KC_DEADLINE_RECHECK_MS };
}

/** When each card of one deadline falls due. */
export interface CardSchedule {
  deadline: CalendarDate;
  /** The day the pre-warning is due on (from its start). */
  preWarningOn: CalendarDate;
  /** The last grace day: the red card is due when it ends. */
  graceEndsOn: CalendarDate;
  /** Due instants (ms since the epoch) by card kind. */
  dueAt: Record<CardKind, number>;
  provisional: boolean;
}

const MS_PER_DAY = 86_400_000;

/** 00:00:00.000 Beijing time of a day. */
export function startOfShanghaiDayMs(date: CalendarDate): number {
  return endOfShanghaiDayMs(date) - MS_PER_DAY + 1;
}

export function cardSchedule(deadline: CalendarDate, calendar: Calendar, t: Pick<Thresholds, 'prewarnDays' | 'redGraceDays'>): CardSchedule {
  const pre = calendar.subtractWorkingDays(deadline, t.prewarnDays);
  const grace = calendar.addWorkingDays(deadline, t.redGraceDays);
  return {
    deadline,
    preWarningOn: pre.date,
    graceEndsOn: grace.date,
    dueAt: {
      pre_warning: startOfShanghaiDayMs(pre.date),
      yellow: endOfShanghaiDayMs(deadline) + 1,
      red: endOfShanghaiDayMs(grace.date) + 1,
    },
    provisional: pre.provisional || grace.provisional,
  };
}

/** What the watcher does with a case now. */
export interface WatchPlan {
  /** Cards due now (issue each unless already issued for this deadline), in escalating order. */
  due: CardKind[];
  /** When to look at the case next (ms); null: stop watching (completed). */
  nextCheckMs: number | null;
  schedule: CardSchedule | null;
}

export function planWatch(view: DeadlineView, calendar: Calendar, t: Thresholds, nowMs: number): WatchPlan {
  if (view.state === 'completed') return { due: [], nextCheckMs: null, schedule: null };
  const recheck = nowMs + t.recheckMs;
  if (view.state !== 'running' || view.deadline === null) return { due: [], nextCheckMs: recheck, schedule: null };
  const schedule = cardSchedule(view.deadline, calendar, t);
  let due = CARD_KINDS.filter((kind) => schedule.dueAt[kind] <= nowMs);
  if (due.includes('yellow')) due = due.filter((kind) => kind !== 'pre_warning');
  const ahead = CARD_KINDS.map((kind) => schedule.dueAt[kind]).filter((at) => at > nowMs);
  let next = ahead.length > 0 ? Math.min(...ahead) : recheck;
  // A date in a year whose official calendar is not out yet may move when it is published.
  if (view.provisional || schedule.provisional) next = Math.min(next, recheck);
  return { due, nextCheckMs: next, schedule };
}
