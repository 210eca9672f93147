/**
 * 限时办结: a case's deadline in working days, worked out from its events alone. Both gateways hold
 * the same events (status envelopes and shared events carry the time they happened), so both work
 * out the same deadline — nothing about it is stored that could drift apart.
 *
 * Conventions (all dates are Beijing calendar dates):
 * - The clock starts on the working day after the start event (the matter's `clock.startsOn`),
 *   and the deadline is the end of the N-th working day counted from there.
 * - A pause from day P to day R takes the working days in (P, R] off the count: the day it starts
 *   on is still used, the day it ends on is not (the clock restarts the next working day, as at
 *   the start). A pause that begins after the deadline has passed does not move it.
 * - A case is on time when its decision falls on or before the deadline's day.
 */
import type { Calendar } from '../calendar/calendar.js';
import { endOfShanghaiDayMs, shanghaiDateOf, shanghaiDateOfInstant, type CalendarDate } from '../calendar/dates.js';
import type { Matter } from '../catalog/schema.js';
import type { CaseEvent } from '../domain/case.js';
import { pausesOf, type PauseReason } from './pauses.js';

export type DeadlineState = 'not_started' | 'running' | 'paused' | 'completed';

export interface PauseView {
  reason: PauseReason;
  from: string;
  to: string | null;
  /** Working days the pause took off the count (so far, for one still running). */
  excludedDays: number;
}

export interface DeadlineView {
  state: DeadlineState;
  clockStartsOn: Matter['clock']['startsOn'];
  promisedDays: number;
  statutoryDays: number;
  /** The day before day 1 (the start event's day). */
  startedOn: CalendarDate | null;
  /** Last day of the promised limit (end of that day, Beijing); null before the start or while paused. */
  deadline: CalendarDate | null;
  deadlineAtMs: number | null;
  statutoryDeadline: CalendarDate | null;
  /** Working days counted so far (up to the decision, the pause, or today). */
  usedDays: number;
  /** promisedDays − usedDays; negative when overdue. */
  remainingDays: number;
  overdue: boolean;
  pauses: PauseView[];
  completedOn: CalendarDate | null;
  onTime: boolean | null;
  /** Some date in the count lies in a year whose official calendar is not published yet. */
  provisional: boolean;
}


/** The earliest time among matching events. Times carry different offsets, so instants are compared. */
function earliestAt(events: readonly CaseEvent[], match: (e: CaseEvent) => boolean): string | undefined {
  let best: CaseEvent | undefined;
  for (const e of events) if (match(e) && (best === undefined || Date.parse(e.at) < Date.parse(best.at))) best = e;
  return best?.at;
}

function startEventAt(matter: Matter, events: readonly CaseEvent[]): string | undefined {
  return earliestAt(events, (e) => (matter.clock.startsOn === 'accepted' ? e.kind === 'status' && e.state === 'accepted' : e.kind === 'materials_received'));
}

function decisionAt(events: readonly CaseEvent[]): string | undefined {
  return earliestAt(events, (e) => e.kind === 'status' && (e.state === 'approved' || e.state === 'rejected'));
}

export function computeDeadline(matter: Matter, events: readonly CaseEvent[], calendar: Calendar, nowMs: number): DeadlineView {
  const { promisedDays, statutoryDays } = matter.timeLimits;
  const view: DeadlineView = {
    state: 'not_started',
    clockStartsOn: matter.clock.startsOn,
    promisedDays,
    statutoryDays,
    startedOn: null,
    deadline: null,
    deadlineAtMs: null,
    statutoryDeadline: null,
    usedDays: 0,
    remainingDays: promisedDays,
    overdue: false,
    pauses: [],
    completedOn: null,
    onTime: null,
    provisional: false,
  };
  const startAt = startEventAt(matter, events);
  if (startAt === undefined) return view;
  const start = shanghaiDateOfInstant(startAt);
  view.startedOn = start;

  const completedAt = decisionAt(events);
  const until = completedAt === undefined ? shanghaiDateOf(nowMs) : shanghaiDateOfInstant(completedAt);
  let provisional = false;

  // Walk the pauses in order, moving both deadlines by the days each takes off.
  let deadline = calendar.addWorkingDays(start, promisedDays);
  let statutory = calendar.addWorkingDays(start, statutoryDays);
  provisional ||= deadline.provisional || statutory.provisional;
  let excludedBeforeUntil = 0;
  let openPauseFrom: CalendarDate | undefined;
  // Pauses may overlap (a supplement asked for while the paper is on the road): a day comes off once.
  let covered: CalendarDate = start;
  for (const pause of pausesOf(matter, events, completedAt)) {
    const from = pause.from < covered ? covered : pause.from;
    const to = pause.to ?? until;
    if (from > until) continue;
    if (to > covered) covered = to;
    const excluded = to > from ? calendar.workingDaysBetween(from, to) : { count: 0, provisional: false };
    provisional ||= excluded.provisional;
    view.pauses.push({ reason: pause.reason, from: pause.fromAt, to: pause.toAt ?? null, excludedDays: excluded.count });
    excludedBeforeUntil += excluded.count;
    if (pause.to === undefined) {
      openPauseFrom = from;
      continue;
    }
    if (from <= deadline.date) {
      deadline = calendar.addWorkingDays(deadline.date, excluded.count);
      provisional ||= deadline.provisional;
    }
    if (from <= statutory.date) {
      statutory = calendar.addWorkingDays(statutory.date, excluded.count);
      provisional ||= statutory.provisional;
    }
  }

  const counted = until <= start ? { count: 0, provisional: false } : calendar.workingDaysBetween(start, until);
  provisional ||= counted.provisional;
  view.usedDays = Math.max(0, counted.count - excludedBeforeUntil);
  view.remainingDays = promisedDays - view.usedDays;
  view.provisional = provisional;
  if (completedAt !== undefined) {
    view.state = 'completed';
    view.completedOn = until;
    view.onTime = until <= deadline.date;
  } else if (openPauseFrom !== undefined && openPauseFrom <= deadline.date) {
    view.state = 'paused';
    return view;
  } else {
    view.state = 'running';
  }
  view.deadline = deadline.date;
  view.deadlineAtMs = endOfShanghaiDayMs(deadline.date);
  view.statutoryDeadline = statutory.date;
  view.overdue = completedAt === undefined ? nowMs > view.deadlineAtMs : view.onTime === false;
  return view;
}
