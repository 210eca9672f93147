/**
 * Deadlines from events on the official calendar (gateway/deadlines): the clock starts the working
 * day after the start event, pauses take their working days off, and the answer does not depend on
 * the order the events are held in — which is how both gateways agree.
 */
import { describe, expect, it } from 'vitest';
import { loadCalendar } from '../../../gateway/calendar/calendar-data.js';
import { loadMatterCatalog } from '../../../gateway/catalog/catalog.js';
import type { Matter } from '../../../gateway/catalog/schema.js';
import type { CaseEvent, CaseState } from '../../../gateway/domain/case.js';
import { computeDeadline } from '../../../gateway/deadlines/deadline.js';

const calendar = loadCalendar();
const base = loadMatterCatalog().get('KC-M-0001')!;
const matter = (promisedDays: number, statutoryDays = 20, clock: Partial<Matter['clock']> = {}): Matter => ({
  ...base,
  timeLimits: { promisedDays, statutoryDays },
  clock: { ...base.clock, startsOn: 'accepted', courierTimeCounts: true, ...clock },
});

let seq = 0;
/** An event at a Beijing wall-clock time. */
const ev = (kind: string, beijing: string, state: CaseState = 'accepted', data?: Record<string, unknown>): CaseEvent => ({
  seq: ++seq,
  kind,
  state,
  at: `${beijing}+08:00`,
  ...(data ? { data } : {}),
});
const status = (state: CaseState, beijing: string) => ev('status', beijing, state);
const at = (beijing: string) => Date.parse(`${beijing}+08:00`);

describe('computeDeadline', () => {
  it('when a case is accepted the day before the Spring Festival break, then the count runs over the 调休 Sunday (2024-02-18)', () => {
    const d = computeDeadline(matter(3), [status('accepted', '2024-02-08T10:00:00')], calendar, at('2024-02-10T09:00:00'));
    expect(d).toMatchObject({ state: 'running', startedOn: '2024-02-08', deadline: '2024-02-19', usedDays: 1, remainingDays: 2, overdue: false, provisional: false });
    expect(d.deadlineAtMs).toBe(at('2024-02-19T23:59:59.999'));
  });

  it('when the statutory limit is longer, then its deadline is shown beside the promised one', () => {
    const d = computeDeadline(matter(3, 15), [status('accepted', '2024-03-04T10:00:00')], calendar, at('2024-03-04T11:00:00'));
    expect(d).toMatchObject({ deadline: '2024-03-07', statutoryDeadline: '2024-03-25', promisedDays: 3, statutoryDays: 15, usedDays: 0 });
  });

  it('when supplements are asked for and handed in two working days later, then those days come off and the deadline moves by two', () => {
    const events = [status('accepted', '2024-03-04T10:00:00'), status('supplement_requested', '2024-03-06T15:00:00'), ev('supplement_filed', '2024-03-08T09:30:00', 'supplement_requested')];
    const d = computeDeadline(matter(5), events, calendar, at('2024-03-08T12:00:00'));
    expect(d).toMatchObject({ state: 'running', deadline: '2024-03-13', usedDays: 2, remainingDays: 3 });
    expect(d.pauses).toEqual([{ reason: 'supplement', from: '2024-03-06T15:00:00+08:00', to: '2024-03-08T09:30:00+08:00', excludedDays: 2 }]);
  });

  it('when a supplement request is still open, then the case is paused, has no deadline and its used days stand still', () => {
    const events = [status('accepted', '2024-03-04T10:00:00'), status('supplement_requested', '2024-03-06T15:00:00')];
    const d = computeDeadline(matter(5), events, calendar, at('2024-03-20T12:00:00'));
    expect(d).toMatchObject({ state: 'paused', deadline: null, usedDays: 2, remainingDays: 3, overdue: false });
  });

  it('when a §45 suspension and a supplement overlap, then each working day comes off once', () => {
    const events = [
      status('accepted', '2024-03-04T10:00:00'),
      ev('clock_paused', '2024-03-05T10:00:00', 'accepted', { pauseId: 'P1', reason: 'expert_review' }),
      status('supplement_requested', '2024-03-06T10:00:00'),
      ev('supplement_filed', '2024-03-07T10:00:00', 'supplement_requested'),
      ev('clock_resumed', '2024-03-08T10:00:00', 'accepted', { pauseId: 'P1' }),
    ];
    const d = computeDeadline(matter(5), events, calendar, at('2024-03-08T12:00:00'));
    // Off: 6, 7, 8 March (three days), not four.
    expect(d.pauses.map((p) => [p.reason, p.excludedDays])).toEqual([
      ['expert_review', 3],
      ['supplement', 0],
    ]);
    expect(d).toMatchObject({ deadline: '2024-03-14', usedDays: 1 });
  });

  it('when the decision comes on the deadline day, then the case is completed on time; a day later, it is late', () => {
    const accepted = status('accepted', '2024-03-04T10:00:00');
    const onTime = computeDeadline(matter(3), [accepted, status('approved', '2024-03-07T17:00:00')], calendar, at('2024-04-01T00:00:00'));
    expect(onTime).toMatchObject({ state: 'completed', completedOn: '2024-03-07', onTime: true, overdue: false, usedDays: 3 });
    const late = computeDeadline(matter(3), [accepted, status('rejected', '2024-03-08T09:00:00')], calendar, at('2024-04-01T00:00:00'));
    expect(late).toMatchObject({ state: 'completed', completedOn: '2024-03-08', onTime: false, overdue: true, usedDays: 4, remainingDays: -1 });
  });

  it('when the deadline has passed without a decision, then the case is overdue', () => {
    const d = computeDeadline(matter(3), [status('accepted', '2024-03-04T10:00:00')], calendar, at('2024-03-08T00:00:01'));
    expect(d).toMatchObject({ state: 'running', deadline: '2024-03-07', overdue: true, remainingDays: -1 });
  });

  it('when a pause begins after the deadline has passed, then it does not move the deadline', () => {
    const events = [status('accepted', '2024-03-04T10:00:00'), ev('clock_paused', '2024-03-11T10:00:00', 'accepted', { pauseId: 'P1', reason: 'hearing' })];
    const d = computeDeadline(matter(3), events, calendar, at('2024-03-12T10:00:00'));
    expect(d).toMatchObject({ state: 'running', deadline: '2024-03-07', overdue: true });
  });

  it('when the matter starts its clock on receipt of the paper, then acceptance alone does not start it', () => {
    const m = matter(3, 20, { startsOn: 'materials_received' });
    expect(computeDeadline(m, [status('accepted', '2024-03-04T10:00:00')], calendar, at('2024-03-05T10:00:00')).state).toBe('not_started');
    const d = computeDeadline(m, [status('accepted', '2024-03-04T10:00:00'), ev('materials_received', '2024-03-05T16:00:00')], calendar, at('2024-03-05T17:00:00'));
    expect(d).toMatchObject({ state: 'running', startedOn: '2024-03-05', deadline: '2024-03-08' });
  });

  it('when courier time does not count, then the days between the paper leaving and arriving come off', () => {
    const m = matter(3, 20, { courierTimeCounts: false });
    const events = [
      status('accepted', '2024-03-04T10:00:00'),
      ev('handoff', '2024-03-04T16:00:00', 'accepted', { step: 'dispatched' }),
      ev('handoff', '2024-03-06T11:00:00', 'accepted', { step: 'received' }),
    ];
    expect(computeDeadline(m, events, calendar, at('2024-03-06T12:00:00'))).toMatchObject({ deadline: '2024-03-11', usedDays: 0 });
  });

  it('when the count reaches into a year without a published calendar, then the answer is marked provisional', () => {
    const d = computeDeadline(matter(10), [status('accepted', '2026-12-24T10:00:00')], calendar, at('2026-12-24T11:00:00'));
    expect(d.provisional).toBe(true);
    expect(d.deadline! > '2027-01-01').toBe(true);
  });

  it('when an event is late in the evening UTC, then its Beijing date decides the start', () => {
    const d = computeDeadline(matter(1), [{ seq: 1, kind: 'status', state: 'accepted', at: '2024-03-04T17:00:00Z' }], calendar, at('2024-03-05T10:00:00'));
    expect(d).toMatchObject({ startedOn: '2024-03-05', deadline: '2024-03-06' });
  });

  it('when both gateways hold the same events in a different order, then they compute the same deadline', () => {
    const events = [
      status('accepted', '2024-09-27T10:00:00'),
      status('supplement_requested', '2024-09-30T10:00:00'),
      ev('supplement_filed', '2024-10-09T10:00:00', 'supplement_requested'),
      status('supplement_received', '2024-10-09T15:00:00'),
    ];
    const now = at('2024-10-10T10:00:00');
    const here = computeDeadline(matter(10), events, calendar, now);
    const there = computeDeadline(matter(10), [...events].reverse(), calendar, now);
    expect(there).toEqual(here);
    // National Day 2024: 1–7 October off, so (30 Sep, 9 Oct] holds two working days: 8 and 9 October.
    expect(here.pauses[0]?.excludedDays).toBe(2);
  });

  it('when event times carry different offsets (Z from a gateway, +08:00 from an approval system), then they are ordered as instants', () => {
    // 14:03Z is 22:03 in Beijing: the suspension came after the supplement, not before it.
    const events = [
      status('accepted', '2024-03-04T10:00:00'),
      status('supplement_requested', '2024-03-05T21:00:00'),
      { seq: 90, kind: 'supplement_filed', state: 'supplement_requested' as const, at: '2024-03-06T14:00:00Z' },
      { seq: 91, kind: 'clock_paused', state: 'accepted' as const, at: '2024-03-06T14:03:00Z', data: { pauseId: 'P1', reason: 'testing' } },
    ];
    const d = computeDeadline(matter(5), events, calendar, at('2024-03-07T10:00:00'));
    expect(d.pauses.map((p) => p.reason)).toEqual(['supplement', 'testing']);
    expect(d.pauses[0]).toMatchObject({ to: '2024-03-06T14:00:00Z', excludedDays: 1 });
    expect(d.state).toBe('paused');
  });
});
